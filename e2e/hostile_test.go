package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/corpus"
	"github.com/apartado/apartado/internal/dovecottest"
)

// pwn is what every script vector runs: each statement is a marker the test
// watches for (a dialog, a console line, the app page's title, a message to
// the app page, a request to a host of its own).
const pwn = `alert('pwned');console.log('PWNED');try{top.document.title='PWNED'}catch(e){};` +
	`try{parent.postMessage('pwned','*')}catch(e){};fetch('http://leak-js.example/x')`

// hostileVector is one message written for the test: an HTML body, or a
// whole message when raw is set.
type hostileVector struct {
	name string
	html string
	raw  []byte
}

// onePixelGIF is a 1×1 transparent GIF.
const onePixelGIF = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

func vec(name, html string) hostileVector { return hostileVector{name: name, html: html} }

func hostileVectors() []hostileVector {
	vs := []hostileVector{
		vec("script", `<p>a</p><script>`+pwn+`</script><SCRIPT SRC=http://leak-1.example/x.js></SCRIPT>`),
		vec("img onerror", `<img src=x onerror="`+pwn+`"><img src="http://leak-2.example/i.png" onload="`+pwn+`">`),
		vec("javascript link", `<a href="javascript:`+pwn+`">click</a> <a href="jav&#x09;ascript:alert('pwned')">tab</a> <a href=" JaVaScRiPt:alert('pwned')">case</a>`),
		vec("svg script", `<svg xmlns="http://www.w3.org/2000/svg"><script>`+pwn+`</script><image href="http://leak-4.example/s.png"/><use href="http://leak-4b.example/u.svg#a"/></svg>`),
		vec("svg onload", `<svg onload="`+pwn+`"><animate onbegin="`+pwn+`" attributeName=x dur=1s></animate></svg>`),
		vec("iframe", `<iframe src="http://leak-6.example/"></iframe><iframe srcdoc="<script>`+pwn+`</script>"></iframe>`),
		vec("object embed", `<object data="http://leak-7.example/o.swf"></object><embed src="http://leak-7b.example/e.swf"><applet code=x codebase="http://leak-7c.example/"></applet>`),
		vec("form autofocus", `<form action="http://leak-8.example/f" method=post><input name=q autofocus onfocus="`+pwn+`"><button formaction="http://leak-8b.example/">go</button></form><script>document.forms[0].submit()</script>`),
		vec("meta refresh", `<html><head><meta http-equiv="refresh" content="0;url=http://leak-9.example/"></head><body>wait</body></html>`),
		vec("base href", `<html><head><base href="http://leak-10.example/"></head><body><img src="rel.png"><a href="rel">rel</a></body></html>`),
		vec("link stylesheet", `<html><head><link rel=stylesheet href="http://leak-11.example/s.css"><link rel=preload as=image href="http://leak-11b.example/p.png"><link rel=prefetch href="http://leak-11c.example/"><link rel=dns-prefetch href="//leak-11d.example"></head><body>css</body></html>`),
		vec("style import", `<style>@import url(http://leak-12.example/i.css); @import 'http://leak-12b.example/j.css'; body{background:url(http://leak-12c.example/b.png)} @font-face{font-family:x;src:url(http://leak-12d.example/f.woff)} p{font-family:x}</style><p>style</p>`),
		vec("inline style url", `<div style="background:url(http://leak-13.example/bg.png)">a</div><div style="background-image:url('//leak-13b.example/c.png');list-style-image:url(http://leak-13c.example/l.png);cursor:url(http://leak-13d.example/c.cur),auto">b</div>`),
		vec("css expression", `<div style="width:expression(alert('pwned'));background:url(javascript:alert('pwned'))">expr</div><style>p{behavior:url(http://leak-14.example/x.htc);-moz-binding:url(http://leak-14b.example/x.xml#x)}</style><p>x</p>`),
		vec("img srcset", `<img srcset="http://leak-15.example/a.png 1x, http://leak-15b.example/b.png 2x"><picture><source srcset="http://leak-15c.example/s.webp"><img src="http://leak-15d.example/p.png"></picture>`),
		vec("video poster", `<video poster="http://leak-16.example/p.png" src="http://leak-16b.example/v.mp4" autoplay><source src="http://leak-16c.example/v.webm"><track src="http://leak-16d.example/t.vtt"></video>`),
		vec("audio", `<audio src="http://leak-17.example/a.mp3" autoplay controls></audio>`),
		vec("table background", `<table background="http://leak-18.example/t.png"><tr><td background="http://leak-18b.example/td.png">x</td></tr></table>`),
		vec("body background", `<html><body background="http://leak-19.example/b.png" onload="`+pwn+`">body</body></html>`),
		vec("input image", `<input type=image src="http://leak-20.example/i.png"><isindex src="http://leak-20b.example/x" type=image>`),
		vec("data uri", `<a href="data:text/html;base64,`+base64.StdEncoding.EncodeToString([]byte(`<script>`+pwn+`</script>`))+`">data</a><iframe src="data:text/html,<script>alert('pwned')</script>"></iframe><object data="data:text/html,<script>alert('pwned')</script>"></object>`),
		vec("tracking pixel", `<p>Hi!</p><img src=http://tracker.example/p.gif width=1 height=1 alt="">`),
		vec("mutation xss", `<svg></p><style><a id="</style><img src=1 onerror=`+"`"+`alert('pwned')`+"`"+`>"></svg><noscript><p title="</noscript><img src=x onerror=alert('pwned')>"></noscript><math><mtext><table><mglyph><style><img src=x onerror=alert('pwned')></style></mglyph></table></mtext></math>`),
		vec("event handlers", `<details open ontoggle="`+pwn+`">d</details><marquee onstart="`+pwn+`">m</marquee><div onmouseover="`+pwn+`" style="position:fixed;inset:0">cover</div><a href="http://leak-24.example/" ping="http://leak-24b.example/ping">link</a>`),
		vec("protocol relative", `<img src="//leak-25.example/a.png"><img src="https://leak-25b.example/b.png"><img src="HTTP://LEAK-25C.EXAMPLE/c.png">`),
	}
	// A subject with an encoded-word that decodes to a script tag.
	vs = append(vs, hostileVector{name: "encoded subject", raw: []byte("From: Evil <evil@example.net>\r\nTo: alice@example.org\r\n" +
		"Subject: " + mime.BEncoding.Encode("utf-8", "Hostile: <script>alert('pwned')</script><img src=x onerror=alert('pwned')>") + "\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <subject@example.net>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nsee the subject\r\n")})
	// multipart/related with a cid: image, and attachments that would run
	// script if the browser rendered them.
	related := "From: Evil <evil@example.net>\r\nTo: alice@example.org\r\nSubject: Hostile: related and attachments\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <related@example.net>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/related; boundary=inner; type=\"text/html\"\r\n\r\n" +
		"--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><body><p>Inline:</p><img src=\"cid:pic@example.net\" alt=\"pic\" data-x=\"cid-image\"></body></html>\r\n" +
		"--inner\r\nContent-Type: image/gif\r\nContent-ID: <pic@example.net>\r\nContent-Transfer-Encoding: base64\r\n\r\n" + onePixelGIF + "\r\n" +
		"--inner--\r\n" +
		"--outer\r\nContent-Type: text/html; charset=utf-8\r\nContent-Disposition: attachment; filename=evil.html\r\n\r\n" +
		"<html><body><script>" + pwn + "</script></body></html>\r\n" +
		"--outer\r\nContent-Type: image/svg+xml\r\nContent-Disposition: attachment; filename=evil.svg\r\n\r\n" +
		"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"" + pwn + "\"><script>" + pwn + "</script></svg>\r\n" +
		"--outer\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=notreally.png\r\n\r\n" +
		"<html><script>" + pwn + "</script></html>\r\n" +
		"--outer--\r\n"
	vs = append(vs, hostileVector{name: "related and attachments", raw: []byte(related)})
	return vs
}

