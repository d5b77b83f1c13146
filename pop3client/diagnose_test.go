package pop3client

// Tests that every connection-level failure is reported as an *Error with
// the right Kind, Step and details. Everything here is real: loopback
// sockets, crypto/tls servers with certificates made by crypto/x509, and the
// errors Go itself returns. The only injected parts are a Resolver and a
// Dialer for what cannot be produced on loopback (an NXDOMAIN on demand, an
// unreachable network); the injected Dialer refuses to leave loopback.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/netguard"
	"github.com/apartado/apartado/internal/testcert"
	"github.com/apartado/apartado/internal/testnet"
)

// ---- helpers ----

// diagResolver is an injected Resolver returning a fixed answer.
type diagResolver struct {
	addrs []net.IPAddr
	err   error

	mu    sync.Mutex
	hosts []string
}

func (r *diagResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, host)
	r.mu.Unlock()
	return r.addrs, r.err
}

// diagDialer dials loopback addresses for real and reports ENETUNREACH, as
// the kernel does, for every other address: no test ever leaves loopback.
type diagDialer struct {
	mu     sync.Mutex
	dialed []string
}

func (d *diagDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, address)
	d.mu.Unlock()
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

func (d *diagDialer) calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialed...)
}

// diagWant is what a failure must look like. Every field is compared
// exactly (so an empty Code means the error must carry no code).
type diagWant struct {
	kind    Kind
	step    Step
	command string
	code    string
	text    string
	service string
	temp    bool
}

func checkDiag(t *testing.T, err error, w diagWant) *Error {
	t.Helper()
	e := wantKind(t, err, w.kind, w.step)
	if e.Command != w.command {
		t.Errorf("Command = %q, want %q", e.Command, w.command)
	}
	if e.Code != w.code {
		t.Errorf("Code = %q, want %q", e.Code, w.code)
	}
	if e.ServerText != w.text {
		t.Errorf("ServerText = %q, want %q", e.ServerText, w.text)
	}
	if e.Service != w.service {
		t.Errorf("Service = %q, want %q", e.Service, w.service)
	}
	if got := Temporary(err); got != w.temp {
		t.Errorf("Temporary(%v) = %v, want %v", err, got, w.temp)
	}
	if KindOf(err) != w.kind {
		t.Errorf("KindOf = %q, want %q", KindOf(err), w.kind)
	}
	if !strings.Contains(err.Error(), string(w.kind)) {
		t.Errorf("Error() %q does not name the kind %q", err.Error(), w.kind)
	}
	return e
}

// noDial fails if Dial returned a client where an error was expected.
func noDial(t *testing.T, c *Client) {
	t.Helper()
	if c != nil {
		c.Close()
		t.Fatal("Dial returned a client, want an error")
	}
}

// restOf runs lines with script and then collects whatever else the client
// sends until it hangs up: a test asserts on it that nothing more was sent.
func restOf(rest chan<- string, lines ...string) func(fc *fakeConn) {
	return func(fc *fakeConn) {
		script(append(append([]string(nil), lines...), "CLOSE")...)(fc)
		_ = fc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(fc.r)
		rest <- string(b)
	}
}

func recvString(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(15 * time.Second):
		t.Fatal("fake server did not finish")
		return ""
	}
}

// ---- certificates ----

type diagCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

const (
	diagCAName = "Apartado Diagnose Test CA"
	diagCAOrg  = "Apartado Test Org"
)

func newDiagCA(t *testing.T) *diagCA {
	t.Helper()
	c := testcert.New(t, testcert.Spec{CommonName: diagCAName, Organization: diagCAOrg, IsCA: true}, nil)
	return &diagCA{cert: c.X509, key: c.Key}
}

type leafSpec struct {
	cn         string
	dns        []string
	ips        []net.IP
	notBefore  time.Time // zero: an hour ago
	notAfter   time.Time // zero: in a day
	selfSigned bool      // sign with its own key instead of the CA's
	selfIsCA   bool      // for a self-signed certificate: mark it CA:TRUE (as "openssl req -x509" does)
}

// issue makes a server certificate; ca may be nil for a self-signed one.
func (ca *diagCA) issue(t *testing.T, s leafSpec) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	if s.cn == "" {
		s.cn = "pop.test server"
	}
	spec := testcert.Spec{CommonName: s.cn, Organization: "Apartado Test Server", DNSNames: s.dns, IPs: s.ips,
		NotBefore: s.notBefore, NotAfter: s.notAfter, IsCA: s.selfSigned && s.selfIsCA}
	var parent *testcert.Cert
	if !s.selfSigned {
		parent = &testcert.Cert{X509: ca.cert, Key: ca.key}
	}
	c := testcert.New(t, spec, parent)
	return c.TLS, c.X509
}

func fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// colonUpper writes a fingerprint the way browsers show it: "AB:CD:…".
func colonUpper(fp string) string {
	var parts []string
	for i := 0; i+2 <= len(fp); i += 2 {
		parts = append(parts, strings.ToUpper(fp[i:i+2]))
	}
	return strings.Join(parts, ":")
}

var loopbackIP = []net.IP{net.IPv4(127, 0, 0, 1)}

