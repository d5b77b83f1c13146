package poller

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/faultproxy"
	"github.com/apartado/apartado/internal/popa3dtest"
	"github.com/apartado/apartado/internal/secret"
)

// popa3dMailbox is 30 messages, 15 of them without the headers popa3d's
// UIDL is a hash of (Received, Date, Message-ID), so that those 15 share
// one UIDL. Of these, two are the same message delivered twice and two
// have the same header and size but not the same body: neither pair can
// be told apart, and the 11 others can, by their header key.
func popa3dMailbox() (withIDs, shared, twice, sameHeader [][]byte) {
	for i := range 15 {
		withIDs = append(withIDs, fmt.Appendf(nil, "Received: from mx.example.org by pop.example.org; Mon, 5 Jan 2026 10:%02d:00 +0000\r\n"+
			"Date: Mon, 5 Jan 2026 10:%02d:00 +0000\r\nMessage-ID: <m%d@example.org>\r\nSubject: with ids %d\r\n\r\nbody %d\r\n", i, i, i, i, i))
	}
	for i := range 11 {
		shared = append(shared, fmt.Appendf(nil, "From: a@example.org\r\nSubject: note %02d\r\n\r\nbody %s\r\n", i, strings.Repeat("x", 40+i)))
	}
	m := []byte("Subject: twice\r\n\r\nthe same message delivered twice\r\n")
	twice = [][]byte{m, m}
	sameHeader = [][]byte{[]byte("Subject: same header\r\n\r\nbody A\r\n"), []byte("Subject: same header\r\n\r\nbody B\r\n")}
	return withIDs, shared, twice, sameHeader
}

// popa3dEnv is a popa3d with its messages, reached through a proxy that
// records the commands, and a poller with an account on it.
type popa3dEnv struct {
	srv   *popa3dtest.Server
	proxy *faultproxy.Proxy
	f     *fixture
	acc   db.Account
}

