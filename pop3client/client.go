package pop3client

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/internal/idleconn"
)

// Security is how a connection is protected.
type Security int

const (
	// SecurityTLS is implicit TLS from the first byte (RFC 8314, port 995). The default.
	SecurityTLS Security = iota
	// SecuritySTARTTLS connects in plain text and upgrades with STLS
	// (RFC 2595, port 110). It fails when STLS is not offered: it never
	// falls back to plain text.
	SecuritySTARTTLS
	// SecurityNone sends everything, the password included, in plain text.
	// Only when the user explicitly chose it.
	SecurityNone
)

func (s Security) String() string {
	switch s {
	case SecurityTLS:
		return "tls"
	case SecuritySTARTTLS:
		return "starttls"
	case SecurityNone:
		return "none"
	}
	return "security(" + strconv.Itoa(int(s)) + ")"
}

// ParseSecurity parses "tls", "starttls" or "none".
func ParseSecurity(s string) (Security, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "tls", "ssl", "ssl/tls", "implicit":
		return SecurityTLS, nil
	case "starttls", "stls":
		return SecuritySTARTTLS, nil
	case "none", "plain", "plaintext":
		return SecurityNone, nil
	}
	return 0, fmt.Errorf("pop3: unknown security %q (want tls, starttls or none)", s)
}

// DefaultPort is the conventional port for a security mode: 995 for
// implicit TLS, 110 otherwise.
func (s Security) DefaultPort() int {
	if s == SecurityTLS {
		return 995
	}
	return 110
}

// Resolver looks up a host's addresses; *net.Resolver satisfies it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Dialer opens a connection; *net.Dialer satisfies it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options configures a Client. The zero value (or a nil *Options) means
// implicit TLS, certificates checked against the system's roots, and the
// default timeouts.
type Options struct {
	Security Security

	// TLSConfig is a base TLS configuration; it is cloned. ServerName
	// defaults to the host dialed. A MinVersion below TLS 1.2 is raised to
	// TLS 1.2. Certificate verification is always done by the client (see
	// ExtraRootCAs and TrustedFingerprints); InsecureSkipVerify is ignored.
	TLSConfig *tls.Config
	// ExtraRootCAs are trusted in addition to the system roots (or to
	// TLSConfig.RootCAs when set).
	ExtraRootCAs []*x509.Certificate
	// TrustedFingerprints are SHA-256 fingerprints (hex, any case, ":" or
	// spaces allowed) of certificates to accept whatever their issuer,
	// name or dates: pinning exactly one certificate the user has seen.
	TrustedFingerprints []string

	// Timeout bounds every single read and write (an idle timeout, not a
	// limit on the whole session). Default 60 seconds.
	Timeout time.Duration
	// ConnectTimeout bounds each TCP connection attempt. Default 30 seconds.
	ConnectTimeout time.Duration

	// MaxMessageSize aborts a RETR or TOP whose body grows beyond it, with
	// KindMessageTooLarge. The connection is closed: there is no way to skip
	// the rest of a message in POP3 but to read it. 0 means no limit.
	MaxMessageSize int64

	// PipelineWindow is how many commands RetrMany and DeleMany keep in
	// flight when the server advertises PIPELINING. Default 100.
	PipelineWindow int
	// DisablePipelining sends one command at a time even when the server
	// advertises PIPELINING.
	DisablePipelining bool

	Resolver Resolver // default net.DefaultResolver
	Dialer   Dialer   // default a *net.Dialer

	// Trace, if set, receives a protocol trace with passwords, tokens and
	// message bodies left out.
	Trace io.Writer

	// Progress, if set, is called as each step of setting up the session
	// succeeds, for a connection test that shows the steps as they happen.
	Progress func(Event)
}

// Event is a step of setting up a session that succeeded.
type Event struct {
	Step       Step
	Host       string
	Addrs      []string             // StepResolve: the addresses found
	RemoteAddr string               // StepConnect: the address connected to
	TLS        *tls.ConnectionState // StepTLS: the negotiated TLS (also after STLS)
	Greeting   string               // StepGreeting: the server's greeting
	Caps       Capabilities         // StepGreeting, StepSTLS, StepAuth: the capabilities then
	CapaOK     bool                 // the server answered CAPA
}

func (o *Options) progress(ev Event) {
	if o.Progress != nil {
		o.Progress(ev)
	}
}

const (
	defaultTimeout        = 60 * time.Second
	defaultConnectTimeout = 30 * time.Second
	defaultWindow         = 100
	maxLineLength         = 64 << 10 // status and listing lines; RFC 2449 says 512, servers exceed it
	maxListingLines       = 2_000_000
	maxCapaLines          = 1000
	maxAuthLine           = 255 // RFC 5034 §4: the AUTH command with its initial response, CRLF included
	readBufferSize        = 64 << 10
)

func (o *Options) withDefaults() Options {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = defaultConnectTimeout
	}
	if opts.PipelineWindow <= 0 {
		opts.PipelineWindow = defaultWindow
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.Dialer == nil {
		opts.Dialer = &net.Dialer{}
	}
	return opts
}

