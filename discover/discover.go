package discover

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/apartado/apartado/i18n"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/apartado/apartado/pop3client"
)

// Where a candidate came from, best first.
const (
	SourceProvider   = "provider"   // the built-in provider table
	SourceSRV        = "srv"        // an RFC 6186 SRV record
	SourceAutoconfig = "autoconfig" // the domain's Thunderbird autoconfig file
	SourceProbe      = "probe"      // a guess (pop.DOMAIN, mail.DOMAIN) that answered
)

var sourceRank = map[string]int{SourceProvider: 0, SourceSRV: 1, SourceAutoconfig: 2, SourceProbe: 3}

// Candidate is one proposed server (POP3, or outgoing SMTP in Result.SMTP).
// It carries only a host, a port and
// a security mode: whoever connects checks the certificate against Host
// itself, so a host learned from DNS or HTTP can never widen what is
// accepted.
type Candidate struct {
	Host     string // ASCII (A-label) host name, lower case, no trailing dot
	Port     int
	Security pop3client.Security
	Source   string // SourceProvider, SourceSRV, SourceAutoconfig or SourceProbe

	// Username is the login name this source suggests; "" when it says
	// nothing (use Result.Username).
	Username string

	// Verified is set when a probe reached a POP3 (or, for an outgoing
	// server, an SMTP) server there.
	Verified bool
	// Problem is set, with Verified, when the probe reached the server but
	// its certificate did not verify (unknown authority, another name,
	// expired, invalid): the connection test will explain it.
	Problem pop3client.Kind
}

func (c Candidate) addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

func (c Candidate) key() string { return c.addr() + "/" + c.Security.String() }

// Notes are English message keys for what to tell the user; the interface
// translates them.
var (
	NoteNoPOP         = i18n.Key("This provider does not offer POP3.")
	NoteOAuthOnly     = StepOAuthOnly
	NoteProviderByMX  = i18n.Key("Your domain's mail is handled by a provider Apartado knows; its settings are proposed.")
	NoteSRVNoPOP3S    = i18n.Key("Your domain's DNS says it does not offer POP3 with SSL/TLS.")
	NoteSRVNoPOP3     = i18n.Key("Your domain's DNS says it does not offer POP3 with STARTTLS.")
	NoteSRVInvalid    = i18n.Key("A DNS service record named a server that is not a valid host name; it was ignored.")
	NoteAutoconfigBad = i18n.Key("Your domain's configuration file named a server that is not a valid host name; it was ignored.")
	NotePlaintext     = i18n.Key("Your domain's configuration file offers POP3 without encryption; it is listed last because your password would be sent unprotected.")
	NoteCertificate   = i18n.Key("A server was found, but its security certificate could not be verified; the connection test will explain why.")
	NoteNoEncryption  = i18n.Key("A POP3 server was found that does not offer encryption; Apartado does not propose it.")
	NoteUnverified    = i18n.Key("None of the proposed servers answered a test connection from here: the server may be down, or a firewall may block it.")
	NoteNothingFound  = i18n.Key("No POP3 settings were found for this domain. Ask your email provider for its POP3 server name.")
	NoteTimeout       = i18n.Key("Looking up the settings took too long; some sources were not checked.")
)

// Notes about the outgoing server, in Result.SMTPNotes.
var (
	NoteSRVNoSubmissions = i18n.Key("Your domain's DNS says it does not offer sending mail with SSL/TLS.")
	NoteSRVNoSubmission  = i18n.Key("Your domain's DNS says it does not offer sending mail with STARTTLS.")
	NoteSMTPPlaintext    = i18n.Key("Your domain's configuration file offers an outgoing server without encryption; it is listed last because your password would be sent unprotected.")
	NoteSMTPNoEncryption = i18n.Key("An outgoing server was found that does not offer encryption; Apartado does not propose it.")
	NoteSMTPCertificate  = i18n.Key("An outgoing server was found, but its security certificate could not be verified; the connection test will explain why.")
	NoteSMTPUnverified   = i18n.Key("None of the proposed outgoing servers answered a test connection from here: the server may be down, or a firewall may block ports 465 and 587.")
	NoteSMTPNothingFound = i18n.Key("No outgoing server was found for this domain. Ask your email provider for its SMTP server name.")
)

