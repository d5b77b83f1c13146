package compose

import (
	"bufio"
	crand "crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/apartado/apartado/message"
)

// Draft is a message to write.
type Draft struct {
	From        Address
	To, Cc, Bcc []Address // Bcc goes into the envelope only, never into the header
	Subject     string
	Text        string // the plain text, lines separated by LF (or CRLF); unused with HTML
	// HTML, when set, makes the message multipart/alternative: this HTML,
	// sanitized by message.SanitizeAuthored, and as its text alternative
	// PlainText of it (not Text), so that both parts say the same.
	HTML          string
	Attachments   []Attachment
	Forwarded     []Forwarded // messages forwarded as attachments
	InReplyTo     string      // the Message-ID of the message replied to
	References    []string    // the References of the message replied to (see ParseMsgIDs)
	Date          time.Time
	MessageID     string // optional: keep this ID (a draft being sent keeps its own)
	MessageDomain string // the domain of a new Message-ID; empty means the From address's
}

// Options says what the outgoing server offers.
type Options struct {
	// SMTPUTF8: the server advertised SMTPUTF8 (RFC 6531), so addresses
	// may have user names beyond ASCII, written as they are in the header
	// fields (RFC 6532). Nothing else is: display names and the subject
	// stay RFC 2047 encoded words and domains IDNA, so that a message needs
	// SMTPUTF8 (and a path of servers that all offer it) only when an
	// address leaves no choice.
	SMTPUTF8 bool
	// EightBitMIME: the server advertised 8BITMIME (RFC 6152), so text that
	// is not ASCII is sent as 8bit rather than quoted-printable.
	EightBitMIME bool
	// MaxSize, when positive, is the server's SIZE limit: Write stops with
	// ErrTooLarge as soon as the message grows past it.
	MaxSize int64
	// Rand is the source of Message-IDs and MIME boundaries; nil means
	// crypto/rand.
	Rand io.Reader
}

// Envelope is what the SMTP dialogue needs besides the message.
type Envelope struct {
	From     string   // MAIL FROM
	To       []string // RCPT TO: To, Cc and Bcc, each once (compared case-insensitively)
	SMTPUTF8 bool     // an address has a UTF-8 user name: MAIL FROM needs SMTPUTF8
	EightBit bool     // the message has octets beyond ASCII: MAIL FROM needs BODY=8BITMIME
}

// Result describes a written message.
type Result struct {
	MessageID string // without angle brackets
	Envelope  Envelope
	Size      int64 // octets written
}

// Check checks a draft as Write does, without opening any attachment, and
// returns every problem (see FieldErrors), or nil.
func Check(d Draft, opts Options) error {
	_, err := prepare(d, opts)
	return err
}

