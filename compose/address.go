package compose

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address is a mailbox: a display name (may be empty) and an address.
type Address struct {
	Name string
	Addr string
}

// String formats the address for people to read, not for a header.
func (a Address) String() string {
	if a.Name == "" {
		return a.Addr
	}
	return a.Name + " <" + a.Addr + ">"
}

// RFC 5321 §4.5.3.1: the longest local part and path a server must accept.
const (
	maxLocalPart = 64
	maxAddress   = 254
)

// checkLine reports why s cannot go into a header field: invalid UTF-8, a
// line break (a header injection), or another control character (tab is
// allowed: it is white space).
func checkLine(s string) error {
	if !utf8.ValidString(s) {
		return ErrInvalidUTF8
	}
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n':
			return ErrLineBreak
		case r == '\t':
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return ErrControl
		}
	}
	return nil
}

// cleanSpace trims s and turns every run of white space into one space.
func cleanSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// mailbox is a checked address in the forms the message needs.
type mailbox struct {
	name string // display name, white space collapsed
	wire string // the address as headers and the envelope carry it
	utf8 bool   // the local part is not ASCII (RFC 6531)
}

// checkAddress checks one address: its name and address must be valid
// header text, the address must parse with net/mail as a plain
// local@domain with a dot-atom local part, and an internationalized domain
// is turned into its ASCII form (IDNA), which needs no extension. A user
// name beyond ASCII (RFC 6531) is allowed only with smtputf8.
func checkAddress(a Address, smtputf8 bool) (mailbox, error) {
	if err := checkLine(a.Name); err != nil {
		return mailbox{}, err
	}
	addr := strings.TrimSpace(a.Addr)
	if addr == "" {
		return mailbox{}, ErrMissing
	}
	if err := checkLine(addr); err != nil {
		return mailbox{}, err
	}
	p, err := mail.ParseAddress(addr)
	if err != nil || p.Name != "" || p.Address != addr {
		return mailbox{}, ErrInvalidAddress
	}
	at := strings.LastIndexByte(addr, '@')
	local, domain := addr[:at], addr[at+1:]
	if !dotAtom(local) || len(local) > maxLocalPart {
		return mailbox{}, ErrInvalidAddress
	}
	if !strings.HasPrefix(domain, "[") {
		ascii, err := idna.Lookup.ToASCII(domain)
		if err != nil || ascii == "" {
			return mailbox{}, ErrInvalidAddress
		}
		domain = ascii
	}
	mb := mailbox{name: cleanSpace(a.Name), wire: local + "@" + domain, utf8: !isASCII(local)}
	if mb.utf8 && !smtputf8 {
		return mailbox{}, ErrNeedsSMTPUTF8
	}
	if len(mb.wire) > maxAddress {
		return mailbox{}, ErrTooLong
	}
	return mb, nil
}

// dotAtom reports whether s is an RFC 5322 dot-atom-text, with RFC 6532's
// UTF-8 allowed in it.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r != '.' && !atext(r) {
			return false
		}
	}
	return true
}

// atext reports whether r is RFC 5322 atext (§3.2.3), or UTF-8 beyond ASCII
// (RFC 6532 §3.2).
func atext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= 0x80:
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ParseList parses what a person typed in an address field ("Ana
// <ana@example.com>, bob@example.org") with net/mail, and checks every
// address as Write will (with SMTPUTF8 allowed: the server decides that
// later). An empty field is an empty list.
func ParseList(s string) ([]Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if err := checkLine(s); err != nil {
		return nil, fmt.Errorf("compose: address list: %w", err)
	}
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, fmt.Errorf("compose: address list: %w: %w", ErrInvalidAddress, err)
	}
	out := make([]Address, 0, len(list))
	for _, p := range list {
		a := Address{Name: p.Name, Addr: p.Address}
		if _, err := checkAddress(a, true); err != nil {
			return nil, fmt.Errorf("compose: address %q: %w", p.Address, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// sameAddr compares addresses as people do: case-insensitively.
func sameAddr(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
