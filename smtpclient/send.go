package smtpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Result is what a successful Send learnt.
type Result struct {
	// Reply is the server's reply to the final ".", usually naming the
	// queue ID ("2.0.0 Ok: queued as 4Xyz"): worth logging.
	Reply string
	Capabilities
}

// auth authenticates when Options has a user name (RFC 4954).
func (s *session) auth() error {
	if s.o.Username == "" {
		return nil
	}
	if len(s.caps.AuthMechanisms) == 0 {
		if s.caps.TLS == nil {
			// Most submission servers offer AUTH only once the connection
			// is encrypted; say so rather than "no AUTH".
			if ok, _ := s.c.Extension("STARTTLS"); ok {
				return &Error{Kind: KindEncryptionRequired, Step: StepAuth, Host: s.host}
			}
		}
		return &Error{Kind: KindAuthNotOffered, Step: StepAuth, Host: s.host}
	}
	mech, err := s.mechanism()
	if err != nil {
		return err
	}
	if err := s.c.Auth(mech); err != nil {
		return s.fail(StepAuth, err)
	}
	name, _, _ := mech.Start()
	s.caps.Auth = name
	return nil
}

// mechanism picks PLAIN or LOGIN for a password, OAUTHBEARER or XOAUTH2
// for a token, among those offered.
func (s *session) mechanism() (sasl.Client, error) {
	offered := func(name string) bool {
		for _, m := range s.caps.AuthMechanisms {
			if m == name {
				return true
			}
		}
		return false
	}
	u := s.o.Username
	switch {
	case s.o.Token != "" && offered("OAUTHBEARER"):
		return OAuthBearerAuth(u, s.o.Token, s.host, 0), nil
	case s.o.Token != "" && offered("XOAUTH2"):
		return XOAuth2Auth(u, s.o.Token), nil
	case s.o.Token != "":
	case offered("PLAIN"):
		return PlainAuth(u, s.o.Password), nil
	case offered("LOGIN"):
		return LoginAuth(u, s.o.Password), nil
	case offered("XOAUTH2") || offered("OAUTHBEARER"):
		return nil, &Error{Kind: KindOAuthRequired, Step: StepAuth, Host: s.host,
			Err: fmt.Errorf("the server offers only %s", strings.Join(s.caps.AuthMechanisms, " "))}
	}
	return nil, &Error{Kind: KindUnsupported, Step: StepAuth, Host: s.host,
		Err: fmt.Errorf("no usable SASL mechanism among %s", strings.Join(s.caps.AuthMechanisms, " "))}
}

// Probe connects as Send would (TLS, EHLO, AUTH), says QUIT and returns
// what the server offers, for a connection test and for building a message
// the server will take (its SIZE, SMTPUTF8, 8BITMIME).
func Probe(ctx context.Context, addr string, opts *Options) (Capabilities, error) {
	s, err := open(ctx, addr, opts.withDefaults())
	if err != nil {
		return Capabilities{}, err
	}
	caps := s.caps
	s.close()
	s.stop()
	return caps, nil
}

// Send submits one message: the envelope sender from, the recipients rcpts
// (every To, Cc and Bcc address), and body, the message's bytes with CRLF
// line ends, streamed as they are read (a bare LF goes out as CRLF). It
// says QUIT and closes the connection before returning.
//
// The size is checked against the server's SIZE before MAIL when body
// tells its size (a *bytes.Reader, *strings.Reader, *io.SectionReader,
// *bytes.Buffer or *os.File), and while streaming otherwise: a message
// that grows past it is abandoned before the final ".", so the server
// drops it. Either way the error is KindMessageTooLarge with Error.Limit.
//
// If any recipient is refused, nothing is sent: the transaction stops
// before DATA (as Thunderbird does) and the error, at StepRcpt, lists
// every refused address in Error.Refused; its Kind is the first permanent
// refusal's, or KindTempFailure when all were temporary.
//
// Every failure is an *Error. Error.Temporary says whether the outbox may
// try again later; KindMaybeSent says that the connection was lost after
// the final "." was sent, so the server may have accepted the message.
func Send(ctx context.Context, addr string, opts *Options, from string, rcpts []string, body io.Reader) (res Result, err error) {
	o := opts.withDefaults()
	if err := checkEnvelope(from, rcpts); err != nil {
		return Result{}, err
	}
	size, sized := sizeOf(body)
	s, err := open(ctx, addr, o)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		err = s.finish(err)
		s.close()
	}()
	limit := s.caps.MaxSize
	if sized && limit > 0 && size > limit {
		return Result{}, &Error{Kind: KindMessageTooLarge, Step: StepMail, Host: s.host, Limit: limit,
			Err: fmt.Errorf("the message has %d bytes", size)}
	}
	utf8 := o.SMTPUTF8 || !isASCII(from)
	for _, r := range rcpts {
		utf8 = utf8 || !isASCII(r)
	}
	if utf8 && !s.caps.SMTPUTF8 {
		return Result{}, &Error{Kind: KindSMTPUTF8, Step: StepMail, Host: s.host}
	}
	mo := &smtp.MailOptions{UTF8: utf8}
	if sized {
		mo.Size = size
	}
	if err := s.c.Mail(from, mo); err != nil {
		return Result{}, s.fail(StepMail, err)
	}
	if err := s.rcpts(rcpts); err != nil {
		return Result{}, err
	}
	reply, err := s.data(body, limit)
	if err != nil {
		return Result{}, err
	}
	return Result{Reply: reply, Capabilities: s.caps}, nil
}

