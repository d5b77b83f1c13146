package web

import (
	"strings"
	"unicode/utf8"
)

// Help steps name screen labels and values to copy in the middle of a
// sentence, and a translation must be free to move them. So such a sentence
// is one message with a light markup that the translator keeps:
//
//	**Label**          a screen label, shown in bold
//	`value`            a value to copy, shown as code
//	[text](address)    a link; the address starts with https://, / or #
//
// Values known only at run time (the redirect URI) are given to i18n.T as
// slot(0), slot(1)… and to richText after the translation: they are put in
// after the markup is read, so nothing in them is taken for markup, and
// everything is escaped when rendered.

// richKind is what a run of rich text is shown as.
type richKind int

const (
	richPlain richKind = iota
	richStrong
	richCode
	richLink
)

// richRun is one run of rich text.
type richRun struct {
	Kind richKind
	Text string
	Href string // richLink only
}

// slotBase is the first of the private-use characters that stand for
// richText's values inside a translated sentence.
const slotBase = 0xE000

// slot is the placeholder for richText's value i, to give to i18n.T for
// its %s.
func slot(i int) string { return string(rune(slotBase + i)) }

// richText reads the markup of a translated sentence into runs and puts
// values in place of their slots. Marks without their closing half stay as
// they are.
func richText(s string, values ...string) []richRun {
	var out []richRun
	var plain strings.Builder
	flush := func() {
		if plain.Len() > 0 {
			out = append(out, richRun{Kind: richPlain, Text: fillSlots(plain.String(), values)})
			plain.Reset()
		}
	}
	for i := 0; i < len(s); {
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "**"):
			if end := strings.Index(rest[2:], "**"); end > 0 {
				flush()
				out = append(out, richRun{Kind: richStrong, Text: fillSlots(rest[2:2+end], values)})
				i += 2 + end + 2
				continue
			}
		case rest[0] == '`':
			if end := strings.IndexByte(rest[1:], '`'); end > 0 {
				flush()
				out = append(out, richRun{Kind: richCode, Text: fillSlots(rest[1:1+end], values)})
				i += 1 + end + 1
				continue
			}
		case rest[0] == '[':
			if text, href, n, ok := richLinkAt(rest); ok {
				flush()
				out = append(out, richRun{Kind: richLink, Text: fillSlots(text, values), Href: href})
				i += n
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(rest)
		plain.WriteString(rest[:size])
		i += size
	}
	flush()
	return out
}

// richLinkAt reads a link, [text](address), at the start of s: its text,
// its address and its length. Only addresses on the web (https), on this
// site (a path) or on this page (#) are links.
func richLinkAt(s string) (text, href string, n int, ok bool) {
	mid := strings.Index(s, "](")
	if mid <= 1 {
		return "", "", 0, false
	}
	end := strings.IndexByte(s[mid+2:], ')')
	if end <= 0 {
		return "", "", 0, false
	}
	text, href = s[1:mid], s[mid+2:mid+2+end]
	if strings.ContainsAny(text, "[]") || strings.ContainsAny(href, " \"'<>") {
		return "", "", 0, false
	}
	switch {
	case strings.HasPrefix(href, "https://"),
		strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "//"),
		strings.HasPrefix(href, "#"):
	default:
		return "", "", 0, false
	}
	return text, href, mid + 2 + end + 1, true
}

// fillSlots puts values in place of their slots; a slot without a value
// is dropped.
func fillSlots(s string, values []string) string {
	if !strings.ContainsFunc(s, isSlot) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !isSlot(r) {
			b.WriteRune(r)
			continue
		}
		if i := int(r - slotBase); i < len(values) {
			b.WriteString(values[i])
		}
	}
	return b.String()
}

// isSlot reports whether r stands for a value (of the first 256).
func isSlot(r rune) bool { return r >= slotBase && r < slotBase+0x100 }
