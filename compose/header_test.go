package compose

import (
	"mime"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	values := []string{
		"short",
		strings.Repeat("word ", 40) + "end",
		strings.Repeat("x", 100) + " and more",
		"a " + strings.Repeat("y", 1200) + " b",
		"spaces  \t inside   runs " + strings.Repeat("z ", 50),
	}
	for _, v := range values {
		f, ok := fold("Subject", v)
		if !strings.HasSuffix(f, "\r\n") {
			t.Errorf("no CRLF at the end: %q", f)
		}
		// RFC 5322 §2.2.3: unfolding removes the CRLFs and nothing else.
		if got := strings.ReplaceAll(strings.TrimSuffix(f, "\r\n"), "\r\n", ""); got != "Subject: "+v {
			t.Errorf("unfolded %q, want %q", got, "Subject: "+v)
		}
		wantOK := true
		for _, l := range strings.Split(strings.TrimSuffix(f, "\r\n"), "\r\n") {
			if strings.TrimSpace(l) == "" {
				t.Errorf("a line of white space only in %q", f)
			}
			if len(l) > maxLine {
				wantOK = false
			} else if len(l) > foldAt && strings.Contains(strings.TrimLeft(l, " \t")[:foldAt-2], " ") {
				t.Errorf("line of %d could have been folded: %q", len(l), l)
			}
		}
		if ok != wantOK {
			t.Errorf("fold ok = %v, want %v", ok, wantOK)
		}
	}
}

func TestEncodeWords(t *testing.T) {
	inputs := []string{"a", "Ünïcödé", strings.Repeat("東京 ", 40), strings.Repeat("ñ", 100) + "=?_ \t", "emoji 👩‍👩‍👧 family"}
	dec := new(mime.WordDecoder)
	for _, q := range []bool{true, false} {
		for _, in := range inputs {
			enc := encodeWords(in, q, 40, wordMax)
			for i, w := range strings.Split(enc, " ") {
				max := wordMax
				if i == 0 {
					max = 40
				}
				if len(w) > max {
					t.Errorf("word %d is %d long: %q", i, len(w), w)
				}
			}
			if got, err := dec.DecodeHeader(enc); err != nil || got != in {
				t.Errorf("q=%v: %q decodes to %q (%v)", q, in, got, err)
			}
		}
	}
}

func TestPhrase(t *testing.T) {
	cases := []struct {
		name string
		want string
	}{
		{"Ana Perez", "Ana Perez"},
		{"Perez, Ana", `"Perez, Ana"`},
		{"Ana Q. Public", `"Ana Q. Public"`},
		{`Say "hi" \o/`, `"Say \"hi\" \\o/"`},
		{"Ana Pérez", "=?utf-8?b?QW5hIFDDqXJleg==?="},
		{"=?utf-8?q?fake?=", "=?utf-8?b?PT91dGYtOD9xP2Zha2U/PQ==?="},
	}
	for _, c := range cases {
		if got := phrase(c.name, false); got != c.want {
			t.Errorf("phrase(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestUnstructuredFallsBackToEncodedWords(t *testing.T) {
	// A subject with no white space for 1,200 octets cannot be sent as
	// it is: it is sent as encoded words, which fold.
	v := strings.Repeat("ñ", 600)
	f := unstructured("Subject", v)
	for _, l := range strings.Split(strings.TrimSuffix(f, "\r\n"), "\r\n") {
		if len(l) > foldAt {
			t.Errorf("line of %d: %q", len(l), l)
		}
	}
	if got, err := new(mime.WordDecoder).DecodeHeader(strings.TrimPrefix(strings.ReplaceAll(strings.TrimSuffix(f, "\r\n"), "\r\n", ""), "Subject: ")); err != nil || got != v {
		t.Errorf("decodes to %q, %v", got, err)
	}
}
