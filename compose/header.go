package compose

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// RFC 5322 §2.1.1: a line SHOULD be at most 78 characters and MUST be at
// most 998, without the CRLF.
const (
	foldAt   = 78
	maxLine  = 998
	wordMax  = 75 // RFC 2047 §2: an encoded word is at most 75 characters
	nameWord = 60 // encoded words of display names: room for "From: " and a comma
)

// fold formats the field "name: value" with CRLF line endings, folding it
// (RFC 5322 §2.2.3: a CRLF inserted before white space) so that lines are at
// most 78 octets where white space allows. ok is false when a line is still
// longer than 998 octets.
func fold(name, value string) (field string, ok bool) {
	s := name + ": " + value
	var b strings.Builder
	start := 0
	ok = true
	for len(s)-start > foldAt {
		c := breakBefore(s, start)
		if c < 0 {
			break
		}
		if c-start > maxLine {
			ok = false
		}
		b.WriteString(s[start:c])
		b.WriteString("\r\n")
		start = c
	}
	if len(s)-start > maxLine {
		ok = false
	}
	b.WriteString(s[start:])
	b.WriteString("\r\n")
	return b.String(), ok
}

// breakBefore finds where to fold the line that starts at start: the last
// white space that leaves at most 78 octets before it, else the first one
// after that; -1 if there is none. The part before the break must hold
// something besides white space (RFC 5322 §3.2.2).
func breakBefore(s string, start int) int {
	best := -1
	seen := false // a non-white-space octet since start
	for i := start; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' {
			seen = true
			continue
		}
		if !seen || i == start {
			continue
		}
		if i-start <= foldAt {
			best = i
			continue
		}
		if best < 0 {
			best = i
		}
		break
	}
	return best
}

// encodeWords encodes s as RFC 2047 encoded words of UTF-8 separated by
// spaces, each at most max characters and split between characters (§5),
// the first at most first. Q encoding is for unstructured text (§5 (1)); B
// for phrases and parameters, where Q would have to escape nearly all.
func encodeWords(s string, q bool, first, max int) string {
	const overhead = len("=?utf-8?q??=")
	var words []string
	var cur []byte // the encoded text of the current word
	var raw []byte // the current word's bytes, for B
	limit := first
	flush := func() {
		if q {
			words = append(words, "=?utf-8?q?"+string(cur)+"?=")
		} else {
			words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString(raw)+"?=")
		}
		cur, raw, limit = cur[:0], raw[:0], max
	}
	for _, r := range s {
		var enc []byte
		if q {
			enc = qEncodeRune(r)
		} else {
			enc = utf8.AppendRune(nil, r)
		}
		var n int
		if q {
			n = len(cur) + len(enc)
		} else {
			n = base64.StdEncoding.EncodedLen(len(raw) + len(enc))
		}
		if n+overhead > limit && (len(cur) > 0 || len(raw) > 0) {
			flush()
		}
		cur = append(cur, enc...)
		raw = append(raw, enc...)
	}
	if len(cur) > 0 || len(words) == 0 {
		flush()
	}
	return strings.Join(words, " ")
}

// qEncodeRune is r in RFC 2047 Q encoding for unstructured text: printable
// ASCII but "=", "?" and "_" as is, space as "_", the rest as =XX octets.
func qEncodeRune(r rune) []byte {
	const hex = "0123456789ABCDEF"
	switch {
	case r == ' ':
		return []byte{'_'}
	case r > ' ' && r <= '~' && r != '=' && r != '?' && r != '_':
		return []byte{byte(r)}
	}
	var out []byte
	for _, c := range utf8.AppendRune(nil, r) {
		out = append(out, '=', hex[c>>4], hex[c&15])
	}
	return out
}

// looksEncoded reports whether s holds something a decoder could take for
// an encoded word, so that it must not be sent raw.
func looksEncoded(s string) bool {
	return strings.Contains(s, "=?")
}

// unstructured formats an unstructured field (Subject): raw when it is ASCII
// and folds within 998 octets, else as Q-encoded words, whatever the
// server (see Options.SMTPUTF8).
func unstructured(name, value string) string {
	if isASCII(value) && !looksEncoded(value) {
		if f, ok := fold(name, value); ok {
			return f
		}
	}
	first := foldAt - len(name) - len(": ")
	f, _ := fold(name, encodeWords(value, true, min(first, wordMax), wordMax))
	return f
}

// phrase formats a display name (RFC 5322 §3.2.5): atoms as they are, a
// quoted string when it has specials, and B-encoded words when it is not
// ASCII, whatever the server (see Options.SMTPUTF8), or when encode says so.
func phrase(name string, encode bool) string {
	if encode || !isASCII(name) || looksEncoded(name) {
		return encodeWords(name, false, nameWord, nameWord)
	}
	for _, w := range strings.Split(name, " ") {
		if !atom(w) {
			return quote(name)
		}
	}
	return name
}

func atom(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !atext(r) {
			return false
		}
	}
	return true
}

// quote makes a quoted string (RFC 5322 §3.2.4).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// addressList is the value of an address field: "name <addr>" or a bare
// addr-spec, separated by commas.
func addressList(list []mailbox, encode bool) string {
	parts := make([]string, len(list))
	for i, m := range list {
		if m.name == "" {
			parts[i] = m.wire
		} else {
			parts[i] = phrase(m.name, encode) + " <" + m.wire + ">"
		}
	}
	return strings.Join(parts, ", ")
}
