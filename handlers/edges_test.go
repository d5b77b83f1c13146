package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
)

// TestAccountFormSecurityChoices: the "Not encrypted" warning is shown
// only with no encryption chosen, as the form is first drawn; the choices
// promise no port, which the port field's hint gives; the sender's name
// and signature have a section of their own.
func TestAccountFormSecurityChoices(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")

	doc := c.get("/settings/accounts/new?manual=1").doc(t)
	for _, id := range []string{"security-warning-none", "smtp-security-warning-none"} {
		if w := one(t, doc, id); !hasAttr(w, "hidden") {
			t.Errorf("%s is shown while SSL/TLS is chosen", id)
		}
	}
	for _, name := range []string{"security", "smtp_security"} {
		for _, value := range []string{"tls", "starttls", "none"} {
			label := text(one(t, doc, "field-"+name+"-"+value).Parent)
			if strings.ContainsAny(label, "0123456789") {
				t.Errorf("the %s choice %s reads %q: it promises a port", name, value, label)
			}
		}
		radio := one(t, doc, "field-"+name+"-none")
		if w := attr(radio, "data-warning"); w == "" || attr(radio, "aria-describedby") != w {
			t.Errorf("%s none: data-warning %q, aria-describedby %q", name, w, attr(radio, "aria-describedby"))
		}
	}
	if hint := text(one(t, doc, "field-port").Parent); !strings.Contains(hint, "995 for SSL/TLS") {
		t.Errorf("the port field says %q", hint)
	}
	var legend string
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "fieldset" {
			for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
				if ch.Type == html.ElementNode && ch.Data == "legend" && len(byTestID(n, "field-display_name")) > 0 && len(byTestID(n, "field-email")) == 0 {
					legend = text(ch)
				}
			}
		}
	})
	if legend != "How your messages are signed" {
		t.Errorf("the sender's name is in a section titled %q", legend)
	}

	// Chosen, and sent back with an error elsewhere: the warning shows.
	r := c.post("/settings/accounts/new", accountForm("security", "none", "port", "110", "host", "", "smtp_host", "smtp.example.com",
		"smtp_security", "none", "smtp_port", "587"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc = r.doc(t)
	one(t, doc, "error-host")
	for _, id := range []string{"security-warning-none", "smtp-security-warning-none"} {
		if w := one(t, doc, id); hasAttr(w, "hidden") || text(w) == "" {
			t.Errorf("%s is hidden while no encryption is chosen", id)
		}
	}
}

// TestSettingsTrustedCertCompact: an account that trusts one certificate
// says so in one small line with the fingerprint's start, the whole of it
// and what it means folded under it, not a warning box on every card.
func TestSettingsTrustedCertCompact(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	fp := strings.Repeat("ab12", 16)
	for _, name := range []string{"Casa", "Trabajo"} {
		if _, err := app.db.CreateAccount(context.Background(), u.ID, db.AccountSettings{
			Name: name, Email: strings.ToLower(name) + "@example.com", Host: "pop.example.com", Port: 995, Security: "tls",
			Username: name, PasswordSealed: []byte("sealed"), TrustedCert: fp, PollInterval: 10 * time.Minute, Enabled: true, DeleteWhenDeleted: db.DeleteNever,
		}); err != nil {
			t.Fatal(err)
		}
	}
	c := app.login("ana", "correct horse")
	doc := c.get("/settings").doc(t)
	certs := byTestID(doc, "account-trusted-cert")
	if len(certs) != 2 {
		t.Fatalf("%d trusted-certificate notes for 2 accounts", len(certs))
	}
	for _, n := range certs {
		if n.Data != "details" || strings.Contains(attr(n, "class"), "warning") || hasAttr(n, "open") {
			t.Errorf("the note is <%s class=%q open=%v>, want a closed <details>", n.Data, attr(n, "class"), hasAttr(n, "open"))
		}
		var summary string
		walk(n, func(m *html.Node) {
			if m.Type == html.ElementNode && m.Data == "summary" {
				summary = text(m)
			}
		})
		if summary != "Trusted certificate: AB:12:AB:12:AB…" {
			t.Errorf("the note's line reads %q", summary)
		}
		if !strings.Contains(text(n), strings.TrimSuffix(strings.Repeat("AB:12:", 16), ":")) {
			t.Errorf("the whole fingerprint is not under the note: %q", text(n))
		}
	}
}

// TestServerZoneLabel: the server's time zone is named once, with its
// offset, in the time zone field's hint.
func TestServerZoneLabel(t *testing.T) {
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	winter := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		at   time.Time
		want string
	}{
		{"UTC", winter, "UTC"},
		{"Etc/UTC", winter, "UTC"},
		{"Europe/Madrid", winter.In(madrid), "Europe/Madrid (UTC+01:00)"},
		{"CET", winter.In(madrid), "CET (UTC+01:00)"},
		{"+03", winter.In(time.FixedZone("+03", 3*3600)), "UTC+03:00"},
		{"-0330", winter.In(time.FixedZone("-0330", -(3*3600 + 1800))), "UTC-03:30"},
	} {
		if got := zoneLabel(c.name, c.at); got != c.want {
			t.Errorf("zoneLabel(%q) = %q, want %q", c.name, got, c.want)
		}
	}

	t.Setenv("TZ", "UTC")
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	doc := c.get("/settings").doc(t)
	hint := text(one(t, doc, "field-timezone").Parent)
	if !strings.Contains(hint, "until then the server's time zone: UTC.") || strings.Contains(hint, "UTC (UTC") {
		t.Errorf("the time zone's hint reads %q", hint)
	}
}