// Client is one POP3 session. Its methods must not be called concurrently;
// a failure that leaves the protocol state unknown (a network error, a
// cancelled context, a malformed reply) closes the session, and every later
// call returns an error of KindClosed. A -ERR reply leaves it usable.
type Client struct {
	opts  Options
	host  string
	dc    *deadlineConn
	conn  net.Conn // dc, or a *tls.Conn over it
	br    *bufio.Reader
	bw    *bufio.Writer
	trace *tracer

	tlsState   *tls.ConnectionState
	greeting   string
	timestamp  string // APOP timestamp from the greeting, with its angle brackets
	caps       Capabilities
	capaOK     bool   // the server answered CAPA with +OK
	authorized bool   // in the TRANSACTION state
	busy       bool   // a method is running (catches concurrent use and calls from callbacks)
	wbuf       []byte // the batch buffer of bodies' WriteTo
	broken     error
}

// Dial connects to addr ("host:port"), does the TLS handshake or STLS the
// options ask for, reads the greeting and the capabilities, and returns a
// client in the AUTHORIZATION state. Every failure is an *Error naming the
// step: resolve, connect, tls, greeting or stls.
func Dial(ctx context.Context, addr string, opts *Options) (*Client, error) {
	o := opts.withDefaults()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &Error{Kind: KindInvalidInput, Step: StepResolve, Err: err}
	}
	conn, err := connect(ctx, host, port, o)
	if err != nil {
		return nil, err
	}
	return newClient(ctx, conn, host, o)
}

// NewClient starts a session on a connection the caller opened. serverName
// is the host name the certificate must match.
func NewClient(ctx context.Context, conn net.Conn, serverName string, opts *Options) (*Client, error) {
	return newClient(ctx, conn, serverName, opts.withDefaults())
}

