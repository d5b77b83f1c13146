package compose

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// sent is a message written by Write and parsed back with go-message.
type sent struct {
	raw    string
	res    Result
	header mail.Header
	parts  []sentPart // the leaves, in order
	types  []string   // every entity's media type, depth-first, indented by depth
}

type sentPart struct {
	mediaType string
	header    gomessage.Header
	body      string // decoded
}

func testDate() time.Time {
	return time.Date(2026, 3, 4, 15, 6, 7, 0, time.FixedZone("", -3*3600))
}

// baseDraft is a minimal valid draft.
func baseDraft() Draft {
	return Draft{
		From:    Address{"Ana Pérez", "ana@example.com"},
		To:      []Address{{"Bob", "bob@example.org"}},
		Subject: "Hello",
		Text:    "Hi Bob,\n\nsee you.",
		Date:    testDate(),
	}
}

// write writes d and parses the result back, failing on any error.
func write(t testing.TB, d Draft, opts Options) *sent {
	t.Helper()
	var buf bytes.Buffer
	res, err := Write(&buf, d, opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if res.Size != int64(buf.Len()) {
		t.Errorf("Result.Size = %d, wrote %d", res.Size, buf.Len())
	}
	s, err := parseSent(buf.String())
	if err != nil {
		t.Fatalf("parsing the message back: %v\n%s", err, buf.String())
	}
	s.res = res
	checkLines(t, s.raw)
	return s
}

func parseSent(raw string) (*sent, error) {
	e, err := gomessage.Read(strings.NewReader(raw))
	if err != nil {
		return nil, err
	}
	s := &sent{raw: raw, header: mail.Header{Header: e.Header}}
	err = e.Walk(func(path []int, ent *gomessage.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, _, _ := ent.Header.ContentType()
		s.types = append(s.types, strings.Repeat("  ", len(path))+mt)
		if ent.MultipartReader() != nil {
			return nil
		}
		b, err := io.ReadAll(ent.Body)
		if err != nil {
			return err
		}
		s.parts = append(s.parts, sentPart{mediaType: mt, header: ent.Header, body: string(b)})
		return nil
	})
	return s, err
}

// checkLines checks every line of a message: CRLF endings, no bare CR or
// LF, at most 998 octets (RFC 5322 §2.1.1), and header lines at most 78.
func checkLines(t testing.TB, raw string) {
	t.Helper()
	if !strings.HasSuffix(raw, "\r\n") {
		t.Errorf("message does not end with CRLF")
	}
	inHeader := true
	for i, l := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		}
		if len(l) > maxLine {
			t.Errorf("line %d is %d octets long", i+1, len(l))
		}
		if l == "" {
			inHeader = false
		}
		if inHeader && len(l) > foldAt && foldable(l) {
			t.Errorf("header line %d is %d octets long: %q", i+1, len(l), l)
		}
	}
}

// foldable reports whether a header line could have been folded into one
// of at most 78 octets: it has white space after some other text within
// its first 78 octets.
func foldable(l string) bool {
	seen := false
	for i := 0; i <= foldAt && i < len(l); i++ {
		if l[i] == ' ' || l[i] == '\t' {
			if seen {
				return true
			}
			continue
		}
		seen = true
	}
	return false
}

// headerBlock is the message's header, up to the first empty line.
func (s *sent) headerBlock() string {
	h, _, _ := strings.Cut(s.raw, "\r\n\r\n")
	return h + "\r\n"
}

func (s *sent) addresses(t testing.TB, key string) []string {
	t.Helper()
	list, err := s.header.AddressList(key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	var out []string
	for _, a := range list {
		out = append(out, a.String())
	}
	return out
}

func opener(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

// decodeFlowed decodes a format=flowed, DelSp=no body (RFC 3676 §4.1, §4.2,
// §4.5) into lines, a quoted one written as its quote marks, a space and
// its text.
func decodeFlowed(body string) string {
	var out []string
	var para strings.Builder
	depth, open := 0, false
	for _, l := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		d := 0
		for strings.HasPrefix(l, ">") {
			d++
			l = l[1:]
		}
		l = strings.TrimPrefix(l, " ")
		if open && d != depth {
			out = append(out, renderQuoted(depth, para.String()))
			para.Reset()
		}
		depth = d
		para.WriteString(l)
		open = strings.HasSuffix(l, " ") && l != "-- "
		if !open {
			out = append(out, renderQuoted(depth, para.String()))
			para.Reset()
		}
	}
	if open {
		out = append(out, renderQuoted(depth, para.String()))
	}
	return strings.Join(out, "\n")
}

func renderQuoted(depth int, s string) string {
	if depth == 0 {
		return s
	}
	if s == "" {
		return strings.Repeat(">", depth)
	}
	return strings.Repeat(">", depth) + " " + s
}

// canonicalText is what a text should read as once sent: quote marks as
// decodeFlowed writes them ("> > a" is ">> a"), trailing spaces gone
// except on "-- ".
func canonicalText(text string) string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		d := 0
		for strings.HasPrefix(l, ">") {
			d++
			l = strings.TrimPrefix(l[1:], " ")
		}
		if l != "-- " {
			l = strings.TrimRight(l, " ")
		}
		lines[i] = renderQuoted(d, l)
	}
	return strings.Join(lines, "\n")
}
