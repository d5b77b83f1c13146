package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// Step is a step of the connection test: pop3client's Step, one type for
// the stages of a session wherever they are named. The test has a few
// steps of its own besides the session's.
type Step = pop3client.Step

// The steps of the connection test, in the order they run. StepSTLS runs
// only with STARTTLS, and StepTLS after it; with SSL/TLS, StepTLS comes
// right after StepConnect.
const (
	StepResolve      = pop3client.StepResolve
	StepConnect      = pop3client.StepConnect
	StepTLS          = pop3client.StepTLS
	StepGreeting     = pop3client.StepGreeting
	StepCapabilities = Step("capabilities")
	StepSTLS         = pop3client.StepSTLS
	StepLogin        = Step("login")
	StepMailbox      = Step("mailbox")
	StepQuit         = Step("quit")
)

// StepLabel names a step of the test for people.
func StepLabel(s Step) Message {
	switch s {
	case StepResolve:
		return msg(i18n.Key("Look up the server's name"))
	case StepConnect:
		return msg(i18n.Key("Connect to the server"))
	case StepTLS:
		return msg(i18n.Key("Encrypt the connection (TLS)"))
	case StepGreeting:
		return msg(i18n.Key("Receive the server's greeting"))
	case StepCapabilities:
		return msg(i18n.Key("Ask what the server supports"))
	case StepSTLS:
		return msg(i18n.Key("Switch to encryption (STARTTLS)"))
	case StepLogin:
		return msg(i18n.Key("Log in to the server"))
	case StepMailbox:
		return msg(i18n.Key("Count the messages on the server"))
	case StepQuit:
		return msg(i18n.Key("Sign out of the server"))
	case StepHello:
		return msg(i18n.Key("Introduce Apartado to the server (EHLO)"))
	case StepOffers:
		return msg(i18n.Key("Check what the server accepts"))
	}
	return Message{Key: string(s)}
}

// StepResult is one step of the test: what it found, or why it failed.
type StepResult struct {
	Step      Step
	OK        bool
	Facts     []Message
	Warnings  []Message  // facts the user should know before saving
	Diagnosis *Diagnosis // on failure
}

// TestSettings are the settings to test.
type TestSettings struct {
	Host     string
	Port     int
	Security pop3client.Security
	Username string
	Password string
	// Token, when not "", is an OAuth access token to sign in with
	// instead of Password (SASL OAUTHBEARER or XOAUTH2).
	Token              string
	TrustedFingerprint string // SHA-256 of a certificate the user chose to trust, or ""
}

// TestOptions configure how the test connects.
type TestOptions struct {
	Resolver     pop3client.Resolver // nil: the system's
	Dialer       pop3client.Dialer   // nil: a *net.Dialer
	ExtraRootCAs []*x509.Certificate
	// Timeout bounds connecting and every read; default 20 seconds. A
	// server holding a session lock may take 10 seconds to answer.
	Timeout time.Duration
	// Explain is what else is known for a diagnosis (the address, the
	// provider, what autodiscovery found, the check interval); the host,
	// port, security and LOGIN-DELAY are filled in by the test.
	Explain Input
}

// DefaultTestTimeout is TestOptions.Timeout's default.
const DefaultTestTimeout = 20 * time.Second

// Result is the outcome of a connection test.
type Result struct {
	OK         bool
	Steps      []StepResult
	Diagnosis  *Diagnosis // when !OK
	Err        error      // when !OK, for the log
	Cert       *pop3client.CertInfo
	Messages   int
	Bytes      int64
	LoginDelay time.Duration
	// SMTP is what the outgoing server offers, after TestSMTP passed: its
	// SIZE limit, SMTPUTF8, 8BITMIME, the ways of signing in and the one used.
	SMTP *smtpclient.Capabilities
}

// Warnings collects every step's warnings.
func (r Result) Warnings() []Message {
	var out []Message
	for _, s := range r.Steps {
		out = append(out, s.Warnings...)
	}
	return out
}

