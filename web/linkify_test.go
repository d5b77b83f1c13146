package web

import (
	"reflect"
	"testing"
)

func TestLinkify(t *testing.T) {
	tests := []struct {
		in   string
		want []TextSegment
	}{
		{"", nil},
		{"no links here", []TextSegment{{Text: "no links here"}}},
		{"see https://example.com/a?b=c.", []TextSegment{{Text: "see "}, {Text: "https://example.com/a?b=c", URL: "https://example.com/a?b=c"}, {Text: "."}}},
		{"(http://example.com/x)", []TextSegment{{Text: "("}, {Text: "http://example.com/x", URL: "http://example.com/x"}, {Text: ")"}}},
		{"http://en.wikipedia.org/wiki/Go_(language)", []TextSegment{{Text: "http://en.wikipedia.org/wiki/Go_(language)", URL: "http://en.wikipedia.org/wiki/Go_(language)"}}},
		{"go to www.example.org, now", []TextSegment{{Text: "go to "}, {Text: "www.example.org", URL: "https://www.example.org"}, {Text: ", now"}}},
		{"javascript:alert(1) ftp://x", []TextSegment{{Text: "javascript:alert(1) ftp://x"}}},
		{"mail me: a@www.example.com", []TextSegment{{Text: "mail me: a@www.example.com"}}},
		{"https://", []TextSegment{{Text: "https://"}}},
		{"¡Hola! https://ejemplo.es/año ok", []TextSegment{{Text: "¡Hola! "}, {Text: "https://ejemplo.es/año", URL: "https://ejemplo.es/año"}, {Text: " ok"}}},
		{"<https://a.example/>\n", []TextSegment{{Text: "<"}, {Text: "https://a.example/", URL: "https://a.example/"}, {Text: ">\n"}}},
	}
	for _, tt := range tests {
		if got := Linkify(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Linkify(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

func FuzzLinkify(f *testing.F) {
	f.Add("see https://example.com/a?b=c. and www.x.org)")
	f.Fuzz(func(t *testing.T, s string) {
		var joined string
		for _, seg := range Linkify(s) {
			joined += seg.Text
			if seg.URL != "" && seg.Text == "" {
				t.Fatalf("empty link text in %q", s)
			}
		}
		if joined != s {
			t.Fatalf("segments of %q join to %q", s, joined)
		}
	})
}
