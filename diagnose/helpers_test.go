package diagnose

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/testcert"
	"github.com/apartado/apartado/internal/testnet"

	"golang.org/x/text/language"

	"github.com/apartado/apartado/i18n"
)

var (
	english = i18n.New(language.English)
	spanish = i18n.New(language.Spanish)
)

// checkRendered renders m in English and Spanish and fails on formatting
// artifacts or a missing translation; it returns the English text.
func checkRendered(t *testing.T, what string, m Message) string {
	t.Helper()
	if m.IsZero() {
		t.Errorf("%s: empty message", what)
		return ""
	}
	en, es := m.Text(english, time.UTC), m.Text(spanish, time.UTC)
	for _, s := range []string{en, es} {
		if strings.Contains(s, "%!") || strings.Contains(s, "(MISSING)") {
			t.Errorf("%s: formatting artifact in %q", what, s)
		}
	}
	if en == es {
		t.Errorf("%s: no Spanish translation for %q", what, m.Key)
	}
	return en
}

// checkDiagnosis renders every sentence of d in both languages.
func checkDiagnosis(t *testing.T, d Diagnosis) {
	t.Helper()
	checkRendered(t, d.Kind+" title", d.Title)
	checkRendered(t, d.Kind+" explanation", d.Explanation)
	for _, h := range d.Hints {
		checkRendered(t, d.Kind+" hint", h)
	}
	for _, f := range d.Fixes {
		checkRendered(t, d.Kind+" fix", f.Label)
		if !f.Warning.IsZero() {
			checkRendered(t, d.Kind+" fix warning", f.Warning)
		}
	}
	for _, m := range CertFacts(d.Cert) {
		checkRendered(t, d.Kind+" certificate", m)
	}
	if d.HelpAnchor == "" || !anchors()[d.HelpAnchor] {
		t.Errorf("%s: help anchor %q has no section on the help page", d.Kind, d.HelpAnchor)
	}
}

func anchors() map[string]bool {
	out := map[string]bool{}
	for _, tp := range Topics() {
		out[tp.Anchor] = true
	}
	return out
}

// hasFix reports whether d offers a fix to host, port and security.
func findFix(d Diagnosis, pred func(Fix) bool) (Fix, bool) {
	for _, f := range d.Fixes {
		if pred(f) {
			return f, true
		}
	}
	return Fix{}, false
}

// testResolver answers names ending in ".test" with 127.0.0.1 and every
// other name with "no such host".
type testResolver struct{}

func (testResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if strings.HasSuffix(host, ".test") || host == "localhost" {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// ---- certificates ----

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name, org string) *testCA {
	t.Helper()
	c := testcert.New(t, testcert.Spec{CommonName: name, Organization: org, IsCA: true}, nil)
	return &testCA{cert: c.X509, key: c.Key}
}

// leaf makes a server certificate for names, valid from notBefore to
// notAfter, signed by ca (or by itself when ca is nil).
func leaf(t *testing.T, ca *testCA, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	var parent *testcert.Cert
	if ca != nil {
		parent = &testcert.Cert{X509: ca.cert, Key: ca.key}
	}
	spec := testcert.Spec{CommonName: names[0], DNSNames: names, NotBefore: notBefore, NotAfter: notAfter}
	return testcert.New(t, spec, parent).TLS
}

// ---- a small POP3 server for misbehaviour Dovecot will not produce ----

type fakeServer struct {
	tlsCert  *tls.Certificate // implicit TLS from the first byte
	stlsCert *tls.Certificate // offered with STLS
	caps     []string         // CAPA lines, besides STLS
	password string
	silent   bool   // accept and never speak
	stat     string // the answer to STAT; "2 3210" if empty
}

// start listens on a loopback port and serves until the test ends.
func (f fakeServer) start(t *testing.T) (port int) {
	t.Helper()
	port, _ = strconv.Atoi(testnet.Port(testnet.Serve(t, f.serve)))
	return port
}

func (f fakeServer) serve(c net.Conn) {
	if f.silent {
		_, _ = io.Copy(io.Discard, c) // read and never answer, until the client goes away
		return
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	var conn net.Conn = c
	if f.tlsCert != nil {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*f.tlsCert}})
		if err := tc.Handshake(); err != nil {
			return
		}
		conn = tc
	}
	r := bufio.NewReader(conn)
	say := func(lines ...string) bool {
		_, err := conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
		return err == nil
	}
	if !say("+OK fake POP3 ready") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		switch strings.ToUpper(cmd) {
		case "CAPA":
			lines := []string{"+OK"}
			if f.stlsCert != nil {
				lines = append(lines, "STLS")
			}
			lines = append(lines, f.caps...)
			say(append(lines, ".")...)
		case "STLS":
			if f.stlsCert == nil {
				say("-ERR not supported")
				continue
			}
			say("+OK begin TLS")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*f.stlsCert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r = tc, bufio.NewReader(tc)
		case "USER":
			say("+OK")
		case "PASS":
			if arg == f.password {
				say("+OK logged in")
			} else {
				say("-ERR [AUTH] Authentication failed.")
			}
		case "STAT":
			say("+OK " + cmp.Or(f.stat, "2 3210"))
		case "QUIT":
			say("+OK bye")
			return
		default:
			say("-ERR unknown command")
		}
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	port, err := strconv.Atoi(testnet.Port(testnet.ClosedAddr(t)))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// stepsOf lists the steps of a result as "step✓" or "step✗".
func stepsOf(r Result) string {
	var parts []string
	for _, s := range r.Steps {
		mark := "✓"
		if !s.OK {
			mark = "✗"
		}
		parts = append(parts, string(s.Step)+mark)
	}
	return strings.Join(parts, " ")
}
