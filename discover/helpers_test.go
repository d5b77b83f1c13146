package discover

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"github.com/apartado/apartado/internal/testcert"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// Everything here stays on loopback: the resolvers and HTTP transports are
// fakes or map names to local listeners, so no test asks a real DNS server
// or reaches the internet.

// fakeResolver answers SRV and MX queries from tables.
type fakeResolver struct {
	srv    map[string][]*net.SRV // by service: "pop3s", "pop3"
	srvErr map[string]error      // returned alongside srv[service]
	mx     []*net.MX
	mxErr  error

	// block, when set, makes every lookup wait until it is closed; with
	// ignoreCtx it does not even watch the context.
	block     chan struct{}
	ignoreCtx bool

	calls atomic.Int32
}

func (r *fakeResolver) wait(ctx context.Context) error {
	if r.block == nil {
		return nil
	}
	if r.ignoreCtx {
		<-r.block
		return nil
	}
	select {
	case <-r.block:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *fakeResolver) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	r.calls.Add(1)
	if err := r.wait(ctx); err != nil {
		return "", nil, err
	}
	if proto != "tcp" {
		return "", nil, errors.New("fake: unexpected proto " + proto)
	}
	recs, ok := r.srv[service]
	err := r.srvErr[service]
	if !ok && err == nil {
		err = &net.DNSError{Err: "no such host", Name: "_" + service + "._tcp." + name, IsNotFound: true}
	}
	return "_" + service + "._tcp." + name + ".", recs, err
}

func (r *fakeResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	r.calls.Add(1)
	if err := r.wait(ctx); err != nil {
		return nil, err
	}
	if r.mx == nil && r.mxErr == nil {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return r.mx, r.mxErr
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// offlineHTTP is an HTTP client that fails every request at once, counting
// them.
func offlineHTTP(calls *atomic.Int32) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if calls != nil {
			calls.Add(1)
		}
		return nil, errors.New("offline test transport")
	})}
}

// failProbe fails the test if a probe is attempted.
func failProbe(t *testing.T) func(context.Context, Candidate) error {
	return func(ctx context.Context, c Candidate) error {
		t.Errorf("unexpected probe of %s", c.key())
		return errors.New("unexpected probe")
	}
}

// refuseProbe answers every probe with a refused connection, so that a
// test that turns probing on never reaches a real SMTP server.
func refuseProbe(ctx context.Context, c Candidate) error {
	return &smtpclient.Error{Kind: smtpclient.KindConnectionRefused, Step: smtpclient.StepConnect, Host: c.Host}
}

// offlineOptions is a base for tests: a fake resolver with no records, no
// HTTP, no probes.
func offlineOptions(t *testing.T, r *fakeResolver) *Options {
	if r == nil {
		r = &fakeResolver{}
	}
	o := &Options{Resolver: r, HTTPClient: offlineHTTP(nil), NoProbe: true, Probe: failProbe(t), ProbeSMTP: refuseProbe,
		Timeout: 10 * time.Second, goroutines: new(sync.WaitGroup)}
	return o
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	c := testcert.New(t, testcert.Spec{CommonName: "Apartado discover test CA", IsCA: true}, nil)
	return &testCA{cert: c.X509, key: c.Key, pool: c.Pool()}
}

// leaf issues a server certificate for names.
func (ca *testCA) leaf(t testing.TB, names ...string) tls.Certificate {
	t.Helper()
	return testcert.New(t, testcert.Spec{CommonName: names[0], DNSNames: names}, &testcert.Cert{X509: ca.cert, Key: ca.key}).TLS
}

// autoconfigSite is a real HTTPS server on loopback standing in for
// autoconfig.example.test and example.test (its certificate is valid for
// both, issued by a test CA), plus a plain HTTP server standing in for port
// 80 of every host, to catch a downgrade.
type autoconfigSite struct {
	https, http *httptest.Server
	client      *http.Client
	plainHits   atomic.Int32

	mu       sync.Mutex
	handlers map[string]http.HandlerFunc // by host, then path prefix "host/path"
	requests []string                    // "host/path?query" in the order served
}

