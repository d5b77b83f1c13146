package compose

import (
	"errors"
	"slices"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	cases := []struct {
		addr     string
		smtputf8 bool
		wire     string
		err      error
	}{
		{"ana@example.com", false, "ana@example.com", nil},
		{"  ana@example.com ", false, "ana@example.com", nil},
		{"first.last+tag@sub.example.co.uk", false, "first.last+tag@sub.example.co.uk", nil},
		{"o'brien@example.ie", false, "o'brien@example.ie", nil},
		{"ana@localhost", false, "ana@localhost", nil},
		{"ana@[192.0.2.1]", false, "ana@[192.0.2.1]", nil},
		{"ana@bücher.example", false, "ana@xn--bcher-kva.example", nil},
		{"ana@bücher.example", true, "ana@xn--bcher-kva.example", nil}, // IDNA needs no SMTPUTF8: used whatever the server
		{"josé@example.com", true, "josé@example.com", nil},
		{"josé@bücher.example", true, "josé@xn--bcher-kva.example", nil},
		{"josé@example.com", false, "", ErrNeedsSMTPUTF8},
		{"", false, "", ErrMissing},
		{"ana", false, "", ErrInvalidAddress},
		{"ana@", false, "", ErrInvalidAddress},
		{"@example.com", false, "", ErrInvalidAddress},
		{"ana@@example.com", false, "", ErrInvalidAddress},
		{"a..b@example.com", false, "", ErrInvalidAddress},
		{"ana@exa mple.com", false, "", ErrInvalidAddress},
		{"<ana@example.com>", false, "", ErrInvalidAddress},
		{`"a b"@example.com`, false, "", ErrInvalidAddress},
		{"ana@example.com\r\nBcc: x@y", false, "", ErrLineBreak},
		{"ana@example.com\x00", false, "", ErrControl},
		{"ana@exa\xffmple.com", false, "", ErrInvalidUTF8},
		{"ana@-example.com", false, "", ErrInvalidAddress},
	}
	for _, c := range cases {
		mb, err := checkAddress(Address{Addr: c.addr}, c.smtputf8)
		if !errors.Is(err, c.err) || (c.err != nil) != (err != nil) {
			t.Errorf("checkAddress(%q) error = %v, want %v", c.addr, err, c.err)
			continue
		}
		if mb.wire != c.wire {
			t.Errorf("checkAddress(%q) = %q, want %q", c.addr, mb.wire, c.wire)
		}
	}
	mb, err := checkAddress(Address{Name: "  Ana \t Pérez ", Addr: "a@b.c"}, false)
	if err != nil || mb.name != "Ana Pérez" {
		t.Errorf("name = %q, %v", mb.name, err)
	}
}

func TestParseList(t *testing.T) {
	got, err := ParseList(`Ana Pérez <ana@example.com>, bob@example.org, "Doe, Jane" <jane@example.net>`)
	want := []Address{{"Ana Pérez", "ana@example.com"}, {"", "bob@example.org"}, {"Doe, Jane", "jane@example.net"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseList = %v, %v", got, err)
	}
	if got, err := ParseList("  "); err != nil || got != nil {
		t.Errorf("empty field = %v, %v", got, err)
	}
	for _, bad := range []string{"ana@example.com,, x", "ana@example.com\nBcc: x@y", "not an address", `"a b"@example.com`} {
		if _, err := ParseList(bad); err == nil {
			t.Errorf("ParseList(%q) accepted", bad)
		}
	}
}
