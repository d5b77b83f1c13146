package pop3client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Kind says what went wrong, in terms a person can act on. The values are
// stable strings: they may be stored and used as translation keys.
type Kind string

// The kinds of failure. Each is detected from what Go really reports (see
// classifyNetErr, classifyTLSErr) or from the server's reply and its RFC 2449 /
// RFC 3206 response code (see classifyReply).
const (
	KindHostNotFound         Kind = "host-not-found"         // the name does not exist in DNS
	KindDNSTemporary         Kind = "dns-temporary"          // DNS did not answer or failed for now
	KindConnectionRefused    Kind = "connection-refused"     // nothing listens on that port
	KindUnreachable          Kind = "network-unreachable"    // no route to the host or network
	KindTimeout              Kind = "timeout"                // no answer in time: a firewall dropping packets, or the wrong port
	KindNetwork              Kind = "network-error"          // another network failure while connecting
	KindAddressNotAllowed    Kind = "address-not-allowed"    // the Dialer refused the address by policy (see classifyNetErr)
	KindClosedBeforeGreeting Kind = "closed-before-greeting" // the server closed the connection without a greeting
	KindNotPOP3              Kind = "not-pop3"               // the port speaks another protocol (IMAP, SMTP, HTTP…); see Error.Service
	KindTLSOnPlainPort       Kind = "tls-on-plain-port"      // SSL/TLS chosen, but the port speaks plain POP3 (try STARTTLS or port 995)
	KindPlainOnTLSPort       Kind = "plain-on-tls-port"      // plain or STARTTLS chosen, but the port expects TLS at once (choose SSL/TLS)
	KindUnknownAuthority     Kind = "certificate-unknown-authority"
	KindCertificateName      Kind = "certificate-name-mismatch"
	KindCertificateExpired   Kind = "certificate-expired"
	KindCertificateInvalid   Kind = "certificate-invalid" // not yet valid, or unusable for another reason
	KindTLSVersion           Kind = "tls-version-too-old" // the server only offers TLS older than 1.2
	KindTLSHandshake         Kind = "tls-handshake-failed"
	KindSTLSNotOffered       Kind = "stls-not-offered"
	KindAuthFailed           Kind = "auth-failed"         // user name or password rejected
	KindOAuthRequired        Kind = "oauth-required"      // the server only accepts OAuth tokens, not passwords
	KindEncryptionRequired   Kind = "encryption-required" // the server refuses passwords on an unencrypted connection
	KindPOPDisabled          Kind = "pop-disabled"        // [SYS/PERM]: POP access is disabled for this account
	KindTempFailure          Kind = "temporary-failure"   // [SYS/TEMP]: try again later
	KindInUse                Kind = "mailbox-in-use"      // [IN-USE]: another program holds the mailbox
	KindLoginDelay           Kind = "login-delay"         // [LOGIN-DELAY]: logged in again too soon
	KindTransferInterrupted  Kind = "transfer-interrupted"
	KindMessageTooLarge      Kind = "message-too-large"
	KindProtocol             Kind = "protocol-violation"
	KindServerError          Kind = "server-error"  // -ERR to a command, with no finer cause
	KindUpdateFailed         Kind = "update-failed" // -ERR to QUIT: the session's deletions did not happen
	KindUnsupported          Kind = "unsupported"   // the server lacks what the call needs (APOP timestamp, a SASL mechanism)
	KindCanceled             Kind = "canceled"      // the caller's context ended
	KindClosed               Kind = "client-closed" // the client was closed or broken by an earlier failure
	KindInvalidInput         Kind = "invalid-input" // the caller passed something unusable (an address without a port, a line break in a user name)
)

// Step names the stage of a session at which a failure happened.
type Step string

// The steps of a session, in order.
const (
	StepResolve  Step = "resolve"
	StepConnect  Step = "connect"
	StepTLS      Step = "tls"
	StepGreeting Step = "greeting"
	StepSTLS     Step = "stls"
	StepAuth     Step = "auth"
	StepCommand  Step = "command"
	StepTransfer Step = "transfer"
)

// CertInfo describes a certificate a server presented, for showing it to a
// person and for pinning it by fingerprint.
type CertInfo struct {
	Subject            string
	Issuer             string
	IssuerCommonName   string
	IssuerOrganization string
	DNSNames           []string
	IPAddresses        []string
	NotBefore          time.Time
	NotAfter           time.Time
	SelfSigned         bool
	SHA256             string // hex SHA-256 of the DER certificate, lower case, no separators
}

