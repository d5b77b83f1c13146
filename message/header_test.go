package message

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// crlf turns the LF line ends of a handwritten message into CRLF, as
// messages are stored.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSubjectDecoding(t *testing.T) {
	tests := []struct {
		name, subject, want string
	}{
		{"plain", "Hello there", "Hello there"},
		{"iso-8859-1 Q", "=?ISO-8859-1?Q?Caf=E9_cr=E8me?=", "Café crème"},
		{"iso-8859-1 B", "=?iso-8859-1?b?" + "Q2Fm6Q==" + "?=", "Café"},
		{"utf-8 B", "=?UTF-8?B?" + b64("Zoë Martin — 日本語") + "?=", "Zoë Martin — 日本語"},
		{"utf-8 Q lower case", "=?utf-8?q?Zo=C3=AB_Martin?=", "Zoë Martin"},
		{"adjacent words join", "=?utf-8?q?Zo=C3=AB?= =?utf-8?q?_Martin?=", "Zoë Martin"},
		{"text between words kept", "=?utf-8?q?a?= and =?utf-8?q?b?=", "a and b"},
		{"mixed with plain text", "Re: =?utf-8?q?caf=C3=A9?= tonight", "Re: café tonight"},
		{"character split across words", "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("日本")[:4]) + "?= =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("日本")[4:]) + "?=", "日本"},
		{"folded", "one\r\n two\r\n\tthree", "one two three"},
		{"raw UTF-8", "Grüße aus Köln", "Grüße aus Köln"},
		{"raw Latin-1 without body charset", "Gr\xfc\xdfe", "Grüße"},
		{"unknown charset in word", "=?x-nonsense?q?abc?=", "abc"},
		{"language suffix", "=?utf-8*en?q?hi?=", "hi"},
		{"malformed word left alone", "=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
		{"control characters removed", "a\x00b\x1bc", "a b c"},
		{"gb18030", "=?GB18030?B?yqnKz8qzyqjKtw==?=", "施氏食狮史"},
		{"iso-2022-jp", "=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := crlf("From: a@example.com\nSubject: ") // the subject carries its own CRLFs
			raw = append(raw, tc.subject...)
			raw = append(raw, crlf("\n\nbody\n")...)
			if got := Summarize(raw).Subject; got != tc.want {
				t.Errorf("Summarize subject = %q, want %q", got, tc.want)
			}
			if got := Render(raw, RenderOptions{}).Subject; got != tc.want {
				t.Errorf("Render subject = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRawHeaderUsesBodyCharset(t *testing.T) {
	raw := []byte("From: \"J\xf6rg\" <j@example.com>\r\nSubject: \xc7\xe0\xef\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\nbody\r\n")
	s := Summarize(raw)
	if s.Subject != "Зап" {
		t.Errorf("subject = %q, want the windows-1251 reading %q", s.Subject, "Зап")
	}
}

func TestAddresses(t *testing.T) {
	tests := []struct {
		name, field   string
		want          []Address
		wantFormatted string
	}{
		{"name and addr", "=?UTF-8?Q?Zo=C3=AB_Martin?= <zoe@example.net>",
			[]Address{{"Zoë Martin", "zoe@example.net"}}, "Zoë Martin <zoe@example.net>"},
		{"quoted name with comma", `"Martin, Zoë" <zoe@example.net>, bob@example.com (Bob Smith)`,
			[]Address{{"Martin, Zoë", "zoe@example.net"}, {"Bob Smith", "bob@example.com"}},
			"Martin, Zoë <zoe@example.net>, Bob Smith <bob@example.com>"},
		{"bare", "a@example.com,b@example.com", []Address{{"", "a@example.com"}, {"", "b@example.com"}}, "a@example.com, b@example.com"},
		{"empty group", "undisclosed-recipients:;", []Address{{"undisclosed-recipients", ""}}, "undisclosed-recipients"},
		{"group with members", "Team: a@example.com, B <b@example.com>;", []Address{{"", "a@example.com"}, {"B", "b@example.com"}}, "a@example.com, B <b@example.com>"},
		{"encoded word with colon", "=?utf-8?q?Dr=2E_Who:_the_Doctor?= <who@example.com>", []Address{{"Dr. Who: the Doctor", "who@example.com"}}, "Dr. Who: the Doctor <who@example.com>"},
		{"quoted encoded word", `"=?utf-8?q?Zo=C3=AB?=" <zoe@example.net>`, []Address{{"Zoë", "zoe@example.net"}}, "Zoë <zoe@example.net>"},
		{"unclosed angle", "Zoe <zoe@example.net", []Address{{"Zoe", "zoe@example.net"}}, "Zoe <zoe@example.net>"},
		{"raw utf-8 name", "Jürgen <j@example.de>", []Address{{"Jürgen", "j@example.de"}}, "Jürgen <j@example.de>"},
		{"escaped quote", `"Bob \"The Builder\"" <bob@example.com>`, []Address{{`Bob "The Builder"`, "bob@example.com"}}, `Bob "The Builder" <bob@example.com>`},
		{"trailing comma", "a@example.com, ", []Address{{"", "a@example.com"}}, "a@example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseAddressList([]byte(tc.field), "")
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("address %d = %q, want %q", i, got[i], tc.want[i])
				}
			}
			if f := formatAddresses(got); f != tc.wantFormatted {
				t.Errorf("formatted = %q, want %q", f, tc.wantFormatted)
			}
		})
	}
}

