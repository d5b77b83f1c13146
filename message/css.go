package message

import (
	"regexp"
	"slices"
	"strings"
)

// Style sheets. Mail HTML often styles itself with <style> elements
// (classes, and @media rules that adapt a newsletter to a phone); dropping
// them loses the layout. What is kept of a sheet is rebuilt from checked
// parts only:
//   - style rules whose selectors are plain (selectorRe), with the
//     declarations a style attribute may have, checked by the same
//     cssHandler (so no url() unless remote content is allowed, no
//     expression(), escapes or comments);
//   - @media blocks of such rules, with a plain media query.
//
// Everything else (@import, @font-face, @keyframes, @namespace, …) is
// dropped. The sheet is split by a small parser of our own that only finds
// the structure (blocks, preludes, declarations; strings and parentheses
// respected) and always moves forward; the values are judged by
// bluemonday's CSS handlers as for style attributes. (douceur, the
// stylesheet parser bluemonday's module brings along, loops forever on
// some malformed sheets, which the fuzz target found.) The sandboxed
// frame's CSP is the second line: it loads nothing the sheet could still
// name.

// maxStyleBytes bounds the style sheets read from one message.
const maxStyleBytes = 256 << 10

var (
	selectorRe   = regexp.MustCompile(`^[A-Za-z0-9_\-\s.#,>+~:*()\[\]="'|^$]{1,500}$`)
	mediaQueryRe = regexp.MustCompile(`^[A-Za-z0-9_\-\s(),:.]{0,300}$`)
	classRe      = regexp.MustCompile(`^[A-Za-z0-9_\- ]{1,500}$`)
)

// sanitizeCSS returns what is safe of a sender's style sheet, and whether
// it dropped a remote url() that remote content would have kept.
func sanitizeCSS(src string, allowRemote bool) (out string, remoteDropped bool) {
	if len(src) > maxStyleBytes || strings.IndexByte(src, 0) >= 0 {
		return "", hasRemoteURL(src) && !allowRemote
	}
	// "<!--" and "-->" are allowed around a sheet (CSS ignores them), and
	// mail often has them, conditional comments for Outlook included.
	src = strings.NewReplacer("<!--", " ", "-->", " ").Replace(stripCSSComments(src))
	var b strings.Builder
	writeRules(&b, src, allowRemote, &remoteDropped, 0)
	out = b.String()
	// Every part kept was checked for these already; never let one through
	// that could end the <style> element or hide an escape.
	if strings.ContainsAny(out, "<\\") {
		return "", remoteDropped
	}
	return out, remoteDropped
}

// writeRules writes the safe rules of the sheet (or @media block) src.
func writeRules(b *strings.Builder, src string, allowRemote bool, remoteDropped *bool, depth int) {
	for i := 0; i < len(src); {
		for i < len(src) && (isCSSSpace(src[i]) || src[i] == '}' || src[i] == ';') {
			i++ // stray ends are skipped
		}
		if i >= len(src) {
			return
		}
		// The prelude runs to "{" or, for an at-rule, ";".
		at := src[i] == '@'
		j := scanCSS(src, i, "{;")
		prelude := strings.TrimSpace(src[i:j])
		if j >= len(src) {
			if hasRemoteURL(prelude) && !allowRemote {
				*remoteDropped = true
			}
			return
		}
		if src[j] == ';' {
			// A statement: "@import url(…);" and the like, or junk.
			if hasRemoteURL(prelude) && !allowRemote {
				*remoteDropped = true
			}
			i = j + 1
			continue
		}
		end := blockEnd(src, j)
		block := src[j+1 : end]
		i = end + 1
		switch {
		case at:
			name, query, _ := strings.Cut(prelude, " ")
			query = strings.TrimSpace(query)
			if !strings.EqualFold(name, "@media") || depth >= 4 || !mediaQueryRe.MatchString(query) {
				if hasRemoteURL(block) && !allowRemote {
					*remoteDropped = true
				}
				continue
			}
			var inner strings.Builder
			writeRules(&inner, block, allowRemote, remoteDropped, depth+1)
			if inner.Len() > 0 {
				b.WriteString("@media " + strings.Join(strings.Fields(query), " ") + "{" + inner.String() + "}")
			}
		default:
			writeStyleRule(b, prelude, block, allowRemote, remoteDropped)
		}
	}
}

// scanCSS returns the index of the first byte of stops in src at or after
// i that is outside strings and parentheses, or len(src).
func scanCSS(src string, i int, stops string) int {
	var quote byte
	parens := 0
	for ; i < len(src); i++ {
		c := src[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(':
			parens++
		case c == ')':
			if parens > 0 {
				parens--
			}
		case parens == 0 && strings.IndexByte(stops, c) >= 0:
			return i
		}
	}
	return len(src)
}

// blockEnd returns the index of the "}" that closes the block opened at
// src[open], or len(src) when it is not closed.
func blockEnd(src string, open int) int {
	depth := 0
	for i := open; i < len(src); {
		i = scanCSS(src, i, "{}")
		if i >= len(src) {
			break
		}
		if src[i] == '{' {
			depth++
		} else if depth--; depth == 0 {
			return i
		}
		i++
	}
	return len(src)
}

func isCSSSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// writeStyleRule writes the rule "selectors { block }" with what is safe
// of it, or nothing.
func writeStyleRule(b *strings.Builder, selectors, block string, allowRemote bool, remoteDropped *bool) {
	var sels []string
	for _, s := range strings.Split(selectors, ",") {
		s = strings.Join(strings.Fields(s), " ")
		if s != "" && selectorRe.MatchString(s) {
			sels = append(sels, s)
		}
	}
	var decls []string
	for i := 0; i < len(block); {
		j := scanCSS(block, i, ";")
		decl := block[i:j]
		i = j + 1
		prop, value, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		prop = strings.ToLower(strings.TrimSpace(prop))
		value = strings.TrimSpace(value)
		if hasRemoteURL(value) && !allowRemote {
			*remoteDropped = true
		}
		important := false
		if k := strings.LastIndexByte(value, '!'); k >= 0 && strings.EqualFold(strings.TrimSpace(value[k+1:]), "important") {
			value, important = strings.TrimSpace(value[:k]), true
		}
		if value == "" || strings.ContainsAny(value, "{}!") || !cssPropertyAllowed(prop, allowRemote) ||
			!cssHandler(prop, allowRemote)(strings.ToLower(value)) {
			continue
		}
		if important {
			value += " !important"
		}
		decls = append(decls, prop+":"+value)
	}
	if len(sels) > 0 && len(decls) > 0 {
		b.WriteString(strings.Join(sels, ",") + "{" + strings.Join(decls, ";") + "}")
	}
}
func cssPropertyAllowed(prop string, allowRemote bool) bool {
	return slices.Contains(styleProperties, prop) || allowRemote && prop == "background-image"
}

// stripCSSComments removes /* … */ comments outside strings.
func stripCSSComments(s string) string {
	if !strings.Contains(s, "/*") {
		return s
	}
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 3
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
