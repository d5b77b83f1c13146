package discover

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/apartado/apartado/pop3client"
)

func TestLookupProvider(t *testing.T) {
	tests := []struct {
		in     string
		wantID string // "" means not found
	}{
		{"someone@gmail.com", "gmail"},
		{"Someone@GMAIL.COM", "gmail"},
		{"someone@googlemail.com", "gmail"},
		{"gmail.com", "gmail"},                  // a bare domain
		{"someone@gmail.com.", "gmail"},         // a trailing dot is the same name
		{"  someone@Hotmail.co.uk ", "outlook"}, // spaces around
		{"someone@outlook.com", "outlook"},
		{"someone@msn.com", "outlook"},
		{"someone@yahoo.co.uk", "yahoo"},
		{"someone@aol.com", "aol"},
		{"someone@gmx.de", "gmx"},
		{"someone@gmx.net", "gmx"},
		{"someone@gmx.com", "gmx-com"},
		{"someone@web.de", "webde"},
		{"someone@zoho.com", "zoho"},
		{"someone@yandex.ru", "yandex"},
		{"someone@mail.ru", "mailru"},
		{"someone@fastmail.com", "fastmail"},
		{"someone@icloud.com", "icloud"},
		{"someone@me.com", "icloud"},
		{"someone@orange.fr", "orange"},
		{"someone@wanadoo.fr", "orange"},
		{"someone@free.fr", "free"},
		{"someone@libero.it", "libero"},
		{"someone@virgilio.it", "virgilio"},
		{"someone@t-online.de", "t-online"},
		{"someone@qq.com", "qq"},
		{"someone@163.com", "163"},
		{"someone@126.com", "126"},
		{"someone@movistar.es", "movistar"},
		{"someone@telefonica.net", "movistar"},
		{"someone@terra.com.br", "terra"},
		{"someone@vip.qq.com", "qq"}, // a subdomain that is listed itself

		// A subdomain is not its parent's provider unless listed.
		{"someone@mail.gmail.com", ""},
		{"someone@corp.outlook.com", ""},
		{"someone@sub.web.de", ""},
		{"someone@gmail.com.example", ""},
		{"someone@notgmail.com", ""},
		{"someone@example.com", ""},

		// IDNA: UTS #46 mapping folds full-width letters and the
		// ideographic full stop to the ASCII name.
		{"someone@ｇｍａｉｌ.ｃｏｍ", "gmail"},
		{"someone@gmail。com", "gmail"},
		{"someone@GMX．DE", "gmx"},

		// Not a domain at all.
		{"someone@", ""},
		{"", ""},
		{"someone@exa mple.com", ""},
		{"someone@gmail..com", ""},
	}
	for _, tt := range tests {
		p, ok := LookupProvider(tt.in)
		switch {
		case tt.wantID == "" && ok:
			t.Errorf("LookupProvider(%q) = %q, want not found", tt.in, p.ID)
		case tt.wantID != "" && !ok:
			t.Errorf("LookupProvider(%q) not found, want %q", tt.in, tt.wantID)
		case ok && p.ID != tt.wantID:
			t.Errorf("LookupProvider(%q) = %q, want %q", tt.in, p.ID, tt.wantID)
		}
	}
}

func TestLookupProviderUnicodeDomain(t *testing.T) {
	// A Unicode domain is normalised to its A-label before matching (and
	// before any lookup), so the same name in either form is one domain.
	for _, in := range []string{"jörg@bücher.example", "jörg@xn--bcher-kva.example", "JÖRG@BÜCHER.EXAMPLE"} {
		_, d, err := parseAddress(in)
		if err != nil {
			t.Fatalf("parseAddress(%q): %v", in, err)
		}
		if d != "xn--bcher-kva.example" {
			t.Errorf("parseAddress(%q) domain = %q, want xn--bcher-kva.example", in, d)
		}
	}
}

