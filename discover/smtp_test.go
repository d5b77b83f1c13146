package discover

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// The outgoing server: found by the same sources as POP3, in Result.SMTP,
// with its own notes.

func smtpProbeOptions(t *testing.T, r *fakeResolver, smtp *scriptedProbe) *Options {
	o := offlineOptions(t, r)
	o.NoProbe = false
	o.Probe = (&scriptedProbe{}).probe // every POP3 probe refused
	o.ProbeSMTP = smtp.probe
	return o
}

func TestDiscoverProviderSMTP(t *testing.T) {
	res := discoverOK(t, "Some.One@GMail.com", offlineOptions(t, nil))
	want := []Candidate{
		{Host: "smtp.gmail.com", Port: 465, Security: pop3client.SecurityTLS, Source: SourceProvider, Username: "Some.One@gmail.com"},
		{Host: "smtp.gmail.com", Port: 587, Security: pop3client.SecuritySTARTTLS, Source: SourceProvider, Username: "Some.One@gmail.com"},
	}
	if !slices.Equal(res.SMTP, want) {
		t.Errorf("SMTP\n got %+v\nwant %+v", res.SMTP, want)
	}
	if res.SMTPUsername != "Some.One@gmail.com" || len(res.SMTPNotes) != 0 {
		t.Errorf("SMTP username %q, notes %q", res.SMTPUsername, res.SMTPNotes)
	}

	// iCloud has no POP3 but does send.
	res = discoverOK(t, "someone@icloud.com", offlineOptions(t, nil))
	if got, want := summary(res.SMTP), []string{"smtp.mail.me.com:587/starttls provider"}; !slices.Equal(got, want) {
		t.Errorf("iCloud SMTP %q, want %q", got, want)
	}
	// Free's login is the local part, for sending too.
	res = discoverOK(t, "jean@free.fr", offlineOptions(t, nil))
	if res.SMTPUsername != "jean" || len(res.SMTP) == 0 || res.SMTP[0].Username != "jean" {
		t.Errorf("free.fr SMTP username %q / %+v", res.SMTPUsername, res.SMTP)
	}
	// A provider found by its MX hosts brings its outgoing server.
	r := &fakeResolver{mx: []*net.MX{{Host: "example-test.mail.protection.outlook.com.", Pref: 0}}}
	res = discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if got, want := summary(res.SMTP), []string{"smtp.office365.com:587/starttls provider"}; !slices.Equal(got, want) {
		t.Errorf("Microsoft 365 SMTP %q, want %q", got, want)
	}
}

func TestDiscoverNoSMTPFound(t *testing.T) {
	res := discoverOK(t, "someone@example.test", offlineOptions(t, nil))
	if len(res.SMTP) != 0 || !slices.Equal(res.SMTPNotes, []string{NoteSMTPNothingFound}) {
		t.Errorf("SMTP %q, notes %q", summary(res.SMTP), res.SMTPNotes)
	}
	if slices.Contains(res.Notes, NoteSMTPNothingFound) {
		t.Errorf("an outgoing note among the POP3 notes: %q", res.Notes)
	}
	if res.SMTPUsername != "someone@example.test" {
		t.Errorf("SMTP username %q", res.SMTPUsername)
	}
}

// RFC 6186 and RFC 8314: _submissions (implicit TLS) and _submission
// (STARTTLS), by priority and weight, implicit TLS first among equals.
func TestSRVSubmission(t *testing.T) {
	r := &fakeResolver{srv: map[string][]*net.SRV{
		"submission": {
			{Target: "b.example.test.", Port: 587, Priority: 0, Weight: 1},
			{Target: "d.example.test.", Port: 587, Priority: 10, Weight: 1},
		},
		"submissions": {
			{Target: "a.example.test.", Port: 465, Priority: 0, Weight: 1},
			{Target: "c.example.test.", Port: 465, Priority: 5, Weight: 1},
		},
		"pop3s": {{Target: "pop.example.test.", Port: 995}},
	}}
	res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
	want := []string{
		"a.example.test:465/tls srv",
		"b.example.test:587/starttls srv",
		"c.example.test:465/tls srv",
		"d.example.test:587/starttls srv",
	}
	if got := summary(res.SMTP); !slices.Equal(got, want) {
		t.Errorf("SMTP\n got %q\nwant %q", got, want)
	}
	if got := summary(res.Candidates); !slices.Equal(got, []string{"pop.example.test:995/tls srv"}) {
		t.Errorf("POP3 %q: the submission records leaked into it", got)
	}
	if len(res.SMTPNotes) != 0 {
		t.Errorf("SMTP notes %q", res.SMTPNotes)
	}
}