// Test connects with s the way Apartado's checks do and reports each step
// to report (which may be nil) as it completes: resolve, connect, TLS,
// greeting, capabilities, STARTTLS, log in, mailbox size (STAT) and sign
// out (QUIT). It reads no message and deletes nothing. Test never returns
// an error: a failure is the Result's Diagnosis.
func Test(ctx context.Context, s TestSettings, opts TestOptions, report func(StepResult)) Result {
	t := &tester{settings: s, opts: opts, report: report}
	if t.opts.Timeout <= 0 {
		t.opts.Timeout = DefaultTestTimeout
	}
	t.run(ctx)
	return t.res
}

type tester struct {
	settings TestSettings
	opts     TestOptions
	report   func(StepResult)
	res      Result
	done     map[Step]bool
	stage    Step // the step a command failure belongs to
	caps     pop3client.Capabilities
}

func (t *tester) emit(r StepResult) {
	if t.done == nil {
		t.done = map[Step]bool{}
	}
	t.done[r.Step] = true
	t.res.Steps = append(t.res.Steps, r)
	if t.report != nil {
		t.report(r)
	}
}

func (t *tester) run(ctx context.Context) {
	s := t.settings
	popts := &pop3client.Options{
		Security:       s.Security,
		ExtraRootCAs:   t.opts.ExtraRootCAs,
		Timeout:        t.opts.Timeout,
		ConnectTimeout: t.opts.Timeout,
		Resolver:       t.opts.Resolver,
		Dialer:         t.opts.Dialer,
		Progress:       t.progress,
	}
	if s.TrustedFingerprint != "" {
		popts.TrustedFingerprints = []string{s.TrustedFingerprint}
	}
	t.stage = StepGreeting
	c, err := pop3client.Dial(ctx, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), popts)
	if err != nil {
		t.fail(err)
		return
	}
	defer func() { _ = c.Close() }()
	t.stage = StepLogin
	login := c.Login
	if s.Token != "" {
		login = func(ctx context.Context, user, _ string) error { return c.LoginToken(ctx, user, s.Token) }
	}
	if err := login(ctx, s.Username, s.Password); err != nil {
		t.fail(err)
		return
	}
	t.stage = StepMailbox
	n, size, err := c.Stat(ctx)
	if err != nil {
		t.fail(err)
		return
	}
	t.res.Messages, t.res.Bytes = n, size
	var fact Message
	if n == 0 {
		fact = msg(i18n.Key("The mailbox on the server is empty."))
	} else {
		fact = msg(i18n.Key("%d messages on the server, %s in all."), Count(n), Bytes(size))
	}
	t.emit(StepResult{Step: StepMailbox, OK: true, Facts: []Message{fact}})
	t.stage = StepQuit
	if err := c.Quit(ctx); err != nil {
		t.fail(err)
		return
	}
	t.emit(StepResult{Step: StepQuit, OK: true, Facts: []Message{msg(i18n.Key("Signed out. Nothing was downloaded or deleted."))}})
	t.res.OK = true
}

// progress turns pop3client's events into steps.
func (t *tester) progress(ev pop3client.Event) {
	switch ev.Step {
	case pop3client.StepResolve:
		t.emit(StepResult{Step: StepResolve, OK: true, Facts: []Message{msg(i18n.Key("Addresses found: %s"), strings.Join(ev.Addrs, ", "))}})
	case pop3client.StepConnect:
		t.emit(StepResult{Step: StepConnect, OK: true, Facts: []Message{msg(i18n.Key("Connected to %s."), ev.RemoteAddr)}})
	case pop3client.StepTLS:
		if t.settings.Security == pop3client.SecuritySTARTTLS && !t.done[StepSTLS] {
			t.emit(StepResult{Step: StepSTLS, OK: true, Facts: []Message{msg(i18n.Key("The server agreed to switch to encryption."))}})
		}
		t.emit(t.tlsStep(ev.TLS))
	case pop3client.StepGreeting:
		greeting := StepResult{Step: StepGreeting, OK: true}
		if ev.Greeting != "" {
			greeting.Facts = []Message{msg(i18n.Key("The server says: %s"), ev.Greeting)}
		}
		t.emit(greeting)
		t.caps = ev.Caps
		t.emit(t.capsStep(ev.Caps, ev.CapaOK))
	case pop3client.StepSTLS:
		t.caps = ev.Caps
	case pop3client.StepAuth:
		r := StepResult{Step: StepLogin, OK: true, Facts: []Message{msg(i18n.Key("Signed in as %s."), t.settings.Username)}}
		r.Facts, r.Warnings = t.afterLogin(ev.Caps, r.Facts)
		t.emit(r)
	}
}

