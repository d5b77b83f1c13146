package smtpclient

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/dnstest"
	"github.com/apartado/apartado/internal/smtpfake"
	"github.com/apartado/apartado/internal/testcert"
)

const testBody = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: hi\r\n\r\nhello\r\n.\r\n..two dots\r\n.\r\nbye\r\n"

// pki is a CA the client trusts and a server certificate it signed for
// localhost and 127.0.0.1.
type pki struct {
	ca, server *testcert.Cert
}

func newPKI(t *testing.T) pki {
	ca := testcert.New(t, testcert.Spec{CommonName: "Test CA", IsCA: true}, nil)
	srv := testcert.New(t, testcert.Spec{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, ca)
	return pki{ca: ca, server: srv}
}

func (p pki) opts(sec Security) *Options {
	return &Options{Security: sec, ExtraRootCAs: []*x509.Certificate{p.ca.X509}, Username: "alice", Password: "secret",
		Timeout: 5 * time.Second}
}

func send(t *testing.T, addr string, o *Options, body string, rcpts ...string) (Result, error) {
	t.Helper()
	if len(rcpts) == 0 {
		rcpts = []string{"bob@example.test"}
	}
	return Send(context.Background(), addr, o, "alice@example.test", rcpts, strings.NewReader(body))
}

// wantErr checks that err is an *Error of kind at step, and returns it.
func wantErr(t *testing.T, err error, kind Kind, step Step) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *Error of kind %s", err, err, kind)
	}
	if e.Kind != kind || e.Step != step {
		t.Fatalf("err = %v: kind %s at %s, want %s at %s", err, e.Kind, e.Step, kind, step)
	}
	return e
}

func TestSendSTARTTLSDelivers(t *testing.T) {
	p := newPKI(t)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS})
	res, err := send(t, f.Addr, p.opts(SecuritySTARTTLS), testBody, "bob@example.test", "carol@example.test")
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.Messages()
	if len(msgs) != 1 || string(msgs[0].Body) != testBody {
		t.Fatalf("server got %q, want the body byte for byte", msgs)
	}
	if m := msgs[0]; m.From != "alice@example.test" || strings.Join(m.Rcpts, ",") != "bob@example.test,carol@example.test" {
		t.Errorf("envelope = %q %q", m.From, m.Rcpts)
	}
	if res.Reply != "2.0.0 Ok: queued as FAKE1" && res.Reply != "Ok: queued as FAKE1" {
		t.Errorf("Reply = %q", res.Reply)
	}
	if res.TLS == nil || !res.SMTPUTF8 || !res.EightBitMIME || res.MaxSize != 100000 || res.Auth != "PLAIN" {
		t.Errorf("capabilities = %+v", res.Capabilities)
	}
	if !f.SawCommand("EHLO [127.0.0.1]") {
		t.Errorf("no EHLO with the connection's address literal in %q", f.Commands())
	}
	if !f.SawCommand("STARTTLS") || !f.SawCommand("AUTH-AS ALICE") {
		t.Errorf("commands = %q", f.Commands())
	}
	if !f.SawCommand("MAIL FROM:<alice@example.test> BODY=8BITMIME SIZE=") {
		t.Errorf("MAIL did not declare the size: %q", f.Commands())
	}
}

func TestSendImplicitTLSWithLOGIN(t *testing.T) {
	p := newPKI(t)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true, Ext: []string{"AUTH LOGIN", "SIZE 100000"}})
	res, err := send(t, f.Addr, p.opts(SecurityTLS), testBody)
	if err != nil {
		t.Fatal(err)
	}
	if res.Auth != "LOGIN" || res.TLS == nil || res.SMTPUTF8 {
		t.Errorf("capabilities = %+v", res.Capabilities)
	}
	if len(f.Messages()) != 1 {
		t.Fatal("no message")
	}
}

func TestSendXOAUTH2Token(t *testing.T) {
	p := newPKI(t)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true, Ext: []string{"AUTH XOAUTH2"}, Password: "tok-123"})
	o := p.opts(SecurityTLS)
	o.Password, o.Token = "", "tok-123"
	res, err := send(t, f.Addr, o, testBody)
	if err != nil {
		t.Fatal(err)
	}
	if res.Auth != "XOAUTH2" || !f.SawCommand("AUTH-AS ALICE") {
		t.Errorf("auth = %q, commands %q", res.Auth, f.Commands())
	}
	// A password with only OAuth offered: the user needs OAuth, not a new password.
	o.Token, o.Password = "", "secret"
	_, err = send(t, f.Addr, o, testBody)
	wantErr(t, err, KindOAuthRequired, StepAuth)
}