// The providers the issue asks for, by ID.
var requiredProviders = []string{
	"gmail", "outlook", "yahoo", "aol", "gmx", "webde", "zoho", "yandex", "mailru", "fastmail",
	"icloud", "orange", "free", "libero", "virgilio", "t-online", "qq", "163", "126", "movistar", "terra",
}

func TestProviderTableSane(t *testing.T) {
	ps := Providers()
	ids := map[string]bool{}
	domains := map[string]string{}
	for _, p := range ps {
		t.Run(p.ID, func(t *testing.T) {
			if p.ID == "" || p.Name == "" {
				t.Fatalf("provider without ID or name: %+v", p)
			}
			if ids[p.ID] {
				t.Errorf("duplicate ID %q", p.ID)
			}
			ids[p.ID] = true
			if len(p.Domains) == 0 && len(p.MXSuffixes) == 0 {
				t.Error("neither domains nor MX suffixes: it could never be found")
			}
			for _, d := range p.Domains {
				if n, ok := normalizeHost(d); !ok || n != d {
					t.Errorf("domain %q is not a normalised host name (got %q, %v)", d, n, ok)
				}
				if other, dup := domains[d]; dup {
					t.Errorf("domain %q also belongs to %q", d, other)
				}
				domains[d] = p.ID
				if got, ok := LookupProvider("x@" + d); !ok || got.ID != p.ID {
					t.Errorf("LookupProvider(x@%s) does not find %q", d, p.ID)
				}
			}
			for _, s := range p.MXSuffixes {
				if n, ok := normalizeHost(s); !ok || n != s {
					t.Errorf("MX suffix %q is not a normalised host name", s)
				}
			}
			if p.NoPOP != (len(p.POP) == 0) {
				t.Errorf("NoPOP = %v with %d POP servers", p.NoPOP, len(p.POP))
			}
			if p.NoPOP && len(p.Steps) == 0 {
				t.Error("NoPOP without a step saying so")
			}
			seen := map[string]bool{}
			for _, c := range p.POP {
				if n, ok := normalizeHost(c.Host); !ok || n != c.Host {
					t.Errorf("POP host %q is not a normalised host name", c.Host)
				}
				switch {
				case c.Port == 995 && c.Security == pop3client.SecurityTLS:
				case c.Port == 110 && c.Security == pop3client.SecuritySTARTTLS:
				default:
					t.Errorf("%s: port %d does not go with security %v (995 is TLS, 110 STARTTLS; never plain)", c.Host, c.Port, c.Security)
				}
				if c.Source != SourceProvider || c.Verified || c.Problem != "" || c.Username != "" {
					t.Errorf("%s: table entry carries more than a server: %+v", c.Host, c)
				}
				if seen[c.key()] {
					t.Errorf("%s listed twice", c.key())
				}
				seen[c.key()] = true
			}
			for _, c := range p.SMTP {
				if n, ok := normalizeHost(c.Host); !ok || n != c.Host {
					t.Errorf("SMTP host %q is not a normalised host name", c.Host)
				}
				switch {
				case c.Port == 465 && c.Security == pop3client.SecurityTLS:
				case c.Port == 587 && c.Security == pop3client.SecuritySTARTTLS:
				default:
					t.Errorf("SMTP %s: port %d does not go with security %v (465 is TLS, 587 STARTTLS; never plain, never 25)", c.Host, c.Port, c.Security)
				}
				if c.Source != SourceProvider || c.Verified || c.Problem != "" || c.Username != "" {
					t.Errorf("SMTP %s: table entry carries more than a server: %+v", c.Host, c)
				}
				if seen["smtp "+c.key()] {
					t.Errorf("SMTP %s listed twice", c.key())
				}
				seen["smtp "+c.key()] = true
			}
			for i := 1; i < len(p.SMTP); i++ {
				if p.SMTP[i-1].Security == pop3client.SecuritySTARTTLS && p.SMTP[i].Security == pop3client.SecurityTLS {
					t.Errorf("SMTP: STARTTLS listed before implicit TLS (RFC 8314 prefers implicit TLS)")
				}
			}
			if p.Username != UsernameEmail && p.Username != UsernameLocalPart {
				t.Errorf("Username = %q", p.Username)
			}
			if (p.AppPassword || p.OAuthOnly) && len(p.Steps) == 0 {
				t.Error("AppPassword or OAuthOnly without steps")
			}
			if p.OAuthOnly && !slices.Contains(p.Steps, StepOAuthOnly) {
				t.Error("OAuthOnly without StepOAuthOnly")
			}
			for _, s := range p.Steps {
				if s == "" || strings.TrimSpace(s) != s || !strings.HasSuffix(s, ".") || len(s) > 250 {
					t.Errorf("step %q: want a short sentence with a full stop", s)
				}
			}
			if u, err := url.Parse(p.HelpURL); err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("HelpURL %q is not an https URL", p.HelpURL)
			}
		})
	}
	for _, id := range requiredProviders {
		if !ids[id] {
			t.Errorf("provider %q missing", id)
		}
	}
}