// rcpts sends every RCPT TO, collecting the refusals.
func (s *session) rcpts(rcpts []string) error {
	var refused []Refusal
	var first *Error
	for _, r := range rcpts {
		err := s.c.Rcpt(r, nil)
		if err == nil {
			continue
		}
		e := s.fail(StepRcpt, err)
		if e.Code == 0 {
			return e // the connection, not the server's answer
		}
		refused = append(refused, Refusal{Address: r, Code: e.Code, EnhancedCode: e.EnhancedCode, ServerText: e.ServerText, Kind: e.Kind})
		if first == nil || first.Code < 500 && e.Code >= 500 {
			first = e
		}
	}
	if first == nil {
		return nil
	}
	first.Refused = refused
	return first
}

// data sends DATA, the message and the final ".", and returns the reply.
func (s *session) data(body io.Reader, limit int64) (string, error) {
	wc, err := s.c.Data()
	if err != nil {
		return "", s.fail(StepData, err)
	}
	s.w.body = true
	src := &countingReader{r: body, limit: limit}
	if _, err := io.Copy(wc, src); err != nil {
		// No "." has gone out: dropping the connection makes the server
		// forget the message (RFC 5321 §4.1.1.4), so it was not sent.
		s.quits = false
		s.dc.Abort(errAborted)
		switch {
		case src.over:
			return "", &Error{Kind: KindMessageTooLarge, Step: StepData, Host: s.host, Limit: limit,
				Err: fmt.Errorf("the message grew past %d bytes", limit)}
		case src.err != nil:
			return "", &Error{Kind: KindInvalidInput, Step: StepData, Host: s.host,
				Err: fmt.Errorf("reading the message: %w", src.err)}
		}
		return "", s.bodyErr(err)
	}
	if s.o.BeforeDot != nil {
		if err := s.o.BeforeDot(); err != nil {
			s.quits = false
			s.dc.Abort(errAborted)
			return "", &Error{Kind: KindCanceled, Step: StepData, Host: s.host,
				Err: fmt.Errorf("before the final \".\": %w", err)}
		}
	}
	s.dc.SetTimeout(s.o.DataTimeout)
	s.w.armed = true
	resp, err := wc.CloseWithResponse()
	s.dc.SetTimeout(s.o.Timeout)
	if err == nil {
		return printable([]byte(resp.StatusText)), nil
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return "", s.fail(StepDot, err)
	}
	s.quits = false
	if s.w.armedErr == nil && s.w.armedWrites > 0 {
		// Every byte up to the final "." was handed to the network; the
		// reply never came. The server may have taken the message.
		return "", &Error{Kind: KindMaybeSent, Step: StepDot, Host: s.host, Err: err}
	}
	return "", s.bodyErr(err)
}

// bodyErr names a failure to write the message: it did not arrive whole.
func (s *session) bodyErr(err error) *Error {
	e := s.netErr(StepData, err)
	if e.Kind == KindNetwork {
		e.Kind = KindInterrupted
	}
	return e
}

// countingReader stops a message that grows past limit (when limit > 0),
// and keeps the reader's own error apart from the connection's.
type countingReader struct {
	r     io.Reader
	limit int64
	n     int64
	over  bool
	err   error
}

var errTooLarge = errors.New("message too large")

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		c.over = true
		return 0, errTooLarge
	}
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// sizeOf returns the length of a body that knows it, without reading it.
func sizeOf(r io.Reader) (int64, bool) {
	switch b := r.(type) {
	case interface{ Len() int }: // *bytes.Reader, *strings.Reader, *bytes.Buffer: what is unread
		return int64(b.Len()), true
	case *io.SectionReader:
		return b.Size(), true
	case *os.File:
		fi, err := b.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return 0, false
		}
		off, err := b.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		return fi.Size() - off, true
	}
	return 0, false
}

// checkEnvelope refuses addresses that cannot go on a MAIL or RCPT line.
func checkEnvelope(from string, rcpts []string) error {
	bad := func(a string) bool {
		return strings.ContainsAny(a, "<>\r\n\x00 \t") || len(a) > 320
	}
	if bad(from) {
		return &Error{Kind: KindInvalidInput, Step: StepMail, Err: fmt.Errorf("sender address %q is not usable", from)}
	}
	if len(rcpts) == 0 {
		return &Error{Kind: KindInvalidInput, Step: StepRcpt, Err: errors.New("no recipients")}
	}
	for _, r := range rcpts {
		if r == "" || bad(r) || !strings.Contains(r, "@") {
			return &Error{Kind: KindInvalidInput, Step: StepRcpt, Err: fmt.Errorf("recipient address %q is not usable", r)}
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
