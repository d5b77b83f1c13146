package discover

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/apartado/apartado/pop3client"
)

// maxAutoconfigSize bounds an autoconfig response body (after any
// Content-Encoding is undone). Real files are a few kilobytes.
const maxAutoconfigSize = 256 << 10

const maxRedirects = 3

var errNotHTTPS = errors.New("discover: refusing a non-HTTPS URL")

// httpsOnlyClient returns a copy of c (or a default client) that follows at
// most three redirects, each to HTTPS, and has a timeout.
func httpsOnlyClient(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	if out.Timeout <= 0 {
		out.Timeout = defaultHTTPTimeout
	}
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("%w: redirect to %s", errNotHTTPS, req.URL.Redacted())
		}
		if len(via) > maxRedirects {
			return fmt.Errorf("discover: more than %d redirects", maxRedirects)
		}
		return nil
	}
	return &out
}

// autoconfigURLs are where a domain publishes its Thunderbird autoconfig
// file, in the order Thunderbird tries them. The central ISPDB is not
// asked: it would tell a third party which domain the user is setting up.
func autoconfigURLs(domain, email string) []string {
	q := "?emailaddress=" + url.QueryEscape(email)
	return []string{
		"https://autoconfig." + domain + "/mail/config-v1.1.xml" + q,
		"https://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml" + q,
	}
}

// fetchAutoconfig fetches both autoconfig locations at once and uses the
// first (in autoconfigURLs order) that gives a well-formed file.
func (d *discovery) fetchAutoconfig(ctx context.Context) {
	urls := autoconfigURLs(d.domain, d.email)
	results := make([]autoconfig, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		d.spawn(&wg, func() { results[i], errs[i] = d.fetchOne(ctx, u) })
	}
	wg.Wait()
	for i := range urls {
		if errs[i] != nil {
			continue
		}
		r := results[i]
		for _, n := range r.Notes {
			d.addNote(protoPOP, n)
		}
		for _, n := range r.SMTPNotes {
			d.addNote(protoSMTP, n)
		}
		d.add(protoPOP, r.POP...)
		d.add(protoSMTP, r.SMTP...)
		return
	}
}

// fetchOne fetches and parses one autoconfig file.
func (d *discovery) fetchOne(ctx context.Context, rawURL string) (autoconfig, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return autoconfig{}, fmt.Errorf("autoconfig: %w", err)
	}
	if req.URL.Scheme != "https" {
		return autoconfig{}, errNotHTTPS
	}
	req.Header.Set("Accept", "application/xml, text/xml;q=0.9, */*;q=0.1")
	resp, err := d.opts.HTTPClient.Do(req)
	if err != nil {
		return autoconfig{}, fmt.Errorf("autoconfig: %w", err)
	}
	defer func() { _ = resp.Body.Close() }() // a read-only GET: nothing to lose
	if resp.Request != nil && resp.Request.URL.Scheme != "https" {
		return autoconfig{}, errNotHTTPS
	}
	if resp.StatusCode != http.StatusOK {
		return autoconfig{}, fmt.Errorf("autoconfig: %s: HTTP %d", req.URL.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAutoconfigSize+1))
	if err != nil {
		return autoconfig{}, fmt.Errorf("autoconfig: reading %s: %w", req.URL.Redacted(), err)
	}
	if len(body) > maxAutoconfigSize {
		return autoconfig{}, fmt.Errorf("autoconfig: %s: larger than %d bytes", req.URL.Redacted(), maxAutoconfigSize)
	}
	return parseAutoconfig(body, d.local, d.domain, d.email)
}

// acServer is an <incomingServer> or <outgoingServer> element.
type acServer struct {
	Type       string `xml:"type,attr"`
	Hostname   string `xml:"hostname"`
	Port       string `xml:"port"`
	SocketType string `xml:"socketType"`
	Username   string `xml:"username"`
}