// MessageKeys returns every English message key this package can put in a
// Result (notes) or a Provider (steps), for the translation catalogue test.
func MessageKeys() []string {
	keys := []string{
		NoteNoPOP, NoteOAuthOnly, NoteProviderByMX, NoteSRVNoPOP3S, NoteSRVNoPOP3,
		NoteSRVInvalid, NoteAutoconfigBad, NotePlaintext, NoteCertificate, NoteNoEncryption,
		NoteUnverified, NoteNothingFound, NoteTimeout,
		NoteSRVNoSubmissions, NoteSRVNoSubmission, NoteSMTPPlaintext, NoteSMTPNoEncryption,
		NoteSMTPCertificate, NoteSMTPUnverified, NoteSMTPNothingFound,
	}
	for _, p := range providers {
		keys = append(keys, p.Steps...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Resolver looks up SRV and MX records; *net.Resolver satisfies it.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

// Options configures Discover. A nil *Options means the defaults.
//
// Discover connects where the user's domain points: an HTTPS GET of two
// fixed autoconfig paths, and POP3 and SMTP greetings (no credentials) on
// the candidates' ports. Those hosts may be on the operator's own network;
// nothing fetched is passed back but a parsed host, port and security.
type Options struct {
	// Resolver answers the SRV and MX queries. Default net.DefaultResolver.
	Resolver Resolver
	// HTTPClient fetches autoconfig files. Default: a client with a 10 s
	// timeout. Whatever client is given, only HTTPS is fetched and at most
	// three redirects, each to HTTPS, are followed.
	HTTPClient *http.Client

	// Probe checks whether a POP3 server answers at a candidate. It returns
	// nil when a greeting was seen; a *pop3client.Error of a certificate
	// kind means a server is there but its certificate did not verify.
	// Default: pop3client.Dial with the candidate's security and
	// ProbeTimeout, then QUIT, with DialOptions as the base options.
	Probe func(ctx context.Context, c Candidate) error
	// ProbeSMTP checks whether an SMTP server answers at an outgoing
	// candidate, as Probe does for POP3. Default: smtpclient.Probe with the
	// candidate's security, no credentials, and DialOptions' Resolver,
	// Dialer, ExtraRootCAs and TLSConfig, then QUIT.
	ProbeSMTP func(ctx context.Context, c Candidate) error
	// DialOptions is the base pop3client configuration for the default
	// Probe and ProbeSMTP (Resolver, Dialer, ExtraRootCAs, TLSConfig…).
	// Security is replaced by the candidate's; TrustedFingerprints and
	// TLSConfig.ServerName are cleared, so that a certificate is always
	// checked against the candidate's own host name. Its Dialer is the
	// hook that keeps a member's probes off addresses they may not reach.
	DialOptions *pop3client.Options
	// ProbeTimeout bounds each probe. Default 7 s.
	ProbeTimeout time.Duration
	// NoProbe turns probing off: no connection is made to any POP3 or
	// SMTP server.
	NoProbe bool

	// Timeout bounds the whole discovery. Default 20 s.
	Timeout time.Duration

	// goroutines, when set (by tests), counts every goroutine Discover
	// starts, so that a test can wait for the ones it abandoned.
	goroutines *sync.WaitGroup
}

const (
	defaultTimeout      = 20 * time.Second
	defaultProbeTimeout = 7 * time.Second
	defaultHTTPTimeout  = 10 * time.Second
	probeParallelism    = 4
)

func (o *Options) withDefaults() Options {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	opts.HTTPClient = httpsOnlyClient(opts.HTTPClient)
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = defaultProbeTimeout
	}
	if opts.Probe == nil {
		opts.Probe = dialProbe(opts.DialOptions, opts.ProbeTimeout)
	}
	if opts.ProbeSMTP == nil {
		opts.ProbeSMTP = smtpProbe(opts.DialOptions, opts.ProbeTimeout)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	return opts
}

// Result is what Discover proposes.
type Result struct {
	Email  string // the address, its domain in ASCII (A-label) form
	Domain string // ASCII (A-label), lower case

	// Provider is set when the table knows the domain, or its MX hosts.
	Provider *Provider
	// Candidates are the proposed servers, best first, each host, port and
	// security once.
	Candidates []Candidate
	// Username is the login name to propose: what the best candidate's
	// source or the provider says, else the whole address.
	Username string
	// Notes are English message keys of things to tell the user.
	Notes []string

	// SMTP are the proposed outgoing (submission) servers, best first,
	// found by the same sources: the provider table, the RFC 6186 / RFC
	// 8314 SRV records _submissions._tcp and _submission._tcp, the
	// autoconfig file's <outgoingServer type="smtp">, and probes of
	// smtp.DOMAIN and mail.DOMAIN on 465 (implicit TLS) then 587
	// (STARTTLS). Each candidate's Source says how it was found.
	SMTP []Candidate
	// SMTPUsername is the login name to propose for the outgoing server:
	// what the best outgoing candidate's source says, else Username.
	SMTPUsername string
	// SMTPNotes are English message keys about the outgoing server.
	SMTPNotes []string
}

// ErrInvalidAddress is returned (wrapped) by Discover for an address it
// cannot use.
var ErrInvalidAddress = errors.New("discover: invalid email address")

// Discover proposes POP3 settings for an email address, trying in order
// the provider table (and, for an unknown domain, its MX hosts), RFC 6186
// SRV records, the domain's Thunderbird autoconfig file and, unless
// opts.NoProbe, probes. Known candidates are probed first to mark them
// Verified; pop.DOMAIN and mail.DOMAIN are probed, port 995 with TLS then
// 110 with STARTTLS, only when none of them answered. The outgoing server
// (Result.SMTP) is found the same way, at the same time: smtp.DOMAIN and
// mail.DOMAIN are probed on 465 with TLS then 587 with STARTTLS.
//
// It returns an error only for an invalid address: a source that fails
// just adds no candidate, and a discovery cut short by opts.Timeout or by
// ctx returns what was found by then.
func Discover(ctx context.Context, email string, opts *Options) (Result, error) {
	local, domain, err := parseAddress(email)
	if err != nil {
		return Result{}, err
	}
	o := opts.withDefaults()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	d := &discovery{opts: o, local: local, domain: domain, email: local + "@" + domain}
	res := Result{Email: d.email, Domain: domain}

	if p, ok := providerForDomain(domain); ok {
		// The table is authoritative for its own domains: no DNS or HTTP.
		d.setProvider(p)
	} else {
		d.gather(ctx)
	}
	if !o.NoProbe && ctx.Err() == nil {
		d.probeBoth(ctx, domain)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true // late answers from abandoned lookups are dropped
	res.Provider = d.provider
	res.Candidates = d.pop.ranked()
	res.Username = d.username(res.Candidates)
	res.SMTP = d.smtp.ranked()
	res.SMTPUsername = res.Username
	if u := firstUsername(res.SMTP); u != "" {
		res.SMTPUsername = u
	}
	if ctx.Err() != nil && parent.Err() == nil {
		d.pop.note(NoteTimeout)
	}
	if len(res.Candidates) == 0 && (d.provider == nil || !d.provider.NoPOP) {
		d.pop.note(NoteNothingFound)
	}
	if d.pop.probed && len(res.Candidates) > 0 && !d.pop.anyVerified() {
		d.pop.note(NoteUnverified)
	}
	if len(res.SMTP) == 0 {
		d.smtp.note(NoteSMTPNothingFound)
	}
	if d.smtp.probed && len(res.SMTP) > 0 && !d.smtp.anyVerified() {
		d.smtp.note(NoteSMTPUnverified)
	}
	res.Notes = slices.Clone(d.pop.notes)
	res.SMTPNotes = slices.Clone(d.smtp.notes)
	return res, nil
}

// probeBoth probes the POP3 and the outgoing candidates at the same time,
// each protocol's probes bounded as probeAll says: the known candidates
// first, then, when none of them answered, the guesses.
func (d *discovery) probeBoth(ctx context.Context, domain string) {
	var wg sync.WaitGroup
	if !d.noPOP() {
		d.spawn(&wg, func() {
			d.probeAll(ctx, protoPOP, d.known(protoPOP))
			if !d.anyVerified(protoPOP) && ctx.Err() == nil {
				d.probeAll(ctx, protoPOP, guesses(domain))
			}
		})
	}
	d.spawn(&wg, func() {
		d.probeAll(ctx, protoSMTP, d.known(protoSMTP))
		if !d.anyVerified(protoSMTP) && ctx.Err() == nil {
			d.probeAll(ctx, protoSMTP, smtpGuesses(domain))
		}
	})
	wg.Wait()
}

// proto says which of a discovery's candidate sets a source fills.
type proto int

const (
	protoPOP  proto = iota // the POP3 servers: Result.Candidates
	protoSMTP              // the outgoing servers: Result.SMTP
)

// candSet is one protocol's candidates and notes. The discovery's mutex
// guards it.
type candSet struct {
	cands  map[string]*Candidate
	order  []string // keys in the order they were first added
	notes  []string
	probed bool
}

func (s *candSet) note(n string) {
	if !slices.Contains(s.notes, n) {
		s.notes = append(s.notes, n)
	}
}

// add merges candidates: the same host, port and security once, keeping the
// best source (and that source's user name, if it gave one).
func (s *candSet) add(cs ...Candidate) {
	if s.cands == nil {
		s.cands = map[string]*Candidate{}
	}
	for _, c := range cs {
		k := c.key()
		old, ok := s.cands[k]
		if !ok {
			c := c
			s.cands[k] = &c
			s.order = append(s.order, k)
			continue
		}
		if sourceRank[c.Source] < sourceRank[old.Source] {
			old.Source = c.Source
			if c.Username != "" {
				old.Username = c.Username
			}
		} else if old.Username == "" {
			old.Username = c.Username
		}
	}
}

// known returns the candidates, in the order they came.
func (s *candSet) known() []Candidate {
	out := make([]Candidate, 0, len(s.order))
	for _, k := range s.order {
		out = append(out, *s.cands[k])
	}
	return out
}

func (s *candSet) anyVerified() bool {
	for _, c := range s.cands {
		if c.Verified {
			return true
		}
	}
	return false
}

// ranked returns the candidates best first: anything with encryption
// before plain text; a server a probe reached before one it did not (and
// one with a clean certificate first); then by source; then in the order
// the source gave them.
func (s *candSet) ranked() []Candidate {
	out := s.known()
	rank := func(c Candidate) (int, int, int) {
		plain := 0
		if c.Security == pop3client.SecurityNone {
			plain = 1
		}
		reach := 2
		if c.Verified {
			reach = 0
			if c.Problem != "" {
				reach = 1
			}
		}
		return plain, reach, sourceRank[c.Source]
	}
	slices.SortStableFunc(out, func(a, b Candidate) int {
		pa, ra, sa := rank(a)
		pb, rb, sb := rank(b)
		return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(ra, rb), cmp.Compare(sa, sb))
	})
	return out
}

// discovery is the state of one Discover call, shared by the goroutines
// of its sources.
type discovery struct {
	opts          Options
	local, domain string
	email         string

	mu       sync.Mutex
	closed   bool
	provider *Provider
	pop      candSet // also holds the notes that are not about the outgoing server
	smtp     candSet
}

func (d *discovery) set(p proto) *candSet {
	if p == protoSMTP {
		return &d.smtp
	}
	return &d.pop
}

// addNote adds a note about p's servers (POP3 notes go to Result.Notes).
func (d *discovery) addNote(p proto, n string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.set(p).note(n)
	}
}

// add merges candidates for p, unless the discovery has ended.
func (d *discovery) add(p proto, cs ...Candidate) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.set(p).add(cs...)
	}
}

