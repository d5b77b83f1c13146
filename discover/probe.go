package discover

import (
	"context"
	"sync"
	"time"

	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// guesses are the servers probed when nothing else answered: pop.DOMAIN
// and mail.DOMAIN, first on port 995 with implicit TLS (RFC 8314 prefers
// it), then on port 110 with STARTTLS. Plain text is never guessed.
func guesses(domain string) []Candidate {
	var out []Candidate
	for _, sec := range []pop3client.Security{pop3client.SecurityTLS, pop3client.SecuritySTARTTLS} {
		for _, prefix := range []string{"pop.", "mail."} {
			host, ok := normalizeHost(prefix + domain)
			if !ok {
				continue
			}
			out = append(out, Candidate{Host: host, Port: sec.DefaultPort(), Security: sec, Source: SourceProbe})
		}
	}
	return out
}

// smtpGuesses are the outgoing servers probed when nothing else answered:
// smtp.DOMAIN and mail.DOMAIN, first on port 465 with implicit TLS (RFC
// 8314), then on port 587 with STARTTLS (RFC 6409). Port 25 is not
// guessed: it is for servers relaying to each other, and home connections
// usually cannot reach it. Plain text is never guessed.
func smtpGuesses(domain string) []Candidate {
	var out []Candidate
	for _, sec := range []pop3client.Security{pop3client.SecurityTLS, pop3client.SecuritySTARTTLS} {
		for _, prefix := range []string{"smtp.", "mail."} {
			host, ok := normalizeHost(prefix + domain)
			if !ok {
				continue
			}
			out = append(out, Candidate{Host: host, Port: smtpclient.DefaultPort(sec), Security: sec, Source: SourceProbe})
		}
	}
	return out
}

// probeAll probes cs, at most probeParallelism at a time, each for at most
// ProbeTimeout, and records what answered: a candidate already known is
// marked Verified, a guess that answered is added. Results are applied in
// the order of cs, so that the ranking does not depend on which server
// answered first. A probe still running when ctx ends is abandoned.
func (d *discovery) probeAll(ctx context.Context, p proto, cs []Candidate) {
	if len(cs) == 0 {
		return
	}
	d.mu.Lock()
	d.set(p).probed = true
	d.mu.Unlock()
	probe := d.opts.Probe
	if p == protoSMTP {
		probe = d.opts.ProbeSMTP
	}

	var (
		mu      sync.Mutex
		done    bool
		results = make([]error, len(cs))
		ran     = make([]bool, len(cs))
		wg      sync.WaitGroup
		sem     = make(chan struct{}, probeParallelism)
	)
launch:
	for i, c := range cs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break launch
		}
		d.spawn(&wg, func() {
			defer func() { <-sem }()
			pctx, cancel := context.WithTimeout(ctx, d.opts.ProbeTimeout)
			defer cancel()
			err := probe(pctx, c)
			mu.Lock()
			defer mu.Unlock()
			if !done {
				results[i], ran[i] = err, true
			}
		})
	}
	d.wait(ctx, &wg)

	mu.Lock()
	done = true
	mu.Unlock()
	for i, c := range cs {
		if ran[i] {
			d.recordProbe(p, c, results[i])
		}
	}
}

