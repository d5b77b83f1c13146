package message

import (
	"bytes"
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/microcosm-cc/bluemonday/css"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Sender HTML goes through two passes:
//
//  1. prepare, our own pass over the tokens (golang.org/x/net/html's
//     tokenizer, the one bluemonday uses): it drops the <head>, turns <body>
//     into a <div>, resolves cid: images to placeholders, drops remote
//     resources unless allowed (noting that it did), keeps only http(s)
//     and mailto links and gives them target and rel.
//  2. bluemonday, with a policy built from UGCPolicy, which is the security
//     boundary: only its allowlisted elements, attributes, URL schemes and
//     CSS properties survive.
//
// Finally the placeholders are replaced by the URLs the app serves parts
// at, and the fragment is wrapped in a complete document.

// partScheme is the URL scheme of the placeholders for cid: images.
const partScheme = "apartado-part"

var (
	dataImageRe  = regexp.MustCompile(`^data:image/(png|jpeg|jpg|gif|webp);base64,[a-z0-9+/=\s]*$`)
	colorRe      = regexp.MustCompile(`^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|rgba?\([0-9., %]{5,40}\))$`)
	fontFaceRe   = regexp.MustCompile(`^[\p{L}\p{N} ,'_-]{1,200}$`)
	fontSizeRe   = regexp.MustCompile(`^[+-]?[1-7]$`)
	smallIntRe   = regexp.MustCompile(`^[0-9]{1,4}$`)
	alignRe      = regexp.MustCompile(`(?i)^(left|right|center|justify)$`)
	remoteAttrRe = regexp.MustCompile(`^https?://[^\s"'<>\\()]+$`)
	exactBlank   = regexp.MustCompile(`^_blank$`)
	exactRel     = regexp.MustCompile(`^noopener noreferrer$`)
)

// styleProperties are the CSS properties kept in style attributes; their
// values are checked by bluemonday's handlers, and no url() gets through
// (see cssHandler).
var styleProperties = []string{
	"color", "background-color", "background",
	"font", "font-family", "font-size", "font-style", "font-weight", "font-variant",
	"text-align", "text-decoration", "text-indent", "text-transform", "letter-spacing",
	"word-spacing", "line-height", "white-space", "word-break", "word-wrap", "overflow-wrap",
	"vertical-align", "direction",
	"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
	"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
	"border", "border-top", "border-right", "border-bottom", "border-left",
	"border-color", "border-style", "border-width", "border-radius",
	"border-top-color", "border-right-color", "border-bottom-color", "border-left-color",
	"border-top-style", "border-right-style", "border-bottom-style", "border-left-style",
	"border-top-width", "border-right-width", "border-bottom-width", "border-left-width",
	"border-collapse", "border-spacing",
	"width", "height", "max-width", "min-width", "max-height", "min-height",
	"display", "float", "clear", "table-layout", "list-style-type", "list-style-position",
	"caption-side", "empty-cells", "visibility", "opacity", "overflow", "text-overflow",
	"box-sizing",
}

// cssHandler wraps bluemonday's value check for a property. It refuses
// anything that could load or run something: url() (unless remote content
// is allowed and the property is a background), expression(), escapes
// and comments (which could hide either), and image-set()/element().
func cssHandler(prop string, allowRemote bool) func(string) bool {
	h := css.GetDefaultHandler(prop)
	remoteOK := allowRemote && (prop == "background" || prop == "background-image")
	return func(v string) bool {
		if strings.ContainsAny(v, "\\<>") || strings.Contains(v, "/*") ||
			strings.Contains(v, "expression") || strings.Contains(v, "image-set") ||
			strings.Contains(v, "element(") || strings.Contains(v, "javascript") {
			return false
		}
		if strings.Contains(v, "url(") && !remoteOK {
			return false
		}
		return h(v)
	}
}

func newPolicy(allowRemote bool) *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	p.AllowRelativeURLs(false)
	p.RequireNoReferrerOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowDataURIImages()
	p.AllowURLSchemeWithCustomPolicy(partScheme, func(u *url.URL) bool {
		return partIDRe.MatchString(u.Opaque)
	})
	// Defence in depth behind prepare: only data:, placeholders and (when
	// allowed) http(s) image sources.
	p.RewriteSrc(func(u *url.URL) {
		switch strings.ToLower(u.Scheme) {
		case "data", partScheme:
			return
		case "http", "https":
			if allowRemote {
				return
			}
		}
		*u = url.URL{}
	})
	p.AllowAttrs("target").Matching(exactBlank).OnElements("a", "area")
	p.AllowAttrs("rel").Matching(exactRel).OnElements("a", "area")

	// What mail HTML is made of.
	p.AllowElements("center", "font")
	p.AllowAttrs("color").Matching(colorRe).OnElements("font")
	p.AllowAttrs("face").Matching(fontFaceRe).OnElements("font")
	p.AllowAttrs("size").Matching(fontSizeRe).OnElements("font")
	p.AllowAttrs("bgcolor").Matching(colorRe).OnElements("table", "thead", "tbody", "tfoot", "tr", "td", "th", "div")
	p.AllowAttrs("align").Matching(alignRe).OnElements("table", "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "hr")
	p.AllowAttrs("border", "cellpadding", "cellspacing").Matching(smallIntRe).OnElements("table")
	p.AllowAttrs("border", "hspace", "vspace").Matching(smallIntRe).OnElements("img")
	p.AllowAttrs("width").Matching(bluemonday.NumberOrPercent).OnElements("hr")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	// Classes, for the rules of the message's own style sheet (css.go).
	p.AllowAttrs("class").Matching(classRe).Globally()
	if allowRemote {
		p.AllowAttrs("background").Matching(remoteAttrRe).OnElements("table", "td", "th", "tr", "div")
	}
	for _, prop := range styleProperties {
		p.AllowStyles(prop).MatchingHandler(cssHandler(prop, allowRemote)).Globally()
	}
	if allowRemote {
		p.AllowStyles("background-image").MatchingHandler(cssHandler("background-image", true)).Globally()
	}
	return p
}

var (
	policyBlocked = sync.OnceValue(func() *bluemonday.Policy { return newPolicy(false) })
	policyRemote  = sync.OnceValue(func() *bluemonday.Policy { return newPolicy(true) })
)

// sanitizer carries one message's state through prepare.
type sanitizer struct {
	allowRemote   bool
	authored      bool // the user's own HTML, to send: links get no target or rel
	resolveCID    func(cid string) (partID string, ok bool)
	partURLs      bool // cid: images can be pointed at part URLs
	remoteBlocked bool
	referenced    map[string]bool // part ids referenced through cid:
	styleSrc      strings.Builder // the text of the <style> elements of the document being prepared
	css           strings.Builder // what is safe of them, for every document sanitized
}

// sanitize returns the safe body fragment of an HTML document, with cid:
// images as partScheme placeholders.
func (s *sanitizer) sanitize(src []byte) string {
	s.styleSrc.Reset()
	prepared := s.prepare(src)
	if s.styleSrc.Len() > 0 && s.css.Len() < maxStyleBytes {
		sheet, dropped := sanitizeCSS(s.styleSrc.String(), s.allowRemote)
		s.css.WriteString(sheet)
		s.remoteBlocked = s.remoteBlocked || dropped
	}
	pol := policyBlocked()
	if s.allowRemote {
		pol = policyRemote()
	}
	return pol.SanitizeReader(bytes.NewReader(prepared)).String()
}

// headElements may appear in a <head>; any other start tag ends it.
func headElement(a atom.Atom) bool {
	switch a {
	case atom.Title, atom.Meta, atom.Link, atom.Style, atom.Script, atom.Base, atom.Noscript, atom.Template, atom.Object:
		return true
	}
	return false
}

// hasContent says whether a head element has content and an end tag
// (meta, link and base have neither).
func hasContent(a atom.Atom) bool {
	return a != atom.Meta && a != atom.Link && a != atom.Base
}

func (s *sanitizer) prepare(src []byte) []byte {
	z := xhtml.NewTokenizer(bytes.NewReader(src))
	var out bytes.Buffer
	out.Grow(len(src))
	inHead := false
	var headEl atom.Atom // the head element (title, style, …) being skipped
	inStyle := false     // in a <style> element: its text is a style sheet
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		tok := z.Token()
		switch tt {
		case xhtml.TextToken:
			if inStyle || inHead && headEl == atom.Style {
				if s.styleSrc.Len()+len(tok.Data) <= maxStyleBytes {
					s.styleSrc.WriteString(tok.Data)
				}
				continue
			}
			if inHead && headEl == 0 && strings.TrimSpace(tok.Data) != "" {
				// As in a browser (HTML "in head" insertion mode), text
				// in the head outside its elements ends the head and
				// starts the body.
				inHead = false
			}
			if !inHead {
				out.WriteString(tok.String())
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			a := tok.DataAtom
			if inHead {
				if headElement(a) {
					if tt == xhtml.StartTagToken && headEl == 0 && hasContent(a) {
						headEl = a
					}
					continue
				}
				inHead = false
			}
			switch a {
			case atom.Head:
				inHead = tt == xhtml.StartTagToken
				continue
			case atom.Style:
				inStyle = tt == xhtml.StartTagToken
				continue
			case atom.Html:
				continue
			case atom.Body:
				tok.Data, tok.DataAtom = "div", atom.Div
			}
			tok.Attr = s.filterAttrs(a, tok.Attr)
			out.WriteString(tok.String())
		case xhtml.EndTagToken:
			a := tok.DataAtom
			if inHead && a == headEl {
				headEl = 0
				continue
			}
			if a == atom.Head {
				inHead, headEl = false, 0
				continue
			}
			if a == atom.Style {
				inStyle = false
				continue
			}
			if inHead || a == atom.Html {
				continue
			}
			if a == atom.Body {
				tok.Data, tok.DataAtom = "div", atom.Div
			}
			out.WriteString(tok.String())
		}
		// Comments and doctypes are dropped.
	}
	return out.Bytes()
}

func (s *sanitizer) filterAttrs(el atom.Atom, attrs []xhtml.Attribute) []xhtml.Attribute {
	out := attrs[:0]
	isLink := el == atom.A || el == atom.Area
	hasHref := false
	for _, at := range attrs {
		if at.Namespace != "" || strings.HasPrefix(at.Key, "on") {
			continue
		}
		switch at.Key {
		case "style":
			if hasRemoteURL(at.Val) && !s.allowRemote {
				s.remoteBlocked = true // bluemonday drops the url() declarations
			}
		case "background":
			if isRemote(at.Val) {
				if !s.allowRemote {
					s.remoteBlocked = true
					continue
				}
				at.Val = strings.TrimSpace(at.Val)
				if strings.HasPrefix(at.Val, "//") {
					at.Val = "https:" + at.Val
				}
			} else {
				continue
			}
		case "src":
			if el != atom.Img {
				continue
			}
			v, ok := s.imageSource(at.Val)
			if !ok {
				continue
			}
			at.Val = v
		case "href":
			if !isLink || !safeHref(at.Val) {
				continue
			}
			at.Val = strings.TrimSpace(at.Val)
			hasHref = true
		case "target", "rel", "srcset", "action", "formaction", "xmlns", "poster", "data", "codebase", "dynsrc", "lowsrc":
			continue
		}
		out = append(out, at)
	}
	if hasHref && !s.authored {
		out = append(out,
			xhtml.Attribute{Key: "target", Val: "_blank"},
			xhtml.Attribute{Key: "rel", Val: "noopener noreferrer"})
	}
	return out
}

// imageSource maps an <img src> to what may be kept: a cid: reference to
// a placeholder for the part, a data: image, or a remote URL when remote
// content is allowed.
func (s *sanitizer) imageSource(v string) (string, bool) {
	v = strings.TrimSpace(v)
	lower := strings.ToLower(v)
	switch {
	case strings.HasPrefix(lower, "cid:"):
		cid := v[4:]
		if u, err := url.PathUnescape(cid); err == nil {
			cid = u
		}
		cid = strings.Trim(cid, "<> ")
		if s.resolveCID == nil {
			return "", false
		}
		id, ok := s.resolveCID(cid)
		if !ok {
			return "", false
		}
		if s.referenced == nil {
			s.referenced = map[string]bool{}
		}
		s.referenced[id] = true
		if !s.partURLs {
			return "", false
		}
		return partScheme + ":" + id, true
	case strings.HasPrefix(lower, "data:"):
		if !dataImageRe.MatchString(lower) {
			return "", false
		}
		return strings.Join(strings.Fields(v), ""), true
	case isRemote(v):
		if !s.allowRemote {
			s.remoteBlocked = true
			return "", false
		}
		if strings.HasPrefix(v, "//") {
			v = "https:" + v
		}
		return v, true
	}
	return "", false
}

func isRemote(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "//")
}

