package message

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

func partURL(id string) string { return "/m/42/part/" + id }

func mustEncode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func TestBodyCharsets(t *testing.T) {
	const text = "こんにちは、世界"
	tests := []struct {
		name    string
		charset string
		body    []byte
		want    string
	}{
		{"iso-2022-jp", "ISO-2022-JP", mustEncode(t, japanese.ISO2022JP, text), text},
		{"shift_jis", "Shift_JIS", mustEncode(t, japanese.ShiftJIS, text), text},
		{"cp932 alias", "cp932", mustEncode(t, japanese.ShiftJIS, text), text},
		{"euc-jp", "euc-jp", mustEncode(t, japanese.EUCJP, text), text},
		{"gb18030", "GB18030", mustEncode(t, simplifiedchinese.GB18030, "施氏食狮史"), "施氏食狮史"},
		{"gbk", "gbk", mustEncode(t, simplifiedchinese.GBK, "施氏食狮史"), "施氏食狮史"},
		{"gb2312", "gb2312", mustEncode(t, simplifiedchinese.GBK, "施氏食狮史"), "施氏食狮史"},
		{"big5", "big5", mustEncode(t, traditionalchinese.Big5, "繁體中文"), "繁體中文"},
		{"koi8-r", "koi8-r", mustEncode(t, charmap.KOI8R, "Привет"), "Привет"},
		{"windows-1251", "windows-1251", mustEncode(t, charmap.Windows1251, "Привет"), "Привет"},
		{"windows-1252 quotes", "windows-1252", []byte("\x93quoted\x94 \x80"), "“quoted” €"},
		{"iso-8859-1 read as windows-1252", "iso-8859-1", []byte("caf\xe9 \x93x\x94"), "café “x”"},
		{"iso-8859-2", "iso-8859-2", mustEncode(t, charmap.ISO8859_2, "árvíztűrő"), "árvíztűrő"},
		{"iso-8859-15", "ISO-8859-15", []byte("\xa4"), "€"},
		{"utf-8", "utf-8", []byte("Zoë"), "Zoë"},
		{"utf-8 labelled latin-1", "iso-8859-1", []byte("Zoë 日本"), "Zoë 日本"},
		{"unknown charset, valid utf-8", "x-made-up", []byte("Zoë"), "Zoë"},
		{"unknown charset, latin-1 bytes", "x-made-up", []byte("Zo\xeb"), "Zoë"},
		{"no charset, latin-1 bytes", "", []byte("Zo\xeb"), "Zoë"},
		{"us-ascii with 8-bit", "us-ascii", []byte("Zo\xeb"), "Zoë"},
		{"utf-7", "utf-7", []byte("Hi +AGk-Mom -+Jjo--!"), "Hi iMom -☺-!"},
		{"utf-16le", "utf-16le", []byte{'h', 0, 'i', 0}, "hi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := "text/plain"
			if tc.charset != "" {
				ct += "; charset=" + tc.charset
			}
			raw := append(crlf("From: a@example.com\nContent-Type: "+ct+"\nContent-Transfer-Encoding: 8bit\n\n"), tc.body...)
			v := Render(raw, RenderOptions{})
			if v.Text != tc.want {
				t.Errorf("text = %q, want %q", v.Text, tc.want)
			}
			if v.ParseError != "" {
				t.Errorf("parse error %q", v.ParseError)
			}
		})
	}
}

