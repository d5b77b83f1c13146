package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// remoteMessage is an HTML message from the given From header with a
// remote image and a remote stylesheet background.
func remoteMessage(from, subject string) string {
	return "From: " + from + "\nTo: ana@example.com\nSubject: " + subject + "\n" +
		"Date: Sat, 14 Mar 2026 09:00:00 +0000\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" +
		`<html><body><p>News</p><img src="https://images.shop.example/banner.png" alt="">` +
		`<div style="background:url(https://images.shop.example/bg.png)">x</div></body></html>` + "\n"
}

// remoteState is what the message page and its body document say about
// remote content.
type remoteState struct {
	bar      string // the bar's data-testid: remote-blocked, remote-shown, remote-trusted, or ""
	frameSrc string
	csp      string // the body document's policy
	remote   bool   // the body document keeps the remote image
	trust    string // the "always show" button's text, "" when absent
	untrust  string // the "stop trusting" button's text, "" when absent
}

func readRemoteState(t *testing.T, c *client, id int64, query string) remoteState {
	t.Helper()
	r := c.get(msgPath(id, query))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	var s remoteState
	for _, bar := range []string{"remote-blocked", "remote-shown", "remote-trusted"} {
		if n := byTestID(doc, bar); len(n) > 0 {
			if s.bar != "" {
				t.Fatalf("two remote-content bars: %s and %s", s.bar, bar)
			}
			s.bar = bar
		}
	}
	if b := byTestID(doc, "trust-sender"); len(b) == 1 {
		s.trust = text(b[0])
	}
	if b := byTestID(doc, "untrust-sender"); len(b) == 1 {
		s.untrust = text(b[0])
	}
	s.frameSrc = attr(one(t, doc, "message-body-frame"), "src")
	b := c.get(s.frameSrc)
	wantStatus(t, b, http.StatusOK)
	s.csp = b.Header.Get("Content-Security-Policy")
	s.remote = strings.Contains(b.body, "images.shop.example/banner.png")
	return s
}

func (s remoteState) cspAllowsRemote() bool {
	return strings.Contains(s.csp, "https:") || strings.Contains(s.csp, "http:")
}

// wantBlocked checks a page whose remote content is blocked.
func wantBlocked(t *testing.T, s remoteState, id int64) {
	t.Helper()
	if s.bar != "remote-blocked" || s.frameSrc != msgPath(id, "/body") || s.cspAllowsRemote() || s.remote {
		t.Errorf("want remote content blocked, got %+v", s)
	}
}

// wantShown checks a page whose remote content loads.
func wantShown(t *testing.T, s remoteState, id int64, bar string) {
	t.Helper()
	if s.bar != bar || s.frameSrc != msgPath(id, "/body?remote=1") || !strings.Contains(s.csp, "img-src 'self' data: https: http:") || !s.remote {
		t.Errorf("want remote content shown with %s, got %+v", bar, s)
	}
	if !strings.Contains(s.csp, "sandbox") || !strings.Contains(s.csp, "default-src 'none'") {
		t.Errorf("the body's policy lost its sandbox: %q", s.csp)
	}
}

