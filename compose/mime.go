package compose

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// dateLayout is RFC 5322 §3.3's date-time.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

func (p *prepared) checkThreading(ps *problems, d Draft) {
	p.date = d.Date
	if d.Date.IsZero() {
		ps.add(FieldDate, -1, "", ErrMissing)
	} else if y := d.Date.Year(); y < 1900 || y > 9999 {
		ps.add(FieldDate, -1, d.Date.String(), ErrInvalidDate)
	}
	msgID := func(field string, i int, s string) string {
		if err := checkLine(s); err != nil {
			ps.add(field, i, s, err)
			return ""
		}
		id := normMsgID(s)
		if !validMsgID(id) {
			ps.add(field, i, s, ErrInvalidMessageID)
			return ""
		}
		return id
	}
	if d.InReplyTo != "" {
		p.inReplyTo = msgID(FieldInReplyTo, -1, d.InReplyTo)
	}
	var refs []string
	for i, r := range d.References {
		if id := msgID(FieldReferences, i, r); id != "" {
			refs = append(refs, id)
		}
	}
	if p.inReplyTo != "" || len(refs) > 0 {
		p.refs = references(refs, p.inReplyTo)
	}
	if d.MessageID != "" {
		p.msgID = msgID(FieldMessageID, -1, d.MessageID)
	}
}

// header is the message's header, up to MIME-Version, in the order
// Thunderbird writes it. Bcc is not in it. It is ASCII but for the user
// names of addresses that have UTF-8 ones.
func (p *prepared) header() string {
	var b strings.Builder
	add := func(name, value string) {
		f, _ := fold(name, value)
		b.WriteString(f)
	}
	add("Date", p.date.Format(dateLayout))
	b.WriteString(addressField("From", []mailbox{p.from}))
	if len(p.to) > 0 {
		b.WriteString(addressField("To", p.to))
	}
	if len(p.cc) > 0 {
		b.WriteString(addressField("Cc", p.cc))
	}
	if len(p.to)+len(p.cc) == 0 {
		// Only Bcc: an empty group, as common clients write (RFC 5322 §3.6.3).
		add("To", "undisclosed-recipients:;")
	}
	if p.subject != "" {
		b.WriteString(unstructured("Subject", p.subject))
	}
	add("Message-ID", "<"+p.msgID+">")
	if p.inReplyTo != "" {
		add("In-Reply-To", "<"+p.inReplyTo+">")
	}
	if len(p.refs) > 0 {
		add("References", msgIDList(p.refs))
	}
	add("MIME-Version", "1.0")
	return b.String()
}

// addressField formats an address field, encoding the display names when
// quoted strings as they are would leave a line of more than 998 octets.
func addressField(name string, list []mailbox) string {
	if f, ok := fold(name, addressList(list, false)); ok {
		return f
	}
	f, _ := fold(name, addressList(list, true))
	return f
}

// mimeWriter writes the body of a message: its parts and their headers.
type mimeWriter struct {
	w        *bufio.Writer
	rand     io.Reader
	eightBit bool
}

// part is a MIME entity: its header fields (each with its CRLF) and what
// writes its body, which ends with a CRLF.
type part struct {
	fields    string
	multipart bool
	body      func() error
}

func (m *mimeWriter) message(head string, p *prepared) error {
	top, err := m.content(p)
	if err != nil {
		return err
	}
	m.w.WriteString(head)
	m.w.WriteString(top.fields)
	m.w.WriteString("\r\n")
	if top.multipart {
		m.w.WriteString("This is a multi-part message in MIME format.\r\n")
	}
	return top.body()
}

