package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/poller"
)

func decodeProgress(t *testing.T, r *response) progressJSON {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var p progressJSON
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("progress JSON %q: %v", r.body, err)
	}
	return p
}

// TestSyncProgress: the settings page and the JSON endpoint show a running
// sync's figures, a requested one as coming, and nothing otherwise; only
// to the account's owner.
func TestSyncProgress(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	app.addUser("bea", "battery staple", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	id := strconv.FormatInt(acc.ID, 10)
	now := app.clock.Now()
	// A new account is due at once; this one was checked a moment ago.
	if err := app.db.SetNextPoll(ctx, acc.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := app.login("ana", "correct horse")

	// Idle: no bar, and the endpoint says so.
	none(t, c.get("/settings").doc(t), "sync-progress")
	if p := decodeProgress(t, c.get("/settings/accounts/"+id+"/progress")); p.Running || p.Queued {
		t.Fatalf("idle account: %+v", p)
	}

	// Running: 2 of 6 messages, 300 of 1,000 KB, for 3 seconds.
	app.waker.setProgress(acc.ID, &poller.Progress{AccountID: acc.ID, Phase: poller.PhaseDownloading, Messages: 6, MessagesDone: 2,
		Bytes: 1_000_000, BytesDone: 300_000, DownloadStarted: now.Add(-3 * time.Second), Now: now})
	page := c.get("/settings").doc(t)
	box := one(t, page, "sync-progress")
	if attr(box, "data-progress-url") != "/settings/accounts/"+id+"/progress" {
		t.Errorf("progress URL %q", attr(box, "data-progress-url"))
	}
	bar := one(t, box, "sync-progress-bar")
	if attr(bar, "max") != "1000000" || attr(bar, "value") != "300000" {
		t.Errorf("bar max %q value %q", attr(bar, "max"), attr(bar, "value"))
	}
	want := "2 of 6 messages · 300\u00a0KB of 1.0\u00a0MB · 100\u00a0KB/s · about 7\u00a0s left"
	// text() reads a no-break space as a space.
	if s := text(one(t, box, "sync-progress-text")); s != strings.ReplaceAll(want, "\u00a0", " ") {
		t.Errorf("progress text %q, want %q", s, want)
	}
	p := decodeProgress(t, c.get("/settings/accounts/"+id+"/progress"))
	if !p.Running || p.Queued || p.Value != 300_000 || p.Max != 1_000_000 || p.Text != want {
		t.Errorf("progress JSON %+v", p)
	}
	// The account page shows it too, in Spanish for a Spanish reader.
	es := app.login("ana", "correct horse")
	es.header.Set("Accept-Language", "es")
	if s := text(one(t, es.get("/settings/accounts/"+id).doc(t), "sync-progress-text")); s != "2 de 6 mensajes · 300 KB de 1,0 MB · 100 KB/s · quedan unos 7 s" {
		t.Errorf("Spanish progress %q", s)
	}

	// Another user gets nothing.
	wantStatus(t, app.login("bea", "battery staple").get("/settings/accounts/"+id+"/progress"), http.StatusNotFound)

	// Done, and "check now" asked for another: shown as coming.
	app.waker.setProgress(acc.ID, nil)
	wantStatus(t, c.post("/settings/accounts/"+id+"/check", nil), http.StatusSeeOther)
	if p := decodeProgress(t, c.get("/settings/accounts/"+id+"/progress")); p.Running || !p.Queued || p.Text == "" {
		t.Errorf("requested check: %+v", p)
	}
	box = one(t, c.get("/settings").doc(t), "sync-progress")
	if hasAttr(one(t, box, "sync-progress-bar"), "value") {
		t.Error("a requested check shows a determinate bar")
	}
}

// TestSyncHistoryPage: the account page lists its last checks, newest
// first, with what they did and why they failed.
func TestSyncHistoryPage(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	id := strconv.FormatInt(acc.ID, 10)
	c := app.login("ana", "correct horse")
	if s := text(one(t, c.get("/settings/accounts/"+id).doc(t), "sync-history")); !strings.Contains(s, "not been checked yet") {
		t.Errorf("empty history: %q", s)
	}
	t0 := app.clock.Now()
	count, limit := int64(12), int64(200_000_000)
	for i, r := range []db.PollResult{
		{New: 3, Bytes: 2_500_000, Deleted: 3, ServerCount: &count, Duration: 4200 * time.Millisecond},
		{ErrKind: "auth-failed", ErrStep: "auth", ErrText: "[AUTH] nope", AuthFailure: true, Duration: 300 * time.Millisecond},
		{New: 0, ServerCount: &count, Duration: 2 * time.Minute, Notes: []db.Note{{
			Key:  "%s is larger than the %s limit for one message: it stays on the server.",
			Args: []db.NoteArg{{Message: &db.NoteMessage{UIDL: "u4", Size: 300_000_000}}, {Bytes: &limit}}}}},
	} {
		r.Started, r.NextPoll = t0.Add(time.Duration(i)*time.Hour), t0.Add(time.Duration(i+1)*time.Hour)
		if err := app.db.RecordPoll(ctx, acc.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	rows := byTestID(c.get("/settings/accounts/"+id).doc(t), "history-row")
	if len(rows) != 3 {
		t.Fatalf("%d history rows, want 3", len(rows))
	}
	for i, want := range []string{"2 min 0 s", "The server rejected the user name or password", "3 (2.5 MB)"} {
		if s := strings.ReplaceAll(text(rows[i]), "\u00a0", " "); !strings.Contains(s, want) {
			t.Errorf("row %d %q lacks %q", i, s, want)
		}
	}
	// A note is stored as a key and its arguments, and shown in the
	// reader's language.
	if s := strings.ReplaceAll(text(rows[0]), "\u00a0", " "); !strings.Contains(s, "The message with UIDL u4 (300 MB) is larger than the 200 MB limit") {
		t.Errorf("note missing: %q", s)
	}
	es := app.login("ana", "correct horse")
	es.header.Set("Accept-Language", "es")
	if s := strings.ReplaceAll(text(byTestID(es.get("/settings/accounts/"+id).doc(t), "history-row")[0]), "\u00a0", " "); !strings.Contains(s, "El mensaje con UIDL u4 (300 MB) supera el límite de 200 MB por mensaje") {
		t.Errorf("note in Spanish: %q", s)
	}
	if !strings.Contains(attr(rows[1], "class"), "failed") || strings.Contains(attr(rows[0], "class"), "failed") {
		t.Error("failed rows are not marked")
	}
}

// TestServerCountsAndExpire: the settings page says what the last sync
// saw on the server and what the account's choices will delete there, and
// warns when the server's EXPIRE overrides the choice.
func TestServerCountsAndExpire(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	c := app.login("ana", "correct horse")
	if err := app.db.SetNextPoll(ctx, acc.ID, app.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	accountNode := func() string {
		t.Helper()
		return strings.ReplaceAll(text(one(t, c.get("/settings").doc(t), "account")), "\u00a0", " ")
	}
	if s := accountNode(); strings.Contains(s, "at the last check") || strings.Contains(s, "scheduled for deletion") {
		t.Errorf("counts before any sync: %q", s)
	}

	// Four messages downloaded two days ago, listed by the last sync.
	t0 := app.clock.Now()
	var batch []db.Downloaded
	var keys []string
	for i := range 4 {
		raw := []byte(fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i))
		sum := sha256.Sum256(raw)
		uidl := fmt.Sprintf("u%d", i)
		batch = append(batch, db.Downloaded{NewMessage: db.NewMessage{AccountID: acc.ID, UserID: u.ID, UIDL: uidl,
			ServerSize: int64(len(raw)), Raw: raw, SHA256: sum[:], ReceivedAt: t0.Add(-48 * time.Hour), SortAt: t0},
			SizeOK: i != 3})
		keys = append(keys, uidl)
	}
	ids, _, err := app.db.StoreDownloaded(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.db.MarkListed(ctx, acc.ID, keys, t0); err != nil {
		t.Fatal(err)
	}
	n, size, expire := int64(4), int64(2_000), "5"
	if err := app.db.RecordPoll(ctx, acc.ID, db.PollResult{Started: t0, NextPoll: t0.Add(time.Hour),
		ServerCount: &n, ServerBytes: &size, ServerExpire: &expire}); err != nil {
		t.Fatal(err)
	}
	s := accountNode()
	for _, want := range []string{"Messages on the server at the last check: 4 (2.0 KB).",
		"Nothing is scheduled for deletion on the server.", "kept on the server for good", "after 5 days (it announces EXPIRE 5)"} {
		if !strings.Contains(s, want) {
			t.Errorf("keep a copy: %q lacks %q", s, want)
		}
	}

	// Delete after 3 days, and when deleted here; one trashed now.
	settings := acc.AccountSettings
	settings.PasswordSealed = nil
	settings.DeleteAfterDays, settings.DeleteWhenDeleted = 3, db.DeleteImmediately
	if err := app.db.UpdateAccount(ctx, u.ID, acc.ID, settings); err != nil {
		t.Fatal(err)
	}
	if _, err := app.db.TrashMessages(ctx, u.ID, ids[:1]); err != nil {
		t.Fatal(err)
	}
	s = accountNode()
	for _, want := range []string{"deleted on the server at the next check: 1.", "deleted on the server later: 2 (the first on Mar 15, 2026"} {
		if !strings.Contains(s, want) {
			t.Errorf("after N days: %q lacks %q", s, want)
		}
	}
	if strings.Contains(s, "EXPIRE") {
		t.Errorf("an EXPIRE warning when the account deletes sooner than the server: %q", s)
	}

	// EXPIRE 0 with delete after download: no conflict, nothing to warn.
	settings.DeleteAfterDays, settings.DeleteWhenDeleted, settings.DeleteAfterDownload = 0, db.DeleteNever, true
	if err := app.db.UpdateAccount(ctx, u.ID, acc.ID, settings); err != nil {
		t.Fatal(err)
	}
	expire = "0"
	if err := app.db.RecordPoll(ctx, acc.ID, db.PollResult{Started: t0, NextPoll: t0.Add(time.Hour), ServerCount: &n, ServerExpire: &expire}); err != nil {
		t.Fatal(err)
	}
	if s := accountNode(); strings.Contains(s, "EXPIRE") || !strings.Contains(s, "at the next check: 3.") {
		t.Errorf("delete after download: %q", s)
	}
	settings.DeleteAfterDownload = false
	if err := app.db.UpdateAccount(ctx, u.ID, acc.ID, settings); err != nil {
		t.Fatal(err)
	}
	if s := accountNode(); !strings.Contains(s, "EXPIRE 0") {
		t.Errorf("keep a copy on an EXPIRE 0 server: no warning in %q", s)
	}
}
