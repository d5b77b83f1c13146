// Package compose builds the exact bytes of an outgoing message: RFC 5322
// headers (Date, Message-ID, In-Reply-To, References, RFC 2047 encoded words,
// and RFC 6532 UTF-8 only in an address's user name, where nothing else
// will do), a format=flowed text body (RFC 3676), an optional HTML
// alternative sanitized by package message's rules, and attachments streamed
// as base64, together with the SMTP envelope (where the Bcc recipients are,
// and only there). It also owns the small rules of writing a reply or a
// forward: "Re:"/"Fwd:" subjects, quoting with an attribution line, and the
// reply-all recipients. ReadAttachments reads the files of a message it
// wrote back, so that a message taken back from the outbox keeps them.
//
// It does no I/O beyond writing to the io.Writer it is given and reading the
// attachments and messages it is given (openers of io.ReadCloser, or files named by the
// caller); it must not touch the network, SMTP, the database or HTTP, and it
// translates nothing: text a person reads (attribution patterns, separator
// lines) comes from the caller, and its errors are sentinels with the field
// they are about, for the application layer to turn into message keys.
package compose
