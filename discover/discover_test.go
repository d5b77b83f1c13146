package discover

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apartado/apartado/pop3client"
)

func TestDiscoverInvalidAddress(t *testing.T) {
	for _, in := range []string{
		"", "   ", "someone", "@example.test", "someone@", "some one@example.test",
		"someone@localhost", "someone@example", "someone@exa_mple.test", "someone@192.0.2.1",
		"someone@[192.0.2.1]", "someone@-example.test", "someone@example..test",
		"<someone@example.test>", "someone\n@example.test", "someone@example.test\x00",
	} {
		res, err := Discover(context.Background(), in, offlineOptions(t, nil))
		if !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("Discover(%q) = %+v, %v; want ErrInvalidAddress", in, res, err)
		}
	}
}

func TestDiscoverKnownProvider(t *testing.T) {
	var httpCalls atomic.Int32
	r := &fakeResolver{}
	o := offlineOptions(t, r)
	o.HTTPClient = offlineHTTP(&httpCalls)
	res := discoverOK(t, "Some.One@GMail.com", o)
	if res.Provider == nil || res.Provider.ID != "gmail" {
		t.Fatalf("provider %+v", res.Provider)
	}
	want := []Candidate{{Host: "pop.gmail.com", Port: 995, Security: pop3client.SecurityTLS, Source: SourceProvider, Username: "Some.One@gmail.com"}}
	if !slices.Equal(res.Candidates, want) {
		t.Errorf("candidates %+v, want %+v", res.Candidates, want)
	}
	if res.Email != "Some.One@gmail.com" || res.Domain != "gmail.com" || res.Username != "Some.One@gmail.com" {
		t.Errorf("email %q domain %q username %q", res.Email, res.Domain, res.Username)
	}
	// The table is authoritative for its own domains: no DNS, no HTTP.
	if r.calls.Load() != 0 || httpCalls.Load() != 0 {
		t.Errorf("%d DNS and %d HTTP requests for a known domain", r.calls.Load(), httpCalls.Load())
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestDiscoverProviderUsernameAndNotes(t *testing.T) {
	res := discoverOK(t, "jean@free.fr", offlineOptions(t, nil))
	if res.Username != "jean" || res.Candidates[0].Username != "jean" {
		t.Errorf("free.fr username %q / %q, want the local part", res.Username, res.Candidates[0].Username)
	}
	res = discoverOK(t, "someone@hotmail.com", offlineOptions(t, nil))
	if !slices.Contains(res.Notes, NoteOAuthOnly) || len(res.Candidates) != 1 {
		t.Errorf("hotmail: candidates %q notes %q", summary(res.Candidates), res.Notes)
	}
	res = discoverOK(t, "someone@me.com", offlineOptions(t, nil))
	if len(res.Candidates) != 0 || !slices.Equal(res.Notes, []string{NoteNoPOP}) {
		t.Errorf("me.com: candidates %q notes %q", summary(res.Candidates), res.Notes)
	}
}

func TestDiscoverProviderByMX(t *testing.T) {
	tests := []struct {
		mx     []*net.MX
		wantID string
		host   string
	}{
		{[]*net.MX{{Host: "alt1.aspmx.l.google.com.", Pref: 5}, {Host: "aspmx.l.google.com.", Pref: 1}}, "google-workspace", "pop.gmail.com"},
		{[]*net.MX{{Host: "example-test.mail.protection.outlook.com.", Pref: 0}}, "microsoft365", "outlook.office365.com"},
		{[]*net.MX{{Host: "mx.zoho.eu.", Pref: 10}}, "zoho-workplace-eu", "poppro.zoho.eu"},
		// The lowest preference decides.
		{[]*net.MX{{Host: "backup.mx.example.", Pref: 20}, {Host: "in1-smtp.messagingengine.com.", Pref: 10}}, "fastmail", "pop.fastmail.com"},
		{[]*net.MX{{Host: "mx.example.test.", Pref: 10}}, "", ""},
		{[]*net.MX{{Host: "google.com.evil.example.", Pref: 10}}, "", ""},
	}
	for _, tt := range tests {
		r := &fakeResolver{mx: tt.mx}
		res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
		if tt.wantID == "" {
			if res.Provider != nil || len(res.Candidates) != 0 || slices.Contains(res.Notes, NoteProviderByMX) {
				t.Errorf("MX %s: provider %v, candidates %q", tt.mx[0].Host, res.Provider, summary(res.Candidates))
			}
			continue
		}
		if res.Provider == nil || res.Provider.ID != tt.wantID {
			t.Errorf("MX %s: provider %+v, want %q", tt.mx[0].Host, res.Provider, tt.wantID)
			continue
		}
		if len(res.Candidates) == 0 || res.Candidates[0].Host != tt.host || res.Candidates[0].Source != SourceProvider {
			t.Errorf("MX %s: candidates %q", tt.mx[0].Host, summary(res.Candidates))
		}
		if !slices.Contains(res.Notes, NoteProviderByMX) {
			t.Errorf("MX %s: notes %q", tt.mx[0].Host, res.Notes)
		}
		if res.Username != "someone@example.test" {
			t.Errorf("MX %s: username %q", tt.mx[0].Host, res.Username)
		}
	}
}

func TestDiscoverDedupeAndRanking(t *testing.T) {
	site := newAutoconfigSite(t)
	site.handle(subdomainPath, xmlFile(config(
		server("pop3", "plain.example.test", "110", "plain", "%EMAILADDRESS%"),
		server("pop3", "POP.EXAMPLE.TEST", "995", "SSL", "%EMAILLOCALPART%"), // also from SRV
		server("pop3", "pop.example.test", "110", "STARTTLS", "%EMAILLOCALPART%"),
		server("pop3", "pop.gmail.com", "995", "SSL", "%EMAILADDRESS%"), // also from the MX provider
	)))
	r := &fakeResolver{
		srv: map[string][]*net.SRV{"pop3s": {{Target: "pop.example.test.", Port: 995}}},
		mx:  []*net.MX{{Host: "aspmx.l.google.com.", Pref: 1}},
	}
	o := autoconfigOptions(t, site)
	o.Resolver = r
	res := discoverOK(t, "jo@example.test", o)
	want := []Candidate{
		// The provider (from MX) first; the same server from autoconfig
		// merged into it.
		{Host: "pop.gmail.com", Port: 995, Security: pop3client.SecurityTLS, Source: SourceProvider, Username: "jo@example.test"},
		// SRV before autoconfig; the SRV entry keeps the autoconfig user
		// name, since SRV gives none.
		{Host: "pop.example.test", Port: 995, Security: pop3client.SecurityTLS, Source: SourceSRV, Username: "jo"},
		{Host: "pop.example.test", Port: 110, Security: pop3client.SecuritySTARTTLS, Source: SourceAutoconfig, Username: "jo"},
		// Plain text last, whatever its source and order.
		{Host: "plain.example.test", Port: 110, Security: pop3client.SecurityNone, Source: SourceAutoconfig, Username: "jo@example.test"},
	}
	if !slices.Equal(res.Candidates, want) {
		t.Errorf("candidates\n got %+v\nwant %+v", res.Candidates, want)
	}
	if res.Provider == nil || res.Provider.ID != "google-workspace" {
		t.Errorf("provider %+v", res.Provider)
	}
	if res.Username != "jo@example.test" {
		t.Errorf("username %q", res.Username)
	}

	// Probing reorders by what answered: a reached server beats an
	// unreached one, whatever its source; plain text stays last.
	o.NoProbe = false
	p := &scriptedProbe{answers: map[string]error{
		"pop.example.test:110/starttls": nil,
		"plain.example.test:110/none":   nil,
		"pop.example.test:995/tls":      kindErr(pop3client.KindCertificateExpired),
	}}
	o.Probe = p.probe
	res = discoverOK(t, "jo@example.test", o)
	got := summary(res.Candidates)
	wantOrder := []string{
		"pop.example.test:110/starttls autoconfig", // reached, clean
		"pop.example.test:995/tls srv",             // reached, certificate expired
		"pop.gmail.com:995/tls provider",           // not reached
		"plain.example.test:110/none autoconfig",   // plain text
	}
	if !slices.Equal(got, wantOrder) {
		t.Errorf("probed order\n got %q\nwant %q", got, wantOrder)
	}
	if res.Username != "jo" {
		t.Errorf("username %q, want the best candidate's", res.Username)
	}
}

func TestDiscoverTimeout(t *testing.T) {
	for _, ignoreCtx := range []bool{false, true} {
		name := "resolver honours its context"
		if ignoreCtx {
			name = "resolver ignores its context"
		}
		t.Run(name, func(t *testing.T) {
			r := &fakeResolver{block: make(chan struct{}), ignoreCtx: ignoreCtx,
				srv: map[string][]*net.SRV{"pop3s": {{Target: "late.example.test.", Port: 995}}},
				mx:  []*net.MX{{Host: "aspmx.l.google.com.", Pref: 1}}}
			o := offlineOptions(t, r)
			o.Timeout = 200 * time.Millisecond
			o.NoProbe = false
			o.Probe = func(ctx context.Context, c Candidate) error { return ctx.Err() }
			start := time.Now()
			res := discoverOK(t, "someone@example.test", o)
			if d := time.Since(start); d > 10*time.Second { // it ends (without the timeout it would hang); not a speed check
				t.Errorf("Discover took %v with a 200ms timeout", d)
			}
			if !slices.Contains(res.Notes, NoteTimeout) {
				t.Errorf("notes %q lack %q", res.Notes, NoteTimeout)
			}
			// Let the abandoned lookups answer now: their late answers
			// must change nothing (and race with nothing).
			close(r.block)
			o.goroutines.Wait()
			if len(res.Candidates) != 0 || res.Provider != nil {
				t.Errorf("late answers leaked into the result: %q %v", summary(res.Candidates), res.Provider)
			}
		})
	}
}

func TestDiscoverHTTPTimeoutWithinDeadline(t *testing.T) {
	// An autoconfig server that never answers is cut by the whole-discovery
	// timeout even when the HTTP client itself would wait longer.
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	o := offlineOptions(t, nil)
	o.Timeout = 200 * time.Millisecond
	o.HTTPClient = &http.Client{Timeout: time.Minute, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-hang:
			return nil, errors.New("released")
		}
	})}
	start := time.Now()
	res := discoverOK(t, "someone@example.test", o)
	if d := time.Since(start); d > 10*time.Second { // it ends (without the timeout it would hang); not a speed check
		t.Errorf("took %v", d)
	}
	if !slices.Contains(res.Notes, NoteTimeout) {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestDiscoverCallerCancel(t *testing.T) {
	r := &fakeResolver{block: make(chan struct{})}
	t.Cleanup(func() { close(r.block) })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	res, err := Discover(ctx, "someone@example.test", offlineOptions(t, r))
	if err != nil {
		t.Fatal(err)
	}
	// Cut short by the caller, not by the timeout: no timeout note.
	if slices.Contains(res.Notes, NoteTimeout) {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestDiscoverDefaults(t *testing.T) {
	o := (*Options)(nil).withDefaults()
	if o.Resolver != net.DefaultResolver || o.Timeout != 20*time.Second || o.Probe == nil || o.ProbeTimeout <= 0 {
		t.Errorf("defaults %+v", o)
	}
	if o.HTTPClient == nil || o.HTTPClient.Timeout != 10*time.Second || o.HTTPClient.CheckRedirect == nil {
		t.Errorf("default HTTP client %+v", o.HTTPClient)
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Pop.Example.COM.", "pop.example.com", true},
		{"bücher.example", "xn--bcher-kva.example", true},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", true},
		{"a-b.c-d.example", "a-b.c-d.example", true},
		{"123.example", "123.example", true},
		{"", "", false},
		{".", "", false},
		{"localhost", "", false},
		{"192.0.2.1", "", false},
		{"2001:db8::1", "", false},
		{"under_score.example", "", false},
		{"-lead.example", "", false},
		{"trail-.example", "", false},
		{"dou..ble.example", "", false},
		{"space .example", "", false},
		{"semi;colon.example", "", false},
		{"x.example/path", "", false},
		{"x.example:995", "", false},
		{string(make([]byte, 64)) + ".example", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizeHost(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizeHost(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	long := ""
	for len(long) < 250 {
		long += "abcdefghi."
	}
	if _, ok := normalizeHost(long + "example"); ok {
		t.Error("a name over 253 octets was accepted")
	}
}