// NewCertInfo describes cert.
func NewCertInfo(cert *x509.Certificate) *CertInfo {
	if cert == nil {
		return nil
	}
	sum := sha256.Sum256(cert.Raw)
	info := &CertInfo{
		Subject:          cert.Subject.String(),
		Issuer:           cert.Issuer.String(),
		IssuerCommonName: cert.Issuer.CommonName,
		DNSNames:         append([]string(nil), cert.DNSNames...),
		NotBefore:        cert.NotBefore,
		NotAfter:         cert.NotAfter,
		SHA256:           hex.EncodeToString(sum[:]),
		// Not CheckSignatureFrom: it also demands that the "parent" be a CA,
		// which most self-signed server certificates are not.
		SelfSigned: bytes.Equal(cert.RawIssuer, cert.RawSubject) &&
			cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) == nil,
	}
	if len(cert.Issuer.Organization) > 0 {
		info.IssuerOrganization = cert.Issuer.Organization[0]
	}
	for _, ip := range cert.IPAddresses {
		info.IPAddresses = append(info.IPAddresses, ip.String())
	}
	if len(info.DNSNames) == 0 && cert.Subject.CommonName != "" {
		info.DNSNames = []string{cert.Subject.CommonName}
	}
	return info
}

// Error is every failure this package returns from a server interaction.
// Callers switch on Kind; Step, Code and ServerText give the detail.
// ServerText only ever comes from a server that greeted with +OK (or is the
// first bytes of such a greeting, for KindTLSOnPlainPort), so that another
// service's banner on a mistaken port is never passed on.
type Error struct {
	Kind       Kind
	Step       Step
	Command    string    // the command verb that failed (never its arguments)
	Code       string    // the response code the server gave, e.g. "AUTH", "SYS/TEMP", "IN-USE"
	ServerText string    // the server's own words (after the response code), or the line it sent: only after a +OK greeting
	Host       string    // the host name the client was connecting to
	Service    string    // for KindNotPOP3: the protocol the port seems to speak ("IMAP", "SMTP", "HTTP", "FTP", "SSH")
	Cert       *CertInfo // for certificate failures: the certificate the server presented
	Err        error     // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pop3: ")
	b.WriteString(string(e.Step))
	if e.Command != "" {
		b.WriteString(" ")
		b.WriteString(e.Command)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	if e.Code != "" {
		fmt.Fprintf(&b, " [%s]", e.Code)
	}
	if e.ServerText != "" {
		fmt.Fprintf(&b, ": server said %q", e.ServerText)
	}
	if e.Service != "" {
		fmt.Fprintf(&b, ": looks like %s", e.Service)
	}
	if e.Cert != nil {
		fmt.Fprintf(&b, ": certificate %q issued by %q", e.Cert.Subject, e.Cert.Issuer)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or "" if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// Temporary reports whether trying again later, unchanged, may succeed. It is
// false for failures that need the user to change something (a password, a
// port, a setting at the provider).
func Temporary(err error) bool {
	switch KindOf(err) {
	case KindDNSTemporary, KindTimeout, KindNetwork, KindUnreachable, KindClosedBeforeGreeting,
		KindTempFailure, KindInUse, KindLoginDelay, KindTransferInterrupted, KindUpdateFailed:
		return true
	}
	return false
}

// notAllowed is an error a Dialer returns (or wraps) to refuse an address
// by policy, e.g. a server on the operator's own network
// (internal/netguard's *Error).
type notAllowed interface{ AddressNotAllowed() bool }

// classifyNetErr maps an error from resolving, dialing, reading or writing to
// a Kind. It does not know about TLS or the protocol.
func classifyNetErr(err error) Kind {
	var dnsErr *net.DNSError
	var refused notAllowed
	switch {
	case err == nil:
		return ""
	case errors.As(err, &refused) && refused.AddressNotAllowed():
		return KindAddressNotAllowed
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return KindHostNotFound
		}
		return KindDNSTemporary
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindConnectionRefused
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return KindUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return KindTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNABORTED):
		return KindTransferInterrupted
	}
	return KindNetwork
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// certError carries the certificate that failed verification, because the
// x509 error types do not all hold it.
type certError struct {
	cert *x509.Certificate
	err  error
}

func (e *certError) Error() string { return e.err.Error() }
func (e *certError) Unwrap() error { return e.err }

// classifyTLSErr fills in e.Kind (and e.Cert) for a failed TLS handshake.
func classifyTLSErr(e *Error, err error) {
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) {
		e.Kind, e.Cert = ClassifyTLSError(err)
		return
	}
	// The first five bytes were not a TLS record header. A POP3 greeting
	// ("+OK …") there means the port speaks plain POP3.
	hdr := string(rh.RecordHeader[:])
	// Only a POP3 server's bytes are passed on, never another service's.
	if svc := sniffService(hdr); svc == "POP3" {
		e.Kind = KindTLSOnPlainPort
		e.ServerText = strings.ToValidUTF8(strings.TrimRight(hdr, "\r\n\x00"), "?")
	} else if svc != "" {
		e.Kind, e.Service = KindNotPOP3, svc
	} else {
		e.Kind = KindTLSHandshake
	}
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
		// SMTP and FTP greet alike; the text usually names the service.
		if strings.Contains(u, "FTP") {
			return "FTP"
		}
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
