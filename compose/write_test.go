package compose

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"slices"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

func TestPlainMessage(t *testing.T) {
	d := baseDraft()
	d.Cc = []Address{{"", "carol@example.net"}}
	d.Bcc = []Address{{"Hidden Person", "hidden@example.net"}, {"", "BOB@example.org"}}
	s := write(t, d, Options{})

	if from, err := s.header.AddressList("From"); err != nil || len(from) != 1 || from[0].Name != "Ana Pérez" || from[0].Address != "ana@example.com" {
		t.Errorf("From = %v, %v", from, err)
	}
	if got := s.addresses(t, "To"); !slices.Equal(got, []string{`"Bob" <bob@example.org>`}) {
		t.Errorf("To = %q", got)
	}
	if got := s.addresses(t, "Cc"); !slices.Equal(got, []string{`<carol@example.net>`}) {
		t.Errorf("Cc = %q", got)
	}
	if sub, _ := s.header.Subject(); sub != "Hello" {
		t.Errorf("Subject = %q", sub)
	}
	if date, err := s.header.Date(); err != nil || !date.Equal(d.Date) {
		t.Errorf("Date = %v, %v; want %v", date, err, d.Date)
	}
	if !strings.Contains(s.raw, "Date: Wed, 04 Mar 2026 15:06:07 -0300\r\n") {
		t.Errorf("Date not in RFC 5322 form:\n%s", s.headerBlock())
	}
	id, err := s.header.MessageID()
	if err != nil || id != s.res.MessageID || !strings.HasSuffix(id, "@example.com") || len(id) < 30 {
		t.Errorf("Message-ID = %q (%v), result says %q", id, err, s.res.MessageID)
	}
	if v := s.header.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version = %q", v)
	}
	if len(s.parts) != 1 || s.parts[0].mediaType != "text/plain" {
		t.Fatalf("structure = %q", s.types)
	}
	_, params, _ := s.parts[0].header.ContentType()
	if params["charset"] != "utf-8" || params["format"] != "flowed" {
		t.Errorf("Content-Type params = %v", params)
	}
	if cte := s.parts[0].header.Get("Content-Transfer-Encoding"); cte != "7bit" {
		t.Errorf("Content-Transfer-Encoding = %q", cte)
	}
	if got := decodeFlowed(s.parts[0].body); got != d.Text {
		t.Errorf("text = %q, want %q", got, d.Text)
	}
	// Bcc: in the envelope only.
	for _, b := range []string{"hidden", "Hidden", "Bcc", "BCC"} {
		if strings.Contains(s.raw, b) {
			t.Errorf("the message contains %q:\n%s", b, s.raw)
		}
	}
	want := Envelope{From: "ana@example.com", To: []string{"bob@example.org", "carol@example.net", "hidden@example.net"}}
	if env := s.res.Envelope; env.From != want.From || !slices.Equal(env.To, want.To) || env.SMTPUTF8 || env.EightBit {
		t.Errorf("envelope = %+v, want %+v", env, want)
	}
}

func TestOnlyBcc(t *testing.T) {
	d := baseDraft()
	d.To, d.Bcc = nil, []Address{{"", "hidden@example.net"}}
	s := write(t, d, Options{})
	if strings.Contains(s.raw, "hidden") {
		t.Errorf("Bcc address in the message:\n%s", s.headerBlock())
	}
	if !strings.Contains(s.raw, "To: undisclosed-recipients:;\r\n") {
		t.Errorf("no empty To group:\n%s", s.headerBlock())
	}
	if !slices.Equal(s.res.Envelope.To, []string{"hidden@example.net"}) {
		t.Errorf("envelope To = %q", s.res.Envelope.To)
	}
}

