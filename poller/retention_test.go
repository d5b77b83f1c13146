package poller

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/testnet"
)

func (f *fixture) setRetention(t *testing.T, a db.Account, change func(*db.AccountSettings)) {
	t.Helper()
	s := a.AccountSettings
	s.PasswordSealed = nil
	change(&s)
	if err := f.db.UpdateAccount(context.Background(), f.user.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
}

func TestSyncDeleteAfterDays(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	if err := f.srv.AddMessages("alice", mailbox(5)); err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	f.p.Now = func() time.Time { return clock }
	f.db.Now = f.p.Now
	a := f.account(t, "secret", false)
	f.setRetention(t, a, func(s *db.AccountSettings) { s.DeleteAfterDays = 3 })
	ctx := context.Background()
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 5 || res.Deleted != 0 {
		t.Fatalf("first sync: %v", res)
	}
	first := clock
	f.wantCounts(t, a, db.RetentionCounts{Listed: 5, Later: 5, FirstAt: first.AddDate(0, 0, 3)})
	clock = clock.Add(2 * 24 * time.Hour)
	if err := f.srv.AddMessages("alice", mailbox(7)[5:]); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 2 || res.Deleted != 0 {
		t.Fatalf("after 2 days: %v", res)
	}
	f.wantCounts(t, a, db.RetentionCounts{Listed: 7, Later: 7, FirstAt: first.AddDate(0, 0, 3)})
	clock = clock.Add(24*time.Hour + time.Minute)
	// Due now, before the sync that deletes them.
	f.wantCounts(t, a, db.RetentionCounts{Listed: 7, DueNow: 5, Later: 2, FirstAt: first.Add(2*24*time.Hour).AddDate(0, 0, 3)})
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 || res.Deleted != 5 {
		t.Fatalf("after 3 days: %v", res)
	}
	if left, _ := f.srv.Messages("alice"); len(left) != 2 {
		t.Fatalf("%d left on the server, want the 2 newer ones", len(left))
	}
	f.wantCounts(t, a, db.RetentionCounts{Listed: 2, Later: 2, FirstAt: first.Add(2*24*time.Hour).AddDate(0, 0, 3)})
	if n := len(f.storedRaw(t)); n != 7 {
		t.Fatalf("%d stored", n)
	}
}

func TestSyncDeleteWhenDeletedHere(t *testing.T) {
	for _, when := range []db.DeleteWhenDeleted{db.DeleteImmediately, db.DeleteTrashEmptied} {
		t.Run(string(when), func(t *testing.T) {
			f := newFixture(t, dovecottest.Options{})
			if err := f.srv.AddMessages("alice", mailbox(4)); err != nil {
				t.Fatal(err)
			}
			a := f.account(t, "secret", false)
			// Combined with "after N days", which does not come due here.
			f.setRetention(t, a, func(s *db.AccountSettings) { s.DeleteWhenDeleted, s.DeleteAfterDays = when, 30 })
			ctx := context.Background()
			if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 4 {
				t.Fatalf("first sync: %v", res)
			}
			page, _ := f.db.ListMessages(ctx, f.user.ID, db.ListQuery{Limit: 10})
			if _, err := f.db.TrashMessages(ctx, f.user.ID, []int64{page.Messages[0].ID, page.Messages[1].ID}); err != nil {
				t.Fatal(err)
			}
			wantTrash := map[db.DeleteWhenDeleted]int{db.DeleteImmediately: 2, db.DeleteTrashEmptied: 0}[when]
			f.wantCounts(t, a, db.RetentionCounts{Listed: 4, DueNow: int64(wantTrash), Later: int64(4 - wantTrash), FirstAt: ignoreTime})
			if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 || res.Deleted != wantTrash {
				t.Fatalf("after trashing: %v", res)
			}
			if _, err := f.db.DeleteMessages(ctx, f.user.ID, []int64{page.Messages[0].ID}); err != nil {
				t.Fatal(err)
			}
			wantGone := map[db.DeleteWhenDeleted]int{db.DeleteImmediately: 0, db.DeleteTrashEmptied: 1}[when]
			f.wantCounts(t, a, db.RetentionCounts{Listed: int64(4 - wantTrash), DueNow: int64(wantGone), Later: int64(4 - wantTrash - wantGone), FirstAt: ignoreTime})
			if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 || res.Deleted != wantGone {
				t.Fatalf("after deleting for good: %v", res)
			}
			left, _ := f.srv.Messages("alice")
			if want := 4 - wantTrash - wantGone; len(left) != want {
				t.Fatalf("%d left on the server, want %d", len(left), want)
			}
			if n := len(f.storedRaw(t)); n != 2 { // the inbox; one more in the trash
				t.Fatalf("%d stored", n)
			}
		})
	}
}

// ignoreTime in a wanted RetentionCounts skips the FirstAt check.
var ignoreTime = time.Unix(1, 0)

// wantCounts checks the settings page's counts of what the account's
// choices will delete on the server.
func (f *fixture) wantCounts(t *testing.T, a db.Account, want db.RetentionCounts) {
	t.Helper()
	a, err := f.db.Account(context.Background(), f.user.ID, a.ID) // with its settings as they are now
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.db.RetentionCounts(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if want.FirstAt.Equal(ignoreTime) {
		want.FirstAt = got.FirstAt
	}
	if got.Listed != want.Listed || got.DueNow != want.DueNow || got.Later != want.Later || got.Kept != want.Kept ||
		got.FirstAt.Unix() != want.FirstAt.Unix() {
		t.Fatalf("retention counts: got %+v, want %+v", got, want)
	}
}

func TestSyncUIDLChangeDoesNotReimport(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	msgs := mailbox(20)
	if err := f.srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	a := f.account(t, "secret", false)
	f.setRetention(t, a, func(s *db.AccountSettings) { s.DeleteAfterDays = 1 })
	ctx := context.Background()
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 20 {
		t.Fatalf("first sync: %v", res)
	}
	// The provider moves the mailbox to a server with other UIDLs, and two
	// new messages arrive there.
	srv2 := dovecottest.Start(t, dovecottest.Options{ExtraConfig: "pop3_uidl_format = %g\n"})
	more := mailbox(22)
	if err := srv2.AddMessages("alice", more); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(srv2.CertPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	f.p.ExtraRootCAs = append(f.p.ExtraRootCAs, ca)
	old, _ := f.db.ServerStates(ctx, a.ID)
	host, port, _ := net.SplitHostPort(srv2.TLSAddr)
	f.setRetention(t, a, func(s *db.AccountSettings) { s.Host, s.Port, s.DeleteAfterDays = host, atoi(port), 1 })
	res, _ := f.p.SyncAccount(ctx, a.ID)
	if res.Err != nil || res.New != 2 || res.Deleted != 0 {
		t.Fatalf("after the move: %v", res)
	}
	now, _ := f.db.ServerStates(ctx, a.ID)
	changed := 0
	for u := range now {
		if _, ok := old[u]; !ok {
			changed++
		}
	}
	if changed != 22 {
		t.Fatalf("%d new UIDLs recorded, want 22: the test server did not change them", changed)
	}
	stored := f.storedRaw(t)
	if len(stored) != 22 {
		t.Fatalf("%d stored", len(stored))
	}
	// "Delete after 1 day" still counts from the first download.
	f.p.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.Deleted != 22 {
		t.Fatalf("a day later: %v", res)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// ---- a scripted POP3 server for what Dovecot will not do ----

type fakeMsg struct {
	uidl     string // "" answers no UIDL for it
	listSize int    // 0: len(raw)
	raw      string
}

type fakePOP3 struct {
	addr   string
	noUIDL bool
	capa   []string // more CAPA lines
	window int      // > 0: each session lists only this many not yet retrieved (like Gmail)

	mu       sync.Mutex
	sessions int // connections served
	msgs     []fakeMsg
	deleted  []string // raw of messages deleted by a QUIT
	seen     map[string]bool
}

func startFake(t *testing.T, noUIDL bool, msgs []fakeMsg) *fakePOP3 {
	t.Helper()
	s := &fakePOP3{noUIDL: noUIDL, msgs: msgs, seen: map[string]bool{}}
	s.addr = testnet.Serve(t, s.serve)
	return s
}

func (s *fakePOP3) serve(c net.Conn) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	out := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	out("+OK fake ready\r\n")
	w.Flush()
	s.mu.Lock()
	s.sessions++
	var msgs []fakeMsg
	for _, m := range s.msgs {
		if s.window == 0 || !s.seen[m.raw] && len(msgs) < s.window {
			msgs = append(msgs, m)
		}
	}
	s.mu.Unlock()
	dele := map[int]bool{}
	size := func(m fakeMsg) int {
		if m.listSize != 0 {
			return m.listSize
		}
		return len(m.raw)
	}
	body := func(b string) {
		for _, line := range strings.SplitAfter(b, "\r\n") {
			if strings.HasPrefix(line, ".") {
				line = "." + line
			}
			out("%s", line)
		}
		out(".\r\n")
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		n := 0
		if len(f) > 1 {
			n, _ = strconv.Atoi(f[1])
		}
		valid := n >= 1 && n <= len(msgs) && !dele[n]
		switch strings.ToUpper(f[0]) {
		case "CAPA":
			out("+OK\r\nUSER\r\nTOP\r\n")
			s.mu.Lock()
			for _, c := range s.capa {
				out("%s\r\n", c)
			}
			s.mu.Unlock()
			if !s.noUIDL {
				out("UIDL\r\n")
			}
			out(".\r\n")
		case "USER", "PASS", "NOOP":
			out("+OK\r\n")
		case "LIST":
			out("+OK\r\n")
			for i, m := range msgs {
				if !dele[i+1] {
					out("%d %d\r\n", i+1, size(m))
				}
			}
			out(".\r\n")
		case "UIDL":
			if s.noUIDL {
				out("-ERR no UIDL here\r\n")
				break
			}
			out("+OK\r\n")
			for i, m := range msgs {
				if !dele[i+1] {
					out("%d %s\r\n", i+1, m.uidl)
				}
			}
			out(".\r\n")
		case "RETR", "TOP":
			if !valid {
				out("-ERR no such message\r\n")
				break
			}
			b := msgs[n-1].raw
			if strings.ToUpper(f[0]) == "TOP" {
				if i := strings.Index(b, "\r\n\r\n"); i >= 0 {
					b = b[:i+4]
				}
			}
			if strings.ToUpper(f[0]) == "RETR" {
				s.mu.Lock()
				s.seen[b] = true
				s.mu.Unlock()
			}
			out("+OK\r\n")
			body(b)
		case "DELE":
			if !valid {
				out("-ERR no such message\r\n")
				break
			}
			dele[n] = true
			out("+OK\r\n")
		case "QUIT":
			s.mu.Lock()
			s.msgs = slices.DeleteFunc(s.msgs, func(m fakeMsg) bool {
				for i, d := range msgs {
					if dele[i+1] && d.raw == m.raw {
						s.deleted = append(s.deleted, m.raw)
						return true
					}
				}
				return false
			})
			s.mu.Unlock()
			out("+OK bye\r\n")
			w.Flush()
			return
		default:
			out("-ERR unknown command\r\n")
		}
		w.Flush()
	}
}

func (s *fakePOP3) state() (left int, deleted []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs), append([]string(nil), s.deleted...)
}

func (f *fixture) fakeAccount(t *testing.T, srv *fakePOP3, deleteAfter bool) db.Account {
	t.Helper()
	sealed, err := f.key.Seal([]byte("secret"), app.PasswordContext(f.user.ID))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.addr)
	a, err := f.db.CreateAccount(context.Background(), f.user.ID, db.AccountSettings{Name: "Fake", Email: "alice@example.org",
		Host: host, Port: atoi(port), Security: "none", Username: "alice", PasswordSealed: sealed,
		DeleteAfterDownload: deleteAfter, PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func fakeMail(i int, extra string) string {
	return fmt.Sprintf("Message-ID: <m%d@example.org>\r\nSubject: test %d\r\n\r\nbody %d%s\r\n", i, i, i, extra)
}

func TestSyncNeverDeletesAWrongTransfer(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	short := fakeMail(2, "")
	srv := startFake(t, false, []fakeMsg{
		{uidl: "a", raw: fakeMail(1, "")},
		{uidl: "b", raw: short, listSize: len(short) + 100},                   // far from LIST
		{uidl: "c", raw: fakeMail(3, ""), listSize: len(fakeMail(3, "")) - 2}, // the CRLF Dovecot adds
	})
	a := f.fakeAccount(t, srv, true)
	res, err := f.p.SyncAccount(context.Background(), a.ID)
	if err != nil || res.Err != nil || res.New != 3 || res.Deleted != 2 {
		t.Fatalf("%v %v", res, err)
	}
	if !strings.Contains(res.String(), "“test 2”") {
		t.Fatalf("the wrong transfer is not reported: %v", res)
	}
	left, deleted := srv.state()
	if left != 1 || slices.Contains(deleted, short) {
		t.Fatalf("%d left, deleted %q", left, deleted)
	}
	// Not deleted next time either, and not downloaded again.
	if res, _ := f.p.SyncAccount(context.Background(), a.ID); res.Err != nil || res.New != 0 || res.Deleted != 0 {
		t.Fatalf("second sync: %v", res)
	}
}

func TestSyncDuplicateAndBlankUIDLs(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	srv := startFake(t, false, []fakeMsg{
		{uidl: "same", raw: fakeMail(1, "")},
		{uidl: "same", raw: fakeMail(2, "")},
		{uidl: "same", raw: fakeMail(2, "")}, // the same message twice
		{uidl: "", raw: fakeMail(3, "")},
		{uidl: "u4", raw: fakeMail(4, "")},
	})
	a := f.fakeAccount(t, srv, true)
	ctx := context.Background()
	// Messages without a UIDL of their own are told apart by their header
	// (as on a server without UIDL): the two copies of message 2 cannot
	// be, and stay, with a note saying why.
	res, err := f.p.SyncAccount(ctx, a.ID)
	if err != nil || res.Err != nil || res.New != 4 || res.Deleted != 3 || res.ServerCount != 2 {
		t.Fatalf("%v %v", res, err)
	}
	if left, deleted := srv.state(); left != 2 || slices.Contains(deleted, fakeMail(2, "")) {
		t.Fatalf("%d left, deleted %q: a message that cannot be told apart was deleted", left, deleted)
	}
	if !strings.Contains(res.String(), "“test 2”") || !strings.Contains(res.String(), "cannot be told apart") {
		t.Fatalf("what stays is not said: %v", res)
	}
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 || res.Deleted != 0 {
		t.Fatalf("second sync: %v", res)
	}
	if n := len(f.storedRaw(t)); n != 4 {
		t.Fatalf("%d stored", n)
	}
}

func TestSyncServerWithoutUIDL(t *testing.T) {
	for _, deleteAfter := range []bool{false, true} {
		t.Run(fmt.Sprint("delete=", deleteAfter), func(t *testing.T) {
			f := newFixture(t, dovecottest.Options{})
			srv := startFake(t, true, []fakeMsg{
				{raw: fakeMail(1, "")},
				{raw: fakeMail(2, "")},
				{raw: fakeMail(2, "")}, // ambiguous: never deleted
				{raw: fakeMail(3, "")},
			})
			a := f.fakeAccount(t, srv, deleteAfter)
			ctx := context.Background()
			res, err := f.p.SyncAccount(ctx, a.ID)
			wantDel := map[bool]int{false: 0, true: 2}[deleteAfter]
			if err != nil || res.Err != nil || res.New != 3 || res.Deleted != wantDel {
				t.Fatalf("%v %v", res, err)
			}
			if left, deleted := srv.state(); left != 4-wantDel || slices.Contains(deleted, fakeMail(2, "")) {
				t.Fatalf("%d left, deleted %q", left, deleted)
			}
			if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 || res.Deleted != 0 {
				t.Fatalf("second sync: %v", res)
			}
			stored := f.storedRaw(t)
			for i := 1; i <= 3; i++ {
				if !stored[fakeMail(i, "")] {
					t.Fatalf("message %d not stored", i)
				}
			}
		})
	}
}

func TestSyncDrainsPartialListings(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	var msgs []fakeMsg
	for i := range 25 {
		msgs = append(msgs, fakeMsg{uidl: fmt.Sprint("u", i), raw: fakeMail(i, "")})
	}
	srv := startFake(t, false, msgs)
	srv.mu.Lock()
	srv.window = 10
	srv.mu.Unlock()
	a := f.fakeAccount(t, srv, false)
	res, err := f.p.SyncAccount(context.Background(), a.ID)
	if err != nil || res.Err != nil || res.New != 25 {
		t.Fatalf("%v %v", res, err)
	}
	if left, _ := srv.state(); left != 25 {
		t.Fatalf("%d left", left)
	}
}

// TestSyncOneLoginWhenListingIsWhole: a server that lists the whole
// mailbox (messages stored before among the new ones) is not asked again
// in the same sync; a first sync, where everything is new, may be.
func TestSyncOneLoginWhenListingIsWhole(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	var msgs []fakeMsg
	for i := range 5 {
		msgs = append(msgs, fakeMsg{uidl: fmt.Sprint("u", i), raw: fakeMail(i, "")})
	}
	srv := startFake(t, false, msgs)
	a := f.fakeAccount(t, srv, false)
	sessions := func() int {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.sessions
	}
	if res, _ := f.p.SyncAccount(context.Background(), a.ID); res.Err != nil || res.New != 5 || sessions() > 2 {
		t.Fatalf("first sync: %v, %d sessions", res, sessions())
	}
	before := sessions()
	srv.mu.Lock()
	for i := 5; i < 8; i++ {
		srv.msgs = append(srv.msgs, fakeMsg{uidl: fmt.Sprint("u", i), raw: fakeMail(i, "")})
	}
	srv.mu.Unlock()
	if res, _ := f.p.SyncAccount(context.Background(), a.ID); res.Err != nil || res.New != 3 {
		t.Fatalf("second sync: %v", res)
	}
	if n := sessions() - before; n != 1 {
		t.Errorf("a sync of a whole listing with 3 new messages logged in %d times, want 1", n)
	}
}
