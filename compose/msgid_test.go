package compose

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestParseMsgIDs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"<a@b>", []string{"a@b"}},
		{"<a@b> <c.d@e.f>\r\n\t<g@[1.2.3.4]>", []string{"a@b", "c.d@e.f", "g@[1.2.3.4]"}},
		{"<a@b> <a@b>", []string{"a@b"}},
		{"<no-at> <sp ace@x> <a@b>", []string{"space@x", "a@b"}},
		{"<a@b (comment) <c@d>", []string{"c@d"}},
		{"<ü@x> <a..b@c> <@x> <x@>", nil},
		{"garbage <unclosed@x", nil},
		{"<" + strings.Repeat("x", 260) + "@y>", nil},
	}
	for _, c := range cases {
		if got := ParseMsgIDs(c.in); !slices.Equal(got, c.want) {
			t.Errorf("ParseMsgIDs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReferencesTrimming(t *testing.T) {
	var orig []string
	for i := range 30 {
		orig = append(orig, strings.Repeat("r", i+1)+"@x")
	}
	got := references(orig, "last@x")
	if len(got) != maxReferences || got[0] != orig[0] || got[maxReferences-1] != "last@x" || got[maxReferences-2] != orig[29] {
		t.Errorf("references = %q", got)
	}
	// The Message-ID replied to is not repeated when References has it.
	if got := references([]string{"a@x", "b@x"}, "b@x"); !slices.Equal(got, []string{"a@x", "b@x"}) {
		t.Errorf("references = %q", got)
	}
	if got := references(nil, "a@x"); !slices.Equal(got, []string{"a@x"}) {
		t.Errorf("references = %q", got)
	}
}

func TestNewMessageID(t *testing.T) {
	id, err := newMessageID(bytes.NewReader(make([]byte, 16)), "example.com")
	if err != nil || id != strings.Repeat("a", 26)+"@example.com" || !validMsgID(id) {
		t.Errorf("newMessageID = %q, %v", id, err)
	}
	if _, err := newMessageID(bytes.NewReader(nil), "example.com"); err == nil {
		t.Errorf("no error without randomness")
	}
}
