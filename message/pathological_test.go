package message

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPathologicalInputs feeds inputs built to trigger quadratic behaviour
// and checks that each is handled quickly, without a parse error where the
// input is within the limits.
func TestPathologicalInputs(t *testing.T) {
	uniqueDashLines := func(n int) string {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "--x%d\r\n", i)
		}
		return sb.String()
	}
	tests := []struct {
		name string
		raw  string
	}{
		{"unclosed encoded-words", "Subject: " + strings.Repeat("=?a?q?x", 100000) + "\r\n\r\nb"},
		{"colons in an address field", "To: a@b" + strings.Repeat(":", 500000) + "\r\n\r\nb"},
		{"commas in an address field", "To: " + strings.Repeat("a@b,", 200000) + "\r\n\r\nb"},
		{"nested comments", "From: " + strings.Repeat("(", 200000) + "\r\n\r\nb"},
		{"many header fields", strings.Repeat("a: b\r\n", 150000) + "\r\nb"},
		{"huge date", "Date: " + strings.Repeat("1 ", 400000) + "\r\n\r\nb"},
		{"guessed boundary", "Content-Type: multipart/mixed\r\n\r\n" + uniqueDashLines(400000)},
		{"delimiters not at line start", "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("x--b", 1000000)},
		{"deep HTML", "Content-Type: text/html\r\n\r\n" + strings.Repeat("<div><table><tr><td>", 50000)},
		{"many attributes", "Content-Type: text/html\r\n\r\n<p " + strings.Repeat(`style="color:red" `, 200000) + ">"},
		{"many styles", "Content-Type: text/html\r\n\r\n" + strings.Repeat(`<p style="color:red;background:url(http://x/)">x</p>`, 10000)},
		{"qp equals", "Content-Transfer-Encoding: quoted-printable\r\n\r\n" + strings.Repeat("=", 4000000)},
		{"base64 garbage", "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + strings.Repeat("!=", 2000000)},
		{"flowed", "Content-Type: text/plain; format=flowed\r\n\r\n" + strings.Repeat(">> x \r\n", 500000)},
		{"rfc2231 sections", "Content-Type: application/pdf; " + strings.Repeat("name*999*=%41; ", 50000) + "\r\n\r\nx"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			start := time.Now()
			s := Summarize(raw)
			v := Render(raw, RenderOptions{PartURL: partURL})
			for _, a := range v.Attachments {
				if _, _, err := Part(raw, a.ID); err != nil {
					t.Errorf("Part(%s): %v", a.ID, err)
				}
			}
			d := time.Since(start)
			if s.ParseError == internalError || v.ParseError == internalError {
				t.Errorf("internal error")
			}
			if d > 10*time.Second {
				t.Errorf("took %v for %d bytes", d, len(raw))
			}
			t.Logf("%v for %d bytes (parse error %q)", d.Round(time.Millisecond), len(raw), v.ParseError)
		})
	}
}