func TestEncodedHeaders(t *testing.T) {
	d := baseDraft()
	d.From.Name = "José Núñez, Jr. \"Pepe\""
	d.To = []Address{{"Ünïcödé Ñame with a rather long display name that needs several encoded words", "u@example.org"}, {"O'Brien (work)", "ob@example.org"}}
	d.Subject = "Informe del trimestre — versión final con todos los anexos y comentarios del equipo de 東京"
	s := write(t, d, Options{})
	if !isASCII(s.headerBlock()) {
		t.Errorf("header not ASCII without SMTPUTF8:\n%s", s.headerBlock())
	}
	if sub, _ := s.header.Subject(); sub != d.Subject {
		t.Errorf("Subject = %q, want %q", sub, d.Subject)
	}
	from, err := s.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != d.From.Name || from[0].Address != d.From.Addr {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := s.header.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != d.To[0].Name || to[1].Name != d.To[1].Name {
		t.Errorf("To = %v, %v", to, err)
	}
	if !strings.Contains(s.raw, "=?utf-8?q?") || !strings.Contains(s.raw, "=?utf-8?b?") {
		t.Errorf("expected Q-encoded subject and B-encoded names:\n%s", s.headerBlock())
	}
}

// RFC 6532 where nothing else will do: a UTF-8 user name is written as it
// is; display names and the subject stay encoded words and domains IDNA,
// so that a message needs SMTPUTF8 only for such an address.
func TestSMTPUTF8(t *testing.T) {
	d := baseDraft()
	d.From = Address{"José", "josé@bücher.example"}
	d.To = []Address{{"Zoë", "zoë@example.org"}}
	d.Subject = "Ça va? 你好"
	s := write(t, d, Options{SMTPUTF8: true, EightBitMIME: true})
	h := s.headerBlock()
	for _, want := range []string{"From: =?utf-8?b?Sm9zw6k=?= <josé@xn--bcher-kva.example>\r\n",
		"To: =?utf-8?b?Wm/Dqw==?= <zoë@example.org>\r\n", "Subject: =?utf-8?q?"} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
	if sub, _ := s.header.Subject(); sub != d.Subject {
		t.Errorf("Subject = %q", sub)
	}
	from, err := s.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "José" || from[0].Address != "josé@xn--bcher-kva.example" {
		t.Errorf("From reads back as %v, %v", from, err)
	}
	if env := s.res.Envelope; !env.SMTPUTF8 || env.From != "josé@xn--bcher-kva.example" || env.To[0] != "zoë@example.org" {
		t.Errorf("envelope = %+v", env)
	}

	// The server offers SMTPUTF8 but no address needs it: the message
	// does not either, however much UTF-8 its names and subject hold.
	plain := d
	plain.From.Addr, plain.To = "jose@bücher.example", []Address{{"Zoë", "zoe@example.org"}}
	s = write(t, plain, Options{SMTPUTF8: true})
	if !isASCII(s.headerBlock()) || s.res.Envelope.SMTPUTF8 {
		t.Errorf("SMTPUTF8 %v for a message with ASCII addresses:\n%s", s.res.Envelope.SMTPUTF8, s.headerBlock())
	}

	// Without SMTPUTF8 the user name cannot be sent; the domain can, as
	// IDNA.
	err = Check(d, Options{})
	if !errors.Is(err, ErrNeedsSMTPUTF8) {
		t.Fatalf("Check without SMTPUTF8 = %v", err)
	}
	d.From.Addr, d.To[0].Addr = "jose@bücher.example", "zoe@example.org"
	s = write(t, d, Options{})
	if from := s.addresses(t, "From"); len(from) != 1 || !strings.Contains(from[0], "jose@xn--bcher-kva.example") {
		t.Errorf("From = %q", from)
	}
	if s.res.Envelope.From != "jose@xn--bcher-kva.example" || s.res.Envelope.SMTPUTF8 {
		t.Errorf("envelope = %+v", s.res.Envelope)
	}
	if !strings.HasSuffix(s.res.MessageID, "@xn--bcher-kva.example") {
		t.Errorf("Message-ID = %q", s.res.MessageID)
	}
}

func TestTransferEncoding(t *testing.T) {
	long := strings.Repeat("x", 1200)
	cases := []struct {
		name, text string
		eightBit   bool
		want       string
	}{
		{"ascii", "plain words", false, "7bit"},
		{"utf8 without 8BITMIME", "años", false, "quoted-printable"},
		{"utf8 with 8BITMIME", "años", true, "8bit"},
		{"a word longer than 998", "see " + long, true, "quoted-printable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := baseDraft()
			d.Text = c.text
			s := write(t, d, Options{EightBitMIME: c.eightBit})
			if got := s.parts[0].header.Get("Content-Transfer-Encoding"); got != c.want {
				t.Errorf("encoding = %q, want %q", got, c.want)
			}
			if got := decodeFlowed(s.parts[0].body); got != c.text {
				t.Errorf("text = %q", got)
			}
			if s.res.Envelope.EightBit != (c.want == "8bit") {
				t.Errorf("envelope EightBit = %v", s.res.Envelope.EightBit)
			}
		})
	}
}

