package poller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/pop3client"
)

// Result is what one sync did.
type Result struct {
	AccountID   int64
	Started     time.Time
	Duration    time.Duration
	New         int   // messages stored
	Bytes       int64 // their size
	Deleted     int   // messages deleted on the server, confirmed by QUIT
	ServerCount int   // messages on the server
	Skipped     []string
	Err         error
}

func (r Result) String() string {
	s := fmt.Sprintf("account %d: %d new (%d bytes), %d deleted on the server, %d on the server, %s",
		r.AccountID, r.New, r.Bytes, r.Deleted, r.ServerCount, r.Duration.Round(time.Millisecond))
	for _, sk := range r.Skipped {
		s += "\n  left on the server: " + sk
	}
	if r.Err != nil {
		s += "\n  error: " + r.Err.Error()
	}
	return s
}

// PasswordContext binds a sealed POP3 password to the user it belongs to.
func PasswordContext(userID int64) string {
	return "pop3-password:user:" + strconv.FormatInt(userID, 10)
}

// Batches of downloaded messages are committed together: one durable
// commit (an fsync) per batch rather than per message.
const (
	batchMessages = 64
	batchBytes    = 16 << 20
)

// sync runs one session with the account's server and records the outcome.
func (p *Poller) sync(ctx context.Context, id int64) (res Result) {
	res.AccountID, res.Started = id, p.Now()
	acc, err := p.DB.AccountForPoller(ctx, id)
	if err != nil {
		res.Err = err
		return res
	}
	// Push the next poll out first, so a crash mid-sync does not make the
	// account due again at once.
	if err := p.DB.SetNextPoll(ctx, id, res.Started.Add(acc.PollInterval)); err != nil {
		res.Err = err
		return res
	}
	var loginDelay time.Duration
	defer func() {
		res.Duration = p.Now().Sub(res.Started)
		rec := db.PollResult{Started: res.Started}
		failures := 0
		if res.Err != nil {
			failures = acc.ConsecutiveFailures + 1
			var pe *pop3client.Error
			if errors.As(res.Err, &pe) {
				rec.ErrKind, rec.ErrStep, rec.ErrText = string(pe.Kind), string(pe.Step), pe.ServerText
				rec.AuthFailure = pe.Kind == pop3client.KindAuthFailed
			} else {
				rec.ErrKind, rec.ErrText = "internal", res.Err.Error()
			}
		} else {
			n := int64(res.ServerCount)
			rec.ServerCount = &n
		}
		rec.NextPoll = nextPoll(p.Now(), acc.PollInterval, failures, loginDelay)
		// Record even when ctx was cancelled by a shutdown.
		if err := p.DB.RecordPoll(context.WithoutCancel(ctx), id, rec); err != nil {
			p.Log.Error("recording a sync", "account", id, "err", err)
		}
	}()

	password, err := p.Key.Open(acc.PasswordSealed, PasswordContext(acc.UserID))
	if err != nil {
		res.Err = fmt.Errorf("reading the account's password: %w", err)
		return res
	}
	sec, err := pop3client.ParseSecurity(acc.Security)
	if err != nil {
		res.Err = err
		return res
	}
	opts := &pop3client.Options{Security: sec, ExtraRootCAs: p.ExtraRootCAs, Timeout: p.Timeout,
		MaxMessageSize: p.MaxMessageSize, Resolver: p.Resolver}
	if acc.TrustedCert != "" {
		opts.TrustedFingerprints = []string{acc.TrustedCert}
	}
	c, err := pop3client.Dial(ctx, net.JoinHostPort(acc.Host, strconv.Itoa(acc.Port)), opts)
	if err != nil {
		res.Err = err
		return res
	}
	defer c.Close()
	if err := c.Login(ctx, acc.Username, string(password)); err != nil {
		res.Err = err
		return res
	}
	loginDelay, _ = c.Capabilities().LoginDelay()
	res.Err = p.transfer(ctx, c, acc, &res)
	return res
}

