package sender

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/internal/smtpfake"
	"github.com/apartado/apartado/smtpclient"
)

// clock is a settable clock for the database, the outbox and the sender.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

type env struct {
	t      *testing.T
	store  *db.DB
	key    *secret.Key
	clock  *clock
	user   db.User
	acc    db.Account
	outbox *app.Outbox
	s      *Sender
}

var ctx = context.Background()

// newEnv is a database with an administrator whose account sends through
// addr (plain text, password "secret"), an outbox without undo window,
// and a sender, all on a settable clock.
func newEnv(t *testing.T, addr string, role db.Role) *env {
	t.Helper()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	store.Now = c.Now
	key, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.CreateUser(ctx, "ana", "h", role)
	if err != nil {
		t.Fatal(err)
	}
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	acc, err := app.NewAccounts(store, key).Create(ctx, u.ID, app.AccountInput{Email: "ana@example.test", Host: host,
		Security: "tls", Username: "ana", Password: "secret", Interval: app.DefaultInterval,
		Outgoing: app.OutgoingInput{Host: host, Port: port, Security: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	o := app.NewOutbox(store)
	o.UndoWindow, o.Now = 0, c.Now
	s := &Sender{DB: store, Key: key, Now: c.Now, Jitter: func() float64 { return 0.5 }, Timeout: 5 * time.Second}
	return &env{t: t, store: store, key: key, clock: c, user: u, acc: acc, outbox: o, s: s}
}

func (e *env) queue(d app.Draft) db.OutboxMessage {
	e.t.Helper()
	if d.To == nil {
		d.To = []compose.Address{{Name: "Bob", Addr: "bob@example.test"}}
	}
	if d.Subject == "" {
		d.Subject = "Hola"
	}
	if d.Text == "" {
		d.Text = "Hello Bob,\n.\n..a line with dots\nAna\n"
	}
	m, err := e.outbox.Send(ctx, e.user.ID, e.acc.ID, d)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) state(id int64) db.OutboxMessage {
	e.t.Helper()
	m, err := e.store.OutboxMessage(ctx, e.user.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// One attempt failing at each step of the dialogue: the state it leaves,
// and how many messages the server received (never two).
func TestFailureAtEveryStep(t *testing.T) {
	type tc struct {
		name     string
		script   map[string][]string
		drop     int // DropAfter
		closed   bool
		big      bool
		state    db.OutboxState
		kind     smtpclient.Kind
		received int
	}
	cases := []tc{
		{name: "refused before connecting", closed: true, state: db.OutboxQueued, kind: smtpclient.KindConnectionRefused},
		{name: "greeting 421", script: map[string][]string{"GREETING": {"421 4.3.2 busy"}}, state: db.OutboxQueued, kind: smtpclient.KindTempFailure},
		{name: "greeting 554", script: map[string][]string{"GREETING": {"554 5.7.1 go away"}}, state: db.OutboxFailed},
		{name: "dropped at greeting", script: map[string][]string{"GREETING": {"DROP"}}, state: db.OutboxQueued, kind: smtpclient.KindClosedBeforeGreet},
		{name: "dropped at EHLO", script: map[string][]string{"EHLO": {"DROP"}}, state: db.OutboxQueued},
		{name: "AUTH 535", script: map[string][]string{"AUTH": {"535 5.7.8 bad credentials"}}, state: db.OutboxFailed, kind: smtpclient.KindAuthFailed},
		{name: "AUTH 454", script: map[string][]string{"AUTH": {"454 4.7.0 try later"}}, state: db.OutboxQueued},
		{name: "MAIL 553", script: map[string][]string{"MAIL": {"553 5.7.1 sender not owned by user"}}, state: db.OutboxFailed, kind: smtpclient.KindSenderRefused},
		{name: "MAIL dropped", script: map[string][]string{"MAIL": {"DROP"}}, state: db.OutboxQueued},
		{name: "RCPT 550", script: map[string][]string{"RCPT": {"550 5.1.1 no such user"}}, state: db.OutboxFailed, kind: smtpclient.KindRecipientUnknown},
		{name: "RCPT 450 greylisted", script: map[string][]string{"RCPT": {"450 4.2.0 greylisted"}}, state: db.OutboxQueued},
		{name: "DATA 554", script: map[string][]string{"DATA": {"554 5.5.1 no"}}, state: db.OutboxFailed},
		{name: "DATA 451", script: map[string][]string{"DATA": {"451 4.3.0 later"}}, state: db.OutboxQueued},
		// 13 MB, far more than loopback's socket buffers hold, so the
		// drop is noticed before the final "." could be written.
		{name: "dropped during the body", drop: 20000, big: true, state: db.OutboxQueued, kind: smtpclient.KindInterrupted},
		{name: "dropped after the dot", script: map[string][]string{"DOT": {"DROP"}}, state: db.OutboxMaybeSent, kind: smtpclient.KindMaybeSent, received: 1},
		{name: "552 after the dot", script: map[string][]string{"DOT": {"552 5.3.4 message too big"}}, state: db.OutboxFailed, kind: smtpclient.KindMessageTooLarge},
		{name: "554 after the dot", script: map[string][]string{"DOT": {"554 5.7.1 spam"}}, state: db.OutboxFailed, kind: smtpclient.KindMessageRejected},
		{name: "451 after the dot", script: map[string][]string{"DOT": {"451 4.7.1 try again"}}, state: db.OutboxQueued},
		{name: "accepted", state: db.OutboxSent, received: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := smtpfake.Start(t, &smtpfake.Server{DropAfter: c.drop, Ext: []string{"8BITMIME", "AUTH PLAIN LOGIN"}})
			for verb, r := range c.script {
				f.On(verb, r...)
			}
			addr := f.Addr
			if c.closed {
				addr = closedAddr(t)
			}
			e := newEnv(t, addr, db.RoleAdmin)
			var d app.Draft
			if c.big {
				d.Text = strings.Repeat("0123456789 abcdefghij\n", 600000)
			}
			m := e.queue(d)
			state, err := e.s.Deliver(ctx, m.ID)
			if state != c.state {
				t.Fatalf("state %q (err %v), want %q", state, err, c.state)
			}
			if c.kind != "" && smtpclient.KindOf(err) != c.kind {
				t.Fatalf("err %v, want kind %s", err, c.kind)
			}
			got := e.state(m.ID)
			if got.State != c.state || got.Attempts != 1 {
				t.Fatalf("stored %+v", got)
			}
			if c.state != db.OutboxSent && (got.Err.Kind == "" || got.Err.Step == "") {
				t.Fatalf("no diagnosis kept: %+v", got.Err)
			}
			if c.state == db.OutboxQueued && !got.NextAttemptAt.Equal(e.clock.Now().Add(FirstRetry)) {
				t.Fatalf("next attempt %v, want a minute after %v", got.NextAttemptAt, e.clock.Now())
			}
			// Whatever comes next, the message never arrives twice: the
			// sender tries again whenever the state allows.
			f.SetDropAfter(0)
			for range 3 {
				e.clock.Add(2 * time.Hour)
				runOnce(t, e)
			}
			n := len(f.Messages())
			if n > 1 {
				t.Fatalf("the server received %d copies", n)
			}
			if n < c.received {
				t.Fatalf("the server received %d messages, want at least %d", n, c.received)
			}
			final := e.state(m.ID).State
			switch c.state {
			case db.OutboxQueued:
				if c.closed {
					break
				}
				if final != db.OutboxSent || n != 1 {
					t.Fatalf("after retrying: %s with %d received, want sent once", final, n)
				}
			default:
				if final != c.state {
					t.Fatalf("a %s message became %s", c.state, final)
				}
			}
		})
	}
}

// 4xx then 2xx: sent on the second attempt, one copy, the Sent copy byte
// for byte what the server received, without the Bcc, the original flagged.
func TestTemporaryThenSent(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{})
	f.On("RCPT", "451 4.3.0 try later")
	e := newEnv(t, f.Addr, db.RoleAdmin)
	orig := storeOriginal(t, e)
	m := e.queue(app.Draft{Draft: compose.Draft{Bcc: []compose.Address{{Addr: "hidden@example.test"}}},
		Original: orig, OriginalFlag: db.FlagAnswered})
	if st, _ := e.s.Deliver(ctx, m.ID); st != db.OutboxQueued {
		t.Fatalf("first attempt: %s", st)
	}
	if _, err := e.s.Deliver(ctx, m.ID); !errors.Is(err, ErrNotClaimed) {
		t.Fatalf("delivered before its next attempt: %v", err)
	}
	e.clock.Add(FirstRetry)
	if st, err := e.s.Deliver(ctx, m.ID); st != db.OutboxSent || err != nil {
		t.Fatalf("second attempt: %s %v", st, err)
	}
	got := f.Messages()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	if !contains(got[0].Rcpts, "hidden@example.test") || bytes.Contains(got[0].Body, []byte("hidden@")) {
		t.Fatalf("Bcc: envelope %v; in the header: %v", got[0].Rcpts, bytes.Contains(got[0].Body, []byte("hidden@")))
	}
	sm := e.state(m.ID)
	if sm.State != db.OutboxSent || sm.SentMessageID == nil || sm.Reply == "" || sm.Attempts != 2 {
		t.Fatalf("sent: %+v", sm)
	}
	raw, err := e.store.MessageRaw(ctx, e.user.ID, *sm.SentMessageID)
	if err != nil || !bytes.Equal(raw, got[0].Body) {
		t.Fatalf("Sent copy differs from what the server received (%v)", err)
	}
	copyRow, _ := e.store.Message(ctx, e.user.ID, *sm.SentMessageID)
	sent, _ := e.store.MailboxByRole(ctx, e.user.ID, db.MailboxSent)
	o, _ := e.store.Message(ctx, e.user.ID, orig)
	if copyRow.MailboxID != sent.ID || !copyRow.Flags.Has(db.FlagSeen) || copyRow.Subject != "Hola" || !o.Flags.Has(db.FlagAnswered) {
		t.Fatalf("copy %+v in %d (Sent %d), original flags %v", copyRow, copyRow.MailboxID, sent.ID, o.Flags)
	}
}

func storeOriginal(t *testing.T, e *env) int64 {
	raw := []byte("From: bob@example.test\r\nSubject: question\r\nMessage-ID: <q@example.test>\r\n\r\n?\r\n")
	ids, err := e.store.StoreMessages(ctx, []db.NewMessage{{AccountID: e.acc.ID, UserID: e.user.ID, Raw: raw,
		SHA256: make([]byte, 32), ReceivedAt: e.clock.Now(), SortAt: e.clock.Now(), Subject: "question"}})
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The retry schedule: a minute, doubling to an hour, for a day from the
// first attempt, then failed; nothing received.
func TestBackoffSchedule(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{Greeting: "421 4.3.2 not now"})
	e := newEnv(t, f.Addr, db.RoleAdmin)
	m := e.queue(app.Draft{})
	first := e.clock.Now()
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, time.Hour, time.Hour}
	attempts := 0
	for {
		st, _ := e.s.Deliver(ctx, m.ID)
		attempts++
		if st == db.OutboxFailed {
			break
		}
		if st != db.OutboxQueued || attempts > 100 {
			t.Fatalf("attempt %d: %s", attempts, st)
		}
		next := e.state(m.ID).NextAttemptAt
		gap := next.Sub(e.clock.Now())
		if attempts <= len(want) && gap != want[attempts-1] {
			t.Fatalf("after attempt %d the wait is %v, want %v", attempts, gap, want[attempts-1])
		}
		if gap > MaxRetryInterval || next.After(first.Add(RetryFor)) {
			t.Fatalf("after attempt %d: next at %v", attempts, next)
		}
		e.clock.Set(next)
	}
	if took := e.clock.Now().Sub(first); took != RetryFor {
		t.Fatalf("failed %v after the first attempt, want %v", took, RetryFor)
	}
	// Attempts at 0, 1, 3, 7, 15, 31 and 63 minutes, then hourly to 1383
	// minutes, and the last at the end of the day (1440).
	if attempts != 30 {
		t.Fatalf("%d attempts", attempts)
	}
	if len(f.Messages()) != 0 {
		t.Fatal("a message arrived")
	}
}

func TestBackoffJitter(t *testing.T) {
	for n := 1; n < 12; n++ {
		lo, hi := Backoff(n, 0), Backoff(n, 0.999999)
		mid := Backoff(n, 0.5)
		if lo >= mid || hi <= mid || float64(hi-lo) > 0.2*float64(mid)+1 || mid > MaxRetryInterval {
			t.Fatalf("attempt %d: %v %v %v", n, lo, mid, hi)
		}
	}
}

// A sender killed (its lease runs out) before its final "." loses nothing:
// the message is sent once by the next. One killed after it: maybe sent,
// never sent again without the user; "send it again" sends it.
func TestRecoveryAfterAKill(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{})
	e := newEnv(t, f.Addr, db.RoleAdmin)
	before, after := e.queue(app.Draft{}), e.queue(app.Draft{})
	now := e.clock.Now()
	for _, id := range []int64{before.ID, after.ID} {
		if _, ok, err := e.store.ClaimOutbox(ctx, id, "killed", now, now.Add(DefaultLease)); !ok || err != nil {
			t.Fatal("claim", err)
		}
	}
	if err := e.store.MarkOutboxDot(ctx, after.ID, "killed", now); err != nil {
		t.Fatal(err)
	}
	runOnce(t, e) // within the lease: nothing moves
	if e.state(before.ID).State != db.OutboxSending || len(f.Messages()) != 0 {
		t.Fatal("a claim was taken over within its lease")
	}
	e.clock.Add(DefaultLease + time.Second)
	runOnce(t, e)
	if st := e.state(before.ID).State; st != db.OutboxSent {
		t.Fatalf("interrupted before the dot: %s", st)
	}
	if st := e.state(after.ID).State; st != db.OutboxMaybeSent {
		t.Fatalf("interrupted after the dot: %s", st)
	}
	e.clock.Add(time.Hour)
	runOnce(t, e)
	if n := len(f.Messages()); n != 1 {
		t.Fatalf("received %d, want 1", n)
	}
	if err := e.outbox.Resolve(ctx, e.user.ID, after.ID, app.ResolveSendAgain); err != nil {
		t.Fatal(err)
	}
	runOnce(t, e)
	if st := e.state(after.ID).State; st != db.OutboxSent || len(f.Messages()) != 2 {
		t.Fatalf("sent again on request: %s, %d received", st, len(f.Messages()))
	}
}

// runOnce has the sender look at the outbox once, as Run does, and
// waits for what it started.
func runOnce(t *testing.T, e *env) {
	t.Helper()
	e.s.init()
	var wg sync.WaitGroup
	e.s.pass(ctx, &wg, make(chan struct{}, 2))
	wg.Wait()
}

// The window: a message undone in it never leaves, and comes back to edit.
func TestUndo(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{})
	e := newEnv(t, f.Addr, db.RoleAdmin)
	e.outbox.UndoWindow = app.DefaultUndo
	m := e.queue(app.Draft{Draft: compose.Draft{Subject: "Oops", Text: "not yet\n",
		Attachments: []compose.Attachment{{Name: "a.txt", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }}}}})
	if _, err := e.s.Deliver(ctx, m.ID); !errors.Is(err, ErrNotClaimed) {
		t.Fatalf("delivered in the undo window: %v", err)
	}
	u, err := e.outbox.Undo(ctx, e.user.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Subject != "Oops" || u.Text != "not yet\n" || u.DraftID == 0 || len(u.AttachmentNames) != 0 {
		t.Fatalf("undone: %+v", u)
	}
	if files, err := app.NewDrafts(e.store).Files(ctx, e.user.ID, u.DraftID, u.Draft); err != nil || len(files) != 1 || files[0].Name != "a.txt" {
		t.Fatalf("the undone message's files: %+v %v", files, err)
	}
	e.clock.Add(time.Minute)
	runOnce(t, e)
	if len(f.Messages()) != 0 || e.state(m.ID).State != db.OutboxCancelled {
		t.Fatal("an undone message left")
	}
	m2 := e.queue(app.Draft{})
	e.clock.Add(app.DefaultUndo)
	if st, _ := e.s.Deliver(ctx, m2.ID); st != db.OutboxSent {
		t.Fatal(st)
	}
	if _, err := e.outbox.Undo(ctx, e.user.ID, m2.ID); err == nil {
		t.Fatal("undid a sent message")
	} else if _, ok := app.AsInvalid(err); !ok {
		t.Fatalf("undo too late: %v, want an *Invalid", err)
	}
}

