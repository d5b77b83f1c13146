package message

import (
	"strings"
	"testing"
)

func TestStyleSheets(t *testing.T) {
	const doc = `<html><head><style type="text/css">
/* a comment { with braces } */
@import url(http://evil.example/x.css);
@charset "utf-8";
@font-face { font-family: Spy; src: url(https://fonts.example/spy.woff) }
body { margin: 0; background-color: #eeeeee }
.wrapper, #main > td.col { width: 600px; color: #333 !important }
.hero { background: url(https://track.example/p.gif) no-repeat; color: red }
.evil { width: expression(alert(1)); color: blue }
.bind { -moz-binding: url(x.xml#y); behavior: url(x.htc); position: fixed; color: green }
a[href^="http"] { text-decoration: none }
@media only screen and (max-width: 600px) {
  .wrapper { width: 100% !important }
  @media (orientation: portrait) { .deep { color: navy } }
}
@keyframes spin { from { width: 1px } to { width: 2px } }
</style></head><body><table class="wrapper" width="600"><tr><td class="hero">Hi</td></tr></table>
<style>.late { font-weight: bold }</style><p class="late x-1">late</p></body></html>`
	blocked, remoteBlocked := SanitizeHTML(doc, false)
	if !remoteBlocked {
		t.Error("the tracking background was not reported as blocked")
	}
	sheet, body := docParts(t, blocked)
	checkSafeSheet(t, sheet, false)
	for _, want := range []string{
		"body{margin:0;background-color:#eeeeee}",
		".wrapper,#main > td.col{width:600px;color:#333 !important}",
		".hero{color:red}",
		".evil{color:blue}",
		".bind{color:green}",
		`a[href^="http"]{text-decoration:none}`,
		"@media only screen and (max-width: 600px){.wrapper{width:100% !important}@media (orientation: portrait){.deep{color:navy}}}",
		".late{font-weight:bold}",
	} {
		if !strings.Contains(sheet, want) {
			t.Errorf("sheet lacks %q:\n%s", want, sheet)
		}
	}
	for _, gone := range []string{"spy", "keyframes", "position", "charset", "evil.example", "spin"} {
		if strings.Contains(strings.ToLower(sheet), gone) {
			t.Errorf("sheet keeps %q:\n%s", gone, sheet)
		}
	}
	for _, want := range []string{`class="wrapper"`, `class="hero"`, `class="late x-1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "font-weight") || strings.Contains(body, "<style") {
		t.Errorf("a style element's text leaked into the body: %s", body)
	}

	allowed, _ := SanitizeHTML(doc, true)
	sheet, _ = docParts(t, allowed)
	checkSafeSheet(t, sheet, true)
	if !strings.Contains(sheet, ".hero{background:url(https://track.example/p.gif) no-repeat;color:red}") {
		t.Errorf("remote background not kept when allowed:\n%s", sheet)
	}
	if strings.Contains(sheet, "spy.woff") || strings.Contains(sheet, "evil.example") {
		t.Errorf("@font-face or @import kept when remote content is allowed:\n%s", sheet)
	}
}

func TestStyleSheetsHostile(t *testing.T) {
	for _, src := range []string{
		`<style>p{color:red}</style ><script>alert(1)</script><style>`,
		`<style>p{color:red}</style><img src=x onerror=alert(1)>`,
		`<style>p { color: red; } </STYLE><svg onload=alert(1)>`,
		`<style>p{font-family:"</style><script>alert(1)</script>"}</style>`,
		`<style>p{background:u\rl(http://x/y)}</style>`,
		`<style>p{background:URL(http://x/y)}</style>`,
		`<style>p{background:\75rl(http://x/y)}</style>`,
		`<style>@media screen{p{background:url(//x/y)}}</style>`,
		`<style>p{color:red}}}}} q{color:blue</style>`,
		`<style>` + strings.Repeat("@media screen{", 200) + `p{color:red}` + strings.Repeat("}", 200) + `</style>`,
		`<style>` + strings.Repeat("a{color:red}", 30000) + `</style>`,
	} {
		for _, remote := range []bool{false, true} {
			doc, _ := SanitizeHTML(src, remote)
			checkSafeHTML(t, doc, remote)
			if strings.Contains(strings.ToLower(doc), "alert") && !remote {
				sheet, _ := docParts(t, doc)
				if strings.Contains(sheet, "alert") {
					t.Errorf("%q: sheet %q", src, sheet)
				}
			}
		}
	}
}

// TestStyleSheetHTMLCommentMarkers: "<!--" and "-->" around or inside a
// sheet (Outlook's conditional comments) do not lose the sheet, and a "<"
// anywhere else never reaches the output.
func TestStyleSheetHTMLCommentMarkers(t *testing.T) {
	// As in a browser, what follows "<![endif]" up to the next block is one
	// rule with a broken prelude, dropped: here ".gone".
	sheet, _ := sanitizeCSS("<!--\n.a{color:red}\n@media (max-width:599px){.w{width:100% !important}}\n"+
		"<!-- [if mso] > * { font-family: sans-serif } <![endif] .gone{color:blue} -->\n-->", false)
	for _, want := range []string{".a{color:red}", "@media (max-width:599px){.w{width:100% !important}}"} {
		if !strings.Contains(sheet, want) {
			t.Errorf("sheet %q lacks %q", sheet, want)
		}
	}
	if strings.Contains(sheet, "<") || strings.Contains(sheet, "gone") {
		t.Errorf("sheet %q", sheet)
	}
}
