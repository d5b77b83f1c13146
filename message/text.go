package message

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// normalizeNewlines turns CRLF and lone CR into LF and removes NUL bytes.
func normalizeNewlines(s string) string {
	if !strings.ContainsAny(s, "\r\x00") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\x00", "")
}

// decodeTextPart decodes a text part to UTF-8 with LF line ends, reflowing
// format=flowed (RFC 3676) and leaving out uuencoded blocks. Only the
// first limit bytes of the raw body are used when limit > 0.
func decodeTextPart(p *part, limit int) string {
	b := p.body
	if limit > 0 && len(b) > limit {
		b = b[:limit]
	}
	d := decodeTransfer(b, p.cte)
	if uuCandidate(p) {
		// Uuencoded blocks are listed as attachments (see uu.go). A
		// prefix read for a snippet may cut a block short.
		d, _ = splitUU(d, limit > 0 && len(p.body) > limit)
	}
	s := normalizeNewlines(decodeCharset(p.charset(), d))
	if strings.EqualFold(p.params["format"], "flowed") {
		s = reflow(s, strings.EqualFold(p.params["delsp"], "yes"))
	}
	return s
}

// reflow joins the lines of format=flowed text (RFC 3676 section 4): a line
// ending in a space continues on the next line of the same quote depth.
// Space-stuffing is removed and quoted lines keep their "> " prefix.
func reflow(s string, delsp bool) string {
	lines := strings.Split(s, "\n")
	var out strings.Builder
	out.Grow(len(s))
	var para strings.Builder
	paraDepth := -1
	emit := func() {
		if paraDepth < 0 {
			return
		}
		if paraDepth > 0 {
			out.WriteString(strings.Repeat(">", paraDepth))
			out.WriteByte(' ')
		}
		out.WriteString(para.String())
		out.WriteByte('\n')
		para.Reset()
		paraDepth = -1
	}
	for i, line := range lines {
		if i == len(lines)-1 && line == "" {
			break // the final line break
		}
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		if strings.HasPrefix(content, " ") {
			content = content[1:] // space-stuffing (section 4.4)
		}
		if paraDepth >= 0 && depth != paraDepth {
			emit() // quote depth changed: the flowed paragraph ends
		}
		flowed := content != "-- " && strings.HasSuffix(content, " ")
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		para.WriteString(content)
		paraDepth = depth
		if !flowed {
			emit()
		}
	}
	emit()
	res := out.String()
	if !strings.HasSuffix(s, "\n") {
		res = strings.TrimSuffix(res, "\n")
	}
	return res
}

var urlRe = regexp.MustCompile(`\bhttps?://[^\s<>"'\x60]+`)

// textToHTML renders plain text as an HTML fragment: escaped, whitespace
// preserved, http(s) URLs made into links.
func textToHTML(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + len(s)/8 + 64)
	sb.WriteString(`<div style="white-space: pre-wrap">`)
	last := 0
	for _, m := range urlRe.FindAllStringIndex(s, -1) {
		u := strings.TrimRight(s[m[0]:m[1]], ".,;:!?)]}")
		end := m[0] + len(u)
		sb.WriteString(html.EscapeString(s[last:m[0]]))
		sb.WriteString(`<a href="`)
		sb.WriteString(html.EscapeString(u))
		sb.WriteString(`">`)
		sb.WriteString(html.EscapeString(u))
		sb.WriteString(`</a>`)
		last = end
	}
	sb.WriteString(html.EscapeString(s[last:]))
	sb.WriteString(`</div>`)
	return sb.String()
}