func (v hostileVector) message(i int) []byte {
	if v.raw != nil {
		return v.raw
	}
	return []byte(fmt.Sprintf("From: Evil <evil@example.net>\r\nTo: alice@example.org\r\nSubject: Hostile %02d: %s\r\n"+
		"Date: Mon, 23 Nov 2026 10:%02d:00 +0100\r\nMessage-ID: <%d@hostile.example.net>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/html; charset=utf-8\r\n\r\n%s\r\n", i, v.name, i%60, i, v.html))
}

// observed is everything the browser reported across the session.
type observed struct {
	mu        sync.Mutex
	current   string // the message being looked at
	requests  []seenRequest
	byID      map[network.RequestID]int
	dialogs   []string
	markers   []string
	proxyHits []string
}

type seenRequest struct {
	url, frame, typ, during string
	status                  int64
	blocked                 string
}

func (o *observed) setCurrent(s string) {
	o.mu.Lock()
	o.current = s
	o.mu.Unlock()
}

func (o *observed) snapshot() ([]seenRequest, []string, []string, []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]seenRequest(nil), o.requests...), append([]string(nil), o.dialogs...),
		append([]string(nil), o.markers...), append([]string(nil), o.proxyHits...)
}

// hostileBrowser is browser() with every connection to a host other than
// loopback sent to a recording proxy: a second witness, which also sees
// requests from processes the page's DevTools session does not report.
func hostileBrowser(t *testing.T, proxy string) context.Context {
	t.Helper()
	// IsolateSandboxedIframes would put the body frame in a process of its
	// own (an out-of-process iframe), whose requests the page's DevTools
	// session does not report; the recording proxy sees them either way,
	// and the test checks that no such target exists.
	return startBrowser(t, 1280, 900, false, "Translate,OptimizationHints,MediaRouter,IsolateSandboxedIframes",
		chromedp.Flag("proxy-server", "http://"+proxy),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
}

var (
	reTagWithHandler = regexp.MustCompile(`(?is)<[a-z][^>]*\son[a-z]+\s*=`)
	reActiveTag      = regexp.MustCompile(`(?i)<(script|iframe|frame|object|embed|applet|form|meta|base|link|svg|math|isindex|input|button|audio|video|source|track)\b`)
	reAnchorTag      = regexp.MustCompile(`(?is)<a\s[^>]*>`)
	reTag            = regexp.MustCompile(`(?s)<[^>]*>`)
	reForeignHost    = regexp.MustCompile(`(?i)(leak-[0-9a-z]+|tracker)\.example|localhost:80`)
)

// TestHostileMessages opens hostile messages in a real Chromium and proves,
// through the browser's own events, that no script of theirs ran and that
// nothing reached any host but the app while remote content was blocked.
func TestHostileMessages(t *testing.T) {
	start := time.Now()
	var msgs [][]byte
	var names []string
	dir := corpus.Dir(t)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(strings.ToLower(d.Name()), "evil") && strings.HasSuffix(d.Name(), ".eml") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			msgs = append(msgs, b)
			names = append(names, "corpus "+strings.TrimPrefix(p, dir+string(filepath.Separator)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) < 4 {
		t.Fatalf("found %d evil*.eml in the corpus, want at least 4", len(msgs))
	}
	for i, v := range hostileVectors() {
		msgs = append(msgs, v.message(i+1))
		names = append(names, v.name)
	}

	// The recording proxy: any connection to a non-loopback host lands here.
	obs := &observed{byID: map[network.RequestID]int{}}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obs.mu.Lock()
		obs.proxyHits = append(obs.proxyHits, fmt.Sprintf("%s %s (host %s) while %s", r.Method, r.URL, r.Host, obs.current))
		obs.mu.Unlock()
		http.Error(w, "blocked by the test", http.StatusForbidden)
	}))
	t.Cleanup(proxy.Close)

	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	appURL, err := url.Parse(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := hostileBrowser(t, strings.TrimPrefix(proxy.URL, "http://"))

	// Record, for the whole session: every request, its outcome, every
	// dialog (dismissed at once), and every console line.
	dialogs := make(chan struct{}, 64)
	if err := chromedp.Listen(ctx, func(ev any) {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			obs.byID[e.RequestID] = len(obs.requests)
			obs.requests = append(obs.requests, seenRequest{url: e.Request.URL, frame: string(e.FrameID), typ: string(e.Type), during: obs.current})
		case *network.EventResponseReceived:
			if i, ok := obs.byID[e.RequestID]; ok {
				obs.requests[i].status = e.Response.Status
			}
		case *network.EventLoadingFailed:
			if i, ok := obs.byID[e.RequestID]; ok {
				obs.requests[i].blocked = string(e.BlockedReason) + " " + e.ErrorText
			}
		case *page.EventJavascriptDialogOpening:
			obs.dialogs = append(obs.dialogs, fmt.Sprintf("%s %q from %s while %s", e.Type, e.Message, e.URL, obs.current))
			select {
			case dialogs <- struct{}{}:
			default:
			}
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			line := strings.Join(parts, " ")
			if strings.Contains(strings.ToLower(line), "pwned") {
				obs.markers = append(obs.markers, fmt.Sprintf("console %q while %s", line, obs.current))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()
	// The app page reports any message posted to it.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `if (window === window.top) addEventListener('message', e => console.log('PWNED: a frame posted', String(e.data)));`,
	}); err != nil {
		t.Fatal(err)
	}

	// Administrator, account, mail.
	setUpAccount(t, ctx, a, "Hostile", srv)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("mailbox-heading")))
		n, err := countRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == len(msgs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages arrived", n, len(msgs))
		}
	}
	type link struct{ Text, Href string }
	links := get(t, ctx, "read the inbox", chromedp.Evaluate[[]link](
		`[...document.querySelectorAll('a[data-testid="message-link"]')].map(a => ({Text: a.textContent.trim(), Href: new URL(a.getAttribute('href'), location.href).pathname}))`))
	if len(links) != len(msgs) {
		t.Fatalf("%d message links for %d messages", len(links), len(msgs))
	}
	if list := get(t, ctx, "read the list", chromedp.Text(tid("message-list"))); !strings.Contains(list, "<script>alert('pwned')</script>") {
		t.Errorf("the inbox does not show the script subject as text:\n%s", list)
	}

	checkPage := func(what string, remote bool) {
		t.Helper()
		if title := get(t, ctx, "title", chromedp.Title()); strings.Contains(title, "PWNED") {
			t.Errorf("%s: the app page's title is %q", what, title)
		}
		loc := get(t, ctx, "location", chromedp.Location())
		if u, err := url.Parse(loc); err != nil || u.Host != appURL.Host || !strings.HasPrefix(u.Path, "/mail/") {
			t.Errorf("%s: the app page went to %s", what, loc)
		}
		type frameInfo struct {
			Present bool
			Sandbox *string
			Src     string
		}
		fr := get(t, ctx, "frame", chromedp.Evaluate[frameInfo](
			`(() => { const f = document.querySelector('[data-testid="message-body-frame"]'); return f ? {Present: true, Sandbox: f.getAttribute('sandbox'), Src: f.getAttribute('src')} : {Present: false}; })()`))
		if !fr.Present {
			return
		}
		// The body frame must be in the page's process, where the page's
		// session reports its requests.
		if infos, err := chromedp.Targets(ctx); err == nil {
			for _, in := range infos {
				if in.Type == "iframe" {
					t.Errorf("%s: the body frame is an out-of-process target (%s), whose requests this test does not see", what, in.URL)
				}
			}
		}
		// The frame is on the app's origin, so that the page can measure it:
		// safe only because nothing runs inside. It allows new tabs for
		// links, and nothing else: no scripts, forms, top navigation.
		if fr.Sandbox == nil || !sandboxOnly(*fr.Sandbox, "allow-same-origin", "allow-popups", "allow-popups-to-escape-sandbox") {
			t.Errorf("%s: body frame sandbox = %v", what, fr.Sandbox)
		}
		// What the sandboxed document is made of, fetched with the session.
		type bodyResp struct {
			Status    int
			CSP, HTML string
		}
		b := get(t, ctx, "fetch the body", chromedp.Evaluate[bodyResp](
			`fetch(`+jsString(fr.Src)+`).then(async r => ({Status: r.status, CSP: r.headers.get('content-security-policy') || '', HTML: await r.text()}))`,
			chromedp.EvalAwaitPromise))
		if b.Status != 200 {
			t.Errorf("%s: body status %d", what, b.Status)
			return
		}
		if !strings.Contains(b.CSP, "default-src 'none'") || !strings.Contains(b.CSP, "sandbox") || strings.Contains(b.CSP, "allow-scripts") || strings.Contains(b.CSP, "script-src") {
			t.Errorf("%s: body CSP %q", what, b.CSP)
		}
		if !remote && (strings.Contains(b.CSP, "http:") || strings.Contains(b.CSP, "https:")) {
			t.Errorf("%s: body CSP allows remote content while blocked: %q", what, b.CSP)
		}
		// The app's own head (charset, and links opening in a new tab) and
		// the message's sanitized style sheet are all the head may hold.
		head, h, ok := strings.Cut(b.HTML, "<body>")
		if !ok {
			t.Errorf("%s: the body document has no <body>: %.200q", what, b.HTML)
		}
		if i, j := strings.Index(head, "<style>"), strings.Index(head, "</style>"); i >= 0 && j > i {
			sheet := strings.ToLower(head[i+len("<style>") : j])
			head = head[:i] + head[j+len("</style>"):]
			for _, bad := range []string{"@import", "@font-face", "expression(", "behavior", "-moz-binding", "javascript", "\\"} {
				if strings.Contains(sheet, bad) {
					t.Errorf("%s: the style sheet keeps %q: %q", what, bad, sheet)
				}
			}
			if !remote && strings.Contains(sheet, "url(") {
				t.Errorf("%s: the style sheet loads something while remote content is blocked: %q", what, sheet)
			}
		}
		for _, tag := range reTag.FindAllString(head, -1) {
			switch strings.ToLower(tag) {
			case "<!doctype html>", "<html>", "<head>", "</head>", `<meta charset="utf-8">`, `<base target="_blank">`:
			default:
				t.Errorf("%s: the body document's head holds %q", what, tag)
			}
		}
		if m := reActiveTag.FindString(h); m != "" {
			t.Errorf("%s: the sanitized body keeps %q", what, m)
		}
		if m := reTagWithHandler.FindString(h); m != "" {
			t.Errorf("%s: the sanitized body keeps an event handler: %q", what, m)
		}
		for _, bad := range []string{"javascript:", "expression(", "@import", "behavior:", "-moz-binding", "data:text/html"} {
			if strings.Contains(strings.ToLower(h), bad) {
				t.Errorf("%s: the sanitized body keeps %q", what, bad)
			}
		}
		if !remote {
			// Links may point anywhere (they need a click); nothing else may.
			tags := strings.Join(reTag.FindAllString(reAnchorTag.ReplaceAllString(h, ""), -1), "")
			if m := reForeignHost.FindString(tags); m != "" {
				t.Errorf("%s: the sanitized body still references %s while remote content is blocked", what, m)
			}
			for _, a := range reAnchorTag.FindAllString(h, -1) {
				if !strings.Contains(a, "noopener") || !strings.Contains(a, "noreferrer") {
					t.Errorf("%s: link without rel=noopener noreferrer: %s", what, a)
				}
			}
		}
	}

	// Every message, remote content blocked, then shown.
	var related string
	for _, remote := range []bool{false, true} {
		for _, l := range links {
			what := l.Text
			u := a.URL + l.Href
			if remote {
				what += " (remote shown)"
				u += "?remote=1"
			}
			if strings.Contains(l.Text, "related and attachments") {
				related = l.Href
			}
			obs.setCurrent(what)
			run(t, ctx, "open "+what, chromedp.Navigate(u), chromedp.WaitVisible(tid("message-subject")))
			time.Sleep(400 * time.Millisecond)
			checkPage(what, remote)
			if strings.Contains(l.Text, "tracking pixel") && !remote {
				if !eval[bool](t, ctx, `!!document.querySelector('[data-testid="remote-blocked"]')`) {
					t.Errorf("%s: no remote-content-blocked bar", what)
				}
			}
		}
	}
	obs.setCurrent("settling")
	time.Sleep(time.Second)

	// The subject with a script tag is text.
	run(t, ctx, "open the encoded subject", chromedp.Navigate(a.URL+"/mail"),
		chromedp.Click(`//a[@data-testid="message-link"][contains(., "alert('pwned')")]`), chromedp.WaitVisible(tid("message-subject")))
	if s := get(t, ctx, "subject", chromedp.Text(tid("message-subject"))); !strings.Contains(s, "<script>alert('pwned')</script><img src=x") {
		t.Errorf("the encoded-word subject shows as %q", s)
	}
	if title := get(t, ctx, "title", chromedp.Title()); !strings.Contains(title, "<script>") {
		t.Errorf("the encoded-word subject's page title is %q", title)
	}

	// The attachments: downloads in a sandbox, never pages.
	if related == "" {
		t.Fatal("the related message is not in the inbox")
	}
	obs.setCurrent("attachments")
	run(t, ctx, "open the related message", chromedp.Navigate(a.URL+related), chromedp.WaitVisible(tid("attachments")))
	type att struct{ Name, Href string }
	atts := get(t, ctx, "attachments", chromedp.Evaluate[[]att](
		`[...document.querySelectorAll('[data-testid="attachments"] a[href]')].map(a => ({Name: a.textContent.trim(), Href: a.href}))`))
	checked := map[string]bool{}
	for _, at := range atts {
		var name string
		for _, n := range []string{"evil.html", "evil.svg", "notreally.png"} {
			if strings.Contains(at.Name, n) {
				name = n
			}
		}
		if name == "" || checked[name] {
			continue
		}
		checked[name] = true
		type hdrs struct {
			Status               int
			CT, CD, CSP, Nosniff string
		}
		h := get(t, ctx, "fetch "+name, chromedp.Evaluate[hdrs](`fetch(`+jsString(at.Href)+`).then(r => ({Status: r.status, CT: r.headers.get('content-type') || '', CD: r.headers.get('content-disposition') || '', CSP: r.headers.get('content-security-policy') || '', Nosniff: r.headers.get('x-content-type-options') || ''}))`, chromedp.EvalAwaitPromise))
		t.Logf("%s: %d, Content-Type %q, Content-Disposition %q, CSP %q, %q", name, h.Status, h.CT, h.CD, h.CSP, h.Nosniff)
		ct := strings.ToLower(h.CT)
		// A safe image type may be shown inline: an HTML page labelled
		// image/png is, with nosniff, a broken image.
		inlineOK := name == "notreally.png" && ct == "image/png"
		if h.Status != 200 || !(strings.HasPrefix(h.CD, "attachment") || inlineOK) || strings.Contains(ct, "html") || strings.Contains(ct, "svg") ||
			strings.Contains(ct, "xml") || !strings.Contains(h.CSP, "sandbox") || strings.Contains(h.CSP, "allow-") || h.Nosniff != "nosniff" {
			t.Errorf("%s is served unsafely: %+v", name, h)
		}
		// Open it as a person would: it must download, not render.
		nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = chromedp.Do(nctx, chromedp.Navigate(at.Href))
		cancel()
		time.Sleep(300 * time.Millisecond)
		if title, err := chromedp.Run(ctx, chromedp.Title()); err == nil && strings.Contains(title, "PWNED") {
			t.Errorf("opening %s ran its script (title %q)", name, title)
		}
	}
	for _, n := range []string{"evil.html", "evil.svg", "notreally.png"} {
		if !checked[n] {
			t.Errorf("attachment %s is not listed: %+v", n, atts)
		}
	}
	time.Sleep(500 * time.Millisecond)

	// The verdict.
	reqs, dlg, markers, hits := obs.snapshot()
	for _, d := range dlg {
		t.Errorf("a dialog opened: %s", d)
	}
	for _, m := range markers {
		t.Errorf("a script marker fired: %s", m)
	}
	frameOf := map[string]bool{}
	var foreignBlocked, foreignRemote []string
	sawBody, sawFramePart := false, false
	for _, r := range reqs {
		u, err := url.Parse(r.url)
		if err != nil {
			t.Errorf("unparsable request URL %q", r.url)
			continue
		}
		if u.Scheme == "data" || u.Scheme == "blob" || u.Scheme == "about" {
			continue
		}
		if u.Host == appURL.Host {
			if strings.HasSuffix(u.Path, "/body") {
				sawBody = true
				frameOf[r.frame] = true
			}
			continue
		}
		line := fmt.Sprintf("%s %s [%s] frame %s while %s", r.typ, r.url, strings.TrimSpace(r.blocked), r.frame, r.during)
		if strings.Contains(r.during, "(remote shown)") {
			foreignRemote = append(foreignRemote, line)
			switch network.ResourceType(r.typ) {
			case network.ResourceTypeScript, network.ResourceTypeXHR, network.ResourceTypeFetch, network.ResourceTypeWebSocket,
				network.ResourceTypeEventSource, network.ResourceTypeDocument, network.ResourceTypePing:
				t.Errorf("with remote content shown, a %s request was attempted: %s", r.typ, line)
			}
			continue
		}
		foreignBlocked = append(foreignBlocked, line)
		t.Errorf("with remote content blocked, the browser requested another host: %s", line)
	}
	// Proof that requests made inside the body frame are observed: the
	// cid: image is a subresource of the sandboxed document.
	for _, r := range reqs {
		if strings.Contains(r.url, "/part/") && strings.Contains(r.url, "?t=") && frameOf[r.frame] {
			sawFramePart = true
			t.Logf("frame subresource seen: %s %s status %d frame %s", r.typ, r.url, r.status, r.frame)
			if r.status != 200 {
				t.Errorf("the cid: image was not served from the app: status %d %s", r.status, r.blocked)
			}
			break
		}
	}
	if !sawBody || !sawFramePart {
		t.Errorf("the test does not see the body frame's requests (body document %v, cid: image from within it %v)", sawBody, sawFramePart)
	}
	// The proxy sees every connection to another host, from any process:
	// none while blocked, and each one with remote shown was also reported
	// by the page's session. That the tracker was reached with remote shown
	// proves the proxy is in the path.
	var ours []string
	sawTracker := false
	for _, h := range hits {
		host := reForeignHost.FindString(h)
		if host == "" {
			continue // Chromium's own background traffic
		}
		ours = append(ours, h)
		if !strings.Contains(h, "(remote shown)") {
			t.Errorf("the recording proxy got a connection while remote content was blocked: %s", h)
			continue
		}
		sawTracker = sawTracker || host == "tracker.example"
		found := false
		for _, r := range foreignRemote {
			found = found || strings.Contains(strings.ToLower(r), strings.ToLower(host))
		}
		if !found {
			t.Errorf("the proxy got %s, which the browser's events did not report", h)
		}
	}
	if !sawTracker {
		t.Error("the tracking pixel never reached the proxy with remote content shown: the proxy is not in the path")
	}
	sort.Strings(foreignRemote)
	t.Logf("%d messages (%d corpus evil*.eml), %d requests observed in %d frames carrying a body; %d to other hosts while blocked; %d with remote shown; %d dialogs; %d markers; %d proxy connections (%d to the messages' hosts); %s",
		len(msgs), len(msgs)-len(hostileVectors()), len(reqs), len(frameOf), len(foreignBlocked), len(foreignRemote), len(dlg), len(markers), len(hits), len(ours), time.Since(start).Round(time.Millisecond))
	for _, r := range foreignRemote {
		t.Logf("remote shown: %s", r)
	}
	for _, h := range ours {
		t.Logf("proxy: %s", h)
	}
}

// jsString quotes s as a JavaScript string literal.
// sandboxOnly reports whether a sandbox attribute allows at most the
// given tokens.
func sandboxOnly(sandbox string, allowed ...string) bool {
	for _, tok := range strings.Fields(sandbox) {
		if !slices.Contains(allowed, tok) {
			return false
		}
	}
	return true
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "<", `\x3c`).Replace(s) + "'"
}