func TestSendPinnedSelfSigned(t *testing.T) {
	self := testcert.New(t, testcert.Spec{CommonName: "mail.example.test", DNSNames: []string{"mail.example.test"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, nil)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &self.TLS, Implicit: true})
	o := &Options{Username: "alice", Password: "secret", Timeout: 5 * time.Second}
	_, err := send(t, f.Addr, o, testBody)
	e := wantErr(t, err, KindUnknownAuthority, StepTLS)
	if e.Cert == nil || !e.Cert.SelfSigned || e.Cert.SHA256 == "" {
		t.Fatalf("Cert = %+v, want the self-signed certificate", e.Cert)
	}
	o.TrustedFingerprints = []string{strings.ToUpper(e.Cert.SHA256)}
	if _, err := send(t, f.Addr, o, testBody); err != nil {
		t.Fatalf("pinned certificate refused: %v", err)
	}
}

func TestCertificateKinds(t *testing.T) {
	p := newPKI(t)
	local := []net.IP{net.IPv4(127, 0, 0, 1)}
	other := testcert.New(t, testcert.Spec{CommonName: "Other CA", IsCA: true}, nil)
	cases := []struct {
		name string
		cert *testcert.Cert
		kind Kind
	}{
		{"expired", testcert.New(t, testcert.Spec{CommonName: "localhost", IPs: local,
			NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, p.ca), KindCertificateExpired},
		{"wrong name", testcert.New(t, testcert.Spec{CommonName: "other.test", DNSNames: []string{"other.test"}}, p.ca), KindCertificateName},
		{"unknown authority", testcert.New(t, testcert.Spec{CommonName: "localhost", IPs: local}, other), KindUnknownAuthority},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, sec := range []Security{SecurityTLS, SecuritySTARTTLS} {
				f := smtpfake.Start(t, &smtpfake.Server{Cert: &c.cert.TLS, Implicit: sec == SecurityTLS})
				_, err := send(t, f.Addr, p.opts(sec), testBody)
				e := wantErr(t, err, c.kind, StepTLS)
				if e.Cert == nil || e.Cert.SHA256 == "" {
					t.Errorf("%s: no certificate in the error", sec)
				}
				if f.SawCommand("AUTH") {
					t.Errorf("%s: credentials sent over an unverified connection", sec)
				}
			}
		})
	}
}

type noSuchHost struct{}

func (noSuchHost) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

type blackhole struct{}

func (blackhole) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	<-ctx.Done()
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
}

func TestConnectKinds(t *testing.T) {
	t.Run("name does not resolve", func(t *testing.T) {
		_, err := send(t, "smtp.nowhere.test:587", &Options{Resolver: noSuchHost{}}, testBody)
		wantErr(t, err, KindHostNotFound, StepResolve)
	})
	t.Run("name does not resolve, real resolver", func(t *testing.T) {
		dns := dnstest.Start(t, map[string]string{"smtp.example.test": "127.0.0.1"})
		_, err := send(t, "smtp.nowhere.test:587", &Options{Resolver: dns.Resolver()}, testBody)
		wantErr(t, err, KindHostNotFound, StepResolve)
	})
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = send(t, addr, &Options{}, testBody)
		wantErr(t, err, KindConnectionRefused, StepConnect)
	})
	t.Run("no answer: a firewall dropping the port", func(t *testing.T) {
		_, err := send(t, "127.0.0.1:25", &Options{Dialer: blackhole{}, ConnectTimeout: 50 * time.Millisecond}, testBody)
		e := wantErr(t, err, KindTimeout, StepConnect)
		if !e.Temporary() {
			t.Error("a timeout is temporary")
		}
	})
	t.Run("silent server", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{}).On("GREETING", "HANG")
		_, err := send(t, f.Addr, &Options{Security: SecurityNone, Timeout: 200 * time.Millisecond}, testBody)
		wantErr(t, err, KindTimeout, StepGreeting)
	})
}

