package message

import (
	"bytes"
	"regexp"
)

// Old mail programs (Outlook Express, Eudora, Pine, many news readers)
// put attachments into the text itself as uuencoded blocks:
//
//	begin 644 picture.png
//	M<encoded line>
//	`
//	end
//
// Such a block is taken out of the shown text and listed as an attachment
// with the id "<part>.u<n>". A block is recognised only when every line
// between "begin" and "end" is a plausible uuencoded line, so prose that
// happens to start with "begin 644" is left alone: any lower-case letter,
// for one, rules a line out.

// uuFile is one file decoded from a uuencoded block.
type uuFile struct {
	name []byte // as written on the begin line, in the text's charset
	data []byte
}

var uuBeginRe = regexp.MustCompile(`^begin [0-7]{3,4} +(\S.*?)\s*$`)

// uuCandidate says whether a part's text is searched for uuencoded
// blocks: plain text shown as the body (a declared text/plain or a part
// with no type), not a part that is itself uuencoded or an attachment.
func uuCandidate(p *part) bool {
	return p.mediaType == "text/plain" && p.cte != "uuencode" && p.disposition != "attachment"
}

// splitUU removes the uuencoded blocks from a text body and decodes them.
// When open is true a block cut short by the end of b (a prefix read for a
// snippet) is removed too, without being decoded. b is not modified.
func splitUU(b []byte, open bool) (rest []byte, files []uuFile) {
	if !bytes.Contains(b, []byte("begin ")) {
		return b, nil
	}
	var out []byte
	last := 0 // b[last:] is not yet copied to out
	pos := 0
	for pos < len(b) && len(files) < maxParts {
		lineEnd, next := lineAt(b, pos)
		m := uuBeginRe.FindSubmatch(b[pos:lineEnd])
		if m == nil || !bytes.HasPrefix(b[pos:], []byte("begin")) {
			pos = next
			continue
		}
		end, ok, truncated := uuBlockEnd(b, next)
		if !ok && !(open && truncated) {
			pos = next
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[last:pos]...)
		if ok {
			files = append(files, uuFile{name: m[1], data: decodeUU(b[pos:end])})
		}
		last, pos = end, end
	}
	if out == nil {
		return b, files
	}
	return append(out, b[last:]...), files
}

// lineAt returns the end of the line starting at pos (before its LF) and
// the start of the next one.
func lineAt(b []byte, pos int) (end, next int) {
	if i := bytes.IndexByte(b[pos:], '\n'); i >= 0 {
		return pos + i, pos + i + 1
	}
	return len(b), len(b)
}

// uuBlockEnd checks the lines from pos up to the "end" line and returns
// the offset just after it. truncated says that b ended while every line
// so far was valid; end is then len(b).
func uuBlockEnd(b []byte, pos int) (end int, ok, truncated bool) {
	lines := 0
	for pos < len(b) {
		lineEnd, next := lineAt(b, pos)
		line := bytes.TrimRight(b[pos:lineEnd], "\r")
		switch {
		case string(bytes.TrimRight(line, " \t")) == "end":
			return next, lines > 0, false
		case len(line) == 0:
			// Only the empty last line of a block (a "`" or " " line
			// whose space was stripped) may be blank.
			if !bytes.HasPrefix(bytes.TrimLeft(b[next:], "\r"), []byte("end")) {
				return 0, false, false
			}
		case !uuLine(line):
			return 0, false, false
		}
		lines++
		pos = next
	}
	return len(b), false, lines > 0
}

// uuLine says whether line is a plausible uuencoded line: characters
// from ' ' to '`' only, and as long as its length character says (or
// shorter, when trailing spaces were stripped in transit, or up to two
// longer, as some encoders add a check character).
func uuLine(line []byte) bool {
	for _, c := range line {
		if c < ' ' || c > '`' {
			return false
		}
	}
	n := int((line[0] - ' ') & 63)
	want := (n + 2) / 3 * 4
	return len(line)-1 <= want+2 && (n == 0 || len(line) > 1)
}
