package smtpfake

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/smtpclient"
)

// The server takes a message, follows its script, and counts a message
// cut off after its "." as received.
func TestServer(t *testing.T) {
	f := Start(t, &Server{})
	f.On("DOT", "451 4.7.1 later", "DROP")
	o := &smtpclient.Options{Security: smtpclient.SecurityNone, Username: "ana", Password: "secret", Timeout: 5 * time.Second}
	body := "Subject: x\r\n\r\n.dot\r\n"
	send := func() error {
		_, err := smtpclient.Send(context.Background(), f.Addr, o, "ana@example.test", []string{"bob@example.test"}, strings.NewReader(body))
		return err
	}
	if err := send(); smtpclient.KindOf(err) != smtpclient.KindTempFailure {
		t.Fatalf("first: %v", err)
	}
	if err := send(); smtpclient.KindOf(err) != smtpclient.KindMaybeSent {
		t.Fatalf("second: %v", err)
	}
	if err := send(); err != nil {
		t.Fatalf("third: %v", err)
	}
	got := f.Messages()
	if len(got) != 2 || string(got[1].Body) != body || got[1].From != "ana@example.test" || got[1].Rcpts[0] != "bob@example.test" {
		t.Fatalf("received %+v", got)
	}
	if !f.SawCommand("AUTH PLAIN") {
		t.Fatalf("commands %q", f.Commands())
	}
}