func TestProviderFacts(t *testing.T) {
	// The settings most people will hit, spelled out.
	tests := []struct {
		email             string
		host              string
		port              int
		sec               pop3client.Security
		appPass, oauth    bool
		noPOP             bool
		usernameLocalPart bool
	}{
		{email: "a@gmail.com", host: "pop.gmail.com", port: 995, appPass: true},
		{email: "a@hotmail.com", host: "outlook.office365.com", port: 995, oauth: true},
		{email: "a@yahoo.com", host: "pop.mail.yahoo.com", port: 995, appPass: true},
		{email: "a@gmx.de", host: "pop.gmx.net", port: 995},
		{email: "a@web.de", host: "pop3.web.de", port: 995},
		{email: "a@free.fr", host: "pop.free.fr", port: 995, usernameLocalPart: true},
		{email: "a@t-online.de", host: "securepop.t-online.de", port: 995, appPass: true},
		{email: "a@icloud.com", noPOP: true},
	}
	for _, tt := range tests {
		p, ok := LookupProvider(tt.email)
		if !ok {
			t.Errorf("%s: no provider", tt.email)
			continue
		}
		if p.NoPOP != tt.noPOP || p.AppPassword != tt.appPass || p.OAuthOnly != tt.oauth {
			t.Errorf("%s: NoPOP %v AppPassword %v OAuthOnly %v, want %v %v %v", tt.email, p.NoPOP, p.AppPassword, p.OAuthOnly, tt.noPOP, tt.appPass, tt.oauth)
		}
		if (p.Username == UsernameLocalPart) != tt.usernameLocalPart {
			t.Errorf("%s: Username %q", tt.email, p.Username)
		}
		if tt.noPOP {
			continue
		}
		if c := p.POP[0]; c.Host != tt.host || c.Port != tt.port || c.Security != tt.sec {
			t.Errorf("%s: first server %s %v, want %s:%d %v", tt.email, c.addr(), c.Security, tt.host, tt.port, tt.sec)
		}
	}
}