func TestFlowedRoundTrip(t *testing.T) {
	texts := []string{
		"",
		"one line",
		"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
		"trailing spaces   \nare dropped \t \n",
		" leading space\nFrom the start\n>quoted\n> > deeper\n>> deeper still with a long line that must be wrapped because it goes on and on and on beyond the width",
		"-- \nsignature",
		"a line that ends in a space before the wrap point xxxxxxxxxxxxxxxxxxxxxx From here it is on the next line >and this",
		"-- " + strings.Repeat("word ", 30),
		"CRLF\r\nand CR\rendings",
		"tabs\tin\tthe\tmiddle " + strings.Repeat("ñandú ", 20),
		strings.Repeat("東京", 300),
		">\n> \n>>\n",
	}
	for _, eightBit := range []bool{false, true} {
		for _, text := range texts {
			d := baseDraft()
			d.Text = text
			s := write(t, d, Options{EightBitMIME: eightBit})
			if got, want := decodeFlowed(s.parts[0].body), canonicalText(text); got != want {
				t.Errorf("8bit=%v: round trip of %q\n got %q\nwant %q", eightBit, text, got, want)
			}
			for _, l := range strings.Split(s.parts[0].body, "\r\n") {
				if n := len([]rune(l)); n > flowWidth && strings.Contains(strings.TrimRight(l, " "), " ") && !strings.HasPrefix(l, ">") {
					t.Errorf("line of %d characters could have been wrapped: %q", n, l)
				}
			}
		}
	}
}

func TestFlowedLines(t *testing.T) {
	got := flowLines("From me\n>quoted\n> > twice\n x\n-- \nsig  \n")
	want := []string{" From me", "> quoted", ">> twice", "  x", "-- ", "sig", ""}
	if !slices.Equal(got, want) {
		t.Errorf("flowLines = %q, want %q", got, want)
	}
	long := strings.Repeat("word ", 40)
	for i, l := range flowLines(long) {
		if len(l) > flowWidth {
			t.Errorf("line %d is %d long", i, len(l))
		}
		if i < len(flowLines(long))-1 && !strings.HasSuffix(l, " ") {
			t.Errorf("line %d lacks its soft break: %q", i, l)
		}
	}
}

func TestHTMLAlternative(t *testing.T) {
	d := baseDraft()
	d.HTML = `<p onclick="evil()">Hi <b>Bob</b><script>alert(1)</script><img src="https://tracker.example/x.png"><a href="javascript:alert(1)">x</a></p>`
	s := write(t, d, Options{})
	if want := []string{"multipart/alternative", "  text/plain", "  text/html"}; !slices.Equal(s.types, want) {
		t.Fatalf("structure = %q, want %q", s.types, want)
	}
	html := s.parts[1].body
	for _, bad := range []string{"script", "onclick", "tracker.example", "javascript"} {
		if strings.Contains(html, bad) {
			t.Errorf("sanitized HTML keeps %q: %s", bad, html)
		}
	}
	if !strings.Contains(html, "<b>Bob</b>") {
		t.Errorf("HTML lost its formatting: %s", html)
	}
	// The text alternative is the HTML's, not d.Text.
	if got := decodeFlowed(s.parts[0].body); got != "Hi Bobx" {
		t.Errorf("text = %q", got)
	}
}