// tlsThen runs the TLS handshake on a connection accepted by a TLS fake,
// reports its result on hs, and only if it succeeded goes on with h. A
// failed handshake is what many of these tests expect, so it is not an
// error of the fake.
func tlsThen(hs chan<- error, h func(fc *fakeConn)) func(fc *fakeConn) {
	return func(fc *fakeConn) {
		tc, ok := fc.conn.(*tls.Conn)
		if !ok {
			fc.errorf("tlsThen on a plain connection")
			hs <- errors.New("not TLS")
			return
		}
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		err := tc.Handshake()
		_ = tc.SetDeadline(time.Time{})
		hs <- err
		if err != nil {
			return
		}
		h(fc)
	}
}

func recvErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("TLS fake never finished its handshake")
		return nil
	}
}

// ---- 1. resolve ----

func TestDiagnoseResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		addrs []net.IPAddr
		err   error
		kind  Kind
		temp  bool
	}{
		{"not found", nil, &net.DNSError{Err: "no such host", Name: "mail.example.test", IsNotFound: true}, KindHostNotFound, false},
		{"temporary", nil, &net.DNSError{Err: "server misbehaving", Name: "mail.example.test", IsTemporary: true}, KindDNSTemporary, true},
		{"timeout", nil, &net.DNSError{Err: "i/o timeout", Name: "mail.example.test", IsTimeout: true, IsTemporary: true}, KindDNSTemporary, true},
		{"empty answer", []net.IPAddr{}, nil, KindHostNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &diagResolver{addrs: tt.addrs, err: tt.err}
			d := &diagDialer{}
			c, err := Dial(ctxT(t), "mail.example.test:995", &Options{Resolver: r, Dialer: d, Timeout: time.Second, ConnectTimeout: time.Second})
			noDial(t, c)
			e := checkDiag(t, err, diagWant{kind: tt.kind, step: StepResolve, temp: tt.temp})
			if e.Host != "mail.example.test" {
				t.Errorf("Host = %q, want mail.example.test", e.Host)
			}
			var dnsErr *net.DNSError
			if !errors.As(err, &dnsErr) {
				t.Errorf("the *net.DNSError is not in the chain: %v", err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("the resolver's own error is not in the chain: %v", err)
			}
			if !slices.Equal(r.hosts, []string{"mail.example.test"}) {
				t.Errorf("resolver asked for %q, want exactly mail.example.test", r.hosts)
			}
			if got := d.calls(); len(got) != 0 {
				t.Errorf("dialed %q after a failed lookup", got)
			}
		})
	}
}

func TestDiagnoseResolveRealInvalid(t *testing.T) {
	t.Parallel()
	// Go's own DNS client against a name server on loopback that answers
	// NXDOMAIN (RCODE 3), or SERVFAIL (RCODE 2): the errors are exactly what
	// Go reports for a real resolver, and no query leaves the machine.
	for _, tc := range []struct {
		rcode byte
		want  Kind
	}{{3, KindHostNotFound}, {2, KindDNSTemporary}} {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go func() {
			buf := make([]byte, 512)
			for {
				n, addr, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				if n < 12 {
					continue
				}
				resp := append([]byte(nil), buf[:n]...)
				resp[2] = 0x80 | resp[2]&0x01 // QR, keep RD
				resp[3] = 0x80 | tc.rcode     // RA, RCODE
				resp[6], resp[7], resp[8], resp[9], resp[10], resp[11] = 0, 0, 0, 0, 0, 0
				_, _ = pc.WriteTo(resp, addr)
			}
		}()
		res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", pc.LocalAddr().String())
		}}
		ctx, cancel := context.WithTimeout(ctxT(t), 15*time.Second)
		d := &diagDialer{}
		c, err := Dial(ctx, "diagnose-nxdomain.invalid:110", &Options{Security: SecurityNone, Resolver: res, Dialer: d, Timeout: time.Second, ConnectTimeout: time.Second})
		cancel()
		noDial(t, c)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("want *Error, got %T %v", err, err)
		}
		if e.Step != StepResolve || e.Kind != tc.want {
			t.Fatalf("rcode %d: want %s at resolve, got %s at %s: %v", tc.rcode, tc.want, e.Kind, e.Step, err)
		}
		if e.Host != "diagnose-nxdomain.invalid" {
			t.Errorf("Host = %q", e.Host)
		}
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) {
			t.Errorf("no *net.DNSError in the chain: %v", err)
		}
		if got := d.calls(); len(got) != 0 {
			t.Errorf("dialed %q for a name that cannot exist", got)
		}
	}
}

// ---- 2. connect ----

