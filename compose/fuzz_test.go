package compose

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"
)

// FuzzWrite writes drafts with arbitrary subjects, recipient names and
// addresses, attachment names and texts. Either Write refuses the draft
// with a field error and writes nothing, or the message parses back with
// go-message, with every line ending in CRLF and no bare CR or LF (no
// header injection), and the subject, the recipient, the attachment name
// and the text (decoded from format=flowed) as given.
func FuzzWrite(f *testing.F) {
	f.Add("Hello", "Bob", "bob@example.org", "report.pdf", "Hi Bob,\n\nsee you.", false)
	f.Add("Re: Año nuevo — 東京", "Pérez, José", "jose@bücher.example", "résumé.txt", "> quoted\nFrom me\n-- \nsig ", false)
	f.Add("x\r\nBcc: victim@example.org", "Eve\nBcc: v@x", "eve@example.org\r\nBcc: v@x", "a\r\n.txt", "\x00", true)
	f.Add(strings.Repeat("long subject ", 30), strings.Repeat("ñ", 100), "zoë@example.org", strings.Repeat("名", 200), strings.Repeat("word ", 300), true)
	f.Add("=?utf-8?q?x?=", `"quoted" \name`, "a@[127.0.0.1]", "=?utf-8?b?eA==?=", "\r\r\n\n  \n>", false)
	f.Fuzz(func(t *testing.T, subject, name, addr, file, text string, smtputf8 bool) {
		d := baseDraft()
		d.Subject, d.To, d.Text = subject, []Address{{name, addr}}, text
		d.Attachments = []Attachment{{Name: file, Open: opener("data")}}
		opts := Options{SMTPUTF8: smtputf8, EightBitMIME: smtputf8}
		var buf bytes.Buffer
		_, err := Write(&buf, d, opts)
		if onlyField(err, FieldTo) {
			// Most random addresses are refused: try the rest with a good one.
			d.To[0].Addr = "bob@example.org"
			_, err = Write(&buf, d, opts)
		}
		if err != nil {
			if len(FieldErrors(err)) == 0 || buf.Len() != 0 {
				t.Fatalf("error %v is not a field error, or %d bytes were written", err, buf.Len())
			}
			return
		}
		s, err := parseSent(buf.String())
		if err != nil {
			t.Fatalf("does not parse: %v\n%q", err, buf.String())
		}
		checkLines(t, s.raw)
		if got, _ := s.header.Subject(); got != cleanSpace(subject) {
			t.Errorf("subject %q, want %q", got, cleanSpace(subject))
		}
		to, err := s.header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != cleanSpace(name) {
			t.Fatalf("To = %v, %v; want name %q", to, err, cleanSpace(name))
		}
		if got := decodeFlowed(s.parts[0].body); got != canonicalText(text) {
			t.Errorf("text %q, want %q", got, canonicalText(text))
		}
		if !looksEncoded(file) {
			ah := mail.AttachmentHeader{Header: s.parts[1].header}
			if got, err := ah.Filename(); err != nil || got != file {
				t.Errorf("file name %q (%v), want %q", got, err, file)
			}
		}
		if strings.Contains(s.headerBlock(), "\nBcc") {
			t.Errorf("a Bcc field in:\n%s", s.headerBlock())
		}
	})
}

// onlyField reports whether err is field errors about field alone.
func onlyField(err error, field string) bool {
	fe := FieldErrors(err)
	for _, e := range fe {
		if e.Field != field {
			return false
		}
	}
	return len(fe) > 0
}

// FuzzHTML writes drafts with arbitrary HTML: either Write refuses it with
// a field error about the HTML, or the message parses back as
// multipart/alternative with every line within 998 octets, and its HTML
// part without a script.
func FuzzHTML(f *testing.F) {
	f.Add("<p>Hi <b>Bob</b></p><ul><li>a</li></ul>")
	f.Add(`<blockquote><p>q<blockquote>x</blockquote></p></blockquote><a href="https://e.example/">l</a>`)
	f.Add("<pre>  a\n b</pre><ol start=3><li>x<ol><li>y</ol></ol>")
	f.Add(`<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:x">j</a>` + strings.Repeat("w", 2000))
	f.Add("<p>\xff</p>")
	f.Fuzz(func(t *testing.T, html string) {
		if html == "" {
			return // no HTML: a plain message
		}
		d := baseDraft()
		d.HTML = html
		var buf bytes.Buffer
		_, err := Write(&buf, d, Options{})
		if err != nil {
			if !onlyField(err, FieldHTML) || buf.Len() != 0 {
				t.Fatalf("error %v is not about the HTML, or %d bytes were written", err, buf.Len())
			}
			return
		}
		s, err := parseSent(buf.String())
		if err != nil {
			t.Fatalf("does not parse: %v\n%q", err, buf.String())
		}
		checkLines(t, s.raw)
		if len(s.parts) != 2 || s.parts[0].mediaType != "text/plain" || s.parts[1].mediaType != "text/html" {
			t.Fatalf("parts %q", s.types)
		}
		if strings.Contains(strings.ToLower(s.parts[1].body), "<script") {
			t.Errorf("the HTML part has a script: %q", s.parts[1].body)
		}
	})
}
