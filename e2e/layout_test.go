package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/corpus"
	"github.com/apartado/apartado/internal/dovecottest"
)

// The layout test opens real-world shapes of mail at a desktop's and a
// phone's width and measures, in Chromium, that the message page holds
// together: no horizontal scrolling, the body frame inside the viewport,
// the subject and sender visible, attachment names inside their list.
// With APARTADO_SCREENSHOTS set it saves a full-page PNG of each.

// layoutCase is one message and how to find it in the inbox.
type layoutCase struct {
	name   string
	find   string // a substring of its subject in the inbox
	raw    []byte
	body   string // the data-testid of the body the page must show
	nAtt   int    // at least this many attachments listed
	remote bool   // the body has remote content to block
	// calendar: the message is an invitation whose summary must show
	// above the body, within the viewport.
	calendar bool
	// nested: an attached message must show below the body, within the
	// viewport.
	nested bool
}

// corpusFile reads a message of the repository's corpus at test time.
func corpusFile(t *testing.T, rel string) []byte {
	t.Helper()
	return corpus.File(t, rel)
}

// base64Lines encodes b as a base64 body, in lines of 76.
func base64Lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	out.WriteString(s + "\r\n")
	return out.String()
}

// The long, unbroken names the attachment list must wrap.
var (
	longUnbrokenName = strings.Repeat("ConsolidatedAnnualFinancialStatement", 6) + ".pdf"
	longJapaneseName = "会議資料二〇二六年第一四半期売上報告書と来期予算案の詳細および各部門別の分析結果一覧表.xlsx"
)

