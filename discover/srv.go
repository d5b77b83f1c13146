package discover

import (
	"cmp"
	"context"
	"net"
	"slices"
	"sync"

	"github.com/apartado/apartado/pop3client"
)

// srvService is an SRV service name, the security its servers speak, and
// what to tell the user when the domain says it does not offer it.
type srvService struct {
	service    string
	security   pop3client.Security
	notOffered string
}

// srvServices are the RFC 6186 (§3) services for POP3: "_pop3s" for
// implicit TLS (RFC 8314, usually port 995) and "_pop3" for POP3 with
// STARTTLS (usually port 110). Apartado never proposes plain text from DNS.
var srvServices = []srvService{
	{"pop3s", pop3client.SecurityTLS, NoteSRVNoPOP3S},
	{"pop3", pop3client.SecuritySTARTTLS, NoteSRVNoPOP3},
}

// submissionServices are the services for sending: "_submissions" for
// implicit TLS (RFC 8314 §5.1, usually port 465) and "_submission" (RFC
// 6186 §3.1) for STARTTLS (usually port 587). With equal priority and
// weight, implicit TLS comes first, as RFC 8314 prefers.
var submissionServices = []srvService{
	{"submissions", pop3client.SecurityTLS, NoteSRVNoSubmissions},
	{"submission", pop3client.SecuritySTARTTLS, NoteSRVNoSubmission},
}

type srvAnswer struct {
	rec      net.SRV
	security pop3client.Security
}

// lookupSRV asks for both of a protocol's services and adds their targets
// to p's candidates, ordered by
// priority (lowest first), then weight (highest first), then implicit TLS
// before STARTTLS. RFC 2782 asks clients to pick among equal priorities at
// random in proportion to weight; for proposing settings a stable order
// that favours the heavier target is more useful.
//
// A target of "." means the service is decidedly not offered (RFC 2782;
// RFC 6186 §4): it adds a note and no candidate. A target that is not a
// valid host name, or a port of 0, is dropped with a note. The target is
// only a name to connect to: its certificate is checked against that name
// and nothing else.
func (d *discovery) lookupSRV(ctx context.Context, p proto, services []srvService) {
	var (
		mu      sync.Mutex
		answers []srvAnswer
		wg      sync.WaitGroup
	)
	for _, s := range services {
		d.spawn(&wg, func() {
			_, recs, err := d.opts.Resolver.LookupSRV(ctx, s.service, "tcp", d.domain)
			if err != nil && len(recs) == 0 {
				return // no record, or no answer: no candidate from here
			}
			if err != nil {
				// net.Resolver drops malformed records and reports it
				// with an error next to the well-formed ones.
				d.addNote(p, NoteSRVInvalid)
			}
			var ok []srvAnswer
			for _, r := range recs {
				if r == nil {
					continue
				}
				if r.Target == "." || r.Target == "" {
					d.addNote(p, s.notOffered)
					return
				}
				host, valid := normalizeHost(r.Target)
				if !valid || r.Port == 0 {
					d.addNote(p, NoteSRVInvalid)
					continue
				}
				rec := *r
				rec.Target = host
				ok = append(ok, srvAnswer{rec: rec, security: s.security})
			}
			mu.Lock()
			answers = append(answers, ok...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.SortStableFunc(answers, func(a, b srvAnswer) int {
		return cmp.Or(
			cmp.Compare(a.rec.Priority, b.rec.Priority),
			cmp.Compare(b.rec.Weight, a.rec.Weight),
			cmp.Compare(a.security, b.security), // SecurityTLS (0) first
		)
	})
	cs := make([]Candidate, len(answers))
	for i, a := range answers {
		cs[i] = Candidate{Host: a.rec.Target, Port: int(a.rec.Port), Security: a.security, Source: SourceSRV}
	}
	d.add(p, cs...)
}