func TestWrongSecurityForPort(t *testing.T) {
	p := newPKI(t)
	t.Run("TLS on a plain port", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS})
		_, err := send(t, f.Addr, p.opts(SecurityTLS), testBody)
		wantErr(t, err, KindTLSOnPlainPort, StepTLS)
	})
	for _, sec := range []Security{SecuritySTARTTLS, SecurityNone} {
		t.Run(sec.String()+" on a TLS port", func(t *testing.T) {
			f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true})
			o := p.opts(sec)
			o.Timeout = 300 * time.Millisecond
			_, err := send(t, f.Addr, o, testBody)
			wantErr(t, err, KindPlainOnTLSPort, StepGreeting)
		})
	}
	t.Run("another protocol's banner is not echoed", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Greeting: "+OK POP3 ready <1896.697170952@dbc.example.org>"})
		_, err := send(t, f.Addr, &Options{Security: SecurityNone}, testBody)
		e := wantErr(t, err, KindNotSMTP, StepGreeting)
		if e.Service != "POP3" || e.ServerText != "" || strings.Contains(err.Error(), "dbc.example") {
			t.Errorf("err = %v: want POP3 named and its banner left out", err)
		}
	})
	t.Run("554 greeting", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Greeting: "554 5.3.2 no SMTP service for you"})
		_, err := send(t, f.Addr, &Options{Security: SecurityNone}, testBody)
		e := wantErr(t, err, KindServerError, StepGreeting)
		if e.Code != 554 || e.ServerText != "no SMTP service for you" {
			t.Errorf("err = %+v", e)
		}
	})
}

func TestSTARTTLSNeverFallsBack(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{}) // no certificate: no STARTTLS in EHLO
	_, err := send(t, f.Addr, &Options{Security: SecuritySTARTTLS, Username: "alice", Password: "secret"}, testBody)
	wantErr(t, err, KindSTARTTLSNotOffered, StepSTARTTLS)
	if f.SawCommand("AUTH") || f.SawCommand("MAIL") {
		t.Errorf("went on in plain text: %q", f.Commands())
	}
	p := newPKI(t)
	g := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS}).On("STARTTLS", "454 4.7.0 TLS not available")
	_, err = send(t, g.Addr, p.opts(SecuritySTARTTLS), testBody)
	if e := wantErr(t, err, KindTempFailure, StepSTARTTLS); !e.Temporary() || g.SawCommand("AUTH") {
		t.Errorf("454 to STARTTLS: %v, commands %q", err, g.Commands())
	}
}

func TestAuthKinds(t *testing.T) {
	p := newPKI(t)
	t.Run("not offered at all", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true, Ext: []string{"SIZE 1000"}})
		_, err := send(t, f.Addr, p.opts(SecurityTLS), testBody)
		wantErr(t, err, KindAuthNotOffered, StepAuth)
	})
	t.Run("offered only after STARTTLS", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Ext: []string{"SIZE 1000"}})
		_, err := send(t, f.Addr, p.opts(SecurityNone), testBody)
		wantErr(t, err, KindEncryptionRequired, StepAuth)
	})
	t.Run("535 credentials rejected", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true})
		o := p.opts(SecurityTLS)
		o.Password = "wrong"
		_, err := send(t, f.Addr, o, testBody)
		e := wantErr(t, err, KindAuthFailed, StepAuth)
		if e.Code != 535 || e.EnhancedCode != "5.7.8" || e.Temporary() || f.SawCommand("MAIL") {
			t.Errorf("err = %+v", e)
		}
	})
	t.Run("454 temporary", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("AUTH", "454 4.7.0 Temporary authentication failure")
		_, err := send(t, f.Addr, p.opts(SecurityTLS), testBody)
		if e := wantErr(t, err, KindTempFailure, StepAuth); !e.Temporary() {
			t.Error("454 is temporary")
		}
	})
	t.Run("530 without credentials", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("MAIL", "530 5.7.0 Authentication required")
		o := p.opts(SecurityTLS)
		o.Username = ""
		_, err := send(t, f.Addr, o, testBody)
		wantErr(t, err, KindAuthRequired, StepMail)
	})
}

