package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// The steps of the outgoing server's test that POP3's test does not have.
// With SSL/TLS the test runs resolve, connect, TLS, greeting, EHLO, log
// in, offers, sign out; with STARTTLS, STARTTLS and TLS come after EHLO.
const (
	StepHello  = smtpclient.StepHello // EHLO: what the server supports
	StepOffers = Step("offers")       // what the server accepts: SIZE, SMTPUTF8, 8BITMIME
)

// TestSMTP tests the outgoing server s the way sending will connect, and
// reports each step to report (which may be nil) as it completes: resolve,
// connect, TLS, greeting, EHLO and its capabilities, STARTTLS, log in
// (AUTH, when s has a user name), what the server offers (its SIZE limit,
// SMTPUTF8, 8BITMIME), and sign out. It sends no message: no MAIL, RCPT or
// DATA, only smtpclient.Probe. The settings, options, steps and result are
// Test's; a failure's Diagnosis explains the outgoing server
// (opts.Explain.Discovered should then hold outgoing candidates), and
// Result.SMTP holds what the server offers. TestSMTP never returns an
// error: a failure is the Result's Diagnosis.
func TestSMTP(ctx context.Context, s TestSettings, opts TestOptions, report func(StepResult)) Result {
	t := &smtpTester{tester: tester{settings: s, opts: opts, report: report}}
	if t.opts.Timeout <= 0 {
		t.opts.Timeout = DefaultTestTimeout
	}
	t.run(ctx)
	return t.res
}

// smtpTester runs TestSMTP. The resolver and dialer it gives smtpclient
// report the first two steps as they happen; the rest are known when
// Probe returns, from its capabilities or its error, the certificate seen
// and the protocol trace (for the greeting).
type smtpTester struct {
	tester
	mu    sync.Mutex
	certs []*x509.Certificate // the server's certificate chain, once seen
	trace strings.Builder
}

// plan is the order of the steps for the settings' security.
func (t *smtpTester) plan() []Step {
	auth := []Step{}
	if t.settings.Username != "" {
		auth = []Step{StepLogin}
	}
	var steps []Step
	switch t.settings.Security {
	case pop3client.SecurityTLS:
		steps = []Step{StepResolve, StepConnect, StepTLS, StepGreeting, StepHello}
	case pop3client.SecuritySTARTTLS:
		steps = []Step{StepResolve, StepConnect, StepGreeting, StepHello, StepSTLS, StepTLS}
	default:
		steps = []Step{StepResolve, StepConnect, StepGreeting, StepHello}
	}
	return append(append(steps, auth...), StepOffers, StepQuit)
}

func (t *smtpTester) run(ctx context.Context) {
	s := t.settings
	o := &smtpclient.Options{
		Security:       s.Security,
		ExtraRootCAs:   t.opts.ExtraRootCAs,
		Username:       s.Username,
		Password:       s.Password,
		Token:          s.Token,
		Timeout:        t.opts.Timeout,
		ConnectTimeout: t.opts.Timeout,
		Resolver:       smtpResolver{t: t, r: t.opts.Resolver},
		Dialer:         smtpDialer{t: t, d: t.opts.Dialer},
		Trace:          traceWriter{t},
		TLSConfig: &tls.Config{VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			t.sawCertificates(raw)
			return nil // verification is smtpclient's, after this
		}},
	}
	if s.TrustedFingerprint != "" {
		o.TrustedFingerprints = []string{s.TrustedFingerprint}
	}
	if ip := net.ParseIP(s.Host); ip != nil {
		// No lookup for an address: the first step is already done.
		t.emit(StepResult{Step: StepResolve, OK: true, Facts: []Message{msg(i18n.Key("Addresses found: %s"), ip.String())}})
	}
	caps, err := smtpclient.Probe(ctx, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), o)
	if err != nil {
		t.failSMTP(err)
		return
	}
	t.res.SMTP = &caps
	t.upTo(StepOffers, &caps)
	t.emit(t.offersStep(caps))
	t.emit(StepResult{Step: StepQuit, OK: true, Facts: []Message{msg(i18n.Key("Signed out. No message was sent."))}})
	t.res.OK = true
}

// upTo reports, as passed, every step of the plan before stop that has not
// been reported yet. caps is what the server offered, when known.
func (t *smtpTester) upTo(stop Step, caps *smtpclient.Capabilities) {
	for _, step := range t.plan() {
		if step == stop {
			return
		}
		if t.done[step] {
			continue
		}
		t.emit(t.passed(step, caps))
	}
}

// passed is a step that went through, with what is known of it.
func (t *smtpTester) passed(step Step, caps *smtpclient.Capabilities) StepResult {
	r := StepResult{Step: step, OK: true}
	switch step {
	case StepTLS:
		var st *tls.ConnectionState
		if caps != nil {
			st = caps.TLS
		}
		if st == nil {
			st = &tls.ConnectionState{PeerCertificates: t.certificates()}
		}
		return t.tlsStep(st)
	case StepGreeting:
		if g := t.greeting(); g != "" {
			r.Facts = []Message{msg(i18n.Key("The server says: %s"), g)}
		}
	case StepHello:
		r.Facts = t.helloFacts(caps)
	case StepSTLS:
		r.Facts = []Message{msg(i18n.Key("The server agreed to switch to encryption."))}
	case StepLogin:
		r.Facts = []Message{msg(i18n.Key("Signed in as %s."), t.settings.Username)}
		if caps != nil && caps.Auth != "" {
			r.Facts = append(r.Facts, msg(i18n.Key("Sign-in method: %s."), caps.Auth))
		}
	}
	return r
}