func TestSRVSubmissionNotOffered(t *testing.T) {
	r := &fakeResolver{srv: map[string][]*net.SRV{
		"submissions": {{Target: "."}},
		"submission":  {{Target: "smtp.example.test.", Port: 587}, {Target: "bad_name.example.test.", Port: 587}},
	}}
	res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if got := summary(res.SMTP); !slices.Equal(got, []string{"smtp.example.test:587/starttls srv"}) {
		t.Errorf("SMTP %q", got)
	}
	for _, n := range []string{NoteSRVNoSubmissions, NoteSRVInvalid} {
		if !slices.Contains(res.SMTPNotes, n) {
			t.Errorf("SMTP notes %q lack %q", res.SMTPNotes, n)
		}
	}
	if slices.Contains(res.Notes, NoteSRVNoSubmissions) {
		t.Errorf("POP3 notes %q", res.Notes)
	}
}

func outgoing(host, port, socket, user string) string {
	return `    <outgoingServer type="smtp">
      <hostname>` + host + `</hostname>
      <port>` + port + `</port>
      <socketType>` + socket + `</socketType>
      <username>` + user + `</username>
    </outgoingServer>`
}

func TestAutoconfigOutgoing(t *testing.T) {
	site := newAutoconfigSite(t)
	// config() ends with smtp.example.test:465 SSL for %EMAILADDRESS%.
	site.handle(subdomainPath, xmlFile(config(
		server("pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%"),
		outgoing("submit.%EMAILDOMAIN%", "587", "STARTTLS", "%EMAILLOCALPART%"),
		outgoing("plain.example.test", "25", "plain", ""),
		outgoing("bad name", "587", "STARTTLS", ""),
		`<outgoingServer type="ews"><hostname>ews.example.test</hostname><port>443</port><socketType>SSL</socketType></outgoingServer>`,
	)))
	res := discoverOK(t, "jo@example.test", autoconfigOptions(t, site))
	want := []Candidate{
		{Host: "submit.example.test", Port: 587, Security: pop3client.SecuritySTARTTLS, Source: SourceAutoconfig, Username: "jo"},
		{Host: "smtp.example.test", Port: 465, Security: pop3client.SecurityTLS, Source: SourceAutoconfig, Username: "jo@example.test"},
		{Host: "plain.example.test", Port: 25, Security: pop3client.SecurityNone, Source: SourceAutoconfig},
	}
	if !slices.Equal(res.SMTP, want) {
		t.Errorf("SMTP\n got %+v\nwant %+v", res.SMTP, want)
	}
	if res.SMTPUsername != "jo" {
		t.Errorf("SMTP username %q, want the best outgoing candidate's", res.SMTPUsername)
	}
	for _, n := range []string{NoteSMTPPlaintext, NoteAutoconfigBad} {
		if !slices.Contains(res.SMTPNotes, n) {
			t.Errorf("SMTP notes %q lack %q", res.SMTPNotes, n)
		}
	}
	if slices.Contains(res.Notes, NoteSMTPPlaintext) || slices.Contains(res.Notes, NoteAutoconfigBad) {
		t.Errorf("POP3 notes %q", res.Notes)
	}
	if got := summary(res.Candidates); !slices.Equal(got, []string{"pop.example.test:995/tls autoconfig"}) {
		t.Errorf("POP3 %q", got)
	}
}