func (d *discovery) setProvider(p *Provider) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.provider = p
	if p.NoPOP {
		d.pop.note(NoteNoPOP)
	}
	if p.OAuthOnly {
		d.pop.note(NoteOAuthOnly)
	}
	d.mu.Unlock()
	user := d.email
	if p.Username == UsernameLocalPart {
		user = d.local
	}
	fromTable := func(list []Candidate) []Candidate {
		cs := make([]Candidate, len(list))
		for i, c := range list {
			c.Source, c.Username = SourceProvider, user
			cs[i] = c
		}
		return cs
	}
	d.add(protoPOP, fromTable(p.POP)...)
	d.add(protoSMTP, fromTable(p.SMTP)...)
}

func (d *discovery) noPOP() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.provider != nil && d.provider.NoPOP
}

// known returns p's candidates found so far, in the order they came.
func (d *discovery) known(p proto) []Candidate {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.set(p).known()
}

func (d *discovery) anyVerified(p proto) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.set(p).anyVerified()
}

// gather runs the network sources for a domain the table does not know:
// MX (to recognise a provider behind a custom domain), SRV and autoconfig,
// all at once. It returns when they are done or ctx ends; a source that
// ignores ctx is abandoned (its late answer is dropped by add).
func (d *discovery) gather(ctx context.Context) {
	var wg sync.WaitGroup
	d.spawn(&wg, func() {
		if p, ok := d.lookupMXProvider(ctx); ok {
			d.addNote(protoPOP, NoteProviderByMX)
			d.setProvider(p)
		}
	})
	d.spawn(&wg, func() { d.lookupSRV(ctx, protoPOP, srvServices) })
	d.spawn(&wg, func() { d.lookupSRV(ctx, protoSMTP, submissionServices) })
	d.spawn(&wg, func() { d.fetchAutoconfig(ctx) })
	d.wait(ctx, &wg)
}