// TestThunderbirdStructure checks the structure against what Thunderbird
// sends for a text with an HTML part and two attachments, one with a
// non-ASCII name: multipart/mixed with the alternative (text first, RFC
// 2046 §5.1.4) first and then the attachments (§5.1.3); each attachment
// with Content-Disposition: attachment and its name in RFC 2231 form
// (filename*=utf-8”…, §4) when it is not ASCII, plus name= in
// Content-Type (RFC 2047 encoded words) for old clients; base64 in lines of
// 76 (RFC 2045 §6.8).
func TestThunderbirdStructure(t *testing.T) {
	d := baseDraft()
	d.HTML = "<p>Hi</p>"
	d.Attachments = []Attachment{
		{Name: "report.pdf", ContentType: "application/pdf", Open: opener(strings.Repeat("%PDF", 100))},
		{Name: "résumé.txt", ContentType: "text/plain; charset=utf-8", Open: opener("café\n")},
	}
	s := write(t, d, Options{})
	want := []string{
		"multipart/mixed",
		"  multipart/alternative",
		"    text/plain",
		"    text/html",
		"  application/pdf",
		"  text/plain",
	}
	if !slices.Equal(s.types, want) {
		t.Fatalf("structure = %q, want %q", s.types, want)
	}
	for _, want := range []string{
		"Content-Type: application/pdf; name=\"report.pdf\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n",
		"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt\r\n",
		"Content-Type: text/plain; name=\"=?utf-8?b?csOpc3Vtw6kudHh0?=\"\r\n",
	} {
		if !strings.Contains(s.raw, want) {
			t.Errorf("message lacks %q:\n%s", want, s.raw)
		}
	}
	if s.parts[2].body != strings.Repeat("%PDF", 100) || s.parts[3].body != "café\n" {
		t.Errorf("attachment bodies = %q, %q", s.parts[2].body, s.parts[3].body)
	}
	// base64 lines are 76 characters but the last.
	b64 := s.raw[strings.Index(s.raw, "JVBER"):]
	b64 = b64[:strings.Index(b64, "\r\n\r\n")]
	lines := strings.Split(b64, "\r\n")
	for i, l := range lines[:len(lines)-1] {
		if len(l) != 76 {
			t.Errorf("base64 line %d is %d long", i, len(l))
		}
	}
}

func TestAttachmentNames(t *testing.T) {
	names := []string{
		"plain.txt",
		"with space and (parens).txt",
		`quote"and\backslash.txt`,
		"Prüfbericht Ärger.docx",
		"見積書.xlsx",
		strings.Repeat("a very long name ", 12) + ".pdf",
		strings.Repeat("ñ", 240) + ".pdf",
		strings.Repeat("x", 400),
	}
	d := baseDraft()
	for _, n := range names {
		d.Attachments = append(d.Attachments, Attachment{Name: n, Open: opener(n)})
	}
	s := write(t, d, Options{})
	if len(s.parts) != len(names)+1 {
		t.Fatalf("%d parts", len(s.parts))
	}
	for i, n := range names {
		p := s.parts[i+1]
		ah := mail.AttachmentHeader{Header: p.header}
		got, err := ah.Filename()
		if err != nil || got != n {
			t.Errorf("filename = %q, %v; want %q", got, err, n)
		}
		_, params, err := p.header.ContentType()
		if err != nil {
			t.Errorf("%q: Content-Type: %v", n, err)
		}
		if dec, err := new(mime.WordDecoder).DecodeHeader(params["name"]); err != nil || dec != n {
			t.Errorf("name = %q (%q, %v), want %q", params["name"], dec, err, n)
		}
		if p.mediaType != "application/octet-stream" || p.body != n {
			t.Errorf("%q: type %q, body %q", n, p.mediaType, p.body)
		}
	}
}

// A name that looks like an encoded word is sent in RFC 2231 form, so that
// nothing in the header is one; readers that decode encoded words in
// parameters anyway (go-message, Thunderbird) will still decode it.
func TestAttachmentNameLikeEncodedWord(t *testing.T) {
	d := baseDraft()
	d.Attachments = []Attachment{{Name: "=?utf-8?q?x?=.txt", Open: opener("")}}
	s := write(t, d, Options{})
	if !strings.Contains(s.raw, "filename*=utf-8''%3D%3Futf-8%3Fq%3Fx%3F%3D.txt\r\n") {
		t.Errorf("name not in RFC 2231 form:\n%s", s.raw)
	}
}

