package message

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Conversations: what a message says of the messages it answers.

// MaxReferences bounds the Message-IDs kept of a message's In-Reply-To
// and References: a long thread's References lists hundreds of them, and
// its first (the thread's root) and its last (the nearest parents) are
// enough to find the conversation.
const MaxReferences = 32

// maxReferenceLen drops longer ids: a Message-ID fits on a header line.
const maxReferenceLen = 250

// maxReferencesInput bounds how much of each header is read.
const maxReferencesInput = 64 << 10

// References returns the Message-IDs (without angle brackets) that a
// message's In-Reply-To and References headers name, In-Reply-To's first,
// then the References' root and its last ones, without repeats and at
// most MaxReferences. It reads only the header, and never fails: a header
// that cannot be read refers to nothing.
func References(raw []byte) (refs []string) {
	defer func() {
		if r := recover(); r != nil {
			refs = nil
		}
	}()
	h, _, _, _ := parseTop(raw)
	return references(&h)
}

// references is References of a parsed header.
func references(h *header) []string {
	reply := referenceIDs(h.get("in-reply-to"))
	refs := referenceIDs(h.get("references"))
	out := make([]string, 0, min(MaxReferences, len(reply)+len(refs)))
	seen := make(map[string]bool)
	add := func(ids ...string) {
		for _, id := range ids {
			if len(out) < MaxReferences && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	if len(reply) > 4 {
		reply = reply[:4] // In-Reply-To names a parent or two, not a list
	}
	add(reply...)
	if len(refs) > 0 {
		add(refs[0])
		rest := refs[1:]
		if room := MaxReferences - len(out); len(rest) > room && room > 0 {
			rest = rest[len(rest)-room:]
		}
		add(rest...)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// referenceIDs reads the msg-ids of an In-Reply-To or References value
// (RFC 5322 §3.6.4): each "<id>", its folding whitespace removed. A value
// with no angle brackets at all (a client that left them out) is read as
// words, and those with an "@" count. Comments, phrases and ids that are
// empty, too long or that hold control characters are dropped.
func referenceIDs(raw []byte) []string {
	if len(raw) > maxReferencesInput {
		raw = raw[:maxReferencesInput]
	}
	v := unfold(raw)
	var out []string
	keep := func(id string) {
		id = strings.Join(strings.Fields(id), "")
		if id == "" || len(id) > maxReferenceLen || strings.ContainsAny(id, "<>") {
			return
		}
		for _, c := range id {
			if c < 0x21 || c == 0x7f || c == unicode.ReplacementChar {
				return
			}
		}
		out = append(out, id)
	}
	if !strings.Contains(v, "<") {
		for _, w := range strings.Fields(v) {
			if strings.Contains(w, "@") && !strings.ContainsAny(w, "()\"") {
				keep(w)
			}
		}
		return out
	}
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		v = v[i+1:]
		j := strings.IndexAny(v, "<>")
		if j < 0 {
			break // an id left open
		}
		if v[j] == '>' {
			keep(v[:j])
			v = v[j+1:]
		} else {
			v = v[j:] // "<a <b>": the first was never closed
		}
	}
	return out
}

// replyPrefixes are the words mail programs put before a subject they
// answer or forward, in several languages: Re, Fwd and Fw, the German
// AW and WG, the Scandinavian SV and VS, the Spanish RV (reenviado) and
// RE, the Italian Rif, R and I, the French TR, the Dutch Antw, the
// Portuguese Res and Enc, the Polish Odp, the Turkish YNT.
var replyPrefixes = map[string]bool{
	"re": true, "fw": true, "fwd": true, "aw": true, "wg": true, "sv": true, "vs": true, "rv": true,
	"rif": true, "r": true, "i": true, "tr": true, "antw": true, "res": true, "enc": true, "odp": true, "ynt": true,
}

// ThreadSubject is a subject as conversations compare it: without the
// reply and forward prefixes ("Re:", "RE :", "Fwd:", "AW:", "Re[2]:" …,
// repeated or not), with its whitespace folded and its case folded. A
// mailing list's "[tag]" before a prefix stays, without the prefix.
// "" for a subject that is nothing but prefixes.
func ThreadSubject(subject string) string {
	s := strings.Join(strings.Fields(subject), " ")
	tag := ""
	for {
		if strings.HasPrefix(s, "[") {
			if end := strings.IndexByte(s, ']'); end > 0 {
				if rest, ok := cutReplyPrefix(strings.TrimSpace(s[end+1:])); ok {
					tag += s[:end+1] + " "
					s = rest
					continue
				}
			}
		}
		rest, ok := cutReplyPrefix(s)
		if !ok {
			break
		}
		s = rest
	}
	if s == "" {
		return ""
	}
	return strings.ToLower(tag + s)
}

// AnswersSubject says whether a subject begins with a reply or forward
// prefix ("Re:", "Fwd:", "AW:"…, after a mailing list's "[tag]"): whether
// the message says it answers one with that ThreadSubject.
func AnswersSubject(subject string) bool {
	key := ThreadSubject(subject)
	return key != "" && key != strings.ToLower(strings.Join(strings.Fields(subject), " "))
}

// cutReplyPrefix removes one reply or forward prefix from the start of s.
func cutReplyPrefix(s string) (string, bool) { return CutSubjectPrefix(s, replyPrefixes) }

// CutSubjectPrefix removes one prefix from the start of a subject: a word
// of prefixes (lower case; a "." may follow "ref" and "réf"), an optional
// "[n]" or "(n)" count, spaces, and a colon (or a full-width one). When s
// does not begin so, it returns s and false.
func CutSubjectPrefix(s string, prefixes map[string]bool) (string, bool) {
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
	rest = strings.TrimLeft(rest, " ")
	if len(rest) > 0 && (rest[0] == '[' || rest[0] == '(') {
		closer := map[byte]byte{'[': ']', '(': ')'}[rest[0]]
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 1 || j >= len(rest) || rest[j] != closer {
			return s, false
		}
		rest = rest[j+1:]
	}
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
