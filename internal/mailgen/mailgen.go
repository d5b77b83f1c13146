// Package mailgen makes realistic, reproducible mailboxes for tests and
// benchmarks: mostly 2–20 KB text messages, some 100 KB–2 MB ones carrying a
// base64 attachment, some non-ASCII (RFC 2047) headers, and some body lines
// that start with "." so that they are dot-stuffed on the wire. Every
// message uses CRLF line ends and ends with CRLF, so a POP3 server returns
// it byte for byte.
package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"time"
)

// Mailbox describes a generated mailbox.
type Mailbox struct {
	Seed uint64
	// LargeEvery makes every n-th message a large one (100 KB–2 MB).
	// Default 20, which gives about 43 KB per message on average.
	LargeEvery int
	// HTMLEvery makes every n-th message (at i%n == 1, unless it is a
	// large one) multipart/alternative, its text also as HTML, as most
	// mail is today. 0: none (all text, as before the field existed).
	HTMLEvery int
}

// IsHTML says whether message i has an HTML part.
func (m Mailbox) IsHTML(i int) bool {
	return m.HTMLEvery > 0 && i%m.HTMLEvery == 1%m.HTMLEvery && !m.IsLarge(i)
}

// IsLarge says whether message i is a large one, with an attachment.
func (m Mailbox) IsLarge(i int) bool {
	every := m.LargeEvery
	if every <= 0 {
		every = 20
	}
	return i%every == every-1
}

var (
	names    = []string{"Ana García", "Jörg Müller", "Zoë Martin", "李雷", "Olga Иванова", "Sam Smith", "Łukasz Nowak", "Ines Peña"}
	subjects = []string{"Minutes of Tuesday's meeting", "Re: holiday photos", "Factura nº 2026-%d", "Your order has shipped",
		"Café con leche mañana?", "Quarterly figures — draft %d", "Re: Re: the leaking tap", "Einladung zum Sommerfest"}
	words = []string{"the", "mail", "server", "message", "tomorrow", "invoice", "garden", "please", "thanks", "attached",
		"meeting", "report", "account", "password", "family", "weekend", "photo", "school", "doctor", "train"}
)

// Message returns message number i (0-based) of the mailbox.
func (m Mailbox) Message(i int) []byte {
	r := rand.New(rand.NewPCG(m.Seed, uint64(i)))
	from := names[r.IntN(len(names))]
	subject := subjects[r.IntN(len(subjects))]
	if bytes.Contains([]byte(subject), []byte("%d")) {
		subject = fmt.Sprintf(subject, i)
	}
	date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Minute)

	var b bytes.Buffer
	b.Grow(24 << 10)
	fmt.Fprintf(&b, "Return-Path: <sender%d@example.net>\r\n", i%97)
	fmt.Fprintf(&b, "Received: from mx.example.net (mx.example.net [192.0.2.%d])\r\n\tby pop.example.org with ESMTPS id %08x\r\n\tfor <alice@example.org>; %s\r\n",
		i%250+1, r.Uint32(), date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s <sender%d@example.net>\r\n", mime.QEncoding.Encode("utf-8", from), i%97)
	b.WriteString("To: Alice <alice@example.org>\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%d.%08x@example.net>\r\n", i, r.Uint32())
	b.WriteString("MIME-Version: 1.0\r\n")

	text := func(size int) {
		for n := 0; n < size; {
			line := 0
			if r.IntN(40) == 0 {
				b.WriteString(".") // a line that must be dot-stuffed
				n++
			}
			for line < 60+r.IntN(12) {
				w := words[r.IntN(len(words))]
				b.WriteString(w)
				b.WriteByte(' ')
				line += len(w) + 1
			}
			b.WriteString("\r\n")
			n += line + 2
		}
	}
	if m.IsHTML(i) {
		size := 2<<10 + r.IntN(18<<10)
		boundary := fmt.Sprintf("=_alt_%d_%x", i, r.Uint64())
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", boundary)
		start := b.Len()
		text(size)
		plain := string(b.Bytes()[start:])
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", boundary)
		b.WriteString("<html><head><style>p { margin: 0 0 1em; }</style></head><body>\r\n")
		for _, line := range bytes.Split([]byte(plain), []byte("\r\n")) {
			if len(line) > 0 {
				fmt.Fprintf(&b, "<p>%s</p>\r\n", line)
			}
		}
		fmt.Fprintf(&b, "</body></html>\r\n--%s--\r\n", boundary)
		return b.Bytes()
	}
	if !m.IsLarge(i) {
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		text(2<<10 + r.IntN(18<<10))
		return b.Bytes()
	}
	boundary := fmt.Sprintf("=_boundary_%d_%x", i, r.Uint64())
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", boundary)
	text(1<<10 + r.IntN(4<<10))
	fmt.Fprintf(&b, "--%s\r\nContent-Type: application/pdf; name=\"informe-%d.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"informe-%d.pdf\"\r\n\r\n",
		boundary, i, i)
	// Log-uniform between 100 KB and 2 MB once base64-encoded: many
	// photos and PDFs near the low end, a few large ones.
	raw := make([]byte, int(75<<10*math.Pow(20, r.Float64())))
	for j := 0; j+8 <= len(raw); j += 8 {
		v := r.Uint64()
		for k := 0; k < 8; k++ {
			raw[j+k] = byte(v >> (8 * k))
		}
	}
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

// Big returns a message of at least size bytes (a base64 attachment), for
// tests of very large messages.
func Big(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 1024)
	b.WriteString("From: big@example.net\r\nTo: alice@example.org\r\nSubject: a big one\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	r := rand.New(rand.NewPCG(1, 2))
	chunk := make([]byte, 57)
	line := make([]byte, 76)
	for b.Len() < size {
		for k := range chunk {
			chunk[k] = byte(r.Uint32())
		}
		base64.StdEncoding.Encode(line, chunk)
		b.Write(line)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}