func (t *tester) tlsStep(st *tls.ConnectionState) StepResult {
	r := StepResult{Step: StepTLS, OK: true}
	if st == nil {
		return r
	}
	if st.Version != 0 { // unknown when the test failed after the handshake
		r.Facts = append(r.Facts, msg(i18n.Key("Encrypted with %s."), tls.VersionName(st.Version)))
	}
	if len(st.PeerCertificates) == 0 {
		return r
	}
	info := pop3client.NewCertInfo(st.PeerCertificates[0])
	t.res.Cert = info
	r.Facts = append(r.Facts, CertFacts(info)...)
	if t.settings.TrustedFingerprint != "" && pop3client.NormalizeFingerprint(t.settings.TrustedFingerprint) == info.SHA256 {
		r.Warnings = append(r.Warnings, msg(i18n.Key("Accepted only because you chose to trust exactly this certificate. Apartado will refuse the connection if the server's certificate ever changes.")))
	}
	now := t.opts.Explain.Now
	if now.IsZero() {
		now = time.Now()
	}
	if left := info.NotAfter.Sub(now); left > 0 && left < 14*24*time.Hour {
		r.Warnings = append(r.Warnings, msg(i18n.Key("The certificate expires soon, on %s. If your provider does not renew it in time, checking will fail."), info.NotAfter))
	}
	return r
}

// CertFacts describes a certificate for people: whom it is for, who issued
// it, its dates and its fingerprint.
func CertFacts(c *pop3client.CertInfo) []Message {
	if c == nil {
		return nil
	}
	subject := strings.Join(c.DNSNames, ", ")
	if subject == "" {
		subject = c.Subject
	}
	out := []Message{
		msg(i18n.Key("Certificate for: %s"), subject),
		msg(i18n.Key("Issued by: %s"), issuerName(c)),
	}
	if c.SelfSigned {
		out[1] = msg(i18n.Key("Issued by: the server itself (self-signed)"))
	}
	out = append(out,
		msg(i18n.Key("Valid from %s to %s"), c.NotBefore, c.NotAfter),
		msg(i18n.Key("SHA-256 fingerprint: %s"), FormatFingerprint(c.SHA256)))
	return out
}

func (t *tester) capsStep(caps pop3client.Capabilities, capaOK bool) StepResult {
	r := StepResult{Step: StepCapabilities, OK: true}
	if !capaOK {
		r.Facts = []Message{msg(i18n.Key("The server does not list what it supports (no CAPA): an older server. Apartado will use the basic commands."))}
		return r
	}
	yes := func(ok bool, on, off string) {
		if ok {
			r.Facts = append(r.Facts, msg(on))
		} else {
			r.Facts = append(r.Facts, msg(off))
		}
	}
	yes(caps.Has("STLS"), i18n.Key("STARTTLS: offered."), i18n.Key("STARTTLS: not offered."))
	var methods []string
	if caps.Has("USER") {
		methods = append(methods, "USER/PASS")
	}
	methods = append(methods, caps.SASL()...)
	if len(methods) > 0 {
		r.Facts = append(r.Facts, msg(i18n.Key("Sign-in methods: %s."), strings.Join(methods, ", ")))
	}
	if caps.Has("UIDL") {
		r.Facts = append(r.Facts, msg(i18n.Key("Lasting message IDs (UIDL): yes.")))
	} else {
		r.Warnings = append(r.Warnings, msg(i18n.Key("The server does not list UIDL, the lasting message IDs Apartado needs to tell new messages from old ones. If it really lacks them, checking this account will fail.")))
	}
	yes(caps.Has("TOP"), i18n.Key("Message previews (TOP): yes."), i18n.Key("Message previews (TOP): no."))
	yes(caps.Pipelining(), i18n.Key("Pipelining: yes, downloads go faster."), i18n.Key("Pipelining: no."))
	if impl := caps.Implementation(); impl != "" {
		r.Facts = append(r.Facts, msg(i18n.Key("Server software: %s."), impl))
	}
	r.Facts, r.Warnings = t.policy(caps, r.Facts, r.Warnings)
	return r
}