func connect(ctx context.Context, host, port string, o Options) (net.Conn, error) {
	var addrs []net.IPAddr
	if ip := net.ParseIP(host); ip != nil {
		addrs = []net.IPAddr{{IP: ip}}
	} else {
		var err error
		addrs, err = o.Resolver.LookupIPAddr(ctx, host)
		if err == nil && len(addrs) == 0 {
			err = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		if err != nil {
			k := classifyNetErr(err)
			if k != KindCanceled && k != KindHostNotFound {
				k = KindDNSTemporary
			}
			return nil, &Error{Kind: k, Step: StepResolve, Host: host, Err: err}
		}
	}
	names := make([]string, len(addrs))
	for i, a := range addrs {
		names[i] = a.String()
	}
	o.progress(Event{Step: StepResolve, Host: host, Addrs: names})
	// Try every address in turn; report the most telling failure (a refusal
	// says more than an unreachable IPv6 route).
	rank := map[Kind]int{KindConnectionRefused: 4, KindTimeout: 3, KindNetwork: 2, KindUnreachable: 1}
	var best *Error
	for _, a := range addrs {
		dctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
		conn, err := o.Dialer.DialContext(dctx, "tcp", net.JoinHostPort(a.String(), port))
		cancel()
		if err == nil {
			o.progress(Event{Step: StepConnect, Host: host, RemoteAddr: conn.RemoteAddr().String()})
			return conn, nil
		}
		k := classifyNetErr(err)
		if ctx.Err() != nil {
			return nil, &Error{Kind: KindCanceled, Step: StepConnect, Host: host, Err: ctx.Err()}
		}
		if k == KindCanceled || k == KindTransferInterrupted {
			k = KindNetwork
		}
		if best == nil || rank[k] > rank[best.Kind] {
			best = &Error{Kind: k, Step: StepConnect, Host: host, Err: err}
		}
	}
	return nil, best
}

func newClient(ctx context.Context, conn net.Conn, host string, o Options) (c *Client, err error) {
	dc := idleconn.New(conn, o.Timeout)
	c = &Client{opts: o, host: host, dc: dc, trace: &tracer{w: o.Trace}, caps: Capabilities{}}
	c.setConn(dc)
	stop := dc.Watch(ctx)
	defer func() {
		if stop() && err != nil {
			err = canceled(err, ctx)
		}
		if err != nil {
			_ = conn.Close()
			c = nil
		}
	}()
	if o.Security == SecurityTLS {
		if err := c.handshake(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.readGreeting(ctx); err != nil {
		return nil, err
	}
	if err := c.capa(); err != nil {
		return nil, err
	}
	o.progress(Event{Step: StepGreeting, Host: host, Greeting: c.greeting, Caps: c.caps, CapaOK: c.capaOK})
	if o.Security == SecuritySTARTTLS {
		if err := c.starttls(ctx); err != nil {
			return nil, err
		}
		o.progress(Event{Step: StepSTLS, Host: host, TLS: c.tlsState, Caps: c.caps, CapaOK: c.capaOK})
	}
	return c, nil
}

func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.br = bufio.NewReaderSize(conn, readBufferSize)
	c.bw = bufio.NewWriter(conn)
}

// canceled turns err into KindCanceled when ctx has ended.
func canceled(err error, ctx context.Context) error {
	if ctx.Err() == nil {
		return err
	}
	e := &Error{Kind: KindCanceled, Err: ctx.Err()}
	var pe *Error
	if errors.As(err, &pe) {
		e.Step, e.Command, e.Host = pe.Step, pe.Command, pe.Host
	}
	return e
}

func (c *Client) tlsConfig() *tls.Config {
	return VerifyingTLSConfig(c.opts.TLSConfig, c.host, c.opts.ExtraRootCAs, c.opts.TrustedFingerprints)
}

// NormalizeFingerprint lower-cases a hex fingerprint and drops ":" and spaces.
func NormalizeFingerprint(fp string) string {
	return strings.ToLower(strings.NewReplacer(":", "", " ", "", "-", "").Replace(fp))
}

func (c *Client) handshake(ctx context.Context) error {
	tc := tls.Client(c.dc, c.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		e := &Error{Step: StepTLS, Host: c.host, Err: err}
		classifyTLSErr(e, err)
		return e
	}
	st := tc.ConnectionState()
	c.tlsState = &st
	c.opts.progress(Event{Step: StepTLS, Host: c.host, TLS: &st})
	c.setConn(tc)
	return nil
}

func (c *Client) readGreeting(ctx context.Context) error {
	fail := func(k Kind, text string, err error) error {
		return &Error{Kind: k, Step: StepGreeting, Host: c.host, ServerText: text, Err: err}
	}
	// A TLS server waits for the client to speak first; a few send an alert
	// when they see nothing. Either way, look at the first bytes.
	first, err := c.br.Peek(1)
	if err == nil && (first[0] == 0x15 || first[0] == 0x16) {
		return fail(KindPlainOnTLSPort, "", nil)
	}
	var line []byte
	if err == nil {
		line, err = c.readLine()
	}
	if err != nil {
		k := classifyNetErr(err)
		switch {
		case k == KindTimeout && c.tlsState == nil && c.br.Buffered() == 0:
			if c.probeTLS(ctx) {
				return fail(KindPlainOnTLSPort, "", err)
			}
		case k == KindTransferInterrupted:
			k = KindClosedBeforeGreeting
		}
		return fail(k, "", err)
	}
	// Whatever greets other than with +OK may be another service on a
	// mistaken port: its words are not kept (Error.ServerText), only what
	// it seems to be.
	r, perr := parseReply(line)
	if perr != nil {
		if svc := sniffService(string(line)); svc == "TLS" {
			return fail(KindPlainOnTLSPort, "", nil)
		} else if svc != "" && svc != "POP3" {
			e := fail(KindNotPOP3, "", nil).(*Error)
			e.Service = svc
			return e
		}
		return fail(KindProtocol, "", perr)
	}
	if !r.ok {
		e := c.replyErr(StepGreeting, "", r)
		e.ServerText = ""
		return e
	}
	c.greeting = r.text
	if i := strings.LastIndexByte(r.text, '<'); i >= 0 {
		if j := strings.IndexByte(r.text[i:], '>'); j > 0 && strings.Contains(r.text[i:i+j], "@") {
			c.timestamp = r.text[i : i+j+1]
		}
	}
	return nil
}

// probeTLS is called when a plain-text connection got no greeting: a TLS
// server waits for a ClientHello. It sends one and reports whether a TLS
// server answered (with a ServerHello or an alert).
func (c *Client) probeTLS(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tc := tls.Client(c.dc, &tls.Config{InsecureSkipVerify: true, ServerName: c.host, MinVersion: tls.VersionTLS10})
	err := tc.HandshakeContext(pctx)
	if err == nil {
		return true
	}
	var rh tls.RecordHeaderError
	var opErr *net.OpError
	return !errors.As(err, &rh) && errors.As(err, &opErr) && opErr.Op == "remote error"
}

// printable returns a server line fit for an error message.
func printable(line []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(line), "\uFFFD")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func (c *Client) starttls(ctx context.Context) error {
	if c.capaOK && !c.caps.Has("STLS") {
		return &Error{Kind: KindSTLSNotOffered, Step: StepSTLS, Host: c.host}
	}
	r, err := c.cmd(StepSTLS, "STLS", "STLS")
	if err != nil {
		return err
	}
	if !r.ok {
		return &Error{Kind: KindSTLSNotOffered, Step: StepSTLS, Command: "STLS", Host: c.host, Code: r.code, ServerText: r.text}
	}
	// RFC 2595 §3.1 / CVE-2011-0411: anything the server sent before the
	// handshake is not protected and must not be taken as a reply after it.
	if n := c.br.Buffered(); n > 0 {
		c.trace.printf("-- discarded %d bytes the server sent before the TLS handshake", n)
	}
	if err := c.handshake(ctx); err != nil {
		return err
	}
	// RFC 2595 §4: capabilities may change after STLS; ask again.
	return c.capa()
}

// ---- reading and writing ----

var errLineTooLong = errors.New("line too long")

// readLine reads one line and returns it without its line end (CRLF or a
// bare LF). The slice is valid until the next read.
func (c *Client) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = c.br.ReadSlice('\n')
			buf = append(buf, line...)
			if len(buf) > maxLineLength {
				return nil, errLineTooLong
			}
		}
		line = buf
	}
	if err != nil {
		return nil, noEOFIfPartial(err, len(line))
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func noEOFIfPartial(err error, n int) error {
	if err == io.EOF && n > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (c *Client) send(line string) error {
	c.trace.client(line)
	if _, err := c.bw.WriteString(line); err != nil {
		return err
	}
	if _, err := c.bw.WriteString("\r\n"); err != nil {
		return err
	}
	return c.bw.Flush()
}

// cmd sends a command and reads its status line. A network failure or a
// line that is not a status line breaks the session; a -ERR does not.
func (c *Client) cmd(step Step, verb, line string) (reply, error) {
	if strings.ContainsAny(line, "\r\n\x00") {
		return reply{}, &Error{Kind: KindInvalidInput, Step: step, Command: verb, Host: c.host,
			Err: errors.New("argument contains a line break or NUL")}
	}
	if err := c.send(line); err != nil {
		return reply{}, c.netErr(step, verb, err)
	}
	return c.readReply(step, verb)
}

func (c *Client) readReply(step Step, verb string) (reply, error) {
	line, err := c.readLine()
	if err != nil {
		return reply{}, c.netErr(step, verb, err)
	}
	c.trace.server(line)
	r, err := parseReply(line)
	if err != nil {
		return reply{}, c.breakWith(&Error{Kind: KindProtocol, Step: step, Command: verb, Host: c.host, ServerText: printable(line), Err: err})
	}
	return r, nil
}

// netErr classifies a read or write failure and breaks the session.
func (c *Client) netErr(step Step, verb string, err error) *Error {
	k := classifyNetErr(err)
	if errors.Is(err, errLineTooLong) {
		k = KindProtocol
	}
	if k == KindNetwork && step == StepTransfer {
		k = KindTransferInterrupted
	}
	return c.breakWith(&Error{Kind: k, Step: step, Command: verb, Host: c.host, Err: err})
}

func (c *Client) breakWith(e *Error) *Error {
	if c.broken == nil {
		c.broken = e
		c.dc.Abort(errAborted)
		_ = c.dc.Conn.Close()
	}
	return e
}

// badReply breaks the session over a +OK reply whose text cannot be
// parsed (STAT, LIST n, UIDL n).
func (c *Client) badReply(verb, text string, err error) *Error {
	return c.breakWith(&Error{Kind: KindProtocol, Step: StepCommand, Command: verb, Host: c.host, ServerText: text, Err: err})
}

// replyErr turns a -ERR reply into an *Error. The session stays usable.
func (c *Client) replyErr(step Step, verb string, r reply) *Error {
	return &Error{Kind: classifyReply(step, r), Step: step, Command: verb, Host: c.host, Code: r.code, ServerText: r.text}
}

// classifyReply maps a -ERR reply to a Kind, from its RFC 2449/3206 response
// code first and, for servers that send none, from its words.
func classifyReply(step Step, r reply) Kind {
	code := r.code
	switch {
	case code == "IN-USE":
		return KindInUse
	case code == "LOGIN-DELAY":
		return KindLoginDelay
	case code == "SYS/TEMP" || strings.HasPrefix(code, "SYS/TEMP/"):
		return KindTempFailure
	}
	if step != StepAuth {
		return KindServerError
	}
	text := strings.ToLower(r.text)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(text, w) {
				return true
			}
		}
		return false
	}
	switch {
	case code == "SYS/PERM" || strings.HasPrefix(code, "SYS/PERM/"):
		// Gmail: "[SYS/PERM] Your account is not enabled for POP access."
		return KindPOPDisabled
	// QUIRK: Dovecot answers USER on a plain connection with
	// "[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
	case has("plaintext", "non-secure", "insecure", "ssl required", "tls required", "requires ssl", "requires tls", "must use ssl", "encryption required"):
		return KindEncryptionRequired
	case has("oauth", "web login required", "basic auth"):
		return KindOAuthRequired
	case code == "AUTH":
		return KindAuthFailed
	// QUIRK: servers without RESP-CODES (qpopper, old Exchange) say it in words.
	case has("in use", "locked", "lock busy", "already connected", "another session"):
		return KindInUse
	case has("temporar", "try again later", "try later"):
		return KindTempFailure
	case has("pop") && has("disabled", "not enabled", "not allowed", "not permitted"):
		return KindPOPDisabled
	}
	return KindAuthFailed
}

