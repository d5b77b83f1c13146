package poller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/faultproxy"
)

func TestProgressFigures(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	p := Progress{Messages: 10, MessagesDone: 4, Bytes: 1000, BytesDone: 400, DownloadStarted: t0, Now: t0.Add(4 * time.Second)}
	if r := p.Rate(); r != 100 {
		t.Errorf("rate %v, want 100 bytes/s", r)
	}
	if d, ok := p.Remaining(); !ok || d != 6*time.Second {
		t.Errorf("remaining %v %v, want 6s", d, ok)
	}
	if f := p.Fraction(); f != 0.4 {
		t.Errorf("fraction %v", f)
	}
	early := p
	early.Now = t0.Add(time.Second)
	if _, ok := early.Remaining(); ok {
		t.Error("a time left after one second of download")
	}
	none := Progress{Messages: 3, Bytes: 30, Now: t0}
	if none.Rate() != 0 || none.Fraction() != 0 {
		t.Errorf("before the download: rate %v fraction %v", none.Rate(), none.Fraction())
	}
	if _, ok := none.Remaining(); ok {
		t.Error("a time left before the download started")
	}
	over := Progress{Bytes: 10, BytesDone: 12}
	if over.Fraction() != 1 {
		t.Errorf("fraction over 1: %v", over.Fraction())
	}
}

