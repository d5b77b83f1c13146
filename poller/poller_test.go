package poller

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/pop3client"
)

type fixture struct {
	srv  *dovecottest.Server
	db   *db.DB
	key  *secret.Key
	p    *Poller
	user db.User
}

func newFixture(t *testing.T, opts dovecottest.Options) *fixture {
	t.Helper()
	srv := dovecottest.Start(t, opts)
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	key, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(srv.CertPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.CreateUser(context.Background(), "ana", "hash", db.RoleAdmin) // an administrator: its accounts may reach the loopback test server
	if err != nil {
		t.Fatal(err)
	}
	p := &Poller{DB: d, Key: key, ExtraRootCAs: []*x509.Certificate{ca}, Timeout: 20 * time.Second, Tick: 50 * time.Millisecond}
	return &fixture{srv: srv, db: d, key: key, p: p, user: u}
}

func (f *fixture) account(t *testing.T, password string, deleteAfter bool) db.Account {
	t.Helper()
	sealed, err := f.key.Seal([]byte(password), app.PasswordContext(f.user.ID))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(f.srv.TLSAddr)
	portN, _ := strconv.Atoi(port)
	a, err := f.db.CreateAccount(context.Background(), f.user.ID, db.AccountSettings{Name: "Test", Email: "alice@example.org",
		Host: host, Port: portN, Security: "tls", Username: "alice", PasswordSealed: sealed,
		DeleteAfterDownload: deleteAfter, PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// storedRaw returns the raw bytes of every stored message, oldest first.
func (f *fixture) storedRaw(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	page, err := f.db.ListMessages(context.Background(), f.user.ID, db.ListQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range page.Messages {
		raw, err := f.db.MessageRaw(context.Background(), f.user.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if out[string(raw)] {
			t.Fatalf("message %d stored twice", m.ID)
		}
		out[string(raw)] = true
	}
	if len(out) != page.Total {
		t.Fatalf("%d distinct of %d stored", len(out), page.Total)
	}
	return out
}

func mailbox(n int) [][]byte {
	box := mailgen.Mailbox{Seed: 3}
	out := make([][]byte, n)
	for i := range out {
		out[i] = box.Message(i)
	}
	return out
}

func TestSyncKeepsACopy(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	msgs := mailbox(150)
	if err := f.srv.AddMessages("alice", msgs[:100]); err != nil {
		t.Fatal(err)
	}
	a := f.account(t, "secret", false)
	ctx := context.Background()
	res, err := f.p.SyncAccount(ctx, a.ID)
	if err != nil || res.Err != nil || res.New != 100 || res.Deleted != 0 || res.ServerCount != 100 {
		t.Fatalf("first sync: %v %v", res, err)
	}
	stored := f.storedRaw(t)
	for i, m := range msgs[:100] {
		if !stored[string(m)] {
			t.Fatalf("message %d not stored byte for byte", i)
		}
	}
	// Nothing new: nothing downloaded again. Then 50 more arrive.
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 {
		t.Fatalf("second sync: %v", res)
	}
	if err := f.srv.AddMessages("alice", msgs[100:]); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 50 {
		t.Fatalf("third sync: %v", res)
	}
	if left, _ := f.srv.Messages("alice"); len(left) != 150 {
		t.Fatalf("keep a copy: %d left on the server", len(left))
	}
	// A message deleted here for good is not downloaded again.
	page, _ := f.db.ListMessages(ctx, f.user.ID, db.ListQuery{Limit: 1})
	if _, err := f.db.TrashMessages(ctx, f.user.ID, []int64{page.Messages[0].ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.EmptyTrash(ctx, f.user.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 {
		t.Fatalf("after a local delete: %v", res)
	}
	acc, _ := f.db.Account(ctx, f.user.ID, a.ID)
	if acc.LastSuccess == nil || acc.LastErrorKind != "" || acc.MessageCount != 149 || *acc.ServerCount != 150 {
		t.Fatalf("account status %+v", acc)
	}
}

func TestSyncDeleteAfterDownload(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	msgs := mailbox(60)
	if err := f.srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	a := f.account(t, "secret", true)
	res, err := f.p.SyncAccount(context.Background(), a.ID)
	if err != nil || res.Err != nil || res.New != 60 || res.Deleted != 60 {
		t.Fatalf("sync: %v %v", res, err)
	}
	if left, _ := f.srv.Messages("alice"); len(left) != 0 {
		t.Fatalf("%d messages left on the server", len(left))
	}
	stored := f.storedRaw(t)
	for i, m := range msgs {
		if !stored[string(m)] {
			t.Fatalf("message %d deleted on the server but not stored", i)
		}
	}
}

func TestSyncSwitchToDeleteDeletesOldMail(t *testing.T) {
	// Mail downloaded while "keep a copy" was chosen is deleted on the
	// server once the user switches to "delete after download", without
	// being downloaded again.
	f := newFixture(t, dovecottest.Options{})
	if err := f.srv.AddMessages("alice", mailbox(10)); err != nil {
		t.Fatal(err)
	}
	a := f.account(t, "secret", false)
	ctx := context.Background()
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.New != 10 {
		t.Fatalf("%v", res)
	}
	s := a.AccountSettings
	s.PasswordSealed, s.DeleteAfterDownload = nil, true
	if err := f.db.UpdateAccount(ctx, f.user.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	res, _ := f.p.SyncAccount(ctx, a.ID)
	if res.Err != nil || res.New != 0 || res.Deleted != 10 {
		t.Fatalf("%v", res)
	}
	if left, _ := f.srv.Messages("alice"); len(left) != 0 {
		t.Fatalf("%d left", len(left))
	}
}

func TestSyncWrongPasswordStopsAfterThree(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	a := f.account(t, "wrong", false)
	ctx := context.Background()
	for i := 0; i < MaxAuthFailures; i++ {
		res, _ := f.p.SyncAccount(ctx, a.ID)
		if pop3client.KindOf(res.Err) != pop3client.KindAuthFailed {
			t.Fatalf("sync %d: %v", i, res.Err)
		}
	}
	acc, _ := f.db.Account(ctx, f.user.ID, a.ID)
	if acc.LastErrorKind != string(pop3client.KindAuthFailed) || acc.AuthFailures != MaxAuthFailures || acc.FailingSince == nil {
		t.Fatalf("%+v", acc)
	}
	if due, _ := f.db.DueAccounts(ctx, time.Now().Add(24*time.Hour), MaxAuthFailures); len(due) != 0 {
		t.Fatal("still polled after three rejected passwords")
	}
}

func TestRunLoop(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	if err := f.srv.AddMessages("alice", mailbox(5)); err != nil {
		t.Fatal(err)
	}
	a := f.account(t, "secret", false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		acc, _ := f.db.Account(context.Background(), f.user.ID, a.ID)
		if acc.MessageCount == 5 && acc.LastSuccess != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the poller did not sync: %+v", acc)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// "Check now" while idle: more mail arrives and Wake fetches it.
	if err := f.srv.AddMessages("alice", mailbox(8)[5:]); err != nil {
		t.Fatal(err)
	}
	if err := f.db.PollNow(context.Background(), f.user.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	f.p.Wake()
	for {
		acc, _ := f.db.Account(context.Background(), f.user.ID, a.ID)
		if acc.MessageCount == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("check now did not sync: %+v", acc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestNextPoll(t *testing.T) {
	now := time.Unix(0, 0)
	for _, tc := range []struct {
		failures int
		min, max time.Duration
	}{
		{0, 9 * time.Minute, 11 * time.Minute},
		{1, 9 * time.Minute, 11 * time.Minute},
		{2, 18 * time.Minute, 22 * time.Minute},
		{3, 36 * time.Minute, 44 * time.Minute},
		{30, 5 * time.Hour, 7 * time.Hour},
	} {
		for i := 0; i < 50; i++ {
			d := nextPoll(now, 10*time.Minute, tc.failures, 0).Sub(now)
			if d < tc.min || d > tc.max {
				t.Fatalf("%d failures: %v not in [%v, %v]", tc.failures, d, tc.min, tc.max)
			}
		}
	}
	if d := nextPoll(now, time.Minute, 0, 15*time.Minute).Sub(now); d != 15*time.Minute {
		t.Fatalf("LOGIN-DELAY not respected: %v", d)
	}
}

// TestSyncAccountBusy: never two syncs of one account at once.
func TestSyncAccountBusy(t *testing.T) {
	p := &Poller{}
	p.init()
	if !p.claim(7) {
		t.Fatal("claim of an idle account failed")
	}
	if _, err := p.SyncAccount(context.Background(), 7); !errors.Is(err, ErrBusy) {
		t.Fatalf("a second sync of a busy account: %v", err)
	}
	if p.claim(7) {
		t.Fatal("claimed twice")
	}
	p.release(7)
	if !p.claim(7) {
		t.Fatal("not claimable after release")
	}
}
