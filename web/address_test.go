package web

import (
	"strings"
	"testing"
)

func TestAddressParts(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"name@example.com", "name@|example|.com"},
		{"<maximiliano.fernandez@correo.example.com>", "<maximiliano|.fernandez@|correo|.example|.com>"},
		{"pop.example.com:995", "pop|.example|.com:995"},
		{"ana", "ana"},
		{"trailing@", "trailing@"},
		{".dot@x", ".dot@|x"},
		{"", ""},
	} {
		if got := strings.Join(addressParts(c.in), "|"); got != c.want {
			t.Errorf("addressParts(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestShortFingerprint(t *testing.T) {
	if got := shortFingerprint("AB:12:CD:34:EF:56:78"); got != "AB:12:CD:34:EF…" {
		t.Errorf("shortFingerprint = %q", got)
	}
	if got := shortFingerprint("AB:12"); got != "AB:12" {
		t.Errorf("a short one: %q", got)
	}
}