// TestProgressDuringSync holds a sync in the middle of its third RETR and
// looks at what Progress says then, then checks it is gone after the sync.
func TestProgressDuringSync(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	msgs := mailbox(6)
	if err := f.srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	proxy, err := faultproxy.New(faultproxy.Config{Target: f.srv.PlainAddr,
		Rewrite: func(verb string, n, line int, data []byte) []byte {
			if verb == "RETR" && n == 3 && line == 2 {
				close(held)
				<-release
			}
			return data
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	a := faultAccount(t, f, proxy.Addr(), "none", false)
	if _, ok := f.p.Progress(a.ID); ok {
		t.Fatal("progress before any sync")
	}
	done := make(chan Result)
	go func() {
		res, _ := f.p.SyncAccount(context.Background(), a.ID)
		done <- res
	}()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		close(release)
		t.Fatal("the sync never reached its third RETR")
	}
	// What came before the held line is on its way to the client; give it
	// a moment to arrive.
	var pr Progress
	ok := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if pr, ok = f.p.Progress(a.ID); ok && pr.MessagesDone >= 2 {
			break
		}
	}
	close(release)
	res := <-done
	if !ok {
		t.Fatal("no progress while the sync runs")
	}
	var total int64
	for _, m := range msgs {
		total += int64(len(m))
	}
	before := int64(len(msgs[0]) + len(msgs[1]))
	if pr.Phase != PhaseDownloading || pr.Session != 1 || pr.Messages != 6 || pr.MessagesDone != 2 || pr.Bytes != total ||
		pr.BytesDone < before || pr.BytesDone >= before+int64(len(msgs[2])) || pr.DownloadStarted.IsZero() {
		t.Errorf("progress in the third RETR: %+v (want 2 of 6 messages, %d ≤ bytes < %d of %d)",
			pr, before, before+int64(len(msgs[2])), total)
	}
	if res.Err != nil || res.New != 6 {
		t.Fatalf("sync: %v", res)
	}
	if _, ok := f.p.Progress(a.ID); ok {
		t.Error("progress left behind after the sync")
	}
}

// TestSyncHistory: every sync, good or failed, is in the account's
// history with what it did; another user cannot read it; only the last
// 50 are kept.
func TestSyncHistory(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	if err := f.srv.AddMessages("alice", mailbox(3)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := f.account(t, "secret", true)
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 3 || res.Deleted != 3 {
		t.Fatalf("sync: %v", res)
	}
	bad := f.account(t, "wrong", false)
	if res, _ := f.p.SyncAccount(ctx, bad.ID); res.Err == nil {
		t.Fatalf("a wrong password synced: %v", res)
	}
	h, err := f.db.SyncHistory(ctx, f.user.ID, a.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, m := range mailbox(3) {
		size += int64(len(m))
	}
	if len(h) != 1 || h[0].New != 3 || h[0].Bytes != size || h[0].Deleted != 3 || h[0].ErrKind != "" ||
		h[0].ServerCount == nil || *h[0].ServerCount != 0 || h[0].Duration <= 0 {
		t.Fatalf("history after a good sync: %+v", h)
	}
	h, err = f.db.SyncHistory(ctx, f.user.ID, bad.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].ErrKind != "auth-failed" || h[0].ErrStep != "auth" || h[0].ServerCount != nil || h[0].New != 0 {
		t.Fatalf("history after a failed sync: %+v", h)
	}
	other, err := f.db.CreateUser(ctx, "bea", "hash", db.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := f.db.SyncHistory(ctx, other.ID, a.ID, 10); err != nil || len(h) != 0 {
		t.Fatalf("another user reads the history: %v %v", h, err)
	}
	for range 55 {
		if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil {
			t.Fatal(res)
		}
	}
	h, err = f.db.SyncHistory(ctx, f.user.ID, a.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 50 || h[0].Started.Before(h[49].Started) {
		t.Fatalf("%d syncs kept, want the last 50, newest first", len(h))
	}
}

// TestSyncRecordsExpire: the server's EXPIRE capability is kept with the
// account for the settings page's warning, and a message left on the
// server is noted in the history.
func TestSyncRecordsExpire(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	srv := startFake(t, false, []fakeMsg{{uidl: "a", raw: fakeMail(1, "")}, {uidl: "b", raw: fakeMail(2, ""), listSize: 5000}})
	srv.capa = []string{"EXPIRE 0"}
	a := f.fakeAccount(t, srv, false)
	ctx := context.Background()
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.Expire != "0" {
		t.Fatalf("sync: %v (expire %q)", res, res.Expire)
	}
	got, err := f.db.Account(ctx, f.user.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ServerExpire != "0" || got.ServerBytes == nil || *got.ServerBytes != int64(len(fakeMail(1, "")))+5000 {
		t.Fatalf("account after sync: expire %q, bytes %v", got.ServerExpire, got.ServerBytes)
	}
	h, _ := f.db.SyncHistory(ctx, f.user.ID, a.ID, 1)
	if len(h) != 1 || len(h[0].Notes) != 1 || !strings.Contains(NoteText(i18n.Match("en", ""), time.UTC, h[0].Notes[0]), "never deleted") {
		t.Fatalf("history notes: %+v", h)
	}
	srv.capa = []string{"EXPIRE NEVER"}
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.Expire != "NEVER" {
		t.Fatalf("second sync: %v (expire %q)", res, res.Expire)
	}
	srv.capa = nil
	f.p.SyncAccount(ctx, a.ID)
	if got, _ := f.db.Account(ctx, f.user.ID, a.ID); got.ServerExpire != "" {
		t.Fatalf("expire kept after the server stopped advertising it: %q", got.ServerExpire)
	}
}

// TestSyncStampsOnlyChangedListings: a poll that lists exactly what the
// last one did rewrites no server row; one that lists something new
// stamps again, and the counts follow.
func TestSyncStampsOnlyChangedListings(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	if err := f.srv.AddMessages("alice", mailbox(4)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := f.account(t, "secret", false)
	clock := time.Now()
	f.p.Now = func() time.Time { return clock }
	stamp := func() int64 {
		t.Helper()
		var at int64
		if err := f.db.SQL().QueryRowContext(ctx, `SELECT listed_at FROM accounts WHERE id = ?`, a.ID).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 4 {
		t.Fatalf("first sync: %v", res)
	}
	first := stamp()
	clock = clock.Add(time.Hour)
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 0 {
		t.Fatalf("second sync: %v", res)
	}
	if got := stamp(); got != first {
		t.Errorf("a listing with nothing new was stamped again (%d, then %d)", first, got)
	}
	if err := f.srv.AddMessages("alice", mailbox(5)[4:]); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(time.Hour)
	if res, _ := f.p.SyncAccount(ctx, a.ID); res.Err != nil || res.New != 1 {
		t.Fatalf("third sync: %v", res)
	}
	if got := stamp(); got != clock.Unix() {
		t.Errorf("a listing with a new message was not stamped: %d, want %d", got, clock.Unix())
	}
	f.wantCounts(t, a, db.RetentionCounts{Listed: 5})
}