func TestDiagnoseConnect(t *testing.T) {
	t.Parallel()

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		addr := testnet.ClosedAddr(t)
		c, err := Dial(ctxT(t), addr, plain())
		noDial(t, c)
		e := checkDiag(t, err, diagWant{kind: KindConnectionRefused, step: StepConnect})
		if e.Host != "127.0.0.1" {
			t.Errorf("Host = %q", e.Host)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("ECONNREFUSED not in the chain: %v", err)
		}
	})

	t.Run("connect timeout", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		o := plain()
		o.ConnectTimeout = time.Nanosecond
		start := time.Now()
		c, err := Dial(ctxT(t), ln.Addr().String(), o)
		noDial(t, c)
		checkDiag(t, err, diagWant{kind: KindTimeout, step: StepConnect, temp: true})
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("want a real Go net.Error with Timeout() in the chain, got %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("a 1ns connect timeout took %v", d)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		d := &diagDialer{}
		r := &diagResolver{addrs: []net.IPAddr{{IP: net.ParseIP("192.0.2.1")}}}
		c, err := Dial(ctxT(t), "mail.example.test:110", &Options{Security: SecurityNone, Resolver: r, Dialer: d, Timeout: time.Second, ConnectTimeout: time.Second})
		noDial(t, c)
		e := checkDiag(t, err, diagWant{kind: KindUnreachable, step: StepConnect, temp: true})
		if e.Host != "mail.example.test" {
			t.Errorf("Host = %q", e.Host)
		}
		if !errors.Is(err, syscall.ENETUNREACH) {
			t.Errorf("ENETUNREACH not in the chain: %v", err)
		}
		if got := d.calls(); !slices.Equal(got, []string{"192.0.2.1:110"}) {
			t.Errorf("dialed %q", got)
		}
	})

	// With several addresses, the refusal says more than an unreachable
	// route, whichever order they come in.
	for _, order := range []string{"unreachable first", "refused first"} {
		t.Run("several addresses "+order, func(t *testing.T) {
			t.Parallel()
			port := testnet.Port(testnet.ClosedAddr(t))
			ips := []net.IPAddr{{IP: net.ParseIP("192.0.2.7")}, {IP: net.ParseIP("127.0.0.1")}}
			if order == "refused first" {
				ips[0], ips[1] = ips[1], ips[0]
			}
			d := &diagDialer{}
			r := &diagResolver{addrs: ips}
			c, err := Dial(ctxT(t), net.JoinHostPort("mail.example.test", port), &Options{Security: SecurityNone, Resolver: r, Dialer: d, Timeout: time.Second, ConnectTimeout: time.Second})
			noDial(t, c)
			checkDiag(t, err, diagWant{kind: KindConnectionRefused, step: StepConnect})
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("the refusal's own error is not the one reported: %v", err)
			}
			if errors.Is(err, syscall.ENETUNREACH) {
				t.Errorf("the unreachable address's error is reported: %v", err)
			}
			want := []string{net.JoinHostPort(ips[0].IP.String(), port), net.JoinHostPort(ips[1].IP.String(), port)}
			if got := d.calls(); !slices.Equal(got, want) {
				t.Errorf("dialed %q, want both addresses in order %q", got, want)
			}
		})
	}
}

// ---- 3. greeting ----

func TestDiagnoseGreeting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		lines   []string
		timeout time.Duration
		want    diagWant
	}{
		{"closed at once", []string{"CLOSE"}, 0,
			diagWant{kind: KindClosedBeforeGreeting, step: StepGreeting, temp: true}},
		{"SYS/TEMP", []string{"S: -ERR [SYS/TEMP] overloaded", "WAIT"}, 0,
			diagWant{kind: KindTempFailure, step: StepGreeting, code: "SYS/TEMP", temp: true}},
		{"plain -ERR", []string{"S: -ERR go away", "WAIT"}, 0,
			diagWant{kind: KindServerError, step: StepGreeting}},
		{"IMAP", []string{"S: * OK [CAPABILITY IMAP4rev1] ready", "WAIT"}, 0,
			diagWant{kind: KindNotPOP3, step: StepGreeting, service: "IMAP"}},
		{"SMTP", []string{"S: 220 mx ESMTP", "WAIT"}, 0,
			diagWant{kind: KindNotPOP3, step: StepGreeting, service: "SMTP"}},
		{"FTP", []string{"S: 220 ProFTPD FTP Server ready", "WAIT"}, 0,
			diagWant{kind: KindNotPOP3, step: StepGreeting, service: "FTP"}},
		{"SSH", []string{"S: SSH-2.0-OpenSSH_9.6", "WAIT"}, 0,
			diagWant{kind: KindNotPOP3, step: StepGreeting, service: "SSH"}},
		{"garbage", []string{"S: hello there, friend", "WAIT"}, 0,
			diagWant{kind: KindProtocol, step: StepGreeting}},
		{"TLS alert first", []string{`S| "\x15\x03\x03\x00\x02\x02\x28"`, "WAIT"}, 0,
			diagWant{kind: KindPlainOnTLSPort, step: StepGreeting}},
		{"never speaks", []string{"WAIT"}, 300 * time.Millisecond,
			diagWant{kind: KindTimeout, step: StepGreeting, temp: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startFake(t, nil, script(tt.lines...))
			o := plain()
			if tt.timeout > 0 {
				o.Timeout = tt.timeout
			}
			start := time.Now()
			c, err := Dial(ctxT(t), s.Addr, o)
			elapsed := time.Since(start)
			noDial(t, c)
			e := checkDiag(t, err, tt.want)
			if e.Host != "127.0.0.1" {
				t.Errorf("Host = %q", e.Host)
			}
			if tt.want.kind == KindProtocol && !errors.Is(err, errNotStatus) {
				t.Errorf("want the parse error in the chain, got %v", err)
			}
			if tt.want.kind == KindClosedBeforeGreeting && !errors.Is(err, io.EOF) {
				t.Errorf("want io.EOF in the chain, got %v", err)
			}
			if tt.timeout > 0 {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("want the read timeout in the chain, got %v", err)
				}
				// The greeting wait plus the TLS probe, each one Timeout.
				if elapsed < tt.timeout || elapsed > 5*time.Second {
					t.Errorf("took %v with Timeout %v", elapsed, tt.timeout)
				}
			} else if elapsed > 2*time.Second {
				t.Errorf("took %v: the answer was there at once", elapsed)
			}
		})
	}
}