// recordProbe applies one probe's outcome to p's candidates.
func (d *discovery) recordProbe(p proto, c Candidate, err error) {
	reached, problem := probeOutcome(err)
	if !reached {
		switch {
		case p == protoPOP && c.Security == pop3client.SecuritySTARTTLS && pop3client.KindOf(err) == pop3client.KindSTLSNotOffered:
			// A POP3 server is there, but only in plain text: say so,
			// propose nothing.
			d.addNote(p, NoteNoEncryption)
		case p == protoSMTP && c.Security == pop3client.SecuritySTARTTLS && smtpclient.KindOf(err) == smtpclient.KindSTARTTLSNotOffered:
			d.addNote(p, NoteSMTPNoEncryption)
		}
		return
	}
	if problem != "" {
		note := NoteCertificate
		if p == protoSMTP {
			note = NoteSMTPCertificate
		}
		d.addNote(p, note)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	set := d.set(p)
	if have, ok := set.cands[c.key()]; ok {
		have.Verified, have.Problem = true, problem
		return
	}
	c.Verified, c.Problem = true, problem
	set.add(c)
}

// probeOutcome says whether a probe reached a POP3 or SMTP server. A
// certificate that does not verify still means a server is there: the
// connection test explains the certificate, and the user decides.
func probeOutcome(err error) (reached bool, problem pop3client.Kind) {
	if err == nil {
		return true, ""
	}
	k := pop3client.KindOf(err)
	if k == "" {
		k = smtpclient.KindOf(err)
	}
	switch k {
	case pop3client.KindUnknownAuthority, pop3client.KindCertificateName,
		pop3client.KindCertificateExpired, pop3client.KindCertificateInvalid:
		return true, k
	}
	return false, ""
}

// dialProbe is the default Probe: it opens a POP3 session through
// pop3client with base as the options, reads the greeting and the
// capabilities (and does STLS for STARTTLS), then sends QUIT. No user name
// or password is sent.
//
// Security rule: the certificate is checked against the candidate's own
// host name with normal verification. TrustedFingerprints and
// TLSConfig.ServerName from base are cleared, so nothing learned from DNS
// or HTTP can widen what is accepted. Trace and Progress are cleared too:
// probes run concurrently.
func dialProbe(base *pop3client.Options, timeout time.Duration) func(context.Context, Candidate) error {
	var b pop3client.Options
	if base != nil {
		b = *base
	}
	return func(ctx context.Context, c Candidate) error {
		o := b
		o.Security = c.Security
		o.TrustedFingerprints = nil
		if o.TLSConfig != nil {
			o.TLSConfig = o.TLSConfig.Clone()
			o.TLSConfig.ServerName = ""
		}
		o.Trace, o.Progress = nil, nil
		if o.Timeout <= 0 || o.Timeout > timeout {
			o.Timeout = timeout
		}
		if o.ConnectTimeout <= 0 || o.ConnectTimeout > timeout {
			o.ConnectTimeout = timeout
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cl, err := pop3client.Dial(ctx, c.addr(), &o)
		if err != nil {
			return err
		}
		// The greeting answered the question. QUIT is a courtesy: nothing
		// was marked for deletion, so its outcome changes nothing.
		_ = cl.Quit(ctx)
		return nil
	}
}

// smtpProbe is the default ProbeSMTP: it opens an SMTP session through
// smtpclient.Probe with base's Resolver, Dialer, ExtraRootCAs and
// TLSConfig (TLS or STARTTLS as the candidate says, the greeting and EHLO),
// then sends QUIT. No user name or password is sent, and no message.
//
// The same security rule as dialProbe: the certificate is checked against
// the candidate's own host name; base's TrustedFingerprints and
// TLSConfig.ServerName are not used. The Dialer is base's, so a member's
// probes reach only what the member may reach.
func smtpProbe(base *pop3client.Options, timeout time.Duration) func(context.Context, Candidate) error {
	var b pop3client.Options
	if base != nil {
		b = *base
	}
	return func(ctx context.Context, c Candidate) error {
		o := &smtpclient.Options{
			Security:       c.Security,
			ExtraRootCAs:   b.ExtraRootCAs,
			Resolver:       b.Resolver,
			Dialer:         b.Dialer,
			Timeout:        min(timeout, cmpPositive(b.Timeout, timeout)),
			ConnectTimeout: min(timeout, cmpPositive(b.ConnectTimeout, timeout)),
		}
		if b.TLSConfig != nil {
			o.TLSConfig = b.TLSConfig.Clone()
			o.TLSConfig.ServerName = ""
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := smtpclient.Probe(ctx, c.addr(), o)
		return err
	}
}

// cmpPositive is d when positive, else def.
func cmpPositive(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