// hasRemoteURL reports whether CSS text references a remote url().
func hasRemoteURL(v string) bool {
	lv := strings.ToLower(v)
	for {
		i := strings.Index(lv, "url(")
		if i < 0 {
			return false
		}
		lv = lv[i+4:]
		arg := strings.TrimLeft(lv, " \t\r\n\"'")
		if isRemote(arg) {
			return true
		}
	}
}

// safeHref accepts http, https and mailto links only.
func safeHref(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v, "\x00\t\r\n") {
		return false
	}
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return true
	}
	return false
}

// resolvePlaceholders replaces the partScheme placeholders in sanitized
// HTML with the URLs the app serves the parts at. bluemonday writes
// attribute values in double quotes and escapes quotes in text, so a
// quoted placeholder can only be one of our src attributes.
func resolvePlaceholders(frag string, ids map[string]bool, partURL func(string) string) string {
	if !strings.Contains(frag, partScheme+":") {
		return frag
	}
	pairs := make([]string, 0, 2*len(ids))
	for id := range ids {
		u := ""
		if partURL != nil {
			u = partURL(id)
		}
		pairs = append(pairs, `"`+partScheme+":"+id+`"`, `"`+html.EscapeString(u)+`"`)
	}
	return strings.NewReplacer(pairs...).Replace(frag)
}

