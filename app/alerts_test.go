package app

import (
	"context"
	"io"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/pop3client"
)

// An account that stops receiving is told once, by mail from and to the
// administrator's chosen account, in their language; told again only
// after it has worked in between; never without an administrator who
// asked for it.
func TestAlertsAboutFailingAccounts(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	root, _ := d.CreateUser(ctx, "root", "h", db.RoleAdmin)
	ana, _ := d.CreateUser(ctx, "ana", "h", db.RoleMember)
	if err := d.SetUserPreferences(ctx, root.ID, "es", "Europe/Madrid"); err != nil {
		t.Fatal(err)
	}
	accs := NewAccounts(d, key)
	in := goodAccount()
	in.Email, in.Outgoing = "root@example.net", OutgoingInput{Host: "smtp.example.net", Security: "tls"}
	mine, err := accs.Create(ctx, root.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	in = goodAccount()
	in.Name = "Casa"
	casa, err := accs.Create(ctx, ana.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	woken := 0
	alerts := NewAlerts(d, func() { woken++ })
	alerts.outbox.Now = d.Now
	alerts.PublicURL = "https://mail.example.net/"
	check := func(want int) {
		t.Helper()
		if n, err := alerts.Check(ctx); err != nil || n != want {
			t.Fatalf("Check queued %d (%v), want %d", n, err, want)
		}
	}
	fail := func() {
		t.Helper()
		if err := d.RecordPoll(ctx, casa.ID, db.PollResult{Started: now, NextPoll: now.Add(time.Hour), ErrKind: string(pop3client.KindAuthFailed),
			ErrStep: "auth", ErrText: "-ERR [AUTH] Authentication failed.", AuthFailure: true}); err != nil {
			t.Fatal(err)
		}
	}

	fail()
	check(0) // nobody asked
	if err := d.SetAlertAccount(ctx, root.ID, casa.ID); err != db.ErrNotFound {
		t.Fatalf("alerts from another user's account: %v", err)
	}
	if err := d.SetAlertAccount(ctx, root.ID, mine.ID); err != nil {
		t.Fatal(err)
	}
	check(1)
	check(0) // told once
	out, err := d.OutboxList(ctx, root.ID, now.Add(-time.Hour))
	if err != nil || len(out) != 1 {
		t.Fatalf("outbox %v (%v)", out, err)
	}
	if out[0].Subject != "No llega el correo de Casa." || woken != 1 {
		t.Errorf("subject %q, sender woken %d times", out[0].Subject, woken)
	}
	raw, err := d.OutboxRaw(ctx, root.ID, out[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(head, "To: root@example.net") {
		t.Errorf("the alert is not to the administrator:\n%s", head)
	}
	for _, want := range []string{"No llega a Apartado el correo de Casa (ana@example.net)", "El servidor rechazó",
		"Arréglalo en la página de la casa: https://mail.example.net/admin/users"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the alert lacks %q:\n%s", want, text)
		}
	}

	// It works again, then fails again: told again.
	if err := d.RecordPoll(ctx, casa.ID, db.PollResult{Started: now, NextPoll: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	check(0)
	fail()
	check(1)

	// Turned off: nothing more.
	if err := d.SetAlertAccount(ctx, root.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.RecordPoll(ctx, casa.ID, db.PollResult{Started: now, NextPoll: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	check(0)
	fail()
	check(0)
}