// A member's account cannot reach this computer, whatever it says.
func TestMemberCannotReachLoopback(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{})
	e := newEnv(t, f.Addr, db.RoleMember)
	e.s.MemberPrivateServers = true
	m := e.queue(app.Draft{})
	st, err := e.s.Deliver(ctx, m.ID)
	if st != db.OutboxFailed || smtpclient.KindOf(err) != smtpclient.KindAddressNotAllowed {
		t.Fatalf("%s %v", st, err)
	}
	if len(f.Commands()) != 0 || len(f.Messages()) != 0 {
		t.Fatal("the server was reached")
	}
}

// offers is what the account keeps of its outgoing server's offers.
func (e *env) offers() db.SMTPOffers {
	e.t.Helper()
	a, err := e.store.Account(ctx, e.user.ID, e.acc.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.OutgoingOffers
}

// A server whose SIZE is smaller than a queued message: a permanent
// failure that says its limit, nothing sent; what it offers is kept, so
// that the same message is refused before it is queued next time.
func TestDeliverySeesSize(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{Ext: []string{"SIZE 5000", "AUTH PLAIN LOGIN"}})
	e := newEnv(t, f.Addr, db.RoleAdmin)
	big := app.Draft{Draft: compose.Draft{To: []compose.Address{{Addr: "bob@example.test"}}, Text: strings.Repeat("a line of text\n", 500)}}
	m := e.queue(big) // the server was never seen: the outbox does not know its limit
	st, err := e.s.Deliver(ctx, m.ID)
	var se *smtpclient.Error
	if st != db.OutboxFailed || !errors.As(err, &se) || se.Kind != smtpclient.KindMessageTooLarge || se.Limit != 5000 {
		t.Fatalf("state %s, err %v", st, err)
	}
	if got := e.state(m.ID).Err; got.Kind != string(smtpclient.KindMessageTooLarge) || !strings.Contains(got.Text, "5000") {
		t.Fatalf("kept %+v", got)
	}
	if f.SawCommand("MAIL") || len(f.Messages()) != 0 {
		t.Fatalf("commands %q", f.Commands())
	}
	if o := e.offers(); !o.Known() || o.MaxSize != 5000 || o.SMTPUTF8 {
		t.Fatalf("offers %+v", o)
	}
	_, err = e.outbox.Send(ctx, e.user.ID, e.acc.ID, big)
	if inv, ok := app.AsInvalid(err); !ok || len(inv.Problems) != 1 || inv.Problems[0].Field != compose.FieldAttachment {
		t.Fatalf("queued again: %v", err)
	}
}

