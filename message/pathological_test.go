package message

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPathologicalInputs feeds inputs built to trigger quadratic behaviour
// (or worse) and checks that each is parsed, rendered and split into parts
// without an internal error. How fast each one goes, against a plain
// message of the same size, is BenchmarkPathologicalInputs' to report: the
// machines that run the tests are shared, so no time is asserted here.
func TestPathologicalInputs(t *testing.T) {
	for _, tc := range pathologicalInputs() {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			start := time.Now()
			s, v := handlePathological(t, raw)
			if s.ParseError == internalError || v.ParseError == internalError {
				t.Errorf("internal error")
			}
			t.Logf("%v for %d bytes (parse error %q)", time.Since(start).Round(time.Millisecond), len(raw), v.ParseError)
		})
	}
}

// handlePathological does what a page view does with a message: summary,
// rendering, and each attachment.
func handlePathological(tb testing.TB, raw []byte) (Summary, *View) {
	s := Summarize(raw)
	v := Render(raw, RenderOptions{PartURL: partURL})
	for _, a := range v.Attachments {
		if _, _, err := Part(raw, a.ID); err != nil {
			tb.Errorf("Part(%s): %v", a.ID, err)
		}
	}
	return s, v
}

// BenchmarkPathologicalInputs reports, for each pathological input, the
// time to handle it as a multiple of the time to handle a plain text
// message of the same size measured in the same run ("x-plain"): a linear
// parser stays at a small constant; a quadratic one grows with the input.
//
//	go test -run XXX -bench PathologicalInputs -benchtime 3x ./message/
func BenchmarkPathologicalInputs(b *testing.B) {
	for _, tc := range pathologicalInputs() {
		raw := []byte(tc.raw)
		plain := []byte("Subject: plain\r\nContent-Type: text/plain\r\n\r\n" + strings.Repeat("just some text here.\r\n", len(raw)/22+1))
		b.Run(tc.name, func(b *testing.B) {
			var base, took time.Duration
			for range b.N {
				start := time.Now()
				handlePathological(b, plain)
				base += time.Since(start)
				start = time.Now()
				handlePathological(b, raw)
				took += time.Since(start)
			}
			b.ReportMetric(float64(took)/float64(base), "x-plain")
		})
	}
}

type pathological struct {
	name string
	raw  string
}

func pathologicalInputs() []pathological {
	uniqueDashLines := func(n int) string {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "--x%d\r\n", i)
		}
		return sb.String()
	}
	return []pathological{
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
}
