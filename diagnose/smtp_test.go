package diagnose

// The outgoing server: every smtpclient kind explained in both languages
// with a help section, the fixes on the submission ports, and TestSMTP
// against a real Postfix (a good account, a wrong password) and against
// scripted servers on loopback (STARTTLS not offered, no greeting, no
// answer at all).

import (
	"bufio"
	"context"
	"crypto/x509"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/smtptest"
	"github.com/apartado/apartado/internal/testnet"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// smtpStepFor is where each kind typically happens.
func smtpStepFor(k smtpclient.Kind) smtpclient.Step {
	switch k {
	case smtpclient.KindHostNotFound, smtpclient.KindDNSTemporary:
		return smtpclient.StepResolve
	case smtpclient.KindConnectionRefused, smtpclient.KindUnreachable, smtpclient.KindTimeout, smtpclient.KindNetwork,
		smtpclient.KindAddressNotAllowed:
		return smtpclient.StepConnect
	case smtpclient.KindUnknownAuthority, smtpclient.KindCertificateName, smtpclient.KindCertificateExpired,
		smtpclient.KindCertificateInvalid, smtpclient.KindTLSVersion, smtpclient.KindTLSHandshake, smtpclient.KindTLSOnPlainPort:
		return smtpclient.StepTLS
	case smtpclient.KindClosedBeforeGreet, smtpclient.KindNotSMTP, smtpclient.KindPlainOnTLSPort, smtpclient.KindProtocol:
		return smtpclient.StepGreeting
	case smtpclient.KindSTARTTLSNotOffered:
		return smtpclient.StepSTARTTLS
	case smtpclient.KindAuthFailed, smtpclient.KindOAuthRequired, smtpclient.KindEncryptionRequired,
		smtpclient.KindAuthNotOffered, smtpclient.KindUnsupported:
		return smtpclient.StepAuth
	case smtpclient.KindRecipientUnknown, smtpclient.KindRecipientRefused, smtpclient.KindRelayDenied:
		return smtpclient.StepRcpt
	case smtpclient.KindInterrupted:
		return smtpclient.StepData
	case smtpclient.KindMessageRejected, smtpclient.KindMaybeSent:
		return smtpclient.StepDot
	}
	return smtpclient.StepMail
}

// TestExplainEverySMTPKind: every kind of the outgoing server has its own
// sentence, an explanation, a help section, and renders in English and
// Spanish, from a live error and from a recorded one.
func TestExplainEverySMTPKind(t *testing.T) {
	in := Input{Host: "smtp.example.org", Port: 465, Security: pop3client.SecurityTLS, Email: "ana@example.org"}
	titles := map[string]string{}
	for _, k := range SMTPKinds() {
		kind := smtpclient.Kind(k)
		err := &smtpclient.Error{Kind: kind, Step: smtpStepFor(kind), Host: in.Host, Code: 550, EnhancedCode: "5.7.1", ServerText: "words",
			Limit: 10 << 20, Refused: []smtpclient.Refusal{{Address: "bob@example.net", Code: 550, EnhancedCode: "5.1.1", ServerText: "no such user"}}}
		for _, d := range []Diagnosis{Explain(err, in), ExplainRecordedSMTP(k, string(err.Step), "words", in)} {
			if d.Kind != k {
				t.Errorf("%s: Kind = %q", k, d.Kind)
			}
			checkDiagnosis(t, d)
			if d.Title.Key == "Sending failed" || d.Title.Key == "The check failed" {
				t.Errorf("%s: generic title", k)
			}
		}
		if s := SentenceSMTP(k, spanish); s == "" || s == SentenceSMTP(k, english) {
			t.Errorf("%s: SentenceSMTP %q", k, s)
		}
		d := Explain(err, in)
		if other, dup := titles[d.Title.Key]; dup {
			t.Errorf("%s and %s share the title %q", k, other, d.Title.Key)
		}
		titles[d.Title.Key] = k
		if kind != smtpclient.KindNotSMTP && !strings.Contains(d.Detail, "550 5.7.1 words") {
			t.Errorf("%s: detail %q lacks the server's reply", k, d.Detail)
		}
	}
	// An unknown kind still says something, and links to a section.
	d := ExplainRecordedSMTP("something-new", "mail", "", in)
	checkDiagnosis(t, d)
	if d.Title.Key != "Sending failed" || d.HelpAnchor != SMTPAnchor("other") {
		t.Errorf("unknown kind: %q, anchor %q", d.Title.Key, d.HelpAnchor)
	}
}

// TestExplainOutboxKinds: the outbox's own kinds have their own
// sentences about sending (not the incoming server's check), a cause and a
// fix, and a help section, in English and Spanish.
func TestExplainOutboxKinds(t *testing.T) {
	in := Input{Host: "smtp.example.org", Port: 465, Security: pop3client.SecurityTLS}
	for _, k := range OutboxKinds() {
		d := ExplainRecordedSMTP(k, "", "", in)
		if d.Kind != k || d.HelpAnchor != SMTPAnchor(k) {
			t.Errorf("%s: kind %q, anchor %q", k, d.Kind, d.HelpAnchor)
		}
		checkDiagnosis(t, d)
		for _, generic := range []string{"Sending failed", "Apartado could not check this account"} {
			if d.Title.Key == generic {
				t.Errorf("%s: title %q", k, generic)
			}
		}
		if s := SentenceSMTP(k, spanish); s == "" || s == SentenceSMTP(k, english) {
			t.Errorf("%s: SentenceSMTP %q", k, s)
		}
	}
	if d := ExplainRecordedSMTP(KindNoOutgoingServer, "", "", in); !strings.Contains(d.Explanation.Text(english, nil), "Add one in Settings") {
		t.Errorf("no fix: %q", d.Explanation.Text(english, nil))
	}
	if d := ExplainRecordedSMTP(KindInternal, "", "", in); !strings.Contains(d.Explanation.Text(english, nil), "kept in the outbox") ||
		!strings.Contains(d.Explanation.Text(spanish, nil), "bandeja de salida") {
		t.Errorf("does not say the message is kept: %q", d.Explanation.Text(english, nil))
	}
}

func TestExplainSMTPFixes(t *testing.T) {
	on := func(port int, sec pop3client.Security) Input {
		return Input{Host: "smtp.example.org", Port: port, Security: sec, Email: "ana@example.org"}
	}
	fixTo := func(host string, port int, sec pop3client.Security) func(Fix) bool {
		return func(f Fix) bool { return f.Host == host && f.Port == port && f.Security == sec }
	}
	tls465, starttls587 := on(465, pop3client.SecurityTLS), on(587, pop3client.SecuritySTARTTLS)
	for _, tc := range []struct {
		name   string
		err    *smtpclient.Error
		in     Input
		title  string
		want   []func(Fix) bool
		says   string // in the English explanation
		saysES string // in the Spanish explanation
	}{
		{name: "no answer on 465: a firewall; try 587", err: &smtpclient.Error{Kind: smtpclient.KindTimeout, Step: smtpclient.StepConnect},
			in: tls465, title: "The outgoing server does not answer", says: "Try port 587 with STARTTLS",
			want: []func(Fix) bool{fixTo("smtp.example.org", 587, pop3client.SecuritySTARTTLS)}},
		{name: "no answer on 587: try 465", err: &smtpclient.Error{Kind: smtpclient.KindTimeout, Step: smtpclient.StepConnect},
			in: starttls587, title: "The outgoing server does not answer", says: "Try port 465 with SSL/TLS",
			want: []func(Fix) bool{fixTo("smtp.example.org", 465, pop3client.SecurityTLS)}},
		{name: "no answer on 25: blocked by ISPs", err: &smtpclient.Error{Kind: smtpclient.KindTimeout, Step: smtpclient.StepConnect},
			in: on(25, pop3client.SecuritySTARTTLS), title: "The outgoing server does not answer", says: "Port 25 is for servers passing mail",
			saysES: "puerto 25",
			want:   []func(Fix) bool{fixTo("smtp.example.org", 465, pop3client.SecurityTLS), fixTo("smtp.example.org", 587, pop3client.SecuritySTARTTLS)}},
		{name: "refused on 465", err: &smtpclient.Error{Kind: smtpclient.KindConnectionRefused, Step: smtpclient.StepConnect},
			in: tls465, title: "The outgoing server refuses connections on this port",
			want: []func(Fix) bool{fixTo("smtp.example.org", 587, pop3client.SecuritySTARTTLS)}},
		{name: "SSL/TLS on 587", err: &smtpclient.Error{Kind: smtpclient.KindTLSOnPlainPort, Step: smtpclient.StepTLS},
			in: on(587, pop3client.SecurityTLS), title: "This outgoing port does not use SSL/TLS from the start",
			want: []func(Fix) bool{fixTo("smtp.example.org", 587, pop3client.SecuritySTARTTLS), fixTo("smtp.example.org", 465, pop3client.SecurityTLS)}},
		{name: "STARTTLS on 465", err: &smtpclient.Error{Kind: smtpclient.KindPlainOnTLSPort, Step: smtpclient.StepGreeting},
			in: on(465, pop3client.SecuritySTARTTLS), title: "This outgoing port expects SSL/TLS",
			want: []func(Fix) bool{fixTo("smtp.example.org", 465, pop3client.SecurityTLS)}},
		{name: "STARTTLS not offered", err: &smtpclient.Error{Kind: smtpclient.KindSTARTTLSNotOffered, Step: smtpclient.StepSTARTTLS},
			in: starttls587, title: "The outgoing server does not offer STARTTLS",
			want: []func(Fix) bool{fixTo("smtp.example.org", 465, pop3client.SecurityTLS), fixTo("smtp.example.org", 587, pop3client.SecurityNone)}},
		{name: "AUTH only after STARTTLS", err: &smtpclient.Error{Kind: smtpclient.KindEncryptionRequired, Step: smtpclient.StepAuth},
			in: on(587, pop3client.SecurityNone), title: "The outgoing server lets you sign in only after encryption",
			want: []func(Fix) bool{fixTo("smtp.example.org", 587, pop3client.SecuritySTARTTLS), fixTo("smtp.example.org", 465, pop3client.SecurityTLS)}},
		{name: "port 25 without AUTH", err: &smtpclient.Error{Kind: smtpclient.KindAuthNotOffered, Step: smtpclient.StepAuth},
			in: on(25, pop3client.SecurityNone), title: "The outgoing server does not offer signing in",
			want: []func(Fix) bool{fixTo("smtp.example.org", 465, pop3client.SecurityTLS), fixTo("smtp.example.org", 587, pop3client.SecuritySTARTTLS)}},
		{name: "sender not owned", err: &smtpclient.Error{Kind: smtpclient.KindSenderRefused, Step: smtpclient.StepRcpt, Code: 553},
			in: tls465, title: "The outgoing server refuses the sender address", says: "send as ana@example.org", saysES: "ana@example.org"},
		{name: "too large", err: &smtpclient.Error{Kind: smtpclient.KindMessageTooLarge, Step: smtpclient.StepMail, Limit: 10240000},
			in: tls465, title: "The message is too large for the outgoing server", says: "10\u00a0MB", saysES: "10\u00a0MB"},
		{name: "greylisted", err: &smtpclient.Error{Kind: smtpclient.KindTempFailure, Step: smtpclient.StepRcpt, Code: 451},
			in: tls465, title: "The outgoing server asks to try again later", says: "retried by itself", saysES: "se reintenta solo"},
		{name: "may have been sent", err: &smtpclient.Error{Kind: smtpclient.KindMaybeSent, Step: smtpclient.StepDot},
			in: tls465, title: "The message may have been sent", says: "Sent folder", saysES: "carpeta de enviados"},
		{name: "recipient unknown", err: &smtpclient.Error{Kind: smtpclient.KindRecipientUnknown, Step: smtpclient.StepRcpt,
			Refused: []smtpclient.Refusal{{Address: "bob@example.net", Code: 550}}},
			in: tls465, title: "A recipient's address does not exist", says: "bob@example.net"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Explain(tc.err, tc.in)
			checkDiagnosis(t, d)
			if d.Title.Key != tc.title {
				t.Errorf("title %q, want %q", d.Title.Key, tc.title)
			}
			for _, want := range tc.want {
				if _, ok := findFix(d, want); !ok {
					t.Errorf("a wanted fix is missing from %+v", d.Fixes)
				}
			}
			for _, f := range d.Fixes {
				if f.Security == pop3client.SecurityNone && f.Warning.IsZero() {
					t.Errorf("an unencrypted fix without a warning: %+v", f)
				}
				if f.Port == 25 {
					t.Errorf("a fix to port 25: %+v", f)
				}
			}
			if en := d.Explanation.Text(english, nil); !strings.Contains(en, tc.says) {
				t.Errorf("explanation %q lacks %q", en, tc.says)
			}
			if es := d.Explanation.Text(spanish, nil); !strings.Contains(es, tc.saysES) {
				t.Errorf("Spanish explanation %q lacks %q", es, tc.saysES)
			}
			wantRetry := tc.err.Kind == smtpclient.KindTempFailure
			if d.Retry != wantRetry {
				t.Errorf("Retry %t", d.Retry)
			}
		})
	}
}

