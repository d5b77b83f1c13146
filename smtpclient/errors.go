package smtpclient

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apartado/apartado/pop3client"
)

// Kind says what went wrong, in terms a person can act on. It is
// pop3client's Kind: the failures both protocols share (a name that does
// not resolve, a refused or silent port, every certificate problem, a
// rejected password) have one name, so that one diagnosis explains both;
// the kinds below are SMTP's own.
type Kind = pop3client.Kind

// The kinds shared with pop3client that this package returns.
const (
	KindHostNotFound       = pop3client.KindHostNotFound
	KindDNSTemporary       = pop3client.KindDNSTemporary
	KindConnectionRefused  = pop3client.KindConnectionRefused
	KindUnreachable        = pop3client.KindUnreachable
	KindTimeout            = pop3client.KindTimeout // no answer: often an ISP or a firewall blocking the port
	KindNetwork            = pop3client.KindNetwork
	KindAddressNotAllowed  = pop3client.KindAddressNotAllowed
	KindClosedBeforeGreet  = pop3client.KindClosedBeforeGreeting
	KindTLSOnPlainPort     = pop3client.KindTLSOnPlainPort // SSL/TLS chosen, the port speaks plain SMTP (try STARTTLS or 587)
	KindPlainOnTLSPort     = pop3client.KindPlainOnTLSPort // STARTTLS or none chosen, the port expects TLS at once (465)
	KindUnknownAuthority   = pop3client.KindUnknownAuthority
	KindCertificateName    = pop3client.KindCertificateName
	KindCertificateExpired = pop3client.KindCertificateExpired
	KindCertificateInvalid = pop3client.KindCertificateInvalid
	KindTLSVersion         = pop3client.KindTLSVersion
	KindTLSHandshake       = pop3client.KindTLSHandshake
	KindAuthFailed         = pop3client.KindAuthFailed         // 535, 5.7.8: user name or password rejected
	KindOAuthRequired      = pop3client.KindOAuthRequired      // the server offers only OAuth mechanisms
	KindEncryptionRequired = pop3client.KindEncryptionRequired // AUTH offered only after STARTTLS, or 530/538 asking for TLS
	KindTempFailure        = pop3client.KindTempFailure        // a 4xx reply: try again later
	KindInterrupted        = pop3client.KindTransferInterrupted
	KindMessageTooLarge    = pop3client.KindMessageTooLarge // 552, 5.3.4, or over the advertised SIZE: see Error.Limit
	KindProtocol           = pop3client.KindProtocol
	KindServerError        = pop3client.KindServerError // a 5xx reply with no finer cause
	KindUnsupported        = pop3client.KindUnsupported // no SASL mechanism this client can use
	KindCanceled           = pop3client.KindCanceled
	KindInvalidInput       = pop3client.KindInvalidInput
)

// SMTP's own kinds.
const (
	KindNotSMTP            Kind = "not-smtp"             // the port speaks another protocol; see Error.Service
	KindSTARTTLSNotOffered Kind = "starttls-not-offered" // STARTTLS chosen, the server does not offer it
	KindAuthNotOffered     Kind = "auth-not-offered"     // credentials given, the server offers no AUTH at all
	KindAuthRequired       Kind = "auth-required"        // 530 5.7.0 to MAIL: the server wants a user name and password
	KindSenderRefused      Kind = "sender-refused"       // MAIL FROM refused: the address is not the account's (553, 550 5.7.1)
	KindRelayDenied        Kind = "relay-denied"         // RCPT refused by policy (554, 550 5.7.1 "relay access denied")
	KindRecipientUnknown   Kind = "recipient-unknown"    // RCPT refused: no such mailbox (550 5.1.1)
	KindRecipientRefused   Kind = "recipient-refused"    // RCPT refused for another reason
	KindMessageRejected    Kind = "message-rejected"     // the content was refused after the final "." (spam, virus, policy)
	KindSMTPUTF8           Kind = "smtputf8-unsupported" // the message needs SMTPUTF8, the server does not offer it
	// KindMaybeSent: the connection broke, timed out or was cancelled after
	// the final "." was sent and before the server's reply. The server may
	// have accepted the message: never send it again without asking.
	KindMaybeSent Kind = "maybe-sent"
)