func TestEnvelopeRefusals(t *testing.T) {
	p := newPKI(t)
	o := p.opts(SecurityTLS)
	newSrv := func() *smtpfake.Server {
		return smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true})
	}
	t.Run("553 sender not owned", func(t *testing.T) {
		f := newSrv().On("MAIL", "553 5.7.1 <alice@example.test>: Sender address rejected: not owned by user alice")
		_, err := send(t, f.Addr, o, testBody)
		e := wantErr(t, err, KindSenderRefused, StepMail)
		if e.Code != 553 || !strings.Contains(e.ServerText, "not owned") || e.Temporary() {
			t.Errorf("err = %+v", e)
		}
	})
	t.Run("550 5.7.1 on MAIL", func(t *testing.T) {
		f := newSrv().On("MAIL", "550 5.7.1 Sender rejected")
		_, err := send(t, f.Addr, o, testBody)
		wantErr(t, err, KindSenderRefused, StepMail)
	})
	t.Run("sender refused at RCPT, as Postfix does", func(t *testing.T) {
		f := newSrv().On("RCPT", "553 5.7.1 <bob@example.test>: Sender address rejected: not owned by user alice")
		_, err := send(t, f.Addr, o, testBody)
		e := wantErr(t, err, KindSenderRefused, StepRcpt)
		if len(e.Refused) != 1 || f.SawCommand("DATA") {
			t.Errorf("err = %+v", e)
		}
	})
	t.Run("relay denied", func(t *testing.T) {
		f := newSrv().On("RCPT", "554 5.7.1 <x@elsewhere.test>: Relay access denied")
		_, err := send(t, f.Addr, o, testBody, "x@elsewhere.test")
		wantErr(t, err, KindRelayDenied, StepRcpt)
	})
	t.Run("unknown recipient", func(t *testing.T) {
		f := newSrv().On("RCPT", "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown")
		_, err := send(t, f.Addr, o, testBody, "nobody@example.test")
		wantErr(t, err, KindRecipientUnknown, StepRcpt)
	})
	t.Run("one of three refused: nothing is sent", func(t *testing.T) {
		f := newSrv().On("RCPT", "250 ok", "550 5.1.1 no such user", "250 ok")
		_, err := send(t, f.Addr, o, testBody, "a@example.test", "b@example.test", "c@example.test")
		e := wantErr(t, err, KindRecipientUnknown, StepRcpt)
		if len(e.Refused) != 1 || e.Refused[0].Address != "b@example.test" || e.Refused[0].Code != 550 {
			t.Errorf("Refused = %+v", e.Refused)
		}
		if f.SawCommand("DATA") || len(f.Messages()) != 0 {
			t.Error("DATA was sent although a recipient was refused")
		}
	})
	t.Run("all refused for now: temporary", func(t *testing.T) {
		f := newSrv().On("RCPT", "450 4.2.0 greylisted", "451 4.3.0 try later")
		_, err := send(t, f.Addr, o, testBody, "a@example.test", "b@example.test")
		e := wantErr(t, err, KindTempFailure, StepRcpt)
		if !e.Temporary() || len(e.Refused) != 2 {
			t.Errorf("err = %+v", e)
		}
	})
	t.Run("temporary and permanent: permanent", func(t *testing.T) {
		f := newSrv().On("RCPT", "450 4.2.0 greylisted", "554 5.7.1 relay access denied")
		_, err := send(t, f.Addr, o, testBody, "a@example.test", "b@example.test")
		if e := wantErr(t, err, KindRelayDenied, StepRcpt); e.Temporary() {
			t.Error("a permanent refusal among temporary ones is permanent")
		}
	})
	t.Run("UTF-8 address without SMTPUTF8", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true, Ext: []string{"AUTH PLAIN"}})
		_, err := send(t, f.Addr, o, testBody, "josé@example.test")
		wantErr(t, err, KindSMTPUTF8, StepMail)
		g := newSrv()
		if _, err := send(t, g.Addr, o, testBody, "josé@example.test"); err != nil || !g.SawCommand("MAIL FROM:<alice@example.test> BODY=8BITMIME SIZE=") {
			t.Errorf("err = %v, commands %q", err, g.Commands())
		}
		if !strings.HasSuffix(g.Commands()[2], " SMTPUTF8") && !strings.Contains(strings.Join(g.Commands(), "\n"), "SMTPUTF8") {
			t.Errorf("SMTPUTF8 not declared: %q", g.Commands())
		}
	})
	t.Run("bad input", func(t *testing.T) {
		_, err := Send(context.Background(), "127.0.0.1:1", o, "a@b", []string{"x@y>\r\nRCPT TO:<z@w"}, strings.NewReader(""))
		wantErr(t, err, KindInvalidInput, StepRcpt)
		_, err = Send(context.Background(), "127.0.0.1:1", o, "a@b", nil, strings.NewReader(""))
		wantErr(t, err, KindInvalidInput, StepRcpt)
	})
}

