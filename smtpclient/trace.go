package smtpclient

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// tracer writes a protocol trace, one line per command or reply line. The
// secrets of AUTH (the initial response, and every line the client sends
// after a 334 challenge) are replaced by "<redacted>".
type tracer struct {
	w       io.Writer
	partial []byte // a server line not yet complete
	secret  bool   // the server's last line was a 334 challenge: the next client line is secret
}

func (t *tracer) enabled() bool { return t != nil && t.w != nil }

func (t *tracer) printf(format string, args ...any) {
	if !t.enabled() {
		return
	}
	// Best effort: a failing trace writer must not fail the session.
	_, _ = fmt.Fprintf(t.w, format+"\n", args...)
}

// client traces bytes the client wrote: whole command lines.
func (t *tracer) client(p []byte) {
	if !t.enabled() {
		return
	}
	for _, line := range splitLines(p) {
		if t.secret {
			t.secret = false
			t.printf("C: <redacted>")
			continue
		}
		t.printf("C: %s", redact(line))
	}
}

// server traces bytes the server sent, which may end mid-line.
func (t *tracer) server(p []byte) {
	if !t.enabled() {
		return
	}
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			if len(t.partial) > 4096 {
				t.printf("S: %s…", printable(t.partial))
				t.partial = t.partial[:0]
			}
			return
		}
		line := bytes.TrimRight(t.partial[:i], "\r")
		t.secret = bytes.HasPrefix(line, []byte("334"))
		t.printf("S: %s", printable(line))
		t.partial = append(t.partial[:0], t.partial[i+1:]...)
	}
}

func splitLines(p []byte) []string {
	s := strings.TrimSuffix(strings.ReplaceAll(string(p), "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// redact hides AUTH's initial response ("AUTH PLAIN <base64>").
func redact(line string) string {
	fields := strings.Fields(line)
	if len(fields) >= 3 && strings.EqualFold(fields[0], "AUTH") {
		return fields[0] + " " + fields[1] + " <redacted>"
	}
	return printable([]byte(line))
}

// printable returns server or client words fit for a trace or an error.
func printable(b []byte) string {
	const max = 500
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