// Step names the stage of a session at which a failure happened. It is
// pop3client's Step: one type wherever the stages of a session are named.
type Step = pop3client.Step

// The steps of a submission, in order. Those that mean the same as POP3's
// are POP3's values.
const (
	StepResolve  = pop3client.StepResolve
	StepConnect  = pop3client.StepConnect
	StepTLS      = pop3client.StepTLS
	StepGreeting = pop3client.StepGreeting
	StepHello    = Step("ehlo")
	StepSTARTTLS = pop3client.StepSTLS
	StepAuth     = pop3client.StepAuth
	StepMail     = Step("mail")
	StepRcpt     = Step("rcpt")
	StepData     = Step("data") // the DATA command and the message's bytes
	StepDot      = Step("dot")  // the final "." and the server's verdict on the message
	StepQuit     = Step("quit")
)

// CertInfo describes a certificate a server presented.
type CertInfo = pop3client.CertInfo

// Refusal is a recipient the server refused.
type Refusal struct {
	Address      string
	Code         int
	EnhancedCode string
	ServerText   string
	Kind         Kind
}

// Error is every failure this package returns from a server interaction.
// Callers switch on Kind; Temporary says whether to try again unchanged.
// Code, EnhancedCode and ServerText only ever come from a server that spoke
// SMTP (greeted with a reply code), never from another service's banner on
// a mistaken port.
type Error struct {
	Kind         Kind
	Step         Step
	Code         int       // the SMTP reply code, 0 when there was no reply
	EnhancedCode string    // the RFC 3463 code, e.g. "5.7.8", when the server sent one
	ServerText   string    // the server's words (after the codes)
	Host         string    // the host name the client was connecting to
	Service      string    // KindNotSMTP: the protocol the port seems to speak
	Cert         *CertInfo // certificate failures: the certificate the server presented
	Limit        int64     // KindMessageTooLarge: the server's SIZE, 0 when unknown
	Refused      []Refusal // StepRcpt: every recipient the server refused
	Err          error     // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smtp: %s: %s", e.Step, e.Kind)
	if e.Code != 0 {
		fmt.Fprintf(&b, " (%d", e.Code)
		if e.EnhancedCode != "" {
			b.WriteString(" " + e.EnhancedCode)
		}
		b.WriteString(")")
	}
	if e.ServerText != "" {
		fmt.Fprintf(&b, ": server said %q", e.ServerText)
	}
	if e.Limit > 0 {
		fmt.Fprintf(&b, ": the server's limit is %d bytes", e.Limit)
	}
	for _, r := range e.Refused {
		fmt.Fprintf(&b, "; <%s> refused (%d %s)", r.Address, r.Code, r.EnhancedCode)
	}
	if e.Service != "" {
		fmt.Fprintf(&b, ": looks like %s", e.Service)
	}
	if e.Cert != nil {
		fmt.Fprintf(&b, ": certificate %q issued by %q", e.Cert.Subject, e.Cert.Issuer)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later, unchanged, may succeed: a
// 4xx reply, or a network failure before the message was complete. It is
// false for KindMaybeSent, which must never be retried without asking.
func (e *Error) Temporary() bool {
	if e.Kind == KindMaybeSent {
		return false
	}
	if e.Code >= 400 && e.Code < 500 {
		return true
	}
	switch e.Kind {
	case KindDNSTemporary, KindTimeout, KindNetwork, KindUnreachable, KindClosedBeforeGreet,
		KindTempFailure, KindInterrupted:
		return true
	}
	return false
}

// KindOf returns the Kind of the first *Error in err's chain, or "" if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// Temporary reports whether err is an *Error that may go away if the same
// message is sent again later (see Error.Temporary).
func Temporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary()
}
