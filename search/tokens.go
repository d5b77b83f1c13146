package search

import (
	"strings"
	"unicode"
)

// Tokenizable prepares text for the index and for a query's words alike:
// each character of the scripts written without spaces between words
// (Chinese, Japanese, Korean) becomes a word of its own. SQLite's
// unicode61 tokenizer would otherwise make a whole run of such text one
// token, and "東京" would not be found in "東京都庁". Queried as a phrase of
// single characters ("東 京"), a run is found wherever it appears, as a
// substring search would find it. This keeps one FTS5 table with one
// tokenizer (accents and case folded by unicode61 for every other script),
// where a trigram table would triple the index and could not find words
// shorter than three characters.
func Tokenizable(s string) string {
	i := strings.IndexFunc(s, isCJK)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if isCJK(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Untokenize removes the spaces Tokenizable put around each CJK
// character, for showing indexed text (a snippet) as it was written. The
// runes in transparent (highlight markers) are stepped over.
func Untokenize(s, transparent string) string {
	if strings.IndexFunc(s, isCJK) < 0 {
		return s
	}
	rs := []rune(s)
	drop := make([]bool, len(rs))
	for i, r := range rs {
		if !isCJK(r) {
			continue
		}
		j := i - 1
		for j >= 0 && strings.ContainsRune(transparent, rs[j]) {
			j--
		}
		if j >= 0 && rs[j] == ' ' {
			drop[j] = true
		}
		j = i + 1
		for j < len(rs) && strings.ContainsRune(transparent, rs[j]) {
			j++
		}
		if j < len(rs) && rs[j] == ' ' {
			drop[j] = true
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if !drop[i] {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isCJK(r rune) bool {
	return r >= 0x2E80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) || r == 'ー')
}
