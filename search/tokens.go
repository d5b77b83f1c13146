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

// The characters an address token spells its punctuation with: the ASCII
// character c becomes the private-use character addrBase+c, which SQLite's
// unicode61 tokenizer keeps inside a token where it would split at c.
const (
	addrBase = 0xE000
	addrLast = addrBase + 0x7F
)

// IsAddressRune reports whether r is one of the characters AddressToken
// writes; text for the index must not contain them, so that only an
// address token can match one.
func IsAddressRune(r rune) bool { return r >= addrBase && r <= addrLast }

// AddressToken writes an e-mail address as one token for the index:
// unicode61 splits "ana@example.net" into "ana", "example" and "net",
// and a search for the address as a phrase reads the lists of every
// message from example.net. As one token it is one short list, and it
// matches only that address, not "mariana@example.net" nor
// "ana@example.network"; as a prefix query (the word being typed), the
// addresses that begin with it.
func AddressToken(addr string) string {
	var b strings.Builder
	b.Grow(len(addr) * 2)
	for _, r := range addr {
		if r < 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			r += addrBase
		}
		b.WriteRune(r)
	}
	return b.String()
}

// AddressTokens returns the AddressToken of each address in text (a From
// or a To header as the message list keeps it: "Ana <ana@example.net>,
// luis@example.org"), separated by spaces.
func AddressTokens(text string) string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(`,;<>"()[]`, r)
	}) {
		if IsAddress(w) {
			out = append(out, AddressToken(w))
		}
	}
	return strings.Join(out, " ")
}

// IsAddress reports whether a word is written like an e-mail address:
// something, an @, and something.
func IsAddress(w string) bool {
	i := strings.IndexByte(w, '@')
	return i > 0 && i < len(w)-1
}
