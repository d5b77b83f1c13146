package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
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
}
