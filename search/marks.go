package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Marker finds a query's words in a result's subject and text the way the
// index matched them (SQLite's unicode61 tokenizer with remove_diacritics:
// words are runs of letters and digits, compared without case or
// accents; each CJK character is a word, see Tokenizable; the word being
// typed matches the words it begins), to mark them on the results page.
//
// It is done here rather than with FTS5's highlight() and snippet(),
// which tokenize every row's whole column in SQLite for the page's 50
// rows, more than half the time of a search for a common word. A snippet
// here reads a text only up to its first match, so it costs little for
// a common word and at most one pass over the text for a rare one.
// Where this folding differs from SQLite's (a letter it maps and
// Unicode's decomposition does not), a word is left unmarked: the
// matches themselves are always the index's.
type Marker struct {
	phrases []markPhrase
}

// markPhrase is a term's words, folded, in order; prefix says its last
// word matches the words it begins.
type markPhrase struct {
	words  []string
	prefix bool
}

// NewMarker returns a Marker for terms (the words and phrases whose
// matches are marked; the caller chooses which operators count).
func NewMarker(terms []Term) *Marker {
	m := &Marker{}
	for _, t := range terms {
		var words []string
		for _, tok := range tokens(t.Text, -1) {
			words = append(words, tok.fold(t.Text))
		}
		if len(words) > 0 {
			m.phrases = append(m.phrases, markPhrase{words: words, prefix: t.Prefix})
		}
	}
	return m
}

// Words returns the words of s as the index has them: split as unicode61
// splits them (each CJK character a word), without case or accents.
func Words(s string) []string {
	var out []string
	for _, tok := range tokens(s, -1) {
		out = append(out, tok.fold(s))
	}
	return out
}

// Empty reports whether the Marker has no words to mark.
func (m *Marker) Empty() bool { return m == nil || len(m.phrases) == 0 }

// Mark returns s with every match between start and end, and whether
// there was any. Adjacent words of one phrase are marked as one.
func (m *Marker) Mark(s, start, end string) (string, bool) {
	if m.Empty() {
		return s, false
	}
	toks := tokens(s, -1)
	return m.markSpan(s, toks, 0, len(s), start, end)
}

// Snippet returns about n words of s around its first match (from the
// beginning when the match is among the first words), with "…" where s
// goes on before or after, the matches in it between start and end, and
// whether there was any: without one it returns "", false.
func (m *Marker) Snippet(s string, n int, start, end string) (string, bool) {
	out, ok, _ := m.SnippetOfPrefix(s, n, start, end)
	return out, ok
}

// SnippetOfPrefix is Snippet of a text of which s is the beginning, cut
// after a space: decided says that the rest of the text could not change
// the answer (the match and the words shown after it are all in s), so
// that a caller with only the beginning at hand need not read the rest.
func (m *Marker) SnippetOfPrefix(s string, n int, start, end string) (snippet string, ok, decided bool) {
	if m.Empty() || n < 1 {
		return "", false, true
	}
	// Read words up to the first match and n words past it, no further.
	var toks []token
	first, dropped := -1, false
	for pos := 0; ; {
		tok, next, ok := nextToken(s, pos)
		if !ok {
			break
		}
		pos = next
		toks = append(toks, tok)
		if first < 0 {
			// A phrase is found when its last word is read.
			for j := max(0, len(toks)-m.longest()); j < len(toks); j++ {
				if m.matchAt(s, toks, j) > 0 {
					first = j
					break
				}
			}
			if keep := max(n, m.longest()); first < 0 && len(toks) >= 8*keep {
				// Only the words just before a match can be shown.
				toks, dropped = append(toks[:0], toks[len(toks)-keep:]...), true
			}
		} else if len(toks) > first+n {
			break
		}
	}
	if first < 0 {
		return "", false, false
	}
	from := 0
	if dropped || first+m.longest() > n {
		from = max(0, first-n/4)
	}
	// Words past from+n are not shown: with one of them read, the rest of
	// the text cannot change the snippet.
	decided = len(toks) > from+n
	to := min(len(toks), from+n)
	if to-from < n {
		// Near the end: as many words before the match as fit.
		from = max(0, to-n)
	}
	lo, hi := 0, len(s)
	cut := from > 0 || dropped
	if cut {
		lo = toks[from].start
	}
	more := to < len(toks)
	if more {
		hi = toks[to-1].end
	}
	out, _ := m.markSpan(s, toks[from:to], lo, hi, start, end)
	if cut {
		out = "…" + out
	}
	if more {
		out += "…"
	}
	return out, true, decided
}

