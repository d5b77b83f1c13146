package message

import (
	"bytes"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// RenderOptions are the reader's choices for Render. The zero value blocks
// remote content and drops cid: images.
type RenderOptions struct {
	// AllowRemote keeps remote images and CSS backgrounds (the reader
	// asked for them). By default they are removed.
	AllowRemote bool
	// PartURL returns the URL the app serves a part's decoded bytes at
	// (see Part); cid: images in the HTML are pointed there. The URL is
	// used as given (HTML-escaped), so it should be one the sandboxed
	// document may load.
	PartURL func(partID string) string
}

// View is a stored message prepared for the message page.
type View struct {
	Subject   string
	From      []Address
	To        []Address
	Cc        []Address
	ReplyTo   []Address
	Date      time.Time // zero when missing or unreadable
	MessageID string    // without angle brackets

	// Headers has every header field, decoded, in order, for "show all
	// headers".
	Headers []Header

	// Text is the chosen text/plain body (and other inline text parts),
	// decoded to UTF-8 with LF line ends, format=flowed reflowed.
	Text string
	// HTML is the chosen text/html body, sanitized, as a complete document
	// for a sandboxed iframe; "" when the message has no HTML body. When
	// both are set the page should prefer HTML.
	HTML string
	// RemoteBlocked says that the HTML referenced remote resources that
	// were removed because AllowRemote was false.
	RemoteBlocked bool

	// Attachments are the parts to list, in order. Parts that are shown
	// inline through cid: references are included with Inline set.
	Attachments []Attachment

	// Events summarises the events of the message's calendar parts
	// (text/calendar invitations, .ics files), in order. The parts are
	// listed in Attachments too.
	Events []Event

	// ParseError is set when the message could not be parsed fully (a
	// limit was hit, or an internal error): the page should show the raw
	// source with this explanation. What could be read is still filled in.
	ParseError string
	// Defects lists damage that was worked around (a missing closing
	// boundary, a header without a blank line after it, …). The view is
	// still complete; this is for logs or a discreet notice.
	Defects []string
}

// Header is one header field, decoded for display.
type Header struct {
	Key   string
	Value string
}

// Attachment describes a part of a message.
type Attachment struct {
	ID          string // stable part path like "2" or "1.3", for URLs
	Filename    string // decoded and made safe; never empty
	ContentType string // lower case, e.g. "application/pdf"
	Charset     string // declared charset of a text part, "" otherwise
	Size        int64  // decoded size in bytes
	Inline      bool   // an image shown in the HTML through a cid: reference
	ContentID   string // without angle brackets
	Message     bool   // a whole message (message/rfc822, message/global, message/news)
}

const internalError = "the message could not be read because of an internal error"

// Render prepares a stored message for the message page. It never fails;
// problems are reported in ParseError and Defects.
func Render(raw []byte, opts RenderOptions) (v *View) {
	v = &View{}
	defer func() {
		if r := recover(); r != nil {
			v.ParseError = internalError
		}
	}()
	if len(bytes.TrimSpace(raw)) == 0 {
		v.ParseError = "the message is empty"
		return v
	}
	ps := parse(raw)
	fb := ps.fallback
	h := &ps.hdr
	v.Subject = decodeText(h.get("subject"), fb)
	v.From = parseAddressList(h.get("from"), fb)
	v.To = parseAddressList(h.get("to"), fb)
	v.Cc = parseAddressList(h.get("cc"), fb)
	v.ReplyTo = parseAddressList(h.get("reply-to"), fb)
	v.Date = parseDate(unfold(h.get("date")))
	v.MessageID = cleanMessageID(h.getString("message-id"))
	v.Headers = make([]Header, 0, len(h.fields))
	for _, f := range h.fields {
		v.Headers = append(v.Headers, Header{
			Key:   cleanText(decodeRaw([]byte(f.key), fb)),
			Value: decodeText(f.raw, fb),
		})
	}

	pl := planBody(ps.root)
	decoded := map[*part]string{}
	textOf := func(p *part) string {
		if s, ok := decoded[p]; ok {
			return s
		}
		s := decodeTextPart(p, 0)
		decoded[p] = s
		return s
	}

	// Text.
	var texts []string
	total := 0
	for _, p := range pl.texts {
		if len(p.body) > 4*maxRenderBytes {
			ps.stop("the text is larger than %d MiB", maxRenderBytes>>20)
			break
		}
		t := textOf(p)
		if total+len(t) > maxRenderBytes {
			ps.stop("the text is larger than %d MiB", maxRenderBytes>>20)
			break
		}
		total += len(t)
		if strings.TrimSpace(t) != "" {
			texts = append(texts, trimBlankLines(t))
		}
	}
	v.Text = strings.Join(texts, "\n\n")

	// HTML.
	var referenced map[string]bool
	if pl.hasHTML() {
		s := &sanitizer{allowRemote: opts.AllowRemote, resolveCID: cidResolver(ps.root), partURLs: opts.PartURL != nil}
		var frag strings.Builder
		total := 0
		for _, it := range pl.items {
			var src []byte
			if len(it.p.body) > 4*maxRenderBytes {
				ps.stop("the HTML is larger than %d MiB", maxRenderBytes>>20)
				break
			}
			if it.isHTML {
				src = decodeHTMLPart(it.p, 0)
			} else {
				src = []byte(textToHTML(textOf(it.p)))
			}
			if total+len(src) > maxRenderBytes {
				ps.stop("the HTML is larger than %d MiB", maxRenderBytes>>20)
				break
			}
			total += len(src)
			frag.WriteString(s.sanitize(src))
		}
		referenced = s.referenced
		v.HTML = wrapDocument(resolvePlaceholders(frag.String(), referenced, opts.PartURL), s.css.String())
		v.RemoteBlocked = s.remoteBlocked
	}

	// Attachments, in the order of the parts they come from: listed parts
	// (a TNEF part as the files inside it), and the uuencoded blocks of
	// shown text.
	listed := map[*part][]Attachment{}
	for _, l := range pl.listed {
		if files, ok := tnefFiles(l.p); ok {
			listed[l.p] = unpackedAttachments(l.p, 't', files)
			continue
		}
		a := describe(l.p, fb)
		a.Inline = referenced[l.p.id]
		listed[l.p] = []Attachment{a}
	}
	for _, p := range shownText(pl) {
		if len(p.body) > 4*maxRenderBytes {
			continue
		}
		if files := uuFiles(p, fb); len(files) > 0 {
			listed[p] = append(listed[p], unpackedAttachments(p, 'u', files)...)
		}
	}
	ps.root.walkLeaves(func(l *part) {
		v.Attachments = append(v.Attachments, listed[l]...)
	})
	v.Events = calendarEvents(ps.root)
	v.ParseError = ps.fatal
	v.Defects = ps.defects
	return v
}

// shownText returns the text parts a plan shows, each once.
func shownText(pl bodyPlan) []*part {
	var out []*part
	seen := map[*part]bool{}
	add := func(p *part) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range pl.texts {
		add(p)
	}
	for _, it := range pl.items {
		if !it.isHTML {
			add(it.p)
		}
	}
	return out
}

// describe makes the Attachment for a part.
func describe(p *part, fallback string) Attachment {
	a := Attachment{
		ID:          p.id,
		Filename:    filenameFor(p, fallback),
		ContentType: p.mediaType,
		Size:        decodedSize(p.body, p.cte),
		ContentID:   p.contentID,
		Message:     isMessageType(p.mediaType),
	}
	if strings.HasPrefix(p.mediaType, "text/") {
		a.Charset = p.charset()
	}
	return a
}

// cidResolver maps Content-IDs to part ids, over the whole message (some
// senders put inline images outside the multipart/related).
func cidResolver(root *part) func(string) (string, bool) {
	ids := map[string]string{}
	lower := map[string]string{}
	root.walkLeaves(func(l *part) {
		if l.contentID == "" {
			return
		}
		if _, dup := ids[l.contentID]; !dup {
			ids[l.contentID] = l.id
		}
		if _, dup := lower[strings.ToLower(l.contentID)]; !dup {
			lower[strings.ToLower(l.contentID)] = l.id
		}
	})
	return func(cid string) (string, bool) {
		if id, ok := ids[cid]; ok {
			return id, true
		}
		id, ok := lower[strings.ToLower(cid)]
		return id, ok
	}
}

var metaCharsetRe = regexp.MustCompile(`(?i)<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.+-]+)`)

// decodeHTMLPart decodes an HTML part to UTF-8. Without a charset
// parameter, a <meta> charset declaration in the document is used.
func decodeHTMLPart(p *part, limit int) []byte {
	b := p.body
	if limit > 0 && len(b) > limit {
		b = b[:limit]
	}
	b = decodeTransfer(b, p.cte)
	cs := p.charset()
	if cs == "" {
		head := b
		if len(head) > 4096 {
			head = head[:4096]
		}
		if m := metaCharsetRe.FindSubmatch(head); m != nil {
			cs = string(m[1])
		}
	}
	return []byte(decodeCharset(cs, b))
}

func cleanMessageID(s string) string {
	s = cleanContentID(s)
	return strings.Join(strings.Fields(s), "")
}

// trimBlankLines removes blank lines (and trailing spaces on the last
// line) at both ends of a text, keeping the indentation of its first line.
func trimBlankLines(t string) string {
	for {
		i := strings.IndexByte(t, '\n')
		if i < 0 || strings.TrimSpace(t[:i]) != "" {
			break
		}
		t = t[i+1:]
	}
	return strings.TrimRightFunc(t, unicode.IsSpace)
}