// MAIL FROM declares SMTPUTF8 for a message to an address with a UTF-8
// user name, and for no other.
func TestDeliverySMTPUTF8OnlyWhenNeeded(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{}) // offers SMTPUTF8
	e := newEnv(t, f.Addr, db.RoleAdmin)
	utf8 := e.queue(app.Draft{Draft: compose.Draft{To: []compose.Address{{Name: "Zoë", Addr: "zoë@example.test"}}, Subject: "Ça va?"}})
	plain := e.queue(app.Draft{Draft: compose.Draft{To: []compose.Address{{Name: "Zoë", Addr: "zoe@example.test"}}, Subject: "Ça va?"}})
	for _, m := range []db.OutboxMessage{utf8, plain} {
		if st, err := e.s.Deliver(ctx, m.ID); st != db.OutboxSent {
			t.Fatalf("message %d: %s %v", m.ID, st, err)
		}
	}
	var mails []string
	for _, c := range f.Commands() {
		if strings.HasPrefix(c, "MAIL FROM:") {
			mails = append(mails, c)
		}
	}
	if len(mails) != 2 || !strings.Contains(mails[0], "SMTPUTF8") || strings.Contains(mails[1], "SMTPUTF8") {
		t.Fatalf("MAIL commands %q", mails)
	}
	if got := f.Messages(); len(got) != 2 || got[0].Rcpts[0] != "zoë@example.test" {
		t.Fatalf("received %+v", got)
	}
	if o := e.offers(); !o.Known() || !o.SMTPUTF8 || o.MaxSize != 100000 {
		t.Fatalf("offers %+v", o)
	}
}

