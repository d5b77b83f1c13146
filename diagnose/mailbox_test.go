package diagnose

import (
	"testing"
	"time"

	"github.com/apartado/apartado/pop3client"
)

// The mailbox step counts the messages on the server in words that agree
// with the count, in English and in Spanish.
func TestMailboxFact(t *testing.T) {
	for _, tc := range []struct {
		stat   string
		en, es string
	}{
		{"0 0", "The mailbox on the server is empty.", "El buzón del servidor está vacío."},
		{"1 812", "1 message on the server, 812\u00a0B.", "1 mensaje en el servidor, 812\u00a0B."},
		{"2 3210", "2 messages on the server, 3.2\u00a0KB in all.", "2 mensajes en el servidor, 3,2\u00a0KB en total."},
		{"21 45000", "21 messages on the server, 45\u00a0KB in all.", "21 mensajes en el servidor, 45\u00a0KB en total."},
		{"12345 1300000", "12,345 messages on the server, 1.3\u00a0MB in all.", "12.345 mensajes en el servidor, 1,3\u00a0MB en total."},
	} {
		port := fakeServer{password: "p", stat: tc.stat}.start(t)
		res := runTest(t, TestSettings{Host: "127.0.0.1", Port: port, Security: pop3client.SecurityNone, Username: "u", Password: "p"}, TestOptions{})
		var facts []Message
		for _, s := range res.Steps {
			if s.Step == StepMailbox {
				facts = s.Facts
			}
		}
		if len(facts) != 1 {
			t.Fatalf("STAT %s: mailbox facts %v (result %+v)", tc.stat, facts, res)
		}
		if en, es := facts[0].Text(english, time.UTC), facts[0].Text(spanish, time.UTC); en != tc.en || es != tc.es {
			t.Errorf("STAT %s: %q, %q; want %q, %q", tc.stat, en, es, tc.en, tc.es)
		}
	}
}