func layoutCases(t *testing.T) []layoutCase {
	t.Helper()
	// An HTML newsletter: a real marketing body (tables, fixed widths,
	// remote images), in a message of our making.
	newsletter := corpusFile(t, "mimekit/html-bodies/planet-fitness.html")
	html := "From: Planet Fitness <news@email.planetfitness.example>\r\nTo: alice@example.org\r\n" +
		"Subject: Layout newsletter: your monthly update\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n" +
		"Message-ID: <newsletter@layout.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64Lines(newsletter)

	// Plain text with what overflows text: a long URL, a long word, a
	// quoted reply with long lines.
	plainLong := "From: Zoë Martin <zoe@example.net>\r\nTo: alice@example.org\r\n" +
		"Subject: Layout plain: the link and the long word\r\nDate: Mon, 23 Nov 2026 11:00:00 +0100\r\n" +
		"Message-ID: <plain-long@layout.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Hi Alice,\r\n\r\nthe form is at https://forms.example.net/submit/" + strings.Repeat("a1b2c3d4e5", 20) + "?ref=mail&lang=en\r\n\r\n" +
		"Pneumonoultramicroscopicsilicovolcanoconiosis" + strings.Repeat("Supercalifragilisticexpialidocious", 5) + "\r\n\r\n" +
		"> " + strings.Repeat("This is the quoted reply, a long line that goes on and on ", 6) + "\r\n> \r\n> Zoë\r\n"

	// Chinese in UTF-8: a long subject and lines with no space at all.
	zhLine := strings.Repeat("关于二〇二六年春季产品发布会的安排和准备工作以及各部门需要配合的事项", 8)
	zhBody := "各位同事：\n\n" + zhLine + "\n\n" + zhLine + "。\n\n王小明\n"
	zh := "From: " + mime.BEncoding.Encode("utf-8", "王小明") + " <xiaoming@example.cn>\r\nTo: alice@example.org\r\n" +
		"Subject: " + mime.BEncoding.Encode("utf-8", "布局测试关于二〇二六年春季产品发布会的安排和准备工作的详细说明以及各部门需要配合的事项清单") + "\r\n" +
		"Date: Mon, 23 Nov 2026 12:00:00 +0100\r\nMessage-ID: <zh@layout.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64Lines([]byte(zhBody))

	// Many attachments, with long names: unbroken, Japanese (RFC 2231),
	// and ordinary ones.
	var att bytes.Buffer
	att.WriteString("From: Archive Office <archive@example.org>\r\nTo: alice@example.org\r\n" +
		"Subject: Layout attachments: scanned documents for the 2026 tax return\r\nDate: Mon, 23 Nov 2026 13:00:00 +0100\r\n" +
		"Message-ID: <attachments@layout.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"att\"\r\n\r\n" +
		"--att\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere are the scanned documents.\r\n")
	names := []string{
		longUnbrokenName,
		longJapaneseName,
		"Declaración de la renta 2026 — borrador definitivo revisado por la gestoría (versión final, no tocar).pdf",
		"photo_0001.jpg", "photo_0002.jpg", "photo_0003.jpg",
		"bank-statement-2026-01.pdf", "bank-statement-2026-02.pdf", "bank-statement-2026-03.pdf",
		"receipts.zip", "notes.txt", "invoice-ACME-000123456789-2026-03-31-final-final-v2.pdf",
	}
	for i, n := range names {
		ct := "application/octet-stream"
		switch {
		case strings.HasSuffix(n, ".pdf"):
			ct = "application/pdf"
		case strings.HasSuffix(n, ".jpg"):
			ct = "image/jpeg"
		case strings.HasSuffix(n, ".txt"):
			ct = "text/plain"
		}
		fmt.Fprintf(&att, "--att\r\nContent-Type: %s\r\nContent-Disposition: attachment; filename*=UTF-8''%s\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n%s", ct, url.PathEscape(n), base64Lines(bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1))))
	}
	att.WriteString("--att--\r\n")

	// A forward of the newsletter as an attached message.
	forward := "From: Zoë Martin <zoe@example.net>\r\nTo: alice@example.org\r\nSubject: Fwd: Layout newsletter\r\n" +
		"Date: Mon, 23 Nov 2026 14:00:00 +0100\r\nMessage-ID: <forward@layout.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"fwd\"\r\n\r\n--fwd\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Look at this one.\r\n--fwd\r\nContent-Type: message/rfc822\r\n\r\n" + html + "\r\n--fwd--\r\n"

	return []layoutCase{
		// A real plain-text message, with long recipient lists.
		{name: "plain", find: "English Pangrams", raw: corpusFile(t, "letters/test_english_plaintext_utf-8_over_quoted-printable.txt"), body: "message-body-text"},
		{name: "plain-long", find: "Layout plain", raw: []byte(plainLong), body: "message-body-text"},
		{name: "html", find: "Layout newsletter", raw: []byte(html), body: "message-body-frame", remote: true},
		// Japanese in ISO-2022-JP, with HTML and attachments (the corpus's own).
		{name: "cjk-ja", find: "いろは歌", raw: corpusFile(t, "letters/test_japanese_multipart_mixed_iso-2022-jp_over_7bit.txt"), body: "message-body-frame", nAtt: 3},
		{name: "cjk-zh", find: "布局测试", raw: []byte(zh), body: "message-body-text"},
		{name: "attachments", find: "Layout attachments", raw: att.Bytes(), body: "message-body-text", nAtt: len(names)},
		// A forwarded newsletter: the attached message below the text.
		{name: "forward", find: "Fwd: Layout newsletter", raw: []byte(forward), body: "message-body-text", nested: true, nAtt: 1},
		// A Teams invitation: the calendar card above an HTML body.
		{name: "invitation", find: "Teams meeting", raw: corpusFile(t, "thunderbird/calendar/test/browser/invitations/data/teams-meeting-invite.eml"), body: "message-body-frame", calendar: true},
	}
}

// box is an element's bounding rectangle, in CSS pixels.
type box struct{ L, R, T, B, W, H float64 }

// layout is what the page measures of itself.
type layout struct {
	ViewportW, ViewportH float64
	ScrollW              float64
	Subject, From        *box
	SubjectText          string
	Frame                *box
	Body                 *box
	Attachments          *box
	Calendar             *box
	Nested               *box
	Entries              []struct {
		Name              string
		Entry, Link, Meta box
		ScrollW, ClientW  float64
	}
	// Offenders are visible elements sticking out of the viewport that no
	// scrolling box of their own contains.
	Offenders []string
}