// transfer downloads what is new, deletes what the settings say may go,
// and ends the session.
func (p *Poller) transfer(ctx context.Context, c *pop3client.Client, acc db.Account, res *Result) error {
	uids, err := c.Uidl(ctx)
	if pop3client.KindOf(err) == pop3client.KindServerError {
		return fmt.Errorf("the server does not support UIDL, which is needed to tell new messages from old ones: %w", err)
	}
	if err != nil {
		return err
	}
	list, err := c.List(ctx)
	if err != nil {
		return err
	}
	res.ServerCount = len(list)
	sizes := make(map[int]int64, len(list))
	for _, m := range list {
		sizes[m.ID] = m.Size
	}
	known, err := p.DB.ServerMessages(ctx, acc.ID)
	if err != nil {
		return err
	}

	uidOf := make(map[int]string, len(uids))
	var fetch []int
	for _, u := range uids {
		switch {
		case u.UID == "" || u.Duplicate:
			// Cannot be told apart from another message: download handling of
			// these comes with content-hash dedupe; never delete by it.
			res.Skipped = append(res.Skipped, fmt.Sprintf("message %d has no unique UIDL", u.ID))
			continue
		case sizes[u.ID] > p.MaxMessageSize:
			res.Skipped = append(res.Skipped, fmt.Sprintf("message %d is %d bytes, over the %d-byte limit", u.ID, sizes[u.ID], p.MaxMessageSize))
			continue
		}
		uidOf[u.ID] = u.UID
		if _, ok := known[u.UID]; !ok {
			fetch = append(fetch, u.ID)
		}
	}

	stored := make(map[string]int64) // UIDL → size LIST gave, for messages committed this session
	var batch []db.NewMessage
	var pending int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := p.DB.StoreMessages(ctx, batch); err != nil {
			return err
		}
		for _, m := range batch {
			stored[m.UIDL] = m.ServerSize
			res.New++
			res.Bytes += int64(len(m.Raw))
		}
		batch, pending = batch[:0], 0
		return nil
	}
	retrErr := c.RetrMany(ctx, fetch, func(id int, r io.Reader, rerr error) error {
		if rerr != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("message %d: the server refused to send it: %v", id, rerr))
			return nil
		}
		var buf bytes.Buffer
		if size := sizes[id]; size > 0 && size < 64<<20 {
			buf.Grow(int(size) + 64)
		}
		if _, err := buf.ReadFrom(r); err != nil {
			return err
		}
		raw := buf.Bytes()
		batch = append(batch, p.newMessage(acc, uidOf[id], sizes[id], raw))
		pending += len(raw)
		if len(batch) >= batchMessages || pending >= batchBytes {
			return flush()
		}
		return nil
	})
	// Whatever was received whole is kept, even if the session then broke.
	if err := flush(); err != nil {
		return err
	}
	if retrErr != nil {
		return retrErr
	}

	// Deletions on the server: only messages whose bytes are committed here,
	// identified by a unique UIDL and the size recorded when they were stored.
	var dele []int
	var deleUIDs []string
	if acc.DeleteAfterDownload {
		for _, u := range uids {
			uid, ok := uidOf[u.ID]
			if !ok {
				continue
			}
			size, ok := stored[uid]
			if !ok {
				km, was := known[uid]
				if !was {
					continue
				}
				size = km.Size
			}
			if size != sizes[u.ID] {
				res.Skipped = append(res.Skipped, fmt.Sprintf("message %d not deleted: its size changed since it was stored", u.ID))
				continue
			}
			dele = append(dele, u.ID)
			deleUIDs = append(deleUIDs, uid)
		}
	}
	if len(dele) > 0 {
		refused, err := c.DeleMany(ctx, dele)
		if err != nil {
			return err
		}
		var done []string
		for i, id := range dele {
			if refused[id] == nil {
				done = append(done, deleUIDs[i])
			}
		}
		deleUIDs = done
	}
	if err := c.Quit(ctx); err != nil {
		if len(deleUIDs) > 0 {
			return err // deletions unconfirmed: retried next time, nothing is downloaded twice
		}
		p.Log.Debug("QUIT failed with no deletions pending", "account", acc.ID, "err", err)
		return nil
	}
	if err := p.DB.ForgetServerMessages(ctx, acc.ID, deleUIDs); err != nil {
		return err
	}
	res.Deleted = len(deleUIDs)
	return nil
}

// newMessage builds the row for a downloaded message; parsing never fails
// the download: a message that cannot be parsed is stored raw with the reason.
func (p *Poller) newMessage(acc db.Account, uidl string, serverSize int64, raw []byte) db.NewMessage {
	now := p.Now()
	sum := sha256.Sum256(raw)
	s := message.Summarize(raw)
	sortAt := now
	// A Date in the future or before e-mail existed would misplace the
	// message in the list; use the download time then.
	if !s.Date.IsZero() && s.Date.Before(now.Add(48*time.Hour)) && s.Date.Year() >= 1980 {
		sortAt = s.Date
	}
	return db.NewMessage{
		AccountID: acc.ID, UserID: acc.UserID, UIDL: uidl, ServerSize: serverSize,
		Raw: raw, SHA256: sum[:], ReceivedAt: now, SortAt: sortAt,
		FromName: s.FromName, FromAddr: s.FromAddr, To: s.To, Cc: s.Cc, Subject: s.Subject,
		MessageID: s.MessageID, Snippet: s.Snippet, HasAttachments: s.HasAttachments, ParseError: s.ParseError,
	}
}
