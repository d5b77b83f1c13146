package smtpclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/apartado/apartado/internal/idleconn"
	"github.com/apartado/apartado/pop3client"
)

// Capabilities is what the server offered after EHLO (after STARTTLS, when
// used), for the caller to build the message accordingly.
type Capabilities struct {
	TLS            *tls.ConnectionState // nil on a plain-text session
	MaxSize        int64                // RFC 1870 SIZE; 0 when none was advertised or it is unlimited
	SMTPUTF8       bool                 // RFC 6531: UTF-8 addresses and header fields (RFC 6532) may be sent
	EightBitMIME   bool                 // RFC 6152: 8-bit bodies may be sent as they are
	AuthMechanisms []string             // what AUTH offered, upper case
	Auth           string               // the mechanism this session authenticated with, "" if none
}

// session is one connection, up to an authenticated go-smtp client.
type session struct {
	o     Options
	host  string
	dc    *deadlineConn
	w     *wire
	tr    *tracer
	c     *smtp.Client
	caps  Capabilities
	stop  func() bool // ends the context watch; reports whether the context ended
	quits bool        // QUIT may still be sent
}

// open connects, does TLS or STARTTLS, reads the greeting, says EHLO and
// authenticates when Options has credentials. On failure the connection
// is closed.
func open(ctx context.Context, addr string, o Options) (_ *session, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &Error{Kind: KindInvalidInput, Step: StepResolve, Err: err}
	}
	if o.LocalName != "" && !validLocalName(o.LocalName) {
		return nil, &Error{Kind: KindInvalidInput, Step: StepHello, Err: fmt.Errorf("EHLO name %q is not a domain or an address literal", o.LocalName)}
	}
	conn, err := connect(ctx, host, port, o)
	if err != nil {
		return nil, err
	}
	dc := idleconn.New(conn, o.Timeout)
	s := &session{o: o, host: host, dc: dc, tr: &tracer{w: o.Trace}}
	s.stop = dc.Watch(ctx)
	defer func() {
		if err != nil {
			err = s.finish(err)
			s.close()
		}
	}()
	var greeting []byte
	if o.Security == SecurityTLS {
		tc, err := s.handshake(ctx)
		if err != nil {
			return nil, err
		}
		s.w = &wire{Conn: tc, tr: s.tr}
	} else {
		s.w = &wire{Conn: dc, tr: s.tr}
	}
	br := bufio.NewReader(s.w)
	if greeting, err = s.readGreeting(ctx, br); err != nil {
		return nil, err
	}
	if o.Security == SecuritySTARTTLS {
		if br, err = s.starttls(ctx, br); err != nil {
			return nil, err
		}
		// go-smtp reads a greeting first; the server greeted before TLS.
		greeting = []byte("220 " + host + " after STARTTLS\r\n")
	}
	s.c = smtp.NewClient(&replayConn{Conn: s.w, r: ioMulti(greeting, br)})
	s.c.CommandTimeout, s.c.SubmissionTimeout = o.Timeout, o.DataTimeout
	s.quits = true
	if err := s.c.Hello(s.localName()); err != nil {
		return nil, s.fail(StepHello, err)
	}
	s.readCaps()
	if o.Offered != nil {
		o.Offered(s.caps)
	}
	if err := s.auth(); err != nil {
		return nil, err
	}
	return s, nil
}

func ioMulti(b []byte, r *bufio.Reader) *multiReader { return &multiReader{b: b, r: r} }

// multiReader reads b, then r.
type multiReader struct {
	b []byte
	r *bufio.Reader
}

func (m *multiReader) Read(p []byte) (int, error) {
	if len(m.b) > 0 {
		n := copy(p, m.b)
		m.b = m.b[n:]
		return n, nil
	}
	return m.r.Read(p)
}