const measureLayout = `(() => {
  const vw = window.innerWidth;
  const box = el => { if (!el) return null; const b = el.getBoundingClientRect(); return {L: b.left, R: b.right, T: b.top, B: b.bottom, W: b.width, H: b.height}; };
  const q = id => document.querySelector('[data-testid="' + id + '"]');
  const shown = el => { if (!el) return null; const s = getComputedStyle(el); return s.display === 'none' || s.visibility === 'hidden' ? null : box(el); };
  const att = q('attachments');
  const contained = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  return {
    ViewportW: vw,
    ViewportH: window.innerHeight,
    ScrollW: document.documentElement.scrollWidth,
    Subject: shown(q('message-subject')),
    SubjectText: (q('message-subject') || {}).textContent || '',
    From: shown(q('message-from')),
    Frame: shown(q('message-body-frame')),
    Body: shown(q('message-body-text')) || shown(q('message-body-frame')),
    Attachments: shown(att),
    Calendar: shown(q('calendar-event')),
    Nested: shown(q('nested-message')),
    Entries: att ? [...att.querySelectorAll('[data-testid="attachment"]')].map(li => ({
      Name: li.querySelector('[data-testid="attachment-link"]').textContent,
      Entry: box(li), Link: box(li.querySelector('[data-testid="attachment-link"]')), Meta: box(li.querySelector('.meta')),
      ScrollW: li.scrollWidth, ClientW: li.clientWidth,
    })) : [],
    Offenders: [...document.querySelectorAll('body *')].filter(el => {
      const b = el.getBoundingClientRect();
      return b.width > 0 && b.height > 0 && (b.right > vw + 1 || b.left < -1) && !contained(el) && el.className !== 'skip';
    }).slice(0, 12).map(el => '<' + el.tagName.toLowerCase() + ' class="' + el.className + '" data-testid="' +
      (el.getAttribute('data-testid') || '') + '"> ' + Math.round(el.getBoundingClientRect().left) + '..' + Math.round(el.getBoundingClientRect().right)),
  };
})()`

// inside reports whether b lies within [0, w] horizontally, give or take
// a pixel of rounding.
func (b *box) inside(l, r float64) bool { return b != nil && b.L >= l-1 && b.R <= r+1 }

func (b *box) String() string {
	if b == nil {
		return "absent"
	}
	return fmt.Sprintf("x %.0f..%.0f y %.0f..%.0f", b.L, b.R, b.T, b.B)
}

func checkLayout(t *testing.T, where string, c layoutCase, m layout, width float64) {
	t.Helper()
	// A phone's browser widens its layout viewport to fit content that
	// does not fit: then window.innerWidth grows with the content, so the
	// measurements are also held to the width the device has.
	if m.ViewportW != width {
		t.Errorf("%s: the layout viewport is %.0f px wide, not the device's %.0f px: something is too wide", where, m.ViewportW, width)
		m.ViewportW = width
	}
	if m.ScrollW > m.ViewportW+1 {
		t.Errorf("%s scrolls horizontally: %.0f px of content in a %.0f px viewport", where, m.ScrollW, m.ViewportW)
	}
	for _, o := range m.Offenders {
		t.Errorf("%s: sticks out of the %.0f px viewport: %s", where, m.ViewportW, o)
	}
	if !m.Subject.inside(0, m.ViewportW) || m.Subject.H == 0 || m.Subject.T >= m.ViewportH {
		t.Errorf("%s: the subject is not visible at the top: %s", where, m.Subject)
	}
	if !strings.Contains(m.SubjectText, c.find) {
		t.Errorf("%s: the subject reads %q", where, m.SubjectText)
	}
	if !m.From.inside(0, m.ViewportW) || m.From.H == 0 {
		t.Errorf("%s: the sender is not visible: %s", where, m.From)
	}
	if m.Body == nil {
		t.Errorf("%s: no body shown", where)
	}
	if c.body == "message-body-frame" {
		if !m.Frame.inside(0, m.ViewportW) || m.Frame.W < m.ViewportW/2 || m.Frame.H < 200 {
			t.Errorf("%s: the body frame does not fit the %.0f px viewport: %s", where, m.ViewportW, m.Frame)
		}
	} else if m.Frame != nil {
		t.Errorf("%s: a body frame for a text message", where)
	}
	if !m.Body.inside(0, m.ViewportW) {
		t.Errorf("%s: the body is wider than the viewport: %s", where, m.Body)
	}
	if c.calendar && (!m.Calendar.inside(0, m.ViewportW) || m.Calendar.H == 0 || m.Body == nil || m.Calendar.B > m.Body.T) {
		t.Errorf("%s: the invitation's summary is not shown above the body within the viewport: %s", where, m.Calendar)
	} else if !c.calendar && m.Calendar != nil {
		t.Errorf("%s: a calendar summary for a message without an invitation", where)
	}
	if c.nested && (!m.Nested.inside(0, m.ViewportW) || m.Nested.H == 0 || m.Body == nil || m.Nested.T < m.Body.B) {
		t.Errorf("%s: the attached message is not shown below the body within the viewport: %s", where, m.Nested)
	}
	if len(m.Entries) < c.nAtt {
		t.Errorf("%s: %d attachments listed, want at least %d", where, len(m.Entries), c.nAtt)
	}
	list := m.Attachments
	if len(m.Entries) > 0 && !list.inside(0, m.ViewportW) {
		t.Errorf("%s: the attachment list does not fit the viewport: %s", where, list)
		list = &box{R: m.ViewportW}
	}
	for _, e := range m.Entries {
		if e.ScrollW > e.ClientW+1 || !e.Entry.inside(list.L, list.R) ||
			!e.Link.inside(e.Entry.L, e.Entry.R) || !e.Meta.inside(e.Entry.L, e.Entry.R) {
			t.Errorf("%s: attachment %q overflows its list (%s): entry %s (%.0f of %.0f px), link %s, type and size %s",
				where, e.Name, list, &e.Entry, e.ScrollW, e.ClientW, &e.Link, &e.Meta)
		}
	}
}

