package smtpclient

import (
	"bufio"
	"strings"
	"testing"
)

// FuzzReadReply feeds the reply reader (used for the greeting and the
// STARTTLS exchange) arbitrary server bytes: it must not panic, and what
// it accepts must be a well-formed reply.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"220 mx.example.net ESMTP Postfix\r\n",
		"250-mx.example.net\r\n250-STARTTLS\r\n250 SIZE 10240000\r\n",
		"554 5.3.2 no service\r\n", "220\r\n", "+OK POP3\r\n", "250-a\r\n251 b\r\n", "\x16\x03\x01\x00",
		"220-first\n220 last\n", "535 5.7.8 Error: authentication failed\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := readReply(bufio.NewReader(strings.NewReader(s)))
		if err != nil {
			return
		}
		if r.code < 200 || r.code > 599 || len(r.lines) == 0 || !strings.HasPrefix(s, string(r.raw)) {
			t.Fatalf("accepted %q as code %d, %d lines, raw %q", s, r.code, len(r.lines), r.raw)
		}
		if r.enhanced != "" && r.enhanced[0]-'0' != byte(r.code/100) {
			t.Fatalf("enhanced code %q with reply %d", r.enhanced, r.code)
		}
	})
}

// FuzzClassifyReply checks the rules every classification must keep,
// whatever the server says: a 4xx is temporary and a 5xx never is, and
// nothing panics.
func FuzzClassifyReply(f *testing.F) {
	f.Add(535, "5.7.8", "Error: authentication failed", uint8(5), true)
	f.Add(451, "4.7.1", "Greylisted", uint8(8), false)
	f.Add(553, "", "Sender address rejected: not owned by user", uint8(6), true)
	f.Add(554, "5.7.1", "Relay access denied", uint8(7), true)
	steps := []Step{StepGreeting, StepHello, StepSTARTTLS, StepAuth, StepMail, StepRcpt, StepData, StepDot, StepQuit}
	f.Fuzz(func(t *testing.T, code int, enhanced, text string, step uint8, tlsOn bool) {
		st := steps[int(step)%len(steps)]
		k := classifyReply(st, code, enhanced, text, tlsOn)
		e := &Error{Kind: k, Step: st, Code: code}
		switch {
		case code >= 400 && code < 500:
			if k != KindTempFailure || !e.Temporary() {
				t.Fatalf("%d at %s: %s, temporary %v", code, st, k, e.Temporary())
			}
		case code >= 500 && code < 600:
			if e.Temporary() || k == KindTempFailure || k == KindMaybeSent {
				t.Fatalf("%d at %s: %s must be permanent", code, st, k)
			}
		}
	})
}
