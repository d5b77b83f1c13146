package compose

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	hatom "golang.org/x/net/html/atom"
)

// PlainText is the text alternative of a formatted message: the text of
// its HTML (a body fragment, as message.SanitizeAuthored returns it) laid
// out as a person writes plain mail, so that a reader without HTML gets
// the same message, never an empty part or tags:
//
//   - paragraphs, headings and lists separated by a blank line; <br> ends
//     a line;
//   - list items as "- " (bulleted) or "1. " (numbered), nested lists
//     indented by two spaces a level;
//   - links as "text <url>" (the URL alone when it is the text);
//   - a blockquote's lines quoted with "> " (">> " a level deeper), as
//     format=flowed quotes them (RFC 3676 §4.5), right after the line
//     before it (the attribution of a reply);
//   - a <div> a line, as editors in browsers write them;
//   - white space collapsed as a browser shows it, kept as it is in <pre>.
//
// Lines are separated by LF; it does not wrap them (flowLines does).
func PlainText(fragment string) string {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: hatom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), ctx)
	if err != nil {
		// Nested too deep for the parser: the text without its layout.
		return flatText(fragment)
	}
	t := &textLayout{}
	for _, n := range nodes {
		t.node(n)
	}
	t.endLine()
	lines := t.lines
	for len(lines) > 0 && isBlankLine(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	for len(lines) > 0 && isBlankLine(lines[0]) {
		lines = lines[1:]
	}
	return strings.Join(lines, "\n")
}

func isBlankLine(l string) bool { return strings.Trim(l, "> ") == "" }

// textLayout lays text out line by line.
type textLayout struct {
	lines []string
	cur   strings.Builder // the line being written, without its prefix
	open  bool            // cur has started (it may still be empty: a list marker is coming)
	quote int             // blockquote depth
	since int             // the lines before the innermost blockquote
	lists []list          // the lists the text is in, innermost last
	blank bool            // a blank line comes before the next text
	pre   int             // inside <pre>
	// marker is a list item's marker, written before its first text;
	// indent is what its following lines start with.
	marker, indent string
}

type list struct {
	ordered bool
	n       int
}

// prefix is what starts a line at the current quote depth.
func (t *textLayout) prefix() string {
	if t.quote == 0 {
		return ""
	}
	return strings.Repeat(">", t.quote) + " "
}

// emit adds a finished line.
func (t *textLayout) emit(s string) {
	line := t.prefix() + s
	if strings.TrimSpace(s) == "" {
		line = strings.TrimRight(t.prefix(), " ")
	}
	t.lines = append(t.lines, line)
}

// startText is called before text is written: it writes the blank line
// due, then the list marker or the indent of a continued item.
func (t *textLayout) startText() {
	if t.open {
		return
	}
	t.blankLine()
	t.open = true
	if t.marker != "" {
		t.cur.WriteString(t.marker)
		t.marker = ""
	} else {
		t.cur.WriteString(t.indent)
	}
}

// blankLine writes the blank line due, unless the last line is blank.
func (t *textLayout) blankLine() {
	if !t.blank {
		return
	}
	if n := len(t.lines); n > 0 && !(isBlankLine(t.lines[n-1]) && strings.Count(t.lines[n-1], ">") == t.quote) {
		t.emit("")
	}
	t.blank = false
}

// endLine finishes the current line, if one was started.
func (t *textLayout) endLine() {
	if !t.open {
		return
	}
	line := t.cur.String()
	if line != "-- " { // the signature separator keeps its space (RFC 3676 §4.3)
		line = strings.TrimRight(line, " ")
	}
	t.emit(line)
	t.cur.Reset()
	t.open = false
}

// lineBreak is a <br>: it ends the line, or makes an empty one.
func (t *textLayout) lineBreak() {
	if !t.open {
		t.startText()
	}
	t.endLine()
}

// block ends the line and asks for a blank line before what follows.
func (t *textLayout) block() {
	t.endLine()
	if len(t.lines) > t.since {
		t.blank = true
	}
}

// preText writes the text of a <pre> as it is, line by line.
func (t *textLayout) preText(s string) {
	for i, l := range strings.Split(normalizeNewlines(s), "\n") {
		if i > 0 {
			t.lineBreak()
		}
		if l != "" {
			t.startText()
			t.cur.WriteString(strings.ReplaceAll(l, "\u00a0", " "))
		}
	}
}

// isCollapsible is HTML's white space (not the no-break space).
func isCollapsible(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
}