// longest is the most words of any phrase.
func (m *Marker) longest() int {
	n := 1
	for _, p := range m.phrases {
		n = max(n, len(p.words))
	}
	return n
}

// matchAt returns how many words of toks from i a phrase matches (the
// longest such phrase), or 0.
func (m *Marker) matchAt(s string, toks []token, i int) int {
	best := 0
	for _, p := range m.phrases {
		if i+len(p.words) > len(toks) {
			continue
		}
		ok := true
		for k, w := range p.words {
			if ok = toks[i+k].is(s, w, p.prefix && k == len(p.words)-1); !ok {
				break
			}
		}
		if ok {
			best = max(best, len(p.words))
		}
	}
	return best
}

// markSpan writes s[lo:hi] with the matches among toks (which are inside
// it) marked.
func (m *Marker) markSpan(s string, toks []token, lo, hi int, start, end string) (string, bool) {
	var b strings.Builder
	b.Grow(hi - lo + 16)
	at, any := lo, false
	for i := 0; i < len(toks); {
		k := m.matchAt(s, toks, i)
		if k == 0 {
			i++
			continue
		}
		// Phrases that overlap or follow one another are one mark.
		last := i + k - 1
		for j := i + 1; j <= last && j < len(toks); j++ {
			if kk := m.matchAt(s, toks, j); kk > 0 {
				last = max(last, j+kk-1)
			}
		}
		b.WriteString(s[at:toks[i].start])
		b.WriteString(start)
		b.WriteString(s[toks[i].start:toks[last].end])
		b.WriteString(end)
		at, any, i = toks[last].end, true, last+1
	}
	b.WriteString(s[at:hi])
	return b.String(), any
}

// token is a word of a text: its bytes s[start:end], and folded when it
// is not all ASCII (an ASCII word is compared without case as it is,
// which spares a copy of every word read).
type token struct {
	start, end int
	folded     string
}

// fold returns the token folded.
func (t token) fold(s string) string {
	if t.folded != "" {
		return t.folded
	}
	return strings.ToLower(s[t.start:t.end])
}

// is reports whether the token is the folded word w, or begins with it.
func (t token) is(s, w string, prefix bool) bool {
	if t.folded != "" {
		if prefix {
			return strings.HasPrefix(t.folded, w)
		}
		return t.folded == w
	}
	text := s[t.start:t.end]
	if prefix {
		return len(text) >= len(w) && strings.EqualFold(text[:len(w)], w)
	}
	return len(text) == len(w) && strings.EqualFold(text, w)
}

// tokens returns the words of s, at most max of them (-1: all).
func tokens(s string, max int) []token {
	var out []token
	for pos := 0; max < 0 || len(out) < max; {
		tok, next, ok := nextToken(s, pos)
		if !ok {
			break
		}
		out = append(out, tok)
		pos = next
	}
	return out
}

// nextToken returns the first word of s at or after pos and where to go
// on from.
func nextToken(s string, pos int) (token, int, bool) {
	for pos < len(s) {
		if c := s[pos]; c < utf8.RuneSelf {
			if !asciiWord[c] {
				pos++
				continue
			}
		} else if r, size := utf8.DecodeRuneInString(s[pos:]); isCJK(r) {
			return token{start: pos, end: pos + size, folded: s[pos : pos+size]}, pos + size, true
		} else if !wordRune(r) {
			pos += size
			continue
		}
		start := pos
		ascii := true
		for pos < len(s) {
			if c := s[pos]; c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				pos++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[pos:])
			if !wordRune(r) || isCJK(r) {
				break
			}
			ascii = false
			pos += size
		}
		tok := token{start: start, end: pos}
		if !ascii {
			tok.folded = fold(s[start:pos])
		}
		return tok, pos, true
	}
	return token{}, pos, false
}

// asciiWord says which ASCII characters are inside words.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

// wordRune is a character unicode61 keeps inside a word: letters, digits
// (its default categories L*, N* and Co, the private use characters an
// address token is written with) and the combining marks it removes.
func wordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r) || unicode.Is(unicode.Mn, r)
}

// fold lowers a word's case and takes the accents off its letters.
func fold(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
