package message

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// field is one header field as it appears in the raw message.
type field struct {
	key  string // as written, trimmed
	lkey string // lower case, for lookups
	raw  []byte // the value after the colon, folding line breaks included
}

type header struct {
	fields []field
}

// get returns the raw value of the first field named key (lower case).
func (h *header) get(key string) []byte {
	for i := range h.fields {
		if h.fields[i].lkey == key {
			return h.fields[i].raw
		}
	}
	return nil
}

// getString returns the unfolded, trimmed value of the first field named key.
func (h *header) getString(key string) string {
	return strings.TrimSpace(unfold(h.get(key)))
}

// headerResult says how a header block ended.
type headerResult int

const (
	headerSeparated   headerResult = iota // a blank line ended it, as RFC 5322 wants
	headerNoSeparator                     // a line that is not a field started the body
	headerEOF                             // the input ended inside the header
	headerTooBig                          // maxHeaderBytes was reached
)

// parseHeader splits b into its header fields and the body. It accepts CRLF
// and bare LF line endings. A line that is neither a field nor a
// continuation ends the header (the body starts with it), and a header that
// runs to the end of the input has an empty body.
func parseHeader(b []byte) (header, []byte, headerResult) {
	var h header
	pos := 0
	valStart := 0 // offset in b of the last field's value
	for pos < len(b) {
		if pos > maxHeaderBytes {
			return h, nil, headerTooBig
		}
		end := bytes.IndexByte(b[pos:], '\n')
		next := len(b)
		if end < 0 {
			end = len(b)
		} else {
			end += pos
			next = end + 1
		}
		line := b[pos:end]
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			return h, b[next:], headerSeparated
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(h.fields) == 0 {
				return h, b[pos:], headerNoSeparator
			}
			// Extend the value to the end of this line, keeping the
			// folding as it is.
			h.fields[len(h.fields)-1].raw = b[valStart:end]
			pos = next
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || colon > 256 || !validFieldName(line[:colon]) {
			return h, b[pos:], headerNoSeparator
		}
		key := strings.TrimSpace(string(line[:colon]))
		if key == "" {
			return h, b[pos:], headerNoSeparator
		}
		valStart = pos + colon + 1
		h.fields = append(h.fields, field{
			key:  key,
			lkey: strings.ToLower(key),
			raw:  b[valStart:end],
		})
		pos = next
	}
	return h, nil, headerEOF
}

