package poller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync/atomic"
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
	ServerBytes int64 // their size
	// Expire is the server's EXPIRE capability after login: "" when not
	// advertised, "NEVER", or a number of days.
	Expire  string
	Skipped []string
	Err     error
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
// commit (an fsync) per batch rather than per message. A batch is full at
// BatchMessages messages or BatchBytes bytes (bench/app stores by the same
// rule).
const (
	BatchMessages = 64
	BatchBytes    = 16 << 20
)

// sync runs one session with the account's server and records the outcome.
func (p *Poller) sync(ctx context.Context, id int64) (res Result) {
	res.AccountID, res.Started = id, p.Now()
	t := p.track(id, res.Started)
	defer p.untrack(id)
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
		rec := db.PollResult{Started: res.Started, Duration: res.Duration, New: res.New, Bytes: res.Bytes,
			Deleted: res.Deleted, Notes: res.Skipped}
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
			n, b, expire := int64(res.ServerCount), res.ServerBytes, res.Expire
			rec.ServerCount, rec.ServerBytes, rec.ServerExpire = &n, &b, &expire
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
	// Servers that list only part of the mailbox per session (Gmail: about
	// 250) are drained by repeating sessions while one stores something new.
	for session := 1; ; session++ {
		before := res.New
		t.session.Store(int32(session))
		t.setPhase(PhaseConnecting)
		more, err := p.session(ctx, acc, opts, string(password), &res, &loginDelay, t)
		if err != nil {
			res.Err = err
			return res
		}
		if !more || res.New == before || loginDelay > 0 || session >= maxSessions {
			return res
		}
	}
}

// maxSessions bounds the sessions of one sync.
const maxSessions = 20

