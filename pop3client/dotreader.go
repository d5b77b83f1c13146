package pop3client

import (
	"bufio"
	"bytes"
	"io"
)

// dotReader reads the body of a multi-line response (RFC 1939 §3) and
// returns the bytes exactly as the server sent them, line ends included,
// except that exactly one leading "." is removed from every line that starts
// with one, and the terminating ".CRLF" line is consumed and not returned.
//
// textproto.DotReader cannot be used: it rewrites line endings.
//
// QUIRK: servers that store mail with bare LF sometimes send it that way;
// a line is any run of bytes ending in LF, so "\n.\n" and "\n.\r\n" both
// terminate the response. ".\r" followed by anything other than LF is a
// stuffed line, not a terminator.
//
// For speed it never looks at bytes one at a time: it copies whole runs
// from the bufio.Reader's buffer up to the next "\n.".
type dotReader struct {
	r         *bufio.Reader
	lineStart bool // the next byte begins a line
	done      bool
	err       error
	out       []byte // WriteTo's batch buffer; may be shared by successive readers of one session
}

func newDotReader(r *bufio.Reader) *dotReader {
	return &dotReader{r: r, lineStart: true}
}

var lfDot = []byte("\n.")

// atLineStart handles a "." at the start of a line: the terminator, or a
// stuffed dot. It returns with d.done or d.err set, or with the dot removed.
func (d *dotReader) atLineStart() {
	d.lineStart = false
	b, err := d.r.Peek(1)
	if err != nil {
		d.err = noEOF(err)
		return
	}
	if b[0] != '.' {
		return
	}
	if b, err = d.r.Peek(2); err != nil {
		d.err = noEOF(err)
		return
	}
	switch b[1] {
	case '\n':
		d.discard(2)
		d.done = true
		return
	case '\r':
		if b, err = d.r.Peek(3); err != nil {
			d.err = noEOF(err)
			return
		}
		if b[2] == '\n' {
			d.discard(3)
			d.done = true
			return
		}
	}
	d.discard(1) // a stuffed dot
}

func (d *dotReader) discard(n int) {
	// Discard of buffered bytes cannot fail.
	_, _ = d.r.Discard(n)
}

// chunk returns the next run of message bytes available in the buffer, at
// most max long, ending at the first line end that is followed by a ".".
func (d *dotReader) chunk(max int) []byte {
	if d.r.Buffered() == 0 {
		if _, err := d.r.Peek(1); err != nil {
			d.err = noEOF(err)
			return nil
		}
	}
	buf, _ := d.r.Peek(d.r.Buffered())
	if len(buf) > max {
		buf = buf[:max]
	}
	if i := bytes.Index(buf, lfDot); i >= 0 {
		buf = buf[:i+1]
	}
	return buf
}

func (d *dotReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !d.done && d.err == nil {
		if d.lineStart {
			if d.atLineStart(); d.done || d.err != nil {
				break
			}
		}
		c := d.chunk(len(p) - n)
		if len(c) == 0 {
			break
		}
		copy(p[n:], c)
		n += len(c)
		d.lineStart = c[len(c)-1] == '\n'
		d.discard(len(c))
	}
	if n > 0 {
		return n, nil
	}
	if d.err != nil {
		return 0, d.err
	}
	if d.done {
		return 0, io.EOF
	}
	return 0, nil
}

// WriteTo writes the rest of the body to w. Large runs go straight from the
// read buffer; small ones (Dovecot sends 2 KB TLS records, and every
// dot-stuffed line splits a run) are gathered into batches of at least
// 32 KiB first, so that copying a body into a file costs one write(2) per
// 32 KiB rather than one per record.
func (d *dotReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	write := func(p []byte) error {
		m, err := w.Write(p)
		total += int64(m)
		if err == nil && m < len(p) {
			err = io.ErrShortWrite
		}
		return err
	}
	if d.out == nil {
		d.out = make([]byte, 0, 2*minWrite)
	}
	out := d.out[:0]
	for !d.done && d.err == nil {
		if d.lineStart {
			if d.atLineStart(); d.done || d.err != nil {
				break
			}
		}
		c := d.chunk(d.r.Size())
		if len(c) == 0 {
			break
		}
		d.lineStart = c[len(c)-1] == '\n'
		if len(out)+len(c) > cap(out) {
			err := write(out)
			out = out[:0]
			if err != nil {
				d.discard(len(c))
				return total, err
			}
		}
		if len(out) == 0 && len(c) >= minWrite {
			err := write(c)
			d.discard(len(c))
			if err != nil {
				return total, err
			}
			continue
		}
		out = append(out, c...)
		d.discard(len(c))
		if len(out) >= minWrite {
			err := write(out)
			out = out[:0]
			if err != nil {
				return total, err
			}
		}
	}
	if len(out) > 0 {
		if err := write(out); err != nil {
			return total, err
		}
	}
	if d.err != nil {
		return total, d.err
	}
	return total, nil
}

// minWrite is the least WriteTo gathers before writing, when it can.
const minWrite = 32 << 10

// noEOF turns an end of stream inside a multi-line response into
// io.ErrUnexpectedEOF: the terminator never came.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
