package message

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// charsetAliases maps labels seen in real mail to the encoding mail clients
// actually use for them. Labels not listed go to go-message/charset, which
// knows every charset golang.org/x/text implements.
var charsetAliases = map[string]encoding.Encoding{
	// ISO-8859-1 and ASCII labels are read as Windows-1252, as browsers do:
	// the C1 range is almost always Windows "smart quotes" in practice.
	"iso-8859-1":     charmap.Windows1252,
	"iso8859-1":      charmap.Windows1252,
	"iso_8859-1":     charmap.Windows1252,
	"latin1":         charmap.Windows1252,
	"latin-1":        charmap.Windows1252,
	"l1":             charmap.Windows1252,
	"cp819":          charmap.Windows1252,
	"ibm819":         charmap.Windows1252,
	"cp1252":         charmap.Windows1252,
	"x-cp1252":       charmap.Windows1252,
	"cp932":          japanese.ShiftJIS,
	"ms932":          japanese.ShiftJIS,
	"windows-31j":    japanese.ShiftJIS,
	"x-sjis":         japanese.ShiftJIS,
	"sjis":           japanese.ShiftJIS,
	"shift-jis":      japanese.ShiftJIS,
	"x-euc-jp":       japanese.EUCJP,
	"gb2312":         simplifiedchinese.GBK,
	"x-gbk":          simplifiedchinese.GBK,
	"cp936":          simplifiedchinese.GBK,
	"euc-cn":         simplifiedchinese.GBK,
	"x-euc-cn":       simplifiedchinese.GBK,
	"ks_c_5601-1987": korean.EUCKR,
	"cp949":          korean.EUCKR,
	"tis-620":        charmap.Windows874,
	"iso-8859-11":    charmap.Windows874,
	"x-mac-roman":    charmap.Macintosh,
}

// isUTF8Label reports whether label names UTF-8 or a subset of it, or is a
// placeholder that says nothing: such text is read as UTF-8 when it is valid.
func isUTF8Label(label string) bool {
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us",
		"x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "x-utf_8j":
		return true
	}
	return false
}

// singleByteLabel reports whether label names a single-byte charset.
func singleByteLabel(label string) bool {
	if enc := charsetAliases[label]; enc == charmap.Windows1252 {
		return true
	}
	for _, p := range []string{"iso-8859-", "iso8859-", "iso_8859-", "windows-125", "cp125", "koi8", "latin"} {
		if strings.HasPrefix(label, p) {
			return true
		}
	}
	return false
}

// normalizeCharset lowercases a charset label and removes quotes, spaces and
// an RFC 2231 language suffix.
func normalizeCharset(label string) string {
	label = strings.ToLower(strings.TrimSpace(label))
	label = strings.Trim(label, "\"' \t")
	if i := strings.IndexByte(label, '*'); i >= 0 { // RFC 2231 section 5
		label = label[:i]
	}
	return label
}

// decodeCharset converts b from the named charset to valid UTF-8. It never
// fails: an unknown charset is read as UTF-8 when b is valid UTF-8 and as
// Windows-1252 otherwise.
func decodeCharset(label string, b []byte) string {
	label = normalizeCharset(label)
	if isUTF8Label(label) {
		return utf8Guess(b)
	}
	if label == "utf-7" || label == "unicode-1-1-utf-7" || label == "x-utf-7" {
		return decodeUTF7(b)
	}
	if singleByteLabel(label) && isASCII(b) {
		return string(b)
	}
	if singleByteLabel(label) && utf8.Valid(b) {
		// QUIRK: UTF-8 sent with a Latin (or other single-byte) label is a
		// common mislabelling, and non-ASCII text in those charsets is
		// practically never valid UTF-8 by accident.
		return string(b)
	}
	enc := charsetAliases[label]
	if enc == nil {
		if s, ok := decodeWithGoMessage(label, b); ok {
			return s
		}
		if e, err := htmlindex.Get(label); err == nil && e != encoding.Replacement {
			enc = e
		}
	}
	if enc == nil {
		return fallbackDecode(b)
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return fallbackDecode(b)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

func decodeWithGoMessage(label string, b []byte) (string, bool) {
	r, err := charset.Reader(label, bytes.NewReader(b))
	if err != nil || r == nil {
		return "", false
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return "", false
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), true
}

// fallbackDecode is the rule for text whose charset is unknown: UTF-8 when
// it is valid, Windows-1252 otherwise.
func fallbackDecode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return decodeWindows1252(b)
}

// utf8Guess reads text labelled UTF-8 (or ASCII, or nothing). Invalid bytes
// in mostly valid UTF-8 become U+FFFD; text that is mostly not UTF-8 at all
// is read as Windows-1252, the usual mislabelling.
func utf8Guess(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	valid, invalid := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			invalid++
			i++
			continue
		}
		valid++
		i += n
	}
	if valid > invalid {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return decodeWindows1252(b)
}

func decodeWindows1252(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// decodeUTF7 decodes RFC 2152 UTF-7, which golang.org/x/text does not
// implement but old mail still declares.
func decodeUTF7(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '+' {
			if c < utf8.RuneSelf {
				sb.WriteByte(c)
			} else {
				sb.WriteRune(utf8.RuneError)
			}
			i++
			continue
		}
		j := i + 1
		for j < len(b) && isBase64Char(b[j]) {
			j++
		}
		run := b[i+1 : j]
		i = j
		if i < len(b) && b[i] == '-' {
			i++
		}
		if len(run) == 0 {
			sb.WriteByte('+')
			continue
		}
		n := len(run)
		if n%4 == 1 {
			n--
		}
		raw, err := base64.RawStdEncoding.DecodeString(string(run[:n]))
		if err != nil {
			sb.WriteRune(utf8.RuneError)
			continue
		}
		units := make([]uint16, 0, len(raw)/2)
		for k := 0; k+1 < len(raw); k += 2 {
			units = append(units, uint16(raw[k])<<8|uint16(raw[k+1]))
		}
		for _, r := range utf16.Decode(units) {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

func isBase64Char(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// knownCharset reports whether label names a charset other than UTF-8 (or
// ASCII) that can be decoded.
func knownCharset(label string) bool {
	label = normalizeCharset(label)
	if isUTF8Label(label) {
		return false
	}
	if charsetAliases[label] != nil || label == "utf-7" {
		return true
	}
	if _, err := charset.Reader(label, bytes.NewReader(nil)); err == nil {
		return true
	}
	e, err := htmlindex.Get(label)
	return err == nil && e != encoding.Replacement
}