// connect resolves host and dials each address in turn, reporting the most
// telling failure (a refusal says more than an unreachable IPv6 route).
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
			k := pop3client.ClassifyNetError(err)
			if k != KindCanceled && k != KindHostNotFound {
				k = KindDNSTemporary
			}
			return nil, &Error{Kind: k, Step: StepResolve, Host: host, Err: err}
		}
	}
	rank := map[Kind]int{KindConnectionRefused: 4, KindTimeout: 3, KindNetwork: 2, KindUnreachable: 1}
	var best *Error
	for _, a := range addrs {
		dctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
		conn, err := o.Dialer.DialContext(dctx, "tcp", net.JoinHostPort(a.String(), port))
		cancel()
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, &Error{Kind: KindCanceled, Step: StepConnect, Host: host, Err: ctx.Err()}
		}
		k := pop3client.ClassifyNetError(err)
		if k == KindCanceled || k == KindInterrupted {
			k = KindNetwork
		}
		if best == nil || rank[k] > rank[best.Kind] {
			best = &Error{Kind: k, Step: StepConnect, Host: host, Err: err}
		}
	}
	return nil, best
}

// handshake starts TLS on the TCP connection (implicit TLS, or after
// STARTTLS), with pop3client's certificate checks and pinning.
func (s *session) handshake(ctx context.Context) (*tls.Conn, error) {
	cfg := pop3client.VerifyingTLSConfig(s.o.TLSConfig, s.host, s.o.ExtraRootCAs, s.o.TrustedFingerprints)
	tc := tls.Client(s.dc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		e := &Error{Step: StepTLS, Host: s.host, Err: err}
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) {
			// The first bytes were not TLS: an SMTP greeting there means a
			// plain port. Nothing of another service's banner is kept.
			switch svc := sniffService(string(rh.RecordHeader[:])); svc {
			case "SMTP":
				e.Kind = KindTLSOnPlainPort
			case "":
				e.Kind = KindTLSHandshake
			default:
				e.Kind, e.Service = KindNotSMTP, svc
			}
		} else {
			e.Kind, e.Cert = pop3client.ClassifyTLSError(err)
		}
		return nil, e
	}
	st := tc.ConnectionState()
	s.caps.TLS = &st
	return tc, nil
}

// readGreeting reads the server's greeting (RFC 5321 §4.3.1) and returns
// its bytes for go-smtp to read again.
func (s *session) readGreeting(ctx context.Context, br *bufio.Reader) ([]byte, error) {
	fail := func(k Kind, err error) *Error {
		return &Error{Kind: k, Step: StepGreeting, Host: s.host, Err: err}
	}
	// A TLS server waits for the client to speak first; a few send an alert.
	first, err := br.Peek(1)
	if err == nil && (first[0] == 0x15 || first[0] == 0x16) {
		return nil, fail(KindPlainOnTLSPort, nil)
	}
	var r reply
	if err == nil {
		r, err = readReply(br)
	}
	var bad *badReply
	switch {
	case errors.As(err, &bad):
		// Whatever does not greet with a reply code may be another service
		// on a mistaken port: its words are not kept, only what it seems to be.
		if svc := sniffService(bad.line); svc == "TLS" {
			return nil, fail(KindPlainOnTLSPort, nil)
		} else if svc != "" && svc != "SMTP" {
			e := fail(KindNotSMTP, nil)
			e.Service = svc
			return nil, e
		}
		return nil, fail(KindProtocol, errors.New("the greeting is not an SMTP reply"))
	case err != nil:
		k := pop3client.ClassifyNetError(err)
		switch {
		case k == KindTimeout && s.caps.TLS == nil && br.Buffered() == 0:
			if s.probeTLS(ctx) {
				return nil, fail(KindPlainOnTLSPort, err)
			}
		case k == KindInterrupted:
			k = KindClosedBeforeGreet
		}
		return nil, fail(k, err)
	}
	if r.code != 220 {
		// 554 "no SMTP service here", 421 "try later" (RFC 5321 §3.1).
		return nil, r.err(StepGreeting, s)
	}
	if u := strings.ToUpper(r.text); strings.Contains(u, "FTP") && !strings.Contains(u, "SMTP") && !strings.Contains(u, "MAIL") {
		return nil, &Error{Kind: KindNotSMTP, Step: StepGreeting, Host: s.host, Service: "FTP"}
	}
	return r.raw, nil
}

// probeTLS is called when a plain-text connection got no greeting: a TLS
// server waits for a ClientHello. It sends one and reports whether a TLS
// server answered (with a ServerHello or an alert).
func (s *session) probeTLS(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tc := tls.Client(s.dc, &tls.Config{InsecureSkipVerify: true, ServerName: s.host, MinVersion: tls.VersionTLS10})
	err := tc.HandshakeContext(pctx)
	if err == nil {
		return true
	}
	var rh tls.RecordHeaderError
	var opErr *net.OpError
	return !errors.As(err, &rh) && errors.As(err, &opErr) && opErr.Op == "remote error"
}