// readMultiline reads the lines of a multi-line response (after its +OK)
// and calls fn on each, dot-unstuffed and without line ends.
func (c *Client) readMultiline(step Step, verb string, limit int, fn func(line []byte) error) error {
	for n := 0; ; n++ {
		line, err := c.readLine()
		if err != nil {
			return c.netErr(step, verb, noEOF(err))
		}
		if len(line) > 0 && line[0] == '.' {
			if len(line) == 1 {
				c.trace.printf("S: .")
				return nil
			}
			line = line[1:]
		}
		if n >= limit {
			return c.breakWith(&Error{Kind: KindProtocol, Step: step, Command: verb, Host: c.host,
				Err: fmt.Errorf("more than %d lines in a listing", limit)})
		}
		c.trace.server(line)
		if err := fn(line); err != nil {
			// The rest of the listing is unread: the session is out of step.
			return c.breakWith(&Error{Kind: KindProtocol, Step: step, Command: verb, Host: c.host,
				ServerText: printable(line), Err: err})
		}
	}
}

// ---- the per-call guard ----

// begin checks that the client can take a call and arms ctx. The returned
// end must be deferred with the call's error.
func (c *Client) begin(ctx context.Context, step Step, verb string) (end func(*error), err error) {
	if c.broken != nil {
		return nil, &Error{Kind: KindClosed, Step: step, Command: verb, Host: c.host, Err: c.broken}
	}
	if c.busy {
		return nil, &Error{Kind: KindClosed, Step: step, Command: verb, Host: c.host,
			Err: errors.New("client in use by another call")}
	}
	c.busy = true
	stop := c.dc.Watch(ctx)
	return func(errp *error) {
		c.busy = false
		if !stop() {
			return
		}
		// The context ended during the call and the connection was aborted.
		// A call that had already succeeded keeps its result.
		e := c.breakWith(&Error{Kind: KindCanceled, Step: step, Command: verb, Host: c.host, Err: ctx.Err()})
		if *errp != nil {
			*errp = e
		}
	}, nil
}

