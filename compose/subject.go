package compose

import (
	"strings"

	"github.com/apartado/apartado/message"
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
		rest, ok := message.CutSubjectPrefix(s, prefixes)
		if !ok {
			return s
		}
		s = rest
	}
}