// starttls says EHLO, checks that STARTTLS is offered and upgrades the
// connection (RFC 3207). It never falls back to plain text. It is done
// here rather than by go-smtp so that a failed handshake is classified
// like an implicit-TLS one and the trace is written above TLS.
func (s *session) starttls(ctx context.Context, br *bufio.Reader) (*bufio.Reader, error) {
	r, err := s.command(br, StepHello, "EHLO "+s.localName())
	if err != nil {
		return nil, err
	}
	if r.code != 250 {
		if r.code >= 500 {
			// A server that does not know EHLO knows no extension.
			return nil, &Error{Kind: KindSTARTTLSNotOffered, Step: StepSTARTTLS, Host: s.host, Code: r.code, EnhancedCode: r.enhanced, ServerText: r.text}
		}
		return nil, r.err(StepHello, s)
	}
	if !r.hasKeyword("STARTTLS") {
		return nil, &Error{Kind: KindSTARTTLSNotOffered, Step: StepSTARTTLS, Host: s.host}
	}
	if r, err = s.command(br, StepSTARTTLS, "STARTTLS"); err != nil {
		return nil, err
	}
	if r.code != 220 {
		return nil, r.err(StepSTARTTLS, s)
	}
	// RFC 3207 §4.2 / CVE-2011-0411: anything the server sent before the
	// handshake is not protected and must not be taken as a reply after it.
	if n := br.Buffered(); n > 0 {
		s.tr.printf("-- discarded %d bytes the server sent before the TLS handshake", n)
	}
	tc, err := s.handshake(ctx)
	if err != nil {
		return nil, err
	}
	s.w = &wire{Conn: tc, tr: s.tr}
	return bufio.NewReader(s.w), nil
}

// command sends one line and reads the reply, before go-smtp takes over.
func (s *session) command(br *bufio.Reader, step Step, line string) (reply, error) {
	if _, err := s.w.Write([]byte(line + "\r\n")); err != nil {
		return reply{}, s.netErr(step, err)
	}
	r, err := readReply(br)
	var bad *badReply
	if errors.As(err, &bad) {
		return reply{}, &Error{Kind: KindProtocol, Step: step, Host: s.host, Err: err}
	} else if err != nil {
		return reply{}, s.netErr(step, err)
	}
	return r, nil
}

func (s *session) localName() string {
	if s.o.LocalName != "" {
		return s.o.LocalName
	}
	if a, ok := s.dc.LocalAddr().(*net.TCPAddr); ok {
		if ip4 := a.IP.To4(); ip4 != nil {
			return "[" + ip4.String() + "]"
		}
		return "[IPv6:" + a.IP.String() + "]"
	}
	return "localhost"
}

// validLocalName accepts a domain name or an address literal, nothing that
// could break the EHLO line.
func validLocalName(s string) bool {
	if len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func (s *session) readCaps() {
	if n, ok := s.c.MaxMessageSize(); ok {
		s.caps.MaxSize = int64(n)
	}
	s.caps.SMTPUTF8, _ = s.c.Extension("SMTPUTF8")
	s.caps.EightBitMIME, _ = s.c.Extension("8BITMIME")
	if ok, mechs := s.c.Extension("AUTH"); ok {
		s.caps.AuthMechanisms = strings.Fields(strings.ToUpper(mechs))
	}
}

// fail turns an error from go-smtp into an *Error at step.
func (s *session) fail(step Step, err error) *Error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e := &Error{Step: step, Host: s.host, Code: se.Code, ServerText: printable([]byte(se.Message))}
		if c := se.EnhancedCode; c[0] > 0 {
			e.EnhancedCode = fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
		}
		e.Kind = classifyReply(step, se.Code, e.EnhancedCode, se.Message, s.caps.TLS != nil)
		if e.Kind == KindMessageTooLarge {
			e.Limit = s.caps.MaxSize
		}
		return e
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		s.quits = false
		return &Error{Kind: KindProtocol, Step: step, Host: s.host, Err: err}
	}
	return s.netErr(step, err)
}

func (s *session) netErr(step Step, err error) *Error {
	s.quits = false
	return &Error{Kind: pop3client.ClassifyNetError(err), Step: step, Host: s.host, Err: err}
}

