package message

import (
	"bytes"
	"time"
)

// Summary is what message lists need.
type Summary struct {
	FromName, FromAddr string    // decoded (RFC 2047), e.g. "Zoë Martin", "zoe@example.net"
	To, Cc             string    // decoded, comma-separated "Name <addr>" lists, for display
	Subject            string    // decoded, whitespace folded, no CR/LF
	Date               time.Time // from the Date header; zero if missing or unreadable
	MessageID          string    // without angle brackets
	// References are the Message-IDs it answers (In-Reply-To, then
	// References), bounded: see References.
	References     []string
	Snippet        string // about 200 characters of the text, quotes skipped
	HasAttachments bool
	// ParseError is a short English explanation when the message could not
	// be parsed fully (what could be read is still filled in).
	ParseError string
}

// Summarize extracts what lists need. It never fails: on any problem it
// returns what it could get, with ParseError set.
//
// HasAttachments is set by a part with "Content-Disposition: attachment",
// an attached message, or a non-text part that is not an inline image
// (named or not: an unnamed PDF is still an attachment). The snippet comes
// from the text/plain body, else from the text of the HTML body.
func Summarize(raw []byte) (s Summary) {
	defer func() {
		if r := recover(); r != nil {
			s.ParseError = internalError
		}
	}()
	if len(bytes.TrimSpace(raw)) == 0 {
		s.ParseError = "the message is empty"
		return s
	}
	return summarizeParsed(parse(raw))
}

// summarizeParsed is Summarize of a parsed message.
func summarizeParsed(ps *parsed) (s Summary) {
	fb := ps.fallback
	h := &ps.hdr
	if from := parseAddressList(h.get("from"), fb); len(from) > 0 {
		s.FromName, s.FromAddr = from[0].Name, from[0].Addr
	}
	s.To = formatAddresses(parseAddressList(h.get("to"), fb))
	s.Cc = formatAddresses(parseAddressList(h.get("cc"), fb))
	s.Subject = decodeText(h.get("subject"), fb)
	s.Date = parseDate(unfold(h.get("date")))
	s.MessageID = cleanMessageID(h.getString("message-id"))
	s.References = references(h)

	pl := planBody(ps.root)
	for _, p := range pl.texts {
		if s.Snippet = snippetFromText(decodeTextPart(p, maxSnippetInput)); s.Snippet != "" {
			break
		}
	}
	if s.Snippet == "" {
		for _, it := range pl.items {
			if !it.isHTML {
				continue
			}
			main, quoted := htmlToText(decodeHTMLPart(it.p, maxSnippetInput), 8*snippetRunes*4)
			if s.Snippet = snippetFromText(main); s.Snippet == "" {
				s.Snippet = snippetFromText(quoted)
			}
			if s.Snippet != "" {
				break
			}
		}
	}
	for _, l := range pl.listed {
		if countsAsAttachment(l) {
			s.HasAttachments = true
			break
		}
	}
	if !s.HasAttachments {
		for _, p := range shownText(pl) {
			if uuCandidate(p) {
				b := p.body
				if len(b) > 4*maxSnippetInput {
					b = b[:4*maxSnippetInput]
				}
				d := decodeTransfer(b, p.cte)
				if rest, _ := splitUU(d, len(b) < len(p.body)); len(rest) != len(d) {
					s.HasAttachments = true // a uuencoded block
					break
				}
			}
		}
	}
	s.ParseError = ps.fatal
	return s
}
