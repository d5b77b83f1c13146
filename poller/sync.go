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

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/netguard"
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
	Expire string
	Notes  []db.Note // messages left on the server and why
	Err    error
}

func (r Result) String() string {
	s := fmt.Sprintf("account %d: %d new (%d bytes), %d deleted on the server, %d on the server, %s",
		r.AccountID, r.New, r.Bytes, r.Deleted, r.ServerCount, r.Duration.Round(time.Millisecond))
	en := i18n.Match("en", "")
	for _, n := range r.Notes {
		s += "\n  " + NoteText(en, time.Local, n)
	}
	if r.Err != nil {
		s += "\n  error: " + r.Err.Error()
	}
	return s
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
		if err := p.labelNotes(context.WithoutCancel(ctx), id, res.Notes); err != nil {
			p.Log.Error("naming the messages of a sync's notes", "account", id, "err", err)
		}
		rec := db.PollResult{Started: res.Started, Duration: res.Duration, New: res.New, Bytes: res.Bytes,
			Deleted: res.Deleted, Notes: res.Notes}
		failures := 0
		if res.Err != nil {
			failures = acc.ConsecutiveFailures + 1
			var pe *pop3client.Error
			if kind, ok := app.SignInFailure(res.Err); ok {
				rec.ErrKind, rec.ErrStep, rec.ErrText = kind, string(pop3client.StepAuth), res.Err.Error()
				rec.AuthFailure = kind != diagnose.KindSignInUnavailable // the person's or the administrator's to fix
			} else if errors.As(res.Err, &pe) {
				rec.ErrKind, rec.ErrStep, rec.ErrText = string(pe.Kind), string(pe.Step), pe.ServerText
				rec.AuthFailure = pe.Kind == pop3client.KindAuthFailed
			} else {
				rec.ErrKind, rec.ErrText = diagnose.KindInternal, res.Err.Error()
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

	cred, err := p.credential(ctx, acc, false)
	if err != nil {
		res.Err = err
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
	// A member's account reaches only what the member could test from the
	// web: a server saved with "Save anyway" on this computer or (unless
	// allowed) its network is refused at connect time, after DNS, so that
	// the kind of failure tells nothing about the ports there.
	owner, err := p.DB.UserByID(ctx, acc.UserID)
	if err != nil {
		res.Err = err
		return res
	}
	if !owner.IsAdmin() {
		ctx = netguard.Restrict(ctx, netguard.Policy{AllowPrivate: p.MemberPrivateServers})
		opts.Dialer = netguard.Dialer(nil)
	}
	// Servers that list only part of the mailbox per session (Gmail: about
	// 250) are drained by repeating sessions while one stores something new.
	for session := 1; ; session++ {
		before := res.New
		t.session.Store(int32(session))
		t.setPhase(PhaseConnecting)
		more, err := p.session(ctx, acc, opts, cred, &res, &loginDelay, t)
		if err != nil && cred.token && !cred.renewed && pop3client.KindOf(err) == pop3client.KindAuthFailed {
			// An access token refused before its time (revoked, or the
			// server's clock differs): renewed once, and tried again.
			if cred, err = p.credential(ctx, acc, true); err == nil {
				t.setPhase(PhaseConnecting)
				more, err = p.session(ctx, acc, opts, cred, &res, &loginDelay, t)
			}
		}
		if err != nil {
			res.Err = err
			return res
		}
		if !more || res.New == before || loginDelay > 0 || session >= maxSessions {
			return res
		}
	}
}

// credential is what an account signs in with: its password, or the
// access token of its sign-in with the provider.
type credential struct {
	secret  string
	token   bool // secret is an OAuth access token
	renewed bool // the token was renewed for this sync, after a refusal
}

// credential opens acc's password, or gives its sign-in's access token
// (renewed when it is about to expire, or when renew is set).
func (p *Poller) credential(ctx context.Context, acc db.Account, renew bool) (credential, error) {
	if acc.OAuthGrant != 0 {
		tok, err := p.signIns().Token(ctx, acc.UserID, acc.OAuthGrant, renew)
		return credential{secret: tok, token: true, renewed: renew}, err
	}
	password, err := p.Key.Open(acc.PasswordSealed, app.PasswordContext(acc.UserID))
	if err != nil {
		return credential{}, fmt.Errorf("reading the account's password: %w", err)
	}
	return credential{secret: string(password)}, nil
}

// maxSessions bounds the sessions of one sync.
const maxSessions = 20

// session logs in, transfers and quits once. more says another session
// may find more (see transfer).
func (p *Poller) session(ctx context.Context, acc db.Account, opts *pop3client.Options, cred credential,
	res *Result, loginDelay *time.Duration, t *tracker) (more bool, err error) {
	c, err := pop3client.Dial(ctx, net.JoinHostPort(acc.Host, strconv.Itoa(acc.Port)), opts)
	if err != nil {
		return false, err
	}
	defer c.Close()
	if cred.token {
		err = c.LoginToken(ctx, acc.Username, cred.secret)
	} else {
		err = c.Login(ctx, acc.Username, cred.secret)
	}
	if err != nil {
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
	m := app.StoredMessage(p.DB, acc.UserID, acc.ID, raw, p.Now())
	m.UIDL, m.ServerSize = uidl, serverSize
	return m
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

// transfer carries out one session's plan (plan.go): it reads the
// listing and the headers the plan needs, matches and downloads what is
// new, decides the deletions again from what is then stored, deletes and
// quits. more says another session may list more: every message listed
// was new and was fetched.
func (p *Poller) transfer(ctx context.Context, c *pop3client.Client, acc db.Account, res *Result, t *tracker) (more bool, err error) {
	t.setPhase(PhaseListing)
	in, quiet, err := p.readListing(ctx, c, acc, res)
	if err != nil {
		return false, err
	}
	if quiet {
		return false, p.quietQuit(ctx, c, acc)
	}
	pl, err := p.verifiedPlan(ctx, c, &in)
	if err != nil {
		return false, err
	}
	if err := p.match(ctx, c, acc, in, &pl); err != nil {
		return false, err
	}
	refused, err := p.download(ctx, c, acc, in, pl, res, t)
	if err != nil {
		return false, err
	}
	// Deletions are decided from what is stored now: the rows committed
	// before the session and by the download.
	t.setPhase(PhaseDeleting)
	in.Now = p.Now()
	final := plan(in)
	for _, n := range final.Notes {
		res.Notes = addNote(res.Notes, n)
	}
	if err := p.DB.RememberHeaderUses(ctx, acc.ID, changedUses(in, final.Keys)); err != nil {
		return false, err
	}
	quit, err := p.deleteAndQuit(ctx, c, acc, in, final, res)
	if err != nil || !quit {
		return false, err
	}
	// Another session may list more only when this listing was a window
	// of new messages (Gmail lists about 250 not yet downloaded at a time):
	// a listing that shows messages stored before is the whole mailbox, and
	// a second login would find nothing.
	return refused == 0 && pl.KnownListed == 0, nil
}

// readListing reads UIDL and LIST, what is stored, and the header keys of
// messages without a UIDL of their own that are not remembered. quiet
// says the listing is one after which there was nothing to do (quiet.go);
// then nothing stored is read.
func (p *Poller) readListing(ctx context.Context, c *pop3client.Client, acc db.Account, res *Result) (in planInput, quiet bool, err error) {
	in = planInput{Settings: acc.AccountSettings, Now: p.Now(), MaxSize: p.MaxMessageSize}
	uids, err := c.Uidl(ctx)
	if pop3client.KindOf(err) == pop3client.KindServerError {
		// No UIDL: messages are told apart by a hash of their header and size.
		in.Listing.NoUIDL, uids = true, nil
	} else if err != nil {
		return in, false, err
	}
	list, err := c.List(ctx)
	if err != nil {
		return in, false, err
	}
	uidOf := make(map[int]pop3client.UID, len(uids))
	for _, u := range uids {
		uidOf[u.ID] = u
	}
	res.ServerCount, res.ServerBytes = len(list), 0
	for _, m := range list {
		u, ok := uidOf[m.ID]
		in.Listing.Msgs = append(in.Listing.Msgs, listed{ID: m.ID, Size: m.Size, UIDL: u.UID,
			Shared: !ok || u.UID == "" || u.Duplicate})
		res.ServerBytes += m.Size
	}
	if quiet, err := p.quiet(ctx, acc, listingDigest(acc, in.Listing, in.MaxSize)); err != nil || quiet {
		return in, quiet, err
	}
	if in.Known, err = p.DB.ServerStates(ctx, acc.ID); err != nil {
		return in, false, err
	}
	remembered, top := headerKeys(in.Listing, in.Known, in.MaxSize)
	in.HeaderKeys = make(map[int]string, len(remembered)+len(top))
	in.Remembered = make(map[int]bool, len(remembered))
	for id, key := range remembered {
		in.HeaderKeys[id], in.Remembered[id] = key, true
	}
	return in, false, readHeaderKeys(ctx, c, in, top)
}

// readHeaderKeys reads the header keys of messages ids into
// in.HeaderKeys. A message whose header the server refuses gets none: it
// is downloaded every time, deduplicated by content.
func readHeaderKeys(ctx context.Context, c *pop3client.Client, in planInput, ids []int) error {
	size := in.Listing.sizes()
	for _, id := range ids {
		key, err := headerKey(ctx, c, id, size[id])
		if pop3client.KindOf(err) == pop3client.KindServerError {
			delete(in.HeaderKeys, id)
			continue
		}
		if err != nil {
			return err
		}
		in.HeaderKeys[id] = key
		delete(in.Remembered, id)
	}
	return nil
}

// verifiedPlan plans the session, after checking with TOP the remembered
// header key of each message the plan would delete: a message whose header
// is not the remembered one is planned again under its own key.
func (p *Poller) verifiedPlan(ctx context.Context, c *pop3client.Client, in *planInput) (syncPlan, error) {
	pl := plan(*in)
	if len(pl.Verify) == 0 {
		return pl, nil
	}
	if err := readHeaderKeys(ctx, c, *in, pl.Verify); err != nil {
		return syncPlan{}, err
	}
	return plan(*in), nil
}

// match adopts stored messages for the listed ones the plan says to look
// for (a change of UIDLs), and takes them out of the download.
func (p *Poller) match(ctx context.Context, c *pop3client.Client, acc db.Account, in planInput, pl *syncPlan) error {
	if len(pl.Match) == 0 {
		return nil
	}
	size := in.Listing.sizes()
	adopted := make(map[int]bool)
	taken := make(map[int64]bool)
	for _, id := range pl.Match {
		hdr, err := topHeader(ctx, c, id)
		if pop3client.KindOf(err) == pop3client.KindServerError {
			break // no TOP: download instead
		}
		if err != nil {
			return err
		}
		msgID, ok, err := p.DB.MatchStored(ctx, acc.ID, message.Summarize(hdr).MessageID, size[id])
		if err != nil {
			return err
		}
		if !ok || taken[msgID] {
			continue
		}
		st, err := p.DB.AdoptServerMessage(ctx, acc.ID, pl.Keys[id], msgID, size[id])
		if err != nil {
			return err
		}
		in.Known[pl.Keys[id]], taken[msgID], adopted[id] = st, true, true
	}
	pl.Fetch = slices.DeleteFunc(pl.Fetch, func(id int) bool { return adopted[id] })
	return nil
}

// download fetches the plan's messages and stores them in batches,
// adding each committed one to in.Known. It returns how many the server
// refused to send.
func (p *Poller) download(ctx context.Context, c *pop3client.Client, acc db.Account, in planInput, pl syncPlan,
	res *Result, t *tracker) (refused int, err error) {
	byID := make(map[int]listed, len(in.Listing.Msgs))
	var fetchBytes int64
	for _, m := range in.Listing.Msgs {
		byID[m.ID] = m
	}
	for _, id := range pl.Fetch {
		fetchBytes += byID[id].Size
	}
	t.plan(len(pl.Fetch), fetchBytes)
	if len(pl.Fetch) > 0 {
		t.downloading()
	}
	rules, err := p.rules(ctx, acc, len(pl.Fetch))
	if err != nil {
		return 0, err
	}
	st := p.startStore(ctx, in.Known, res)
	retrErr := c.RetrMany(ctx, pl.Fetch, func(id int, r io.Reader, rerr error) error {
		m := byID[id]
		if rerr != nil {
			refused++
			t.done(m.Size, 0)
			res.Notes = addNote(res.Notes, db.Note{Key: noteRefused, Args: []db.NoteArg{messageArg(m, nil), {Text: serverWords(rerr)}}})
			return nil
		}
		var buf bytes.Buffer
		if m.Size > 0 && m.Size < 64<<20 {
			// bytes.Buffer.ReadFrom wants MinRead bytes free before
			// each read, else it doubles the buffer.
			buf.Grow(int(m.Size) + bytes.MinRead)
		}
		cr := &countingReader{r: r, t: t}
		if _, err := buf.ReadFrom(cr); err != nil {
			return err
		}
		t.done(m.Size, cr.n)
		raw := buf.Bytes()
		d := db.Downloaded{NewMessage: p.newMessage(acc, pl.Keys[id], m.Size, raw),
			SizeOK: sizeOK(raw, m.Size), DedupeByContent: true}
		placeByRules(rules, &d)
		if !d.SizeOK {
			arg := messageArg(m, nil)
			arg.Message.Subject, arg.Message.Date = shorten(d.Subject), d.SortAt.Unix()
			res.Notes = addNote(res.Notes, db.Note{Key: noteReceivedMismatch,
				Args: []db.NoteArg{arg, sizeArg(int64(len(raw))), sizeArg(m.Size)}})
		}
		return st.add(d)
	})
	// Whatever was received whole is kept, even if the session then broke.
	if err := st.finish(); err != nil {
		return 0, err
	}
	return refused, retrErr
}

// serverWords is what a server said when it refused a command, or the
// error.
func serverWords(err error) string {
	var pe *pop3client.Error
	if errors.As(err, &pe) && pe.ServerText != "" {
		return pe.ServerText
	}
	return err.Error()
}

// store commits downloaded messages in batches from a second goroutine
// while the next batch downloads. The channel is unbuffered: at most one
// batch waits while another is stored, which bounds memory. Only the
// committer touches known, res.New and res.Bytes until finish returns.
type store struct {
	batch     []db.Downloaded
	pending   int
	commits   chan []db.Downloaded
	committed chan error
	failed    atomic.Bool
}

func (p *Poller) startStore(ctx context.Context, known map[string]db.ServerState, res *Result) *store {
	s := &store{commits: make(chan []db.Downloaded), committed: make(chan error, 1)}
	go func() {
		var err error
		for batch := range s.commits {
			if err != nil {
				continue // drained: the download stops at its next batch
			}
			var ids []int64
			var added []bool
			ids, added, err = p.DB.StoreDownloaded(ctx, batch)
			if err != nil {
				s.failed.Store(true)
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
		s.committed <- err
	}()
	return s
}

// add queues a downloaded message. A large message goes in a batch of its
// own, so a batch never holds much more than BatchBytes besides it.
func (s *store) add(m db.Downloaded) error {
	if s.pending > 0 && s.pending+len(m.Raw) > BatchBytes {
		if err := s.flush(); err != nil {
			return err
		}
	}
	s.batch = append(s.batch, m)
	s.pending += len(m.Raw)
	if len(s.batch) >= BatchMessages || s.pending >= BatchBytes {
		return s.flush()
	}
	return nil
}

func (s *store) flush() error {
	if s.failed.Load() {
		return errCommitFailed
	}
	if len(s.batch) > 0 {
		s.commits <- s.batch
		s.batch, s.pending = nil, 0
	}
	return nil
}

// finish commits what is queued and waits for the committer: its error
// first, then the last flush's.
func (s *store) finish() error {
	flushErr := s.flush()
	close(s.commits)
	if err := <-s.committed; err != nil {
		return err
	}
	return flushErr
}

// changedUses is what RememberHeaderUses must write after a session with
// keys: the uses that differ from the stored ones.
func changedUses(in planInput, keys map[int]string) map[string]db.HeaderUse {
	out := make(map[string]db.HeaderUse)
	for key, u := range headerUses(in.Listing, keys) {
		if st, ok := in.Known[key]; ok && st.HeaderUse != u {
			out[key] = u
		}
	}
	return out
}

// deleteAndQuit sends DELE for the plan's deletions and QUIT, then
// records what is gone and what the listing showed. The server's count
// becomes the listing's less what this session deleted. quit is false
// when QUIT failed with nothing to delete (not an error then).
func (p *Poller) deleteAndQuit(ctx context.Context, c *pop3client.Client, acc db.Account, in planInput, pl syncPlan,
	res *Result) (quit bool, err error) {
	size := in.Listing.sizes()
	var gone []int
	if len(pl.Delete) > 0 {
		refused, err := c.DeleMany(ctx, pl.Delete)
		if err != nil {
			return false, err
		}
		for _, id := range pl.Delete {
			if refused[id] == nil {
				gone = append(gone, id)
			}
		}
	}
	if err := c.Quit(ctx); err != nil {
		if len(gone) > 0 {
			return false, err // deletions unconfirmed: retried next time, nothing is downloaded twice
		}
		p.Log.Debug("QUIT failed with no deletions pending", "account", acc.ID, "err", err)
		return false, p.recordListing(ctx, acc, in, pl, res.Started)
	}
	goneKeys := make([]string, 0, len(gone))
	for _, id := range gone {
		goneKeys = append(goneKeys, pl.Keys[id])
		res.ServerCount--
		res.ServerBytes -= size[id]
	}
	if err := p.DB.ForgetServerMessages(ctx, acc.ID, goneKeys); err != nil {
		return false, err
	}
	res.Deleted += len(gone)
	return true, p.recordListing(ctx, acc, in, pl, res.Started)
}

// recordListing records what the session's listing showed: which server
// rows it listed, and its digest when it left nothing to do.
func (p *Poller) recordListing(ctx context.Context, acc db.Account, in planInput, pl syncPlan, at time.Time) error {
	if err := p.markListed(ctx, acc.ID, pl.Keys, in.Known, at); err != nil {
		return err
	}
	return p.recordDigest(ctx, acc, in, pl)
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
