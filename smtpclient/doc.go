// Package smtpclient submits one message to an account's outgoing server,
// and nothing else: no SQL, no HTTP, no queueing, no logging. The outbox
// decides when to send and what to do with each failure; this package
// says exactly what happened, above all whether a message may already
// have been accepted.
//
// # Protocol
//
// Built on github.com/emersion/go-smtp for EHLO, AUTH, MAIL, RCPT, DATA
// and QUIT and for reading replies. The greeting and the STARTTLS exchange
// are read here, so that another service's banner on a mistaken port is
// recognised and never repeated, a failed handshake is classified like an
// implicit-TLS one, and the trace is written above TLS.
//
//   - Implicit TLS (RFC 8314 §3.3, port 465, the default), STARTTLS (RFC
//     3207, port 587: fails when not offered, never falls back, discards
//     bytes sent before the handshake), plain text only when chosen. TLS 1.2
//     or later; certificates checked and pinned by pop3client's rules.
//   - EHLO with Options.LocalName or the address literal of the
//     connection's own end (RFC 5321 §4.1.3).
//   - AUTH (RFC 4954): PLAIN, else LOGIN for a password; OAUTHBEARER (RFC
//     7628), else XOAUTH2 for a token.
//   - SIZE (RFC 1870) declared on MAIL and checked before it; SMTPUTF8 (RFC
//     6531) declared for UTF-8 addresses or when asked; BODY=8BITMIME (RFC
//     6152) when offered. What the server offers is in Capabilities, and
//     is given to Options.Offered as soon as EHLO was answered, so that a
//     session that fails later still tells it.
//   - The body is streamed through the dot-stuffing writer, never held whole.
//
// Every read and write has an idle deadline (Options.Timeout); the reply to
// the final "." may take Options.DataTimeout. A context ends a call at once.
//
// # Errors
//
// Every failure is an *Error with a Kind (pop3client's type: the kinds the
// protocols share have one name), the Step, the reply code, enhanced code
// and text, the refused recipients, the server's SIZE, or the certificate.
// Error.Temporary is true for 4xx replies and network failures before the
// message was complete. KindMaybeSent marks a connection lost between the
// final "." and the reply: the message may have been delivered, and must
// not be sent again without asking.
//
// Options.Trace receives a protocol trace with AUTH's secrets and the
// message's bytes left out.
package smtpclient
