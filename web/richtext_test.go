package web

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

// TestRichText: the help's light markup becomes bold labels, code and
// links; values go in after the markup is read, so theirs is not; marks
// without their other half, and links to other schemes, stay text.
func TestRichText(t *testing.T) {
	for _, tc := range []struct {
		in     string
		values []string
		want   []richRun
	}{
		{"plain", nil, []richRun{{Kind: richPlain, Text: "plain"}}},
		{"Open **A → B**, then `x`.", nil, []richRun{
			{Kind: richPlain, Text: "Open "}, {Kind: richStrong, Text: "A → B"}, {Kind: richPlain, Text: ", then "},
			{Kind: richCode, Text: "x"}, {Kind: richPlain, Text: "."}}},
		{"URI: `" + slot(0) + "`", []string{"https://a/**b**`c`"}, []richRun{
			{Kind: richPlain, Text: "URI: "}, {Kind: richCode, Text: "https://a/**b**`c`"}}},
		{"go [there](https://example.org/x) or [here](/admin/sign-in) or [up](#top)", nil, []richRun{
			{Kind: richPlain, Text: "go "}, {Kind: richLink, Text: "there", Href: "https://example.org/x"},
			{Kind: richPlain, Text: " or "}, {Kind: richLink, Text: "here", Href: "/admin/sign-in"},
			{Kind: richPlain, Text: " or "}, {Kind: richLink, Text: "up", Href: "#top"}}},
		{"[bad](javascript:alert(1)) [far](//evil.example) **open `half", nil, []richRun{
			{Kind: richPlain, Text: "[bad](javascript:alert(1)) [far](//evil.example) **open `half"}}},
		{"a " + slot(1) + " b", []string{"zero"}, []richRun{{Kind: richPlain, Text: "a  b"}}},
	} {
		if got := richText(tc.in, tc.values...); !slices.Equal(got, tc.want) {
			t.Errorf("richText(%q, %q) = %+v, want %+v", tc.in, tc.values, got, tc.want)
		}
	}

	var buf bytes.Buffer
	if err := rich("**<b>** `"+slot(0)+"` [x](https://example.org/)", "<i>").Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"<strong>&lt;b&gt;</strong>", "<code>&lt;i&gt;</code>", `<a href="https://example.org/" rel="noopener noreferrer" target="_blank">x</a>`} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered %q, want %q in it", out, want)
		}
	}
}