func TestSummaryFromToCc(t *testing.T) {
	raw := crlf(`From: =?UTF-8?Q?Zo=C3=AB_Martin?= <zoe@example.net>
To: "Bob" <bob@example.com>, carol@example.com
Cc: =?iso-8859-1?q?J=FCrgen?= <j@example.de>
Reply-To: replies@example.net
Subject: hi
Message-ID: <abc.123@example.net>

Hello
`)
	s := Summarize(raw)
	if s.FromName != "Zoë Martin" || s.FromAddr != "zoe@example.net" {
		t.Errorf("from = %q %q", s.FromName, s.FromAddr)
	}
	if s.To != "Bob <bob@example.com>, carol@example.com" {
		t.Errorf("to = %q", s.To)
	}
	if s.Cc != "Jürgen <j@example.de>" {
		t.Errorf("cc = %q", s.Cc)
	}
	if s.MessageID != "abc.123@example.net" {
		t.Errorf("message id = %q", s.MessageID)
	}
	v := Render(raw, RenderOptions{})
	if len(v.ReplyTo) != 1 || v.ReplyTo[0].Addr != "replies@example.net" {
		t.Errorf("reply-to = %q", v.ReplyTo)
	}
	if len(v.Headers) != 6 || v.Headers[0].Key != "From" || v.Headers[0].Value != "Zoë Martin <zoe@example.net>" {
		t.Errorf("headers = %q", v.Headers)
	}
}

