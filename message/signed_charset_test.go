package message

import (
	"strings"
	"testing"
)

// TestCharsetOnTheWrapper: a text part without a charset of its own takes
// the one its multipart/signed wrapper declares (Polish ISO-8859-2 and
// Japanese ISO-2022-JP here); one of its own wins; an attached message's
// parts do not take the outer message's.
func TestCharsetOnTheWrapper(t *testing.T) {
	signed := func(wrapper, inner, body string) string {
		return "From: a@example.pl\r\nSubject: test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; " + wrapper +
			"micalg=pgp-sha1; protocol=\"application/pgp-signature\"; boundary=\"b1\"\r\n\r\n" +
			"--b1\r\nContent-Type: text/plain" + inner + "\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body +
			"\r\n--b1\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--b1--\r\n"
	}
	for _, c := range []struct{ name, raw, want string }{
		{"Polish", signed("charset=ISO-8859-2; ", "", "Je\xbfu kl\xb1tw"), "Jeżu klątw"},
		{"Japanese", signed("charset=\"iso-2022-jp\"; ", "", "\x1b$B$3$s$K$A$O\x1b(B"), "こんにちは"},
		{"its own wins", signed("charset=ISO-8859-2; ", "; charset=utf-8", "Jeżu klątw"), "Jeżu klątw"},
		{"an attached message keeps its own", "Subject: outer\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; charset=ISO-8859-2; boundary=\"o\"\r\n\r\n" +
			"--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\nna\xefve\r\n--o--\r\n", "naïve"},
	} {
		_, st := Analyze([]byte(c.raw))
		if !strings.Contains(st.Body, c.want) {
			t.Errorf("%s: the text reads %q, want %q", c.name, st.Body, c.want)
		}
	}
}