// session logs in, transfers and quits once. more says another session
// may find more (see transfer).
func (p *Poller) session(ctx context.Context, acc db.Account, opts *pop3client.Options, password string,
	res *Result, loginDelay *time.Duration, t *tracker) (more bool, err error) {
	c, err := pop3client.Dial(ctx, net.JoinHostPort(acc.Host, strconv.Itoa(acc.Port)), opts)
	if err != nil {
		return false, err
	}
	defer c.Close()
	if err := c.Login(ctx, acc.Username, password); err != nil {
		return false, err
	}
	caps := c.Capabilities()
	*loginDelay, _ = caps.LoginDelay()
	res.Expire = ""
	if days, never, ok := caps.Expire(); ok {
		res.Expire = "NEVER"
		if !never {
			res.Expire = strconv.Itoa(days)
		}
	}
	return p.transfer(ctx, c, acc, res, t)
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

// skip reports a message left alone, once per sync.
func (r *Result) skip(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !slices.Contains(r.Skipped, s) {
		r.Skipped = append(r.Skipped, s)
	}
}

// sizeOK says whether a transfer looked right: the bytes received are the
// size LIST announced, or two more ending in CRLF (Dovecot appends a CRLF to
// a message lacking a final line break without counting it; see
// internal/dovecottest). No other tolerance: RFC 1939 §5 asks for the exact
// size, and a message that misses is kept on the server, which loses nothing.
func sizeOK(raw []byte, listSize int64) bool {
	n := int64(len(raw))
	return n == listSize || (n == listSize+2 && bytes.HasSuffix(raw, []byte("\r\n")))
}

// headerKey identifies a message that has no usable UIDL by a hash of its
// header (TOP n 0) and its LIST size: "hdr:" and the hex SHA-256.
func headerKey(ctx context.Context, c *pop3client.Client, id int, size int64) (string, error) {
	h := sha256.New()
	err := c.Top(ctx, id, 0, func(r io.Reader) error {
		_, err := io.Copy(h, r)
		return err
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "\x00%d", size)
	return "hdr:" + hex.EncodeToString(h.Sum(nil)), nil
}

// topHeader returns a message's header (TOP n 0).
func topHeader(ctx context.Context, c *pop3client.Client, id int) ([]byte, error) {
	var b bytes.Buffer
	err := c.Top(ctx, id, 0, func(r io.Reader) error {
		_, err := b.ReadFrom(r)
		return err
	})
	return b.Bytes(), err
}

// transfer downloads what is new, deletes what the settings say may go,
// and ends the session. more says another session may list more: every
// message listed was new and was fetched.
func (p *Poller) transfer(ctx context.Context, c *pop3client.Client, acc db.Account, res *Result, t *tracker) (more bool, err error) {
	t.setPhase(PhaseListing)
	uids, err := c.Uidl(ctx)
	noUIDL := false
	if pop3client.KindOf(err) == pop3client.KindServerError {
		// No UIDL: messages are told apart by a hash of their header and
		// size, and deleted only when that is unambiguous.
		noUIDL, uids = true, nil
	} else if err != nil {
		return false, err
	}
	list, err := c.List(ctx)
	if err != nil {
		return false, err
	}
	res.ServerCount, res.ServerBytes = len(list), 0
	sizes := make(map[int]int64, len(list))
	for _, m := range list {
		sizes[m.ID] = m.Size
		res.ServerBytes += m.Size
	}
	known, err := p.DB.ServerStates(ctx, acc.ID)
	if err != nil {
		return false, err
	}

	// keyOf is each message's key: its UIDL when unique in the listing,
	// else its header key. byUIDL marks the first kind.
	keyOf := make(map[int]string, len(list))
	byUIDL := make(map[int]bool, len(list))
	var anon []int
	if noUIDL {
		for _, m := range list {
			anon = append(anon, m.ID)
		}
	}
	for _, u := range uids {
		if u.UID == "" || u.Duplicate {
			// Cannot be told apart from another message by UIDL: downloaded,
			// deduplicated by content, never deleted.
			anon = append(anon, u.ID)
			continue
		}
		keyOf[u.ID], byUIDL[u.ID] = u.UID, true
	}
	for _, id := range anon {
		if sizes[id] > p.MaxMessageSize {
			continue
		}
		key, err := headerKey(ctx, c, id, sizes[id])
		if pop3client.KindOf(err) == pop3client.KindServerError {
			continue // downloaded every time, deduplicated by content
		}
		if err != nil {
			return false, err
		}
		keyOf[id] = key
	}
	keyCount := make(map[string]int, len(keyOf))
	for _, k := range keyOf {
		keyCount[k]++
	}

	var fetch, unknown []int
	knownListed := 0
	for _, m := range list {
		id := m.ID
		if sizes[id] > p.MaxMessageSize {
			res.skip("message %d is %d bytes, over the %d-byte limit", id, sizes[id], p.MaxMessageSize)
			continue
		}
		key, hasKey := keyOf[id]
		if hasKey {
			if _, ok := known[key]; ok {
				knownListed++
				continue
			}
		}
		if byUIDL[id] {
			unknown = append(unknown, id)
		}
		fetch = append(fetch, id)
	}

	// A wholesale change of UIDLs (a server migration) must not re-import
	// the mailbox: match unknown messages against stored ones by
	// Message-ID and size before downloading them.
	if len(known) > 0 && 2*len(unknown) > len(list) {
		adopted := make(map[int]bool)
		taken := make(map[int64]bool)
		for _, id := range unknown {
			hdr, err := topHeader(ctx, c, id)
			if pop3client.KindOf(err) == pop3client.KindServerError {
				break // no TOP: download instead
			}
			if err != nil {
				return false, err
			}
			msgID, ok, err := p.DB.MatchStored(ctx, acc.ID, message.Summarize(hdr).MessageID, sizes[id])
			if err != nil {
				return false, err
			}
			if !ok || taken[msgID] {
				continue
			}
			st, err := p.DB.AdoptServerMessage(ctx, acc.ID, keyOf[id], msgID, sizes[id])
			if err != nil {
				return false, err
			}
			known[keyOf[id]], taken[msgID], adopted[id] = st, true, true
		}
		fetch = slices.DeleteFunc(fetch, func(id int) bool { return adopted[id] })
	}

	var fetchBytes int64
	for _, id := range fetch {
		fetchBytes += sizes[id]
	}
	t.plan(len(fetch), fetchBytes)
	if len(fetch) > 0 {
		t.downloading()
	}

	// Batches are committed by a second goroutine while the next one
	// downloads. The channel is unbuffered: at most one batch waits while
	// another is stored, which bounds memory. Only the committer touches
	// known, res.New and res.Bytes until it is done.
	refused := 0
	commits := make(chan []db.Downloaded)
	committed := make(chan error, 1)
	var commitFailed atomic.Bool
	go func() {
		var err error
		for batch := range commits {
			if err != nil {
				continue // drained: the download stops at its next batch
			}
			var ids []int64
			var added []bool
			ids, added, err = p.DB.StoreDownloaded(ctx, batch)
			if err != nil {
				commitFailed.Store(true)
				continue
			}
			for i, m := range batch {
				if m.UIDL != "" {
					known[m.UIDL] = db.ServerState{ServerMessage: db.ServerMessage{UIDL: m.UIDL, MessageID: &ids[i],
						Size: m.ServerSize, FirstSeen: m.ReceivedAt}, SizeOK: m.SizeOK}
				}
				if added[i] {
					res.New++
					res.Bytes += int64(len(m.Raw))
				}
			}
		}
		committed <- err
	}()
	var batch []db.Downloaded
	var pending int
	flush := func() error {
		if commitFailed.Load() {
			return errCommitFailed
		}
		if len(batch) > 0 {
			commits <- batch
			batch, pending = nil, 0
		}
		return nil
	}
	retrErr := c.RetrMany(ctx, fetch, func(id int, r io.Reader, rerr error) error {
		if rerr != nil {
			refused++
			t.done(sizes[id], 0)
			res.skip("message %d: the server refused to send it: %v", id, rerr)
			return nil
		}
		var buf bytes.Buffer
		if size := sizes[id]; size > 0 && size < 64<<20 {
			// bytes.Buffer.ReadFrom wants MinRead bytes free before
			// each read, else it doubles the buffer.
			buf.Grow(int(size) + bytes.MinRead)
		}
		cr := &countingReader{r: r, t: t}
		if _, err := buf.ReadFrom(cr); err != nil {
			return err
		}
		t.done(sizes[id], cr.n)
		raw := buf.Bytes()
		m := db.Downloaded{NewMessage: p.newMessage(acc, keyOf[id], sizes[id], raw),
			SizeOK: sizeOK(raw, sizes[id]), DedupeByContent: true}
		if !m.SizeOK {
			res.skip("message %d: received %d bytes where the server announced %d: stored, but never deleted on the server",
				id, len(raw), sizes[id])
		}
		// A large message goes in a batch of its own, so a batch never
		// holds much more than BatchBytes besides it.
		if pending > 0 && pending+len(raw) > BatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, m)
		pending += len(raw)
		if len(batch) >= BatchMessages || pending >= BatchBytes {
			return flush()
		}
		return nil
	})
	// Whatever was received whole is kept, even if the session then broke.
	flushErr := flush()
	close(commits)
	if err := <-committed; err != nil {
		return false, err
	}
	if flushErr != nil {
		return false, flushErr
	}
	if retrErr != nil {
		return false, retrErr
	}

	// Deletions on the server: only messages whose bytes are committed here
	// after a transfer that looked right, identified by a unique UIDL (or,
	// on a server without UIDL and with "delete after download", a header
	// key unique in the listing), with the size recorded when stored.
	t.setPhase(PhaseDeleting)
	now := p.Now()
	var dele []int
	var deleKeys []string
	for _, m := range list {
		id := m.ID
		key, ok := keyOf[id]
		if !ok || keyCount[key] != 1 || !(byUIDL[id] || noUIDL && acc.DeleteAfterDownload) {
			continue
		}
		st, ok := known[key]
		if !ok || !acc.ShouldDelete(st, now) {
			continue
		}
		switch {
		case !st.SizeOK:
			res.skip("message %d not deleted: its transfer did not match the size the server announced", id)
			continue
		case st.Size != sizes[id]:
			res.skip("message %d not deleted: its size changed since it was stored", id)
			continue
		}
		dele = append(dele, id)
		deleKeys = append(deleKeys, key)
	}
	if len(dele) > 0 {
		refused, err := c.DeleMany(ctx, dele)
		if err != nil {
			return false, err
		}
		var done []string
		for i, id := range dele {
			if refused[id] == nil {
				done = append(done, deleKeys[i])
			}
		}
		deleKeys = done
	}
	if err := c.Quit(ctx); err != nil {
		if len(deleKeys) > 0 {
			return false, err // deletions unconfirmed: retried next time, nothing is downloaded twice
		}
		p.Log.Debug("QUIT failed with no deletions pending", "account", acc.ID, "err", err)
		return false, p.markListed(ctx, acc.ID, keyOf, known, res.Started)
	}
	if err := p.DB.ForgetServerMessages(ctx, acc.ID, deleKeys); err != nil {
		return false, err
	}
	res.Deleted += len(deleKeys)
	// Another session may list more only when this listing was a window
	// of new messages (Gmail lists about 250 not yet downloaded at a time):
	// a listing that shows messages stored before is the whole mailbox, and
	// a second login would find nothing.
	return refused == 0 && knownListed == 0, p.markListed(ctx, acc.ID, keyOf, known, res.Started)
}

// markListed records which server rows the session's listing showed, for
// the counts on the settings page. A listing of exactly the rows stamped
// last (the usual poll of a mailbox where nothing changed) is not stamped
// again: that would rewrite every row of the account on every poll.
func (p *Poller) markListed(ctx context.Context, accountID int64, keyOf map[int]string, known map[string]db.ServerState, at time.Time) error {
	keys := make(map[string]bool, len(keyOf))
	for _, k := range keyOf {
		keys[k] = true
	}
	same := true
	for k, st := range known {
		if keys[k] != st.Listed {
			same = false
		}
	}
	for k := range keys {
		if _, ok := known[k]; !ok {
			same = false // new since the stamp
		}
	}
	if same {
		return nil
	}
	return p.DB.MarkListed(ctx, accountID, slices.Collect(maps.Keys(keys)), at)
}

// errCommitFailed stops a download whose batches can no longer be stored;
// the committer's own error is what the sync reports.
var errCommitFailed = errors.New("storing downloaded messages failed")