func (t *textLayout) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.textNode(n.Data)
		return
	case html.ElementNode:
	default:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			t.node(c)
		}
		return
	}
	switch n.DataAtom {
	case hatom.Br:
		t.lineBreak()
		return
	case hatom.Hr:
		t.block()
		t.startText()
		t.cur.WriteString("----")
		t.block()
		return
	case hatom.Img:
		if alt := strings.TrimSpace(attrOf(n, "alt")); alt != "" {
			t.textNode(alt)
		}
		return
	case hatom.Script, hatom.Style, hatom.Head, hatom.Title:
		return
	}
	switch n.DataAtom {
	case hatom.P, hatom.H1, hatom.H2, hatom.H3, hatom.H4, hatom.H5, hatom.H6, hatom.Table, hatom.Dl:
		t.block()
		t.children(n)
		t.block()
	case hatom.Pre:
		t.block()
		t.pre++
		t.children(n)
		t.pre--
		t.block()
	case hatom.Blockquote:
		// Its lines follow the line before it (an attribution) and come
		// before the next; paragraphs around it bring their blank lines.
		t.endLine()
		t.blankLine()
		t.quote++
		saved := t.since
		t.since = len(t.lines)
		t.children(n)
		t.endLine()
		t.quote--
		t.since = saved
	case hatom.Ul, hatom.Ol:
		if len(t.lists) == 0 {
			t.block()
		} else {
			t.endLine()
		}
		l := list{ordered: n.DataAtom == hatom.Ol}
		if s, err := strconv.Atoi(attrOf(n, "start")); err == nil && l.ordered {
			l.n = s - 1
		}
		t.lists = append(t.lists, l)
		saved := t.indent
		t.children(n)
		t.endLine()
		t.indent = saved
		t.lists = t.lists[:len(t.lists)-1]
		if len(t.lists) == 0 {
			t.block()
		}
	case hatom.Li:
		t.endLine()
		saved := t.indent
		depth := max(len(t.lists)-1, 0)
		marker := "- "
		if len(t.lists) > 0 && t.lists[len(t.lists)-1].ordered {
			t.lists[len(t.lists)-1].n++
			marker = strconv.Itoa(t.lists[len(t.lists)-1].n) + ". "
		}
		pad := strings.Repeat("  ", depth)
		t.marker, t.indent = pad+marker, pad+strings.Repeat(" ", len(marker))
		t.children(n)
		t.endLine()
		t.marker, t.indent = "", saved
	case hatom.Div, hatom.Tr, hatom.Dt, hatom.Dd, hatom.Center, hatom.Caption:
		t.endLine()
		t.children(n)
		t.endLine()
	case hatom.Td, hatom.Th:
		if t.open {
			t.cur.WriteString("  ")
		}
		t.children(n)
	case hatom.A:
		t.children(n)
		t.link(n)
	default:
		t.children(n)
	}
}

func (t *textLayout) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.node(c)
	}
}

// link writes a link's address after its text, unless the text is the
// address.
func (t *textLayout) link(n *html.Node) {
	href := strings.TrimSpace(attrOf(n, "href"))
	if href == "" {
		return
	}
	text := strings.Join(strings.Fields(nodeText(n)), " ")
	bare := strings.TrimPrefix(href, "mailto:")
	if text == href || text == bare || strings.TrimSuffix(href, "/") == text {
		return
	}
	t.textNode(" <" + href + ">")
}

// textNode writes text as a browser shows it: runs of white space as one
// space, none at the start of a line.
func (t *textLayout) textNode(s string) {
	if t.pre > 0 {
		t.preText(s)
		return
	}
	words := strings.FieldsFunc(s, isCollapsible)
	lead := s != "" && isCollapsible(rune(s[0]))
	trail := s != "" && isCollapsible(rune(s[len(s)-1]))
	if len(words) == 0 {
		if cur := t.cur.String(); lead && t.open && cur != "" && !strings.HasSuffix(cur, " ") {
			t.cur.WriteByte(' ')
		}
		return
	}
	t.startText()
	cur := t.cur.String()
	if lead && cur != "" && !strings.HasSuffix(cur, " ") {
		t.cur.WriteByte(' ')
	}
	t.cur.WriteString(strings.ReplaceAll(strings.Join(words, " "), "\u00a0", " "))
	if trail {
		t.cur.WriteByte(' ')
	}
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// flatText is the text of HTML the parser refuses, its runs of white
// space collapsed, each element's text apart from the next.
func flatText(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var words []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.Join(words, " ")
		case html.TextToken:
			words = append(words, strings.FieldsFunc(string(z.Text()), isCollapsible)...)
		}
	}
}