// TestGreetingBannerNotKept: what greets other than with +OK may be another
// service (ssh, a web server, a database) on a mistaken port; its words
// must not travel in the error, where a diagnosis would show them.
func TestGreetingBannerNotKept(t *testing.T) {
	t.Parallel()
	for _, greeting := range []string{
		"SSH-2.0-OpenSSH_9.2 secret-banner",
		"HTTP/1.1 400 Bad Request secret-banner",
		"220 secret-banner ESMTP",
		"* OK secret-banner",
		"-ERR secret-banner",
		"-ERR [SYS/TEMP] secret-banner",
		"$12 secret-banner",
		"secret-banner",
	} {
		t.Run(greeting, func(t *testing.T) {
			t.Parallel()
			s := startFake(t, nil, script("S: "+greeting, "WAIT"))
			c, err := Dial(ctxT(t), s.Addr, plain())
			noDial(t, c)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%v is not an *Error", err)
			}
			if e.ServerText != "" || strings.Contains(err.Error(), "secret-banner") {
				t.Errorf("the banner travels in the error: ServerText %q, %v", e.ServerText, err)
			}
		})
	}
	// After a +OK greeting the server speaks POP3: its -ERR is kept.
	s := startFake(t, nil, script("S: +OK ready", "C: CAPA", "S: -ERR no CAPA", "C: USER ana", "S: -ERR [AUTH] no such user here", "WAIT"))
	c, err := Dial(ctxT(t), s.Addr, plain())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Login(ctxT(t), "ana", "pw")
	checkDiag(t, err, diagWant{kind: KindAuthFailed, step: StepAuth, command: "USER", code: "AUTH", text: "no such user here"})
}

// TestDialerRefusal: an address the Dialer refuses by policy
// (internal/netguard) is KindAddressNotAllowed, and nothing connects.
func TestDialerRefusal(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	ctx := netguard.Restrict(ctxT(t), netguard.Policy{AllowPrivate: true})
	o := plain()
	o.Dialer = netguard.Dialer(nil)
	c, err := Dial(ctx, ln.Addr().String(), o)
	noDial(t, c)
	checkDiag(t, err, diagWant{kind: KindAddressNotAllowed, step: StepConnect})
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("%d connections reached the listener", n)
	}
}

// ---- 4. plain chosen on a TLS port ----

func TestDiagnosePlainOnTLSPort(t *testing.T) {
	t.Parallel()
	ca := newDiagCA(t)
	leaf, _ := ca.issue(t, leafSpec{ips: loopbackIP})
	for _, sec := range []Security{SecurityNone, SecuritySTARTTLS} {
		t.Run(sec.String(), func(t *testing.T) {
			t.Parallel()
			hs := make(chan error, 1)
			s := startFake(t, &tls.Config{Certificates: []tls.Certificate{leaf}}, tlsThen(hs, func(fc *fakeConn) {
				// A POP3S server greets once TLS is up; the client hangs up.
				_, _ = io.WriteString(fc.conn, "+OK POP3S ready\r\n")
				fc.waitClose()
			}))
			o := &Options{Security: sec, Timeout: 500 * time.Millisecond, ConnectTimeout: 3 * time.Second}
			start := time.Now()
			c, err := Dial(ctxT(t), s.Addr, o)
			elapsed := time.Since(start)
			noDial(t, c)
			checkDiag(t, err, diagWant{kind: KindPlainOnTLSPort, step: StepGreeting})
			// The client's probe must really have been a ClientHello that a
			// TLS server accepted.
			if herr := recvErr(t, hs); herr != nil {
				t.Errorf("the TLS server saw no valid ClientHello: %v", herr)
			}
			if elapsed < o.Timeout || elapsed > 5*time.Second {
				t.Errorf("took %v with Timeout %v", elapsed, o.Timeout)
			}
		})
	}
}

// ---- 5. TLS chosen on a plain port ----

func TestDiagnoseTLSOnPlainPort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		greeting string
		want     diagWant
	}{
		{"POP3", "+OK POP3 ready", diagWant{kind: KindTLSOnPlainPort, step: StepTLS, text: "+OK P"}},
		{"IMAP", "* OK [CAPABILITY IMAP4rev1] ready", diagWant{kind: KindNotPOP3, step: StepTLS, service: "IMAP"}},
		{"SMTP", "220 mx.example.test ESMTP", diagWant{kind: KindNotPOP3, step: StepTLS, service: "SMTP"}},
		// A port that accepts and never answers the ClientHello.
		{"silent", "", diagWant{kind: KindTimeout, step: StepTLS, temp: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines := []string{"WAIT"}
			if tt.greeting != "" {
				lines = []string{"S: " + tt.greeting, "WAIT"}
			}
			s := startFake(t, nil, script(lines...))
			o := &Options{Security: SecurityTLS, Timeout: 3 * time.Second, ConnectTimeout: 3 * time.Second}
			if tt.greeting == "" {
				o.Timeout = 300 * time.Millisecond
			}
			start := time.Now()
			c, err := Dial(ctxT(t), s.Addr, o)
			noDial(t, c)
			checkDiag(t, err, tt.want)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			var rh tls.RecordHeaderError
			if got := errors.As(err, &rh); got != (tt.greeting != "") {
				t.Errorf("tls.RecordHeaderError in the chain: %v, want %v: %v", got, tt.greeting != "", err)
			}
		})
	}
}

// ---- 6. certificates ----