// onlyReader hides the size of a reader.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestMessageTooLarge(t *testing.T) {
	p := newPKI(t)
	o := p.opts(SecurityTLS)
	big := testBody + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 2000) // 130 kB > SIZE 100000
	t.Run("known size over SIZE: refused before MAIL", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true})
		_, err := send(t, f.Addr, o, big)
		e := wantErr(t, err, KindMessageTooLarge, StepMail)
		if e.Limit != 100000 || f.SawCommand("MAIL") {
			t.Errorf("Limit = %d, commands %q", e.Limit, f.Commands())
		}
	})
	t.Run("unknown size growing past SIZE: abandoned before the dot", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true})
		_, err := Send(context.Background(), f.Addr, o, "alice@example.test", []string{"bob@example.test"}, onlyReader{strings.NewReader(big)})
		e := wantErr(t, err, KindMessageTooLarge, StepData)
		if e.Limit != 100000 || len(f.Messages()) != 0 {
			t.Errorf("Limit = %d, messages %d", e.Limit, len(f.Messages()))
		}
	})
	t.Run("552 after the dot", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("DOT", "552 5.3.4 Message size exceeds fixed maximum message size")
		_, err := send(t, f.Addr, o, testBody)
		e := wantErr(t, err, KindMessageTooLarge, StepDot)
		if e.Limit != 100000 || e.Code != 552 || e.Temporary() {
			t.Errorf("err = %+v", e)
		}
	})
	t.Run("552 to MAIL SIZE=", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("MAIL", "552 5.3.4 Message size exceeds fixed limit")
		_, err := send(t, f.Addr, o, testBody)
		wantErr(t, err, KindMessageTooLarge, StepMail)
	})
}

func TestTemporaryThenAccepted(t *testing.T) {
	p := newPKI(t)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("DOT", "451 4.7.1 Greylisted, try again in 5 minutes")
	_, err := send(t, f.Addr, p.opts(SecurityTLS), testBody)
	e := wantErr(t, err, KindTempFailure, StepDot)
	if !e.Temporary() || !Temporary(err) || e.Code != 451 {
		t.Fatalf("err = %+v: a 4xx must be temporary", e)
	}
	if _, err := send(t, f.Addr, p.opts(SecurityTLS), testBody); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := len(f.Messages()); n != 1 {
		t.Fatalf("server holds %d messages, want 1", n)
	}
	g := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("MAIL", "421 4.3.2 Service shutting down")
	_, err = send(t, g.Addr, p.opts(SecurityTLS), testBody)
	if e := wantErr(t, err, KindTempFailure, StepMail); !e.Temporary() {
		t.Error("421 is temporary")
	}
}

func TestMessageRejectedAfterDot(t *testing.T) {
	p := newPKI(t)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("DOT", "550 5.7.1 Message rejected as spam")
	_, err := send(t, f.Addr, p.opts(SecurityTLS), testBody)
	if e := wantErr(t, err, KindMessageRejected, StepDot); e.Temporary() {
		t.Error("a 5xx after the dot is permanent")
	}
}

