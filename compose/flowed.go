package compose

import (
	"strings"
	"unicode/utf8"
)

// flowWidth is where text is wrapped: RFC 3676 §4.2 recommends 72 (and
// Thunderbird wraps there); a word longer than the line stays whole.
const flowWidth = 72

// normalizeNewlines turns CRLF and lone CR into LF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// flowLines encodes text (lines separated by LF) as format=flowed with
// DelSp=no (RFC 3676) and returns the lines to send, without line endings:
//
//   - A line that starts with ">" is a quoted line (§4.5): its depth is the
//     number of ">" (a space after each is taken as part of the quote
//     marks), and it is written as that many ">", a space, and the text.
//   - Trailing spaces are removed (§4.2: they would make a line flowed),
//     except on the signature separator "-- " (§4.3).
//   - Lines longer than flowWidth are broken after a space, which stays at
//     the end of the line as the soft line break (§4.2).
//   - Unquoted lines that start with a space, ">" or "From " are
//     space-stuffed (§4.4).
func flowLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		depth, content := quoteDepth(line)
		if content != "-- " {
			content = strings.TrimRight(content, " ")
		}
		prefix := ""
		if depth > 0 {
			prefix = strings.Repeat(">", depth) + " "
		}
		if content == "" {
			out = append(out, strings.TrimRight(prefix, " "))
			continue
		}
		for _, chunk := range wrap(content, flowWidth-utf8.RuneCountInString(prefix)) {
			if depth == 0 && needsStuffing(chunk) {
				chunk = " " + chunk
			}
			out = append(out, prefix+chunk)
		}
	}
	return out
}

// quoteDepth splits a line into its quote depth and its text.
func quoteDepth(line string) (int, string) {
	depth := 0
	for strings.HasPrefix(line, ">") {
		depth++
		line = line[1:]
		if strings.HasPrefix(line, " ") {
			line = line[1:]
		}
	}
	return depth, line
}

func needsStuffing(s string) bool {
	return strings.HasPrefix(s, " ") || strings.HasPrefix(s, ">") || strings.HasPrefix(s, "From ")
}

// wrap breaks s after spaces into chunks of at most width characters
// (counting a stuffing space), each but the last ending with its spaces. A
// chunk is never "-- " alone, which a reader would take for a signature
// separator rather than a soft break (§4.3).
func wrap(s string, width int) []string {
	width = max(width, 20)
	var chunks []string
	var cur strings.Builder
	curLen := 0
	for _, u := range units(s) {
		n := utf8.RuneCountInString(u)
		if curLen > 0 && curLen+n+1 > width && cur.String() != "-- " {
			chunks = append(chunks, cur.String())
			cur.Reset()
			curLen = 0
		}
		cur.WriteString(u)
		curLen += n
	}
	return append(chunks, cur.String())
}

// units splits s into words with the spaces that follow them; spaces at
// the start belong to the first word.
func units(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := i
		if i == 0 {
			for j < len(s) && s[j] == ' ' {
				j++
			}
		}
		for j < len(s) && s[j] != ' ' {
			j++
		}
		for j < len(s) && s[j] == ' ' {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}
