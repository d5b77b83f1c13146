package message

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// normalizeCTE maps a Content-Transfer-Encoding value to one of "base64",
// "quoted-printable", "uuencode" or "" (identity: 7bit, 8bit, binary and
// anything unknown, which is shown as it is rather than refused).
func normalizeCTE(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.Trim(v, "\"'")
	if i := strings.IndexAny(v, " \t;("); i >= 0 {
		v = v[:i]
	}
	switch v {
	case "base64", "base-64":
		return "base64"
	case "quoted-printable", "quoted_printable", "qp":
		return "quoted-printable"
	case "x-uuencode", "uuencode", "x-uue", "uue":
		return "uuencode"
	}
	return ""
}

// decodeTransfer removes a content transfer encoding. It never fails:
// damaged input decodes as far as it makes sense.
func decodeTransfer(b []byte, cte string) []byte {
	switch cte {
	case "base64":
		return decodeBase64(b)
	case "quoted-printable":
		return decodeQP(b)
	case "uuencode":
		return decodeUU(b)
	}
	return b
}

// decodedSize is len(decodeTransfer(b, cte)), computed without decoding
// base64 (the usual encoding of large attachments).
func decodedSize(b []byte, cte string) int64 {
	switch cte {
	case "base64":
		var total int64
		n := 0
		flush := func() {
			if n%4 == 1 {
				n--
			}
			total += int64(n / 4 * 3)
			switch n % 4 {
			case 2:
				total++
			case 3:
				total += 2
			}
			n = 0
		}
		for _, c := range b {
			if c == '=' {
				flush()
				continue
			}
			if base64Value(c) >= 0 {
				n++
			}
		}
		flush()
		return total
	case "quoted-printable", "uuencode":
		return int64(len(decodeTransfer(b, cte)))
	}
	return int64(len(b))
}

func base64Value(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '+', c == '-':
		return 62
	case c == '/', c == '_':
		return 63
	}
	return -1
}

// decodeBase64 decodes base64 leniently: characters outside the alphabet
// (line breaks, spaces, stray punctuation) are skipped, the URL-safe
// alphabet is accepted, padding may be missing, and data that continues
// after padding (concatenated encodings) is decoded too.
func decodeBase64(src []byte) []byte {
	dst := make([]byte, 0, len(src)*3/4+3)
	chunk := make([]byte, 0, 1024)
	flush := func() {
		n := len(chunk)
		if n%4 == 1 {
			n--
		}
		if n > 0 {
			out := make([]byte, base64.RawStdEncoding.DecodedLen(n))
			m, _ := base64.RawStdEncoding.Decode(out, chunk[:n])
			dst = append(dst, out[:m]...)
		}
		chunk = chunk[:0]
	}
	for _, c := range src {
		if c == '=' {
			flush()
			continue
		}
		switch v := base64Value(c); {
		case v < 0:
			continue
		case c == '-':
			c = '+'
		case c == '_':
			c = '/'
		}
		chunk = append(chunk, c)
		if len(chunk) == cap(chunk) && len(chunk)%4 == 0 {
			flush()
		}
	}
	flush()
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeQP decodes quoted-printable (RFC 2045 section 6.7) leniently: a "="
// that does not start a valid escape is kept as it is, trailing whitespace
// is dropped, and hard line breaks become CRLF.
func decodeQP(src []byte) []byte {
	dst := make([]byte, 0, len(src))
	for len(src) > 0 {
		var line []byte
		nl := false
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src, nl = src[:i], src[i+1:], true
		} else {
			line, src = src, nil
		}
		line = bytes.TrimRight(line, " \t\r")
		soft := false
		if len(line) > 0 && line[len(line)-1] == '=' {
			soft = true
			line = line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) {
				hi, ok1 := unhex(line[i+1])
				lo, ok2 := unhex(line[i+2])
				if ok1 && ok2 {
					dst = append(dst, hi<<4|lo)
					i += 2
					continue
				}
			}
			dst = append(dst, c)
		}
		if nl && !soft {
			dst = append(dst, '\r', '\n')
		}
	}
	return dst
}

// decodeUU decodes uuencoded data; the "begin" and "end" lines are optional.
func decodeUU(src []byte) []byte {
	dst := make([]byte, 0, len(src)*3/4)
	started := !bytes.Contains(src, []byte("begin "))
	for len(src) > 0 {
		var line []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			line, src = src, nil
		}
		line = bytes.TrimRight(line, "\r")
		if !started {
			if bytes.HasPrefix(line, []byte("begin ")) {
				started = true
			}
			continue
		}
		if bytes.Equal(bytes.TrimSpace(line), []byte("end")) {
			break
		}
		if len(line) == 0 {
			continue
		}
		n := int((line[0] - ' ') & 63)
		data := line[1:]
		var out []byte
		for i := 0; i+1 < len(data) && len(out) < n; i += 4 {
			var q [4]byte
			for k := 0; k < 4; k++ {
				if i+k < len(data) {
					q[k] = (data[i+k] - ' ') & 63
				}
			}
			out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
		}
		if len(out) > n {
			out = out[:n]
		}
		dst = append(dst, out...)
	}
	return dst
}