// clientConfig is the part of the Thunderbird autoconfig format
// (config-v1.1.xml) that matters for POP3 and sending.
type clientConfig struct {
	XMLName   xml.Name `xml:"clientConfig"`
	Providers []struct {
		Incoming []acServer `xml:"incomingServer"`
		Outgoing []acServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

// autoconfig is what an autoconfig file proposes.
type autoconfig struct {
	POP, SMTP        []Candidate
	Notes, SMTPNotes []string
}

// parseAutoconfig reads the POP3 servers (<incomingServer type="pop3">)
// and the outgoing servers (<outgoingServer type="smtp">) from an
// autoconfig file, in document order. IMAP and other servers are ignored.
// socketType "SSL" is implicit TLS, "STARTTLS" is STARTTLS and "plain" is
// no security: such a server is kept (ranked last by Discover) with
// NotePlaintext or NoteSMTPPlaintext. In the host name %EMAILDOMAIN% is
// replaced; in the user name %EMAILADDRESS%, %EMAILLOCALPART% and
// %EMAILDOMAIN%. A server whose host name is not a valid host name after
// that is dropped with NoteAutoconfigBad.
func parseAutoconfig(body []byte, local, domain, email string) (autoconfig, error) {
	var cfg clientConfig
	// encoding/xml expands no external or custom entities, so a hostile
	// file cannot make it fetch or balloon anything.
	if err := xml.Unmarshal(body, &cfg); err != nil {
		return autoconfig{}, fmt.Errorf("autoconfig: not a config-v1.1 XML file: %w", err)
	}
	var out autoconfig
	addNote := func(notes *[]string, n string) {
		if !slices.Contains(*notes, n) {
			*notes = append(*notes, n)
		}
	}
	for _, p := range cfg.Providers {
		for _, s := range p.Incoming {
			c, ok, bad := s.candidate("pop3", local, domain, email)
			switch {
			case bad:
				addNote(&out.Notes, NoteAutoconfigBad)
			case ok:
				if c.Security == pop3client.SecurityNone {
					addNote(&out.Notes, NotePlaintext)
				}
				out.POP = append(out.POP, c)
			}
		}
		for _, s := range p.Outgoing {
			c, ok, bad := s.candidate("smtp", local, domain, email)
			switch {
			case bad:
				addNote(&out.SMTPNotes, NoteAutoconfigBad)
			case ok:
				if c.Security == pop3client.SecurityNone {
					addNote(&out.SMTPNotes, NoteSMTPPlaintext)
				}
				out.SMTP = append(out.SMTP, c)
			}
		}
	}
	return out, nil
}

// candidate turns a server element of type typ into a candidate. ok is
// false for another type, an unknown socketType or a bad port; bad is set
// when the host name is not a valid host name.
func (s acServer) candidate(typ, local, domain, email string) (c Candidate, ok, bad bool) {
	if !strings.EqualFold(strings.TrimSpace(s.Type), typ) {
		return Candidate{}, false, false
	}
	var sec pop3client.Security
	switch strings.ToLower(strings.TrimSpace(s.SocketType)) {
	case "ssl", "tls":
		sec = pop3client.SecurityTLS
	case "starttls":
		sec = pop3client.SecuritySTARTTLS
	case "plain":
		sec = pop3client.SecurityNone
	default:
		return Candidate{}, false, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(s.Port))
	if err != nil || port < 1 || port > 65535 {
		return Candidate{}, false, false
	}
	raw := strings.ReplaceAll(strings.TrimSpace(s.Hostname), "%EMAILDOMAIN%", domain)
	host, valid := normalizeHost(raw)
	if !valid {
		return Candidate{}, false, true
	}
	return Candidate{
		Host: host, Port: port, Security: sec, Source: SourceAutoconfig,
		Username: expandUsername(s.Username, local, domain, email),
	}, true, false
}

// placeholder matches an autoconfig placeholder such as %REALNAME%.
var placeholder = regexp.MustCompile(`%[A-Z_]+%`)

// expandUsername fills in an autoconfig <username>. It returns "" for an
// empty template or one with a placeholder it does not know (%REALNAME%…).
func expandUsername(tmpl, local, domain, email string) string {
	tmpl = strings.TrimSpace(tmpl)
	known := strings.NewReplacer("%EMAILADDRESS%", "", "%EMAILLOCALPART%", "", "%EMAILDOMAIN%", "")
	if tmpl == "" || placeholder.MatchString(known.Replace(tmpl)) {
		return ""
	}
	return strings.NewReplacer(
		"%EMAILADDRESS%", email,
		"%EMAILLOCALPART%", local,
		"%EMAILDOMAIN%", domain,
	).Replace(tmpl)
}
