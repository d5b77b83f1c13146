package mailgen

import (
	"bytes"
	"net/mail"
	"testing"
)

func TestMailbox(t *testing.T) {
	m := Mailbox{Seed: 7}
	var dotted, large, total int
	for i := 0; i < 400; i++ {
		msg := m.Message(i)
		if !bytes.Equal(msg, m.Message(i)) {
			t.Fatalf("message %d is not reproducible", i)
		}
		if bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\n")) || !bytes.HasSuffix(msg, []byte("\r\n")) {
			t.Fatalf("message %d: bare LF or no final CRLF", i)
		}
		parsed, err := mail.ReadMessage(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("message %d does not parse: %v", i, err)
		}
		if _, err := parsed.Header.AddressList("From"); err != nil {
			t.Fatalf("message %d From: %v", i, err)
		}
		if bytes.Contains(msg, []byte("\r\n.")) {
			dotted++
		}
		if len(msg) >= 100<<10 {
			large++
			if len(msg) > 2100<<10 {
				t.Errorf("message %d is %d bytes", i, len(msg))
			}
		} else if len(msg) < 2<<10 || len(msg) > 22<<10 {
			t.Errorf("message %d is %d bytes", i, len(msg))
		}
		total += len(msg)
	}
	if dotted < 100 || large != 20 {
		t.Errorf("%d messages with dot-stuffed lines, %d large; want many and 20", dotted, large)
	}
	if avg := total / 400; avg < 25<<10 || avg > 70<<10 {
		t.Errorf("average size %d, want about 43 KB", avg)
	}
	if b := Big(1 << 20); len(b) < 1<<20 {
		t.Errorf("Big: %d bytes", len(b))
	}
}
