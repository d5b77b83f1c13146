package smtpclient

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"time"

	"github.com/apartado/apartado/pop3client"
)

// Security is how a connection is protected: pop3client's values, one type
// for both protocols.
type Security = pop3client.Security

// The security modes.
const (
	// SecurityTLS is implicit TLS from the first byte (RFC 8314 §3.3, port 465). The default.
	SecurityTLS = pop3client.SecurityTLS
	// SecuritySTARTTLS connects in plain text and upgrades with STARTTLS
	// (RFC 3207, port 587). It fails when STARTTLS is not offered: it never
	// falls back to plain text.
	SecuritySTARTTLS = pop3client.SecuritySTARTTLS
	// SecurityNone sends everything, the password included, in plain text.
	// Only when the user explicitly chose it.
	SecurityNone = pop3client.SecurityNone
)

// DefaultPort is the submission port for a security mode: 465 for
// implicit TLS (RFC 8314), 587 otherwise (RFC 6409).
func DefaultPort(s Security) int {
	if s == SecurityTLS {
		return 465
	}
	return 587
}

// Resolver looks up a host's addresses; *net.Resolver satisfies it.
type Resolver = pop3client.Resolver

// Dialer opens a connection; *net.Dialer and internal/netguard's dialer
// satisfy it.
type Dialer = pop3client.Dialer

// Options configures a submission. The zero value (or a nil *Options)
// means implicit TLS, certificates checked against the system's roots, no
// authentication, and the default timeouts.
type Options struct {
	Security Security

	// TLSConfig is a base TLS configuration; it is cloned. ServerName
	// defaults to the host dialed, MinVersion is at least TLS 1.2, and
	// InsecureSkipVerify is ignored: see ExtraRootCAs and TrustedFingerprints.
	TLSConfig *tls.Config
	// ExtraRootCAs are trusted in addition to the system roots (or to
	// TLSConfig.RootCAs when set).
	ExtraRootCAs []*x509.Certificate
	// TrustedFingerprints are SHA-256 fingerprints (hex, any case, ":"
	// allowed) of certificates to accept whatever their issuer, name or
	// dates, as pop3client does.
	TrustedFingerprints []string

	// Username, with Password or Token, authenticates the session (RFC
	// 4954). With a Password: PLAIN when offered, else LOGIN. With a Token
	// (OAuth 2 bearer, issue 11): OAUTHBEARER when offered, else XOAUTH2.
	// An empty Username sends no AUTH.
	Username string
	Password string
	Token    string

	// LocalName is the name given in EHLO. By default it is the address
	// literal of the connection's own end, "[192.0.2.1]" or "[IPv6:…]"
	// (RFC 5321 §4.1.3), which every server accepts and which tells
	// nothing about the machine, as Thunderbird does.
	LocalName string

	// SMTPUTF8 declares SMTPUTF8 on MAIL (RFC 6531) for a message whose
	// header fields carry UTF-8 (RFC 6532). It is declared anyway when an
	// envelope address is not ASCII. Send fails with KindSMTPUTF8 when the
	// server does not offer it.
	SMTPUTF8 bool

	// Timeout bounds every single read and write (an idle timeout, not a
	// limit on the whole session). Default 60 seconds.
	Timeout time.Duration
	// ConnectTimeout bounds each TCP connection attempt. Default 30 seconds.
	ConnectTimeout time.Duration
	// DataTimeout bounds the wait for the server's verdict after the final
	// ".", when servers scan the message. Default 10 minutes (RFC 5321
	// §4.5.3.2.6). A timeout there is KindMaybeSent.
	DataTimeout time.Duration

	Resolver Resolver // default net.DefaultResolver
	Dialer   Dialer   // default a *net.Dialer

	// Trace, if set, receives a protocol trace, one line per command or
	// reply, with AUTH's secrets and the message's bytes left out.
	Trace io.Writer

	// Offered, if set, is called once per session when the server has
	// answered EHLO (after STARTTLS, when used), with what it offers,
	// before signing in: a caller learns the server's SIZE and SMTPUTF8
	// even from a session that fails afterwards, to keep them current.
	Offered func(Capabilities)

	// BeforeDot, if set, is called once, after the whole message was
	// handed to the connection and right before the final "." is written:
	// until it returns, the server cannot have accepted the message. An
	// outbox records there, durably, that the message may from now on be
	// delivered. If it returns an error the "." is not written, the
	// connection is dropped so the server forgets the message, and Send
	// fails with KindCanceled at StepData, wrapping that error.
	BeforeDot func() error
}

const (
	defaultTimeout        = 60 * time.Second
	defaultConnectTimeout = 30 * time.Second
	defaultDataTimeout    = 10 * time.Minute
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
	if opts.DataTimeout <= 0 {
		opts.DataTimeout = defaultDataTimeout
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.Dialer == nil {
		opts.Dialer = &net.Dialer{}
	}
	return opts
}
