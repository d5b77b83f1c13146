package web

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Linkify splits plain text into runs of text and links, for showing a
// text/plain body with its web addresses clickable. Only http and https
// URLs (and "www." names, which get https) become links; trailing
// punctuation that usually ends a sentence is left out of the link, and a
// closing bracket only stays when the URL opened one.
func Linkify(text string) []TextSegment {
	var out []TextSegment
	plainStart := 0
	i := 0
	for i < len(text) {
		start, ok := linkStart(text, i)
		if !ok {
			_, size := utf8.DecodeRuneInString(text[i:])
			i += size
			continue
		}
		end := start
		for end < len(text) && isURLByte(text[end]) {
			end++
		}
		end = trimURLEnd(text[start:end]) + start
		raw := text[start:end]
		href := raw
		if strings.HasPrefix(strings.ToLower(raw), "www.") {
			href = "https://" + raw
		}
		if u, err := url.Parse(href); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			i = start + 1
			continue
		}
		if start > plainStart {
			out = append(out, TextSegment{Text: text[plainStart:start]})
		}
		out = append(out, TextSegment{Text: raw, URL: href})
		i, plainStart = end, end
	}
	if plainStart < len(text) {
		out = append(out, TextSegment{Text: text[plainStart:]})
	}
	return out
}

// linkStart reports whether a link starts at text[i]: "http://",
// "https://" or "www." at the start of a word.
func linkStart(text string, i int) (int, bool) {
	if i > 0 {
		prev, _ := utf8.DecodeLastRuneInString(text[:i])
		if prev < utf8.RuneSelf && (isAlnum(byte(prev)) || prev == '/' || prev == '.' || prev == '@' || prev == '-') {
			return 0, false
		}
	}
	rest := text[i:]
	for _, p := range []string{"https://", "http://", "www."} {
		if len(rest) > len(p) && strings.EqualFold(rest[:len(p)], p) {
			return i, true
		}
	}
	return 0, false
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// isURLByte reports whether b may appear in a URL written in running text
// (RFC 3986 characters, and non-ASCII bytes for international names).
func isURLByte(b byte) bool {
	if b >= utf8.RuneSelf {
		return true
	}
	if isAlnum(b) {
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", b) >= 0
}

// trimURLEnd returns the length of u without the punctuation that most
// likely ends the sentence around it.
func trimURLEnd(u string) int {
	n := len(u)
	for n > 0 {
		c := u[n-1]
		switch {
		case strings.IndexByte(".,;:!?'*", c) >= 0:
			n--
		case c == ')' && strings.Count(u[:n], "(") < strings.Count(u[:n], ")"):
			n--
		case c == ']' && strings.Count(u[:n], "[") < strings.Count(u[:n], "]"):
			n--
		default:
			return n
		}
	}
	return n
}