// simple runs a command whose answer is a single status line.
func (c *Client) simple(ctx context.Context, step Step, verb, line string) (r reply, err error) {
	end, err := c.begin(ctx, step, verb)
	if err != nil {
		return reply{}, err
	}
	defer end(&err)
	r, err = c.cmd(step, verb, line)
	if err != nil {
		return r, err
	}
	if !r.ok {
		return r, c.replyErr(step, verb, r)
	}
	return r, nil
}

// ---- session information ----

// Greeting returns the text of the server's greeting.
func (c *Client) Greeting() string { return c.greeting }

// Capabilities returns what the server last answered to CAPA (empty if it
// does not support CAPA). It is read after the greeting, after STLS and
// after authentication.
func (c *Client) Capabilities() Capabilities { return c.caps }

// CapaSupported reports whether the server answered CAPA.
func (c *Client) CapaSupported() bool { return c.capaOK }

// TLSConnectionState returns the TLS state, and false on a plain connection.
func (c *Client) TLSConnectionState() (tls.ConnectionState, bool) {
	if c.tlsState == nil {
		return tls.ConnectionState{}, false
	}
	return *c.tlsState, true
}

// Authenticated reports whether the session is in the TRANSACTION state.
func (c *Client) Authenticated() bool { return c.authorized }

// Capa asks the server for its capabilities again (RFC 2449 §5).
func (c *Client) Capa(ctx context.Context) (caps Capabilities, err error) {
	end, err := c.begin(ctx, StepCommand, "CAPA")
	if err != nil {
		return nil, err
	}
	defer end(&err)
	if err := c.capa(); err != nil {
		return nil, err
	}
	return c.caps, nil
}

func (c *Client) capa() error {
	step := StepCommand
	if !c.authorized {
		step = StepGreeting
	}
	r, err := c.cmd(step, "CAPA", "CAPA")
	if err != nil {
		return err
	}
	caps := Capabilities{}
	c.capaOK = r.ok
	if r.ok {
		if err := c.readMultiline(step, "CAPA", maxCapaLines, func(line []byte) error {
			parseCapaLine(caps, line)
			return nil
		}); err != nil {
			return err
		}
	}
	c.caps = caps
	return nil
}

// ---- authorization (RFC 1939 §4, §7; RFC 5034; RFC 6856) ----

// Login authenticates with a user name and password, choosing the method:
// USER/PASS when the server offers it (or says nothing, as RFC 1939 servers
// do), else SASL PLAIN, else SASL LOGIN. It never falls back to a second
// method after a rejection: providers lock out addresses that keep failing.
// APOP is used only when asked for, by calling APOP.
func (c *Client) Login(ctx context.Context, username, password string) error {
	caps := c.caps
	if caps.Has("UTF8") {
		if err := c.UTF8(ctx); err != nil && KindOf(err) != KindServerError {
			return err
		}
	}
	switch {
	case !c.capaOK || caps.Has("USER"):
	case caps.HasSASL("PLAIN"):
		return c.Auth(ctx, PlainAuth(username, password))
	case caps.HasSASL("LOGIN"):
		return c.Auth(ctx, LoginAuth(username, password))
	case caps.HasSASL("XOAUTH2") || caps.HasSASL("OAUTHBEARER"):
		return &Error{Kind: KindOAuthRequired, Step: StepAuth, Host: c.host,
			ServerText: "SASL " + strings.Join(caps.SASL(), " ")}
	}
	if err := c.User(ctx, username); err != nil {
		return err
	}
	return c.Pass(ctx, password)
}

