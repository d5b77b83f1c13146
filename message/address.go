package message

import (
	"strings"
)

// Address is a mailbox from an address field, decoded for display. A group
// with no members (e.g. "undisclosed-recipients:;") is one Address with
// the group's name and an empty Addr.
type Address struct {
	Name string
	Addr string
}

// String formats the address for display: `Name <addr>`, or the bare
// address or name when the other is missing.
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Addr
	case a.Addr == "":
		return a.Name
	}
	return a.Name + " <" + a.Addr + ">"
}

// maxAddresses bounds how many addresses one field yields.
const maxAddresses = 10000

// parseAddressList parses an address field leniently. Instead of failing
// on the first deviation from RFC 5322 as net/mail does, it splits the
// field at top-level commas and makes the best of each piece: "Name
// <addr>", "addr (Name)", a bare address, or a bare name. Display names are
// RFC 2047 decoded.
func parseAddressList(raw []byte, fallback string) []Address {
	s := unfold(raw)
	var out []Address
	var item strings.Builder
	depthAngle, depthComment := 0, 0
	inQuote, escaped := false, false
	groupName := ""
	inGroup := false
	groupCount := 0
	itemHasAt := false
	emit := func() {
		if a, ok := parseMailbox(item.String(), fallback); ok && len(out) < maxAddresses {
			out = append(out, a)
			if inGroup {
				groupCount++
			}
		}
		item.Reset()
		itemHasAt = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if escaped {
			escaped = false
			item.WriteByte(c)
			continue
		}
		if c == '=' && i+1 < len(s) && s[i+1] == '?' {
			// An encoded-word may contain ":" and other specials; copy it
			// as it is.
			if _, _, n, ok := parseEncodedWord(s[i:]); ok {
				item.WriteString(s[i : i+n])
				i += n - 1
				continue
			}
		}
		switch {
		case c == '\\' && (inQuote || depthComment > 0):
			escaped = true
		case c == '"' && depthComment == 0:
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depthComment++
		case c == ')' && depthComment > 0:
			depthComment--
		case depthComment > 0:
		case c == '<':
			depthAngle++
		case c == '>' && depthAngle > 0:
			depthAngle--
		case depthAngle > 0:
		case c == ',':
			emit()
			continue
		case c == ':' && !inGroup && !itemHasAt:
			groupName = cleanText(decodeWords(unquote(item.String()), fallback))
			inGroup, groupCount = true, 0
			item.Reset()
			continue
		case c == ';' && inGroup:
			emit()
			if groupCount == 0 && groupName != "" && len(out) < maxAddresses {
				out = append(out, Address{Name: groupName})
			}
			inGroup = false
			continue
		}
		if c == '@' {
			itemHasAt = true
		}
		item.WriteByte(c)
	}
	emit()
	if inGroup && groupCount == 0 && groupName != "" && len(out) < maxAddresses {
		out = append(out, Address{Name: groupName})
	}
	return out
}

// parseMailbox parses one mailbox.
func parseMailbox(s string, fallback string) (Address, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, false
	}
	// Find the last top-level "<".
	lt := -1
	inQuote, depth := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
		case c == '"' && depth == 0:
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '<' && depth == 0:
			lt = i
		}
	}
	if lt >= 0 {
		addr := s[lt+1:]
		if gt := strings.IndexByte(addr, '>'); gt >= 0 {
			addr = addr[:gt]
		}
		name := displayName(s[:lt], fallback)
		return Address{Name: name, Addr: cleanAddr(addr)}, true
	}
	// "addr (Name)" or a bare address or name.
	var comment strings.Builder
	var rest strings.Builder
	depth = 0
	inQuote = false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && depth == 0:
			inQuote = !inQuote
			rest.WriteByte(c)
		case inQuote:
			rest.WriteByte(c)
		case c == '(':
			if depth > 0 {
				comment.WriteByte(c)
			}
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth > 0 {
				comment.WriteByte(c)
			}
		case depth > 0:
			comment.WriteByte(c)
		default:
			rest.WriteByte(c)
		}
	}
	addr := strings.TrimSpace(rest.String())
	name := cleanText(decodeWords(comment.String(), fallback))
	if !strings.Contains(addr, "@") && strings.ContainsAny(addr, " \t\"") || strings.Contains(addr, "=?") {
		// Not an address at all: a bare display name.
		n := displayName(addr, fallback)
		if name != "" {
			n = strings.TrimSpace(n + " (" + name + ")")
		}
		if n == "" {
			return Address{}, false
		}
		return Address{Name: n}, true
	}
	addr = cleanAddr(addr)
	if addr == "" && name == "" {
		return Address{}, false
	}
	return Address{Name: name, Addr: addr}, true
}

// displayName unquotes and decodes a display name.
func displayName(s string, fallback string) string {
	s = cleanText(decodeWords(unquote(strings.TrimSpace(s)), fallback))
	// Outlook writes 'Name' in single quotes, some tools double-quote twice.
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// unquote removes the double quotes and backslash escapes of quoted
// strings in s, leaving the rest as it is.
func unquote(s string) string {
	if !strings.ContainsAny(s, "\"\\") {
		return s
	}
	var sb strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && inQuote && i+1 < len(s):
			i++
			sb.WriteByte(s[i])
		case c == '"':
			inQuote = !inQuote
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// cleanAddr tidies an addr-spec: whitespace and a source route are removed,
// a "mailto:" prefix too.
func cleanAddr(a string) string {
	a = strings.TrimSpace(a)
	if i := strings.LastIndexByte(a, ':'); i >= 0 && strings.HasPrefix(a, "@") {
		a = a[i+1:] // obsolete route: <@relay:user@example.com>
	}
	if len(a) > 7 && strings.EqualFold(a[:7], "mailto:") {
		a = a[7:]
	}
	a = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, a)
	return strings.ToValidUTF8(a, "\uFFFD")
}

// formatAddresses joins addresses for display, comma-separated.
func formatAddresses(list []Address) string {
	parts := make([]string, 0, len(list))
	for _, a := range list {
		if s := a.String(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// From returns a message's From addresses, reading its header only (for
// deciding about the sender without rendering the message).
func From(raw []byte) (from []Address) {
	defer func() {
		if r := recover(); r != nil {
			from = nil
		}
	}()
	h, _, _, fallback := parseTop(raw)
	return parseAddressList(h.get("from"), fallback)
}