func TestDiagnoseCertificates(t *testing.T) {
	t.Parallel()
	ca := newDiagCA(t)
	otherCA := newDiagCA(t)
	now := time.Now()
	good, goodX := ca.issue(t, leafSpec{ips: loopbackIP, dns: []string{"localhost"}})
	_, otherX := otherCA.issue(t, leafSpec{ips: loopbackIP})
	wrongName, wrongNameX := ca.issue(t, leafSpec{dns: []string{"mail.example.test"}})
	expired, expiredX := ca.issue(t, leafSpec{ips: loopbackIP, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	notYet, notYetX := ca.issue(t, leafSpec{ips: loopbackIP, notBefore: now.Add(24 * time.Hour), notAfter: now.Add(48 * time.Hour)})
	selfCA, selfCAX := (*diagCA)(nil).issue(t, leafSpec{cn: "self-signed CA:TRUE", ips: loopbackIP, selfSigned: true, selfIsCA: true})
	selfLeaf, selfLeafX := (*diagCA)(nil).issue(t, leafSpec{cn: "self-signed CA:FALSE", ips: loopbackIP, selfSigned: true})

	tests := []struct {
		name   string
		server *tls.Config
		opts   Options
		kind   Kind // "" for success
		leaf   *x509.Certificate
		check  func(t *testing.T, ci *CertInfo)
		issuer string // the IssuerCommonName expected in Cert
	}{
		{name: "unknown authority", server: &tls.Config{Certificates: []tls.Certificate{good}},
			kind: KindUnknownAuthority, leaf: goodX, issuer: diagCAName,
			check: func(t *testing.T, ci *CertInfo) {
				if ci.IssuerOrganization != diagCAOrg {
					t.Errorf("IssuerOrganization = %q, want %q", ci.IssuerOrganization, diagCAOrg)
				}
				if ci.SelfSigned {
					t.Error("a CA-issued certificate reported as self-signed")
				}
				if !slices.Contains(ci.IPAddresses, "127.0.0.1") || !slices.Contains(ci.DNSNames, "localhost") {
					t.Errorf("IPAddresses %q, DNSNames %q: want 127.0.0.1 and localhost", ci.IPAddresses, ci.DNSNames)
				}
				if !strings.Contains(ci.Subject, "pop.test server") || !strings.Contains(ci.Issuer, diagCAName) {
					t.Errorf("Subject %q, Issuer %q", ci.Subject, ci.Issuer)
				}
			}},
		{name: "extra root CA", server: &tls.Config{Certificates: []tls.Certificate{good}},
			opts: Options{ExtraRootCAs: []*x509.Certificate{ca.cert}}},
		{name: "extra root CA on top of TLSConfig.RootCAs", server: &tls.Config{Certificates: []tls.Certificate{good}},
			opts: Options{TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}, ExtraRootCAs: []*x509.Certificate{ca.cert}}},
		{name: "the wrong CA", server: &tls.Config{Certificates: []tls.Certificate{good}},
			opts: Options{ExtraRootCAs: []*x509.Certificate{otherCA.cert}},
			kind: KindUnknownAuthority, leaf: goodX, issuer: diagCAName},
		{name: "pinned fingerprint", server: &tls.Config{Certificates: []tls.Certificate{good}},
			opts: Options{TrustedFingerprints: []string{colonUpper(fingerprint(goodX))}}},
		{name: "another certificate pinned", server: &tls.Config{Certificates: []tls.Certificate{good}},
			opts: Options{TrustedFingerprints: []string{colonUpper(fingerprint(otherX))}},
			kind: KindUnknownAuthority, leaf: goodX, issuer: diagCAName},
		{name: "pinned expired certificate", server: &tls.Config{Certificates: []tls.Certificate{expired}},
			opts: Options{TrustedFingerprints: []string{strings.ToUpper(fingerprint(expiredX))}}},
		{name: "wrong name for 127.0.0.1", server: &tls.Config{Certificates: []tls.Certificate{wrongName}},
			opts: Options{ExtraRootCAs: []*x509.Certificate{ca.cert}},
			kind: KindCertificateName, leaf: wrongNameX, issuer: diagCAName,
			check: func(t *testing.T, ci *CertInfo) {
				if !slices.Equal(ci.DNSNames, []string{"mail.example.test"}) {
					t.Errorf("DNSNames = %q, want [mail.example.test]", ci.DNSNames)
				}
			}},
		{name: "wrong name for ServerName localhost", server: &tls.Config{Certificates: []tls.Certificate{wrongName}},
			opts: Options{TLSConfig: &tls.Config{ServerName: "localhost"}, ExtraRootCAs: []*x509.Certificate{ca.cert}},
			kind: KindCertificateName, leaf: wrongNameX, issuer: diagCAName,
			check: func(t *testing.T, ci *CertInfo) {
				if !slices.Contains(ci.DNSNames, "mail.example.test") {
					t.Errorf("DNSNames = %q, want mail.example.test", ci.DNSNames)
				}
			}},
		{name: "right name via ServerName", server: &tls.Config{Certificates: []tls.Certificate{wrongName}},
			opts: Options{TLSConfig: &tls.Config{ServerName: "mail.example.test"}, ExtraRootCAs: []*x509.Certificate{ca.cert}}},
		{name: "expired", server: &tls.Config{Certificates: []tls.Certificate{expired}},
			opts: Options{ExtraRootCAs: []*x509.Certificate{ca.cert}},
			kind: KindCertificateExpired, leaf: expiredX, issuer: diagCAName,
			check: func(t *testing.T, ci *CertInfo) {
				if !ci.NotAfter.Equal(expiredX.NotAfter) || !ci.NotAfter.Before(time.Now()) {
					t.Errorf("NotAfter = %v, want %v (in the past)", ci.NotAfter, expiredX.NotAfter)
				}
			}},
		{name: "not yet valid", server: &tls.Config{Certificates: []tls.Certificate{notYet}},
			opts: Options{ExtraRootCAs: []*x509.Certificate{ca.cert}},
			kind: KindCertificateInvalid, leaf: notYetX, issuer: diagCAName,
			check: func(t *testing.T, ci *CertInfo) {
				if !ci.NotBefore.Equal(notYetX.NotBefore) {
					t.Errorf("NotBefore = %v, want %v", ci.NotBefore, notYetX.NotBefore)
				}
			}},
		{name: "self-signed CA:TRUE", server: &tls.Config{Certificates: []tls.Certificate{selfCA}},
			kind: KindUnknownAuthority, leaf: selfCAX, issuer: "self-signed CA:TRUE",
			check: func(t *testing.T, ci *CertInfo) {
				if !ci.SelfSigned {
					t.Error("SelfSigned = false for a self-signed certificate")
				}
			}},
		{name: "self-signed end-entity", server: &tls.Config{Certificates: []tls.Certificate{selfLeaf}},
			kind: KindUnknownAuthority, leaf: selfLeafX, issuer: "self-signed CA:FALSE",
			check: func(t *testing.T, ci *CertInfo) {
				// The usual self-signed server certificate (Go's
				// generate_cert.go, many appliance and Dovecot
				// defaults) is not a CA. It is still self-signed.
				if !ci.SelfSigned {
					t.Error("SelfSigned = false for a self-signed (CA:FALSE) certificate")
				}
			}},
		{name: "TLS 1.1 only", server: &tls.Config{Certificates: []tls.Certificate{good}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11},
			opts: Options{ExtraRootCAs: []*x509.Certificate{ca.cert}},
			kind: KindTLSVersion},
		{name: "TLS 1.1 only, client asks for 1.0", server: &tls.Config{Certificates: []tls.Certificate{good}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11},
			opts: Options{TLSConfig: &tls.Config{MinVersion: tls.VersionTLS10}, ExtraRootCAs: []*x509.Certificate{ca.cert}},
			kind: KindTLSVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hs := make(chan error, 1)
			s := startFake(t, tt.server, tlsThen(hs, script(greet...)))
			o := tt.opts
			o.Security = SecurityTLS
			o.Timeout, o.ConnectTimeout = 3*time.Second, 3*time.Second
			c, err := Dial(ctxT(t), s.Addr, &o)
			herr := recvErr(t, hs)
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				defer c.Close()
				if herr != nil {
					t.Errorf("server handshake: %v", herr)
				}
				st, ok := c.TLSConnectionState()
				if !ok || !st.HandshakeComplete || st.Version < tls.VersionTLS12 {
					t.Errorf("TLSConnectionState = %v (ok %v), want a complete TLS ≥1.2 handshake", st.Version, ok)
				}
				if len(st.PeerCertificates) == 0 || !bytes.Equal(st.PeerCertificates[0].Raw, tt.server.Certificates[0].Certificate[0]) {
					t.Error("TLSConnectionState does not hold the server's certificate")
				}
				if !c.Capabilities().Has("UIDL") {
					t.Errorf("no session after the handshake: capabilities %v", c.Capabilities())
				}
				return
			}
			noDial(t, c)
			e := checkDiag(t, err, diagWant{kind: tt.kind, step: StepTLS})
			if e.Host != "127.0.0.1" {
				t.Errorf("Host = %q", e.Host)
			}
			if herr == nil {
				t.Error("the server completed its handshake: the client did not reject the connection")
			}
			if tt.leaf == nil {
				if e.Cert != nil {
					t.Errorf("Cert = %+v for a failure not about the certificate", e.Cert)
				}
				return
			}
			if e.Cert == nil {
				t.Fatalf("no Cert in %v", err)
			}
			if want := fingerprint(tt.leaf); e.Cert.SHA256 != want {
				t.Errorf("Cert.SHA256 = %q, want %q", e.Cert.SHA256, want)
			}
			if e.Cert.IssuerCommonName != tt.issuer {
				t.Errorf("Cert.IssuerCommonName = %q, want %q", e.Cert.IssuerCommonName, tt.issuer)
			}
			if tt.check != nil {
				tt.check(t, e.Cert)
			}
			if !strings.Contains(err.Error(), "certificate") {
				t.Errorf("Error() %q does not mention the certificate", err.Error())
			}
		})
	}
}