// TestLayout opens a plain, an HTML newsletter, CJK and an attachment-heavy
// message at a desktop's and at a phone's width and checks the page's
// layout with the browser's own measurements.
func TestLayout(t *testing.T) {
	cases := layoutCases(t)
	srv := dovecottest.Start(t, dovecottest.Options{})
	var raws [][]byte
	for _, c := range cases {
		raws = append(raws, c.raw)
	}
	if err := srv.AddMessages("alice", raws); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 1280, 900, false)

	setUpAccount(t, ctx, a, "Layout", srv)
	type link struct{ Text, Href string }
	var links []link
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("mailbox-heading")))
		links = get(t, ctx, "read the inbox", chromedp.Evaluate[[]link](
			`[...document.querySelectorAll('a[data-testid="message-link"]')].map(a => ({Text: a.textContent, Href: a.getAttribute('href')}))`))
		if len(links) == len(cases) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages arrived", len(links), len(cases))
		}
	}
	hrefs := map[string]string{}
	for _, c := range cases {
		for _, l := range links {
			if strings.Contains(l.Text, c.find) {
				hrefs[c.name] = l.Href
			}
		}
		if hrefs[c.name] == "" {
			t.Fatalf("no message %q in the inbox: %+v", c.find, links)
		}
	}

	for _, vp := range []struct {
		name    string
		width   float64
		emulate chromedp.Action[chromedp.Void]
	}{
		{"desktop", 1280, chromedp.EmulateViewport(1280, 900)},
		{"phone", 360, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))},
	} {
		run(t, ctx, "set the "+vp.name+" viewport", vp.emulate)
		for _, c := range cases {
			where := vp.name + " " + c.name
			run(t, ctx, "open "+where, chromedp.Navigate(a.URL+hrefs[c.name]), chromedp.WaitVisible(tid(c.body)))
			m := get(t, ctx, "measure "+where, chromedp.Evaluate[layout](measureLayout))
			checkLayout(t, where, c, m, vp.width)
			if c.remote {
				if !eval[bool](t, ctx, `!!document.querySelector('[data-testid="remote-blocked"] [data-testid="trust-sender"]')`) {
					t.Errorf("%s: no remote-content bar with its choices", where)
				}
			}
			if os.Getenv("APARTADO_SCREENSHOTS") != "" && (m.Frame != nil || m.Nested != nil) {
				// Chromium paints a frame outside the viewport only while it
				// is in view, also for a full-page picture: scroll to each
				// and let it paint. (This only makes the picture whole;
				// nothing is measured after it.)
				run(t, ctx, "show the body frames", chromedp.Evaluate[chromedp.Void](
					`document.querySelectorAll('iframe').forEach(f => f.scrollIntoView())`))
				time.Sleep(300 * time.Millisecond)
			}
			screenshot(t, ctx, "layout-"+vp.name+"-"+c.name)
		}
	}
}
