package discover

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/pop3client"
)

const (
	subdomainPath = "autoconfig.example.test/mail/config-v1.1.xml"
	wellKnownPath = "example.test/.well-known/autoconfig/mail/config-v1.1.xml"
)

// config builds an autoconfig file around incomingServer elements.
func config(servers ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example</displayName>
` + strings.Join(servers, "\n") + `
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>`
}

func server(typ, host, port, socket, user string) string {
	return `    <incomingServer type="` + typ + `">
      <hostname>` + host + `</hostname>
      <port>` + port + `</port>
      <socketType>` + socket + `</socketType>
      <username>` + user + `</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>`
}

func autoconfigOptions(t *testing.T, site *autoconfigSite) *Options {
	o := offlineOptions(t, nil)
	o.HTTPClient = site.client
	return o
}

func TestAutoconfigSubdomain(t *testing.T) {
	site := newAutoconfigSite(t)
	site.handle(subdomainPath, xmlFile(config(server("pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%"))))
	res := discoverOK(t, "some.one+tag@example.test", autoconfigOptions(t, site))
	want := []Candidate{{Host: "pop.example.test", Port: 995, Security: pop3client.SecurityTLS, Source: SourceAutoconfig, Username: "some.one+tag@example.test"}}
	if !slices.Equal(res.Candidates, want) {
		t.Errorf("candidates %+v, want %+v", res.Candidates, want)
	}
	if res.Username != "some.one+tag@example.test" {
		t.Errorf("username %q", res.Username)
	}
	// The address is sent as the emailaddress parameter, escaped.
	if !slices.Contains(site.served(), "autoconfig.example.test/mail/config-v1.1.xml?emailaddress=some.one%2Btag%40example.test") {
		t.Errorf("requests %q", site.served())
	}
	if site.plainHits.Load() != 0 {
		t.Error("plain HTTP was used")
	}
}

func TestAutoconfigWellKnownFallback(t *testing.T) {
	site := newAutoconfigSite(t)
	// autoconfig.example.test answers 404 (no handler); the domain's
	// .well-known location has the file.
	site.handle(wellKnownPath, xmlFile(config(server("pop3", "pop3.example.test", "110", "STARTTLS", "%EMAILADDRESS%"))))
	res := discoverOK(t, "someone@example.test", autoconfigOptions(t, site))
	if got, want := summary(res.Candidates), []string{"pop3.example.test:110/starttls autoconfig"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}

	// When both have a file, the autoconfig subdomain wins.
	site.handle(subdomainPath, xmlFile(config(server("pop3", "first.example.test", "995", "SSL", ""))))
	res = discoverOK(t, "someone@example.test", autoconfigOptions(t, site))
	if got, want := summary(res.Candidates), []string{"first.example.test:995/tls autoconfig"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
}

func TestAutoconfigMixedServers(t *testing.T) {
	site := newAutoconfigSite(t)
	site.handle(subdomainPath, xmlFile(config(
		server("imap", "imap.example.test", "993", "SSL", "%EMAILADDRESS%"),
		server("pop3", "plain.example.test", "110", "plain", "%EMAILADDRESS%"),
		server("pop3", "pop.example.test", "995", "SSL", "%EMAILADDRESS%"),
		server("imap", "imap.example.test", "143", "STARTTLS", "%EMAILADDRESS%"),
		server("POP3", "pop.example.test", "110", "STARTTLS", "%EMAILADDRESS%"),
		server("pop3", "weird.example.test", "995", "TLS1.3", "%EMAILADDRESS%"), // unknown socketType
		server("pop3", "noport.example.test", "", "SSL", "%EMAILADDRESS%"),
		server("pop3", "bigport.example.test", "99999", "SSL", "%EMAILADDRESS%"),
	)))
	res := discoverOK(t, "someone@example.test", autoconfigOptions(t, site))
	want := []string{
		"pop.example.test:995/tls autoconfig",
		"pop.example.test:110/starttls autoconfig",
		"plain.example.test:110/none autoconfig", // kept, but last
	}
	if got := summary(res.Candidates); !slices.Equal(got, want) {
		t.Errorf("candidates\n got %q\nwant %q", got, want)
	}
	if !slices.Contains(res.Notes, NotePlaintext) {
		t.Errorf("notes %q lack %q", res.Notes, NotePlaintext)
	}
}

func TestAutoconfigPlaceholders(t *testing.T) {
	site := newAutoconfigSite(t)
	site.handle(subdomainPath, xmlFile(config(
		server("pop3", "pop3.%EMAILDOMAIN%", "995", "SSL", "%EMAILLOCALPART%"),
		server("pop3", "pop3.%EMAILDOMAIN%", "110", "STARTTLS", "%REALNAME%"), // unknown: no user name
		server("pop3", "%EMAILLOCALPART%.example.test", "995", "SSL", ""),     // only EMAILDOMAIN is filled in a host
	)))
	res := discoverOK(t, "jane@example.test", autoconfigOptions(t, site))
	want := []Candidate{
		{Host: "pop3.example.test", Port: 995, Security: pop3client.SecurityTLS, Source: SourceAutoconfig, Username: "jane"},
		{Host: "pop3.example.test", Port: 110, Security: pop3client.SecuritySTARTTLS, Source: SourceAutoconfig},
	}
	if !slices.Equal(res.Candidates, want) {
		t.Errorf("candidates\n got %+v\nwant %+v", res.Candidates, want)
	}
	if res.Username != "jane" {
		t.Errorf("username %q, want jane", res.Username)
	}
	if !slices.Contains(res.Notes, NoteAutoconfigBad) {
		t.Errorf("notes %q lack %q", res.Notes, NoteAutoconfigBad)
	}
}

func TestAutoconfigRejected(t *testing.T) {
	big := config(server("pop3", "pop.example.test", "995", "SSL", "")) +
		"<!--" + strings.Repeat("x", maxAutoconfigSize) + "-->"
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"oversize body", xmlFile(big)},
		{"not XML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>pop.example.test 995</body></html>"))
		}},
		{"truncated XML", xmlFile(config(server("pop3", "pop.example.test", "995", "SSL", ""))[:200])},
		{"another root element", xmlFile(`<config><incomingServer type="pop3"><hostname>pop.example.test</hostname><port>995</port><socketType>SSL</socketType></incomingServer></config>`)},
		{"HTTP 404 with a file", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(config(server("pop3", "pop.example.test", "995", "SSL", ""))))
		}},
		{"HTTP 500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "oops", http.StatusInternalServerError)
		}},
		{"redirect to http", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://example.test/config.xml", http.StatusFound)
		}},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://autoconfig.example.test/mail/config-v1.1.xml?again="+r.URL.Query().Get("again")+"x", http.StatusFound)
		}},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newAutoconfigSite(t)
			site.handle(subdomainPath, tt.handler)
			site.handle(wellKnownPath, tt.handler)
			o := autoconfigOptions(t, site)
			o.HTTPClient.Timeout = 300 * time.Millisecond
			res := discoverOK(t, "someone@example.test", o)
			if len(res.Candidates) != 0 {
				t.Errorf("candidates %q, want none", summary(res.Candidates))
			}
			if !slices.Contains(res.Notes, NoteNothingFound) {
				t.Errorf("notes %q", res.Notes)
			}
			if site.plainHits.Load() != 0 {
				t.Error("a plain HTTP URL was fetched")
			}
		})
	}
}

func TestAutoconfigHTTPSRedirectFollowed(t *testing.T) {
	site := newAutoconfigSite(t)
	site.handle(subdomainPath, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.test/moved/config.xml", http.StatusMovedPermanently)
	})
	site.handle("example.test/moved/config.xml", xmlFile(config(server("pop3", "pop.example.test", "995", "SSL", ""))))
	res := discoverOK(t, "someone@example.test", autoconfigOptions(t, site))
	if got, want := summary(res.Candidates), []string{"pop.example.test:995/tls autoconfig"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
}

func TestHTTPSOnlyClientKeepsCallerClient(t *testing.T) {
	site := newAutoconfigSite(t)
	site.client.CheckRedirect = func(*http.Request, []*http.Request) error { return nil } // would allow anything
	o := autoconfigOptions(t, site)
	site.handle(subdomainPath, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.test/config.xml", http.StatusFound)
	})
	res := discoverOK(t, "someone@example.test", o)
	if len(res.Candidates) != 0 || site.plainHits.Load() != 0 {
		t.Errorf("the caller's redirect policy let a downgrade through: %q, %d plain hits", summary(res.Candidates), site.plainHits.Load())
	}
	if o.HTTPClient.Timeout != 0 {
		t.Error("Discover changed the caller's client")
	}
}

func TestParseAutoconfig(t *testing.T) {
	body := config(
		server("pop3", " POP.Example.Test. ", " 995 ", " ssl ", " %EMAILADDRESS% "),
		server("pop3", "bücher.example", "995", "SSL", "%EMAILLOCALPART%@%EMAILDOMAIN%"),
		server("pop3", "pop.example.test:995", "995", "SSL", ""),
		server("pop3", "192.0.2.7", "995", "SSL", ""),
	)
	ac, err := parseAutoconfig([]byte(body), "jo", "example.test", "jo@example.test")
	if err != nil {
		t.Fatal(err)
	}
	cs, notes := ac.POP, ac.Notes
	want := []Candidate{
		{Host: "pop.example.test", Port: 995, Security: pop3client.SecurityTLS, Source: SourceAutoconfig, Username: "jo@example.test"},
		{Host: "xn--bcher-kva.example", Port: 995, Security: pop3client.SecurityTLS, Source: SourceAutoconfig, Username: "jo@example.test"},
	}
	if !slices.Equal(cs, want) {
		t.Errorf("candidates\n got %+v\nwant %+v", cs, want)
	}
	if !slices.Equal(notes, []string{NoteAutoconfigBad}) {
		t.Errorf("notes %q", notes)
	}
}

func FuzzParseAutoconfig(f *testing.F) {
	f.Add([]byte(config(server("pop3", "pop.%EMAILDOMAIN%", "995", "SSL", "%EMAILLOCALPART%"))))
	f.Add([]byte(config(server("pop3", "x", "0", "plain", "%"))))
	f.Add([]byte(`<clientConfig><emailProvider><incomingServer type="pop3"/></emailProvider></clientConfig>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><clientConfig>&a;</clientConfig>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ac, err := parseAutoconfig(body, "jo", "example.test", "jo@example.test")
		if err != nil {
			return
		}
		for _, c := range append(ac.POP, ac.SMTP...) {
			if h, ok := normalizeHost(c.Host); !ok || h != c.Host {
				t.Errorf("invalid host %q", c.Host)
			}
			if c.Port < 1 || c.Port > 65535 || c.Source != SourceAutoconfig || c.Verified {
				t.Errorf("bad candidate %+v", c)
			}
		}
	})
}