// TestProviderSMTPFacts: the outgoing servers most people will hit.
func TestProviderSMTPFacts(t *testing.T) {
	for _, tt := range []struct {
		email string
		want  []string // host:port/security, in order
	}{
		{"a@gmail.com", []string{"smtp.gmail.com:465/tls", "smtp.gmail.com:587/starttls"}},
		{"a@outlook.com", []string{"smtp-mail.outlook.com:587/starttls"}},
		{"a@yahoo.com", []string{"smtp.mail.yahoo.com:465/tls"}},
		{"a@icloud.com", []string{"smtp.mail.me.com:587/starttls"}},
		{"a@gmx.de", []string{"mail.gmx.net:465/tls", "mail.gmx.net:587/starttls"}},
		{"a@web.de", []string{"smtp.web.de:465/tls", "smtp.web.de:587/starttls"}},
		{"a@t-online.de", []string{"securesmtp.t-online.de:465/tls", "securesmtp.t-online.de:587/starttls"}},
		{"a@orange.fr", []string{"smtp.orange.fr:465/tls"}},
		{"a@free.fr", []string{"smtp.free.fr:465/tls"}},
		{"a@libero.it", []string{"smtp.libero.it:465/tls"}},
		{"a@movistar.es", nil}, // not confirmed: probed instead
	} {
		p, ok := LookupProvider(tt.email)
		if !ok {
			t.Errorf("%s: no provider", tt.email)
			continue
		}
		var got []string
		for _, c := range p.SMTP {
			got = append(got, c.key())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: SMTP %q, want %q", tt.email, got, tt.want)
		}
	}
}

func TestProvidersAreCopies(t *testing.T) {
	ps := Providers()
	ps[0].Domains[0] = "changed.example"
	ps[0].POP[0].Host = "changed.example"
	ps[0].SMTP[0].Host = "changed.example"
	p, _ := LookupProvider("x@gmail.com")
	p.Steps[0] = "changed"
	if q, ok := LookupProvider("x@gmail.com"); !ok || q.POP[0].Host != "pop.gmail.com" || q.SMTP[0].Host != "smtp.gmail.com" || q.Steps[0] == "changed" {
		t.Fatal("changing a returned provider changed the table")
	}
	if Providers()[0].Domains[0] == "changed.example" {
		t.Fatal("changing Providers() changed the table")
	}
}

func TestProviderForMX(t *testing.T) {
	tests := []struct{ mx, want string }{
		{"aspmx.l.google.com", "google-workspace"},
		{"smtp.google.com", "google-workspace"},
		{"alt1.aspmx.l.google.com", "google-workspace"},
		{"example-com.mail.protection.outlook.com", "microsoft365"},
		{"example-com.olc.protection.outlook.com", "outlook"},
		{"mx.zoho.com", "zoho-workplace"},
		{"mx.zoho.eu", "zoho-workplace-eu"},
		{"in1-smtp.messagingengine.com", "fastmail"},
		{"notgoogle.com", ""},
		{"google.com.evil.example", ""},
		{"mx.example.com", ""},
	}
	for _, tt := range tests {
		p, ok := providerForMX(tt.mx)
		got := ""
		if ok {
			got = p.ID
		}
		if got != tt.want {
			t.Errorf("providerForMX(%q) = %q, want %q", tt.mx, got, tt.want)
		}
	}
}

func TestMessageKeys(t *testing.T) {
	keys := MessageKeys()
	for _, want := range []string{NoteNoPOP, NoteOAuthOnly, NoteTimeout, NotePlaintext, StepOAuthOnly, stepGmailEnablePOP} {
		if !slices.Contains(keys, want) {
			t.Errorf("MessageKeys lacks %q", want)
		}
	}
	for _, p := range Providers() {
		for _, s := range p.Steps {
			if !slices.Contains(keys, s) {
				t.Errorf("MessageKeys lacks step %q", s)
			}
		}
	}
	if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Error("MessageKeys is not sorted and unique")
	}
}

func TestProviderFor(t *testing.T) {
	for _, tt := range []struct{ email, id, want string }{
		{"ana@hotmail.com", "", "outlook"},
		{"ana@hotmail.com", "gmx", "outlook"}, // the address first
		{"ana@contoso.example", "microsoft365", "microsoft365"},
		{"ana@contoso.example", "", ""},
		{"ana@contoso.example", "nobody", ""},
	} {
		p, ok := ProviderFor(tt.email, tt.id)
		got := ""
		if ok {
			got = p.ID
		}
		if got != tt.want {
			t.Errorf("ProviderFor(%q, %q) = %q, want %q", tt.email, tt.id, got, tt.want)
		}
	}
}
