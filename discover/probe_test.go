package discover

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apartado/apartado/pop3client"
)

// scriptedProbe answers probes from a table by "host:port/security"; a
// missing entry is a refused connection. It records what it was asked.
type scriptedProbe struct {
	mu      sync.Mutex
	answers map[string]error
	calls   []string
}

func (p *scriptedProbe) probe(ctx context.Context, c Candidate) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, c.key())
	if err, ok := p.answers[c.key()]; ok {
		return err
	}
	return &pop3client.Error{Kind: pop3client.KindConnectionRefused, Step: pop3client.StepConnect, Host: c.Host}
}

func (p *scriptedProbe) called() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.calls)
	slices.Sort(out)
	return out
}

func probeOptions(t *testing.T, r *fakeResolver, p *scriptedProbe) *Options {
	o := offlineOptions(t, r)
	o.NoProbe = false
	o.Probe = p.probe
	return o
}

func kindErr(k pop3client.Kind) error { return &pop3client.Error{Kind: k, Host: "x"} }

func TestGuessOrder(t *testing.T) {
	want := []string{
		"pop.example.test:995/tls", "mail.example.test:995/tls",
		"pop.example.test:110/starttls", "mail.example.test:110/starttls",
	}
	var got []string
	for _, c := range guesses("example.test") {
		got = append(got, c.key())
		if c.Source != SourceProbe {
			t.Errorf("%s: source %q", c.key(), c.Source)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("guesses %q, want %q", got, want)
	}
}

func TestProbeGuesses(t *testing.T) {
	p := &scriptedProbe{answers: map[string]error{
		// pop.example.test:995 refused (no entry)
		"mail.example.test:995/tls":     nil,
		"pop.example.test:110/starttls": nil,
		"mail.example.test:110/starttls": &pop3client.Error{
			Kind: pop3client.KindTimeout, Step: pop3client.StepConnect},
	}}
	res := discoverOK(t, "someone@example.test", probeOptions(t, nil, p))
	want := []Candidate{
		{Host: "mail.example.test", Port: 995, Security: pop3client.SecurityTLS, Source: SourceProbe, Verified: true},
		{Host: "pop.example.test", Port: 110, Security: pop3client.SecuritySTARTTLS, Source: SourceProbe, Verified: true},
	}
	if !slices.Equal(res.Candidates, want) {
		t.Errorf("candidates\n got %+v\nwant %+v", res.Candidates, want)
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes %q", res.Notes)
	}
	if got := p.called(); len(got) != 4 {
		t.Errorf("probes %q, want the four guesses", got)
	}
}

func TestProbeKnownFirst(t *testing.T) {
	// A server from SRV that answers is enough: no guessing.
	r := &fakeResolver{srv: map[string][]*net.SRV{"pop3s": {{Target: "in.provider.example.", Port: 995}}}}
	p := &scriptedProbe{answers: map[string]error{"in.provider.example:995/tls": nil, "pop.example.test:995/tls": nil}}
	res := discoverOK(t, "someone@example.test", probeOptions(t, r, p))
	if got, want := p.called(), []string{"in.provider.example:995/tls"}; !slices.Equal(got, want) {
		t.Errorf("probes %q, want %q", got, want)
	}
	want := []Candidate{{Host: "in.provider.example", Port: 995, Security: pop3client.SecurityTLS, Source: SourceSRV, Verified: true}}
	if !slices.Equal(res.Candidates, want) {
		t.Errorf("candidates %+v, want %+v", res.Candidates, want)
	}

	// When it does not answer, the guesses are probed, and one that
	// answers ranks above the silent SRV target.
	p = &scriptedProbe{answers: map[string]error{"pop.example.test:995/tls": nil}}
	res = discoverOK(t, "someone@example.test", probeOptions(t, r, p))
	if got := p.called(); len(got) != 5 {
		t.Errorf("probes %q, want the SRV target and four guesses", got)
	}
	if got, want := summary(res.Candidates), []string{"pop.example.test:995/tls probe", "in.provider.example:995/tls srv"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
}

func TestProbeNothingAnswers(t *testing.T) {
	r := &fakeResolver{srv: map[string][]*net.SRV{"pop3s": {{Target: "in.provider.example.", Port: 995}}}}
	res := discoverOK(t, "someone@example.test", probeOptions(t, r, &scriptedProbe{}))
	// The SRV target stays (a firewall here says nothing about the server);
	// the failed guesses are not proposed.
	if got, want := summary(res.Candidates), []string{"in.provider.example:995/tls srv"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
	if !slices.Contains(res.Notes, NoteUnverified) {
		t.Errorf("notes %q lack %q", res.Notes, NoteUnverified)
	}

	// With nothing known and nothing answering: nothing found.
	res = discoverOK(t, "someone@example.test", probeOptions(t, nil, &scriptedProbe{}))
	if len(res.Candidates) != 0 || !slices.Contains(res.Notes, NoteNothingFound) || slices.Contains(res.Notes, NoteUnverified) {
		t.Errorf("candidates %q, notes %q", summary(res.Candidates), res.Notes)
	}
}

func TestProbeCertificateProblemCountsAsReached(t *testing.T) {
	for _, k := range []pop3client.Kind{pop3client.KindUnknownAuthority, pop3client.KindCertificateName, pop3client.KindCertificateExpired} {
		t.Run(string(k), func(t *testing.T) {
			p := &scriptedProbe{answers: map[string]error{
				"pop.example.test:995/tls":       kindErr(k),
				"mail.example.test:110/starttls": nil,
			}}
			res := discoverOK(t, "someone@example.test", probeOptions(t, nil, p))
			want := []Candidate{
				// A clean certificate first, then the one to explain.
				{Host: "mail.example.test", Port: 110, Security: pop3client.SecuritySTARTTLS, Source: SourceProbe, Verified: true},
				{Host: "pop.example.test", Port: 995, Security: pop3client.SecurityTLS, Source: SourceProbe, Verified: true, Problem: k},
			}
			if !slices.Equal(res.Candidates, want) {
				t.Errorf("candidates\n got %+v\nwant %+v", res.Candidates, want)
			}
			if !slices.Contains(res.Notes, NoteCertificate) {
				t.Errorf("notes %q lack %q", res.Notes, NoteCertificate)
			}
		})
	}
}

func TestProbeOtherFailuresSkipped(t *testing.T) {
	p := &scriptedProbe{answers: map[string]error{
		"pop.example.test:995/tls":       kindErr(pop3client.KindTLSOnPlainPort), // plain POP3 on 995
		"mail.example.test:995/tls":      kindErr(pop3client.KindNotPOP3),
		"pop.example.test:110/starttls":  kindErr(pop3client.KindSTLSNotOffered), // plain text only
		"mail.example.test:110/starttls": kindErr(pop3client.KindHostNotFound),
	}}
	res := discoverOK(t, "someone@example.test", probeOptions(t, nil, p))
	if len(res.Candidates) != 0 {
		t.Errorf("candidates %q, want none", summary(res.Candidates))
	}
	if !slices.Contains(res.Notes, NoteNoEncryption) || !slices.Contains(res.Notes, NoteNothingFound) {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestProbeProviderNoPOP(t *testing.T) {
	// iCloud has no POP3: nothing is probed, and the user is told.
	o := probeOptions(t, nil, &scriptedProbe{})
	o.Probe = failProbe(t)
	res := discoverOK(t, "someone@icloud.com", o)
	if len(res.Candidates) != 0 || res.Provider == nil || res.Provider.ID != "icloud" {
		t.Fatalf("got %q, provider %v", summary(res.Candidates), res.Provider)
	}
	if !slices.Equal(res.Notes, []string{NoteNoPOP}) {
		t.Errorf("notes %q, want only %q", res.Notes, NoteNoPOP)
	}
}

// realProbeSetup starts loopback POP3 servers standing in for
// pop.example.test: implicit TLS (for port 995) and STARTTLS (for 110).
func realProbeSetup(t *testing.T, cert tls.Certificate) (resolver ipResolver, dialer portDialer) {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	implicit := startPOP3(t, cfg, nil)
	stls := startPOP3(t, nil, cfg)
	return ipResolver{hosts: map[string]bool{"pop.example.test": true}},
		portDialer{ports: map[string]string{"995": implicit.addr(), "110": stls.addr()}}
}

func TestProbeRealPOP3(t *testing.T) {
	ca := newTestCA(t)
	resolver, dialer := realProbeSetup(t, ca.leaf(t, "pop.example.test"))
	o := offlineOptions(t, nil)
	o.NoProbe, o.Probe = false, nil // the default probe, through pop3client
	o.DialOptions = &pop3client.Options{Resolver: resolver, Dialer: dialer, ExtraRootCAs: []*x509.Certificate{ca.cert}}
	o.ProbeTimeout = 5 * time.Second
	res := discoverOK(t, "someone@example.test", o)
	want := []Candidate{
		{Host: "pop.example.test", Port: 995, Security: pop3client.SecurityTLS, Source: SourceProbe, Verified: true},
		{Host: "pop.example.test", Port: 110, Security: pop3client.SecuritySTARTTLS, Source: SourceProbe, Verified: true},
	}
	if !slices.Equal(res.Candidates, want) {
		t.Errorf("candidates\n got %+v\nwant %+v", res.Candidates, want)
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestProbeRealSessionSendsNoCredentials(t *testing.T) {
	ca := newTestCA(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "pop.example.test")}}
	srv := startPOP3(t, cfg, nil)
	probe := dialProbe(&pop3client.Options{
		Resolver:     ipResolver{hosts: map[string]bool{"pop.example.test": true}},
		Dialer:       portDialer{ports: map[string]string{"995": srv.addr()}},
		ExtraRootCAs: []*x509.Certificate{ca.cert},
	}, 5*time.Second)
	if err := probe(context.Background(), Candidate{Host: "pop.example.test", Port: 995, Security: pop3client.SecurityTLS}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(srv.commands(), "QUIT") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := srv.commands(); !slices.Equal(got, []string{"CAPA", "QUIT"}) {
		t.Errorf("server saw %q, want CAPA then QUIT", got)
	}
}

// The security rule: whatever the base options say, a probe checks the
// certificate against the candidate's own host name with normal
// verification. A pinned fingerprint or another ServerName in the base
// must not make a bad certificate pass.
func TestProbeNeverWidensCertificateCheck(t *testing.T) {
	ca := newTestCA(t)
	otherCA := newTestCA(t)
	tests := []struct {
		name string
		cert tls.Certificate
		base func(leaf *x509.Certificate) *pop3client.Options
		want pop3client.Kind
	}{
		{
			name: "pinned fingerprint of an untrusted certificate",
			cert: otherCA.leaf(t, "pop.example.test"),
			base: func(leaf *x509.Certificate) *pop3client.Options {
				sum := sha256.Sum256(leaf.Raw)
				return &pop3client.Options{
					ExtraRootCAs:        []*x509.Certificate{ca.cert},
					TrustedFingerprints: []string{hex.EncodeToString(sum[:])},
				}
			},
			want: pop3client.KindUnknownAuthority,
		},
		{
			name: "ServerName naming the user's domain",
			cert: ca.leaf(t, "example.test"), // a certificate for the domain, not the server
			base: func(*x509.Certificate) *pop3client.Options {
				return &pop3client.Options{
					ExtraRootCAs: []*x509.Certificate{ca.cert},
					TLSConfig:    &tls.Config{ServerName: "example.test"},
				}
			},
			want: pop3client.KindCertificateName,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resolver, dialer := realProbeSetup(t, tt.cert)
			base := tt.base(tt.cert.Leaf)
			base.Resolver, base.Dialer = resolver, dialer
			baseServerName := ""
			if base.TLSConfig != nil {
				baseServerName = base.TLSConfig.ServerName
			}

			o := offlineOptions(t, nil)
			o.NoProbe, o.Probe = false, nil
			o.DialOptions = base
			res := discoverOK(t, "someone@example.test", o)
			// Both servers are reached (the greeting on 110 comes before
			// STLS; 995 fails at the certificate), and both carry the
			// certificate problem: nothing was accepted.
			if len(res.Candidates) != 2 {
				t.Fatalf("candidates %+v", res.Candidates)
			}
			for _, c := range res.Candidates {
				if !c.Verified || c.Problem != tt.want {
					t.Errorf("%s: Verified %v Problem %q, want the certificate refused with %q", c.key(), c.Verified, c.Problem, tt.want)
				}
			}
			if !slices.Contains(res.Notes, NoteCertificate) {
				t.Errorf("notes %q lack %q", res.Notes, NoteCertificate)
			}
			// The caller's options are untouched.
			if base.TLSConfig != nil && base.TLSConfig.ServerName != baseServerName {
				t.Error("the base TLSConfig was modified")
			}
			if tt.want == pop3client.KindUnknownAuthority && len(base.TrustedFingerprints) != 1 {
				t.Error("the base options were modified")
			}
		})
	}
}

func TestProbeTimeoutPerProbe(t *testing.T) {
	// A probe that hangs (and honours its context) is cut at ProbeTimeout,
	// well inside the whole-discovery Timeout.
	o := offlineOptions(t, nil)
	o.NoProbe = false
	o.ProbeTimeout = 100 * time.Millisecond
	o.Probe = func(ctx context.Context, c Candidate) error {
		<-ctx.Done()
		return ctx.Err()
	}
	start := time.Now()
	res := discoverOK(t, "someone@example.test", o)
	if d := time.Since(start); d > 10*time.Second { // it ends; not a speed check
		t.Errorf("took %v", d)
	}
	if slices.Contains(res.Notes, NoteTimeout) || !slices.Contains(res.Notes, NoteNothingFound) {
		t.Errorf("notes %q", res.Notes)
	}
}
