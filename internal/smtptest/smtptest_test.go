package smtptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

func message(subject string) []byte {
	return []byte("From: Alice <alice@example.test>\r\nTo: alice@example.test\r\n" +
		"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@example.test>\r\n" +
		"Subject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Hola, ¿qué tal?\r\n.\r\n..a line that starts with dots\r\nlast line\r\n")
}

func (s *Server) options(sec smtpclient.Security, password string) *smtpclient.Options {
	return &smtpclient.Options{Security: sec, ExtraRootCAs: []*x509Cert{s.Cert.X509}, Username: dovecottest.DefaultUser,
		Password: password, Timeout: 20 * time.Second}
}

// retrieve reads user's messages over POP3 from the Dovecot the mail was
// delivered to, waiting until n have arrived (Postfix delivers in the
// background).
func retrieve(t *testing.T, s *Server, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, err := s.Dovecot.Messages(dovecottest.DefaultUser)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages delivered to the Maildir", len(msgs), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx := context.Background()
	c, err := pop3client.Dial(ctx, s.Dovecot.TLSAddr, &pop3client.Options{TLSConfig: &tlsConfig{RootCAs: s.Dovecot.RootCAs(), ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(ctx, dovecottest.DefaultUser, dovecottest.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for i := 1; i <= n; i++ {
		if err := c.Retr(ctx, i, func(r io.Reader) error {
			b, err := io.ReadAll(r)
			out = append(out, b)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSendThroughPostfix sends through both listeners with AUTH and reads
// each message back over POP3 from Dovecot: what was sent arrives byte for
// byte, after the trace headers Postfix adds at the top.
func TestSendThroughPostfix(t *testing.T) {
	s := Start(t, nil)
	t.Logf("Postfix answered on both listeners %s after start", s.StartTime)
	var sent [][]byte
	for i, sec := range []smtpclient.Security{smtpclient.SecuritySTARTTLS, smtpclient.SecurityTLS} {
		addr := s.SubmissionAddr
		if sec == smtpclient.SecurityTLS {
			addr = s.SubmissionsAddr
		}
		msg := message(fmt.Sprintf("test %d over %s", i, sec))
		res, err := smtpclient.Send(context.Background(), addr, s.options(sec, dovecottest.DefaultPassword),
			Address(dovecottest.DefaultUser), []string{Address(dovecottest.DefaultUser)}, bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("%s: %v", sec, err)
		}
		if res.TLS == nil || res.Auth != "PLAIN" || res.MaxSize != 10240000 || !res.SMTPUTF8 || !res.EightBitMIME {
			t.Errorf("%s: capabilities %+v", sec, res.Capabilities)
		}
		if !strings.Contains(res.Reply, "queued as") {
			t.Errorf("%s: reply %q", sec, res.Reply)
		}
		sent = append(sent, msg)
	}
	got := retrieve(t, s, len(sent))
	for i := range sent {
		if !bytes.HasSuffix(got[i], sent[i]) {
			t.Errorf("message %d over POP3:\n%s\nwant it to end with what was sent:\n%s", i, got[i], sent[i])
		}
		if !bytes.Contains(got[i], []byte("Received: from ")) {
			t.Errorf("message %d went through no Postfix:\n%s", i, got[i])
		}
	}
}

func TestPostfixRefusals(t *testing.T) {
	s := Start(t, nil)
	ctx := context.Background()
	send := func(o *smtpclient.Options, from, rcpt string) error {
		_, err := smtpclient.Send(ctx, s.SubmissionsAddr, o, from, []string{rcpt}, bytes.NewReader(message("refused")))
		return err
	}
	alice := Address(dovecottest.DefaultUser)
	check := func(name string, err error, kind smtpclient.Kind, step smtpclient.Step) {
		t.Helper()
		var e *smtpclient.Error
		if !asError(err, &e) || e.Kind != kind || e.Step != step {
			t.Errorf("%s: err = %v, want %s at %s", name, err, kind, step)
		}
	}
	check("wrong password", send(s.options(smtpclient.SecurityTLS, "wrong"), alice, alice), smtpclient.KindAuthFailed, smtpclient.StepAuth)
	check("unknown local recipient", send(s.options(smtpclient.SecurityTLS, dovecottest.DefaultPassword), alice, Address("nobody")),
		smtpclient.KindRecipientUnknown, smtpclient.StepRcpt)
	// Postfix delays the refusal of a sender to RCPT (smtpd_delay_reject).
	check("sender not owned", send(s.options(smtpclient.SecurityTLS, dovecottest.DefaultPassword), Address("bob"), alice),
		smtpclient.KindSenderRefused, smtpclient.StepRcpt)
	anon := s.options(smtpclient.SecurityTLS, "")
	anon.Username = ""
	check("relay without AUTH", send(anon, "someone@elsewhere.test", "x@elsewhere.test"), smtpclient.KindRelayDenied, smtpclient.StepRcpt)
	plain := s.options(smtpclient.SecurityNone, dovecottest.DefaultPassword)
	check("AUTH before STARTTLS", send2(ctx, s.SubmissionAddr, plain, alice), smtpclient.KindEncryptionRequired, smtpclient.StepAuth)
	if msgs, err := s.Dovecot.Messages(dovecottest.DefaultUser); err != nil || len(msgs) != 0 {
		t.Errorf("refused messages were delivered: %d, %v", len(msgs), err)
	}
}

func send2(ctx context.Context, addr string, o *smtpclient.Options, who string) error {
	_, err := smtpclient.Send(ctx, addr, o, who, []string{who}, bytes.NewReader(message("plain")))
	return err
}

type (
	x509Cert  = x509.Certificate
	tlsConfig = tls.Config
)

func asError(err error, target **smtpclient.Error) bool { return errors.As(err, target) }