func newAutoconfigSite(t *testing.T) *autoconfigSite {
	t.Helper()
	ca := newTestCA(t)
	s := &autoconfigSite{handlers: map[string]http.HandlerFunc{}}
	s.https = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.https.TLS = &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "autoconfig.example.test", "example.test")}}
	s.https.StartTLS()
	t.Cleanup(s.https.Close)
	s.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.plainHits.Add(1)
		http.Error(w, "plain HTTP must never be used", http.StatusTeapot)
	}))
	t.Cleanup(s.http.Close)

	transport := &http.Transport{
		// Every host's port 443 is the HTTPS server, port 80 the plain one.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			target := s.https.Listener.Addr().String()
			if port == "80" {
				target = s.http.Listener.Addr().String()
			}
			var d net.Dialer
			return d.DialContext(ctx, network, target)
		},
		// ServerName is left empty: the transport sets it to each
		// request's host, so the certificate is checked against the name.
		TLSClientConfig: &tls.Config{RootCAs: ca.pool},
	}
	t.Cleanup(transport.CloseIdleConnections)
	s.client = &http.Client{Transport: transport}
	return s
}

func (s *autoconfigSite) handle(hostPath string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[hostPath] = h
}

func (s *autoconfigSite) serve(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	s.mu.Lock()
	s.requests = append(s.requests, host+r.URL.RequestURI())
	h := s.handlers[host+r.URL.Path]
	s.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

func (s *autoconfigSite) served() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// xmlFile serves body as an autoconfig file.
func xmlFile(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write([]byte(body))
	}
}

// pop3Server is a tiny POP3 server on loopback: a greeting, CAPA, STLS
// (when it has a certificate and is not already TLS) and QUIT.
type pop3Server struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	cmds []string
}

// startPOP3 listens on 127.0.0.1. implicitTLS wraps the listener in TLS;
// otherwise stls, when non-nil, is offered for STLS.
func startPOP3(t *testing.T, implicitTLS, stls *tls.Config) *pop3Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicitTLS != nil {
		ln = tls.NewListener(ln, implicitTLS)
	}
	s := &pop3Server{ln: ln}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.session(conn, implicitTLS != nil, stls) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *pop3Server) addr() string { return s.ln.Addr().String() }

func (s *pop3Server) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

func (s *pop3Server) session(conn net.Conn, isTLS bool, stls *tls.Config) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	write := func(s string) bool {
		_, err := conn.Write([]byte(s))
		return err == nil
	}
	if !write("+OK test POP3 server ready\r\n") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		s.mu.Lock()
		s.cmds = append(s.cmds, cmd)
		s.mu.Unlock()
		switch cmd {
		case "CAPA":
			caps := "+OK\r\nUIDL\r\nTOP\r\n"
			if stls != nil && !isTLS {
				caps += "STLS\r\n"
			}
			if !write(caps + ".\r\n") {
				return
			}
		case "STLS":
			if stls == nil || isTLS {
				write("-ERR not here\r\n")
				continue
			}
			if !write("+OK begin TLS\r\n") {
				return
			}
			tc := tls.Server(conn, stls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, isTLS = tc, bufio.NewReader(tc), true
		case "QUIT":
			write("+OK bye\r\n")
			return
		default:
			if !write("-ERR unknown command\r\n") {
				return
			}
		}
	}
}

// ipResolver resolves the names in hosts to 127.0.0.1 for pop3client;
// every other name does not exist.
type ipResolver struct{ hosts map[string]bool }

func (r ipResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if r.hosts[host] {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// portDialer sends 127.0.0.1:<port> to the listener mapped for that port
// and refuses every other address.
type portDialer struct{ ports map[string]string }

func (d portDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	target, ok := d.ports[port]
	if host != "127.0.0.1" || !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused (test dialer)")}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, target)
}

var _ pop3client.Resolver = ipResolver{}
var _ pop3client.Dialer = portDialer{}
