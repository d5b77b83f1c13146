package message

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// part is one MIME entity of a parsed message.
type part struct {
	id          string // IMAP-style part path: "1", "2.3"; "" for a top-level multipart
	hdr         header
	mediaType   string // lower case "type/subtype", defaults applied
	params      map[string]string
	disposition string // lower case; "" when absent
	dispParams  map[string]string
	cte         string // normalized, see normalizeCTE
	contentID   string // without angle brackets
	body        []byte // for leaves: the body, still transfer-encoded
	children    []*part
	parent      *part
	multipart   bool // has children (a multipart that could be split)
}

func (p *part) isLeaf() bool { return !p.multipart }

// charset returns the part's declared charset parameter. A part that
// declares none takes one declared on the multiparts around it: some
// signing clients put it only on the multipart/signed wrapper, and a
// Polish message then read "Je¿u kl±tw" for "Jeżu klątw". The search stops
// at an attached message, whose parts are its own.
func (p *part) charset() string {
	for q := p; q != nil; q = q.parent {
		if cs := q.params["charset"]; cs != "" {
			return cs
		}
		if q.parent != nil && !q.parent.multipart {
			break
		}
	}
	return ""
}

// parsed is a message split into its MIME tree.
type parsed struct {
	hdr      header // top-level header
	root     *part
	fallback string // charset for raw 8-bit header bytes
	nparts   int
	fatal    string   // why parsing stopped early ("" if it did not)
	defects  []string // damage that was worked around
}

func (ps *parsed) stop(format string, args ...any) {
	if ps.fatal == "" {
		ps.fatal = fmt.Sprintf(format, args...)
	}
}

func (ps *parsed) defect(s string) {
	for _, d := range ps.defects {
		if d == s {
			return
		}
	}
	if len(ps.defects) < 20 {
		ps.defects = append(ps.defects, s)
	}
}

// parse splits raw into its MIME tree. It never fails; what could not be
// parsed is reported in fatal (limits, an unreadable header) or defects
// (recovered damage).
func parse(raw []byte) *parsed {
	ps := &parsed{}
	h, body, res, fallback := parseTop(raw)
	switch res {
	case headerTooBig:
		ps.stop("the header is larger than %d KiB", maxHeaderBytes>>10)
	case headerNoSeparator:
		if len(h.fields) == 0 {
			ps.defect("the message has no header; it is shown as plain text")
		} else {
			ps.defect("the header does not end with a blank line")
		}
	}
	ps.hdr, ps.fallback = h, fallback
	ps.root = ps.newPart(h, body, "", 0, "text/plain", nil)
	if ps.root == nil { // cannot happen: the first part is always allowed
		ps.root = &part{id: "1", mediaType: "text/plain"}
	}
	return ps
}

// parseTop reads a message's own header: the fields, the body after them,
// how the header ended, and the charset it declares for undeclared 8-bit
// text ("" when none is known). A UTF-8 byte-order mark and an mbox
// "From " line before the header are skipped.
func parseTop(raw []byte) (h header, body []byte, res headerResult, fallback string) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // UTF-8 BOM
	// An mbox "From " separator line before the header.
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		} else {
			raw = nil
		}
	}
	h, body, res = parseHeader(raw)
	if ct := h.get("content-type"); ct != nil {
		_, params := parseParamHeader(unfold(ct), "")
		if cs := params["charset"]; knownCharset(cs) {
			fallback = cs
		}
	}
	return h, body, res, fallback
}

// newPart builds the entity with header h and body b. It returns nil when
// the part limit is reached.
func (ps *parsed) newPart(h header, b []byte, id string, depth int, defaultType string, parent *part) *part {
	ps.nparts++
	if ps.nparts > maxParts {
		ps.stop("the message has more than %d parts", maxParts)
		return nil
	}
	p := &part{hdr: h, parent: parent, body: b}
	ct := h.getString("content-type")
	if ct == "" {
		p.mediaType, p.params = defaultType, map[string]string{}
	} else {
		p.mediaType, p.params = parseParamHeader(ct, ps.fallback)
		p.mediaType = normalizeMediaType(p.mediaType)
	}
	if d := h.getString("content-disposition"); d != "" {
		p.disposition, p.dispParams = parseParamHeader(d, ps.fallback)
	}
	p.cte = normalizeCTE(h.getString("content-transfer-encoding"))
	p.contentID = cleanContentID(h.getString("content-id"))

	if strings.HasPrefix(p.mediaType, "multipart/") {
		ps.splitMultipart(p, id, depth)
	}
	if !p.multipart {
		if strings.HasPrefix(p.mediaType, "multipart/") {
			// Could not be split: show the body as text.
			p.mediaType = "text/plain"
		}
		if id == "" {
			id = "1"
		}
	}
	p.id = id
	return p
}