// A message queued for SMTPUTF8 while the server offered it, delivered
// once it no longer does: a permanent failure of its own kind, nothing
// sent, not sent again in another form.
func TestDeliverySMTPUTF8Withdrawn(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{Ext: []string{"SIZE 100000", "AUTH PLAIN LOGIN"}})
	e := newEnv(t, f.Addr, db.RoleAdmin)
	if err := e.store.RecordSMTPOffers(ctx, e.acc.ID, e.acc.Outgoing, db.SMTPOffers{SMTPUTF8: true}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	m := e.queue(app.Draft{Draft: compose.Draft{To: []compose.Address{{Addr: "zoë@example.test"}}}})
	if !m.SMTPUTF8 {
		t.Fatalf("queued without SMTPUTF8: %+v", m)
	}
	st, err := e.s.Deliver(ctx, m.ID)
	if st != db.OutboxFailed || smtpclient.KindOf(err) != smtpclient.KindSMTPUTF8 {
		t.Fatalf("state %s, err %v", st, err)
	}
	if f.SawCommand("MAIL") || len(f.Messages()) != 0 {
		t.Fatalf("commands %q", f.Commands())
	}
	if o := e.offers(); !o.Known() || o.SMTPUTF8 {
		t.Fatalf("offers %+v", o)
	}
	e.clock.Add(2 * time.Hour)
	runOnce(t, e)
	if got := e.state(m.ID); got.State != db.OutboxFailed || got.Attempts != 1 || got.Err.Kind != string(smtpclient.KindSMTPUTF8) {
		t.Fatalf("after another pass: %+v", got)
	}
}
