package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/smtptest"
	"github.com/apartado/apartado/internal/testnet"
)

// TestConnectionTestCoversOutgoing runs the account form's connection test
// against a real Dovecot and a real Postfix: the outgoing server's steps
// follow the incoming ones on the same page; a wrong outgoing password is
// diagnosed as the outgoing server's, with the fix pointing at its password
// field; saving tests both and refuses while the outgoing one fails.
func TestConnectionTestCoversOutgoing(t *testing.T) {
	mta := smtptest.Start(t, nil)
	app := newApp(t, func(cfg *Config) {
		cfg.ExtraRootCAs = append(dovecotCA(t, mta.Dovecot), mta.Cert.X509)
		cfg.TestTimeout = 20 * time.Second
	})
	u := app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback
	c := app.login("ana", "correct horse")
	form := testForm("host", "localhost", "port", testnet.Port(mta.Dovecot.TLSAddr),
		"username", dovecottest.DefaultUser, "password", dovecottest.DefaultPassword,
		"smtp_host", "localhost", "smtp_port", testnet.Port(mta.SubmissionAddr), "smtp_security", "starttls", "smtp_auth", "password")

	r := c.post("/settings/accounts/test", form)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	want := "resolve✓ connect✓ tls✓ greeting✓ capabilities✓ login✓ mailbox✓ quit✓ " +
		"smtp-resolve✓ smtp-connect✓ smtp-greeting✓ smtp-ehlo✓ smtp-stls✓ smtp-tls✓ smtp-login✓ smtp-offers✓ smtp-quit✓"
	if got := steps(t, doc); got != want {
		t.Errorf("steps %q\nwant  %q", got, want)
	}
	one(t, doc, "test-ok")
	labels := ""
	for _, li := range byTestID(doc, "test-step") {
		labels += text(li) + "\n"
	}
	if !strings.Contains(labels, "Outgoing server: ") {
		t.Errorf("the outgoing steps are not named apart:\n%s", labels)
	}

	// The same provider's password is the incoming one; a wrong one of its
	// own fails at the outgoing server's login.
	bad := testForm("host", "localhost", "port", testnet.Port(mta.Dovecot.TLSAddr),
		"username", dovecottest.DefaultUser, "password", dovecottest.DefaultPassword,
		"smtp_host", "localhost", "smtp_port", testnet.Port(mta.SubmissionsAddr), "smtp_security", "tls", "smtp_password", "wrong")
	doc = inBothLanguages(t, c, "/settings/accounts/test", bad)
	if got := steps(t, doc); !strings.HasSuffix(got, "smtp-login✗") {
		t.Errorf("steps %q, want the outgoing login to fail", got)
	}
	fixes := ""
	for _, f := range byTestID(doc, "fix-link") {
		fixes += attr(f, "href") + " "
	}
	if !strings.Contains(fixes, "#smtp_password") {
		t.Errorf("no fix pointing at the outgoing password field (links: %q)", fixes)
	}

	// Saving tests both: refused with the outgoing failure, then saved.
	r = c.post("/settings/accounts/new", bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "save-failed")
	r = c.post("/settings/accounts/new", form)
	wantRedirect(t, r, "/settings?done="+doneAccountAdded)
	accs, err := app.db.Accounts(context.Background(), u.ID)
	if err != nil || len(accs) != 1 || accs[0].Outgoing.Host != "localhost" || !accs[0].Outgoing.SamePassword {
		t.Fatalf("stored %+v, %v", accs, err)
	}
	// What Postfix advertised in the test before saving is kept: its
	// message_size_limit as SIZE, and SMTPUTF8.
	if o := accs[0].OutgoingOffers; !o.Known() || o.MaxSize != smtptest.MessageSizeLimit || !o.SMTPUTF8 {
		t.Fatalf("offers %+v, want SIZE %d and SMTPUTF8", o, smtptest.MessageSizeLimit)
	}
	// A connection test of the stored account keeps what it sees (the
	// server changed its mind since).
	ctx := context.Background()
	if err := app.db.RecordSMTPOffers(ctx, accs[0].ID, accs[0].Outgoing, db.SMTPOffers{MaxSize: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r = c.post("/settings/accounts/"+strconv.FormatInt(accs[0].ID, 10)+"/test", form)
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "test-ok")
	if a, err := app.db.Account(ctx, u.ID, accs[0].ID); err != nil || a.OutgoingOffers.MaxSize != smtptest.MessageSizeLimit {
		t.Fatalf("after the test: %+v %v", a.OutgoingOffers, err)
	}
	// The composer says so.
	doc = c.get("/compose").doc(t)
	if hint := text(one(t, doc, "attachments-limit")); !strings.Contains(hint, "7.7") {
		t.Errorf("composer hint %q, want three quarters of Postfix's 10.24 MB", hint)
	}
}

// An outgoing server's connection test waits at each step no longer than
// sending would (the SMTP timeout), nor than a connection test does.
func TestOutgoingTestTimeout(t *testing.T) {
	for _, tc := range []struct {
		test, smtp, want time.Duration
	}{
		{0, 0, diagnose.DefaultTestTimeout},
		{0, 5 * time.Second, 5 * time.Second},
		{0, time.Minute, diagnose.DefaultTestTimeout},
		{30 * time.Second, 45 * time.Second, 30 * time.Second},
		{30 * time.Second, 10 * time.Second, 10 * time.Second},
	} {
		h := &Handler{testTimeout: tc.test, smtpTimeout: tc.smtp, now: time.Now}
		p := h.planOutgoingTest(accountInput{}, db.AccountSettings{Outgoing: db.Outgoing{Host: "smtp.example.com", Port: 465,
			Security: "tls", Auth: db.OutgoingAuthNone}}, nil, "")
		if p.opts.Timeout != tc.want {
			t.Errorf("test %v, SMTP %v: %v, want %v", tc.test, tc.smtp, p.opts.Timeout, tc.want)
		}
	}
}