// TestMaybeSent is the never-sent-twice rule: once the final "." has gone
// out, a lost reply means the message may have been accepted.
func TestMaybeSent(t *testing.T) {
	p := newPKI(t)
	check := func(t *testing.T, f *smtpfake.Server, err error) {
		t.Helper()
		e := wantErr(t, err, KindMaybeSent, StepDot)
		if e.Temporary() || Temporary(err) {
			t.Error("KindMaybeSent must never be retried silently")
		}
		if len(f.Messages()) != 1 {
			t.Error("the server did not get the whole message: the test proves nothing")
		}
	}
	for _, sec := range []Security{SecurityTLS, SecuritySTARTTLS} {
		t.Run("dropped after the dot, "+sec.String(), func(t *testing.T) {
			f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: sec == SecurityTLS}).On("DOT", "DROP")
			_, err := send(t, f.Addr, p.opts(sec), testBody)
			check(t, f, err)
		})
	}
	t.Run("no reply after the dot", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("DOT", "HANG")
		o := p.opts(SecurityTLS)
		o.DataTimeout = 200 * time.Millisecond
		_, err := send(t, f.Addr, o, testBody)
		check(t, f, err)
	})
	t.Run("cancelled while waiting for the reply", func(t *testing.T) {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true}).On("DOT", "HANG")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for len(f.Messages()) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		_, err := Send(ctx, f.Addr, p.opts(SecurityTLS), "alice@example.test", []string{"bob@example.test"}, strings.NewReader(testBody))
		check(t, f, err)
	})
	t.Run("dropped in the middle of the message: not sent", func(t *testing.T) {
		dropped := make(chan struct{})
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true, Ext: []string{"AUTH PLAIN"}, DropAfter: 20000, Dropped: dropped})
		line := strings.Repeat("x", 70) + "\r\n"
		// The rest of the message comes only once the server has hung up,
		// so that it cannot all sit in socket buffers before the drop.
		body := &gatedReader{first: strings.NewReader(strings.Repeat(line, 1000)), rest: strings.NewReader(strings.Repeat(line, 30000)), gate: dropped}
		_, err := Send(context.Background(), f.Addr, p.opts(SecurityTLS), "alice@example.test", []string{"bob@example.test"}, body)
		var e *Error
		if !errors.As(err, &e) || e.Kind == KindMaybeSent || e.Step != StepData || !e.Temporary() {
			t.Fatalf("err = %v: want a temporary failure at data, not maybe-sent", err)
		}
		if len(f.Messages()) != 0 {
			t.Fatal("the server holds a message")
		}
	})
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		r.n--
		return copy(p, "line of the message\r\n"), nil
	}
	return 0, errors.New("disk on fire")
}

func TestBodyReadErrorSendsNothing(t *testing.T) {
	p := newPKI(t)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true})
	_, err := Send(context.Background(), f.Addr, p.opts(SecurityTLS), "alice@example.test", []string{"bob@example.test"}, &failingReader{n: 3})
	e := wantErr(t, err, KindInvalidInput, StepData)
	if !strings.Contains(e.Error(), "disk on fire") || len(f.Messages()) != 0 {
		t.Fatalf("err = %v, messages %d", err, len(f.Messages()))
	}
}

// gatedReader yields its first chunk, then waits until the server has
// received part of the message before yielding the rest: a client that
// read the whole body before sending would never get there.
type gatedReader struct {
	first, rest io.Reader
	gate        <-chan struct{}
	opened      bool
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if n, err := g.first.Read(p); n > 0 || err != io.EOF {
		return n, err
	}
	if !g.opened {
		select {
		case <-g.gate:
			g.opened = true
		case <-time.After(20 * time.Second):
			return 0, errors.New("the server never saw the first part: the body is not streamed")
		}
	}
	return g.rest.Read(p)
}

func TestBodyIsStreamed(t *testing.T) {
	p := newPKI(t)
	gate := make(chan struct{})
	var once bool
	line := strings.Repeat("y", 78) + "\r\n"
	first := strings.Repeat(line, 2000) // 160 kB
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true, Ext: []string{"AUTH PLAIN"}, OnData: func(n int) {
		if n >= 100000 && !once {
			once = true
			close(gate)
		}
	}})
	body := &gatedReader{first: strings.NewReader(first), rest: strings.NewReader("end\r\n"), gate: gate}
	if _, err := Send(context.Background(), f.Addr, p.opts(SecurityTLS), "alice@example.test", []string{"bob@example.test"}, body); err != nil {
		t.Fatal(err)
	}
	if m := f.Messages(); len(m) != 1 || string(m[0].Body) != first+"end\r\n" {
		t.Fatal("message not received whole")
	}
}