// policy adds the LOGIN-DELAY and EXPIRE facts (RFC 2449 §6.5, §6.7).
func (t *tester) policy(caps pop3client.Capabilities, facts, warnings []Message) ([]Message, []Message) {
	if d, ok := caps.LoginDelay(); ok && d > 0 {
		t.res.LoginDelay = d
		minutes := int((d + time.Minute - 1) / time.Minute)
		facts = append(facts, msg(i18n.Key("Minimum time between logins (LOGIN-DELAY): %d minutes."), minutes))
		warnings = append(warnings, msg(i18n.Key("This test counts as a login: the next check may be refused until %d minutes have passed."), minutes))
	}
	if days, never, ok := caps.Expire(); ok {
		switch {
		case never:
			facts = append(facts, msg(i18n.Key("The server keeps messages until they are deleted (EXPIRE NEVER).")))
		case days == 0:
			warnings = append(warnings, msg(i18n.Key("The server deletes each message once it has been downloaded (EXPIRE 0), whatever you choose about keeping a copy on the server.")))
		default:
			warnings = append(warnings, msg(i18n.Key("The server deletes downloaded messages after %d days (EXPIRE %d), even if you choose to keep a copy on the server."), days, days))
		}
	}
	return facts, warnings
}

// afterLogin adds what the capabilities say once logged in, when they
// differ from before (a per-user LOGIN-DELAY or EXPIRE).
func (t *tester) afterLogin(caps pop3client.Capabilities, facts []Message) ([]Message, []Message) {
	before := t.caps
	t.caps = caps
	same := func(name string) bool {
		return strings.Join(before[name], " ") == strings.Join(caps[name], " ")
	}
	if same("LOGIN-DELAY") && same("EXPIRE") {
		return facts, nil
	}
	return t.policy(caps, facts, nil)
}

// fail reports the step that failed with its diagnosis.
func (t *tester) fail(err error) {
	t.res.Err = err
	in := t.opts.Explain
	in.Host, in.Port, in.Security = t.settings.Host, t.settings.Port, t.settings.Security
	if in.LoginDelay == 0 {
		in.LoginDelay = t.res.LoginDelay
	}
	d := Explain(err, in)
	t.res.Diagnosis = &d
	step := t.stage
	var pe *pop3client.Error
	if errors.As(err, &pe) {
		switch pe.Step {
		case pop3client.StepResolve:
			step = StepResolve
		case pop3client.StepConnect:
			step = StepConnect
		case pop3client.StepTLS:
			step = StepTLS
			if t.settings.Security == pop3client.SecuritySTARTTLS && !t.done[StepSTLS] {
				t.emit(StepResult{Step: StepSTLS, OK: true, Facts: []Message{msg(i18n.Key("The server agreed to switch to encryption."))}})
			}
		case pop3client.StepGreeting:
			step = StepGreeting
			if t.done[StepGreeting] {
				step = StepCapabilities
			}
		case pop3client.StepSTLS:
			step = StepSTLS
		case pop3client.StepAuth:
			step = StepLogin
		}
	}
	if d.Cert != nil {
		t.res.Cert = d.Cert // its facts are the diagnosis's
	}
	t.emit(StepResult{Step: step, Diagnosis: &d})
}

// String describes a result for logs and the command line.
func (r Result) String() string {
	if r.OK {
		return fmt.Sprintf("ok: %d messages, %d bytes", r.Messages, r.Bytes)
	}
	return fmt.Sprintf("failed: %v", r.Err)
}
