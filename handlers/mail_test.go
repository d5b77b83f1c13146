package handlers

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
)

const textMessage = `From: Zoë Martin <zoe@example.net>
To: Ana <ana@example.com>
Subject: Plans for Saturday
Date: Fri, 13 Mar 2026 18:30:00 +0100
Message-ID: <plans@example.net>
Content-Type: text/plain; charset=utf-8

Hi Ana,

the map is at https://maps.example.org/park?x=1&y=2. See you there!
<script>alert(1)</script>
`

// pngPixel is a 1×1 PNG.
var pngPixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

var htmlMessage = `From: Shop <news@shop.example>
To: ana@example.com
Subject: =?UTF-8?Q?Ofertas_de_primavera_=E2=80=94_a=C3=B1o_2026?=
Date: Sat, 14 Mar 2026 09:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<html><body><p>Hello <b>Ana</b></p>
<img src="https://tracker.example/pixel.gif" alt="">
<img src="cid:logo@shop" alt="logo">
<script>alert(1)</script>
<a href="https://shop.example/offer">Offer</a>
</body></html>
--rel
Content-Type: image/png
Content-ID: <logo@shop>
Content-Transfer-Encoding: base64

` + pngPixel + `
--rel--
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''Presupuesto%20a%C3%B1o%202026%20%E2%80%94%20%C3%B1and%C3%BA.pdf
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 fake")) + `
--outer
Content-Type: text/html; charset=utf-8; name="page.html"
Content-Disposition: attachment; filename="page.html"

<html><body><script>alert(document.cookie)</script></body></html>
--outer
Content-Type: image/svg+xml; name="logo.svg"
Content-Disposition: attachment; filename="logo.svg"