func TestDates(t *testing.T) {
	est := time.FixedZone("", -5*3600)
	utc := time.UTC
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Mon, 01 Apr 2019 07:55:00 +0800", time.Date(2019, 4, 1, 7, 55, 0, 0, time.FixedZone("", 8*3600))},
		{"Mon, 01 Apr 2019 07:55:00 +0800 (CST)", time.Date(2019, 4, 1, 7, 55, 0, 0, time.FixedZone("", 8*3600))},
		{"1 Apr 2019 07:55 -0500", time.Date(2019, 4, 1, 7, 55, 0, 0, est)},
		{"Tue, 2 Mar 04 14:20:03 EST", time.Date(2004, 3, 2, 14, 20, 3, 0, est)},
		{"Fri, 19 May 2000 10:26:12 -0400 (EDT)", time.Date(2000, 5, 19, 10, 26, 12, 0, time.FixedZone("", -4*3600))},
		{"Sat, 6 Feb 93 02:53:47 GMT", time.Date(1993, 2, 6, 2, 53, 47, 0, utc)},
		{"Wednesday, 17-May-2000 19:08:29 GMT", time.Date(2000, 5, 17, 19, 8, 29, 0, utc)},
		{"Mon,  1 Apr 2019 7:05:00 +0000", time.Date(2019, 4, 1, 7, 5, 0, 0, utc)},
		{"2019-04-01T07:55:00Z", time.Date(2019, 4, 1, 7, 55, 0, 0, utc)},
		{"Mon Apr  1 07:55:00 2019", time.Date(2019, 4, 1, 7, 55, 0, 0, utc)},
		{"01 Apr 2019 07:55:00", time.Date(2019, 4, 1, 7, 55, 0, 0, utc)},
		{"Mon, 01 Apr 2019 07:55:00 +0000 GMT", time.Date(2019, 4, 1, 7, 55, 0, 0, utc)},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
		{"31 Feb 2019 10:00:00 +0000", time.Time{}},
	}
	for _, tc := range tests {
		got := parseDate(tc.in)
		if !got.Equal(tc.want) || got.IsZero() != tc.want.IsZero() {
			t.Errorf("parseDate(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParamHeader(t *testing.T) {
	tests := []struct {
		in        string
		wantValue string
		want      map[string]string
	}{
		{`text/plain; charset="utf-8"; format=flowed`, "text/plain", map[string]string{"charset": "utf-8", "format": "flowed"}},
		{`TEXT/PLAIN;CHARSET=US-ASCII;`, "text/plain", map[string]string{"charset": "US-ASCII"}},
		{`attachment; filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt`, "attachment", map[string]string{"filename": "Grüße.txt"}},
		{`attachment; filename*0*=UTF-8''%E2%82%AC%20rates; filename*1=" for 2024"; filename*2=.pdf`, "attachment", map[string]string{"filename": "€ rates for 2024.pdf"}},
		{`attachment; filename*1=b.txt; filename*0=a`, "attachment", map[string]string{"filename": "ab.txt"}},
		{`attachment; filename="=?UTF-8?Q?Gr=C3=BC=C3=9Fe.pdf?="`, "attachment", map[string]string{"filename": "Grüße.pdf"}},
		{`attachment; filename=my file.pdf`, "attachment", map[string]string{"filename": "my file.pdf"}},
		{`attachment; filename="a\"b.txt"; filename="second.txt"`, "attachment", map[string]string{"filename": `a"b.txt`}},
		{`multipart/mixed; boundary="=_abc?=def"`, "multipart/mixed", map[string]string{"boundary": "=_abc?=def"}},
		{`text/plain charset=iso-8859-1`, "text/plain", map[string]string{"charset": "iso-8859-1"}},
		{`attachment; filename="unterminated.pdf`, "attachment", map[string]string{"filename": "unterminated.pdf"}},
	}
	for _, tc := range tests {
		v, p := parseParamHeader(tc.in, "")
		if v != tc.wantValue {
			t.Errorf("%q: value %q, want %q", tc.in, v, tc.wantValue)
		}
		for k, want := range tc.want {
			if p[k] != want {
				t.Errorf("%q: %s = %q, want %q", tc.in, k, p[k], want)
			}
		}
	}
}

func TestSafeFilename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\zoe\Desktop\invoice.pdf`, "invoice.pdf"},
		{"evil\u202etxt.exe", "eviltxt.exe"},
		{"a\x00b\x07c.txt", "a b c.txt"},
		{"...hidden", "hidden"},
		{"what?.pdf", "what_.pdf"},
		{"..", ""},
		{"/", ""},
		{"", ""},
		{strings.Repeat("x", 300) + ".pdf", strings.Repeat("x", 196) + ".pdf"},
	}
	for _, tc := range tests {
		if got := safeFilename(tc.in, 200); got != tc.want {
			t.Errorf("safeFilename(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFromReadsTheHeaderOnly(t *testing.T) {
	raw := []byte("\xef\xbb\xbfFrom: =?UTF-8?Q?Jos=C3=A9?= <jose@example.org>\r\nSubject: x\r\n\r\nFrom: body@example.net\r\n")
	got := From(raw)
	if len(got) != 1 || got[0].Name != "José" || got[0].Addr != "jose@example.org" {
		t.Errorf("From = %+v", got)
	}
	if v := Render(raw, RenderOptions{}); len(v.From) != 1 || v.From[0] != got[0] {
		t.Errorf("From and Render disagree: %+v, %+v", got, v.From)
	}
	if got := From([]byte("Subject: none\r\n\r\nbody\r\n")); len(got) != 0 {
		t.Errorf("no From header: %+v", got)
	}
}