func TestAttachmentTypes(t *testing.T) {
	cases := map[string]string{
		"":                      "application/octet-stream",
		"image/PNG":             "image/png",
		"text/plain; charset=x": "text/plain",
		"nonsense":              "application/octet-stream",
		"message/rfc822":        "application/octet-stream",
		"multipart/mixed":       "application/octet-stream",
		"text/plain\r\nBcc: x":  "application/octet-stream",
	}
	for in, want := range cases {
		if got := mediaType(in); got != want {
			t.Errorf("mediaType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReplyHeaders(t *testing.T) {
	d := baseDraft()
	d.Subject = ReplySubject("Re: AW: Hello")
	d.InReplyTo = "<orig@example.org>"
	d.References = ParseMsgIDs("<root@example.org>\r\n <mid@example.org> <broken> ")
	s := write(t, d, Options{})
	if irt, err := s.header.MsgIDList("In-Reply-To"); err != nil || !slices.Equal(irt, []string{"orig@example.org"}) {
		t.Errorf("In-Reply-To = %q, %v", irt, err)
	}
	refs, err := s.header.MsgIDList("References")
	if want := []string{"root@example.org", "mid@example.org", "orig@example.org"}; err != nil || !slices.Equal(refs, want) {
		t.Errorf("References = %q, %v; want %q", refs, err, want)
	}
	if sub, _ := s.header.Subject(); sub != "Re: Hello" {
		t.Errorf("Subject = %q", sub)
	}
}

func TestLongReferences(t *testing.T) {
	var refs []string
	for i := range 60 {
		refs = append(refs, "<message-number-"+strings.Repeat("x", i)+"@lists.example.org>")
	}
	d := baseDraft()
	d.InReplyTo = "<last@example.org>"
	d.References = refs
	s := write(t, d, Options{})
	got, err := s.header.MsgIDList("References")
	if err != nil || len(got) != maxReferences {
		t.Fatalf("References = %d ids, %v", len(got), err)
	}
	if got[0] != normMsgID(refs[0]) || got[len(got)-1] != "last@example.org" || got[len(got)-2] != normMsgID(refs[59]) {
		t.Errorf("References keep %q … %q", got[0], got[len(got)-2:])
	}
}

func TestForwardAsAttachment(t *testing.T) {
	orig := "From: Carol <carol@example.net>\r\nSubject: Año nuevo\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFeliz año\r\n"
	d := baseDraft()
	d.Subject = ForwardSubject("Fwd: Año nuevo")
	d.Forwarded = []Forwarded{{Name: EMLName("Año nuevo", "message"), Open: opener(orig)}}

	s := write(t, d, Options{EightBitMIME: true})
	if want := []string{"multipart/mixed", "  text/plain", "  message/rfc822"}; !slices.Equal(s.types, want) {
		t.Fatalf("structure = %q", s.types)
	}
	p := s.parts[1]
	if p.body != orig || p.header.Get("Content-Transfer-Encoding") != "8bit" {
		t.Errorf("forwarded part: %q, %q", p.header.Get("Content-Transfer-Encoding"), p.body)
	}
	if name, _ := (&mail.AttachmentHeader{Header: p.header}).Filename(); name != "Año nuevo.eml" {
		t.Errorf("name = %q", name)
	}
	if inner, err := gomessage.Read(strings.NewReader(p.body)); err != nil || inner.Header.Get("From") != "Carol <carol@example.net>" {
		t.Errorf("forwarded message does not parse: %v", err)
	}

	// Without 8BITMIME (and for bytes message/rfc822 cannot carry), the
	// same bytes as a base64 .eml file.
	for _, o := range []string{orig, "Subject: x\r\n\r\n" + strings.Repeat("y", 2000) + "\r\n", "Subject: x\n\nbare\rCR\n"} {
		d.Forwarded[0].Open = opener(o)
		s = write(t, d, Options{EightBitMIME: o != orig})
		p = s.parts[1]
		if p.mediaType != "application/octet-stream" || p.header.Get("Content-Transfer-Encoding") != "base64" || p.body != o {
			t.Errorf("fallback part: %q %q %q", p.mediaType, p.header.Get("Content-Transfer-Encoding"), p.body)
		}
	}

	// An LF-only message is sent with CRLF.
	d.Forwarded[0].Open = opener("Subject: x\n\nplain\n")
	s = write(t, d, Options{})
	if p := s.parts[1]; p.body != "Subject: x\r\n\r\nplain\r\n" || p.header.Get("Content-Transfer-Encoding") != "7bit" {
		t.Errorf("LF message: %q %q", p.header.Get("Content-Transfer-Encoding"), p.body)
	}
}

func TestHeaderInjection(t *testing.T) {
	attacks := []struct {
		field string
		edit  func(*Draft)
		want  error
	}{
		{FieldSubject, func(d *Draft) { d.Subject = "hi\r\nBcc: victim@example.org" }, ErrLineBreak},
		{FieldSubject, func(d *Draft) { d.Subject = "hi\nX: y" }, ErrLineBreak},
		{FieldSubject, func(d *Draft) { d.Subject = "hi\rX: y" }, ErrLineBreak},
		{FieldSubject, func(d *Draft) { d.Subject = "nul\x00" }, ErrControl},
		{FieldSubject, func(d *Draft) { d.Subject = "bad \xff utf-8" }, ErrInvalidUTF8},
		{FieldFrom, func(d *Draft) { d.From.Name = "Ana\r\nBcc: victim@example.org" }, ErrLineBreak},
		{FieldFrom, func(d *Draft) { d.From.Addr = "ana@example.com\r\nBcc: victim@example.org" }, ErrLineBreak},
		{FieldTo, func(d *Draft) { d.To[0].Addr = "bob@example.org>\r\nBcc: <victim@example.org" }, ErrLineBreak},
		{FieldTo, func(d *Draft) { d.To[0].Name = "Bob\x1b[31m" }, ErrControl},
		{FieldTo, func(d *Draft) { d.To[0].Addr = "bob@example.org, eve@example.org" }, ErrInvalidAddress},
		{FieldTo, func(d *Draft) { d.To[0].Addr = "Bob <bob@example.org>" }, ErrInvalidAddress},
		{FieldTo, func(d *Draft) { d.To[0].Addr = "not an address" }, ErrInvalidAddress},
		{FieldTo, func(d *Draft) { d.To[0].Addr = `"quoted"@example.org` }, ErrInvalidAddress},
		{FieldTo, func(d *Draft) { d.To[0].Addr = "a@-bad-.example" }, ErrInvalidAddress},
		{FieldTo, func(d *Draft) { d.To[0].Addr = strings.Repeat("a", 65) + "@example.org" }, ErrInvalidAddress},
		{FieldTo, func(d *Draft) { d.To = nil }, ErrNoRecipients},
		{FieldBcc, func(d *Draft) { d.Bcc = []Address{{"", "x@y\nz"}} }, ErrLineBreak},
		{FieldInReplyTo, func(d *Draft) { d.InReplyTo = "<a@b>\r\nBcc: victim@example.org" }, ErrLineBreak},
		{FieldInReplyTo, func(d *Draft) { d.InReplyTo = "<no at sign>" }, ErrInvalidMessageID},
		{FieldReferences, func(d *Draft) { d.References = []string{"<a@b>", "<c@d>\nX: y"} }, ErrLineBreak},
		{FieldMessageID, func(d *Draft) { d.MessageID = "<x@y> <z@w>" }, ErrInvalidMessageID},
		{FieldAttachment, func(d *Draft) {
			d.Attachments = []Attachment{{Name: "a.txt\r\nContent-Type: text/html", Open: opener("")}}
		}, ErrLineBreak},
		{FieldAttachment, func(d *Draft) { d.Attachments = []Attachment{{Name: "a.txt"}} }, ErrMissing},
		{FieldForwarded, func(d *Draft) { d.Forwarded = []Forwarded{{Name: "x\n.eml", Open: opener("")}} }, ErrLineBreak},
		{FieldText, func(d *Draft) { d.Text = "nul \x00 byte" }, ErrControl},
		{FieldHTML, func(d *Draft) { d.HTML = "<p>\xff</p>" }, ErrInvalidUTF8},
		{FieldDate, func(d *Draft) { d.Date = time.Time{} }, ErrMissing},
	}
	for _, a := range attacks {
		d := baseDraft()
		a.edit(&d)
		var buf bytes.Buffer
		_, err := Write(&buf, d, Options{})
		if !errors.Is(err, a.want) {
			t.Errorf("%s: err = %v, want %v", a.field, err, a.want)
			continue
		}
		fe := FieldErrors(err)
		if len(fe) != 1 || fe[0].Field != a.field {
			t.Errorf("%s: field errors = %v", a.field, fe)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written before the error", a.field, buf.Len())
		}
		if strings.ContainsAny(err.Error(), "\r\n") {
			t.Errorf("%s: error message has a line break: %q", a.field, err.Error())
		}
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	d := baseDraft()
	d.From.Addr = ""
	d.To = []Address{{"", "ok@example.org"}, {"", "bad"}}
	d.Cc = []Address{{"", "also bad"}}
	d.Subject = "x\ny"
	err := Check(d, Options{})
	var got []string
	for _, fe := range FieldErrors(err) {
		got = append(got, fe.Field+"/"+string(rune('0'+fe.Index+1)))
	}
	if want := []string{"from/0", "to/2", "cc/1", "subject/0"}; !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q (%v)", got, want, err)
	}
	if Check(baseDraft(), Options{}) != nil {
		t.Errorf("a valid draft does not check")
	}
}

func TestMaxSize(t *testing.T) {
	d := baseDraft()
	d.Attachments = []Attachment{{Name: "big.bin", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.LimitReader(zeros{}, 1<<20)), nil
	}}}
	_, err := Write(io.Discard, d, Options{MaxSize: 100_000})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	res, err := Write(io.Discard, d, Options{MaxSize: 2 << 20})
	if err != nil || res.Size < Base64Size(1<<20) || res.Size > Base64Size(1<<20)+2000 {
		t.Errorf("Size = %d (Base64Size %d), %v", res.Size, Base64Size(1<<20), err)
	}
}

func TestBase64Size(t *testing.T) {
	for _, n := range []int{0, 1, 56, 57, 58, 1000, 57 * 16, 57*16 + 1, 123457} {
		var buf bytes.Buffer
		if err := writeBase64(&buf, bytes.NewReader(make([]byte, n))); err != nil {
			t.Fatal(err)
		}
		if got := Base64Size(int64(n)); got != int64(buf.Len()) {
			t.Errorf("Base64Size(%d) = %d, writeBase64 wrote %d", n, got, buf.Len())
		}
	}
}

func TestAttachmentErrors(t *testing.T) {
	d := baseDraft()
	boom := errors.New("disk gone")
	d.Attachments = []Attachment{{Name: "a.txt", Open: func() (io.ReadCloser, error) { return nil, boom }}}
	if _, err := Write(io.Discard, d, Options{}); !errors.Is(err, boom) || !strings.Contains(err.Error(), "a.txt") {
		t.Errorf("open error = %v", err)
	}
	d.Attachments[0].Open = func() (io.ReadCloser, error) { return failingReader{boom}, nil }
	if _, err := Write(io.Discard, d, Options{}); !errors.Is(err, boom) {
		t.Errorf("read error = %v", err)
	}
}

func TestMessageIDChoice(t *testing.T) {
	d := baseDraft()
	d.MessageID = "<kept.id@example.com>"
	if s := write(t, d, Options{}); s.res.MessageID != "kept.id@example.com" {
		t.Errorf("MessageID = %q", s.res.MessageID)
	}
	d.MessageID, d.MessageDomain = "", "mail.example.net"
	if s := write(t, d, Options{}); !strings.HasSuffix(s.res.MessageID, "@mail.example.net") {
		t.Errorf("MessageID = %q", s.res.MessageID)
	}
	a := write(t, baseDraft(), Options{})
	b := write(t, baseDraft(), Options{})
	if a.res.MessageID == b.res.MessageID {
		t.Errorf("two messages share the Message-ID %q", a.res.MessageID)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }
func (f failingReader) Close() error             { return nil }