func (ps *parsed) splitMultipart(p *part, id string, depth int) {
	if depth >= maxDepth {
		ps.stop("the message is nested more than %d levels deep", maxDepth)
		p.body = nil
		p.multipart = true // an empty container: nothing below is shown
		return
	}
	boundary := p.params["boundary"]
	if boundary == "" {
		boundary = guessBoundary(p.body)
		if boundary == "" {
			ps.defect("a multipart has no boundary; its body is shown as text")
			return
		}
		ps.defect("a multipart has no boundary parameter; the boundary was guessed")
	}
	chunks, foundStart, foundEnd := splitParts(p.body, boundary)
	if !foundStart && p.cte != "" {
		// QUIRK: some generators transfer-encode a multipart body, which
		// RFC 2045 section 6.4 forbids. Try the decoded form.
		if c, s, e := splitParts(decodeTransfer(p.body, p.cte), boundary); s {
			chunks, foundStart, foundEnd = c, s, e
		}
	}
	if !foundStart {
		ps.defect("a multipart has none of its boundaries; its body is shown as text")
		return
	}
	if !foundEnd {
		ps.defect("a multipart has no closing boundary; its last part may be incomplete")
	}
	p.multipart = true
	p.body = nil
	childDefault := "text/plain"
	if p.mediaType == "multipart/digest" {
		childDefault = "message/rfc822"
	}
	for i, chunk := range chunks {
		cid := strconv.Itoa(i + 1)
		if id != "" {
			cid = id + "." + cid
		}
		h, body, res := parseHeader(chunk)
		if res == headerTooBig {
			ps.stop("a part header is larger than %d KiB", maxHeaderBytes>>10)
			return
		}
		c := ps.newPart(h, body, cid, depth+1, childDefault, p)
		if c == nil {
			return
		}
		p.children = append(p.children, c)
		if ps.fatal != "" {
			return
		}
	}
}

// splitParts splits a multipart body at its delimiter lines (RFC 2046
// section 5.1.1). The line break before a delimiter belongs to it. A
// missing close delimiter ends the last part at the end of the body.
func splitParts(body []byte, boundary string) (chunks [][]byte, foundStart, foundEnd bool) {
	delim := []byte("--" + boundary)
	pos := 0
	start := -1 // start of the current part's content
	for pos <= len(body) {
		i := bytes.Index(body[pos:], delim)
		if i < 0 {
			break
		}
		i += pos
		if i != 0 && body[i-1] != '\n' {
			pos = i + len(delim)
			continue
		}
		lineEnd := bytes.IndexByte(body[i:], '\n')
		next := len(body)
		if lineEnd < 0 {
			lineEnd = len(body)
		} else {
			lineEnd += i
			next = lineEnd + 1
		}
		rest := body[i+len(delim) : lineEnd]
		closing := bytes.HasPrefix(rest, []byte("--"))
		if !closing && len(bytes.TrimRight(rest, " \t\r")) != 0 {
			pos = i + len(delim) // a longer boundary that starts with ours
			continue
		}
		if start >= 0 {
			end := i
			// The CRLF (or LF) before the delimiter is part of it.
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			chunks = append(chunks, body[start:end])
		}
		foundStart = true
		if closing {
			return chunks, true, true
		}
		start = next
		pos = next
		if len(chunks) > maxParts {
			return chunks, true, false
		}
	}
	if start >= 0 && start <= len(body) {
		chunks = append(chunks, body[start:])
	}
	return chunks, foundStart, false
}

// guessBoundary finds a boundary in a multipart body that does not declare
// one: the first "--token" line that occurs again later. Only the first few
// candidates are tried, so that the search stays linear.
func guessBoundary(body []byte) string {
	rest := body
	if len(rest) > 64<<10 {
		rest = rest[:64<<10]
	}
	for tries := 0; len(rest) > 0 && tries < 5; {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		line = bytes.TrimRight(line, " \t\r")
		if len(line) <= 2 || len(line) >= 200 || !bytes.HasPrefix(line, []byte("--")) || bytes.ContainsAny(line, " \t") {
			continue
		}
		tries++
		b := bytes.TrimSuffix(line[2:], []byte("--"))
		after := body[len(body)-len(rest):]
		if len(b) > 0 && bytes.Contains(after, append([]byte("\n--"), b...)) {
			return string(b)
		}
	}
	return ""
}

// normalizeMediaType applies RFC 2045 defaults to a lower-cased media type:
// a bare "text" is text/plain, a bare "multipart" multipart/mixed, and
// anything unparseable text/plain.
func normalizeMediaType(t string) string {
	t = strings.TrimSpace(t)
	slash := strings.IndexByte(t, '/')
	if slash < 0 {
		switch t {
		case "multipart":
			return "multipart/mixed"
		case "message":
			return "message/rfc822"
		}
		if t == "image" || t == "application" || t == "audio" || t == "video" {
			return t + "/octet-stream"
		}
		return "text/plain"
	}
	typ, sub := t[:slash], t[slash+1:]
	if typ == "" || !isToken(typ) || !isToken(sub) {
		return "text/plain"
	}
	if sub == "" {
		switch typ {
		case "text":
			return "text/plain"
		case "multipart":
			return "multipart/mixed"
		case "message":
			return "message/rfc822"
		}
		return typ + "/octet-stream"
	}
	return typ + "/" + sub
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?=", c) >= 0 {
			return false
		}
	}
	return true
}

func cleanContentID(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
	}
	return strings.TrimSpace(s)
}

// leaves calls fn for each leaf of the tree, in order.
func (p *part) walkLeaves(fn func(*part)) {
	if p == nil {
		return
	}
	if p.isLeaf() {
		fn(p)
		return
	}
	for _, c := range p.children {
		c.walkLeaves(fn)
	}
}

// find returns the leaf with the given id.
func (p *part) find(id string) *part {
	var found *part
	p.walkLeaves(func(l *part) {
		if found == nil && l.id == id {
			found = l
		}
	})
	return found
}
