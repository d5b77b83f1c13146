package message

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAnalyzeSearchText: the search text holds the readable text of every
// body part, TNEF bodies and attached messages included, and the names of
// the attachments; the summary is Summarize's, from the same parse.
func TestAnalyzeSearchText(t *testing.T) {
	tests := []struct {
		path        string
		body, names []string // each must be found
		notBody     []string // markup that must not be
	}{
		// KOI8-R HTML inside a TNEF stream.
		{"mimekit/tnef/ukr.eml", []string{"шостий"}, []string{"body.html"}, []string{"<p>"}},
		// An attached message's text, subject and sender.
		{"thunderbird/mailnews/test/data/mime-torture", []string{"demonstration of multi-part mail",
			"Mark Crispin"}, []string{"Re_ a MIME-Version misfeature.eml", "attachment-10.gif"}, nil},
	}
	for _, tt := range tests {
		raw := readCorpus(t, tt.path)
		s, st := Analyze(raw)
		if want := Summarize(raw); !reflect.DeepEqual(s, want) {
			t.Errorf("%s: summary %+v, want %+v", tt.path, s, want)
		}
		for _, w := range tt.body {
			if !strings.Contains(st.Body, w) {
				t.Errorf("%s: body lacks %q: %.400q", tt.path, w, st.Body)
			}
		}
		for _, w := range tt.notBody {
			if strings.Contains(st.Body, w) {
				t.Errorf("%s: body has %q", tt.path, w)
			}
		}
		for _, w := range tt.names {
			if !strings.Contains("\n"+st.Attachments+"\n", "\n"+w+"\n") {
				t.Errorf("%s: attachments lack %q: %q", tt.path, w, st.Attachments)
			}
		}
	}
}

// TestAnalyzeBounded: a huge body keeps at most maxSearchBytes of text,
// cut on a character boundary.
func TestAnalyzeBounded(t *testing.T) {
	raw := "Subject: big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("canción ", maxSearchBytes/4)
	_, st := Analyze([]byte(raw))
	if len(st.Body) > maxSearchBytes || len(st.Body) < maxSearchBytes-8 || !utf8.ValidString(st.Body) {
		t.Errorf("body of %d bytes, valid UTF-8 %v", len(st.Body), utf8.ValidString(st.Body))
	}
	if _, st := Analyze(nil); st != (SearchText{}) {
		t.Errorf("empty message: %+v", st)
	}
}
