package search

import (
	"strings"
	"testing"
)

// TestAddressTokens: each address of a header becomes one token, its
// punctuation spelled with characters the tokenizer keeps in a word, and
// nothing else does.
func TestAddressTokens(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`"Luis, el de casa" <luis@example.org>, bea@example.org`, "luis@example.org bea@example.org"},
		{"Ana <ana.b+x@example.net>\nCc <cc@a-b.es>; x", "ana.b+x@example.net cc@a-b.es"},
		{"Ana @ casa, a@, @b, nadie", ""},
	} {
		got := AddressTokens(c.in)
		var want []string
		for _, a := range strings.Fields(c.want) {
			want = append(want, AddressToken(a))
		}
		if got != strings.Join(want, " ") {
			t.Errorf("%q: %q, want %q", c.in, got, strings.Join(want, " "))
		}
	}
	tok := AddressToken("ana.b+x@example.net")
	if strings.ContainsAny(tok, ".+@") || strings.IndexFunc(tok, IsAddressRune) < 0 || !strings.HasPrefix(tok, "ana") {
		t.Errorf("token %q", tok)
	}
}