// content builds the message's structure, as Thunderbird does: the text
// alone; or multipart/alternative with the text first and then the HTML
// (RFC 2046 §5.1.4: the preferred last); and with attachments
// multipart/mixed with that first and then each attachment (§5.1.3).
func (m *mimeWriter) content(p *prepared) (part, error) {
	body := m.textPart("text/plain; charset=utf-8; format=flowed", p.text)
	if p.html != nil {
		alt, err := m.multipart("alternative", []part{body, m.textPart("text/html; charset=utf-8", p.html)})
		if err != nil {
			return part{}, err
		}
		body = alt
	}
	if len(p.attachments)+len(p.forwarded) == 0 {
		return body, nil
	}
	parts := []part{body}
	for _, a := range p.attachments {
		parts = append(parts, m.attachmentPart(a))
	}
	for _, f := range p.forwarded {
		fp, err := m.forwardedPart(f)
		if err != nil {
			return part{}, err
		}
		parts = append(parts, fp)
	}
	return m.multipart("mixed", parts)
}

func (m *mimeWriter) textPart(contentType string, lines []string) part {
	enc := textEncoding(lines, m.eightBit)
	return part{
		fields: "Content-Type: " + contentType + "\r\nContent-Transfer-Encoding: " + enc + "\r\n",
		body:   func() error { return writeLines(m.w, lines, enc) },
	}
}

// multipart makes a multipart entity of parts, with a random boundary
// (which "=_" keeps out of quoted-printable and base64 text too).
func (m *mimeWriter) multipart(subtype string, parts []part) (part, error) {
	var rb [15]byte
	if _, err := io.ReadFull(m.rand, rb[:]); err != nil {
		return part{}, fmt.Errorf("boundary: %w", err)
	}
	boundary := "=_" + idEncoding.EncodeToString(rb[:])
	f, _ := fold("Content-Type", "multipart/"+subtype+`; boundary="`+boundary+`"`)
	return part{fields: f, multipart: true, body: func() error {
		for i, pt := range parts {
			if i > 0 {
				m.w.WriteString("\r\n")
			}
			m.w.WriteString("--" + boundary + "\r\n" + pt.fields + "\r\n")
			if err := pt.body(); err != nil {
				return err
			}
		}
		_, err := m.w.WriteString("\r\n--" + boundary + "--\r\n")
		return err
	}}, nil
}

func attachmentFields(contentType, name, encoding string) string {
	ct, _ := fold("Content-Type", contentType+"; "+nameParam(name))
	cd, _ := fold("Content-Disposition", "attachment; "+filenameParams(name))
	return ct + cd + "Content-Transfer-Encoding: " + encoding + "\r\n"
}

func (m *mimeWriter) attachmentPart(a Attachment) part {
	return part{
		fields: attachmentFields(mediaType(a.ContentType), a.Name, encBase64),
		body: func() error {
			return m.stream(a.Name, a.Open, func(r io.Reader) error { return writeBase64(m.w, r) })
		},
	}
}

// stream opens an attachment, writes it with write and closes it.
func (m *mimeWriter) stream(name string, open func() (io.ReadCloser, error), write func(io.Reader) error) error {
	rc, err := open()
	if err != nil {
		return fmt.Errorf("attachment %q: %w", name, err)
	}
	err = write(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("attachment %q: %w", name, err)
	}
	return nil
}

// forwardedPart is a forwarded message: message/rfc822 with its bytes as
// they are (7bit, or 8bit when the server takes it) when RFC 2046 §5.2.1
// allows; else, since message/rfc822 may not be encoded, the same bytes as
// an application/octet-stream .eml file in base64, which clients open
// alike.
func (m *mimeWriter) forwardedPart(f Forwarded) (part, error) {
	var scan rfc822Scan
	err := m.stream(f.Name, f.Open, func(r io.Reader) error {
		var err error
		scan, err = scanRFC822(r)
		return err
	})
	if err != nil {
		return part{}, err
	}
	if !scan.asIs || scan.eightBit && !m.eightBit {
		return m.attachmentPart(Attachment{Name: f.Name, Open: f.Open}), nil
	}
	enc := enc7bit
	if scan.eightBit {
		enc = enc8bit
	}
	return part{
		fields: attachmentFields("message/rfc822", f.Name, enc),
		body: func() error {
			return m.stream(f.Name, f.Open, func(r io.Reader) error { return writeRFC822(m.w, r) })
		},
	}, nil
}