// UTF8 enables UTF-8 mode (RFC 6856 §2), allowed before authentication.
func (c *Client) UTF8(ctx context.Context) error {
	_, err := c.simple(ctx, StepCommand, "UTF8", "UTF8")
	return err
}

// User sends USER (RFC 1939 §7).
func (c *Client) User(ctx context.Context, name string) error {
	_, err := c.simple(ctx, StepAuth, "USER", "USER "+name)
	return err
}

// Pass sends PASS (RFC 1939 §7); on success the session is in the
// TRANSACTION state and the capabilities are read again.
func (c *Client) Pass(ctx context.Context, password string) (err error) {
	end, err := c.begin(ctx, StepAuth, "PASS")
	if err != nil {
		return err
	}
	defer end(&err)
	r, err := c.cmd(StepAuth, "PASS", "PASS "+password)
	if err != nil {
		return err
	}
	if !r.ok {
		return c.replyErr(StepAuth, "PASS", r)
	}
	return c.authenticated()
}

// APOP authenticates with the MD5 digest of the greeting's timestamp and
// the shared secret (RFC 1939 §7). It is weak and only for servers that
// require it: use it only when the user asks.
func (c *Client) APOP(ctx context.Context, name, secret string) (err error) {
	if c.timestamp == "" {
		return &Error{Kind: KindUnsupported, Step: StepAuth, Command: "APOP", Host: c.host,
			Err: errors.New("the greeting has no APOP timestamp")}
	}
	end, err := c.begin(ctx, StepAuth, "APOP")
	if err != nil {
		return err
	}
	defer end(&err)
	sum := md5.Sum([]byte(c.timestamp + secret))
	r, err := c.cmd(StepAuth, "APOP", "APOP "+name+" "+hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	if !r.ok {
		return c.replyErr(StepAuth, "APOP", r)
	}
	return c.authenticated()
}

func (c *Client) authenticated() error {
	c.authorized = true
	// RFC 2449 §5: capabilities may differ after authentication
	// (LOGIN-DELAY and EXPIRE become per-user values).
	if err := c.capa(); err != nil {
		return err
	}
	c.opts.progress(Event{Step: StepAuth, Host: c.host, Caps: c.caps, CapaOK: c.capaOK})
	return nil
}

// Auth authenticates with a SASL mechanism (RFC 5034). The initial response
// goes on the AUTH line when the line fits in 255 octets, else after the
// server's first, empty challenge. QUIRK: Office 365 rejects some initial
// responses on the AUTH line; when a server fails that form with a plain
// -ERR (no response code), the exchange is retried once in two steps.
func (c *Client) Auth(ctx context.Context, m Mechanism) (err error) {
	end, err := c.begin(ctx, StepAuth, "AUTH")
	if err != nil {
		return err
	}
	defer end(&err)
	r, oneLine, err := c.auth(m, true)
	if err == nil && !r.ok && oneLine && r.code == "" {
		r, _, err = c.auth(m, false)
	}
	if err != nil {
		return err
	}
	if !r.ok {
		e := c.replyErr(StepAuth, "AUTH", r)
		if e.Kind == KindOAuthRequired && strings.Contains(m.Name(), "OAUTH") {
			e.Kind = KindAuthFailed // a rejected token is a credential failure
		}
		return e
	}
	return c.authenticated()
}

// auth runs one SASL exchange. oneLine reports whether the initial response
// was sent on the AUTH line and rejected before any challenge.
func (c *Client) auth(m Mechanism, allowOneLine bool) (r reply, oneLine bool, err error) {
	ir, err := m.Start()
	if err != nil {
		return reply{}, false, &Error{Kind: KindUnsupported, Step: StepAuth, Command: "AUTH", Host: c.host, Err: err}
	}
	line := "AUTH " + m.Name()
	pending := ir
	if ir != nil && allowOneLine {
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		if len(line)+1+len(enc)+2 <= maxAuthLine {
			line += " " + enc
			pending, oneLine = nil, true
		}
	}
	if err := c.send(line); err != nil {
		return reply{}, false, c.netErr(StepAuth, "AUTH", err)
	}
	for round := 0; ; round++ {
		raw, err := c.readLine()
		if err != nil {
			return reply{}, false, c.netErr(StepAuth, "AUTH", err)
		}
		if len(raw) > 0 && raw[0] == '+' && (len(raw) == 1 || raw[1] == ' ') {
			oneLine = false
			c.trace.server(raw)
			if round > 20 {
				return reply{}, false, c.breakWith(&Error{Kind: KindProtocol, Step: StepAuth, Command: "AUTH", Host: c.host,
					Err: errors.New("too many SASL challenges")})
			}
			var resp []byte
			if pending != nil {
				resp, pending = pending, nil
			} else {
				chal, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw[1:])))
				if derr == nil {
					resp, derr = m.Next(chal)
				}
				if derr != nil {
					// Cancel the exchange (RFC 5034 §4); the server answers -ERR.
					if err := c.send("*"); err != nil {
						return reply{}, false, c.netErr(StepAuth, "AUTH", err)
					}
					continue
				}
			}
			c.trace.secret()
			if _, err := c.bw.WriteString(base64.StdEncoding.EncodeToString(resp) + "\r\n"); err != nil {
				return reply{}, false, c.netErr(StepAuth, "AUTH", err)
			}
			if err := c.bw.Flush(); err != nil {
				return reply{}, false, c.netErr(StepAuth, "AUTH", err)
			}
			continue
		}
		c.trace.server(raw)
		r, perr := parseReply(raw)
		if perr != nil {
			return reply{}, false, c.breakWith(&Error{Kind: KindProtocol, Step: StepAuth, Command: "AUTH", Host: c.host,
				ServerText: printable(raw), Err: perr})
		}
		return r, oneLine, nil
	}
}