func TestSMTPGuessOrder(t *testing.T) {
	want := []string{
		"smtp.example.test:465/tls", "mail.example.test:465/tls",
		"smtp.example.test:587/starttls", "mail.example.test:587/starttls",
	}
	var got []string
	for _, c := range smtpGuesses("example.test") {
		got = append(got, c.key())
		if c.Source != SourceProbe {
			t.Errorf("%s: source %q", c.key(), c.Source)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("guesses %q, want %q", got, want)
	}
}

func TestProbeSMTPGuesses(t *testing.T) {
	p := &scriptedProbe{answers: map[string]error{
		"mail.example.test:465/tls": nil,
		"smtp.example.test:587/starttls": &smtpclient.Error{Kind: smtpclient.KindSTARTTLSNotOffered,
			Step: smtpclient.StepSTARTTLS},
		"mail.example.test:587/starttls": &smtpclient.Error{Kind: smtpclient.KindUnknownAuthority, Step: smtpclient.StepTLS},
	}}
	res := discoverOK(t, "someone@example.test", smtpProbeOptions(t, nil, p))
	want := []Candidate{
		{Host: "mail.example.test", Port: 465, Security: pop3client.SecurityTLS, Source: SourceProbe, Verified: true},
		{Host: "mail.example.test", Port: 587, Security: pop3client.SecuritySTARTTLS, Source: SourceProbe, Verified: true,
			Problem: smtpclient.KindUnknownAuthority},
	}
	if !slices.Equal(res.SMTP, want) {
		t.Errorf("SMTP\n got %+v\nwant %+v", res.SMTP, want)
	}
	for _, n := range []string{NoteSMTPNoEncryption, NoteSMTPCertificate} {
		if !slices.Contains(res.SMTPNotes, n) {
			t.Errorf("SMTP notes %q lack %q", res.SMTPNotes, n)
		}
	}
	if got := p.called(); len(got) != 4 {
		t.Errorf("SMTP probes %q, want the four guesses", got)
	}
}

func TestProbeSMTPKnownFirst(t *testing.T) {
	// A provider's outgoing server that answers is enough: no guessing,
	// and the POP3 probes go to the POP3 probe only.
	p := &scriptedProbe{answers: map[string]error{"smtp.mail.me.com:587/starttls": nil}}
	res := discoverOK(t, "someone@icloud.com", smtpProbeOptions(t, nil, p))
	if got, want := p.called(), []string{"smtp.mail.me.com:587/starttls"}; !slices.Equal(got, want) {
		t.Errorf("SMTP probes %q, want %q", got, want)
	}
	if len(res.SMTP) != 1 || !res.SMTP[0].Verified || len(res.SMTPNotes) != 0 {
		t.Errorf("SMTP %+v, notes %q", res.SMTP, res.SMTPNotes)
	}

	// When the known server is silent, the guesses are probed; one that
	// answers ranks above it, and nothing answering says so.
	r := &fakeResolver{srv: map[string][]*net.SRV{"submissions": {{Target: "out.provider.example.", Port: 465}}}}
	p = &scriptedProbe{answers: map[string]error{"smtp.example.test:587/starttls": nil}}
	res = discoverOK(t, "someone@example.test", smtpProbeOptions(t, r, p))
	if got := p.called(); len(got) != 5 {
		t.Errorf("SMTP probes %q, want the SRV target and four guesses", got)
	}
	if got, want := summary(res.SMTP), []string{"smtp.example.test:587/starttls probe", "out.provider.example:465/tls srv"}; !slices.Equal(got, want) {
		t.Errorf("SMTP %q, want %q", got, want)
	}
	res = discoverOK(t, "someone@example.test", smtpProbeOptions(t, r, &scriptedProbe{}))
	if !slices.Equal(res.SMTPNotes, []string{NoteSMTPUnverified}) {
		t.Errorf("SMTP notes %q, want %q", res.SMTPNotes, NoteSMTPUnverified)
	}
}

// smtpServer is a tiny SMTP submission server on loopback: a greeting,
// EHLO (offering STARTTLS when it has a certificate and is not already
// TLS), STARTTLS and QUIT. It records the commands it was sent.
type smtpServer struct {
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	cmds []string
}

func startSMTP(t *testing.T, implicitTLS, starttls *tls.Config) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicitTLS != nil {
		ln = tls.NewListener(ln, implicitTLS)
	}
	s := &smtpServer{ln: ln}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.session(conn, implicitTLS != nil, starttls) })
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cmds)
}

