package pop3client

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// tracer writes a protocol trace, one line per command or reply, with
// secrets replaced by "<redacted>". Message bodies are summarised, not
// copied. It is safe for the pipelining writer and reader to share.
type tracer struct {
	mu sync.Mutex
	w  io.Writer
}

func (t *tracer) enabled() bool { return t != nil && t.w != nil }

func (t *tracer) printf(format string, args ...any) {
	if !t.enabled() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Trace output is best effort: a failing trace writer must not fail the session.
	_, _ = fmt.Fprintf(t.w, format+"\n", args...)
}

// client traces a command line the client sends, redacting secrets.
func (t *tracer) client(line string) {
	if !t.enabled() {
		return
	}
	t.printf("C: %s", redact(line))
}

// secret traces a line that is entirely secret (a SASL response).
func (t *tracer) secret() { t.printf("C: <redacted>") }

func (t *tracer) server(line []byte) {
	if !t.enabled() {
		return
	}
	t.printf("S: %s", strings.ToValidUTF8(string(line), "\uFFFD"))
}

// redact hides the secret parts of a command line: the argument of PASS, the
// digest of APOP, and the initial response of AUTH.
func redact(line string) string {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return line
	}
	switch strings.ToUpper(fields[0]) {
	case "PASS":
		return fields[0] + " <redacted>"
	case "APOP":
		if len(fields) >= 2 {
			return fields[0] + " " + fields[1] + " <redacted>"
		}
	case "AUTH":
		if len(fields) >= 3 {
			return fields[0] + " " + fields[1] + " <redacted>"
		}
	}
	return line
}
