package db

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openTest(t testing.TB) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

var ctx = context.Background()

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	for i := 0; i < 2; i++ {
		d, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var n int
		if err := d.sql.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n < 1 {
			t.Fatalf("schema_migrations: %d %v", n, err)
		}
		var mode string
		if err := d.sql.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode %q %v", mode, err)
		}
		var fk, sync int
		if err := d.sql.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Fatalf("foreign_keys %d %v", fk, err)
		}
		if err := d.sql.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
			t.Fatalf("synchronous %d (want 2, FULL) %v", sync, err)
		}
		d.Close()
	}
}

func TestUsers(t *testing.T) {
	d := openTest(t)
	if n, _ := d.CountUsers(ctx); n != 0 {
		t.Fatal("not empty")
	}
	// Two racing first-run forms: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = d.CreateFirstAdmin(ctx, fmt.Sprintf("admin%d", i), "hash")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrConflict) {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d first admins created", ok)
	}
	m, err := d.CreateUser(ctx, "Bea", "h2", RoleMember)
	if err != nil || m.Role != RoleMember || m.IsAdmin() {
		t.Fatalf("CreateUser %+v %v", m, err)
	}
	if _, err := d.CreateUser(ctx, "bea", "h3", RoleMember); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate name (other case): %v", err)
	}
	if u, err := d.UserByName(ctx, "BEA"); err != nil || u.ID != m.ID {
		t.Fatalf("UserByName %v %v", u, err)
	}
	if _, err := d.UserByID(ctx, 9999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if err := d.SetUserPreferences(ctx, m.ID, "es", "Europe/Madrid"); err != nil {
		t.Fatal(err)
	}
	if u, _ := d.UserByID(ctx, m.ID); u.Locale != "es" || u.TimeZone != "Europe/Madrid" {
		t.Fatalf("prefs %+v", u)
	}
	if !m.Shortcuts {
		t.Fatalf("a new user's keyboard shortcuts are off: %+v", m)
	}
	if err := d.SetShortcuts(ctx, m.ID, false); err != nil {
		t.Fatal(err)
	}
	if u, _ := d.UserByID(ctx, m.ID); u.Shortcuts {
		t.Fatalf("shortcuts still on after turning them off: %+v", u)
	}
	if err := d.SetShortcuts(ctx, 9999, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("shortcuts of a missing user: %v", err)
	}
}