// TestExplainSMTPProvider: a rejected password names the provider's app
// password and its steps; a wrong name offers the provider's outgoing
// server; a certificate from an unknown authority can be pinned, as for
// POP3.
func TestExplainSMTPProvider(t *testing.T) {
	gmail, _ := discover.LookupProvider("ana@gmail.com")
	in := Input{Host: "smtp.gmail.com", Port: 465, Security: pop3client.SecurityTLS, Email: "ana@gmail.com", Provider: gmail}
	d := Explain(&smtpclient.Error{Kind: smtpclient.KindAuthFailed, Step: smtpclient.StepAuth, Code: 535, EnhancedCode: "5.7.8"}, in)
	checkDiagnosis(t, d)
	if en := d.Explanation.Text(english, nil); !strings.Contains(en, "app password") || d.Provider != "Gmail" || len(d.ProviderSteps) == 0 {
		t.Errorf("explanation %q, provider %q, steps %d", en, d.Provider, len(d.ProviderSteps))
	}
	if _, ok := findFix(d, func(f Fix) bool { return f.RetypePassword }); !ok {
		t.Errorf("no fix to type the password again: %+v", d.Fixes)
	}

	in.Host = "smtp.gmial.com"
	d = Explain(&smtpclient.Error{Kind: smtpclient.KindHostNotFound, Step: smtpclient.StepResolve}, in)
	wantFix(t, d, "smtp.gmail.com", 465, pop3client.SecurityTLS)
	in.Provider = nil
	in.Discovered = []discover.Candidate{{Host: "mail.example.org", Port: 587, Security: pop3client.SecuritySTARTTLS, Verified: true}}
	d = Explain(&smtpclient.Error{Kind: smtpclient.KindHostNotFound, Step: smtpclient.StepResolve}, in)
	wantFix(t, d, "mail.example.org", 587, pop3client.SecuritySTARTTLS)

	cert := &pop3client.CertInfo{Subject: "CN=smtp.example.org", Issuer: "CN=Some CA", IssuerCommonName: "Some CA",
		DNSNames: []string{"smtp.example.org"}, SHA256: strings.Repeat("ab", 32)}
	in = Input{Host: "smtp.example.org", Port: 465, Security: pop3client.SecurityTLS}
	d = Explain(&smtpclient.Error{Kind: smtpclient.KindUnknownAuthority, Step: smtpclient.StepTLS, Cert: cert}, in)
	checkDiagnosis(t, d)
	if f, ok := findFix(d, func(f Fix) bool { return f.TrustFingerprint == cert.SHA256 }); !ok || f.Port != 465 || f.Warning.IsZero() {
		t.Errorf("no fix trusting exactly this certificate: %+v", d.Fixes)
	}
}

