package compose

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The prefixes that mark a reply or a forward in the languages of common
// clients, lower case. The lists are short on purpose: a word that is not
// surely a prefix ("I:", "R:") is left alone.
var (
	replyPrefixes = map[string]bool{
		"re":   true, // Latin, used by most clients in every language
		"aw":   true, // German: Antwort
		"sv":   true, // Swedish, Danish, Norwegian: svar
		"vs":   true, // Finnish: vastaus
		"antw": true, // Dutch: antwoord
		"odp":  true, // Polish: odpowiedź
		"ref":  true, // French: référence
		"réf":  true,
		"rif":  true, // Italian: riferimento
		"res":  true, // Portuguese: resposta
	}
	forwardPrefixes = map[string]bool{
		"fwd": true,
		"fw":  true,
		"wg":  true, // German: weitergeleitet
		"rv":  true, // Spanish (Outlook): reenviado
		"tr":  true, // French: transféré
		"enc": true, // Portuguese: encaminhado
	}
)

// ReplySubject is the subject of a reply: "Re: " and the original's subject
// without the reply prefixes it starts with ("Re: Re: x", "AW: x", "RE[2]:
// x" and "Réf. : x" all give "Re: x"). A forward prefix is kept: "Re: Fwd:
// x" says what happened.
func ReplySubject(s string) string {
	return strings.TrimSpace("Re: " + stripPrefixes(s, replyPrefixes))
}

// ForwardSubject is the subject of a forward: "Fwd: " and the original's
// subject without the forward prefixes it starts with.
func ForwardSubject(s string) string {
	return strings.TrimSpace("Fwd: " + stripPrefixes(s, forwardPrefixes))
}

func stripPrefixes(s string, prefixes map[string]bool) string {
	s = cleanSpace(s)
	for {
		rest, ok := cutPrefix(s, prefixes)
		if !ok {
			return s
		}
		s = rest
	}
}

// cutPrefix removes one prefix: a word of the list, a "." after "ref", a
// counter ("[2]" or "(2)"), spaces, and a colon (or a full-width colon).
func cutPrefix(s string, prefixes map[string]bool) (string, bool) {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) {
			break
		}
		i += n
	}
	word := strings.ToLower(s[:i])
	if !prefixes[word] {
		return s, false
	}
	rest := s[i:]
	if word == "ref" || word == "réf" {
		rest = strings.TrimPrefix(rest, ".")
	}
	rest = cutCounter(rest)
	rest = strings.TrimLeft(rest, " ")
	switch {
	case strings.HasPrefix(rest, ":"):
		rest = rest[1:]
	case strings.HasPrefix(rest, "："):
		rest = rest[len("："):]
	default:
		return s, false
	}
	return strings.TrimLeft(rest, " "), true
}

// cutCounter removes "[n]" or "(n)" from the start of s.
func cutCounter(s string) string {
	if len(s) < 3 || (s[0] != '[' && s[0] != '(') {
		return s
	}
	end := byte(']')
	if s[0] == '(' {
		end = ')'
	}
	j := 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 1 || j >= len(s) || s[j] != end {
		return s
	}
	return s[j+1:]
}