func newPopa3dEnv(t *testing.T, deleteAfter bool, msgs [][]byte) *popa3dEnv {
	t.Helper()
	srv := popa3dtest.Start(t)
	if err := srv.AddMessages(msgs); err != nil {
		t.Fatal(err)
	}
	proxy, err := faultproxy.New(faultproxy.Config{Target: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	key, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.CreateUser(context.Background(), "ana", "hash", db.RoleAdmin) // an administrator: its accounts may reach the loopback test server
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: d, key: key, user: u, p: &Poller{DB: d, Key: key, Timeout: 20 * time.Second}}
	sealed, err := key.Seal([]byte(srv.Password), app.PasswordContext(u.ID))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(proxy.Addr())
	acc, err := d.CreateAccount(context.Background(), u.ID, db.AccountSettings{Name: "popa3d", Email: "alice@example.org",
		Host: host, Port: atoi(port), Security: "none", Username: srv.User, PasswordSealed: sealed,
		DeleteAfterDownload: deleteAfter, DeleteWhenDeleted: db.DeleteNever, PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return &popa3dEnv{srv: srv, proxy: proxy, f: f, acc: acc}
}

// sync runs a sync and returns it with the number of TOP commands sent.
func (e *popa3dEnv) sync(t *testing.T) (Result, int) {
	t.Helper()
	e.proxy.Arm(nil) // clears the transcript
	res, err := e.f.p.SyncAccount(context.Background(), e.acc.ID)
	if err != nil || res.Err != nil {
		t.Fatalf("sync: %v %v\npopa3d: %s", res, err, e.srv.Log())
	}
	tops := 0
	for _, l := range e.proxy.Transcript() {
		if strings.HasPrefix(l, "C: TOP ") {
			tops++
		}
	}
	return res, tops
}

// wantStored checks that every message is stored once, byte for byte.
func (e *popa3dEnv) wantStored(t *testing.T, msgs [][]byte) {
	t.Helper()
	stored := e.f.storedRaw(t)
	want := map[string]bool{}
	for _, m := range msgs {
		want[string(m)] = true
	}
	if len(stored) != len(want) {
		t.Fatalf("%d stored, want %d", len(stored), len(want))
	}
	for m := range want {
		if !stored[m] {
			t.Fatalf("not stored byte for byte: %q", m)
		}
	}
}

// wantOnServer checks what is left in the mailbox.
func (e *popa3dEnv) wantOnServer(t *testing.T, msgs [][]byte) {
	t.Helper()
	left, err := e.srv.Messages()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(left, msgs, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("%d left on the server, want %d: %q", len(left), len(msgs), left)
	}
}

// interleave mixes the messages with UIDLs of their own with the others.
func interleave(a, b [][]byte) [][]byte {
	var out [][]byte
	for i := range max(len(a), len(b)) {
		if i < len(a) {
			out = append(out, a[i])
		}
		if i < len(b) {
			out = append(out, b[i])
		}
	}
	return out
}

func TestPopa3dKeep(t *testing.T) {
	withIDs, shared, twice, sameHeader := popa3dMailbox()
	all := interleave(withIDs, slices.Concat(shared, twice, sameHeader))
	e := newPopa3dEnv(t, false, all)
	res, tops := e.sync(t)
	if res.New != 29 || res.Deleted != 0 || res.ServerCount != 30 || len(res.Notes) != 0 || tops != 15 {
		t.Fatalf("first sync: %v, %d TOP", res, tops)
	}
	e.wantStored(t, all)
	e.wantOnServer(t, all)
	// Nothing new: the header keys are remembered, no TOP is sent.
	res, tops = e.sync(t)
	if res.New != 0 || res.Deleted != 0 || res.ServerCount != 30 || tops != 0 {
		t.Fatalf("second sync: %v, %d TOP", res, tops)
	}
	e.wantStored(t, all)
}

func TestPopa3dDeleteAfterDownload(t *testing.T) {
	withIDs, shared, twice, sameHeader := popa3dMailbox()
	all := interleave(withIDs, slices.Concat(shared, twice, sameHeader))
	e := newPopa3dEnv(t, true, all)
	// Every message is stored; those told apart by UIDL or by a header
	// key of their own are deleted; the two pairs stay, each with a note.
	// The first sync uses two sessions (all it listed was new); the
	// second lists only the four that stay, and notes them once.
	res, _ := e.sync(t)
	if res.New != 29 || res.Deleted != 26 || res.ServerCount != 4 {
		t.Fatalf("first sync: %v", res)
	}
	e.wantStored(t, all)
	e.wantOnServer(t, slices.Concat(twice, sameHeader))
	en := res.String()
	if len(res.Notes) != 2 || !strings.Contains(en, "The message “twice”") || !strings.Contains(en, "The message “same header”") ||
		strings.Count(en, "cannot be told apart") != 2 {
		t.Fatalf("notes: %s", en)
	}
	h, err := e.f.db.SyncHistory(context.Background(), e.f.user.ID, e.acc.ID, 1)
	if err != nil || len(h) != 1 || h[0].ServerCount == nil || *h[0].ServerCount != 4 || len(h[0].Notes) != 2 {
		t.Fatalf("history: %+v %v", h, err)
	}

	// Nothing new: no TOP, nothing deleted, the same notes.
	res, tops := e.sync(t)
	if res.New != 0 || res.Deleted != 0 || res.ServerCount != 4 || len(res.Notes) != 2 || tops != 0 {
		t.Fatalf("second sync: %v, %d TOP", res, tops)
	}

	// Two new messages, one without a UIDL of its own: one TOP, both
	// deleted in a single session, and the count is the one after it.
	more := [][]byte{[]byte("Message-ID: <new@example.org>\r\nSubject: new\r\n\r\nnew\r\n"), []byte("Subject: new without ids\r\n\r\nnew\r\n")}
	if err := e.srv.AddMessages(more); err != nil {
		t.Fatal(err)
	}
	res, tops = e.sync(t)
	if res.New != 2 || res.Deleted != 2 || res.ServerCount != 4 || tops != 1 {
		t.Fatalf("third sync: %v, %d TOP", res, tops)
	}
	e.wantOnServer(t, slices.Concat(twice, sameHeader))
	e.wantStored(t, slices.Concat(all, more))
	a, err := e.f.db.Account(context.Background(), e.f.user.ID, e.acc.ID)
	if err != nil || a.ServerCount == nil || *a.ServerCount != 4 {
		t.Fatalf("account's server count after the sync: %v %v", a.ServerCount, err)
	}
}