// ---- TestSMTP ----

// runSMTPTest runs TestSMTP, checking as runTest does that the steps
// reported are the result's and that everything renders.
func runSMTPTest(t *testing.T, s TestSettings, opts TestOptions) Result {
	t.Helper()
	if opts.Resolver == nil {
		opts.Resolver = testResolver{}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	var reported []StepResult
	res := TestSMTP(context.Background(), s, opts, func(r StepResult) { reported = append(reported, r) })
	if len(reported) != len(res.Steps) {
		t.Fatalf("reported %d steps, result has %d", len(reported), len(res.Steps))
	}
	seen := map[Step]bool{}
	for i, r := range res.Steps {
		checkRendered(t, string(r.Step)+" label", StepLabel(r.Step))
		for _, m := range append(append([]Message(nil), r.Facts...), r.Warnings...) {
			checkRendered(t, string(r.Step)+" fact", m)
		}
		if r.OK != (r.Diagnosis == nil) {
			t.Errorf("step %s: OK %v with diagnosis %v", r.Step, r.OK, r.Diagnosis)
		}
		if reported[i].Step != r.Step || seen[r.Step] {
			t.Errorf("step %d reported as %s, recorded as %s (twice: %t)", i, reported[i].Step, r.Step, seen[r.Step])
		}
		seen[r.Step] = true
	}
	if res.OK == (res.Diagnosis != nil) {
		t.Fatalf("OK %v with diagnosis %+v (err %v)", res.OK, res.Diagnosis, res.Err)
	}
	if res.Diagnosis != nil {
		checkDiagnosis(t, *res.Diagnosis)
	}
	return res
}

func factsOf(r Result, step Step, l func(Message) string) string {
	var out []string
	for _, s := range r.Steps {
		if s.Step == step {
			for _, f := range s.Facts {
				out = append(out, l(f))
			}
		}
	}
	return strings.Join(out, " | ")
}

func TestSMTPPostfix(t *testing.T) {
	s := smtptest.Start(t, nil)
	port := func(addr string) int { p, _ := strconv.Atoi(testnet.Port(addr)); return p }
	opts := TestOptions{ExtraRootCAs: []*x509.Certificate{s.Cert.X509}, Timeout: 20 * time.Second}
	for _, tc := range []struct {
		sec   pop3client.Security
		port  int
		steps string
	}{
		{pop3client.SecuritySTARTTLS, port(s.SubmissionAddr), "resolve✓ connect✓ greeting✓ ehlo✓ stls✓ tls✓ login✓ offers✓ quit✓"},
		{pop3client.SecurityTLS, port(s.SubmissionsAddr), "resolve✓ connect✓ tls✓ greeting✓ ehlo✓ login✓ offers✓ quit✓"},
	} {
		t.Run(tc.sec.String(), func(t *testing.T) {
			res := runSMTPTest(t, TestSettings{Host: "localhost", Port: tc.port, Security: tc.sec,
				Username: dovecottest.DefaultUser, Password: dovecottest.DefaultPassword}, opts)
			if !res.OK {
				t.Fatalf("failed: %v", res.Err)
			}
			if got := stepsOf(res); got != tc.steps {
				t.Errorf("steps %q, want %q", got, tc.steps)
			}
			if res.SMTP == nil || res.SMTP.MaxSize != 10240000 || !res.SMTP.SMTPUTF8 || res.SMTP.Auth != "PLAIN" {
				t.Errorf("capabilities %+v", res.SMTP)
			}
			if res.Cert == nil || !strings.Contains(factsOf(res, StepTLS, func(m Message) string { return m.Text(english, nil) }), "Encrypted with TLS") {
				t.Errorf("TLS facts %q, cert %v", factsOf(res, StepTLS, func(m Message) string { return m.Text(english, nil) }), res.Cert)
			}
			offersES := factsOf(res, StepOffers, func(m Message) string { return m.Text(spanish, nil) })
			if !strings.Contains(offersES, "10\u00a0MB") || !strings.Contains(offersES, "SMTPUTF8): sí") {
				t.Errorf("offers in Spanish: %q", offersES)
			}
			if g := factsOf(res, StepGreeting, func(m Message) string { return m.Text(english, nil) }); !strings.Contains(g, "ESMTP") {
				t.Errorf("greeting facts %q", g)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		res := runSMTPTest(t, TestSettings{Host: "localhost", Port: port(s.SubmissionsAddr), Security: pop3client.SecurityTLS,
			Username: dovecottest.DefaultUser, Password: "wrong"}, opts)
		d := wantFailure(t, res, smtpclient.KindAuthFailed, "resolve✓ connect✓ tls✓ greeting✓ ehlo✓ login✗")
		if d.HelpAnchor != SMTPAnchor(string(smtpclient.KindAuthFailed)) || !strings.Contains(d.Detail, "535") {
			t.Errorf("anchor %q, detail %q", d.HelpAnchor, d.Detail)
		}
		if _, ok := findFix(d, func(f Fix) bool { return f.RetypePassword }); !ok {
			t.Errorf("fixes %+v", d.Fixes)
		}
	})
	if msgs, err := s.Dovecot.Messages(dovecottest.DefaultUser); err != nil || len(msgs) != 0 {
		t.Errorf("the test delivered %d messages (%v): it must send none", len(msgs), err)
	}
}

// smtpScript is a scripted SMTP server: a greeting, EHLO with ext, and
// QUIT; silent never says a word.
type smtpScript struct {
	ext    []string
	silent bool
}

func (f smtpScript) start(t *testing.T) int {
	t.Helper()
	port, _ := strconv.Atoi(testnet.Port(testnet.Serve(t, f.serve)))
	return port
}

func (f smtpScript) serve(c net.Conn) {
	if f.silent {
		_, _ = bufio.NewReader(c).WriteTo(discardWriter{}) // read and never answer
		return
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	say := func(s string) bool { _, err := c.Write([]byte(s + "\r\n")); return err == nil }
	if !say("220 fake.test ESMTP ready") {
		return
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(line)), " "); cmd {
		case "EHLO":
			lines := append([]string{"fake.test"}, f.ext...)
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				say("250" + sep + l)
			}
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 5.5.1 not implemented")
		}
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestSMTPSTARTTLSNotOffered(t *testing.T) {
	port := smtpScript{ext: []string{"SIZE 1000", "AUTH PLAIN"}}.start(t)
	res := runSMTPTest(t, TestSettings{Host: "smtp.fake.test", Port: port, Security: pop3client.SecuritySTARTTLS,
		Username: "ana", Password: "secret"}, TestOptions{})
	d := wantFailure(t, res, smtpclient.KindSTARTTLSNotOffered, "resolve✓ connect✓ greeting✓ ehlo✓ stls✗")
	wantFix(t, d, "smtp.fake.test", 465, pop3client.SecurityTLS)
	if f := wantFix(t, d, "smtp.fake.test", port, pop3client.SecurityNone); f.Warning.IsZero() {
		t.Error("no warning on the unencrypted fix")
	}
}

// TestSMTPNoGreeting: something accepts the connection and says nothing.
func TestSMTPNoGreeting(t *testing.T) {
	port := smtpScript{silent: true}.start(t)
	res := runSMTPTest(t, TestSettings{Host: "smtp.fake.test", Port: port, Security: pop3client.SecuritySTARTTLS},
		TestOptions{Timeout: 500 * time.Millisecond})
	d := wantFailure(t, res, smtpclient.KindTimeout, "resolve✓ connect✓ greeting✗")
	if d.Title.Key != "The outgoing server does not greet" {
		t.Errorf("title %q", d.Title.Key)
	}
	wantFix(t, d, "smtp.fake.test", 465, pop3client.SecurityTLS)
	wantFix(t, d, "smtp.fake.test", 587, pop3client.SecuritySTARTTLS)
}

// TestSMTPNoAnswer: the "firewall or antivirus" case. Port 465 never
// answers (the dialer hangs until its timeout, as a dropped SYN does); the
// fix is 587 with STARTTLS.
func TestSMTPNoAnswer(t *testing.T) {
	hang := dialFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	})
	res := runSMTPTest(t, TestSettings{Host: "smtp.fake.test", Port: 465, Security: pop3client.SecurityTLS},
		TestOptions{Timeout: 300 * time.Millisecond, Dialer: hang})
	d := wantFailure(t, res, smtpclient.KindTimeout, "resolve✓ connect✗")
	wantFix(t, d, "smtp.fake.test", 587, pop3client.SecuritySTARTTLS)
	if en := d.Explanation.Text(english, nil); !strings.Contains(en, "Try port 587 with STARTTLS") || !strings.Contains(en, "antivirus") {
		t.Errorf("explanation %q", en)
	}
}

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}
