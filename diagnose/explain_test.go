package diagnose

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/netguard"
	"github.com/apartado/apartado/pop3client"
)

// stepFor is where each kind typically happens.
func stepFor(k pop3client.Kind) pop3client.Step {
	switch k {
	case pop3client.KindHostNotFound, pop3client.KindDNSTemporary:
		return pop3client.StepResolve
	case pop3client.KindConnectionRefused, pop3client.KindUnreachable, pop3client.KindTimeout, pop3client.KindNetwork,
		pop3client.KindAddressNotAllowed:
		return pop3client.StepConnect
	case pop3client.KindUnknownAuthority, pop3client.KindCertificateName, pop3client.KindCertificateExpired,
		pop3client.KindCertificateInvalid, pop3client.KindTLSVersion, pop3client.KindTLSHandshake, pop3client.KindTLSOnPlainPort:
		return pop3client.StepTLS
	case pop3client.KindSTLSNotOffered:
		return pop3client.StepSTLS
	case pop3client.KindAuthFailed, pop3client.KindOAuthRequired, pop3client.KindEncryptionRequired, pop3client.KindPOPDisabled,
		pop3client.KindInUse, pop3client.KindLoginDelay, pop3client.KindTempFailure:
		return pop3client.StepAuth
	case pop3client.KindTransferInterrupted, pop3client.KindMessageTooLarge:
		return pop3client.StepTransfer
	case pop3client.KindClosedBeforeGreeting, pop3client.KindNotPOP3, pop3client.KindPlainOnTLSPort:
		return pop3client.StepGreeting
	}
	return pop3client.StepCommand
}

// TestExplainEveryKind: every kind has its own sentence, an explanation,
// a help section, and renders in English and Spanish.
func TestExplainEveryKind(t *testing.T) {
	in := Input{Host: "pop.example.org", Port: 995, Security: pop3client.SecurityTLS, Email: "ana@example.org", Interval: 10 * time.Minute}
	titles := map[string]string{}
	for _, k := range Kinds() {
		var err error = &pop3client.Error{Kind: pop3client.Kind(k), Step: stepFor(pop3client.Kind(k)), Host: in.Host, ServerText: "words"}
		if k == KindInternal {
			err = errors.New("reading the account's password: secret: cannot decrypt")
		}
		d := Explain(err, in)
		if d.Kind != k {
			t.Errorf("%s: Kind = %q", k, d.Kind)
		}
		checkDiagnosis(t, d)
		if d.Title.Key == "The check failed" {
			t.Errorf("%s: generic title", k)
		}
		if other, dup := titles[d.Title.Key]; dup {
			t.Errorf("%s and %s share the title %q", k, other, d.Title.Key)
		}
		titles[d.Title.Key] = k
		// Before a POP3 greeting the words may be another service's banner.
		wantWords := "words"
		switch step := stepFor(pop3client.Kind(k)); {
		case k == KindInternal, step == pop3client.StepGreeting, k == string(pop3client.KindNotPOP3),
			step == pop3client.StepTLS && k == string(pop3client.KindTLSHandshake):
			wantWords = ""
		}
		if d.Detail != wantWords {
			t.Errorf("%s: detail %q, want %q", k, d.Detail, wantWords)
		}
		if s := Sentence(k, spanish); s == "" || s == Sentence(k, english) {
			t.Errorf("%s: Sentence %q", k, s)
		}
	}
	// An unknown kind still says something, and links to the list.
	d := ExplainRecorded("something-new", "", "", in)
	checkDiagnosis(t, d)
	if d.HelpAnchor != "errors" {
		t.Errorf("unknown kind anchor %q", d.HelpAnchor)
	}
}

