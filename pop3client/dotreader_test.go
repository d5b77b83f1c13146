package pop3client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// unstuffRef is the obviously-correct, byte-at-a-time definition of what
// dotReader must return for a multi-line response, and what remains after it.
func unstuffRef(in []byte) (body, rest []byte, complete bool) {
	lineStart := true
	for i := 0; i < len(in); {
		if lineStart && in[i] == '.' {
			switch {
			case i+1 < len(in) && in[i+1] == '\n':
				return body, in[i+2:], true
			case i+2 < len(in) && in[i+1] == '\r' && in[i+2] == '\n':
				return body, in[i+3:], true
			case i+1 >= len(in), i+2 >= len(in) && in[i+1] == '\r':
				return body, nil, false // cannot tell yet: the stream ended
			}
			i++ // the stuffed dot
			lineStart = false
			continue
		}
		body = append(body, in[i])
		lineStart = in[i] == '\n'
		i++
	}
	return body, nil, false
}

var dotCases = []struct {
	name string
	in   string
	want string
}{
	{"empty", ".\r\n", ""},
	{"simple", "a\r\nb\r\n.\r\n", "a\r\nb\r\n"},
	{"stuffed", "..a\r\n...\r\n.\r\n", ".a\r\n..\r\n"},
	{"dot alone stuffed", "..\r\n.\r\n", ".\r\n"},
	{"bare LF lines", "a\nb\n.\r\n", "a\nb\n"},
	{"bare LF terminator", "a\r\nb\n.\n", "a\r\nb\n"},
	{"terminator after bare LF", "line\n.\r\n", "line\n"},
	{"dot CR not LF", ".\rx\r\n.\r\n", "\rx\r\n"},
	{"dot not at line start", "a.b\r\n.a\r\n.\r\n", "a.b\r\na\r\n"},
	{"NUL and 8-bit", "\x00\xff\xfe\r\n\x80.\r\n.\r\n", "\x00\xff\xfe\r\n\x80.\r\n"},
	{"lone CR inside", "a\rb\r\n.\r\n", "a\rb\r\n"},
	{"CRLF.CRLF inside stuffed", "a\r\n..\r\nb\r\n.\r\n", "a\r\n.\r\nb\r\n"},
}

func readDot(t *testing.T, in string, bufSize int, useWriteTo bool, wrap func(io.Reader) io.Reader) (string, string, error) {
	t.Helper()
	var src io.Reader = strings.NewReader(in)
	if wrap != nil {
		src = wrap(src)
	}
	br := bufio.NewReaderSize(src, bufSize)
	d := newDotReader(br)
	var out bytes.Buffer
	var err error
	if useWriteTo {
		_, err = d.WriteTo(&out)
	} else {
		_, err = io.Copy(&out, struct{ io.Reader }{d}) // hide WriteTo
	}
	rest, _ := io.ReadAll(br)
	return out.String(), string(rest), err
}

func TestDotReader(t *testing.T) {
	for _, tc := range dotCases {
		for _, size := range []int{16, 17, 4096} {
			for _, wt := range []bool{false, true} {
				for _, wrap := range []func(io.Reader) io.Reader{nil, iotest.OneByteReader, iotest.HalfReader} {
					got, rest, err := readDot(t, tc.in+"NEXT", size, wt, wrap)
					if err != nil {
						t.Fatalf("%s (buf %d, WriteTo %v): %v", tc.name, size, wt, err)
					}
					if got != tc.want {
						t.Errorf("%s (buf %d, WriteTo %v): got %q, want %q", tc.name, size, wt, got, tc.want)
					}
					if rest != "NEXT" {
						t.Errorf("%s: terminator handling left %q, want the next reply untouched", tc.name, rest)
					}
				}
			}
		}
	}
}

func TestDotReaderTruncated(t *testing.T) {
	for _, in := range []string{"", "abc", "abc\r\n", "abc\r\n.", "abc\r\n.\r", "abc\r\n..x"} {
		for _, wt := range []bool{false, true} {
			_, _, err := readDot(t, in, 16, wt, nil)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%q (WriteTo %v): got %v, want io.ErrUnexpectedEOF", in, wt, err)
			}
		}
	}
}

func TestDotReaderLongLines(t *testing.T) {
	// A 3 MB line with no line end at all, then a 1 MB stuffed line.
	long := bytes.Repeat([]byte("x"), 3<<20)
	in := string(long) + "\r\n.." + string(long[:1<<20]) + "\r\n.\r\n"
	want := string(long) + "\r\n." + string(long[:1<<20]) + "\r\n"
	for _, wt := range []bool{false, true} {
		got, _, err := readDot(t, in, 4096, wt, nil)
		if err != nil || got != want {
			t.Fatalf("WriteTo %v: err %v, got %d bytes, want %d", wt, err, len(got), len(want))
		}
	}
}

func FuzzDotReader(f *testing.F) {
	for _, tc := range dotCases {
		f.Add([]byte(tc.in), uint8(16))
	}
	f.Add([]byte("a\r\n.\r"), uint8(1))
	f.Add([]byte(".\n.\n"), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, size uint8) {
		wantBody, wantRest, complete := unstuffRef(in)
		for _, wt := range []bool{false, true} {
			got, rest, err := readDot(t, string(in), 16+int(size), wt, iotest.HalfReader)
			if !complete {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("incomplete input: got err %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("complete input: %v", err)
			}
			if got != string(wantBody) || rest != string(wantRest) {
				t.Fatalf("WriteTo %v: got %q rest %q, want %q rest %q", wt, got, rest, wantBody, wantRest)
			}
		}
	})
}

func BenchmarkDotReader(b *testing.B) {
	var msg bytes.Buffer
	for msg.Len() < 1<<20 {
		msg.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\r\n")
		msg.WriteString("..stuffed line\r\n")
	}
	msg.WriteString(".\r\n")
	in := msg.Bytes()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		d := newDotReader(bufio.NewReaderSize(bytes.NewReader(in), readBufferSize))
		if _, err := d.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
