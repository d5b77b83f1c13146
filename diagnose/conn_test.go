package diagnose

// The connection test against real failures on loopback: closed ports,
// silent listeners, TLS where plain text is expected and the reverse,
// certificates made here (self-signed, for another name, expired, not yet
// valid, from an antivirus), and a real Dovecot (wrong password, a session
// lock, encryption required, success). No error is made up.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/pop3client"
)

// runTest runs Test and checks that the steps reported as they happened
// are the ones in the result, and that everything renders.
func runTest(t *testing.T, s TestSettings, opts TestOptions) Result {
	t.Helper()
	if opts.Resolver == nil {
		opts.Resolver = testResolver{}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	var reported []StepResult
	res := Test(context.Background(), s, opts, func(r StepResult) { reported = append(reported, r) })
	if len(reported) != len(res.Steps) {
		t.Fatalf("reported %d steps, result has %d", len(reported), len(res.Steps))
	}
	for i, r := range res.Steps {
		checkRendered(t, string(r.Step)+" label", StepLabel(r.Step))
		for _, m := range append(append([]Message(nil), r.Facts...), r.Warnings...) {
			checkRendered(t, string(r.Step)+" fact", m)
		}
		if r.OK != (r.Diagnosis == nil) {
			t.Errorf("step %s: OK %v with diagnosis %v", r.Step, r.OK, r.Diagnosis)
		}
		if reported[i].Step != r.Step {
			t.Errorf("step %d reported as %s, recorded as %s", i, reported[i].Step, r.Step)
		}
	}
	if res.OK == (res.Diagnosis != nil) {
		t.Fatalf("OK %v with diagnosis %+v (err %v)", res.OK, res.Diagnosis, res.Err)
	}
	if res.Diagnosis != nil {
		checkDiagnosis(t, *res.Diagnosis)
	}
	return res
}

func wantFailure(t *testing.T, res Result, kind pop3client.Kind, steps string) Diagnosis {
	t.Helper()
	if res.OK {
		t.Fatalf("test passed, want %s", kind)
	}
	if res.Diagnosis.Kind != string(kind) {
		t.Fatalf("diagnosis %q (err %v), want %s", res.Diagnosis.Kind, res.Err, kind)
	}
	if got := stepsOf(res); got != steps {
		t.Errorf("steps %q, want %q", got, steps)
	}
	return *res.Diagnosis
}

func wantFix(t *testing.T, d Diagnosis, host string, port int, sec pop3client.Security) Fix {
	t.Helper()
	f, ok := findFix(d, func(f Fix) bool { return f.Host == host && f.Port == port && f.Security == sec })
	if !ok {
		t.Fatalf("no fix to %s:%d %s; fixes %+v", host, port, sec, d.Fixes)
	}
	return f
}

func TestClosedPort(t *testing.T) {
	port := closedPort(t)
	res := runTest(t, TestSettings{Host: "127.0.0.1", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"}, TestOptions{})
	d := wantFailure(t, res, pop3client.KindConnectionRefused, "resolve✓ connect✗")
	if d.Title.Key != "The server refuses connections on this port" {
		t.Errorf("title %q", d.Title.Key)
	}
	wantFix(t, d, "127.0.0.1", 995, pop3client.SecurityTLS)
	wantFix(t, d, "127.0.0.1", 110, pop3client.SecuritySTARTTLS)
}

func TestHostNotFound(t *testing.T) {
	res := runTest(t, TestSettings{Host: "pop.gmial.com", Port: 995, Security: pop3client.SecurityTLS, Username: "ana@gmail.com", Password: "p"},
		TestOptions{Explain: Input{Email: "ana@gmail.com", Provider: mustProvider(t, "ana@gmail.com")}})
	d := wantFailure(t, res, pop3client.KindHostNotFound, "resolve✗")
	wantFix(t, d, "pop.gmail.com", 995, pop3client.SecurityTLS)
	if s := d.Explanation.Text(english, nil); !strings.Contains(s, "pop.gmial.com") {
		t.Errorf("the explanation does not name the host: %q", s)
	}
}

// A listener that accepts and never speaks: with STARTTLS nothing greets,
// with SSL/TLS nothing answers the handshake.
func TestSilentListener(t *testing.T) {
	port := fakeServer{silent: true}.start(t)
	start := time.Now()
	res := runTest(t, TestSettings{Host: "127.0.0.1", Port: port, Security: pop3client.SecuritySTARTTLS, Username: "u", Password: "p"}, TestOptions{Timeout: time.Second})
	d := wantFailure(t, res, pop3client.KindTimeout, "resolve✓ connect✓ greeting✗")
	if d.Title.Key != "The server does not greet" {
		t.Errorf("title %q", d.Title.Key)
	}
	wantFix(t, d, "127.0.0.1", 995, pop3client.SecurityTLS)
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v with a 1 s timeout", time.Since(start))
	}

	res = runTest(t, TestSettings{Host: "127.0.0.1", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"}, TestOptions{Timeout: time.Second})
	d = wantFailure(t, res, pop3client.KindTimeout, "resolve✓ connect✓ tls✗")
	if d.Title.Key != "The server does not answer" {
		t.Errorf("title %q", d.Title.Key)
	}
	wantFix(t, d, "127.0.0.1", 995, pop3client.SecurityTLS)
	wantFix(t, d, "127.0.0.1", 110, pop3client.SecuritySTARTTLS)
}

// SSL/TLS chosen on a port that speaks plain POP3 (and offers STLS).
func TestTLSOnPlainPort(t *testing.T) {
	ca := newCA(t, "Apartado Test CA", "Apartado")
	cert := leaf(t, ca, []string{"localhost"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	port := fakeServer{stlsCert: &cert, password: "p"}.start(t)
	res := runTest(t, TestSettings{Host: "localhost", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"},
		TestOptions{ExtraRootCAs: []*x509.Certificate{ca.cert}})
	d := wantFailure(t, res, pop3client.KindTLSOnPlainPort, "resolve✓ connect✓ tls✗")
	fix := wantFix(t, d, "localhost", port, pop3client.SecuritySTARTTLS)
	wantFix(t, d, "localhost", 995, pop3client.SecurityTLS)
	if d.Detail == "" {
		t.Error("the server's greeting is not shown")
	}

	// The fix works: STARTTLS on the same port, every step in order.
	res = runTest(t, TestSettings{Host: fix.Host, Port: fix.Port, Security: fix.Security, Username: "u", Password: "p"},
		TestOptions{ExtraRootCAs: []*x509.Certificate{ca.cert}})
	if !res.OK {
		t.Fatalf("after the fix: %v", res.Err)
	}
	if got := stepsOf(res); got != "resolve✓ connect✓ greeting✓ capabilities✓ stls✓ tls✓ login✓ mailbox✓ quit✓" {
		t.Errorf("steps %q", got)
	}
	if res.Messages != 2 || res.Bytes != 3210 {
		t.Errorf("mailbox %d, %d", res.Messages, res.Bytes)
	}
}

// STARTTLS chosen on a port that expects TLS from the first byte.
func TestPlainOnTLSPort(t *testing.T) {
	ca := newCA(t, "Apartado Test CA", "Apartado")
	cert := leaf(t, ca, []string{"localhost"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	port := fakeServer{tlsCert: &cert, password: "p"}.start(t)
	res := runTest(t, TestSettings{Host: "localhost", Port: port, Security: pop3client.SecuritySTARTTLS, Username: "u", Password: "p"},
		TestOptions{ExtraRootCAs: []*x509.Certificate{ca.cert}, Timeout: time.Second})
	d := wantFailure(t, res, pop3client.KindPlainOnTLSPort, "resolve✓ connect✓ greeting✗")
	fix := wantFix(t, d, "localhost", port, pop3client.SecurityTLS)

	res = runTest(t, TestSettings{Host: fix.Host, Port: fix.Port, Security: fix.Security, Username: "u", Password: "p"},
		TestOptions{ExtraRootCAs: []*x509.Certificate{ca.cert}})
	if !res.OK {
		t.Fatalf("after the fix: %v", res.Err)
	}
	if got := stepsOf(res); got != "resolve✓ connect✓ tls✓ greeting✓ capabilities✓ login✓ mailbox✓ quit✓" {
		t.Errorf("steps %q", got)
	}
}

func TestSTLSNotOffered(t *testing.T) {
	port := fakeServer{caps: []string{"USER", "UIDL"}, password: "p"}.start(t)
	res := runTest(t, TestSettings{Host: "127.0.0.1", Port: port, Security: pop3client.SecuritySTARTTLS, Username: "u", Password: "p"}, TestOptions{})
	d := wantFailure(t, res, pop3client.KindSTLSNotOffered, "resolve✓ connect✓ greeting✓ capabilities✓ stls✗")
	wantFix(t, d, "127.0.0.1", 995, pop3client.SecurityTLS)
	if f := wantFix(t, d, "127.0.0.1", port, pop3client.SecurityNone); f.Warning.IsZero() {
		t.Error("no warning on connecting without encryption")
	}
}

// A self-signed certificate: the fix trusts exactly it, and then the test
// passes.
func TestSelfSignedThenTrusted(t *testing.T) {
	cert := leaf(t, nil, []string{"localhost"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	port := fakeServer{tlsCert: &cert, password: "p", caps: []string{"USER", "UIDL"}}.start(t)
	s := TestSettings{Host: "localhost", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"}
	res := runTest(t, s, TestOptions{})
	d := wantFailure(t, res, pop3client.KindUnknownAuthority, "resolve✓ connect✓ tls✗")
	if d.Title.Key != "The server's certificate is self-signed" {
		t.Errorf("title %q", d.Title.Key)
	}
	if d.Cert == nil || !d.Cert.SelfSigned {
		t.Fatalf("certificate %+v", d.Cert)
	}
	fix, ok := findFix(d, func(f Fix) bool { return f.TrustFingerprint != "" })
	if !ok || fix.TrustFingerprint != d.Cert.SHA256 || fix.Warning.IsZero() || fix.Host != "localhost" || fix.Port != port {
		t.Fatalf("trust fix %+v", fix)
	}
	if facts := CertFacts(d.Cert); len(facts) == 0 || !strings.Contains(facts[len(facts)-1].Text(english, nil), FormatFingerprint(d.Cert.SHA256)) || res.Cert != d.Cert {
		t.Errorf("the fingerprint is not shown: %v", facts)
	}

	s.TrustedFingerprint = fix.TrustFingerprint
	res = runTest(t, s, TestOptions{})
	if !res.OK {
		t.Fatalf("trusted: %v", res.Err)
	}
	tlsStep := res.Steps[2]
	if tlsStep.Step != StepTLS || len(tlsStep.Warnings) == 0 {
		t.Errorf("no warning that the certificate is trusted by fingerprint: %+v", tlsStep)
	}
}

func TestCertificateForAnotherName(t *testing.T) {
	ca := newCA(t, "Apartado Test CA", "Apartado")
	cert := leaf(t, ca, []string{"mail.hoster.test", "*.hoster.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	port := fakeServer{tlsCert: &cert, password: "p"}.start(t)
	opts := TestOptions{ExtraRootCAs: []*x509.Certificate{ca.cert}}
	res := runTest(t, TestSettings{Host: "pop.mydomain.test", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"}, opts)
	d := wantFailure(t, res, pop3client.KindCertificateName, "resolve✓ connect✓ tls✗")
	wantFix(t, d, "mail.hoster.test", port, pop3client.SecurityTLS)
	fix := wantFix(t, d, "pop.hoster.test", port, pop3client.SecurityTLS)
	if s := d.Explanation.Text(english, nil); !strings.Contains(s, "mail.hoster.test") || !strings.Contains(s, "pop.mydomain.test") {
		t.Errorf("explanation %q", s)
	}
	res = runTest(t, TestSettings{Host: fix.Host, Port: fix.Port, Security: fix.Security, Username: "u", Password: "p"}, opts)
	if !res.OK {
		t.Fatalf("after the fix: %v", res.Err)
	}
}

func TestExpiredCertificate(t *testing.T) {
	ca := newCA(t, "Apartado Test CA", "Apartado")
	expired := time.Now().Add(-24 * time.Hour).Truncate(time.Minute)
	cert := leaf(t, ca, []string{"localhost"}, time.Now().Add(-48*time.Hour), expired)
	port := fakeServer{tlsCert: &cert}.start(t)
	res := runTest(t, TestSettings{Host: "localhost", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"},
		TestOptions{ExtraRootCAs: []*x509.Certificate{ca.cert}})
	d := wantFailure(t, res, pop3client.KindCertificateExpired, "resolve✓ connect✓ tls✗")
	if title := d.Title.Text(english, time.UTC); title != "The server's certificate expired on "+english.Date(expired, time.UTC) {
		t.Errorf("title %q", title)
	}
	fix, ok := findFix(d, func(f Fix) bool { return f.TrustFingerprint != "" })
	if !ok || !strings.Contains(fix.Warning.Key, "Strongly discouraged") {
		t.Errorf("trust fix %+v", fix)
	}
}

func TestCertificateNotYetValid(t *testing.T) {
	ca := newCA(t, "Apartado Test CA", "Apartado")
	cert := leaf(t, ca, []string{"localhost"}, time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour))
	port := fakeServer{tlsCert: &cert}.start(t)
	res := runTest(t, TestSettings{Host: "localhost", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"},
		TestOptions{ExtraRootCAs: []*x509.Certificate{ca.cert}})
	d := wantFailure(t, res, pop3client.KindCertificateInvalid, "resolve✓ connect✓ tls✗")
	if d.Title.Key != "The server's certificate is not valid yet" || !strings.Contains(d.Explanation.Key, "clock") {
		t.Errorf("diagnosis %q / %q", d.Title.Key, d.Explanation.Key)
	}
}

// A certificate made by an antivirus that inspects TLS.
func TestInterceptedByAntivirus(t *testing.T) {
	av := newCA(t, "Avast Web/Mail Shield Root", "Avast Web/Mail Shield")
	cert := leaf(t, av, []string{"localhost"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	port := fakeServer{tlsCert: &cert}.start(t)
	res := runTest(t, TestSettings{Host: "localhost", Port: port, Security: pop3client.SecurityTLS, Username: "u", Password: "p"}, TestOptions{})
	d := wantFailure(t, res, pop3client.KindUnknownAuthority, "resolve✓ connect✓ tls✗")
	if d.Title.Key != "An antivirus or network filter is intercepting the connection" {
		t.Errorf("title %q", d.Title.Key)
	}
	if s := d.Explanation.Text(spanish, nil); !strings.Contains(s, "Avast Web/Mail Shield Root") {
		t.Errorf("the issuer is not named: %q", s)
	}
	if _, ok := findFix(d, func(f Fix) bool { return f.TrustFingerprint == d.Cert.SHA256 && !f.Warning.IsZero() }); !ok {
		t.Errorf("fixes %+v", d.Fixes)
	}
}

// LOGIN-DELAY and EXPIRE are shown, with the warnings they call for.
func TestPolicyFacts(t *testing.T) {
	port := fakeServer{password: "p", caps: []string{"USER", "UIDL", "TOP", "PIPELINING", "LOGIN-DELAY 900", "EXPIRE 0", "IMPLEMENTATION Fake POP3 1.0", "SASL PLAIN"}}.start(t)
	res := runTest(t, TestSettings{Host: "127.0.0.1", Port: port, Security: pop3client.SecurityNone, Username: "u", Password: "p"}, TestOptions{})
	if !res.OK {
		t.Fatalf("test failed: %v", res.Err)
	}
	var caps StepResult
	for _, s := range res.Steps {
		if s.Step == StepCapabilities {
			caps = s
		}
	}
	var facts, warnings []string
	for _, m := range caps.Facts {
		facts = append(facts, m.Text(english, nil))
	}
	for _, m := range caps.Warnings {
		warnings = append(warnings, m.Text(english, nil))
	}
	all := strings.Join(facts, "\n")
	for _, want := range []string{"STARTTLS: not offered.", "Sign-in methods: USER/PASS, PLAIN.", "Lasting message IDs (UIDL): yes.", "Message previews (TOP): yes.", "Pipelining: yes", "Server software: Fake POP3 1.0.", "(LOGIN-DELAY): 15 minutes."} {
		if !strings.Contains(all, want) {
			t.Errorf("facts lack %q:\n%s", want, all)
		}
	}
	w := strings.Join(warnings, "\n")
	if !strings.Contains(w, "EXPIRE 0") || !strings.Contains(w, "This test counts as a login") {
		t.Errorf("warnings %q", w)
	}
	if res.LoginDelay != 15*time.Minute || len(res.Warnings()) != 2 {
		t.Errorf("login delay %v, warnings %d", res.LoginDelay, len(res.Warnings()))
	}
}

// ---- a real Dovecot ----

func dovecotRoots(t *testing.T, srv *dovecottest.Server) []*x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(srv.CertPEM)
	if block == nil {
		t.Fatal("no certificate from Dovecot")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return []*x509.Certificate{cert}
}

func hostPortOf(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

func TestDovecot(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	if _, err := srv.AddMessage("alice", []byte("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		t.Fatal(err)
	}
	opts := TestOptions{ExtraRootCAs: dovecotRoots(t, srv), Timeout: 10 * time.Second}
	_, tlsPort := hostPortOf(t, srv.TLSAddr)
	_, plainPort := hostPortOf(t, srv.PlainAddr)

	t.Run("success over TLS", func(t *testing.T) {
		res := runTest(t, TestSettings{Host: "localhost", Port: tlsPort, Security: pop3client.SecurityTLS, Username: "alice", Password: "secret"}, opts)
		if !res.OK {
			t.Fatalf("failed: %v", res.Err)
		}
		if got := stepsOf(res); got != "resolve✓ connect✓ tls✓ greeting✓ capabilities✓ login✓ mailbox✓ quit✓" {
			t.Errorf("steps %q", got)
		}
		if res.Messages != 1 || res.Cert == nil {
			t.Errorf("messages %d, cert %v", res.Messages, res.Cert)
		}
	})
	t.Run("success with STARTTLS", func(t *testing.T) {
		res := runTest(t, TestSettings{Host: "localhost", Port: plainPort, Security: pop3client.SecuritySTARTTLS, Username: "alice", Password: "secret"}, opts)
		if got := stepsOf(res); got != "resolve✓ connect✓ greeting✓ capabilities✓ stls✓ tls✓ login✓ mailbox✓ quit✓" {
			t.Errorf("steps %q (err %v)", got, res.Err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		res := runTest(t, TestSettings{Host: "localhost", Port: tlsPort, Security: pop3client.SecurityTLS, Username: "alice", Password: "wrong"},
			TestOptions{ExtraRootCAs: opts.ExtraRootCAs, Timeout: opts.Timeout, Explain: Input{Email: "alice@example.org"}})
		d := wantFailure(t, res, pop3client.KindAuthFailed, "resolve✓ connect✓ tls✓ greeting✓ capabilities✓ login✗")
		if d.Detail == "" || !strings.Contains(d.Detail, "uthentication failed") {
			t.Errorf("the server's words: %q", d.Detail)
		}
		if _, ok := findFix(d, func(f Fix) bool { return f.RetypePassword }); !ok {
			t.Error("no retype fix")
		}
	})
}

func TestDovecotEncryptionRequired(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{DisablePlaintextAuth: true})
	host, port := hostPortOf(t, srv.PlainAddr)
	res := runTest(t, TestSettings{Host: host, Port: port, Security: pop3client.SecurityNone, Username: "alice", Password: "secret"},
		TestOptions{ExtraRootCAs: dovecotRoots(t, srv), Timeout: 10 * time.Second})
	d := wantFailure(t, res, pop3client.KindEncryptionRequired, "resolve✓ connect✓ greeting✓ capabilities✓ login✗")
	wantFix(t, d, host, port, pop3client.SecuritySTARTTLS)
}

// Another session holds the mailbox: Dovecot waits 10 s for its lock, then
// says [IN-USE].
func TestDovecotMailboxInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for Dovecot's 10 s lock")
	}
	srv := dovecottest.Start(t, dovecottest.Options{LockSession: true})
	roots := dovecotRoots(t, srv)
	ctx := context.Background()
	first, err := pop3client.Dial(ctx, srv.TLSAddr, &pop3client.Options{ExtraRootCAs: roots, TLSConfig: &tls.Config{ServerName: "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if err := first.Login(ctx, "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	_, port := hostPortOf(t, srv.TLSAddr)
	res := runTest(t, TestSettings{Host: "localhost", Port: port, Security: pop3client.SecurityTLS, Username: "alice", Password: "secret"},
		TestOptions{ExtraRootCAs: roots, Timeout: 20 * time.Second, Explain: Input{Interval: 10 * time.Minute}})
	d := wantFailure(t, res, pop3client.KindInUse, "resolve✓ connect✓ tls✓ greeting✓ capabilities✓ login✗")
	if _, ok := findFix(d, func(f Fix) bool { return f.Interval == 15*time.Minute }); !ok {
		t.Errorf("no longer interval offered: %+v", d.Fixes)
	}
	if d.Title.Key != "Another program is using the mailbox" {
		t.Errorf("title %q", d.Title.Key)
	}
}
