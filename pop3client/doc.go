// Package pop3client speaks the POP3 wire protocol, and nothing else: no
// SQL, no HTTP, no scheduling, no logging. It is built to be safe with the
// only copy of someone's mail and to say exactly what went wrong.
//
// # Protocol
//
//   - RFC 1939: USER/PASS, APOP (only when called), STAT, LIST, UIDL, RETR,
//     TOP, DELE, NOOP, RSET, QUIT. Deletions take effect only when QUIT is
//     answered +OK, and Quit returns nil only then.
//   - RFC 2449 CAPA, read after the greeting, after STLS and after
//     authentication; response codes; LOGIN-DELAY, EXPIRE, IMPLEMENTATION,
//     PIPELINING. RFC 3206 codes [SYS/TEMP], [SYS/PERM], [AUTH]; [IN-USE]
//     and [LOGIN-DELAY].
//   - RFC 5034 SASL: PLAIN, LOGIN, XOAUTH2, OAUTHBEARER (RFC 7628). The
//     initial response goes on the AUTH line only when the line fits in 255
//     octets; a plain -ERR to that form is retried once in two steps.
//   - Implicit TLS (RFC 8314, the default), STARTTLS (RFC 2595; fails when
//     STLS is not offered, never falls back, discards bytes the server sent
//     before the handshake), plain text only when chosen. TLS 1.2 or later;
//     certificates checked against the system roots plus Options.ExtraRootCAs,
//     or accepted by SHA-256 fingerprint (Options.TrustedFingerprints).
//   - RFC 6856 UTF8, sent before logging in when advertised.
//   - PIPELINING: RetrMany and DeleMany keep up to 100 commands in flight, a
//     writer goroutine sending while the caller reads, so that thousands of
//     commands never deadlock on full socket buffers.
//
// # Messages are streamed, byte for byte
//
// Retr, Top and RetrMany hand the caller an io.Reader for the message: the
// bytes exactly as the server sent them, CRLF kept, with one leading "."
// removed from dot-stuffed lines. Nothing holds a whole message in memory.
// Lines of any length, NUL and 8-bit bytes, bare LF line ends and a
// terminator after a bare LF are handled; Options.MaxMessageSize aborts an
// oversized transfer with KindMessageTooLarge.
//
// Every read and write has its own idle deadline (Options.Timeout), and a
// context ends a call at once. A call that fails in a way that leaves the
// protocol state unknown closes the session; a -ERR reply does not.
//
// # Errors
//
// Every failure of a server interaction is an *Error with a stable Kind,
// the Step it happened at (resolve, connect, tls, greeting, stls, auth,
// command, transfer), the server's response code and text, and for
// certificate failures the certificate (issuer, names, dates, fingerprint),
// so that a user interface can name the cause and the fix: the host does
// not exist, the port is refused or silent, SSL/TLS was chosen on a plain
// port or the reverse, the certificate is self-signed, for another name or
// expired, the password was rejected, POP is disabled, the mailbox is in
// use, and so on. The kinds are detected from what Go really reports.
//
// Options.Trace receives a protocol trace with passwords, SASL responses,
// APOP digests and message bodies left out.
//
// # Speed
//
// The benchmark in bench/pop3 downloads realistic mailboxes from a real
// Dovecot over TLS side by side with mpop and a plain TCP copy; its
// results are in bench/README.md.
package pop3client