// finish ends the context watch and names a failure caused by the
// context's end as KindCanceled, except KindMaybeSent, which stays.
func (s *session) finish(err error) error {
	ended := s.stop()
	var e *Error
	if !ended || err == nil || !errors.As(err, &e) || e.Kind == KindMaybeSent || e.Kind == KindCanceled {
		return err
	}
	return &Error{Kind: KindCanceled, Step: e.Step, Host: e.Host, Err: err}
}

// close says QUIT when the session is in a state to, and closes the connection.
func (s *session) close() {
	if s.quits && s.c != nil {
		s.quits = false
		if err := s.c.Quit(); err == nil {
			return
		}
	}
	s.dc.Abort(errAborted)
	_ = s.dc.Conn.Close()
}

// ---- replies read before go-smtp takes over ----

// reply is a complete SMTP reply (RFC 5321 §4.2).
type reply struct {
	code     int
	enhanced string
	text     string   // the first line's text, after the enhanced code
	lines    []string // every line's text
	raw      []byte
}

type badReply struct{ line string }

func (e *badReply) Error() string { return "not an SMTP reply line" }

const maxReplyLines = 100

// readReply reads one reply, multi-line or not.
func readReply(br *bufio.Reader) (reply, error) {
	var r reply
	for n := 0; n < maxReplyLines; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return r, &badReply{line: string(line)}
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return r, err
		}
		r.raw = append(r.raw, line...)
		code, more, text, ok := parseReplyLine(strings.TrimRight(string(line), "\r\n"))
		if !ok || (n > 0 && code != r.code) {
			return r, &badReply{line: string(line)}
		}
		if n == 0 {
			r.code = code
			r.enhanced, r.text = splitEnhanced(code, text)
		}
		r.lines = append(r.lines, text)
		if !more {
			return r, nil
		}
	}
	return r, &badReply{line: "too many lines"}
}

// parseReplyLine splits "250-SIZE 100" into 250, true (more lines follow), "SIZE 100".
func parseReplyLine(line string) (code int, more bool, text string, ok bool) {
	if len(line) < 3 {
		return 0, false, "", false
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || line[0] < '2' || line[0] > '5' {
		return 0, false, "", false
	}
	switch {
	case len(line) == 3:
		return code, false, "", true
	case line[3] == ' ':
		return code, false, line[4:], true
	case line[3] == '-':
		return code, true, line[4:], true
	}
	return 0, false, "", false
}

// splitEnhanced takes an RFC 2034 enhanced status code ("5.7.8") off the
// front of a reply's text when its class matches the reply code's.
func splitEnhanced(code int, text string) (enhanced, rest string) {
	first, rest, _ := strings.Cut(text, " ")
	parts := strings.Split(first, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0][0]-'0' != byte(code/100) {
		return "", text
	}
	for _, p := range parts[1:] {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 999 || len(p) > 3 {
			return "", text
		}
	}
	return first, rest
}

func (r reply) hasKeyword(kw string) bool {
	for _, l := range r.lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], kw) {
			return true
		}
	}
	return false
}

func (r reply) err(step Step, s *session) *Error {
	return &Error{Kind: classifyReply(step, r.code, r.enhanced, r.text, s.caps.TLS != nil), Step: step, Host: s.host,
		Code: r.code, EnhancedCode: r.enhanced, ServerText: printable([]byte(r.text))}
}

// sniffService guesses the protocol from the first bytes a server sent.
func sniffService(s string) string {
	u := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(u, "+OK"), strings.HasPrefix(u, "-ERR"):
		return "POP3"
	case strings.HasPrefix(u, "* OK"), strings.HasPrefix(u, "* PREAUTH"), strings.HasPrefix(u, "* BYE"):
		return "IMAP"
	case strings.HasPrefix(u, "220"), strings.HasPrefix(u, "421"), strings.HasPrefix(u, "554"):
		return "SMTP"
	case strings.HasPrefix(u, "HTTP/"), strings.HasPrefix(u, "<!DOC"), strings.HasPrefix(u, "<HTML"):
		return "HTTP"
	case strings.HasPrefix(u, "SSH-"):
		return "SSH"
	case len(s) >= 3 && (s[0] == 0x15 || s[0] == 0x16) && s[1] == 0x03 && s[2] <= 0x04:
		return "TLS"
	}
	return ""
}
