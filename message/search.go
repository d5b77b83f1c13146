package message

import (
	"bytes"
	"strings"
)

// SearchText is what a message is found by, besides the summary's subject
// and addresses: the readable text of every body part and the names of its
// attachments. It is extracted once, when the message is stored.
type SearchText struct {
	// Body is the text of every text and HTML part (HTML reduced to text,
	// legacy charsets decoded), of the bodies inside TNEF streams, and of
	// attached messages (their subject and addresses too), at most
	// maxSearchBytes.
	Body string
	// Attachments are the file names of the attachments, one a line.
	Attachments string
}

// maxSearchBytes bounds the text kept for search per message: a novel's
// worth, far more than a person searches by, and a bound on the work.
const maxSearchBytes = 1 << 20

// maxSearchDepth bounds how deeply attached messages are searched.
const maxSearchDepth = 3

// Analyze parses raw once and returns both its list summary and its search
// text. Like Summarize it never fails.
func Analyze(raw []byte) (s Summary, t SearchText) {
	defer func() {
		if r := recover(); r != nil {
			s.ParseError = internalError
		}
	}()
	if len(bytes.TrimSpace(raw)) == 0 {
		s.ParseError = "the message is empty"
		return s, t
	}
	ps := parse(raw)
	s = summarizeParsed(ps)
	t = searchParsed(ps, 0)
	return s, t
}

// searcher collects search text up to maxSearchBytes.
type searcher struct {
	body, names strings.Builder
}

func (w *searcher) full() bool { return w.body.Len() >= maxSearchBytes }

func (w *searcher) text(s string) {
	s = strings.TrimSpace(s)
	if s == "" || w.full() {
		return
	}
	if left := maxSearchBytes - w.body.Len(); len(s) > left {
		s = strings.ToValidUTF8(s[:left], "")
	}
	if w.body.Len() > 0 {
		w.body.WriteByte('\n')
	}
	w.body.WriteString(s)
}

func (w *searcher) name(s string) {
	if s = strings.TrimSpace(s); s != "" && w.names.Len() < maxSearchBytes {
		w.names.WriteString(s)
		w.names.WriteByte('\n')
	}
}

// searchParsed extracts the search text of a parsed message, walking the
// same body plan the message page shows.
func searchParsed(ps *parsed, depth int) SearchText {
	w := &searcher{}
	w.message(ps, depth)
	return SearchText{Body: w.body.String(), Attachments: strings.TrimSuffix(w.names.String(), "\n")}
}

func (w *searcher) message(ps *parsed, depth int) {
	fb := ps.fallback
	pl := planBody(ps.root)
	for _, p := range shownText(pl) {
		w.text(decodeTextPart(p, maxSearchBytes))
	}
	for _, it := range pl.items {
		if it.isHTML {
			w.html(decodeHTMLPart(it.p, 4*maxSearchBytes))
		}
	}
	for _, l := range pl.listed {
		p := l.p
		if files, ok := tnefFiles(p); ok {
			for _, f := range files {
				w.name(f.name)
				switch {
				case f.mediaType == "text/html":
					w.html([]byte(decodeCharset(f.charset, f.data)))
				case strings.HasPrefix(f.mediaType, "text/") && f.mediaType != "text/calendar":
					w.text(decodeCharset(f.charset, f.data))
				}
			}
			continue
		}
		w.name(filenameFor(p, fb))
		switch {
		case isMessageType(p.mediaType) && depth < maxSearchDepth:
			b := p.body
			if len(b) > 4*maxSearchBytes {
				b = b[:4*maxSearchBytes]
			}
			inner := parse(decodeTransfer(b, p.cte))
			h := &inner.hdr
			w.text(decodeText(h.get("subject"), inner.fallback))
			for _, k := range []string{"from", "to", "cc"} {
				w.text(formatAddresses(parseAddressList(h.get(k), inner.fallback)))
			}
			w.message(inner, depth+1)
		case p.mediaType == "text/html":
			w.html(decodeHTMLPart(p, 4*maxSearchBytes))
		case strings.HasPrefix(p.mediaType, "text/") && p.mediaType != "text/calendar":
			w.text(decodeTextPart(p, maxSearchBytes))
		}
	}
	for _, p := range shownText(pl) {
		if len(p.body) > 4*maxSearchBytes {
			continue
		}
		for _, f := range uuFiles(p, fb) {
			w.name(f.name)
		}
	}
}

// html adds the readable text of an HTML document, quoted parts included.
func (w *searcher) html(src []byte) {
	if w.full() {
		return
	}
	main, quoted := htmlToText(src, maxSearchBytes)
	w.text(main)
	w.text(quoted)
}
