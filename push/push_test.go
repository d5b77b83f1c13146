package push

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/pushtest"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/poller"
)

type fixture struct {
	db    *db.DB
	key   *secret.Key
	notes *app.Notifications
	stub  *pushtest.Server
	user  db.User
	acc   db.Account
	n     *Notifier
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	key, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: d, key: key, notes: app.NewNotifications(d, key), stub: pushtest.NewServer()}
	t.Cleanup(f.stub.Close)
	// An administrator: its devices may be on loopback, as the stub is.
	if f.user, err = d.CreateUser(ctx, "ana", "hash", db.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	f.acc = f.account(t, f.user, "Casa", "ana@example.org")
	f.n = &Notifier{DB: d, Key: key, Timeout: 20 * time.Second}
	return f
}

func (f *fixture) account(t *testing.T, u db.User, name, email string) db.Account {
	t.Helper()
	a, err := f.db.CreateAccount(context.Background(), u.ID, db.AccountSettings{Name: name, Email: email,
		Host: "pop.example.org", Port: 995, Security: "tls", Username: "ana", PasswordSealed: []byte("x"),
		PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// subscribe makes a device of u's at the stub's path, through the rules
// the web uses.
func (f *fixture) subscribe(t *testing.T, u db.User, path string) (*pushtest.Browser, db.PushSubscription) {
	t.Helper()
	endpoint, b, err := f.stub.Subscribe(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.notes.Subscribe(context.Background(), u.ID, app.Subscription{Endpoint: endpoint, P256dh: b.P256dh(),
		Auth: b.AuthSecret(), Label: "Chrome · Linux", Locale: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

// store stores messages in acc, in its owner's inbox (or role).
func (f *fixture) store(t *testing.T, acc db.Account, role db.MailboxRole, from, subject string) {
	t.Helper()
	raw := []byte(fmt.Sprintf("From: %s\r\nSubject: %s\r\n\r\nhello %d\r\n", from, subject, time.Now().UnixNano()))
	sum := sha256.Sum256(raw)
	name, addr, _ := strings.Cut(from, " <")
	m := db.NewMessage{AccountID: acc.ID, UserID: acc.UserID, Raw: raw, SHA256: sum[:], ReceivedAt: time.Now(),
		SortAt: time.Now(), FromName: name, FromAddr: strings.TrimSuffix(addr, ">"), Subject: subject}
	var err error
	if role == db.MailboxInbox {
		_, err = f.db.StoreMessages(context.Background(), []db.NewMessage{m})
	} else {
		_, err = f.db.StoreInMailbox(context.Background(), m, role, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// run runs the notifier until the returned stop, which waits for it and
// every push in flight.
func (f *fixture) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.n.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func (f *fixture) optIn(t *testing.T, u db.User, accs ...db.Account) {
	t.Helper()
	on := map[int64]bool{}
	for _, a := range accs {
		on[a.ID] = true
	}
	if err := f.notes.SetAccounts(context.Background(), u.ID, on); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, pushes chan pushtest.Push) pushtest.Push {
	t.Helper()
	select {
	case p := <-pushes:
		return p
	case <-time.After(60 * time.Second):
		t.Fatal("no push reached the push service")
	}
	return pushtest.Push{}
}

// TestPushNewMail: one push per check, not per message, signed with the
// server's VAPID key (the stub verifies the JWT's ES256 signature, aud,
// exp and sub) and encrypted for the browser (the stub decrypts it as RFC
// 8291 says), saying the account, the count and the newest sender and
// subject, in the owner's language, and nothing more of the mail.
func TestPushNewMail(t *testing.T) {
	f := newFixture(t)
	f.optIn(t, f.user, f.acc)
	_, dev := f.subscribe(t, f.user, "/push/laptop")
	f.store(t, f.acc, db.MailboxInbox, "Zoë Martin <zoe@example.net>", "Older")
	f.store(t, f.acc, db.MailboxInbox, "Zoë Martin <zoe@example.net>", "Café mañana")
	stop := f.run(t)

	f.n.NewMail(f.acc.ID, 2)
	p := next(t, f.stub.Pushes)
	if p.Err != nil {
		t.Fatalf("the push service refused the push: %v", p.Err)
	}
	keys, err := f.notes.VAPID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Key != keys.Public {
		t.Errorf("signed with k=%s, want the server's key %s", p.Key, keys.Public)
	}
	if p.Claims.Sub != "mailto:ana@example.org" {
		t.Errorf("sub %q, want the first administrator's address as one mailto:", p.Claims.Sub)
	}
	if got := p.Header.Get("TTL"); got != "86400" {
		t.Errorf("TTL %q", got)
	}
	if got := p.Header.Get("Topic"); got != fmt.Sprintf("account-%d", f.acc.ID) {
		t.Errorf("Topic %q", got)
	}
	var got map[string]any
	if err := json.Unmarshal(p.Payload, &got); err != nil {
		t.Fatalf("payload %q: %v", p.Payload, err)
	}
	want := map[string]any{
		"account_id": float64(f.acc.ID), "account": "Casa", "count": float64(2), "from": "Zoë Martin",
		"subject": "Café mañana", "title": "New mail in Casa", "body": "Zoë Martin — Café mañana\n2 new messages",
		"url": fmt.Sprintf("/mail?account=%d", f.acc.ID), "unread": float64(2),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("payload\n got %v\nwant %v", got, want)
	}
	stop()
	select {
	case p := <-f.stub.Pushes:
		t.Errorf("a second push for one check: %s", p.Payload)
	default:
	}
	if devs, _ := f.db.PushSubscriptions(context.Background(), f.user.ID); len(devs) != 1 || devs[0].ID != dev.ID {
		t.Errorf("after a delivered push the devices are %+v", devs)
	}
}

// TestPushLanguage: a user who follows the browser gets each device's
// language; one who chose a language gets it everywhere.
func TestPushLanguage(t *testing.T) {
	f := newFixture(t)
	f.optIn(t, f.user, f.acc)
	endpoint, b, err := f.stub.Subscribe("/push/movil")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.notes.Subscribe(context.Background(), f.user.ID, app.Subscription{Endpoint: endpoint,
		P256dh: b.P256dh(), Auth: b.AuthSecret(), Locale: "es"}); err != nil {
		t.Fatal(err)
	}
	f.store(t, f.acc, db.MailboxInbox, "Jörg <joerg@example.de>", "")
	f.run(t)
	f.n.NewMail(f.acc.ID, 1)
	p := next(t, f.stub.Pushes)
	var got Payload
	if err := json.Unmarshal(p.Payload, &got); err != nil || p.Err != nil {
		t.Fatalf("payload %q: %v %v", p.Payload, err, p.Err)
	}
	if got.Title != "Correo nuevo en Casa" || got.Body != "Jörg — (sin asunto)" {
		t.Errorf("in Spanish: %q / %q", got.Title, got.Body)
	}
}

// TestPushGone: a push service that no longer knows a subscription (404,
// 410) gets it deleted; one that refuses otherwise (500) keeps it.
func TestPushGone(t *testing.T) {
	f := newFixture(t)
	f.optIn(t, f.user, f.acc)
	_, gone := f.subscribe(t, f.user, "/push/gone")
	_, unknown := f.subscribe(t, f.user, "/push/unknown")
	_, broken := f.subscribe(t, f.user, "/push/broken")
	_, fine := f.subscribe(t, f.user, "/push/fine")
	f.stub.Answer("/push/gone", http.StatusGone)
	f.stub.Answer("/push/unknown", http.StatusNotFound)
	f.stub.Answer("/push/broken", http.StatusInternalServerError)
	f.store(t, f.acc, db.MailboxInbox, "Shop <news@shop.example>", "Shipped")
	stop := f.run(t)
	f.n.NewMail(f.acc.ID, 1)
	seen := map[string]bool{}
	for range 4 {
		p := next(t, f.stub.Pushes)
		if p.Err != nil {
			t.Errorf("%s: %v", p.Path, p.Err)
		}
		seen[p.Path] = true
	}
	if len(seen) != 4 {
		t.Fatalf("pushes went to %v", seen)
	}
	// The answers are dealt with after the service has reported the
	// pushes: wait until two devices are left (or time runs out).
	var left map[int64]bool
	for deadline := time.Now().Add(60 * time.Second); ; {
		devs, err := f.db.PushSubscriptions(context.Background(), f.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		left = map[int64]bool{}
		for _, d := range devs {
			left[d.ID] = true
		}
		if len(left) <= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if left[gone.ID] || left[unknown.ID] || !left[broken.ID] || !left[fine.ID] || len(left) != 2 {
		t.Errorf("left %v; gone %d, unknown %d, broken %d, fine %d", left, gone.ID, unknown.ID, broken.ID, fine.ID)
	}
}

// TestPushOnlyWhatWasAskedFor: no push for an account its owner did not
// choose, nor for mail that went to junk; never to another user's
// devices.
func TestPushOnlyWhatWasAskedFor(t *testing.T) {
	f := newFixture(t)
	other := f.account(t, f.user, "Trabajo", "ana@work.example")
	f.optIn(t, f.user, f.acc)
	f.subscribe(t, f.user, "/push/ana")
	bob, err := f.db.CreateUser(context.Background(), "bob", "hash", db.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	bobAcc := f.account(t, bob, "Bob", "bob@example.org")
	f.optIn(t, bob, bobAcc)
	f.subscribe(t, bob, "/push/bob")

	f.store(t, other, db.MailboxInbox, "Boss <boss@work.example>", "Monday")
	// Mum's first, then the junk: the newest message is the junk one.
	f.store(t, f.acc, db.MailboxInbox, "Mum <mum@example.org>", "Sunday lunch")
	f.store(t, f.acc, db.MailboxJunk, "Spam <spam@example.com>", "Win")
	stop := f.run(t)
	f.n.NewMail(other.ID, 1) // not chosen
	f.n.NewMail(f.acc.ID, 1) // the newest is the junk one: nothing to tell
	f.n.NewMail(f.acc.ID, 2) // Mum's is in the inbox
	p := next(t, f.stub.Pushes)
	var got Payload
	if err := json.Unmarshal(p.Payload, &got); err != nil || p.Err != nil {
		t.Fatalf("payload %q: %v %v", p.Payload, err, p.Err)
	}
	if p.Path != "/push/ana" || got.Subject != "Sunday lunch" || got.Count != 1 || got.AccountID != f.acc.ID {
		t.Errorf("the push to %s says %+v", p.Path, got)
	}
	stop()
	select {
	case p := <-f.stub.Pushes:
		t.Errorf("an unwanted push to %s: %s", p.Path, p.Payload)
	default:
	}
}

// TestPushHangingService: a push service that never answers holds
// nobody up: NewMail returns at once while the push hangs, and the push
// gives up at its deadline, freeing its slot for the next.
func TestPushHangingService(t *testing.T) {
	f := newFixture(t)
	f.n.Concurrency = 1
	f.n.Timeout = 2 * time.Second
	f.optIn(t, f.user, f.acc)
	f.subscribe(t, f.user, "/push/hang")
	release := make(chan struct{})
	defer close(release)
	f.stub.Hold("/push/hang", release)
	f.store(t, f.acc, db.MailboxInbox, "Zoë <zoe@example.net>", "One")
	f.run(t)
	f.n.NewMail(f.acc.ID, 1)
	first := next(t, f.stub.Pushes) // and now it hangs
	if first.Err != nil {
		t.Fatal(first.Err)
	}
	// Many more checks than the queue holds, while the only slot is
	// taken: none of them waits.
	for range DefaultQueueSize + 10 {
		f.n.NewMail(f.acc.ID, 1)
	}
	// The hanging push times out; the next one is sent.
	f.stub.Hold("/push/hang", nil)
	second := next(t, f.stub.Pushes)
	if second.Err != nil {
		t.Fatal(second.Err)
	}
}

// TestPollerNotBlockedByPush: a sync that stored mail ends, and its
// account's slot is free, while the push about it hangs at the push
// service (held there for far longer than the test may run).
func TestPollerNotBlockedByPush(t *testing.T) {
	f := newFixture(t)
	f.n.Timeout = 10 * time.Minute
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages(dovecottest.DefaultUser, [][]byte{
		[]byte("From: Zoë <zoe@example.net>\r\nSubject: One\r\nMessage-ID: <1@example.net>\r\n\r\nhi\r\n"),
		[]byte("From: Zoë <zoe@example.net>\r\nSubject: Two\r\nMessage-ID: <2@example.net>\r\n\r\nhi\r\n"),
	}); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(srv.CertPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := f.key.Seal([]byte(dovecottest.DefaultPassword), app.PasswordContext(f.user.ID))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.TLSAddr)
	portN, _ := strconv.Atoi(port)
	acc, err := f.db.CreateAccount(context.Background(), f.user.ID, db.AccountSettings{Name: "Dovecot", Email: "alice@example.org",
		Host: host, Port: portN, Security: "tls", Username: dovecottest.DefaultUser, PasswordSealed: sealed,
		PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	f.optIn(t, f.user, acc)
	f.subscribe(t, f.user, "/push/hang")
	release := make(chan struct{})
	defer close(release)
	f.stub.Hold("/push/hang", release)
	f.run(t)

	p := &poller.Poller{DB: f.db, Key: f.key, ExtraRootCAs: []*x509.Certificate{ca}, Timeout: 20 * time.Second, NewMail: f.n}
	done := make(chan poller.Result, 1)
	go func() {
		res, err := p.SyncAccount(context.Background(), acc.ID)
		if err != nil {
			res.Err = err
		}
		done <- res
	}()
	pushed := next(t, f.stub.Pushes) // the push is at the service now, and hangs there
	if pushed.Err != nil {
		t.Fatal(pushed.Err)
	}
	select {
	case res := <-done:
		if res.Err != nil || res.New != 2 {
			t.Fatalf("sync: %v", res)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the sync waits for the push service")
	}
	// The account can be synced again at once: nothing holds it.
	if _, err := p.SyncAccount(context.Background(), acc.ID); err != nil {
		t.Fatalf("a second sync: %v", err)
	}
	var got Payload
	if err := json.Unmarshal(pushed.Payload, &got); err != nil || got.Subject != "Two" || got.Count != 2 {
		t.Errorf("the push says %s (%v)", pushed.Payload, err)
	}
}

// TestPushMemberGuard: a push for a user who is not an administrator
// connects as that user could: never to this computer, where the
// loopback push service is, so a member cannot make Apartado post to its
// own services by subscribing with such an address. An administrator's
// push there goes through.
func TestPushMemberGuard(t *testing.T) {
	f := newFixture(t)
	f.n.Concurrency = 1 // the member's push is over before the administrator's starts
	bob, err := f.db.CreateUser(context.Background(), "bob", "hash", db.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	bobAcc := f.account(t, bob, "Bob", "bob@example.org")
	f.optIn(t, bob, bobAcc)
	f.subscribe(t, bob, "/push/bob")
	f.optIn(t, f.user, f.acc)
	f.subscribe(t, f.user, "/push/ana")
	f.store(t, bobAcc, db.MailboxInbox, "Zoë <zoe@example.net>", "For Bob")
	f.store(t, f.acc, db.MailboxInbox, "Zoë <zoe@example.net>", "For Ana")
	stop := f.run(t)
	f.n.NewMail(bobAcc.ID, 1)
	f.n.NewMail(f.acc.ID, 1)
	if p := next(t, f.stub.Pushes); p.Path != "/push/ana" {
		t.Fatalf("a push reached %s on loopback", p.Path)
	}
	stop()
	if devs, _ := f.db.PushSubscriptions(context.Background(), bob.ID); len(devs) != 1 {
		t.Errorf("a refused connection deleted bob's device: %+v", devs)
	}
}