const (
	docHead      = `<!DOCTYPE html><html><head><meta charset="utf-8"><base target="_blank">`
	docBodyStart = `</head><body>`
	docEnd       = `</body></html>`
)

// baseCSS comes before the sender's own rules: images and layout tables
// no wider than the frame, so a 600-pixel newsletter fits a phone where
// its content allows.
const baseCSS = "img{max-width:100%;height:auto}table{max-width:100%}"

// wrapDocument makes a complete document of a sanitized fragment and the
// sanitized style sheet that goes with it.
func wrapDocument(frag, css string) string {
	return docHead + "<style>" + baseCSS + css + "</style>" + docBodyStart + frag + docEnd
}

// SanitizeHTML sanitizes a sender's HTML document into a complete, safe
// document for a sandboxed iframe. Images referenced by cid: are removed
// (use Render for whole messages); remote images and CSS are removed
// unless allowRemote, and remoteBlocked says whether any were.
func SanitizeHTML(src string, allowRemote bool) (doc string, remoteBlocked bool) {
	s := &sanitizer{allowRemote: allowRemote}
	frag := s.sanitize([]byte(src))
	return wrapDocument(frag, s.css.String()), s.remoteBlocked
}

// SanitizeAuthored sanitizes HTML a person wrote to send (the composer's
// formatted text) by the rules mail is shown with: the same pass and the
// same policy as SanitizeHTML with remote content blocked, so no scripts,
// event handlers, javascript: links, forms, frames, style sheets or remote
// images survive. It returns the body fragment, with a line break after
// each block (see AuthoredDocument); links keep no target or rel, which
// are the reader's business.
func SanitizeAuthored(src string) string {
	s := &sanitizer{authored: true}
	return breakBlocks(s.sanitize([]byte(src)))
}