// Write writes the message of d to w, with CRLF line endings, and returns
// its Message-ID and envelope. On an error, what was written is not a
// message: write to a temporary file and keep it only on success.
func Write(w io.Writer, d Draft, opts Options) (Result, error) {
	p, err := prepare(d, opts)
	if err != nil {
		return Result{}, err
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = crand.Reader
	}
	if p.msgID == "" {
		if p.msgID, err = newMessageID(rnd, p.idDomain); err != nil {
			return Result{}, err
		}
	}
	cw := &countingWriter{w: w, max: opts.MaxSize}
	bw := bufio.NewWriterSize(cw, 4096)
	mw := &mimeWriter{w: bw, rand: rnd, eightBit: opts.EightBitMIME}
	head := p.header()
	if err := mw.message(head, p); err != nil {
		return Result{}, fmt.Errorf("compose: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return Result{}, fmt.Errorf("compose: %w", err)
	}
	env := p.env
	env.EightBit = cw.eightBit
	env.SMTPUTF8 = !isASCII(head) || !isASCII(env.From) || !isASCII(strings.Join(env.To, ""))
	return Result{MessageID: p.msgID, Envelope: env, Size: cw.n}, nil
}

// prepared is a checked draft, in the forms the message needs.
type prepared struct {
	from        mailbox
	to, cc      []mailbox
	env         Envelope
	subject     string
	text        []string // format=flowed lines
	html        []string // the sanitized HTML's lines; nil without HTML
	attachments []Attachment
	forwarded   []Forwarded
	inReplyTo   string
	refs        []string
	date        time.Time
	msgID       string
	idDomain    string
}

func prepare(d Draft, opts Options) (*prepared, error) {
	var ps problems
	p := &prepared{}
	p.checkAddresses(&ps, d, opts.SMTPUTF8)
	p.checkContent(&ps, d)
	p.checkThreading(&ps, d)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *prepared) checkAddresses(ps *problems, d Draft, smtputf8 bool) {
	from, err := checkAddress(d.From, smtputf8)
	if err != nil {
		ps.add(FieldFrom, -1, d.From.Addr, err)
	}
	p.from = from
	p.env.From = from.wire
	lists := []struct {
		field string
		in    []Address
		out   *[]mailbox
	}{{FieldTo, d.To, &p.to}, {FieldCc, d.Cc, &p.cc}, {FieldBcc, d.Bcc, nil}}
	for _, l := range lists {
		for i, a := range l.in {
			mb, err := checkAddress(a, smtputf8)
			if err != nil {
				ps.add(l.field, i, a.Addr, err)
				continue
			}
			if l.out != nil {
				*l.out = append(*l.out, mb)
			}
			if !containsAddr(p.env.To, mb.wire) {
				p.env.To = append(p.env.To, mb.wire)
			}
		}
	}
	if len(d.To)+len(d.Cc)+len(d.Bcc) == 0 {
		ps.add(FieldTo, -1, "", ErrNoRecipients)
	}
	p.idDomain = d.MessageDomain
	if p.idDomain == "" && from.wire != "" {
		p.idDomain = from.wire[strings.LastIndexByte(from.wire, '@')+1:]
	}
	if dom, ok := idDomain(p.idDomain); ok {
		p.idDomain = dom
	} else if err == nil {
		ps.add(FieldMessageID, -1, p.idDomain, ErrInvalidMessageID)
	}
}

func containsAddr(list []string, a string) bool {
	for _, x := range list {
		if sameAddr(x, a) {
			return true
		}
	}
	return false
}

// idDomain is the ASCII form of the domain of new Message-IDs.
func idDomain(d string) (string, bool) {
	if checkLine(d) != nil || d == "" {
		return "", false
	}
	if !strings.HasPrefix(d, "[") {
		a, err := idna.Lookup.ToASCII(d)
		if err != nil {
			return "", false
		}
		d = a
	}
	return d, validMsgID("x@" + d)
}

func (p *prepared) checkContent(ps *problems, d Draft) {
	p.subject = cleanSpace(d.Subject)
	if err := checkLine(d.Subject); err != nil {
		ps.add(FieldSubject, -1, d.Subject, err)
	}
	switch {
	case d.HTML != "":
		// The text alternative says what the HTML says (see PlainText).
		if err := checkBody(d.HTML); err != nil {
			ps.add(FieldHTML, -1, "", err)
			break
		}
		frag := message.SanitizeAuthored(d.HTML)
		p.html = strings.Split(strings.TrimRight(normalizeNewlines(message.AuthoredDocument(frag)), "\n"), "\n")
		p.text = flowLines(PlainText(frag))
	default:
		if err := checkBody(d.Text); err != nil {
			ps.add(FieldText, -1, "", err)
		} else {
			p.text = flowLines(normalizeNewlines(d.Text))
		}
	}
	for i, a := range d.Attachments {
		switch {
		case strings.TrimSpace(a.Name) == "":
			ps.add(FieldAttachment, i, a.Name, ErrMissing)
		case checkLine(a.Name) != nil:
			ps.add(FieldAttachment, i, a.Name, checkLine(a.Name))
		case len(a.Name) > maxName:
			ps.add(FieldAttachment, i, "", ErrTooLong)
		case a.Open == nil:
			ps.add(FieldAttachment, i, a.Name, ErrMissing)
		}
	}
	p.attachments = d.Attachments
	for i, f := range d.Forwarded {
		switch {
		case strings.TrimSpace(f.Name) == "" || f.Open == nil:
			ps.add(FieldForwarded, i, f.Name, ErrMissing)
		case checkLine(f.Name) != nil:
			ps.add(FieldForwarded, i, f.Name, checkLine(f.Name))
		case len(f.Name) > maxName:
			ps.add(FieldForwarded, i, "", ErrTooLong)
		}
	}
	p.forwarded = d.Forwarded
}

// checkBody refuses text that cannot be sent as UTF-8 text: invalid UTF-8,
// or NUL (which no transfer encoding but base64 carries).
func checkBody(s string) error {
	if !utf8.ValidString(s) {
		return ErrInvalidUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		return ErrControl
	}
	return nil
}