func TestTraceRedactsSecrets(t *testing.T) {
	p := newPKI(t)
	for _, ext := range []string{"AUTH PLAIN", "AUTH LOGIN"} {
		f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Ext: []string{ext}})
		var trace bytes.Buffer
		o := p.opts(SecuritySTARTTLS)
		o.Password = "hunter2-secret"
		f.Password = o.Password
		o.Trace = &trace
		if _, err := send(t, f.Addr, o, "Subject: x\r\n\r\nconfidential words\r\n"); err != nil {
			t.Fatal(err)
		}
		tr := trace.String()
		for _, secret := range []string{"hunter2", "aHVudGVyMi", "AGFsaWNlAGh1bnRlcjI", "confidential"} {
			if strings.Contains(tr, secret) {
				t.Errorf("%s: the trace holds %q:\n%s", ext, secret, tr)
			}
		}
		for _, want := range []string{"C: STARTTLS", "C: MAIL FROM:<alice@example.test>", "<redacted>", "S: 250 2.0.0 Ok: queued as FAKE1", "<message: "} {
			if !strings.Contains(tr, want) {
				t.Errorf("%s: the trace lacks %q:\n%s", ext, want, tr)
			}
		}
	}
}

func TestProbe(t *testing.T) {
	p := newPKI(t)
	f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS})
	caps, err := Probe(context.Background(), f.Addr, p.opts(SecuritySTARTTLS))
	if err != nil {
		t.Fatal(err)
	}
	if caps.TLS == nil || caps.Auth != "PLAIN" || caps.MaxSize != 100000 || !caps.SMTPUTF8 || f.SawCommand("MAIL") {
		t.Errorf("caps = %+v, commands %q", caps, f.Commands())
	}
}

// BeforeDot runs once, when the server has the message but not its final
// "."; an error there sends nothing.
func TestBeforeDot(t *testing.T) {
	f := smtpfake.Start(t, &smtpfake.Server{})
	o := &Options{Security: SecurityNone, Timeout: 5 * time.Second}
	calls := 0
	o.BeforeDot = func() error {
		calls++
		if n := len(f.Messages()); n != 0 {
			t.Errorf("the server had %d messages before the final \".\"", n)
		}
		return nil
	}
	if _, err := send(t, f.Addr, o, testBody); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || len(f.Messages()) != 1 {
		t.Fatalf("BeforeDot called %d times, %d messages received; want 1 and 1", calls, len(f.Messages()))
	}

	refuse := errors.New("the outbox could not record the attempt")
	o.BeforeDot = func() error { return refuse }
	_, err := send(t, f.Addr, o, testBody)
	e := wantErr(t, err, KindCanceled, StepData)
	if !errors.Is(e, refuse) {
		t.Fatalf("err = %v, want it to wrap the hook's error", err)
	}
	if e.Temporary() {
		t.Error("a refused final \".\" is Temporary: the caller decides")
	}
	if n := len(f.Messages()); n != 1 {
		t.Fatalf("%d messages received after the hook refused, want still 1", n)
	}
}

// Offered tells what EHLO advertised even when the session fails after
// it: SIZE n, SMTPUTF8, or neither.
func TestOffered(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name string
		ext  []string
		want Capabilities
	}{
		{"SIZE and SMTPUTF8", []string{"SIZE 25000000", "SMTPUTF8", "AUTH PLAIN"}, Capabilities{MaxSize: 25000000, SMTPUTF8: true}},
		{"SIZE without a number", []string{"SIZE", "AUTH PLAIN"}, Capabilities{}},
		{"neither", []string{"8BITMIME", "AUTH PLAIN"}, Capabilities{EightBitMIME: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := smtpfake.Start(t, &smtpfake.Server{Cert: &p.server.TLS, Implicit: true, Ext: tc.ext}).On("AUTH", "535 5.7.8 bad credentials")
			o := p.opts(SecurityTLS)
			var got []Capabilities
			o.Offered = func(c Capabilities) { got = append(got, c) }
			_, err := send(t, f.Addr, o, testBody)
			wantErr(t, err, KindAuthFailed, StepAuth)
			if len(got) != 1 {
				t.Fatalf("Offered called %d times", len(got))
			}
			if c := got[0]; c.MaxSize != tc.want.MaxSize || c.SMTPUTF8 != tc.want.SMTPUTF8 || c.EightBitMIME != tc.want.EightBitMIME || c.TLS == nil {
				t.Errorf("offered %+v, want %+v", c, tc.want)
			}
		})
	}
}
