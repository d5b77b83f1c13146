package compose

import (
	"slices"
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"paragraphs", "<p>Hi Bob,</p><p>see   you\n soon.</p>", "Hi Bob,\n\nsee you soon."},
		{"line breaks", "<p>one<br>two<br><br>four</p><p><br></p><p>last</p>", "one\ntwo\n\nfour\n\n\nlast"},
		{"inline formatting", "<p>a <b>bold</b> and <i>italic</i> and <strong>strong</strong>.</p>", "a bold and italic and strong."},
		{"no-break spaces", "<p>a&nbsp;&nbsp;b</p>", "a  b"},
		{"bulleted list", "<p>Buy:</p><ul><li>milk</li><li>bread <b>now</b></li></ul><p>Thanks</p>", "Buy:\n\n- milk\n- bread now\n\nThanks"},
		{"numbered list", "<ol><li>first</li><li>second</li></ol>", "1. first\n2. second"},
		{"numbered from", `<ol start="4"><li>d</li><li>e</li></ol>`, "4. d\n5. e"},
		{"nested list", "<ul><li>a<ol><li>x</li><li>y</li></ol></li><li>b</li></ul>", "- a\n  1. x\n  2. y\n- b"},
		{"item with a break", "<ul><li>one<br>more</li></ul>", "- one\n  more"},
		{"link", `<p>See <a href="https://example.com/page">the page</a>.</p>`, "See the page <https://example.com/page>."},
		{"link that is its address", `<p><a href="https://example.com/">https://example.com</a></p>`, "https://example.com"},
		{"mailto", `<p><a href="mailto:zoe@example.net">zoe@example.net</a>, <a href="mailto:zoe@example.net">Zoe</a></p>`, "zoe@example.net, Zoe <mailto:zoe@example.net>"},
		{"quote", "<p>On Monday, Bob wrote:</p><blockquote><p>first</p><p>second</p></blockquote><p>Yes.</p>",
			"On Monday, Bob wrote:\n\n> first\n>\n> second\n\nYes."},
		{"nested quote", "<blockquote><p>outer</p><blockquote><p>inner</p></blockquote></blockquote>", "> outer\n>\n>> inner"},
		{"quote with breaks", "<blockquote>a<br>b</blockquote>", "> a\n> b"},
		{"quote in lines", "<div>On Monday, Bea wrote:</div><blockquote><div>Lunch?</div><div>At one.</div></blockquote><div><br></div><div>Yes.</div>",
			"On Monday, Bea wrote:\n> Lunch?\n> At one.\n\nYes."},
		{"divs as lines", "<div>one</div><div>two</div><div><br></div><div>four</div>", "one\ntwo\n\nfour"},
		{"pre", "<pre>  keep\n    this</pre>", "  keep\n    this"},
		{"heading", "<h1>Title</h1><p>text</p>", "Title\n\ntext"},
		{"image alt", `<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="a dot"> here</p>`, "a dot here"},
		{"escaped", "<p>&lt;b&gt; is not bold &amp; 1 &gt; 0</p>", "<b> is not bold & 1 > 0"},
		{"empty", "<p><br></p>", ""},
		{"signature", "<p>Bye</p><p>-- <br>Ana</p>", "Bye\n\n-- \nAna"},
		{"nested beyond the parser", strings.Repeat("<blockquote>", 1000) + "deep &amp; <b>down</b>", "deep & down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainText(tc.html); got != tc.want {
				t.Errorf("PlainText(%q)\n got %q\nwant %q", tc.html, got, tc.want)
			}
		})
	}
}

// TestHTMLMessage parses a formatted message back: multipart/alternative
// with the derived text first (format=flowed, UTF-8) and the sanitized
// HTML, a complete document, second; lines within 998 octets even for a
// paragraph of 5,000 characters.
func TestHTMLMessage(t *testing.T) {
	long := strings.Repeat("añadir más palabras ", 250)
	d := baseDraft()
	d.Text = "ignored: the HTML says it"
	d.HTML = "<p>Hola <strong>Bob</strong>,</p><ul><li>uno</li><li>dos</li></ul>" +
		`<blockquote><p>quoted</p></blockquote><p><a href="https://example.com/x">link</a></p><p>` + long + "</p>"
	for _, eightBit := range []bool{false, true} {
		s := write(t, d, Options{EightBitMIME: eightBit})
		if want := []string{"multipart/alternative", "  text/plain", "  text/html"}; !slices.Equal(s.types, want) {
			t.Fatalf("structure = %q, want %q", s.types, want)
		}
		plain, html := s.parts[0], s.parts[1]
		if ct := plain.header.Get("Content-Type"); ct != "text/plain; charset=utf-8; format=flowed" {
			t.Errorf("text part Content-Type %q", ct)
		}
		if ct := html.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("HTML part Content-Type %q", ct)
		}
		// A line of 5,000 octets needs quoted-printable, with or without 8BITMIME.
		if cte := html.header.Get("Content-Transfer-Encoding"); cte != encQP {
			t.Errorf("HTML part Content-Transfer-Encoding %q", cte)
		}
		wantText := "Hola Bob,\n\n- uno\n- dos\n\n> quoted\n\nlink <https://example.com/x>\n\n" + strings.TrimSpace(long)
		if got := decodeFlowed(plain.body); got != wantText {
			t.Errorf("text part reads\n%.300q\nwant\n%.300q", got, wantText)
		}
		for _, want := range []string{"<!DOCTYPE html>", "<html>", "</html>", `<meta http-equiv="content-type" content="text/html; charset=UTF-8">`,
			"<p>Hola <strong>Bob</strong>,</p>\r\n", "<ul><li>uno</li>\r\n<li>dos</li>\r\n</ul>\r\n", `href="https://example.com/x"`, `>link</a></p>`} {
			if !strings.Contains(html.body, want) {
				t.Errorf("HTML part lacks %q:\n%.600s", want, html.body)
			}
		}
		if strings.Contains(html.body, "target=") || strings.Contains(html.body, "ignored") || strings.Contains(plain.body, "ignored") {
			t.Errorf("the message carries what it should not:\n%s", s.raw)
		}
	}
	// Short lines of ASCII go as they are.
	d.HTML = "<p>Hi <b>Bob</b></p><p>bye</p>"
	s := write(t, d, Options{})
	if cte := s.parts[1].header.Get("Content-Transfer-Encoding"); cte != enc7bit {
		t.Errorf("HTML part Content-Transfer-Encoding %q", cte)
	}
}

// TestHTMLWithAttachments: an attachment puts the alternative inside
// multipart/mixed, first.
func TestHTMLWithAttachments(t *testing.T) {
	d := baseDraft()
	d.HTML = "<p>See the <em>file</em>.</p>"
	d.Attachments = []Attachment{{Name: "a.txt", ContentType: "text/plain", Open: opener("x")}}
	s := write(t, d, Options{})
	want := []string{"multipart/mixed", "  multipart/alternative", "    text/plain", "    text/html", "  text/plain"}
	if !slices.Equal(s.types, want) {
		t.Fatalf("structure = %q, want %q", s.types, want)
	}
	if got := decodeFlowed(s.parts[0].body); got != "See the file." {
		t.Errorf("text part %q", got)
	}
}