// ---- transaction (RFC 1939 §5) ----

// Stat returns the number of messages and their total size in octets.
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	r, err := c.simple(ctx, StepCommand, "STAT", "STAT")
	if err != nil {
		return 0, 0, err
	}
	m, err := parseListLine([]byte(r.text))
	if err != nil {
		// "+OK 0 0" parses; a mailbox of 0 messages is the only case the
		// number can be 0, so allow it here.
		f := strings.Fields(r.text)
		if len(f) >= 2 && f[0] == "0" {
			if s, perr := strconv.ParseInt(f[1], 10, 64); perr == nil && s >= 0 {
				return 0, s, nil
			}
		}
		return 0, 0, c.badReply("STAT", r.text, err)
	}
	return m.ID, m.Size, nil
}

// List returns the number and size of every message not marked deleted.
func (c *Client) List(ctx context.Context) (msgs []MessageInfo, err error) {
	err = c.listing(ctx, "LIST", "LIST", func(line []byte) error {
		m, err := parseListLine(line)
		if err == nil {
			msgs = append(msgs, m)
		}
		return err
	})
	return msgs, err
}

// ListOne returns the size of one message.
func (c *Client) ListOne(ctx context.Context, id int) (MessageInfo, error) {
	r, err := c.simple(ctx, StepCommand, "LIST", "LIST "+strconv.Itoa(id))
	if err != nil {
		return MessageInfo{}, err
	}
	m, err := parseListLine([]byte(r.text))
	if err != nil {
		return MessageInfo{}, c.badReply("LIST", r.text, err)
	}
	return m, nil
}

// Uidl returns the unique-id of every message not marked deleted (RFC 1939
// §7), in the order the server sent them. Duplicate UIDs are all kept and
// marked, never merged; an empty UID is kept as "".
func (c *Client) Uidl(ctx context.Context) (uids []UID, err error) {
	err = c.listing(ctx, "UIDL", "UIDL", func(line []byte) error {
		u, err := parseUIDLine(line)
		if err == nil {
			uids = append(uids, u)
		}
		return err
	})
	markDuplicates(uids)
	return uids, err
}

// UidlOne returns the unique-id of one message.
func (c *Client) UidlOne(ctx context.Context, id int) (UID, error) {
	r, err := c.simple(ctx, StepCommand, "UIDL", "UIDL "+strconv.Itoa(id))
	if err != nil {
		return UID{}, err
	}
	u, err := parseUIDLine([]byte(r.text))
	if err != nil {
		return UID{}, c.badReply("UIDL", r.text, err)
	}
	return u, nil
}

func (c *Client) listing(ctx context.Context, verb, line string, fn func([]byte) error) (err error) {
	end, err := c.begin(ctx, StepCommand, verb)
	if err != nil {
		return err
	}
	defer end(&err)
	r, err := c.cmd(StepCommand, verb, line)
	if err != nil {
		return err
	}
	if !r.ok {
		return c.replyErr(StepCommand, verb, r)
	}
	return c.readMultiline(StepCommand, verb, maxListingLines, fn)
}

// Retr retrieves message id and calls fn with a reader of its bytes exactly
// as the server sent them (CRLF kept), with dot-stuffing removed. The reader
// is valid only during fn. If fn returns before reading to the end, the
// rest is read and discarded so the session stays usable. A -ERR from the
// server is returned as an *Error and fn is not called; an error from fn is
// returned as it is; a transfer failure is an *Error of step "transfer".
func (c *Client) Retr(ctx context.Context, id int, fn func(r io.Reader) error) error {
	return c.retrieve(ctx, "RETR", "RETR "+strconv.Itoa(id), fn)
}

// Top retrieves the header and the first lines of the body of message id
// (RFC 1939 §7), like Retr.
func (c *Client) Top(ctx context.Context, id, lines int, fn func(r io.Reader) error) error {
	return c.retrieve(ctx, "TOP", "TOP "+strconv.Itoa(id)+" "+strconv.Itoa(lines), fn)
}

func (c *Client) retrieve(ctx context.Context, verb, line string, fn func(io.Reader) error) (err error) {
	end, err := c.begin(ctx, StepCommand, verb)
	if err != nil {
		return err
	}
	defer end(&err)
	r, err := c.cmd(StepCommand, verb, line)
	if err != nil {
		return err
	}
	if !r.ok {
		return c.replyErr(StepCommand, verb, r)
	}
	return c.readBody(verb, fn)
}