func TestSessions(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	d.Now = func() time.Time { return now }
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	tok1, tok2 := []byte("token-hash-1"), []byte("token-hash-2")
	for _, tok := range [][]byte{tok1, tok2} {
		if err := d.CreateSession(ctx, u.ID, tok, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := d.SessionUser(ctx, tok1, time.Hour); err != nil || got.ID != u.ID {
		t.Fatalf("SessionUser %v %v", got, err)
	}
	// Sliding expiry: used after 50 minutes, still valid at 100.
	now = now.Add(50 * time.Minute)
	if _, err := d.SessionUser(ctx, tok1, time.Hour); err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Minute)
	if _, err := d.SessionUser(ctx, tok1, time.Hour); err != nil {
		t.Fatalf("sliding expiry: %v", err)
	}
	if _, err := d.SessionUser(ctx, tok2, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired session accepted: %v", err)
	}
	// Logout ends one session; a password change ends all of them.
	if err := d.DeleteExpiredSessions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateSession(ctx, u.ID, tok2, time.Hour); err != nil {
		t.Fatalf("expired session not cleaned up: %v", err)
	}
	if err := d.DeleteSession(ctx, tok1); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionUser(ctx, tok1, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatal("logged-out session still valid")
	}
	if err := d.SetPassword(ctx, u.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionUser(ctx, tok2, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatal("session survived a password change")
	}
	// A disabled user's sessions are gone and new ones are refused.
	if err := d.CreateSession(ctx, u.ID, tok1, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := d.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateSession(ctx, u.ID, tok2, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionUser(ctx, tok2, time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatal("disabled user has a session")
	}
}

// TestLiveSessions: a user's unexpired sessions, not another user's, none
// once logged out, expired or disabled.
func TestLiveSessions(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	d.Now = func() time.Time { return now }
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleAdmin)
	bea, _ := d.CreateUser(ctx, "bea", "h", RoleMember)
	live := func(u User) string {
		t.Helper()
		hashes, err := d.LiveSessions(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%q", hashes)
	}
	for _, s := range []struct {
		u   User
		tok string
		ttl time.Duration
	}{{ana, "a1", time.Hour}, {ana, "a2", 2 * time.Hour}, {bea, "b1", time.Hour}} {
		if err := d.CreateSession(ctx, s.u.ID, []byte(s.tok), s.ttl); err != nil {
			t.Fatal(err)
		}
	}
	if got := live(ana); got != `["a1" "a2"]` && got != `["a2" "a1"]` {
		t.Errorf("ana's live sessions %s", got)
	}
	now = now.Add(90 * time.Minute)
	if got := live(ana); got != `["a2"]` {
		t.Errorf("after a1 expired: %s", got)
	}
	if err := d.SetDisabled(ctx, bea.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateSession(ctx, bea.ID, []byte("b2"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := live(bea); got != `[]` {
		t.Errorf("a disabled user's live sessions %s", got)
	}
	if err := d.DeleteSession(ctx, []byte("a2")); err != nil {
		t.Fatal(err)
	}
	if got := live(ana); got != `[]` {
		t.Errorf("after logout: %s", got)
	}
}

func newAccount(t testing.TB, d *DB, userID int64, name string) Account {
	t.Helper()
	a, err := d.CreateAccount(ctx, userID, AccountSettings{Name: name, Email: name + "@example.org", Host: "pop.example.org",
		Port: 995, Security: "tls", Username: name, PasswordSealed: []byte("sealed"), PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccountsScopedByUser(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "ana-isp")
	if a.DeleteWhenDeleted != DeleteNever || a.DeleteAfterDownload || a.PollInterval != 10*time.Minute {
		t.Fatalf("defaults %+v", a.AccountSettings)
	}
	if _, err := d.Account(ctx, bob.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob sees ana's account: %v", err)
	}
	s := a.AccountSettings
	s.Name, s.PasswordSealed = "changed", nil
	if err := d.UpdateAccount(ctx, bob.ID, a.ID, s); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob updated ana's account: %v", err)
	}
	if err := d.DeleteAccount(ctx, bob.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob deleted ana's account: %v", err)
	}
	if err := d.PollNow(ctx, bob.ID, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob polled ana's account: %v", err)
	}
	if err := d.UpdateAccount(ctx, ana.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	got, _ := d.Account(ctx, ana.ID, a.ID)
	if got.Name != "changed" || string(got.PasswordSealed) != "sealed" {
		t.Fatalf("update: %+v (a nil password must keep the stored one)", got)
	}
	if list, _ := d.Accounts(ctx, bob.ID); len(list) != 0 {
		t.Fatalf("bob lists %d accounts", len(list))
	}
}

func TestPollBookkeeping(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	d.Now = func() time.Time { return now }
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "isp")
	// Account.Due says what DueAccounts does, whatever the state.
	agree := func(when string, at time.Time) {
		t.Helper()
		due, err := d.DueAccounts(ctx, at, 3)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Account(ctx, u.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Due(at, 3) != (len(due) == 1) {
			t.Errorf("%s: Account.Due %v, DueAccounts %v", when, got.Due(at, 3), due)
		}
	}
	agree("new", now)
	due, _ := d.DueAccounts(ctx, now, 3)
	if len(due) != 1 {
		t.Fatalf("a new account is due at once: %v", due)
	}
	if err := d.SetNextPoll(ctx, a.ID, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if due, _ := d.DueAccounts(ctx, now, 3); len(due) != 0 {
		t.Fatalf("due after scheduling: %v", due)
	}
	agree("scheduled", now)
	for i := 1; i <= 3; i++ {
		if err := d.RecordPoll(ctx, a.ID, PollResult{Started: now, NextPoll: now, ErrKind: "auth-failed", ErrStep: "auth", AuthFailure: true}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := d.Account(ctx, u.ID, a.ID)
	if got.AuthFailures != 3 || got.ConsecutiveFailures != 3 || got.FailingSince == nil || got.LastErrorKind != "auth-failed" {
		t.Fatalf("after 3 rejections: %+v", got)
	}
	if due, _ := d.DueAccounts(ctx, now.Add(time.Hour), 3); len(due) != 0 {
		t.Fatal("an account with 3 rejected passwords keeps polling")
	}
	agree("three rejections", now.Add(time.Hour))
	// Editing the account lets it poll again.
	s := got.AccountSettings
	s.PasswordSealed = []byte("new")
	if err := d.UpdateAccount(ctx, u.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	agree("edited", now)
	if due, _ := d.DueAccounts(ctx, now, 3); len(due) != 1 {
		t.Fatal("edited account not due")
	}
	n := int64(5)
	if err := d.RecordPoll(ctx, a.ID, PollResult{Started: now, NextPoll: now.Add(time.Minute), ServerCount: &n}); err != nil {
		t.Fatal(err)
	}
	got, _ = d.Account(ctx, u.ID, a.ID)
	if got.LastErrorKind != "" || got.FailingSince != nil || got.AuthFailures != 0 || got.LastSuccess == nil || *got.ServerCount != 5 {
		t.Fatalf("after success: %+v", got)
	}
}

func TestMessages(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	a1 := newAccount(t, d, ana.ID, "one")
	a2 := newAccount(t, d, ana.ID, "two")
	b1 := newAccount(t, d, bob.ID, "bobs")
	base := time.Unix(1_700_000_000, 0)
	var batch []NewMessage
	for i := 0; i < 120; i++ {
		acc := a1
		if i%3 == 0 {
			acc = a2
		}
		batch = append(batch, NewMessage{AccountID: acc.ID, UserID: ana.ID, UIDL: fmt.Sprintf("uid-%d", i), ServerSize: 10,
			Raw: []byte(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i)), SHA256: []byte{byte(i)},
			ReceivedAt: base, SortAt: base.Add(time.Duration(i%60) * time.Minute), Subject: fmt.Sprint(i)})
	}
	batch = append(batch, NewMessage{AccountID: b1.ID, UserID: bob.ID, UIDL: "bob-1", Raw: []byte("x"), SHA256: []byte{1}, ReceivedAt: base, SortAt: base})
	ids, err := d.StoreMessages(ctx, batch)
	if err != nil || len(ids) != 121 {
		t.Fatalf("StoreMessages: %d %v", len(ids), err)
	}
	bobMsg := ids[120]

	// Walk all pages forward, then back; every message once, in order.
	var seen []int64
	page, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 25})
	if err != nil || page.Total != 120 || page.Newer != nil {
		t.Fatalf("first page: total %d newer %v err %v", page.Total, page.Newer, err)
	}
	pages := []MessagePage{page}
	for {
		for i, m := range page.Messages {
			if m.AccountName == "" || (len(seen) > 0 && i == 0 && !before(pages[len(pages)-2].Messages, m)) {
				t.Fatalf("order broken at %d", m.ID)
			}
			seen = append(seen, m.ID)
		}
		if page.Older == nil {
			break
		}
		page, err = d.ListMessages(ctx, ana.ID, ListQuery{Limit: 25, Before: page.Older})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
	}
	if len(seen) != 120 || len(pages) != 5 {
		t.Fatalf("saw %d messages in %d pages", len(seen), len(pages))
	}
	back, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 25, After: pages[2].Newer})
	if err != nil || back.Messages[0].ID != pages[1].Messages[0].ID || back.Newer == nil {
		t.Fatalf("previous page: %v %v", back.Messages[0].ID, err)
	}
	if p, _ := d.ListMessages(ctx, ana.ID, ListQuery{AccountID: a2.ID}); p.Total != 40 {
		t.Fatalf("account filter: %d", p.Total)
	}
	// Scoping: ana cannot read, mark, trash or delete bob's message.
	if _, err := d.Message(ctx, ana.ID, bobMsg); !errors.Is(err, ErrNotFound) {
		t.Fatal("ana reads bob's message")
	}
	if _, err := d.MessageRaw(ctx, ana.ID, bobMsg); !errors.Is(err, ErrNotFound) {
		t.Fatal("ana reads bob's raw message")
	}
	if n, _ := d.TrashMessages(ctx, ana.ID, []int64{bobMsg}); n != 0 {
		t.Fatal("ana trashed bob's message")
	}
	if p, _ := d.ListMessages(ctx, ana.ID, ListQuery{AccountID: b1.ID}); p.Total != 0 {
		t.Fatal("ana lists bob's account")
	}
	if err := d.SetSeen(ctx, ana.ID, []int64{bobMsg}, true); err != nil {
		t.Fatal(err)
	}
	if m, _ := d.Message(ctx, bob.ID, bobMsg); m.Flags.Has(FlagSeen) {
		t.Fatal("ana marked bob's message read")
	}
	// Trash, restore, delete for good; the UIDL record outlives the message.
	raw, err := d.MessageRaw(ctx, ana.ID, ids[0])
	if err != nil || string(raw) != "Subject: 0\r\n\r\nbody\r\n" {
		t.Fatalf("raw %q %v", raw, err)
	}
	if n, _ := d.DeleteMessages(ctx, ana.ID, ids[:1]); n != 0 {
		t.Fatal("deleted a message not in the trash")
	}
	if n, _ := d.TrashMessages(ctx, ana.ID, ids[:3]); n != 3 {
		t.Fatal("trash")
	}
	if p, _ := d.ListMessages(ctx, ana.ID, ListQuery{Mailbox: MailboxTrash}); p.Total != 3 {
		t.Fatalf("trash lists %d", p.Total)
	}
	if n, _ := d.RestoreMessages(ctx, ana.ID, ids[2:3]); n != 1 {
		t.Fatal("restore")
	}
	if n, _ := d.DeleteMessages(ctx, ana.ID, ids[:1]); n != 1 {
		t.Fatal("delete")
	}
	if n, _ := d.EmptyTrash(ctx, ana.ID); n != 1 {
		t.Fatal("empty trash")
	}
	known, err := d.ServerStates(ctx, a2.ID)
	if err != nil || known["uid-0"].MessageID != nil || known["uid-3"].MessageID == nil {
		t.Fatalf("server messages after delete: %+v %v", known["uid-0"], err)
	}
	if err := d.ForgetServerMessages(ctx, a2.ID, []string{"uid-0"}); err != nil {
		t.Fatal(err)
	}
	if known, _ := d.ServerStates(ctx, a2.ID); len(known) != 39 {
		t.Fatalf("%d known after forgetting one", len(known))
	}
	// Deleting an account deletes its messages.
	if err := d.DeleteAccount(ctx, ana.ID, a1.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := d.ListMessages(ctx, ana.ID, ListQuery{}); p.Total != 39 {
		t.Fatalf("%d left after deleting an account", p.Total)
	}
}

func before(prev []MessageSummary, m MessageSummary) bool {
	last := prev[len(prev)-1]
	return last.SortAt.After(m.SortAt) || (last.SortAt.Equal(m.SortAt) && last.ID > m.ID)
}

func TestCursor(t *testing.T) {
	c := Cursor{SortAt: 1700000000, ID: 42}
	if got, ok := ParseCursor(c.String()); !ok || got != c {
		t.Fatalf("round trip %v", got)
	}
	for _, bad := range []string{"", "1", "a.b", "1.x"} {
		if _, ok := ParseCursor(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// BenchmarkListPage measures the first and a deep page of a 100,000-message
// inbox; keyset paging keeps the deep page as cheap as the first.
func BenchmarkListPage(b *testing.B) {
	d := openTest(b)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(b, d, u.ID, "isp")
	base := time.Unix(1_600_000_000, 0)
	for i := 0; i < 100_000; i += 1000 {
		batch := make([]NewMessage, 1000)
		for j := range batch {
			batch[j] = NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{1}, ReceivedAt: base,
				SortAt: base.Add(time.Duration(i+j) * time.Minute), Subject: "s", Snippet: "snippet text"}
		}
		if _, err := d.StoreMessages(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	deep := &Cursor{SortAt: base.Add(1000 * time.Minute).Unix(), ID: 1001}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.ListMessages(ctx, u.ID, ListQuery{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("deep", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.ListMessages(ctx, u.ID, ListQuery{Before: deep}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestLastAdminStays: disabling the last enabled administrator is refused,
// also when two administrators disable each other at the same moment.
func TestLastAdminStays(t *testing.T) {
	d := openTest(t)
	a, _ := d.CreateUser(ctx, "a", "h", RoleAdmin)
	m, _ := d.CreateUser(ctx, "m", "h", RoleMember)
	if err := d.SetDisabled(ctx, a.ID, true); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("disabling the only admin: %v", err)
	}
	if u, _ := d.UserByID(ctx, a.ID); u.Disabled {
		t.Fatal("the only admin was disabled")
	}
	if err := d.SetDisabled(ctx, m.ID, true); err != nil {
		t.Fatalf("disabling a member: %v", err)
	}
	b, _ := d.CreateUser(ctx, "b", "h", RoleAdmin)
	for i := 0; i < 10; i++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, id := range []int64{a.ID, b.ID} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[j] = d.SetDisabled(ctx, id, true) }()
		}
		wg.Wait()
		users, _ := d.Users(ctx)
		enabled := 0
		for _, u := range users {
			if u.IsAdmin() && !u.Disabled {
				enabled++
			}
		}
		if enabled != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: %d enabled admins, errors %v", i, enabled, errs)
		}
		for _, id := range []int64{a.ID, b.ID} {
			if err := d.SetDisabled(ctx, id, false); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestLargeMessagePieces: a message over a piece is stored in pieces and
// read back whole, by the reader, the export and the migration match;
// deleting it removes its pieces.
func TestLargeMessagePieces(t *testing.T) {
	d := openTest(t)
	u, err := d.CreateUser(ctx, "ana", "hash", RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.CreateAccount(ctx, u.ID, AccountSettings{Name: "A", Email: "a@example.com", Host: "pop.example.com", Port: 995,
		Security: "tls", Username: "a", PasswordSealed: []byte("x"), PollInterval: time.Hour, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{rawPiece - 1, rawPiece, rawPiece + 1, 3*rawPiece + 12345} {
		raw := make([]byte, size)
		msgID := fmt.Sprintf("big%d@example.com", size)
		copy(raw, "Message-ID: <"+msgID+">\r\n\r\n")
		for i := 40; i < size; i++ {
			raw[i] = byte('a' + i%26)
		}
		copy(raw[size-2:], "\r\n")
		sum := sha256.Sum256(raw)
		ids, err := d.StoreMessages(ctx, []NewMessage{{AccountID: a.ID, UserID: u.ID, UIDL: fmt.Sprint("u", size), ServerSize: int64(size),
			Raw: raw, SHA256: sum[:], ReceivedAt: time.Now(), SortAt: time.Now(), MessageID: msgID}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.MessageRaw(ctx, u.ID, ids[0])
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("%d bytes: read back %d bytes, equal %v, %v", size, len(got), bytes.Equal(got, raw), err)
		}
		var exported []byte
		if err := d.EachMessage(ctx, u.ID, a.ID, func(m MessageExport) error {
			if m.ID == ids[0] {
				exported = m.Raw
			}
			return nil
		}); err != nil || !bytes.Equal(exported, raw) {
			t.Fatalf("%d bytes: exported %d bytes, %v", size, len(exported), err)
		}
		// A server that appended a final CRLF: matched by the last piece.
		if id, ok, err := d.MatchStored(ctx, a.ID, msgID, int64(size-2)); err != nil || !ok || id != ids[0] {
			t.Fatalf("%d bytes: match %d %v %v", size, id, ok, err)
		}
		if _, err := d.TrashMessages(ctx, u.ID, ids); err != nil {
			t.Fatal(err)
		}
		if n, err := d.DeleteMessages(ctx, u.ID, ids); err != nil || n != 1 {
			t.Fatalf("deleted %d, %v", n, err)
		}
		var pieces int
		if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM message_raw_parts`).Scan(&pieces); err != nil || pieces != 0 {
			t.Fatalf("%d pieces left after deleting, %v", pieces, err)
		}
	}
}

// TestNewDatabasePageSize: a new database gets large pages (faster to
// store messages in); reopening keeps them and WAL mode.
func TestNewDatabasePageSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	for i := range 2 {
		d, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var size int
		var mode string
		if err := d.sql.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
			t.Fatal(err)
		}
		if err := d.sql.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if size != pageSize || mode != "wal" {
			t.Errorf("open %d: page size %d, journal mode %q", i+1, size, mode)
		}
		d.Close()
	}
}

// What the outgoing server offers is kept for that server only: recorded
// while the account's server is the one seen, kept across an edit that
// leaves it, forgotten when it changes.
func TestSMTPOffers(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "isp")
	if a.OutgoingOffers.Known() {
		t.Fatalf("known without an outgoing server: %+v", a.OutgoingOffers)
	}
	s := a.AccountSettings
	s.PasswordSealed = nil
	s.Outgoing = Outgoing{Host: "smtp.example.org", Port: 587, Security: "starttls", Auth: OutgoingAuthPassword, SamePassword: true}
	if err := d.UpdateAccount(ctx, u.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	offers := func() SMTPOffers {
		t.Helper()
		got, err := d.Account(ctx, u.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.OutgoingOffers
	}
	if offers().Known() {
		t.Fatal("known before the server was seen")
	}
	// Another server's offers (the form's server before it was saved) are not this one's.
	other := s.Outgoing
	other.Port = 465
	if err := d.RecordSMTPOffers(ctx, a.ID, other, SMTPOffers{MaxSize: 1}, now); err != nil {
		t.Fatal(err)
	}
	if offers().Known() {
		t.Fatal("another server's offers were kept")
	}
	if err := d.RecordSMTPOffers(ctx, a.ID, s.Outgoing, SMTPOffers{MaxSize: 25_000_000, SMTPUTF8: true}, now); err != nil {
		t.Fatal(err)
	}
	if o := offers(); !o.Known() || !o.SeenAt.Equal(now) || o.MaxSize != 25_000_000 || !o.SMTPUTF8 {
		t.Fatalf("recorded %+v", o)
	}
	// Seen again: the server changed its mind.
	if err := d.RecordSMTPOffers(ctx, a.ID, s.Outgoing, SMTPOffers{}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if o := offers(); !o.Known() || o.MaxSize != 0 || o.SMTPUTF8 {
		t.Fatalf("seen again %+v", o)
	}
	s.Name = "renamed"
	if err := d.UpdateAccount(ctx, u.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	if !offers().Known() {
		t.Fatal("an edit that kept the server forgot its offers")
	}
	s.Outgoing.Host = "smtp.other.example"
	if err := d.UpdateAccount(ctx, u.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	if offers().Known() {
		t.Fatal("a new server inherited the old one's offers")
	}
}

// TestDeleteUserAndRole: deleting a user takes everything of theirs with
// it and leaves the others' alone; the last enabled administrator can be
// neither deleted nor made a member.
func TestDeleteUserAndRole(t *testing.T) {
	d := openTest(t)
	root, _ := d.CreateUser(ctx, "root", "h", RoleAdmin)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bea, _ := d.CreateUser(ctx, "bea", "h", RoleMember)
	for _, u := range []User{ana, bea} {
		a := newAccount(t, d, u.ID, "casa")
		raw := []byte("Subject: hola " + u.Name + "\r\n\r\nzanahoria\r\n")
		sum := sha256.Sum256(raw)
		if _, err := d.StoreMessages(ctx, []NewMessage{{AccountID: a.ID, UserID: u.ID, UIDL: "u", Raw: raw, SHA256: sum[:],
			SearchBody: "zanahoria"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateMailbox(ctx, u.ID, "Viajes", 0); err != nil {
			t.Fatal(err)
		}
		if err := d.CreateSession(ctx, u.ID, []byte("token-"+u.Name), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DeleteUser(ctx, ana.ID); err != nil {
		t.Fatal(err)
	}
	// What is bea's, by table.
	for table, where := range map[string]string{
		"accounts": "user_id = ?", "messages": "user_id = ?", "mailboxes": "user_id = ?", "sessions": "user_id = ?",
		"message_raw":     "message_id IN (SELECT id FROM messages WHERE user_id = ?)",
		"message_text":    "message_id IN (SELECT id FROM messages WHERE user_id = ?)",
		"server_messages": "account_id IN (SELECT id FROM accounts WHERE user_id = ?)",
	} {
		var n int
		if err := d.sql.QueryRow(`SELECT count(*) FROM `+table+` WHERE `+where, bea.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("bea lost her %s", table)
		}
	}
	if n := d.count(t, `SELECT count(*) FROM message_fts WHERE message_fts MATCH 'zanahoria'`); n != 1 {
		t.Errorf("%d rows in the search index, want bea's 1", n)
	}
	if n := d.count(t, `SELECT count(*) FROM accounts`); n != 1 {
		t.Errorf("%d accounts left", n)
	}
	if _, err := d.UserByID(ctx, ana.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("ana is still there: %v", err)
	}
	if err := d.SetRole(ctx, root.ID, RoleMember); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demoting the last admin: %v", err)
	}
	if err := d.DeleteUser(ctx, root.ID); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("deleting the last admin: %v", err)
	}
	if err := d.SetRole(ctx, bea.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := d.SetRole(ctx, root.ID, RoleMember); err != nil {
		t.Errorf("demoting one of two admins: %v", err)
	}
	if err := d.DeleteUser(ctx, ana.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting a deleted user: %v", err)
	}
	d.ftsIntegrity(t)
}