// snippetFromText makes a list snippet from plain text: quoted lines and
// the "… wrote:" line before them are skipped unless nothing else is left,
// whitespace is collapsed, and the result is cut at about snippetRunes.
func snippetFromText(s string) string {
	lines := strings.Split(s, "\n")
	var main, all strings.Builder
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if all.Len() < 4*snippetRunes*4 {
			all.WriteString(t)
			all.WriteByte(' ')
		}
		if strings.HasPrefix(t, ">") {
			continue
		}
		if strings.HasSuffix(t, "wrote:") && nextNonEmptyQuoted(lines[i+1:]) {
			continue
		}
		main.WriteString(t)
		main.WriteByte(' ')
		if main.Len() > 4*snippetRunes*4 {
			break
		}
	}
	if r := collapse(main.String()); r != "" {
		return cut(r)
	}
	return cut(collapse(all.String()))
}

func nextNonEmptyQuoted(lines []string) bool {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" {
			return strings.HasPrefix(t, ">")
		}
	}
	return false
}

// collapse collapses runs of whitespace and drops control characters and
// the invisible characters newsletters pad their preview text with.
func collapse(s string) string {
	return cleanText(strings.Map(func(r rune) rune {
		switch r {
		case '\u200b', '\u200c', '\u2060', '\u034f', '\u00ad', '\ufeff':
			return -1
		}
		return r
	}, s))
}

// cut shortens s to about snippetRunes runes, at a word boundary when one
// is near.
func cut(s string) string {
	if utf8.RuneCountInString(s) <= snippetRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == snippetRunes {
			head := s[:i]
			if j := strings.LastIndexByte(head, ' '); j > len(head)*3/4 {
				head = head[:j]
			}
			return strings.TrimRightFunc(head, unicode.IsSpace)
		}
		n++
	}
	return s
}

// htmlToText extracts the readable text of an HTML document for snippets:
// the content of script, style, head and similar elements is skipped,
// block elements break lines, and text inside blockquote is kept apart
// (quoted) so that it can be skipped. It stops after about max bytes.
func htmlToText(src []byte, max int) (main, quoted string) {
	z := xhtml.NewTokenizer(bytes.NewReader(src))
	var m, q strings.Builder
	skip := 0
	quote := 0
	for m.Len() < max && q.Len() < max {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return m.String(), q.String()
		case xhtml.TextToken:
			if skip > 0 {
				continue
			}
			if quote > 0 {
				q.Write(z.Text())
			} else {
				m.Write(z.Text())
			}
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			// Not atom.Head: text written straight into the head is
			// shown by browsers (in the body), so it is text here too.
			case atom.Script, atom.Style, atom.Title, atom.Template, atom.Noscript, atom.Svg, atom.Math, atom.Object, atom.Iframe:
				if tt == xhtml.StartTagToken {
					skip++
				} else if tt == xhtml.EndTagToken && skip > 0 {
					skip--
				}
				continue
			case atom.Body:
				skip = 0 // a <head> that was never closed
			case atom.Blockquote:
				if tt == xhtml.StartTagToken {
					quote++
				} else if tt == xhtml.EndTagToken && quote > 0 {
					quote--
				}
			}
			if isBlock(a) {
				if quote > 0 {
					q.WriteByte('\n')
				} else {
					m.WriteByte('\n')
				}
			}
		}
	}
	return m.String(), q.String()
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Br, atom.Dd, atom.Div,
		atom.Dl, atom.Dt, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header, atom.Hr, atom.Li,
		atom.Main, atom.Nav, atom.Ol, atom.P, atom.Pre, atom.Section, atom.Table, atom.Td,
		atom.Th, atom.Tr, atom.Ul, atom.Body:
		return true
	}
	return false
}

// QuotableText is the text of a rendered message to quote in a reply or
// a forward: its plain text body, else the readable text of its HTML body
// (quoted parts included), with LF line ends.
func QuotableText(v *View) string {
	if strings.TrimSpace(v.Text) != "" || v.HTML == "" {
		return v.Text
	}
	main, quoted := htmlToText([]byte(v.HTML), 1<<20)
	if quoted != "" {
		main = strings.TrimRight(main, "\n") + "\n\n" + quoted
	}
	return main
}