// readBody hands the multi-line body that follows a +OK to fn.
func (c *Client) readBody(verb string, fn func(io.Reader) error) error {
	dr := newDotReader(c.br)
	dr.out = c.wbuf // one batch buffer per session, not per message
	b := &bodyReader{c: c, verb: verb, dr: dr, max: c.opts.MaxMessageSize}
	ferr := fn(b)
	if b.err != nil {
		return b.err
	}
	if !b.dr.done {
		if _, err := io.Copy(io.Discard, b); err != nil {
			return err
		}
	}
	c.wbuf = dr.out
	c.trace.printf("S: <%d octets of message data>", b.n)
	c.trace.printf("S: .")
	return ferr
}

// errTooLarge is what a bodyReader's limit reports before it is classified.
var errTooLarge = errors.New("message larger than the limit")

// bodyReader is the io.Reader handed to Retr's and Top's callbacks.
type bodyReader struct {
	c    *Client
	verb string
	dr   *dotReader
	n    int64
	max  int64
	err  *Error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.max > 0 && int64(len(p)) > b.max-b.n+1 {
		p = p[:b.max-b.n+1]
	}
	n, err := b.dr.Read(p)
	b.n += int64(n)
	if b.max > 0 && b.n > b.max {
		return 0, b.fail(errTooLarge)
	}
	if err != nil && err != io.EOF {
		return n, b.fail(err)
	}
	return n, err
}

func (b *bodyReader) WriteTo(w io.Writer) (int64, error) {
	if b.err != nil {
		return 0, b.err
	}
	lw := w
	var limit *limitWriter
	if b.max > 0 {
		limit = &limitWriter{w: w, left: b.max - b.n}
		lw = limit
	}
	n, err := b.dr.WriteTo(lw)
	b.n += n
	switch {
	case err == nil:
		return n, nil
	case limit != nil && limit.over:
		return n, b.fail(errTooLarge)
	case b.dr.err != nil:
		return n, b.fail(err)
	}
	return n, err // the caller's writer failed; the transfer itself is intact
}

// fail records a transfer failure, which ends the session.
func (b *bodyReader) fail(err error) *Error {
	if err == errTooLarge {
		b.err = b.c.breakWith(&Error{Kind: KindMessageTooLarge, Step: StepTransfer, Command: b.verb, Host: b.c.host,
			Err: fmt.Errorf("over %d octets", b.max)})
		return b.err
	}
	b.err = b.c.netErr(StepTransfer, b.verb, err)
	if b.err.Kind == KindTransferInterrupted || b.err.Kind == KindNetwork {
		b.err.Err = fmt.Errorf("after %d octets: %w", b.n, err)
	}
	return b.err
}

type limitWriter struct {
	w    io.Writer
	left int64
	over bool
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		l.over = true
		return 0, errTooLarge
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	return n, err
}

// Dele marks message id as deleted (RFC 1939 §5). The server deletes it
// only when the session ends with QUIT answered +OK.
func (c *Client) Dele(ctx context.Context, id int) error {
	_, err := c.simple(ctx, StepCommand, "DELE", "DELE "+strconv.Itoa(id))
	return err
}

// Noop does nothing but keep the session alive.
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.simple(ctx, StepCommand, "NOOP", "NOOP")
	return err
}

// Rset unmarks every message marked as deleted in this session.
func (c *Client) Rset(ctx context.Context) error {
	_, err := c.simple(ctx, StepCommand, "RSET", "RSET")
	return err
}

// Quit ends the session. In the TRANSACTION state the server then deletes
// the messages marked with DELE (the UPDATE state, RFC 1939 §6), and Quit
// returns nil only when it answered +OK: only then have the deletions
// happened. A -ERR is KindUpdateFailed. Any other error means the outcome
// is unknown: the server may or may not have deleted them, so the caller
// must not count them as done, and must expect them possibly gone next time.
// The connection is closed in every case.
func (c *Client) Quit(ctx context.Context) (err error) {
	end, err := c.begin(ctx, StepCommand, "QUIT")
	if err != nil {
		return err
	}
	defer func() {
		end(&err)
		// The server closes its side after QUIT; how our close goes does
		// not change what the server did.
		_ = c.Close()
	}()
	r, err := c.cmd(StepCommand, "QUIT", "QUIT")
	if err != nil {
		return err
	}
	if !r.ok {
		e := c.replyErr(StepCommand, "QUIT", r)
		if c.authorized {
			e.Kind = KindUpdateFailed
		}
		return e
	}
	return nil
}

// Close closes the connection without QUIT: the server discards every
// deletion marked in this session (RFC 1939 §6).
func (c *Client) Close() error {
	if c.broken == nil {
		c.broken = &Error{Kind: KindClosed, Step: StepCommand, Host: c.host, Err: errors.New("client closed")}
	}
	c.dc.Abort(errAborted)
	// Close the TCP connection itself: a TLS close_notify is not needed to
	// end a POP3 session, and writing one could block or fail.
	err := c.dc.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
