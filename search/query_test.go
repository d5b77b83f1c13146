package search

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	d := func(y, m, day int) Date { return Date{Year: y, Month: time.Month(m), Day: day} }
	tests := []struct {
		q     string
		order DateOrder
		want  []Clause
	}{
		{"hola", DayFirst, []Clause{{{Text: "hola", Prefix: true}}}},
		{"hola ", DayFirst, []Clause{{{Text: "hola"}}}},
		{"canción  mundo", DayFirst, []Clause{{{Text: "canción"}}, {{Text: "mundo", Prefix: true}}}},
		{`"acta final" -borrador`, DayFirst, []Clause{{{Text: "acta final", Phrase: true}}, {{Text: "borrador", Neg: true, Prefix: true}}}},
		{`-"no thanks" x`, DayFirst, []Clause{{{Text: "no thanks", Phrase: true, Neg: true}}, {{Text: "x", Prefix: true}}}},
		{"from:ana@example.com to:luis subject:\"plan b\" ", DayFirst, []Clause{
			{{Op: OpFrom, Text: "ana@example.com"}}, {{Op: OpTo, Text: "luis"}}, {{Op: OpSubject, Text: "plan b", Phrase: true}}}},
		{"from:ana", DayFirst, []Clause{{{Op: OpFrom, Text: "ana", Prefix: true}}}},
		{"has:attachment is:unread -is:read is:starred Is:Leído", DayFirst, []Clause{
			{{Op: OpHas, Text: HasAttachment}}, {{Op: OpIs, Text: IsUnread}}, {{Op: OpIs, Text: IsRead, Neg: true}},
			{{Op: OpIs, Text: IsStarred}}, {{Op: OpIs, Text: IsRead}}}},
		{"in:inbox in:Papelera in:enviados in:Recetas -in:spam x", DayFirst, []Clause{
			{{Op: OpIn, Text: "inbox", Role: true}}, {{Op: OpIn, Text: "trash", Role: true}}, {{Op: OpIn, Text: "sent", Role: true}},
			{{Op: OpIn, Text: "Recetas"}}, {{Op: OpIn, Text: "junk", Role: true, Neg: true}}, {{Text: "x", Prefix: true}}}},
		{"account:casa@isp.es", DayFirst, []Clause{{{Op: OpAccount, Text: "casa@isp.es"}}}},
		{"after:2025-01-31 before:05/02/2025", DayFirst, []Clause{
			{{Op: OpAfter, Date: d(2025, 1, 31)}}, {{Op: OpBefore, Date: d(2025, 2, 5)}}}},
		{"before:05/02/2025", MonthFirst, []Clause{{{Op: OpBefore, Date: d(2025, 5, 2)}}}},
		{"después:1.2.2024", DayFirst, []Clause{{{Op: OpAfter, Date: d(2024, 2, 1)}}}},
		{"larger:10M smaller:500k larger:2048", DayFirst, []Clause{
			{{Op: OpLarger, Size: 10 << 20}}, {{Op: OpSmaller, Size: 500 << 10}}, {{Op: OpLarger, Size: 2048}}}},
		{"factura OR recibo from:ana", DayFirst, []Clause{{{Text: "factura"}, {Text: "recibo"}}, {{Op: OpFrom, Text: "ana", Prefix: true}}}},
		{"10:30 http://example.com re:", DayFirst, []Clause{{{Text: "10:30"}}, {{Text: "http://example.com"}}, {{Text: "re:", Prefix: true}}}},
		{"東京", DayFirst, []Clause{{{Text: "東京", Prefix: true}}}},
	}
	for _, tt := range tests {
		q, err := Parse(tt.q, tt.order)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.q, err)
			continue
		}
		if !reflect.DeepEqual(q.Clauses, tt.want) {
			t.Errorf("Parse(%q) =\n %+v\nwant\n %+v", tt.q, q.Clauses, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ q, key string }{
		{"", "Type something to search for."},
		{"   ", "Type something to search for."},
		{`"acta final`, "A quotation mark is not closed: add the closing \" after the phrase."},
		{`from:"ana`, "A quotation mark is not closed: add the closing \" after the phrase."},
		{`""`, "A phrase in quotation marks is empty."},
		{"colour:red", "Unknown search operator %s: use from:, to:, subject:, has:, is:, in:, account:, before:, after:, larger: or smaller:."},
		{"from: ana", "%s needs a value after the colon, with no space."},
		{"is:important", "%s is not known: use is:unread, is:read or is:starred."},
		{"has:pdf", "%s can only be has:attachment."},
		{"before:2025-02-30", "%s is not a date: write it as 2025-12-31 or %s."},
		{"after:31/12/25", "%s is not a date: write it as 2025-12-31 or %s."},
		{"after:12/31/2025", "%s is not a date: write it as 2025-12-31 or %s."}, // day first
		{"larger:big", "%s is not a size: write it as 500K, 10M or 1G."},
		{"larger:1e9", "%s is not a size: write it as 500K, 10M or 1G."},
		{"-spam", "A search needs at least one term that is not negated with -."},
		{"OR x", "OR needs something to search for on both sides."},
		{"x OR", "OR needs something to search for on both sides."},
		{"x OR OR y", "OR needs something to search for on both sides."},
		{"!!! ...", "%s has no letters or digits to search for."},
		{strings.Repeat("a ", MaxTerms+1), "A search can have at most %d terms."},
	}
	for _, tt := range tests {
		_, err := Parse(tt.q, DayFirst)
		var pe *Error
		if !errors.As(err, &pe) || pe.Key != tt.key {
			t.Errorf("Parse(%q) = %v, want %q", tt.q, err, tt.key)
		}
	}
}

func TestTokenizable(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"canción", "canción"},
		{"東京都", " 東  京  都 "},
		{"abc東京 x", "abc 東  京  x"},
	} {
		got := Tokenizable(tt.in)
		if got != tt.want {
			t.Errorf("Tokenizable(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if back := Untokenize(got, ""); back != tt.in {
			t.Errorf("Untokenize(%q) = %q, want %q", got, back, tt.in)
		}
	}
	if got := Untokenize(" \x01東\x02  京 ", "\x01\x02"); got != "\x01東\x02京" {
		t.Errorf("Untokenize with markers = %q", got)
	}
}

// FuzzParse: any input parses or gives an *Error, never panics, and a
// parsed query has terms within the bound, each with something to match.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"hola", `"a b" -c`, "from:x OR to:y", "before:01/02/2024", "larger:10M", "in:\"Mis cosas\"", "東京 -is:read", "-", "\"", "x:y:z"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, monthFirst bool) {
		order := DayFirst
		if monthFirst {
			order = MonthFirst
		}
		q, err := Parse(s, order)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Key == "" {
				t.Fatalf("Parse(%q): %v is not an *Error", s, err)
			}
			return
		}
		n := 0
		for _, c := range q.Clauses {
			if len(c) == 0 {
				t.Fatalf("Parse(%q): empty clause", s)
			}
			for _, term := range c {
				n++
				if (term.Op == OpText || term.Op == OpFrom || term.Op == OpTo || term.Op == OpSubject) && !utf8.ValidString(term.Text) {
					t.Fatalf("Parse(%q): invalid UTF-8 in %+v", s, term)
				}
			}
		}
		if n == 0 || n > MaxTerms {
			t.Fatalf("Parse(%q): %d terms", s, n)
		}
		if u := Untokenize(Tokenizable(s), ""); utf8.ValidString(s) && u != s && !strings.Contains(s, " ") {
			t.Fatalf("Untokenize(Tokenizable(%q)) = %q", s, u)
		}
	})
}