// validFieldName accepts RFC 5322 field names and the common deviations
// (spaces and tabs, as some generators write), but not control characters
// or 8-bit bytes, which mark a body line.
func validFieldName(k []byte) bool {
	for _, c := range k {
		if c < ' ' && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

// unfold removes the line breaks of a folded field value.
func unfold(b []byte) string {
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return string(out)
}

// cleanText turns a decoded value into one display line: control
// characters become spaces, runs of whitespace collapse, ends are trimmed.
func cleanText(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	space := false
	for _, r := range s {
		if r <= ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\ufeff' || unicode.IsSpace(r) {
			space = sb.Len() > 0
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// decodeText decodes a free-text field value (Subject, Comments, …): it
// unfolds, decodes RFC 2047 encoded-words and raw 8-bit bytes, and makes
// one clean line of it.
func decodeText(raw []byte, fallback string) string {
	return cleanText(decodeWords(unfold(raw), fallback))
}

// decodeWords decodes RFC 2047 encoded-words anywhere in s (also inside
// quoted strings and words, as mail clients tolerate). Whitespace between
// adjacent encoded-words is dropped, and adjacent words in the same charset
// are joined before decoding so that a character split across two words
// survives. Text outside encoded-words is read as UTF-8 when valid, else in
// the fallback charset, else Windows-1252.
func decodeWords(s string, fallback string) string {
	if !strings.Contains(s, "=?") {
		return decodeRaw([]byte(s), fallback)
	}
	var out strings.Builder
	var pending []byte // bytes of adjacent encoded-words in pendingCS
	pendingCS := ""
	lastWord := false
	flush := func() {
		if pending != nil {
			out.WriteString(decodeCharset(pendingCS, pending))
			pending, pendingCS = nil, ""
		}
	}
	i := 0
	litStart := 0
	for i < len(s) {
		if s[i] == '=' && i+1 < len(s) && s[i+1] == '?' {
			if cs, text, n, ok := parseEncodedWord(s[i:]); ok {
				lit := s[litStart:i]
				if lastWord && strings.TrimLeft(lit, " \t") == "" {
					lit = "" // whitespace between encoded-words is not text
				}
				if lit != "" {
					flush()
					out.WriteString(decodeRaw([]byte(lit), fallback))
				}
				cs = normalizeCharset(cs)
				if pending != nil && cs != pendingCS {
					flush()
				}
				if pending == nil {
					pending = []byte{}
				}
				pending = append(pending, text...)
				pendingCS = cs
				i += n
				litStart = i
				lastWord = true
				continue
			}
		}
		if s[i] != ' ' && s[i] != '\t' {
			if lastWord {
				flush()
			}
			lastWord = false
		}
		i++
	}
	flush()
	if litStart < len(s) {
		out.WriteString(decodeRaw([]byte(s[litStart:]), fallback))
	}
	return out.String()
}

// parseEncodedWord parses "=?charset?enc?text?=" at the start of s and
// returns the charset, the decoded bytes and the length consumed.
func parseEncodedWord(s string) (cs string, text []byte, n int, ok bool) {
	if len(s) < 8 || s[0] != '=' || s[1] != '?' {
		return "", nil, 0, false
	}
	q1 := strings.IndexByte(s[2:], '?')
	if q1 <= 0 || q1 > 64 {
		return "", nil, 0, false
	}
	cs = s[2 : 2+q1]
	if strings.ContainsAny(cs, " \t\r\n\"()<>@,;:") {
		return "", nil, 0, false
	}
	rest := s[2+q1+1:]
	if len(rest) < 3 || rest[1] != '?' {
		return "", nil, 0, false
	}
	enc := rest[0] | 0x20
	if enc != 'b' && enc != 'q' {
		return "", nil, 0, false
	}
	body := rest[2:]
	// The payload cannot contain whitespace; bounding the search also keeps
	// a header full of "=?" that never close from costing quadratic time.
	window := body
	if len(window) > 1024 {
		window = window[:1024]
	}
	if ws := strings.IndexAny(window, " \t\r\n"); ws >= 0 {
		window = window[:ws]
	}
	end := strings.Index(window, "?=")
	if end < 0 {
		return "", nil, 0, false
	}
	payload := body[:end]
	if enc == 'b' {
		text = decodeBase64([]byte(payload))
	} else {
		text = decodeQWord(payload)
	}
	n = 2 + q1 + 1 + 2 + end + 2
	return cs, text, n, true
}

// decodeQWord decodes the "Q" encoding of RFC 2047 section 4.2.
func decodeQWord(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
			} else {
				out = append(out, c)
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// decodeRaw reads unencoded header bytes: UTF-8 (RFC 6532) when valid, else
// the fallback charset (the message's body charset), else Windows-1252.
func decodeRaw(b []byte, fallback string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if fallback != "" && !isUTF8Label(normalizeCharset(fallback)) {
		return decodeCharset(fallback, b)
	}
	return decodeWindows1252(b)
}

// parseParamHeader parses a Content-Type or Content-Disposition value into
// its lower-cased main value and parameters. It is lenient where
// mime.ParseMediaType is strict: missing or doubled semicolons, unquoted
// values with spaces, duplicate parameters (the first wins) and unclosed
// quotes are accepted. RFC 2231 continuations and charsets are decoded, and
// so are RFC 2047 encoded-words in values (common in file names).
func parseParamHeader(v string, fallback string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	end := strings.IndexAny(v, "; \t")
	if end < 0 {
		end = len(v)
	}
	value := strings.ToLower(strings.Trim(v[:end], "\"'"))
	rest := v[end:]

	type section struct {
		n     int
		ext   bool
		value string
	}
	plain := map[string]string{}
	ext := map[string][]section{}
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, "; \t")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			// A parameter without "=": skip it.
			if eq < 0 {
				break
			}
			rest = rest[eq:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var val string
		if strings.HasPrefix(rest, "\"") {
			var sb strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				c := rest[i]
				// QUIRK: Windows paths arrive unescaped in quoted file
				// names ("C:\TEMP\a.png"), so a backslash only escapes a
				// quote or a backslash.
				if c == '\\' && i+1 < len(rest) && (rest[i+1] == '"' || rest[i+1] == '\\') {
					i++
					sb.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					break
				}
				sb.WriteByte(c)
			}
			val = sb.String()
			if i < len(rest) {
				i++
			}
			rest = rest[i:]
			// Ignore anything between the closing quote and the next ";".
			if j := strings.IndexByte(rest, ';'); j >= 0 {
				rest = rest[j:]
			} else {
				rest = ""
			}
		} else {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				j = len(rest)
			}
			val = strings.TrimSpace(rest[:j])
			rest = rest[j:]
		}
		if key == "" {
			continue
		}
		// RFC 2231: name*, name*0, name*0*, name*1, …
		if star := strings.IndexByte(key, '*'); star >= 0 {
			base := key[:star]
			suffix := key[star+1:]
			sec := section{value: val}
			switch {
			case suffix == "":
				sec.ext = true
			default:
				isExt := strings.HasSuffix(suffix, "*")
				num := strings.TrimSuffix(suffix, "*")
				n, err := strconv.Atoi(num)
				if err != nil || n < 0 || n > 999 {
					continue
				}
				sec.n, sec.ext = n, isExt
			}
			if base != "" && len(ext[base]) < 1000 {
				ext[base] = append(ext[base], sec)
			}
			continue
		}
		if _, dup := plain[key]; !dup {
			plain[key] = val
		}
	}

	params := make(map[string]string, len(plain)+len(ext))
	for k, val := range plain {
		if k == "boundary" {
			params[k] = val // boundaries are compared byte for byte
			continue
		}
		params[k] = decodeWords(val, fallback)
	}
	for k, secs := range ext {
		sort.SliceStable(secs, func(i, j int) bool { return secs[i].n < secs[j].n })
		var raw []byte
		cs := ""
		for i, s := range secs {
			val := s.value
			if s.ext {
				if i == 0 {
					// charset'language'value
					if a := strings.IndexByte(val, '\''); a >= 0 {
						if b := strings.IndexByte(val[a+1:], '\''); b >= 0 {
							cs = val[:a]
							val = val[a+1+b+1:]
						}
					}
				}
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		var decoded string
		if cs != "" {
			decoded = decodeCharset(cs, raw)
		} else {
			decoded = decodeRaw(raw, fallback)
		}
		params[k] = decoded // RFC 2231 wins over a plain value
	}
	return value, params
}

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}
