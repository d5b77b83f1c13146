package compose

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
)

// The Content-Transfer-Encoding of text parts (text and HTML) follows one
// rule, applied to the lines as they will be sent:
//
//   - 7bit when every line is ASCII and at most 998 octets;
//   - else 8bit when the server offers 8BITMIME (RFC 6152) and every line
//     is at most 998 octets;
//   - else quoted-printable (which wraps at 76 and keeps format=flowed's
//     trailing spaces as "=20").
//
// Attachments are base64 in lines of 76 characters (RFC 2045 §6.8).
const (
	enc7bit   = "7bit"
	enc8bit   = "8bit"
	encQP     = "quoted-printable"
	encBase64 = "base64"
)

func textEncoding(lines []string, eightBit bool) string {
	ascii, long := true, false
	for _, l := range lines {
		long = long || len(l) > maxLine
		ascii = ascii && isASCII(l)
	}
	switch {
	case long:
		return encQP
	case ascii:
		return enc7bit
	case eightBit:
		return enc8bit
	}
	return encQP
}

// writeLines writes lines with CRLF endings in the given encoding.
func writeLines(w *bufio.Writer, lines []string, enc string) error {
	if enc != encQP {
		for _, l := range lines {
			w.WriteString(l)
			w.WriteString("\r\n")
		}
		return nil
	}
	qp := quotedprintable.NewWriter(w)
	for _, l := range lines {
		if _, err := io.WriteString(qp, l+"\r\n"); err != nil {
			return err
		}
	}
	return qp.Close()
}

// base64Line is the input of one 76-character line of base64.
const base64Line = 57

// writeBase64 streams r as base64 in lines of 76 characters, reading and
// writing 16 lines at a time: the memory used does not grow with r.
func writeBase64(w io.Writer, r io.Reader) error {
	const lines = 16
	in := make([]byte, base64Line*lines)
	out := make([]byte, 0, (76+2)*lines)
	for {
		n, err := io.ReadFull(r, in)
		out = out[:0]
		for i := 0; i < n; i += base64Line {
			chunk := in[i:min(i+base64Line, n)]
			out = base64.StdEncoding.AppendEncode(out, chunk)
			out = append(out, '\r', '\n')
		}
		if _, werr := w.Write(out); werr != nil {
			return werr
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return nil
		case err != nil:
			return err
		}
	}
}

// Base64Size is the size of n bytes of attachment once written as base64
// lines of 76 characters with CRLF, for checking a server's SIZE limit
// before writing.
func Base64Size(n int64) int64 {
	if n <= 0 {
		return 0
	}
	lines := (n + base64Line - 1) / base64Line
	return (n+2)/3*4 + 2*lines
}

// rfc822Scan is what a forwarded message's bytes allow: sent as they are
// (message/rfc822, 7bit or 8bit) only when every line ends in CRLF or LF,
// is at most 998 octets and holds no NUL or lone CR (RFC 2046 §5.2.1 allows
// no other encoding for message/rfc822).
type rfc822Scan struct {
	eightBit bool
	asIs     bool
}

func scanRFC822(r io.Reader) (rfc822Scan, error) {
	br := bufio.NewReaderSize(r, 4096)
	s := rfc822Scan{asIs: true}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return rfc822Scan{}, nil
		}
		body := line[:len(line)-countSuffix(line)]
		if len(body) > maxLine || bytes.IndexByte(body, 0) >= 0 || bytes.IndexByte(body, '\r') >= 0 {
			return rfc822Scan{}, nil
		}
		s.eightBit = s.eightBit || !asciiBytes(body)
		if err == io.EOF {
			return s, nil
		}
		if err != nil {
			return rfc822Scan{}, err
		}
	}
}

// writeRFC822 copies a message line by line with CRLF endings; scanRFC822
// has checked it.
func writeRFC822(w *bufio.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("message changed while it was read: a line is longer than %d octets", maxLine)
		}
		if len(line) > 0 {
			body := line[:len(line)-countSuffix(line)]
			w.Write(body)
			w.WriteString("\r\n")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// countSuffix is the length of the line ending at the end of line.
func countSuffix(line []byte) int {
	n := 0
	if len(line) > 0 && line[len(line)-1] == '\n' {
		n++
		if len(line) > 1 && line[len(line)-2] == '\r' {
			n++
		}
	}
	return n
}

// countingWriter counts what is written, notes octets beyond ASCII (which
// need BODY=8BITMIME) and refuses to go past max (when max > 0).
type countingWriter struct {
	w        io.Writer
	n, max   int64
	eightBit bool
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.max > 0 && c.n+int64(len(p)) > c.max {
		return 0, ErrTooLarge
	}
	if !c.eightBit {
		c.eightBit = !asciiBytes(p)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func asciiBytes(p []byte) bool {
	for _, c := range p {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