// ---- 7. STARTTLS ----

// bufConn reads through the fake's bufio.Reader, so nothing it buffered
// is lost when the connection turns into TLS.
type bufConn struct {
	net.Conn
	r io.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// stlsServer is a POP3 server that offers STLS, upgrades, and then runs
// afterTLS over TLS. inject is sent in the same write as the +OK to STLS.
func stlsServer(cfg *tls.Config, inject string, afterTLS ...string) func(fc *fakeConn) {
	return func(fc *fakeConn) {
		fc.line("+OK POP3 ready")
		if !fc.expect("CAPA") {
			return
		}
		fc.send("+OK\r\nSTLS\r\nUSER\r\nIMPLEMENTATION before-tls\r\n.\r\n")
		if !fc.expect("STLS") {
			return
		}
		fc.send("+OK Begin TLS\r\n" + inject)
		tc := tls.Server(&bufConn{Conn: fc.conn, r: fc.r}, cfg)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			fc.errorf("STLS handshake: %v", err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
		script(afterTLS...)(&fakeConn{s: fc.s, conn: tc, r: bufio.NewReader(tc)})
	}
}

func TestDiagnoseSTARTTLS(t *testing.T) {
	t.Parallel()
	ca := newDiagCA(t)
	leaf, _ := ca.issue(t, leafSpec{ips: loopbackIP})
	stls := func() *Options {
		return &Options{Security: SecuritySTARTTLS, ExtraRootCAs: []*x509.Certificate{ca.cert}, Timeout: 3 * time.Second, ConnectTimeout: 3 * time.Second}
	}

	t.Run("not offered", func(t *testing.T) {
		t.Parallel()
		rest := make(chan string, 1)
		s := startFake(t, nil, restOf(rest, greet...))
		c, err := Dial(ctxT(t), s.Addr, stls())
		noDial(t, c)
		checkDiag(t, err, diagWant{kind: KindSTLSNotOffered, step: StepSTLS})
		// Never fall back, never send anything more: not STLS, not USER.
		if got := recvString(t, rest); got != "" {
			t.Errorf("client sent %q after a CAPA without STLS", got)
		}
	})

	t.Run("refused with -ERR", func(t *testing.T) {
		t.Parallel()
		rest := make(chan string, 1)
		s := startFake(t, nil, restOf(rest,
			"S: +OK POP3 ready",
			"C: CAPA",
			"S: +OK",
			"S: STLS",
			"S: USER",
			"S: .",
			"C: STLS",
			"S: -ERR TLS not available right now",
		))
		c, err := Dial(ctxT(t), s.Addr, stls())
		noDial(t, c)
		checkDiag(t, err, diagWant{kind: KindSTLSNotOffered, step: StepSTLS, command: "STLS", text: "TLS not available right now"})
		if got := recvString(t, rest); got != "" {
			t.Errorf("client sent %q after STLS was refused", got)
		}
	})

	afterTLS := []string{
		"C: CAPA",
		"S: +OK Capability list follows",
		"S: USER",
		"S: UIDL",
		"S: IMPLEMENTATION over-tls",
		"S: .",
		"C: USER alice",
		"S: +OK",
		"C: PASS secret",
		"S: +OK logged in",
		"C: CAPA",
		"S: +OK",
		"S: UIDL",
		"S: .",
		"C: STAT",
		"S: +OK 2 320",
	}
	for _, tc := range []struct{ name, inject string }{
		{"upgrade", ""},
		// CVE-2011-0411: a man in the middle appends a reply to the +OK;
		// it is plain text and must never be read as the post-TLS CAPA reply.
		{"injected reply before the handshake", "+OK injected\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startFake(t, nil, stlsServer(&tls.Config{Certificates: []tls.Certificate{leaf}}, tc.inject, afterTLS...))
			var trace bytes.Buffer
			o := stls()
			o.Trace = &trace
			c, err := Dial(ctxT(t), s.Addr, o)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			st, ok := c.TLSConnectionState()
			if !ok || !st.HandshakeComplete || st.Version < tls.VersionTLS12 {
				t.Fatalf("TLSConnectionState = version %x ok %v after STLS", st.Version, ok)
			}
			caps := c.Capabilities()
			if got := caps.Implementation(); got != "over-tls" {
				t.Errorf("capabilities are not the ones sent over TLS: IMPLEMENTATION %q, caps %v", got, caps)
			}
			if caps.Has("STLS") {
				t.Errorf("the pre-TLS capabilities survived the upgrade: %v", caps)
			}
			// Exactly what the server sent over TLS: an injected "+OK" taken
			// as the CAPA reply would turn the real one into a capability.
			var names []string
			for name := range caps {
				names = append(names, name)
			}
			slices.Sort(names)
			if want := []string{"IMPLEMENTATION", "UIDL", "USER"}; !slices.Equal(names, want) {
				t.Errorf("capabilities after STLS = %q, want %q", names, want)
			}
			ctx := ctxT(t)
			if err := c.Login(ctx, "alice", "secret"); err != nil {
				t.Fatalf("Login over STLS: %v", err)
			}
			n, size, err := c.Stat(ctx)
			if err != nil || n != 2 || size != 320 {
				t.Fatalf("Stat = %d, %d, %v; want 2, 320", n, size, err)
			}
			tr := trace.String()
			if strings.Contains(tr, "injected") {
				t.Errorf("the injected line was read as a reply:\n%s", tr)
			}
			if tc.inject != "" && !strings.Contains(tr, fmt.Sprintf("discarded %d bytes", len(tc.inject))) {
				t.Errorf("the injected bytes were not noticed and dropped:\n%s", tr)
			}
		})
	}
}

// ---- 8. authentication ----

func TestDiagnoseAuth(t *testing.T) {
	t.Parallel()
	pass := func(reply string) []string {
		return []string{"C: USER alice", "S: +OK", "C: PASS secret", "S: " + reply, "WAIT"}
	}
	tests := []struct {
		name  string
		lines []string
		want  diagWant
	}{
		{"AUTH invalid credentials", pass("-ERR [AUTH] Invalid credentials"),
			diagWant{kind: KindAuthFailed, step: StepAuth, command: "PASS", code: "AUTH", text: "Invalid credentials"}},
		{"SYS/PERM POP disabled", pass("-ERR [SYS/PERM] Your account is not enabled for POP access."),
			diagWant{kind: KindPOPDisabled, step: StepAuth, command: "PASS", code: "SYS/PERM", text: "Your account is not enabled for POP access."}},
		{"SYS/TEMP", pass("-ERR [SYS/TEMP] Backend unavailable"),
			diagWant{kind: KindTempFailure, step: StepAuth, command: "PASS", code: "SYS/TEMP", text: "Backend unavailable", temp: true}},
		{"IN-USE", pass("-ERR [IN-USE] locked"),
			diagWant{kind: KindInUse, step: StepAuth, command: "PASS", code: "IN-USE", text: "locked", temp: true}},
		{"LOGIN-DELAY", pass("-ERR [LOGIN-DELAY] wait"),
			diagWant{kind: KindLoginDelay, step: StepAuth, command: "PASS", code: "LOGIN-DELAY", text: "wait", temp: true}},
		{"Dovecot plaintext disallowed", []string{
			"C: USER alice",
			"S: -ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
			"WAIT",
		}, diagWant{kind: KindEncryptionRequired, step: StepAuth, command: "USER", code: "AUTH", text: "Plaintext authentication disallowed on non-secure (SSL/TLS) connections."}},
		{"locked without a code", pass("-ERR Mailbox is locked"),
			diagWant{kind: KindInUse, step: StepAuth, command: "PASS", text: "Mailbox is locked", temp: true}},
		{"bad password without a code", pass("-ERR bad password"),
			diagWant{kind: KindAuthFailed, step: StepAuth, command: "PASS", text: "bad password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dialScript(t, plain(), join(greet, tt.lines)...)
			err := c.Login(ctxT(t), "alice", "secret")
			e := checkDiag(t, err, tt.want)
			if e.Host != "127.0.0.1" {
				t.Errorf("Host = %q", e.Host)
			}
			if c.Authenticated() {
				t.Error("Authenticated() after a rejected login")
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the password leaked into the error: %v", err)
			}
		})
	}

	t.Run("OAuth only", func(t *testing.T) {
		t.Parallel()
		rest := make(chan string, 1)
		s := startFake(t, nil, restOf(rest,
			"S: +OK Microsoft Exchange POP3 server ready",
			"C: CAPA",
			"S: +OK",
			"S: TOP",
			"S: UIDL",
			"S: SASL XOAUTH2 OAUTHBEARER",
			"S: RESP-CODES",
			"S: .",
		))
		c, err := Dial(ctxT(t), s.Addr, plain())
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		err = c.Login(ctxT(t), "alice", "secret")
		c.Close()
		e := checkDiag(t, err, diagWant{kind: KindOAuthRequired, step: StepAuth, text: "SASL XOAUTH2 OAUTHBEARER"})
		if e.Host != "127.0.0.1" {
			t.Errorf("Host = %q", e.Host)
		}
		if got := recvString(t, rest); got != "" {
			t.Errorf("client sent %q to an OAuth-only server; want nothing (above all no password)", got)
		}
	})
}

// ---- 9. Temporary ----

func TestDiagnoseTemporary(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)

	greetErr := func(o *Options, lines ...string) error {
		s := startFake(t, nil, script(lines...))
		c, err := Dial(ctx, s.Addr, o)
		noDial(t, c)
		return err
	}
	loginErr := func(reply string) error {
		c := dialScript(t, plain(), join(greet, []string{"C: USER alice", "S: +OK", "C: PASS secret", "S: " + reply, "WAIT"})...)
		return c.Login(ctx, "alice", "secret")
	}
	short := plain()
	short.Timeout = 300 * time.Millisecond
	_, notFound := Dial(ctx, "mail.example.test:995", &Options{
		Resolver: &diagResolver{err: &net.DNSError{Err: "no such host", Name: "mail.example.test", IsNotFound: true}},
		Dialer:   &diagDialer{},
	})

	tests := []struct {
		name string
		err  error
		kind Kind
		want bool
	}{
		{"timeout", greetErr(short, "WAIT"), KindTimeout, true},
		{"temporary failure", greetErr(plain(), "S: -ERR [SYS/TEMP] overloaded", "WAIT"), KindTempFailure, true},
		{"in use", loginErr("-ERR [IN-USE] locked"), KindInUse, true},
		{"auth failed", loginErr("-ERR [AUTH] Invalid credentials"), KindAuthFailed, false},
		{"host not found", notFound, KindHostNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if KindOf(tt.err) != tt.kind {
				t.Fatalf("setup produced %v (kind %q), want kind %q", tt.err, KindOf(tt.err), tt.kind)
			}
			if got := Temporary(tt.err); got != tt.want {
				t.Errorf("Temporary(%v) = %v, want %v", tt.err, got, tt.want)
			}
			// Wrapping by the caller must not change the answer.
			if got := Temporary(fmt.Errorf("fetching mail: %w", tt.err)); got != tt.want {
				t.Errorf("Temporary(wrapped %v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if Temporary(nil) || Temporary(errors.New("i/o timeout")) || Temporary(os.ErrDeadlineExceeded) {
		t.Error("Temporary is true for an error that is not an *Error")
	}
}