func TestExplainFixes(t *testing.T) {
	tls995 := Input{Host: "pop.example.org", Port: 995, Security: pop3client.SecurityTLS, Email: "ana@example.org"}
	plain110 := Input{Host: "pop.example.org", Port: 110, Security: pop3client.SecuritySTARTTLS, Email: "ana@example.org"}
	fixTo := func(host string, port int, sec pop3client.Security) func(Fix) bool {
		return func(f Fix) bool { return f.Host == host && f.Port == port && f.Security == sec }
	}
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		err   *pop3client.Error
		in    Input
		title string
		want  []func(Fix) bool // fixes that must be offered
		check func(t *testing.T, d Diagnosis)
	}{
		{name: "typo in a known provider's host",
			err:   &pop3client.Error{Kind: pop3client.KindHostNotFound, Step: pop3client.StepResolve},
			in:    Input{Host: "pop.gmial.com", Port: 995, Email: "ana@gmail.com", Provider: mustProvider(t, "ana@gmail.com")},
			title: "The server name does not exist",
			want:  []func(Fix) bool{fixTo("pop.gmail.com", 995, pop3client.SecurityTLS)}},
		{name: "discovered host",
			err:   &pop3client.Error{Kind: pop3client.KindHostNotFound, Step: pop3client.StepResolve},
			in:    Input{Host: "pop.exmaple.org", Port: 995, Discovered: []discover.Candidate{{Host: "mail.example.org", Port: 995, Security: pop3client.SecurityTLS, Verified: true}}},
			title: "The server name does not exist",
			want:  []func(Fix) bool{fixTo("mail.example.org", 995, pop3client.SecurityTLS)}},
		{name: "refused on 995", err: &pop3client.Error{Kind: pop3client.KindConnectionRefused, Step: pop3client.StepConnect}, in: tls995,
			title: "The server refuses connections on this port", want: []func(Fix) bool{fixTo("pop.example.org", 110, pop3client.SecuritySTARTTLS)}},
		{name: "refused on 110", err: &pop3client.Error{Kind: pop3client.KindConnectionRefused, Step: pop3client.StepConnect}, in: plain110,
			title: "The server refuses connections on this port", want: []func(Fix) bool{fixTo("pop.example.org", 995, pop3client.SecurityTLS)}},
		{name: "no answer", err: &pop3client.Error{Kind: pop3client.KindTimeout, Step: pop3client.StepConnect}, in: tls995,
			title: "The server does not answer", want: []func(Fix) bool{fixTo("pop.example.org", 110, pop3client.SecuritySTARTTLS)}},
		{name: "silent after connecting", err: &pop3client.Error{Kind: pop3client.KindTimeout, Step: pop3client.StepGreeting}, in: plain110,
			title: "The server does not greet", want: []func(Fix) bool{fixTo("pop.example.org", 995, pop3client.SecurityTLS)}},
		{name: "SSL on the plain port", err: &pop3client.Error{Kind: pop3client.KindTLSOnPlainPort, Step: pop3client.StepTLS},
			in:    Input{Host: "pop.example.org", Port: 110, Security: pop3client.SecurityTLS},
			title: "This port does not use SSL/TLS from the start",
			want:  []func(Fix) bool{fixTo("pop.example.org", 110, pop3client.SecuritySTARTTLS), fixTo("pop.example.org", 995, pop3client.SecurityTLS)}},
		{name: "plain on the TLS port", err: &pop3client.Error{Kind: pop3client.KindPlainOnTLSPort, Step: pop3client.StepGreeting},
			in:    Input{Host: "pop.example.org", Port: 995, Security: pop3client.SecuritySTARTTLS},
			title: "This port expects SSL/TLS", want: []func(Fix) bool{fixTo("pop.example.org", 995, pop3client.SecurityTLS)}},
		{name: "IMAP port", err: &pop3client.Error{Kind: pop3client.KindNotPOP3, Step: pop3client.StepGreeting, Service: "IMAP"},
			in:    Input{Host: "mail.example.org", Port: 993, Security: pop3client.SecurityTLS},
			title: "This port is not for POP3",
			want:  []func(Fix) bool{fixTo("mail.example.org", 995, pop3client.SecurityTLS), fixTo("mail.example.org", 110, pop3client.SecuritySTARTTLS)},
			check: func(t *testing.T, d Diagnosis) {
				if !strings.Contains(d.Explanation.Text(english, nil), "IMAP") {
					t.Error("the explanation does not name IMAP")
				}
			}},
		{name: "no STLS", err: &pop3client.Error{Kind: pop3client.KindSTLSNotOffered, Step: pop3client.StepSTLS}, in: plain110,
			title: "The server does not offer STARTTLS",
			want:  []func(Fix) bool{fixTo("pop.example.org", 995, pop3client.SecurityTLS), fixTo("pop.example.org", 110, pop3client.SecurityNone)},
			check: func(t *testing.T, d Diagnosis) {
				f, _ := findFix(d, fixTo("pop.example.org", 110, pop3client.SecurityNone))
				if f.Warning.IsZero() {
					t.Error("no warning on the unencrypted fix")
				}
			}},
		{name: "encryption required", err: &pop3client.Error{Kind: pop3client.KindEncryptionRequired, Step: pop3client.StepAuth},
			in:    Input{Host: "pop.example.org", Port: 110, Security: pop3client.SecurityNone},
			title: "The server refuses passwords without encryption",
			want:  []func(Fix) bool{fixTo("pop.example.org", 110, pop3client.SecuritySTARTTLS), fixTo("pop.example.org", 995, pop3client.SecurityTLS)}},
		{name: "TLS too old", err: &pop3client.Error{Kind: pop3client.KindTLSVersion, Step: pop3client.StepTLS}, in: tls995,
			title: "The server uses an outdated, insecure encryption",
			check: func(t *testing.T, d Diagnosis) {
				if len(d.Fixes) != 0 {
					t.Errorf("a fix for an outdated server: %+v", d.Fixes)
				}
			}},
		{name: "app password at Gmail", err: &pop3client.Error{Kind: pop3client.KindAuthFailed, Step: pop3client.StepAuth, ServerText: "[AUTH] Username and password not accepted."},
			in:    Input{Host: "pop.gmail.com", Port: 995, Email: "ana@gmail.com", Provider: mustProvider(t, "ana@gmail.com")},
			title: "The server rejected the user name or password",
			check: func(t *testing.T, d Diagnosis) {
				if !strings.Contains(d.Explanation.Text(english, nil), "app password") || d.Provider != "Gmail" || len(d.ProviderSteps) == 0 {
					t.Errorf("no app password hint and steps: %q %q %d", d.Explanation.Text(english, nil), d.Provider, len(d.ProviderSteps))
				}
				if _, ok := findFix(d, func(f Fix) bool { return f.RetypePassword }); !ok {
					t.Error("no retype fix")
				}
			}},
		{name: "password elsewhere", err: &pop3client.Error{Kind: pop3client.KindAuthFailed, Step: pop3client.StepAuth}, in: tls995,
			title: "The server rejected the user name or password",
			check: func(t *testing.T, d Diagnosis) {
				if !strings.Contains(d.Explanation.Text(english, nil), "app password") {
					t.Error("the generic sentence does not mention app passwords")
				}
			}},
		{name: "OAuth", err: &pop3client.Error{Kind: pop3client.KindOAuthRequired, Step: pop3client.StepAuth},
			in:    Input{Host: "outlook.office365.com", Port: 995, Email: "ana@outlook.com", Provider: mustProvider(t, "ana@outlook.com")},
			title: "Your provider only allows signing in through its website",
			check: func(t *testing.T, d Diagnosis) {
				if !strings.Contains(d.Explanation.Text(english, nil), d.Provider) || d.Provider == "" {
					t.Errorf("the provider is not named: %q", d.Explanation.Text(english, nil))
				}
			}},
		{name: "POP off", err: &pop3client.Error{Kind: pop3client.KindPOPDisabled, Step: pop3client.StepAuth, Code: "SYS/PERM"},
			in:    Input{Host: "pop.gmail.com", Port: 995, Email: "ana@gmail.com", Provider: mustProvider(t, "ana@gmail.com")},
			title: "POP access is turned off for this account",
			check: func(t *testing.T, d Diagnosis) {
				if len(d.ProviderSteps) == 0 {
					t.Error("no steps from the provider")
				}
			}},
		{name: "in use", err: &pop3client.Error{Kind: pop3client.KindInUse, Step: pop3client.StepAuth, Code: "IN-USE"},
			in:    Input{Host: "pop.example.org", Port: 995, Interval: 5 * time.Minute},
			title: "Another program is using the mailbox",
			want:  []func(Fix) bool{func(f Fix) bool { return f.Interval == 15*time.Minute && f.Host == "pop.example.org" }}},
		{name: "login delay from CAPA", err: &pop3client.Error{Kind: pop3client.KindLoginDelay, Step: pop3client.StepAuth, Code: "LOGIN-DELAY"},
			in:    Input{Host: "pop.example.org", Port: 995, LoginDelay: 900 * time.Second},
			title: "The server allows a login only every %d minutes",
			want:  []func(Fix) bool{func(f Fix) bool { return f.Interval == 15*time.Minute }}},
		{name: "login delay from the words", err: &pop3client.Error{Kind: pop3client.KindLoginDelay, Step: pop3client.StepAuth, Code: "LOGIN-DELAY", ServerText: "wait 401 seconds between logins"},
			in:    Input{Host: "pop.example.org", Port: 995},
			title: "The server allows a login only every %d minutes",
			want:  []func(Fix) bool{func(f Fix) bool { return f.Interval == 7*time.Minute }}},
		{name: "not yet valid",
			err: &pop3client.Error{Kind: pop3client.KindCertificateInvalid, Step: pop3client.StepTLS,
				Cert: &pop3client.CertInfo{Subject: "CN=pop.example.org", DNSNames: []string{"pop.example.org"}, NotBefore: now.Add(48 * time.Hour), NotAfter: now.Add(90 * 24 * time.Hour), SHA256: strings.Repeat("ab", 32)}},
			in:    Input{Host: "pop.example.org", Port: 995, Now: now},
			title: "The server's certificate is not valid yet",
			check: func(t *testing.T, d Diagnosis) {
				if s := d.Explanation.Text(english, time.UTC); !strings.Contains(s, "clock") || !strings.Contains(s, "Mar 16, 2026") {
					t.Errorf("explanation %q", s)
				}
				if d.HelpAnchor != "error-certificate-not-yet-valid" {
					t.Errorf("anchor %q", d.HelpAnchor)
				}
			}},
		{name: "internal", in: tls995, title: "Apartado could not check this account",
			check: func(t *testing.T, d Diagnosis) {
				if _, ok := findFix(d, func(f Fix) bool { return f.RetypePassword }); !ok || d.Detail != "" {
					t.Errorf("internal: fixes %+v, detail %q", d.Fixes, d.Detail)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error = errors.New("reading the account's password: secret: cannot decrypt")
			if tc.err != nil {
				err = tc.err
			}
			d := Explain(err, tc.in)
			checkDiagnosis(t, d)
			if d.Title.Key != tc.title {
				t.Errorf("title %q, want %q", d.Title.Key, tc.title)
			}
			for i, want := range tc.want {
				if _, ok := findFix(d, want); !ok {
					t.Errorf("fix %d not offered; fixes: %+v", i, d.Fixes)
				}
			}
			for _, f := range d.Fixes {
				if !f.RetypePassword && !f.ChangesSettings(tc.in) {
					t.Errorf("a fix that changes nothing: %+v", f)
				}
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func mustProvider(t *testing.T, email string) *discover.Provider {
	t.Helper()
	p, ok := discover.LookupProvider(email)
	if !ok {
		t.Fatalf("no provider for %s", email)
	}
	return p
}

func TestInterceptor(t *testing.T) {
	for issuer, want := range map[string]string{
		"CN=Avast Web/Mail Shield Root,O=Avast Web/Mail Shield,OU=generated by Avast Antivirus for SSL/TLS scanning": "Avast",
		"CN=AVG Web/Mail Shield Root":                       "AVG",
		"CN=Kaspersky Anti-Virus Personal Root":             "Kaspersky",
		"CN=ESET SSL Filter CA":                             "ESET",
		"CN=Bitdefender Personal CA.Net-Defender":           "Bitdefender",
		"CN=Norton Web/Mail Shield Root":                    "Norton",
		"CN=McAfee Web Gateway":                             "McAfee",
		"CN=Sophos SSL CA_C1234":                            "Sophos",
		"CN=FortiGate CA,O=Fortinet":                        "Fortinet",
		"CN=Zscaler Root CA":                                "Zscaler",
		"CN=Palo Alto Decryption Trusted":                   "Palo Alto Networks",
		"CN=Cisco Umbrella Root CA":                         "Cisco Umbrella",
		"CN=caadmin.netskope.com":                           "Netskope",
		"CN=Blue Coat SG-S500":                              "Blue Coat",
		"CN=Untangle":                                       "Untangle",
		"CN=pfSense-5f1b":                                   "pfSense",
		"CN=Let's Encrypt R11,O=Let's Encrypt":              "",
		"CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1":     "",
		"CN=Sectigo RSA Domain Validation Secure Server CA": "",
	} {
		if got := Interceptor(&pop3client.CertInfo{Issuer: issuer}); got != want {
			t.Errorf("Interceptor(%q) = %q, want %q", issuer, got, want)
		}
	}
}

func TestCertHostFixes(t *testing.T) {
	for _, tc := range []struct {
		names   []string
		current string
		want    string
	}{
		{[]string{"mail.hoster.net"}, "pop.example.org", "mail.hoster.net"},
		{[]string{"*.hoster.net"}, "pop.example.org", "pop.hoster.net"},
		{[]string{"*.hoster.net", "hoster.net"}, "pop.example.org", "hoster.net pop.hoster.net"},
		{[]string{"*.example.org"}, "pop.example.org", ""},    // already matches: nothing new
		{[]string{"*.hoster.net"}, "127.0.0.1", ""},           // no label to borrow from an address
		{[]string{"*.net"}, "pop.example.org", ""},            // not sensible
		{[]string{"pop.example.org"}, "POP.example.org.", ""}, // the same name
	} {
		got := strings.Join(certHostFixes(&pop3client.CertInfo{DNSNames: tc.names}, tc.current), " ")
		if got != tc.want {
			t.Errorf("certHostFixes(%v, %q) = %q, want %q", tc.names, tc.current, got, tc.want)
		}
	}
}

func TestFormatFingerprint(t *testing.T) {
	if got := FormatFingerprint("ab01CD"); got != "AB:01:CD" {
		t.Errorf("FormatFingerprint = %q", got)
	}
}

// TestTopics: the help page has one section per anchor, each rendered in
// both languages.
func TestTopics(t *testing.T) {
	seen := map[string]bool{}
	for _, tp := range Topics() {
		if seen[tp.Anchor] {
			t.Errorf("anchor %q twice", tp.Anchor)
		}
		seen[tp.Anchor] = true
		checkRendered(t, tp.Anchor, tp.Title)
		if len(tp.Body) == 0 {
			t.Errorf("%s: no text", tp.Anchor)
		}
		for _, b := range tp.Body {
			checkRendered(t, tp.Anchor, b)
		}
	}
	for _, k := range Kinds() {
		if !seen[Anchor(k)] {
			t.Errorf("kind %s has no help section", k)
		}
	}
}

// TestExplainNotAllowed: a server the user may not reach names the
// address and says what to do, in English and Spanish, with no fix to
// click (every fix would lead to the same place).
func TestExplainNotAllowed(t *testing.T) {
	in := Input{Host: "pop.example.org", Port: 995, Security: pop3client.SecurityTLS, Email: "ana@example.org"}
	for _, tc := range []struct {
		name string
		err  error
		want string // in the English explanation
	}{
		{"this computer", &netguard.Error{Addr: netip.MustParseAddr("127.0.0.1"), Class: netguard.Local}, "leads to the computer Apartado runs on (127.0.0.1)"},
		{"the local network", &netguard.Error{Addr: netip.MustParseAddr("192.168.1.5"), Class: netguard.Private}, "leads to the local network of the computer Apartado runs on (192.168.1.5)"},
		{"recorded", nil, "leads to the computer Apartado runs on or to its local network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Explain(&pop3client.Error{Kind: pop3client.KindAddressNotAllowed, Step: pop3client.StepConnect, Host: in.Host, Err: tc.err}, in)
			checkDiagnosis(t, d)
			if d.Kind != string(pop3client.KindAddressNotAllowed) || d.HelpAnchor != "error-address-not-allowed" {
				t.Errorf("kind %q, anchor %q", d.Kind, d.HelpAnchor)
			}
			en, es := d.Explanation.Text(english, nil), d.Explanation.Text(spanish, nil)
			if !strings.Contains(en, tc.want) || !strings.Contains(en, "pop.example.org") || !strings.Contains(en, "administrator") {
				t.Errorf("explanation %q, want %q", en, tc.want)
			}
			if es == en || !strings.Contains(es, "administrador") {
				t.Errorf("Spanish explanation %q", es)
			}
			if len(d.Fixes) != 0 || d.Retry {
				t.Errorf("fixes %+v, retry %t", d.Fixes, d.Retry)
			}
		})
	}
}

// TestNoBannerBeforeGreeting: text recorded from before a POP3 greeting is
// not shown; a POP3 server's words after it are.
func TestNoBannerBeforeGreeting(t *testing.T) {
	in := Input{Host: "pop.example.org", Port: 22, Security: pop3client.SecurityNone}
	for _, tc := range []struct {
		kind pop3client.Kind
		step pop3client.Step
		show bool
	}{
		{pop3client.KindNotPOP3, pop3client.StepGreeting, false},
		{pop3client.KindProtocol, pop3client.StepGreeting, false},
		{pop3client.KindServerError, pop3client.StepGreeting, false},
		{pop3client.KindNotPOP3, pop3client.StepTLS, false},
		{pop3client.KindTLSHandshake, pop3client.StepTLS, false},
		{pop3client.KindTLSOnPlainPort, pop3client.StepTLS, true},
		{pop3client.KindServerError, pop3client.StepCommand, true},
		{pop3client.KindAuthFailed, pop3client.StepAuth, true},
	} {
		d := ExplainRecorded(string(tc.kind), string(tc.step), "SSH-2.0-OpenSSH_9.2 secret-banner", in)
		if got := d.Detail != ""; got != tc.show {
			t.Errorf("%s at %s: detail %q, want shown %t", tc.kind, tc.step, d.Detail, tc.show)
		}
	}
}