// AuthoredDocument wraps a fragment from SanitizeAuthored in the minimal
// well-formed document a text/html part carries, as Thunderbird writes
// it.
func AuthoredDocument(frag string) string {
	return "<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv=\"content-type\" content=\"text/html; charset=UTF-8\">\n" +
		"</head>\n<body>\n" + strings.TrimSpace(frag) + "\n</body>\n</html>\n"
}

// breakBlocks puts a line break after the end of each block element and
// after <br> (outside <pre>, where it would show), so that a sent HTML
// part has lines a person can read rather than one line per message.
// Between blocks a line break shows as nothing.
func breakBlocks(frag string) string {
	z := xhtml.NewTokenizer(strings.NewReader(frag))
	var b strings.Builder
	b.Grow(len(frag) + len(frag)/16)
	pre := 0
	broke := false // a line break was just added: one already there is not doubled
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return b.String()
		}
		raw := z.Raw()
		if tt == xhtml.TextToken {
			if broke {
				raw = bytes.TrimLeft(raw, "\n")
			}
			b.Write(raw)
			broke = false
			continue
		}
		name, _ := z.TagName()
		a := atom.Lookup(name)
		b.Write(raw)
		broke = false
		if a == atom.Pre && tt == xhtml.StartTagToken {
			pre++
			continue
		}
		if a == atom.Pre && tt == xhtml.EndTagToken && pre > 0 {
			pre--
		}
		if pre == 0 && (a == atom.Br && tt != xhtml.EndTagToken || tt == xhtml.EndTagToken && blockElement(a)) {
			b.WriteByte('\n')
			broke = true
		}
	}
}

// blockElement says whether a line break after the element's end tag
// shows as nothing.
func blockElement(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.Blockquote, atom.Pre, atom.Table, atom.Tr,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Hr, atom.Dl, atom.Dd, atom.Dt:
		return true
	}
	return false
}