func trusted(t *testing.T, app *testApp, userID int64, addr string) bool {
	t.Helper()
	ok, err := app.db.SenderTrusted(context.Background(), userID, addr)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestRemoteContentShowOnceAndAlways(t *testing.T) {
	f := newMailFixture(t)
	app := f.app
	now := app.clock.Now()
	news := app.addMessage(f.anaAcc, remoteMessage("Shop News <News@Shop.Example>", "Spring sale"), now)
	news2 := app.addMessage(f.anaAcc, remoteMessage("news@shop.example", "Summer sale"), now)
	other := app.addMessage(f.anaAcc, remoteMessage("Other <promo@other.example>", "Other sale"), now)
	beaNews := app.addMessage(f.beaAcc, remoteMessage("Shop News <news@shop.example>", "Spring sale"), now)

	// Blocked by default, with both choices; the sender is named in the
	// form it is kept in.
	s := readRemoteState(t, f.anaC, news, "")
	wantBlocked(t, s, news)
	if s.trust != "Always show for news@shop.example" || s.untrust != "" {
		t.Errorf("blocked bar buttons: %+v", s)
	}
	doc := f.anaC.get(msgPath(news, "?back="+url.QueryEscape("/mail?before=1.2"))).doc(t)
	if got := attr(one(t, doc, "show-images"), "href"); got != msgPath(news, "?remote=1&back="+url.QueryEscape("/mail?before=1.2")) {
		t.Errorf("show once %q", got)
	}
	form := one(t, doc, "trust-sender").Parent
	if form.Data != "form" || attr(form, "method") != "post" || attr(form, "action") != msgPath(news, "/sender/trust") {
		t.Errorf("always-show form <%s method=%q action=%q>", form.Data, attr(form, "method"), attr(form, "action"))
	}
	if v, _, _ := inputValue(form, "back"); v != "/mail?before=1.2" {
		t.Errorf("always-show form returns to %q", v)
	}
	if !strings.Contains(text(one(t, doc, "remote-blocked")), "Remote content blocked to protect your privacy.") {
		t.Errorf("bar %q", text(one(t, doc, "remote-blocked")))
	}

	// Show once: this view only, nothing remembered.
	s = readRemoteState(t, f.anaC, news, "?remote=1")
	wantShown(t, s, news, "remote-shown")
	if s.trust != "Always show for news@shop.example" {
		t.Errorf("shown-once bar offers %q", s.trust)
	}
	wantBlocked(t, readRemoteState(t, f.anaC, news, ""), news)
	if trusted(t, app, f.ana.ID, "news@shop.example") {
		t.Fatal("showing once trusted the sender")
	}

	// Always: posted, then back to the message (PRG) where it loads.
	r := f.anaC.post(msgPath(news, "/sender/trust"), url.Values{"back": {"/mail?before=1.2"}})
	wantRedirect(t, r, msgPath(news, "?back="+url.QueryEscape("/mail?before=1.2")))
	if !trusted(t, app, f.ana.ID, "news@shop.example") {
		t.Fatal("the sender is not trusted")
	}
	s = readRemoteState(t, f.anaC, news, "")
	wantShown(t, s, news, "remote-trusted")
	if s.untrust != "Stop trusting news@shop.example" || s.trust != "" {
		t.Errorf("trusted bar buttons: %+v", s)
	}
	doc = f.anaC.get(msgPath(news, "")).doc(t)
	if l := attr(one(t, doc, "trusted-senders-link"), "href"); l != "/settings/senders" {
		t.Errorf("trusted senders link %q", l)
	}
	// …for every message from that sender, in any case…
	wantShown(t, readRemoteState(t, f.anaC, news2, ""), news2, "remote-trusted")
	// …and no other sender.
	wantBlocked(t, readRemoteState(t, f.anaC, other, ""), other)
	// Trusting twice is harmless; a "back" leading off the mail pages is not followed.
	r = f.anaC.post(msgPath(news2, "/sender/trust"), url.Values{"back": {"//evil.example/"}})
	wantRedirect(t, r, msgPath(news2, "?back=%2Fmail"))

	// Another user's trust does not apply, and nobody can trust through
	// someone else's message.
	wantBlocked(t, readRemoteState(t, f.beaC, beaNews, ""), beaNews)
	wantStatus(t, f.beaC.post(msgPath(other, "/sender/trust"), url.Values{}), http.StatusNotFound)
	if trusted(t, app, f.bea.ID, "promo@other.example") || trusted(t, app, f.ana.ID, "promo@other.example") {
		t.Error("a post on another user's message trusted its sender")
	}
	wantStatus(t, f.beaC.post(msgPath(news, "/sender/untrust"), url.Values{}), http.StatusNotFound)
	if !trusted(t, app, f.ana.ID, "news@shop.example") {
		t.Error("bea stopped ana trusting a sender")
	}

	// A cross-site form cannot change trust; a GET does nothing.
	r = f.anaC.postWith(msgPath(other, "/sender/trust"), url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	wantStatus(t, r, http.StatusForbidden)
	wantStatus(t, f.anaC.get(msgPath(other, "/sender/trust")), http.StatusMethodNotAllowed)
	if trusted(t, app, f.ana.ID, "promo@other.example") {
		t.Error("a cross-site post or a GET trusted the sender")
	}

	// Stop trusting: blocked again, on every message from the sender.
	r = f.anaC.post(msgPath(news2, "/sender/untrust"), url.Values{"back": {"/mail"}})
	wantRedirect(t, r, msgPath(news2, "?back=%2Fmail"))
	if trusted(t, app, f.ana.ID, "news@shop.example") {
		t.Fatal("still trusted")
	}
	wantBlocked(t, readRemoteState(t, f.anaC, news, ""), news)
	wantBlocked(t, readRemoteState(t, f.anaC, news2, ""), news2)
}

func TestRemoteContentNeedsOneSender(t *testing.T) {
	f := newMailFixture(t)
	app := f.app
	now := app.clock.Now()
	for _, from := range []string{
		"news@shop.example, promo@other.example",
		"undisclosed-recipients:;",
		"Shop News",
	} {
		t.Run(from, func(t *testing.T) {
			id := app.addMessage(f.anaAcc, remoteMessage(from, "Sale"), now)
			s := readRemoteState(t, f.anaC, id, "")
			wantBlocked(t, s, id)
			if s.trust != "" {
				t.Errorf("offers to trust %q", s.trust)
			}
			s = readRemoteState(t, f.anaC, id, "?remote=1")
			wantShown(t, s, id, "remote-shown")
			if s.trust != "" {
				t.Errorf("offers to trust %q", s.trust)
			}
			wantStatus(t, f.anaC.post(msgPath(id, "/sender/trust"), url.Values{}), http.StatusBadRequest)
			if list, _ := app.db.TrustedSenders(context.Background(), f.ana.ID); len(list) != 0 {
				t.Errorf("trusted %v", list)
			}
		})
	}
	// A message without remote content has nothing to say about it.
	r := f.anaC.get(msgPath(app.addMessage(f.anaAcc, "From: news@shop.example\nSubject: Plain HTML\nContent-Type: text/html\n\n<p>hello</p>\n", now), ""))
	for _, bar := range []string{"remote-blocked", "remote-shown", "remote-trusted"} {
		none(t, r.doc(t), bar)
	}
}

func TestTrustedSendersPage(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	for _, a := range []string{"zoe@example.net", "news@shop.example"} {
		if err := f.app.db.TrustSender(ctx, f.ana.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.app.db.TrustSender(ctx, f.bea.ID, "bea-only@example.org"); err != nil {
		t.Fatal(err)
	}
	addresses := func(doc *html.Node) []string {
		var out []string
		for _, n := range byTestID(doc, "sender-address") {
			out = append(out, text(n))
		}
		return out
	}

	r := f.anaC.get("/settings/senders")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	if got := strings.Join(addresses(doc), " "); got != "news@shop.example zoe@example.net" {
		t.Errorf("ana's trusted senders %q", got)
	}
	if strings.Contains(r.body, "bea-only") {
		t.Error("ana sees bea's trusted sender")
	}
	if got := attr(one(t, doc, "nav-settings"), "aria-current"); got != "page" {
		t.Errorf("the settings section is not current: %q", got)
	}
	none(t, doc, "notice")

	// Remove one: back to the list (PRG), which says so.
	r = f.anaC.post("/settings/senders/remove", url.Values{"address": {"News@Shop.Example"}})
	wantRedirect(t, r, "/settings/senders?done=removed")
	doc = f.anaC.get("/settings/senders?done=removed").doc(t)
	if got := strings.Join(addresses(doc), " "); got != "zoe@example.net" {
		t.Errorf("after removing: %q", got)
	}
	one(t, doc, "notice")
	// Removing another user's address touches only one's own list.
	wantRedirect(t, f.anaC.post("/settings/senders/remove", url.Values{"address": {"bea-only@example.org"}}), "/settings/senders?done=removed")
	if !trusted(t, f.app, f.bea.ID, "bea-only@example.org") {
		t.Error("ana removed bea's trusted sender")
	}
	// Nonsense is refused.
	wantStatus(t, f.anaC.post("/settings/senders/remove", url.Values{"address": {"not an address"}}), http.StatusBadRequest)

	// Empty list.
	wantRedirect(t, f.anaC.post("/settings/senders/remove", url.Values{"address": {"zoe@example.net"}}), "/settings/senders?done=removed")
	doc = f.anaC.get("/settings/senders").doc(t)
	one(t, doc, "no-senders")
	none(t, doc, "sender")

	// Signed out: the sign-in page.
	anon := f.app.client()
	if r := anon.get("/settings/senders"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("signed out: status %d, location %q", r.StatusCode, r.Header.Get("Location"))
	}
}