// spawn runs f in a goroutine counted by wg (and by opts.goroutines).
func (d *discovery) spawn(wg *sync.WaitGroup, f func()) {
	g := d.opts.goroutines
	if g != nil {
		g.Add(1)
	}
	wg.Go(func() {
		if g != nil {
			defer g.Done()
		}
		f()
	})
}

// wait returns when wg is done or ctx ends.
func (d *discovery) wait(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	var w sync.WaitGroup
	d.spawn(&w, func() {
		wg.Wait()
		close(done)
	})
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func (d *discovery) lookupMXProvider(ctx context.Context) (*Provider, bool) {
	mxs, err := d.opts.Resolver.LookupMX(ctx, d.domain)
	if err != nil && len(mxs) == 0 {
		// A failed lookup is just no answer. (net.Resolver returns the
		// well-formed records alongside an error when some were malformed;
		// those are still used.)
		return nil, false
	}
	mxs = slices.DeleteFunc(slices.Clone(mxs), func(mx *net.MX) bool { return mx == nil })
	slices.SortStableFunc(mxs, func(a, b *net.MX) int { return cmp.Compare(a.Pref, b.Pref) })
	for _, mx := range mxs {
		host, ok := normalizeHost(mx.Host)
		if !ok {
			continue
		}
		if p, ok := providerForMX(host); ok {
			return p, true
		}
	}
	return nil, false
}

// username is the login name to propose. d.mu must be held.
func (d *discovery) username(ranked []Candidate) string {
	if u := firstUsername(ranked); u != "" {
		return u
	}
	if d.provider != nil && d.provider.Username == UsernameLocalPart {
		return d.local
	}
	return d.email
}

// firstUsername is the user name of the first candidate that gives one.
func firstUsername(ranked []Candidate) string {
	for _, c := range ranked {
		if c.Username != "" {
			return c.Username
		}
	}
	return ""
}

// parseAddress splits an address into its local part and its domain, the
// domain IDNA-normalised to lower-case ASCII.
func parseAddress(email string) (local, domain string, err error) {
	email = strings.TrimSpace(email)
	i := strings.LastIndexByte(email, '@')
	if i <= 0 || i == len(email)-1 {
		return "", "", fmt.Errorf("%w: %q has no local part or no domain", ErrInvalidAddress, email)
	}
	local = email[:i]
	if len(local) > 64 || !utf8.ValidString(local) || strings.ContainsFunc(local, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>()[],;:\\", r)
	}) {
		return "", "", fmt.Errorf("%w: %q: bad local part", ErrInvalidAddress, email)
	}
	domain, err = normalizeDomain(email[i+1:])
	if err != nil {
		return "", "", fmt.Errorf("%w: %q: %v", ErrInvalidAddress, email, err)
	}
	return local, domain, nil
}

// normalizeDomain converts a domain to lower-case ASCII (IDNA 2008 lookup
// rules) and checks that it is a host name with at least two labels.
func normalizeDomain(s string) (string, error) {
	h, ok := normalizeHost(s)
	if !ok {
		return "", fmt.Errorf("%q is not a valid domain", s)
	}
	return h, nil
}

// normalizeHost converts a host name from DNS, an autoconfig file or a
// user to lower-case ASCII without a trailing dot, and reports whether it
// is a syntactically valid host name: LDH labels of 1 to 63 octets, at
// least two of them, the last not all digits (so no IP address literals),
// 253 octets at most.
func normalizeHost(s string) (string, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" || len(s) > 1024 {
		return "", false
	}
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", false
	}
	a = strings.ToLower(a)
	if len(a) > 253 {
		return "", false
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return "", false
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", false
	}
	return a, true
}