// helloFacts says what EHLO offered: STARTTLS (before TLS) and the ways of
// signing in.
func (t *smtpTester) helloFacts(caps *smtpclient.Capabilities) []Message {
	var facts []Message
	if t.settings.Security == pop3client.SecuritySTARTTLS {
		facts = append(facts, msg(i18n.Key("STARTTLS: offered.")))
	}
	if caps == nil {
		return facts
	}
	if len(caps.AuthMechanisms) > 0 {
		facts = append(facts, msg(i18n.Key("Sign-in methods: %s."), strings.Join(caps.AuthMechanisms, ", ")))
	} else {
		facts = append(facts, msg(i18n.Key("The server offers no way of signing in (no AUTH).")))
	}
	return facts
}

// offersStep says what the server accepts, for the messages to be sent.
func (t *smtpTester) offersStep(caps smtpclient.Capabilities) StepResult {
	r := StepResult{Step: StepOffers, OK: true}
	if caps.MaxSize > 0 {
		r.Facts = append(r.Facts, msg(i18n.Key("Largest message the server accepts (SIZE): %s."), Bytes(caps.MaxSize)))
	} else {
		r.Facts = append(r.Facts, msg(i18n.Key("The server announces no size limit for messages.")))
	}
	if caps.SMTPUTF8 {
		r.Facts = append(r.Facts, msg(i18n.Key("Addresses with accents or other alphabets (SMTPUTF8): yes.")))
	} else {
		r.Facts = append(r.Facts, msg(i18n.Key("Addresses with accents or other alphabets (SMTPUTF8): no.")))
	}
	if caps.EightBitMIME {
		r.Facts = append(r.Facts, msg(i18n.Key("8-bit message text (8BITMIME): yes.")))
	} else {
		r.Facts = append(r.Facts, msg(i18n.Key("8-bit message text (8BITMIME): no; Apartado encodes the text to 7 bits.")))
	}
	if caps.TLS == nil {
		r.Warnings = append(r.Warnings, msg(noEncryptionWarning))
	}
	if t.settings.Username == "" {
		r.Warnings = append(r.Warnings, msg(i18n.Key("No user name was given, so Apartado did not sign in. Most outgoing servers send mail only for people who signed in.")))
	}
	return r
}

// failSMTP reports the steps before the failure as passed, then the
// failed step with its diagnosis.
func (t *smtpTester) failSMTP(err error) {
	t.res.Err = err
	in := t.opts.Explain
	in.Host, in.Port, in.Security = t.settings.Host, t.settings.Port, t.settings.Security
	d := Explain(err, in)
	t.res.Diagnosis = &d
	step := StepGreeting
	var se *smtpclient.Error
	if errors.As(err, &se) {
		step = se.Step
	}
	switch step {
	case smtpclient.StepAuth:
		step = StepLogin
	case smtpclient.StepMail, smtpclient.StepRcpt, smtpclient.StepData, smtpclient.StepDot:
		step = StepOffers
	case StepHello:
		if t.settings.Security == pop3client.SecuritySTARTTLS && len(t.certificates()) > 0 {
			// The EHLO after STARTTLS: encryption was set up first.
			t.upTo(StepLogin, nil)
		}
	case StepResolve, StepConnect:
		if t.done[step] {
			step = StepGreeting // a lookup or connection that went through, then no answer
		}
	}
	if d.Cert != nil {
		t.res.Cert = d.Cert
	}
	t.upTo(step, nil)
	t.emit(StepResult{Step: step, Diagnosis: &d})
}

// ---- what smtpclient is given ----

// smtpResolver reports the resolve step when the lookup succeeds.
type smtpResolver struct {
	t *smtpTester
	r pop3client.Resolver
}

func (r smtpResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	res := r.r
	if res == nil {
		res = net.DefaultResolver
	}
	addrs, err := res.LookupIPAddr(ctx, host)
	if err == nil && len(addrs) > 0 && !r.t.done[StepResolve] {
		list := make([]string, len(addrs))
		for i, a := range addrs {
			list[i] = a.String()
		}
		r.t.emit(StepResult{Step: StepResolve, OK: true, Facts: []Message{msg(i18n.Key("Addresses found: %s"), strings.Join(list, ", "))}})
	}
	return addrs, err
}

// smtpDialer reports the connect step when a connection is made.
type smtpDialer struct {
	t *smtpTester
	d pop3client.Dialer
}

func (d smtpDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := d.d
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	conn, err := dialer.DialContext(ctx, network, addr)
	if err == nil && !d.t.done[StepConnect] {
		d.t.emit(StepResult{Step: StepConnect, OK: true, Facts: []Message{msg(i18n.Key("Connected to %s."), conn.RemoteAddr().String())}})
	}
	return conn, err
}

// traceWriter keeps smtpclient's protocol trace (AUTH's secrets are left
// out by smtpclient), for the greeting.
type traceWriter struct{ t *smtpTester }

func (w traceWriter) Write(p []byte) (int, error) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	if w.t.trace.Len() < 64<<10 {
		w.t.trace.Write(p)
	}
	return len(p), nil
}

// greeting is the text of the server's 220 greeting, from the trace.
func (t *smtpTester) greeting() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, line := range strings.Split(t.trace.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "S: 220"); ok {
			return strings.TrimSpace(strings.TrimPrefix(rest, "-"))
		}
		if strings.HasPrefix(line, "C: ") {
			break
		}
	}
	return ""
}

func (t *smtpTester) sawCertificates(raw [][]byte) {
	var certs []*x509.Certificate
	for _, der := range raw {
		if c, err := x509.ParseCertificate(der); err == nil {
			certs = append(certs, c)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.certs = certs
}

func (t *smtpTester) certificates() []*x509.Certificate {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.certs
}
