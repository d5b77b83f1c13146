package discover

import (
	"context"
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/apartado/apartado/pop3client"
)

// summary is a candidate as "host:port/security source", for comparing.
func summary(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.key() + " " + c.Source
	}
	return out
}

func discoverOK(t *testing.T, email string, o *Options) Result {
	t.Helper()
	res, err := Discover(context.Background(), email, o)
	if err != nil {
		t.Fatalf("Discover(%q): %v", email, err)
	}
	return res
}

func TestSRVOrder(t *testing.T) {
	r := &fakeResolver{srv: map[string][]*net.SRV{
		"pop3s": {
			{Target: "c.example.test.", Port: 995, Priority: 10, Weight: 5},
			{Target: "b.example.test.", Port: 995, Priority: 10, Weight: 50},
			{Target: "a.example.test.", Port: 995, Priority: 5, Weight: 0},
		},
		"pop3": {
			{Target: "d.example.test.", Port: 110, Priority: 5, Weight: 0},
			{Target: "e.example.test.", Port: 1110, Priority: 20, Weight: 0},
		},
	}}
	res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
	want := []string{
		"a.example.test:995/tls srv",      // priority 5, implicit TLS before STARTTLS
		"d.example.test:110/starttls srv", // priority 5
		"b.example.test:995/tls srv",      // priority 10, weight 50
		"c.example.test:995/tls srv",      // priority 10, weight 5
		"e.example.test:1110/starttls srv",
	}
	if got := summary(res.Candidates); !slices.Equal(got, want) {
		t.Errorf("candidates\n got %q\nwant %q", got, want)
	}
	if res.Provider != nil {
		t.Errorf("provider %q for an unknown domain", res.Provider.ID)
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes %q", res.Notes)
	}
	if res.Username != "someone@example.test" {
		t.Errorf("username %q", res.Username)
	}
}

func TestSRVDotMeansNotOffered(t *testing.T) {
	r := &fakeResolver{srv: map[string][]*net.SRV{
		"pop3s": {{Target: ".", Port: 0}},
		"pop3":  {{Target: "pop.example.test.", Port: 110, Priority: 0}},
	}}
	res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if got, want := summary(res.Candidates), []string{"pop.example.test:110/starttls srv"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
	if !slices.Contains(res.Notes, NoteSRVNoPOP3S) {
		t.Errorf("notes %q lack %q", res.Notes, NoteSRVNoPOP3S)
	}

	// Both explicitly not offered: nothing, and both said.
	r = &fakeResolver{srv: map[string][]*net.SRV{
		"pop3s": {{Target: "."}},
		"pop3":  {{Target: "."}},
	}}
	res = discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if len(res.Candidates) != 0 {
		t.Errorf("candidates %q, want none", summary(res.Candidates))
	}
	for _, n := range []string{NoteSRVNoPOP3S, NoteSRVNoPOP3, NoteNothingFound} {
		if !slices.Contains(res.Notes, n) {
			t.Errorf("notes %q lack %q", res.Notes, n)
		}
	}
}

func TestSRVInvalidTargets(t *testing.T) {
	bad := []string{
		"bad_host.example.test.", "-pop.example.test.", "pop-.example.test.", "192.0.2.1",
		"localhost.", "pop example.test.", "pop.example.test/x.", "pop..example.test.",
		"pop.example.123.", "pop.%EMAILDOMAIN%.",
	}
	var recs []*net.SRV
	for i, b := range bad {
		recs = append(recs, &net.SRV{Target: b, Port: 995, Priority: uint16(i)})
	}
	recs = append(recs,
		&net.SRV{Target: "zero-port.example.test.", Port: 0, Priority: 1},
		&net.SRV{Target: "POP.Example.Test.", Port: 995, Priority: 99},
	)
	r := &fakeResolver{srv: map[string][]*net.SRV{"pop3s": recs}}
	res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if got, want := summary(res.Candidates), []string{"pop.example.test:995/tls srv"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
	if !slices.Contains(res.Notes, NoteSRVInvalid) {
		t.Errorf("notes %q lack %q", res.Notes, NoteSRVInvalid)
	}
}

func TestSRVErrors(t *testing.T) {
	// net.Resolver returns the well-formed records with an error when it
	// dropped malformed ones: the records are used, and the user told.
	r := &fakeResolver{
		srv:    map[string][]*net.SRV{"pop3s": {{Target: "pop.example.test.", Port: 995}}},
		srvErr: map[string]error{"pop3s": errors.New("cannot unmarshal DNS message"), "pop3": errors.New("server misbehaving")},
		mxErr:  errors.New("server misbehaving"),
	}
	res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if got, want := summary(res.Candidates), []string{"pop.example.test:995/tls srv"}; !slices.Equal(got, want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
	if !slices.Contains(res.Notes, NoteSRVInvalid) {
		t.Errorf("notes %q lack %q", res.Notes, NoteSRVInvalid)
	}

	// Every lookup failing is not an error: just nothing found.
	r = &fakeResolver{
		srvErr: map[string]error{"pop3s": errors.New("timeout"), "pop3": errors.New("timeout")},
		mxErr:  errors.New("timeout"),
	}
	res = discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if len(res.Candidates) != 0 || !slices.Contains(res.Notes, NoteNothingFound) {
		t.Errorf("got %q, notes %q", summary(res.Candidates), res.Notes)
	}
}

func TestSRVCandidatesCarryOnlyAServer(t *testing.T) {
	// The security rule: what DNS says becomes a host, a port and a
	// security mode, and nothing that could widen a certificate check.
	r := &fakeResolver{srv: map[string][]*net.SRV{"pop3s": {{Target: "mail.provider.example.", Port: 995}}}}
	res := discoverOK(t, "someone@example.test", offlineOptions(t, r))
	if len(res.Candidates) != 1 {
		t.Fatalf("candidates %q", summary(res.Candidates))
	}
	c := res.Candidates[0]
	want := Candidate{Host: "mail.provider.example", Port: 995, Security: pop3client.SecurityTLS, Source: SourceSRV}
	if c != want {
		t.Errorf("candidate %+v, want %+v", c, want)
	}
}