func TestTransferEncodings(t *testing.T) {
	tests := []struct {
		name, cte, body, want string
	}{
		{"base64", "base64", b64("Grüße\r\nzwei"), "Grüße\nzwei"},
		{"base64 wrapped and unpadded", "BASE64", "R3L DvMOf\r\nZQ", "Grüße"},
		{"quoted-printable", "quoted-printable", "Gr=C3=BC=C3=9Fe =\r\nzusammen\r\nx=3D1", "Grüße zusammen\nx=1"},
		{"qp with bad escapes", "quoted-printable", "100% =ZZ =4", "100% =ZZ =4"},
		{"qp trailing whitespace", "quoted-printable", "a   \r\nb", "a\nb"},
		{"unknown encoding shown as is", "x-custom", "just text", "just text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := crlf("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: " + tc.cte + "\n\n")
			raw = append(raw, tc.body...)
			if got := Render(raw, RenderOptions{}).Text; got != tc.want {
				t.Errorf("text = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFormatFlowed(t *testing.T) {
	tests := []struct {
		name, params, body, want string
	}{
		{"joins flowed lines", "format=flowed", "Hello \nworld, this is \none paragraph.\nNext line.\n", "Hello world, this is one paragraph.\nNext line."},
		{"quotes keep depth", "format=flowed", "> quoted \n> text\n>> deeper \n>> too\nreply\n", "> quoted text\n>> deeper too\nreply"},
		{"space stuffing removed", "format=flowed", " From me\n >not a quote\n", "From me\n>not a quote"},
		{"signature separator is not flowed", "format=flowed", "text\n-- \nsig\n", "text\n-- \nsig"},
		{"delsp", "format=flowed; delsp=yes", "日本 \n語\n", "日本語"},
		{"fixed text untouched", "", "Hello \nworld\n", "Hello \nworld"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := "text/plain; charset=utf-8"
			if tc.params != "" {
				ct += "; " + tc.params
			}
			raw := crlf("Content-Type: " + ct + "\n\n" + tc.body)
			if got := Render(raw, RenderOptions{}).Text; got != tc.want {
				t.Errorf("text = %q, want %q", got, tc.want)
			}
		})
	}
}

const alternativeMsg = `From: a@example.com
Subject: alt
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"

This is a multi-part message in MIME format.

--alt
Content-Type: text/plain; charset=utf-8

Plain version
--alt
Content-Type: text/html; charset=utf-8

<html><head><title>T</title><style>p{color:red}</style></head><body><p>HTML <b>version</b></p></body></html>
--alt--
epilogue
`

func TestAlternative(t *testing.T) {
	v := Render(crlf(alternativeMsg), RenderOptions{})
	if v.Text != "Plain version" {
		t.Errorf("text = %q", v.Text)
	}
	_, body := docParts(t, v.HTML)
	if body != "<div><p>HTML <b>version</b></p></div>" {
		t.Errorf("html body = %q", body)
	}
	if len(v.Attachments) != 0 {
		t.Errorf("attachments = %+v", v.Attachments)
	}
	s := Summarize(crlf(alternativeMsg))
	if s.Snippet != "Plain version" || s.HasAttachments {
		t.Errorf("summary = %+v", s)
	}
}

const relatedMsg = `From: a@example.com
Subject: related
Content-Type: multipart/related; boundary="rel"; type="text/html"

--rel
Content-Type: text/html; charset=utf-8

<p>Logo: <img src="cid:logo@example.com" alt="logo"> and <img src="CID:%3Cmissing@example.com%3E"></p>
--rel
Content-Type: image/png; name="logo.png"
Content-Transfer-Encoding: base64
Content-ID: <logo@example.com>
Content-Disposition: inline; filename="logo.png"

iVBORw0KGgo=
--rel
Content-Type: image/gif
Content-ID: <unused@example.com>
Content-Transfer-Encoding: base64

R0lGODlh
--rel--
`

func TestRelatedCIDImage(t *testing.T) {
	raw := crlf(relatedMsg)
	v := Render(raw, RenderOptions{PartURL: partURL})
	if !strings.Contains(v.HTML, `<img src="/m/42/part/2" alt="logo">`) {
		t.Errorf("cid image not rewritten: %s", v.HTML)
	}
	if strings.Contains(v.HTML, "cid:") || strings.Contains(v.HTML, "CID:") || strings.Contains(v.HTML, partScheme) {
		t.Errorf("cid reference or placeholder left: %s", v.HTML)
	}
	if v.RemoteBlocked {
		t.Error("RemoteBlocked set for a cid image")
	}
	want := []Attachment{
		{ID: "2", Filename: "logo.png", ContentType: "image/png", Size: 8, Inline: true, ContentID: "logo@example.com"},
		{ID: "3", Filename: "attachment-3.gif", ContentType: "image/gif", Size: 6, ContentID: "unused@example.com"},
	}
	if fmt.Sprint(v.Attachments) != fmt.Sprint(want) {
		t.Errorf("attachments = %+v\nwant %+v", v.Attachments, want)
	}
	a, data, err := Part(raw, "2")
	if err != nil || !bytes.Equal(data, []byte("\x89PNG\r\n\x1a\n")) || !a.Inline || a.Filename != "logo.png" {
		t.Errorf("Part(2) = %+v, %q, %v", a, data, err)
	}
	if s := Summarize(raw); s.HasAttachments {
		t.Error("inline images counted as attachments")
	}
	// Without PartURL the image is dropped rather than left pointing
	// anywhere.
	v = Render(raw, RenderOptions{})
	if strings.Contains(v.HTML, "src=") {
		t.Errorf("image kept without PartURL: %s", v.HTML)
	}
}

const mixedMsg = `From: a@example.com
Subject: files
Content-Type: multipart/mixed; boundary="mix"

--mix
Content-Type: text/plain; charset=utf-8

See attached.
--mix
Content-Type: application/pdf; name="=?UTF-8?Q?R=C3=A9sum=C3=A9.pdf?="
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf

JVBERi0xLjQKJcOkw7zDtsOf
Cg==
--mix
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable
Content-Disposition: attachment;
 filename*0*=iso-8859-1''Gr%FC%DFe;
 filename*1=".txt"

Gr=FC=DFe, line one =
continues
line two
--mix
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="../../../etc/passwd"

root:x:0:0
--mix
Content-Type: application/zip
Content-Transfer-Encoding: base64

UEsDBA==
--mix--
`

func TestAttachmentsAndPart(t *testing.T) {
	raw := crlf(mixedMsg)
	v := Render(raw, RenderOptions{})
	if v.Text != "See attached." || v.HTML != "" {
		t.Errorf("text %q html %q", v.Text, v.HTML)
	}
	want := []struct {
		id, name, ctype, charset string
		data                     string
	}{
		{"2", "Résumé.pdf", "application/pdf", "", "%PDF-1.4\n%äüöß\n"},
		{"3", "Grüße.txt", "text/plain", "iso-8859-1", "Gr\xfc\xdfe, line one continues\r\nline two"},
		{"4", "passwd", "application/octet-stream", "", "root:x:0:0"},
		{"5", "attachment-5.zip", "application/zip", "", "PK\x03\x04"},
	}
	if len(v.Attachments) != len(want) {
		t.Fatalf("attachments = %+v", v.Attachments)
	}
	for i, w := range want {
		a := v.Attachments[i]
		if a.ID != w.id || a.Filename != w.name || a.ContentType != w.ctype || a.Charset != w.charset || a.Size != int64(len(w.data)) || a.Inline {
			t.Errorf("attachment %d = %+v, want %+v", i, a, w)
		}
		pa, data, err := Part(raw, w.id)
		if err != nil {
			t.Fatalf("Part(%s): %v", w.id, err)
		}
		if string(data) != w.data {
			t.Errorf("Part(%s) data = %q, want %q", w.id, data, w.data)
		}
		if pa != a {
			t.Errorf("Part(%s) = %+v, Render listed %+v", w.id, pa, a)
		}
	}
	if s := Summarize(raw); !s.HasAttachments || s.Snippet != "See attached." {
		t.Errorf("summary = %+v", s)
	}
	for _, id := range []string{"", "0", "6", "1.1", "x", "2.", "../2"} {
		if _, _, err := Part(raw, id); !errors.Is(err, ErrNoPart) {
			t.Errorf("Part(%q) err = %v, want ErrNoPart", id, err)
		}
	}
	// The body part itself is a part too.
	if a, data, err := Part(raw, "1"); err != nil || string(data) != "See attached." || a.ContentType != "text/plain" {
		t.Errorf("Part(1) = %+v %q %v", a, data, err)
	}
}

func TestNestedPartIDs(t *testing.T) {
	raw := crlf(`Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain

plain
--inner
Content-Type: multipart/related; boundary=rel

--rel
Content-Type: text/html

<img src="cid:img">
--rel
Content-Type: image/png
Content-ID: <img>

png
--rel--
--inner--
--outer
Content-Type: application/pdf; name=a.pdf

pdf
--outer--
`)
	v := Render(raw, RenderOptions{PartURL: partURL})
	if len(v.Attachments) != 2 || v.Attachments[0].ID != "1.2.2" || !v.Attachments[0].Inline || v.Attachments[1].ID != "2" {
		t.Errorf("attachments = %+v", v.Attachments)
	}
	if !strings.Contains(v.HTML, `src="/m/42/part/1.2.2"`) {
		t.Errorf("html = %s", v.HTML)
	}
	if _, data, err := Part(raw, "1.2.2"); err != nil || string(data) != "png" {
		t.Errorf("Part(1.2.2) = %q %v", data, err)
	}
	if _, _, err := Part(raw, "1.2"); !errors.Is(err, ErrNoPart) {
		t.Errorf("Part of a multipart: %v", err)
	}
}

func TestAttachedMessage(t *testing.T) {
	raw := crlf(`From: a@example.com
Subject: fwd
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

See below.
--b
Content-Type: message/rfc822

From: someone@example.org
Subject: =?utf-8?q?Quarterly_report:_Q3/Q4?=

Inner body.
--b
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

` + b64("From: x@example.org\r\n\r\nNo subject here.\r\n") + `
--b--
`)
	v := Render(raw, RenderOptions{})
	if v.Text != "See below." {
		t.Errorf("text = %q", v.Text)
	}
	if len(v.Attachments) != 2 {
		t.Fatalf("attachments = %+v", v.Attachments)
	}
	if a := v.Attachments[0]; a.Filename != "Quarterly report_ Q3_Q4.eml" || a.ContentType != "message/rfc822" {
		t.Errorf("attachment = %+v", a)
	}
	if a := v.Attachments[1]; a.Filename != "message-3.eml" {
		t.Errorf("attachment = %+v", a)
	}
	_, data, err := Part(raw, "2")
	if err != nil || !bytes.HasPrefix(data, []byte("From: someone@example.org\r\n")) {
		t.Errorf("Part(2) = %q %v", data, err)
	}
	if !Summarize(raw).HasAttachments {
		t.Error("attached message not counted")
	}
}

func TestDamagedStructure(t *testing.T) {
	t.Run("missing end boundary", func(t *testing.T) {
		raw := crlf(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

first
--b
Content-Type: application/pdf; name=cut.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
`)
		v := Render(raw, RenderOptions{})
		if v.ParseError != "" || v.Text != "first" || len(v.Attachments) != 1 || v.Attachments[0].Filename != "cut.pdf" || v.Attachments[0].Size != 9 {
			t.Errorf("view = %+v", v)
		}
		if len(v.Defects) == 0 {
			t.Error("no defect reported")
		}
	})
	t.Run("no header separator", func(t *testing.T) {
		raw := crlf("From: a@example.com\nSubject: hi\nthis line starts the body\nand this too\n")
		v := Render(raw, RenderOptions{})
		if v.Subject != "hi" || v.Text != "this line starts the body\nand this too" || v.ParseError != "" {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("not MIME at all", func(t *testing.T) {
		raw := []byte("Hello,\nthis is not a message at all.\n> really\n")
		v := Render(raw, RenderOptions{})
		if v.Text != "Hello,\nthis is not a message at all.\n> really" || v.ParseError != "" {
			t.Errorf("view = %+v", v)
		}
		if s := Summarize(raw); s.Snippet != "Hello, this is not a message at all." {
			t.Errorf("snippet = %q", s.Snippet)
		}
	})
	t.Run("header only", func(t *testing.T) {
		v := Render([]byte("Subject: only a header"), RenderOptions{})
		if v.Subject != "only a header" || v.Text != "" || v.ParseError != "" {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("no boundary parameter", func(t *testing.T) {
		raw := crlf("Content-Type: multipart/mixed\n\n--xyz\nContent-Type: text/plain\n\nguessed\n--xyz--\n")
		if v := Render(raw, RenderOptions{}); v.Text != "guessed" {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("boundary never found", func(t *testing.T) {
		raw := crlf("Content-Type: multipart/mixed; boundary=nope\n\njust text\n")
		if v := Render(raw, RenderOptions{}); v.Text != "just text" {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("boundary prefix of another", func(t *testing.T) {
		raw := crlf("Content-Type: multipart/mixed; boundary=ab\n\n--ab\nContent-Type: multipart/alternative; boundary=abc\n\n--abc\nContent-Type: text/plain\n\ninner\n--abc--\n--ab--\n")
		if v := Render(raw, RenderOptions{}); v.Text != "inner" {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("bare LF and BOM and mbox From line", func(t *testing.T) {
		raw := []byte("\xef\xbb\xbfFrom sender@example.com Mon Apr  1 07:55:00 2019\nSubject: lf\n\nbody\n")
		if v := Render(raw, RenderOptions{}); v.Subject != "lf" || v.Text != "body" {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("empty", func(t *testing.T) {
		if v := Render(nil, RenderOptions{}); v.ParseError == "" {
			t.Error("no parse error for an empty message")
		}
		if s := Summarize([]byte("  \r\n")); s.ParseError == "" {
			t.Error("no parse error for an empty message")
		}
	})
}

func TestLimits(t *testing.T) {
	t.Run("depth", func(t *testing.T) {
		var sb strings.Builder
		for i := 0; i < 30; i++ {
			fmt.Fprintf(&sb, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
		}
		sb.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
		raw := []byte(sb.String())
		v := Render(raw, RenderOptions{})
		if !strings.Contains(v.ParseError, "nested") {
			t.Errorf("parse error = %q", v.ParseError)
		}
		if s := Summarize(raw); !strings.Contains(s.ParseError, "nested") {
			t.Errorf("summary parse error = %q", s.ParseError)
		}
	})
	t.Run("parts", func(t *testing.T) {
		var sb strings.Builder
		sb.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := 0; i < 1500; i++ {
			sb.WriteString("--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
		}
		sb.WriteString("--b--\r\n")
		v := Render([]byte(sb.String()), RenderOptions{})
		if !strings.Contains(v.ParseError, "parts") {
			t.Errorf("parse error = %q", v.ParseError)
		}
		if len(v.Attachments) >= maxParts {
			t.Errorf("%d attachments listed", len(v.Attachments))
		}
	})
	t.Run("header", func(t *testing.T) {
		raw := []byte("Subject: big\r\nX-Big: " + strings.Repeat("a", maxHeaderBytes+10) + "\r\n\r\nbody")
		v := Render(raw, RenderOptions{})
		if !strings.Contains(v.ParseError, "header") || v.Subject != "big" {
			t.Errorf("parse error = %q, subject %q", v.ParseError, v.Subject)
		}
	})
	t.Run("html size", func(t *testing.T) {
		raw := []byte("Content-Type: text/html\r\n\r\n<p>" + strings.Repeat("a", maxRenderBytes+10))
		v := Render(raw, RenderOptions{})
		if !strings.Contains(v.ParseError, "HTML") {
			t.Errorf("parse error = %q", v.ParseError)
		}
	})
	t.Run("text size", func(t *testing.T) {
		raw := []byte("Content-Type: text/plain\r\n\r\n" + strings.Repeat("a", maxRenderBytes+10))
		v := Render(raw, RenderOptions{})
		if !strings.Contains(v.ParseError, "text") {
			t.Errorf("parse error = %q", v.ParseError)
		}
		// The list summary still works on a prefix.
		if s := Summarize(raw); s.ParseError != "" || len(s.Snippet) == 0 {
			t.Errorf("summary = %q %q", s.ParseError, s.Snippet)
		}
	})
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"quotes skipped", "Content-Type: text/plain\n\nSounds good.\n\nOn Monday, Bob wrote:\n> Shall we meet?\n>> earlier\n", "Sounds good."},
		{"only quotes", "Content-Type: text/plain\n\n> just a quote\n", "> just a quote"},
		{"whitespace collapsed", "Content-Type: text/plain\n\n  a\t\tb\n\n\nc  \n", "a b c"},
		{"html", "Content-Type: text/html\n\n<html><head><title>no</title><style>x{}</style></head><body><p>Hello&nbsp;<b>there</b></p><script>no()</script><blockquote>quoted</blockquote></body></html>", "Hello there"},
		{"html only quote", "Content-Type: text/html\n\n<blockquote>quoted</blockquote>", "quoted"},
		{"cut at a word", "Content-Type: text/plain\n\n" + strings.Repeat("word ", 100), strings.TrimSpace(strings.Repeat("word ", 40))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarize(crlf(tc.raw)).Snippet; got != tc.want {
				t.Errorf("snippet = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHasAttachments(t *testing.T) {
	part := func(headers string) string {
		return "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n" + headers + "\n\ndata\n--b--\n"
	}
	tests := []struct {
		name, headers string
		want          bool
	}{
		{"disposition attachment", "Content-Type: text/plain\nContent-Disposition: attachment", true},
		{"named pdf", "Content-Type: application/pdf; name=a.pdf", true},
		{"unnamed pdf", "Content-Type: application/pdf", true},
		{"inline image", "Content-Type: image/png\nContent-Disposition: inline", false},
		{"inline text", "Content-Type: text/plain\nContent-Disposition: inline", false},
		{"calendar", "Content-Type: text/calendar", false},
		{"attached message", "Content-Type: message/rfc822", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarize(crlf(part(tc.headers))).HasAttachments; got != tc.want {
				t.Errorf("HasAttachments = %v, want %v", got, tc.want)
			}
		})
	}
	signed := crlf(`Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary=s

--s
Content-Type: text/plain

signed text
--s
Content-Type: application/pgp-signature; name=signature.asc

-----BEGIN PGP SIGNATURE-----
--s--
`)
	if Summarize(signed).HasAttachments {
		t.Error("a signature counted as an attachment")
	}
	if v := Render(signed, RenderOptions{}); v.Text != "signed text" || len(v.Attachments) != 0 {
		t.Errorf("signed view = %+v", v)
	}
}

// TestConcurrentUse renders from many goroutines; under -race it checks
// that the shared sanitizer policies are only read.
func TestConcurrentUse(t *testing.T) {
	raw := crlf(relatedMsg)
	want := Render(raw, RenderOptions{PartURL: partURL}).HTML
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			v := Render(raw, RenderOptions{PartURL: partURL, AllowRemote: i%2 == 0})
			if v.HTML != want {
				errs <- fmt.Errorf("goroutine %d: html differs: %s", i, v.HTML)
				return
			}
			errs <- nil
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestAttachedMessages(t *testing.T) {
	raw := crlf("From: a@example.com\nSubject: fwd\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee below\n" +
		"--b\nContent-Type: message/rfc822\n\nFrom: one@example.org\nSubject: one\n\nfirst\n" +
		"--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogdHdvQGV4YW1wbGUub3JnDQpTdWJqZWN0OiB0d28NCg0Kc2Vjb25kDQo=\n" +
		"--b\nContent-Type: application/pdf\n\n%PDF\n--b--\n")
	got := AttachedMessages(raw, 5)
	if len(got) != 2 || got[0].ID != "2" || got[1].ID != "3" ||
		!strings.HasPrefix(string(got[0].Raw), "From: one@example.org") || string(got[1].Raw) != "From: two@example.org\r\nSubject: two\r\n\r\nsecond\r\n" {
		t.Fatalf("attached messages: %+v", got)
	}
	v := Render(raw, RenderOptions{})
	var flagged []string
	for _, a := range v.Attachments {
		if a.Message {
			flagged = append(flagged, a.ID)
		}
	}
	if strings.Join(flagged, ",") != "2,3" {
		t.Errorf("attachments marked as messages: %v", flagged)
	}
	if got := AttachedMessages(raw, 1); len(got) != 1 {
		t.Errorf("max 1: %d", len(got))
	}
}

// TestQuotableText: a reply quotes the plain text, or the HTML's text when
// there is no plain part.
func TestQuotableText(t *testing.T) {
	plain := Render([]byte("Content-Type: text/plain\r\n\r\nHello there\r\n"), RenderOptions{PartURL: partURL})
	if got := QuotableText(plain); !strings.Contains(got, "Hello there") {
		t.Errorf("plain: %q", got)
	}
	html := Render([]byte("Content-Type: text/html\r\n\r\n<p>Hello <b>world</b></p><script>alert(1)</script><p>Second</p>\r\n"), RenderOptions{PartURL: partURL})
	got := QuotableText(html)
	if !strings.Contains(got, "Hello world") || !strings.Contains(got, "Second") || strings.Contains(got, "alert") || strings.Contains(got, "<") {
		t.Errorf("html: %q", got)
	}
}