<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>
--outer--
`

// nestedMessage is nested deeper than the parser goes: it is shown as
// its source.
func nestedMessage() string {
	var b strings.Builder
	b.WriteString("From: deep@example.org\nSubject: Too deep\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i+1)
	}
	b.WriteString("--b30\nContent-Type: text/plain\n\nUNIQUE-MARKER-7731 <b>not html</b>\n")
	for i := 30; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	return b.String()
}

// mailFixture is two users, each with an account and messages.
type mailFixture struct {
	app              *testApp
	ana, bea         db.User
	anaAcc, beaAcc   db.Account
	anaText, anaHTML int64
	beaText          int64
	anaC, beaC       *client
}

func newMailFixture(t *testing.T) *mailFixture {
	t.Helper()
	app := newApp(t)
	f := &mailFixture{app: app}
	f.ana = app.addUser("ana", "correct horse", db.RoleAdmin)
	f.bea = app.addUser("bea", "battery staple", db.RoleMember)
	f.anaAcc = app.addAccount(f.ana.ID, "Home")
	f.beaAcc = app.addAccount(f.bea.ID, "Work")
	now := app.clock.Now()
	f.anaText = app.addMessage(f.anaAcc, textMessage, now.Add(-2*time.Hour))
	f.anaHTML = app.addMessage(f.anaAcc, htmlMessage, now.Add(-time.Hour))
	f.beaText = app.addMessage(f.beaAcc, textMessage, now.Add(-time.Hour))
	f.anaC = app.login("ana", "correct horse")
	f.beaC = app.login("bea", "battery staple")
	return f
}

func msgPath(id int64, rest string) string { return "/mail/" + strconv.FormatInt(id, 10) + rest }

func TestInbox(t *testing.T) {
	f := newMailFixture(t)
	r := f.anaC.get("/mail")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	rows := byTestID(doc, "message-row")
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	// Newest first; unread, with the attachment marker where there are attachments.
	if got := attr(rows[0], "data-message-id"); got != strconv.FormatInt(f.anaHTML, 10) {
		t.Errorf("first row is message %s, want %d", got, f.anaHTML)
	}
	if s := text(one(t, rows[0], "message-subject")); s != "Ofertas de primavera — año 2026" {
		t.Errorf("subject %q", s)
	}
	if attr(rows[0], "data-unread") != "true" || !strings.Contains(attr(rows[0], "class"), "unread") {
		t.Error("the new message is not marked unread")
	}
	one(t, rows[0], "attachment-marker")
	none(t, rows[1], "attachment-marker")
	if s := text(one(t, rows[1], "message-from")); !strings.Contains(s, "Zoë Martin") {
		t.Errorf("sender %q", s)
	}
	if s := text(one(t, rows[1], "message-snippet")); !strings.HasPrefix(s, "Hi Ana") {
		t.Errorf("snippet %q", s)
	}
	if s := text(one(t, doc, "mailbox-total")); s != "2 messages" {
		t.Errorf("total %q", s)
	}
	// The navigation shows the inbox with its unread count, and no tab for
	// the single account (it would repeat the inbox); the other user's
	// account is not there.
	nav := one(t, doc, "nav")
	none(t, nav, "nav-account")
	if s := text(one(t, nav, "nav-inbox")); !strings.Contains(s, "2") {
		t.Errorf("nav inbox %q", s)
	}
	if strings.Contains(text(nav), "Work") {
		t.Error("another user's account in the navigation")
	}
	// The bulk actions are there, in a form that posts to /mail/actions.
	form := one(t, doc, "list-form")
	if attr(form, "method") != "post" || attr(form, "action") != "/mail/actions" {
		t.Errorf("list form %s %s", attr(form, "method"), attr(form, "action"))
	}
	one(t, doc, "action-trash")
	one(t, doc, "action-unread")

	// One account's inbox.
	r = f.anaC.get("/mail?account=" + strconv.FormatInt(f.anaAcc.ID, 10))
	wantStatus(t, r, http.StatusOK)
	if n := len(byTestID(r.doc(t), "message-row")); n != 2 {
		t.Errorf("%d rows in the account's inbox", n)
	}
	wantStatus(t, f.anaC.get("/mail?account=abc"), http.StatusNotFound)
	wantStatus(t, f.anaC.get("/mail?before=garbage"), http.StatusBadRequest)
	wantStatus(t, f.anaC.get("/mail?after=garbage"), http.StatusBadRequest)

	// The empty trash, and a user without accounts.
	r = f.anaC.get("/mail/trash")
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "empty")
	f.app.addUser("cris", "correct horse", db.RoleMember)
	r = f.app.login("cris", "correct horse").get("/mail")
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "no-accounts")
	wantRedirect(t, f.anaC.get("/"), "/mail")
}

func TestInboxPaging(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	base := app.clock.Now().Add(-1000 * time.Hour)
	var ids []int64 // oldest first
	for i := 0; i < 120; i++ {
		raw := fmt.Sprintf("From: s%d@example.org\nSubject: Message %03d\n\nbody %d\n", i, i, i)
		// Some share a time, so that the id breaks ties.
		ids = append(ids, app.addMessage(acc, raw, base.Add(time.Duration(i/2)*time.Hour)))
	}
	c := app.login("ana", "correct horse")

	rowIDs := func(r *response) []string {
		var out []string
		for _, n := range byTestID(r.doc(t), "message-row") {
			out = append(out, attr(n, "data-message-id"))
		}
		return out
	}
	wantIDs := func(from, to int) []string { // newest first, ids[from] down to ids[to]
		var out []string
		for i := from; i >= to; i-- {
			out = append(out, strconv.FormatInt(ids[i], 10))
		}
		return out
	}
	link := func(r *response, id string) string {
		ns := byTestID(r.doc(t), id)
		if len(ns) == 0 {
			return ""
		}
		return attr(ns[0], "href")
	}

	p1 := c.get("/mail")
	wantStatus(t, p1, http.StatusOK)
	if got, want := rowIDs(p1), wantIDs(119, 70); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("page 1: %v\nwant %v", got, want)
	}
	if s := text(one(t, p1.doc(t), "mailbox-total")); s != "120 messages" {
		t.Errorf("total %q", s)
	}
	if link(p1, "page-newer") != "" || link(p1, "page-older") == "" {
		t.Fatal("page 1 links")
	}
	p2 := c.get(link(p1, "page-older"))
	if got, want := rowIDs(p2), wantIDs(69, 20); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("page 2: %v\nwant %v", got, want)
	}
	p3 := c.get(link(p2, "page-older"))
	if got, want := rowIDs(p3), wantIDs(19, 0); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("page 3: %v\nwant %v", got, want)
	}
	if link(p3, "page-older") != "" || link(p3, "page-newer") == "" {
		t.Fatal("page 3 links")
	}
	back := c.get(link(p3, "page-newer"))
	if fmt.Sprint(rowIDs(back)) != fmt.Sprint(rowIDs(p2)) {
		t.Fatalf("newer from page 3 is not page 2: %v", rowIDs(back))
	}
	first := c.get(link(back, "page-newer"))
	if fmt.Sprint(rowIDs(first)) != fmt.Sprint(rowIDs(p1)) || link(first, "page-newer") != "" {
		t.Fatalf("newer from page 2 is not page 1: %v", rowIDs(first))
	}
	// Paging links keep the account filter.
	pa := c.get("/mail?account=" + strconv.FormatInt(acc.ID, 10))
	if l := link(pa, "page-older"); !strings.Contains(l, "account="+strconv.FormatInt(acc.ID, 10)) {
		t.Errorf("older link %q lost the account", l)
	}
}

func TestMessagePageText(t *testing.T) {
	f := newMailFixture(t)
	r := f.anaC.get(msgPath(f.anaText, ""))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	if s := text(one(t, doc, "message-subject")); s != "Plans for Saturday" {
		t.Errorf("subject %q", s)
	}
	if s := text(one(t, doc, "message-from")); !strings.Contains(s, "Zoë Martin") || !strings.Contains(s, "zoe@example.net") {
		t.Errorf("from %q", s)
	}
	// The date is in the reader's zone: the server's here (UTC).
	if s := text(one(t, doc, "message-date")); s != "Mar 13, 2026, 17:30" {
		t.Errorf("date %q", s)
	}
	body := one(t, doc, "message-body-text")
	if !strings.HasPrefix(rawText(body), "Hi Ana,\n\nthe map is at ") {
		t.Errorf("body text %q", rawText(body))
	}
	var links []string
	walk(body, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "a" {
			links = append(links, attr(n, "href"))
			if attr(n, "rel") != "noopener noreferrer" {
				t.Errorf("link rel %q", attr(n, "rel"))
			}
		}
		if n.Type == html.ElementNode && n.Data == "script" {
			t.Error("the text body's <script> became an element")
		}
	})
	if len(links) != 1 || links[0] != "https://maps.example.org/park?x=1&y=2" {
		t.Errorf("links %v", links)
	}
	none(t, doc, "message-body-frame")
	one(t, doc, "all-headers")
	if l := attr(one(t, doc, "show-original"), "href"); l != msgPath(f.anaText, "/raw") {
		t.Errorf("show original %q", l)
	}
	if l := attr(one(t, doc, "download-eml"), "href"); l != msgPath(f.anaText, "/raw?download=1") {
		t.Errorf("download %q", l)
	}
	if l := attr(one(t, doc, "back"), "href"); l != "/mail" {
		t.Errorf("back %q", l)
	}
	// Opening it marked it read.
	m, err := f.app.db.Message(context.Background(), f.ana.ID, f.anaText)
	if err != nil || !m.Flags.Has(db.FlagSeen) {
		t.Fatalf("not marked read: %+v %v", m, err)
	}
	// "back" comes from the list, and only leads to a list.
	r = f.anaC.get(msgPath(f.anaText, "?back="+url.QueryEscape("/mail?before=1.2")))
	if l := attr(one(t, r.doc(t), "back"), "href"); l != "/mail?before=1.2" {
		t.Errorf("back %q", l)
	}
	r = f.anaC.get(msgPath(f.anaText, "?back="+url.QueryEscape("//evil.example/")))
	if l := attr(one(t, r.doc(t), "back"), "href"); l != "/mail" {
		t.Errorf("back %q", l)
	}
}

func TestMessageRaw(t *testing.T) {
	f := newMailFixture(t)
	r := f.anaC.get(msgPath(f.anaText, "/raw"))
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if r.body != strings.ReplaceAll(textMessage, "\n", "\r\n") {
		t.Error("the raw message is not byte-identical")
	}
	if cd := r.Header.Get("Content-Disposition"); cd != "" {
		t.Errorf("viewing sets Content-Disposition %q", cd)
	}
	r = f.anaC.get(msgPath(f.anaHTML, "/raw?download=1"))
	wantStatus(t, r, http.StatusOK)
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] != "Ofertas de primavera — año 2026.eml" {
		t.Errorf("download disposition %q (%v): %v", r.Header.Get("Content-Disposition"), params, err)
	}
}

func TestMessagePageHTML(t *testing.T) {
	f := newMailFixture(t)
	r := f.anaC.get(msgPath(f.anaHTML, ""))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	frame := one(t, doc, "message-body-frame")
	if frame.Data != "iframe" || attr(frame, "sandbox") != "allow-same-origin allow-popups allow-popups-to-escape-sandbox" {
		t.Errorf("body frame <%s sandbox=%q>", frame.Data, attr(frame, "sandbox"))
	}
	if src := attr(frame, "src"); src != msgPath(f.anaHTML, "/body") {
		t.Errorf("frame src %q", src)
	}
	if strings.Contains(r.body, "tracker.example") || strings.Contains(r.body, "alert(") {
		t.Error("sender HTML leaked into the app's page")
	}
	one(t, doc, "remote-blocked")
	show := attr(one(t, doc, "show-images"), "href")
	if !strings.HasPrefix(show, msgPath(f.anaHTML, "?remote=1")) {
		t.Errorf("show images %q", show)
	}
	// Attachments: the PDF, the HTML page and the SVG; the inline logo is
	// shown in the body, not listed.
	atts := byTestID(doc, "attachment")
	var names []string
	for _, a := range atts {
		names = append(names, text(one(t, a, "attachment-link")))
	}
	if fmt.Sprint(names) != "[Presupuesto año 2026 — ñandú.pdf page.html logo.svg]" {
		t.Errorf("attachments %q", names)
	}
	// No preview for any of them: an SVG could carry script.
	none(t, one(t, doc, "attachments"), "attachment-preview")

	// The body document: its own strict, sandboxing policy; no remote images.
	b := f.anaC.get(msgPath(f.anaHTML, "/body"))
	wantStatus(t, b, http.StatusOK)
	csp := b.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "img-src 'self' data:;", "frame-ancestors 'self'", "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"} {
		if !strings.Contains(csp, want) {
			t.Errorf("body CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "https:") || strings.Contains(csp, "http:") {
		t.Errorf("body CSP %q allows remote images", csp)
	}
	if b.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("body X-Frame-Options %q", b.Header.Get("X-Frame-Options"))
	}
	if strings.Contains(b.body, "tracker.example") || strings.Contains(b.body, "<script") {
		t.Error("the body kept a remote image or a script")
	}
	if !strings.Contains(b.body, "<b>Ana</b>") {
		t.Error("the body lost the sender's formatting")
	}

	// Remote images when asked.
	r = f.anaC.get(msgPath(f.anaHTML, "?remote=1"))
	doc = r.doc(t)
	if src := attr(one(t, doc, "message-body-frame"), "src"); src != msgPath(f.anaHTML, "/body?remote=1") {
		t.Errorf("frame src with remote images %q", src)
	}
	none(t, doc, "remote-blocked")
	b = f.anaC.get(msgPath(f.anaHTML, "/body?remote=1"))
	csp = b.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src 'self' data: https: http:") || !strings.Contains(csp, "sandbox") {
		t.Errorf("remote body CSP %q", csp)
	}
	if !strings.Contains(b.body, "tracker.example") {
		t.Error("the remote image is still blocked")
	}

	// A text message has no HTML body to serve.
	wantStatus(t, f.anaC.get(msgPath(f.anaText, "/body")), http.StatusNotFound)
}

var partURLRe = regexp.MustCompile(`/mail/\d+/part/[0-9.]+\?t=[A-Za-z0-9._-]+`)

func TestInlineImagesUseSignedURLs(t *testing.T) {
	f := newMailFixture(t)
	b := f.anaC.get(msgPath(f.anaHTML, "/body"))
	u := partURLRe.FindString(b.body)
	if u == "" {
		t.Fatalf("no signed part URL in the body:\n%s", b.body)
	}
	// The sandboxed body's requests carry no cookie: the signature is enough.
	anon := f.app.client()
	r := anon.get(u)
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("inline image served as %q, %q", r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	png, _ := base64.StdEncoding.DecodeString(pngPixel)
	if r.body != string(png) {
		t.Error("inline image bytes differ")
	}
	// Tampered, moved to another message, or expired: refused.
	tampered := u[:len(u)-2] + "xx"
	if strings.HasSuffix(u, "xx") {
		tampered = u[:len(u)-2] + "yy"
	}
	wantRedirect(t, anon.get(tampered), "/login?next="+url.QueryEscape(tampered))
	// The last character of the signature carries unused low bits: a
	// signature that differs only there is another string, and refused.
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(b64, u[len(u)-1])
	padded := u[:len(u)-1] + string(b64[last^1])
	wantRedirect(t, anon.get(padded), "/login?next="+url.QueryEscape(padded))
	moved := strings.Replace(u, msgPath(f.anaHTML, ""), msgPath(f.anaText, ""), 1)
	if anon.get(moved).StatusCode == http.StatusOK {
		t.Error("a signature for one message opened another")
	}
	beaMsg := strings.Replace(u, msgPath(f.anaHTML, ""), msgPath(f.beaText, ""), 1)
	if f.anaC.get(beaMsg).StatusCode != http.StatusNotFound {
		t.Error("ana reached bea's message part")
	}
	f.app.clock.Advance(partURLTTL + time.Minute)
	if anon.get(u).StatusCode == http.StatusOK {
		t.Error("an expired signature still works")
	}
	// A disabled user's signed URLs stop working.
	f.app.clock.Advance(-partURLTTL - time.Minute)
	f.app.addUser("keeper", "correct horse", db.RoleAdmin) // ana may be the only administrator
	if err := f.app.db.SetDisabled(context.Background(), f.ana.ID, true); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, anon.get(u), http.StatusNotFound)
}

func TestAttachmentDownloads(t *testing.T) {
	f := newMailFixture(t)
	r := f.anaC.get(msgPath(f.anaHTML, ""))
	links := map[string]string{}
	for _, a := range byTestID(r.doc(t), "attachment-link") {
		links[text(a)] = attr(a, "href")
	}

	// A name in any language: RFC 5987 filename* and an ASCII fallback.
	pdf := f.anaC.get(links["Presupuesto año 2026 — ñandú.pdf"])
	wantStatus(t, pdf, http.StatusOK)
	cd := pdf.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `filename="Presupuesto a_o 2026 _ _and_.pdf"`) ||
		!strings.Contains(cd, "filename*=UTF-8''Presupuesto%20a%C3%B1o%202026%20%E2%80%94%20%C3%B1and%C3%BA.pdf") {
		t.Errorf("Content-Disposition %q", cd)
	}
	disp, params, err := mime.ParseMediaType(cd)
	if err != nil || disp != "attachment" || params["filename"] != "Presupuesto año 2026 — ñandú.pdf" {
		t.Errorf("parsed disposition %q %v %v", disp, params, err)
	}
	if pdf.Header.Get("Content-Type") != "application/pdf" || pdf.body != "%PDF-1.4 fake" {
		t.Errorf("pdf %q %q", pdf.Header.Get("Content-Type"), pdf.body)
	}

	// HTML and SVG are never served as such.
	for _, name := range []string{"page.html", "logo.svg"} {
		r := f.anaC.get(links[name])
		wantStatus(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("%s served as %q", name, ct)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("%s disposition %q", name, cd)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
			t.Errorf("%s headers %v", name, r.Header)
		}
	}
	wantStatus(t, f.anaC.get(msgPath(f.anaHTML, "/part/9")), http.StatusNotFound)
	wantStatus(t, f.anaC.get(msgPath(f.anaHTML, "/part/..")), http.StatusNotFound)
}

func TestUnparseableMessageShowsSource(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	id := app.addMessage(acc, nestedMessage(), app.clock.Now())
	c := app.login("ana", "correct horse")
	r := c.get(msgPath(id, ""))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "parse-error")
	src := rawText(one(t, doc, "raw-source"))
	if !strings.Contains(src, "UNIQUE-MARKER-7731 <b>not html</b>") || !strings.Contains(src, "Subject: Too deep") {
		t.Errorf("raw source %q", src)
	}
	none(t, doc, "message-body-frame")
	// It is listed as usual.
	r = c.get("/mail")
	if n := len(byTestID(r.doc(t), "message-row")); n != 1 {
		t.Errorf("%d rows", n)
	}
}

func TestMessageActions(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	c := f.anaC
	get := func(id int64) db.MessageSummary {
		m, err := f.app.db.Message(ctx, f.ana.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	act := func(action, ret string, ids ...int64) *response {
		form := url.Values{"action": {action}, "return": {ret}}
		for _, id := range ids {
			form.Add("ids", strconv.FormatInt(id, 10))
		}
		return c.post("/mail/actions", form)
	}

	wantUndoable(t, act("read", "/mail?before=5.5", f.anaText, f.anaHTML), "/mail?before=5.5")
	if !get(f.anaText).Flags.Has(db.FlagSeen) || !get(f.anaHTML).Flags.Has(db.FlagSeen) {
		t.Fatal("not marked read")
	}
	wantUndoable(t, act("unread", "/mail", f.anaText), "/mail")
	if get(f.anaText).Flags.Has(db.FlagSeen) {
		t.Fatal("not marked unread")
	}
	// The PHP-style field name works too.
	r := c.post("/mail/actions", url.Values{"action": {"read"}, "ids[]": {strconv.FormatInt(f.anaText, 10)}})
	wantUndoable(t, r, "/mail")
	// Deleting for good only works from the trash.
	wantRedirect(t, act("delete", "/mail", f.anaText), "/mail?done=deleted")
	get(f.anaText)
	wantUndoable(t, act("trash", "/mail", f.anaText), "/mail")
	if get(f.anaText).TrashedAt == nil {
		t.Fatal("not trashed")
	}
	r = c.get("/mail?done=trashed")
	one(t, r.doc(t), "notice")
	if n := len(byTestID(r.doc(t), "message-row")); n != 1 {
		t.Fatalf("%d rows in the inbox after trashing one of 2", n)
	}
	r = c.get("/mail/trash")
	rows := byTestID(r.doc(t), "message-row")
	if len(rows) != 1 {
		t.Fatalf("%d rows in the trash", len(rows))
	}
	one(t, r.doc(t), "action-restore")
	one(t, r.doc(t), "action-empty-trash")
	// The message page of a trashed message offers restore and delete.
	r = c.get(msgPath(f.anaText, ""))
	one(t, r.doc(t), "in-trash")
	one(t, r.doc(t), "action-delete")
	if l := attr(one(t, r.doc(t), "back"), "href"); l != "/mail/trash" {
		t.Errorf("back from a trashed message %q", l)
	}
	wantUndoable(t, act("restore", "/mail/trash", f.anaText), "/mail/trash")
	if get(f.anaText).TrashedAt != nil {
		t.Fatal("not restored")
	}
	wantUndoable(t, act("trash", "/mail", f.anaText, f.anaHTML), "/mail")
	wantRedirect(t, act("delete", "/mail/trash", f.anaText), "/mail/trash?done=deleted")
	if _, err := f.app.db.Message(ctx, f.ana.ID, f.anaText); err != db.ErrNotFound {
		t.Fatalf("deleted message: %v", err)
	}
	wantRedirect(t, act("empty-trash", "/mail/trash"), "/mail/trash?done=emptied")
	if _, err := f.app.db.Message(ctx, f.ana.ID, f.anaHTML); err != db.ErrNotFound {
		t.Fatalf("message in an emptied trash: %v", err)
	}
	// Bea's mail was not touched by any of it.
	if _, err := f.app.db.Message(ctx, f.bea.ID, f.beaText); err != nil {
		t.Fatal(err)
	}

	// Nothing selected, an unknown action, a bad id, a foreign return path.
	wantRedirect(t, act("trash", "/mail"), "/mail?done="+doneNoneSelected)
	wantStatus(t, act("explode", "/mail", f.beaText), http.StatusBadRequest)
	wantStatus(t, c.post("/mail/actions", url.Values{"action": {"read"}, "ids": {"x"}}), http.StatusBadRequest)
	wantRedirect(t, act("empty-trash", "https://evil.example/"), "/mail?done=emptied")
	// Actions are POST only (a GET is taken for a message id, and none is found).
	wantStatus(t, c.get("/mail/actions?action=empty-trash"), http.StatusNotFound)
}

// With a single account its tab would repeat the inbox: the navigation
// has one only once there are two.
func TestNavAccountTabs(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	app.addAccount(ana.ID, "Home")
	c := app.login("ana", "correct horse")
	none(t, one(t, c.get("/mail").doc(t), "nav"), "nav-account")
	app.addAccount(ana.ID, "Work")
	if tabs := byTestID(one(t, c.get("/mail").doc(t), "nav"), "nav-account"); len(tabs) != 2 {
		t.Errorf("%d account tabs with two accounts", len(tabs))
	}
}