func (s *smtpServer) session(conn net.Conn, isTLS bool, starttls *tls.Config) {
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	write := func(s string) bool {
		_, err := conn.Write([]byte(s))
		return err == nil
	}
	if !write("220 smtp.example.test ESMTP test\r\n") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(line)), " ")
		s.mu.Lock()
		s.cmds = append(s.cmds, cmd)
		s.mu.Unlock()
		switch cmd {
		case "EHLO":
			ext := "250-smtp.example.test\r\n"
			if starttls != nil && !isTLS {
				ext += "250-STARTTLS\r\n"
			}
			if !write(ext + "250-AUTH PLAIN\r\n250 SIZE 1000000\r\n") {
				return
			}
		case "STARTTLS":
			if starttls == nil || isTLS || !write("220 2.0.0 go ahead\r\n") {
				return
			}
			tc := tls.Server(conn, starttls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, isTLS = tc, bufio.NewReader(tc), true
		case "QUIT":
			write("221 2.0.0 bye\r\n")
			return
		default:
			if !write("502 5.5.2 not here\r\n") {
				return
			}
		}
	}
}

// TestProbeRealSMTP: the default SMTP probe speaks SMTP through
// smtpclient, over DialOptions' resolver and dialer (the hook that keeps
// members' probes restricted), and sends no AUTH.
func TestProbeRealSMTP(t *testing.T) {
	ca := newTestCA(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, "smtp.example.test")}}
	implicit := startSMTP(t, cfg, nil)
	starttls := startSMTP(t, nil, cfg)
	dialer := &countingDialer{portDialer: portDialer{ports: map[string]string{"465": implicit.addr(), "587": starttls.addr()}}}
	o := offlineOptions(t, nil)
	o.NoProbe, o.ProbeSMTP = false, nil
	o.Probe = (&scriptedProbe{}).probe
	o.DialOptions = &pop3client.Options{Resolver: ipResolver{hosts: map[string]bool{"smtp.example.test": true}},
		Dialer: dialer, ExtraRootCAs: []*x509.Certificate{ca.cert}}
	o.ProbeTimeout = 5 * time.Second
	res := discoverOK(t, "someone@example.test", o)
	want := []Candidate{
		{Host: "smtp.example.test", Port: 465, Security: pop3client.SecurityTLS, Source: SourceProbe, Verified: true},
		{Host: "smtp.example.test", Port: 587, Security: pop3client.SecuritySTARTTLS, Source: SourceProbe, Verified: true},
	}
	if !slices.Equal(res.SMTP, want) {
		t.Errorf("SMTP\n got %+v\nwant %+v", res.SMTP, want)
	}
	if len(res.SMTPNotes) != 0 {
		t.Errorf("SMTP notes %q", res.SMTPNotes)
	}
	if dialer.n() != 2 {
		t.Errorf("the dialer hook saw %d connections, want the two probes'", dialer.n())
	}
	for _, s := range []*smtpServer{implicit, starttls} {
		if cmds := s.commands(); slices.Contains(cmds, "AUTH") || slices.Contains(cmds, "MAIL") || !slices.Contains(cmds, "EHLO") {
			t.Errorf("server saw %q: want EHLO and no AUTH or MAIL", cmds)
		}
	}
}

// TestProbeSMTPNeverWidensCertificateCheck: a pinned fingerprint or
// another ServerName in the base options does not make an outgoing
// server's bad certificate pass.
func TestProbeSMTPNeverWidensCertificateCheck(t *testing.T) {
	ca := newTestCA(t)
	cert := ca.leaf(t, "example.test") // for the domain, not the server
	srv := startSMTP(t, &tls.Config{Certificates: []tls.Certificate{cert}}, nil)
	probe := smtpProbe(&pop3client.Options{
		Resolver:     ipResolver{hosts: map[string]bool{"smtp.example.test": true}},
		Dialer:       portDialer{ports: map[string]string{"465": srv.addr()}},
		ExtraRootCAs: []*x509.Certificate{ca.cert},
		TLSConfig:    &tls.Config{ServerName: "example.test"},
	}, 5*time.Second)
	err := probe(context.Background(), Candidate{Host: "smtp.example.test", Port: 465, Security: pop3client.SecurityTLS})
	if k := smtpclient.KindOf(err); k != smtpclient.KindCertificateName {
		t.Errorf("probe: %v, want %s", err, smtpclient.KindCertificateName)
	}
}

// countingDialer counts the connections it is asked for.
type countingDialer struct {
	portDialer
	mu    sync.Mutex
	calls int
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.calls++
	d.mu.Unlock()
	return d.portDialer.DialContext(ctx, network, addr)
}

func (d *countingDialer) n() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}
