package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

const forwardMessage = `From: Ana <ana@example.com>
To: bea@example.com
Subject: Fwd: two messages
Date: Tue, 10 Mar 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain; charset=utf-8

Look at these two.
--outer
Content-Type: message/rfc822

From: =?UTF-8?Q?Jos=C3=A9?= <jose@example.org>
To: ana@example.com
Subject: =?UTF-8?Q?Reuni=C3=B3n?= del lunes
Date: Mon, 09 Mar 2026 08:00:00 +0000
Content-Type: text/plain; charset=utf-8

Nos vemos el lunes en https://example.org/sala.
--outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="newsletter.eml"

From: Shop <news@shop.example>
To: ana@example.com
Subject: Offers
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<p>Offers <img src="http://tracker.example/p.gif"><script>alert(1)</script></p>
--outer--
`

// TestNestedMessages: attached messages are shown below the body, text
// as text and HTML in a sandboxed frame of its own with remote content
// blocked, and each can be downloaded.
func TestNestedMessages(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	id := app.addMessage(acc, forwardMessage, time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	self := "/mail/" + strconv.FormatInt(id, 10)
	c := app.login("ana", "correct horse")
	doc := c.get(self).doc(t)
	one(t, doc, "message-body-text")
	nested := byTestID(doc, "nested-message")
	if len(nested) != 2 {
		t.Fatalf("%d attached messages shown, want 2", len(nested))
	}
	if s := text(one(t, nested[0], "nested-subject")); s != "Reunión del lunes" {
		t.Errorf("first subject %q", s)
	}
	if s := text(one(t, nested[0], "nested-from")); !strings.Contains(s, "José") {
		t.Errorf("first from %q", s)
	}
	if s := text(one(t, nested[0], "nested-body-text")); !strings.Contains(s, "Nos vemos el lunes") {
		t.Errorf("first body %q", s)
	}
	frame := one(t, nested[1], "nested-body-frame")
	if attr(frame, "sandbox") != "allow-same-origin allow-popups allow-popups-to-escape-sandbox" {
		t.Errorf("nested frame sandbox %q", attr(frame, "sandbox"))
	}
	b := c.get(attr(frame, "src"))
	wantStatus(t, b, http.StatusOK)
	if csp := b.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "http:") || !strings.Contains(csp, "sandbox") {
		t.Errorf("nested body CSP %q", csp)
	}
	if !strings.Contains(b.body, "Offers") || strings.Contains(b.body, "tracker.example") || strings.Contains(b.body, "alert(") {
		t.Errorf("nested body %q", b.body)
	}
	// Even with ?remote=1, an attached message's remote content stays out.
	if b := c.get(attr(frame, "src") + "&remote=1"); strings.Contains(b.body, "tracker.example") {
		t.Error("remote content of an attached message loaded")
	}
	// Each is downloadable, as itself.
	d := c.get(attr(one(t, nested[0], "nested-download"), "href"))
	wantStatus(t, d, http.StatusOK)
	if !strings.Contains(d.body, "Nos vemos el lunes") || d.Header.Get("Content-Type") != "message/rfc822" {
		t.Errorf("download: %q, %q", d.Header.Get("Content-Type"), d.body)
	}
	// The body endpoint serves only attached messages' bodies.
	wantStatus(t, c.get(self+"/body?part=1"), http.StatusNotFound)
	wantStatus(t, c.get(self+"/body?part=9"), http.StatusNotFound)
	// Not to another user.
	app.addUser("bea", "battery staple", db.RoleMember)
	wantStatus(t, app.login("bea", "battery staple").get(attr(frame, "src")), http.StatusNotFound)
}
