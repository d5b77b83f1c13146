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

// WriteTo writes the rest of the body to w straight from the read buffer,
// saving a copy when the caller uses io.Copy.
func (d *dotReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for !d.done && d.err == nil {
		if d.lineStart {
			if d.atLineStart(); d.done || d.err != nil {
				break
			}
		}
		d.gather()
		c := d.chunk(d.r.Size())
		if len(c) == 0 {
			break
		}
		m, err := w.Write(c)
		if m > 0 {
			d.lineStart = c[m-1] == '\n'
		}
		total += int64(m)
		d.discard(m)
		if err != nil {
			return total, err
		}
		if m < len(c) {
			return total, io.ErrShortWrite
		}
	}
	if d.err != nil {
		return total, d.err
	}
	return total, nil
}

// minWrite is how much WriteTo gathers before writing, when it can.
const minWrite = 32 << 10

// gather fills the read buffer up to minWrite bytes before WriteTo writes,
// so that a server sending small TLS records (Dovecot's are 2 KB) does not
// cost one write to a file per record. It only waits for bytes the message
// still needs: it stops at the first "\n." (or a "." starting the buffer at
// a line start), which may be the terminator.
func (d *dotReader) gather() {
	scanned := 0
	for {
		n := d.r.Buffered()
		if n >= minWrite || n >= d.r.Size() {
			return
		}
		buf, _ := d.r.Peek(n)
		if d.lineStart && n > 0 && buf[0] == '.' {
			return
		}
		if bytes.Contains(buf[max(scanned-1, 0):], lfDot) {
			return
		}
		scanned = n
		if _, err := d.r.Peek(n + 1); err != nil {
			return // chunk reports it
		}
	}
}

// noEOF turns an end of stream inside a multi-line response into
// io.ErrUnexpectedEOF: the terminator never came.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
