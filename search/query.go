package search

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apartado/apartado/i18n"
)

// Op is what a term matches on.
type Op int

// The operators. OpText is a bare word or "phrase" matched against
// everything a message is found by.
const (
	OpText    Op = iota
	OpFrom       // from: sender's name or address
	OpTo         // to: recipients' names or addresses (To and Cc)
	OpSubject    // subject:
	OpHas        // has:attachment
	OpIs         // is:unread, is:read, is:starred
	OpIn         // in:FOLDER
	OpAccount    // account:NAME-OR-ADDRESS
	OpBefore     // before:DATE, sent before that day
	OpAfter      // after:DATE, sent on that day or later
	OpLarger     // larger:SIZE, bytes
	OpSmaller    // smaller:SIZE, bytes
)

// The values of is: and has:.
const (
	IsUnread      = "unread"
	IsRead        = "read"
	IsStarred     = "starred"
	HasAttachment = "attachment"
)

// Term is one condition of a query.
type Term struct {
	Op  Op
	Neg bool // written with a leading -
	// Text is the word, the phrase (without its quotes) or the operator's
	// value: for OpIs and OpHas one of the constants above; for OpIn a
	// folder's role ("inbox", "sent", …, "trash") when Role is set, else
	// a mailbox name as written.
	Text   string
	Phrase bool // written in double quotes: the words in that order
	Prefix bool // the word being typed: match words that begin with it
	Role   bool // OpIn: Text is a system mailbox's role
	Date   Date // OpBefore, OpAfter
	Size   int64
}

// Date is a calendar day, in the reader's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// In returns the start of the day in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Clause is one or more terms joined by OR.
type Clause []Term

// Query is a parsed query: every clause must match.
type Query struct {
	Clauses []Clause
}

// DateOrder is how the reader writes a numeric date besides YYYY-MM-DD.
type DateOrder int

// The orders: dd/mm/yyyy (Spanish) and mm/dd/yyyy (English).
const (
	DayFirst DateOrder = iota
	MonthFirst
)

// Error is a query that cannot be parsed: Key is an English message with
// Args, for the interface to translate.
type Error struct {
	Key  string
	Args []any
}

func (e *Error) Error() string { return "search: " + fmt.Sprintf(e.Key, e.Args...) }

// MaxTerms bounds a query's terms, and so the work of one search.
const MaxTerms = 30

// folderRoles names the system mailboxes in English and Spanish, and the
// roles themselves; any other in: value is one of the user's own
// mailboxes by name.
var folderRoles = map[string]string{
	"inbox": "inbox", "sent": "sent", "drafts": "drafts", "draft": "drafts", "archive": "archive",
	"junk": "junk", "spam": "junk", "trash": "trash",
	"entrada": "inbox", "recibidos": "inbox", "bandeja": "inbox", "enviados": "sent", "borradores": "drafts",
	"archivo": "archive", "archivados": "archive", "basura": "junk", "correo-no-deseado": "junk",
	"no-deseado": "junk", "papelera": "trash",
}

// Spanish names of the other values, so a query reads in either language.
var isValues = map[string]string{
	"unread": IsUnread, "read": IsRead, "starred": IsStarred,
	"noleido": IsUnread, "no-leido": IsUnread, "leido": IsRead, "destacado": IsStarred,
}

// operators maps the operator names (English and Spanish) to their Op.
var operators = map[string]Op{
	"from": OpFrom, "to": OpTo, "subject": OpSubject, "has": OpHas, "is": OpIs, "in": OpIn,
	"account": OpAccount, "before": OpBefore, "after": OpAfter, "larger": OpLarger, "smaller": OpSmaller,
	"de": OpFrom, "para": OpTo, "asunto": OpSubject, "tiene": OpHas, "es": OpIs, "en": OpIn,
	"cuenta": OpAccount, "antes": OpBefore, "despues": OpAfter, "mayor": OpLarger, "menor": OpSmaller,
}

// Parse parses a query. order says how the reader writes dd/mm dates. The
// last word, when nothing follows it (not even a space), is the word being
// typed and matches as a prefix.
func Parse(s string, order DateOrder) (Query, error) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	p := &parser{src: s, order: order}
	var q Query
	orNext := false
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			break
		}
		t, isOr, err := p.term()
		if err != nil {
			return Query{}, err
		}
		if isOr {
			if len(q.Clauses) == 0 || orNext {
				return Query{}, &Error{Key: i18n.Key("OR needs something to search for on both sides.")}
			}
			orNext = true
			continue
		}
		p.n++
		if p.n > MaxTerms {
			return Query{}, &Error{Key: i18n.Key("A search can have at most %d terms."), Args: []any{MaxTerms}}
		}
		if orNext {
			last := len(q.Clauses) - 1
			q.Clauses[last] = append(q.Clauses[last], t)
			orNext = false
		} else {
			q.Clauses = append(q.Clauses, Clause{t})
		}
	}
	if orNext {
		return Query{}, &Error{Key: i18n.Key("OR needs something to search for on both sides.")}
	}
	if len(q.Clauses) == 0 {
		return Query{}, &Error{Key: i18n.Key("Type something to search for.")}
	}
	if allNegative(q) {
		return Query{}, &Error{Key: i18n.Key("A search needs at least one term that is not negated with -.")}
	}
	return q, nil
}

// allNegative: every clause is only negated terms, which would match
// nearly all mail.
func allNegative(q Query) bool {
	for _, c := range q.Clauses {
		for _, t := range c {
			if !t.Neg {
				return false
			}
		}
	}
	return true
}

type parser struct {
	src   string
	pos   int
	order DateOrder
	n     int
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// word reads up to the next space (or, when stopQuote, double quote).
func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if unicode.IsSpace(r) || r == '"' {
			break
		}
		p.pos += n
	}
	return p.src[start:p.pos]
}

// quoted reads a "phrase" starting at the opening quote.
func (p *parser) quoted() (string, error) {
	p.pos++ // the opening quote
	end := strings.IndexByte(p.src[p.pos:], '"')
	if end < 0 {
		return "", &Error{Key: i18n.Key("A quotation mark is not closed: add the closing \" after the phrase.")}
	}
	s := p.src[p.pos : p.pos+end]
	p.pos += end + 1
	return s, nil
}

// atEnd: nothing follows the current position.
func (p *parser) atEnd() bool { return p.pos >= len(p.src) }

// term reads one term; isOr reports the OR keyword.
func (p *parser) term() (t Term, isOr bool, err error) {
	if p.src[p.pos] == '-' && p.pos+1 < len(p.src) {
		if r, _ := utf8.DecodeRuneInString(p.src[p.pos+1:]); !unicode.IsSpace(r) {
			t.Neg = true
			p.pos++
		}
	}
	if p.src[p.pos] == '"' {
		s, err := p.quoted()
		if err != nil {
			return t, false, err
		}
		if !hasWordChar(s) {
			return t, false, &Error{Key: i18n.Key("A phrase in quotation marks is empty.")}
		}
		t.Text, t.Phrase = s, true
		return t, false, nil
	}
	w := p.word()
	if w == "OR" && !t.Neg {
		return t, true, nil
	}
	name, value, ok := strings.Cut(w, ":")
	op, known := operators[foldASCII(name)]
	if !ok || name == "" || (!known && !looksLikeOperator(name, value)) {
		// A plain word (a time such as 10:30 or a URL's scheme is a word).
		if w == "" || w == "-" {
			return t, false, &Error{Key: i18n.Key("Type something to search for.")}
		}
		if !hasWordChar(w) {
			return t, false, p.noWords(w)
		}
		t.Text, t.Prefix = w, p.atEnd()
		return t, false, nil
	}
	if !known {
		return t, false, &Error{Key: i18n.Key("Unknown search operator %s: use from:, to:, subject:, has:, is:, in:, account:, before:, after:, larger: or smaller:."), Args: []any{name + ":"}}
	}
	t.Op = op
	if value == "" && p.pos < len(p.src) && p.src[p.pos] == '"' {
		if value, err = p.quoted(); err != nil {
			return t, false, err
		}
		t.Phrase = true
	}
	if strings.TrimSpace(value) == "" {
		return t, false, &Error{Key: i18n.Key("%s needs a value after the colon, with no space."), Args: []any{name + ":"}}
	}
	return t, false, p.value(&t, name, value)
}

func (p *parser) noWords(w string) error {
	return &Error{Key: i18n.Key("%s has no letters or digits to search for."), Args: []any{w}}
}

// value checks and converts an operator's value.
func (p *parser) value(t *Term, name, v string) error {
	switch t.Op {
	case OpFrom, OpTo, OpSubject, OpAccount:
		if t.Op != OpAccount && !hasWordChar(v) {
			return p.noWords(v)
		}
		t.Text = v
		t.Prefix = !t.Phrase && t.Op != OpAccount && p.atEnd()
	case OpHas:
		if f := foldASCII(v); f != "attachment" && f != "adjunto" && f != "attachments" && f != "adjuntos" {
			return &Error{Key: i18n.Key("%s can only be has:attachment."), Args: []any{name + ":" + v}}
		}
		t.Text = HasAttachment
	case OpIs:
		is, ok := isValues[foldASCII(v)]
		if !ok {
			return &Error{Key: i18n.Key("%s is not known: use is:unread, is:read or is:starred."), Args: []any{name + ":" + v}}
		}
		t.Text = is
	case OpIn:
		if role, ok := folderRoles[foldASCII(v)]; ok {
			t.Text, t.Role = role, true
		} else {
			t.Text = v
		}
	case OpBefore, OpAfter:
		d, ok := parseDate(v, p.order)
		if !ok {
			ex := "31/12/2025"
			if p.order == MonthFirst {
				ex = "12/31/2025"
			}
			return &Error{Key: i18n.Key("%s is not a date: write it as 2025-12-31 or %s."), Args: []any{v, ex}}
		}
		t.Date = d
	case OpLarger, OpSmaller:
		n, ok := parseSize(v)
		if !ok {
			return &Error{Key: i18n.Key("%s is not a size: write it as 500K, 10M or 1G."), Args: []any{v}}
		}
		t.Size = n
	}
	return nil
}

// looksLikeOperator: name:value is meant as an operator (a word of
// letters before the colon and something after it), not a word such as
// "10:30", "http://…" or "re:".
func looksLikeOperator(name, value string) bool {
	if value == "" || strings.HasPrefix(value, "/") || len(name) > 12 {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// foldASCII lower-cases s and removes the accents of Spanish letters, so
// "Después:" and "despues:" are one operator.
func foldASCII(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u").Replace(s)
}

func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// parseDate reads YYYY-MM-DD, YYYY/MM/DD, and dd/mm/yyyy or mm/dd/yyyy
// (with / . or -) as order says.
func parseDate(s string, order DateOrder) (Date, bool) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
	if len(parts) != 3 {
		return Date{}, false
	}
	n := make([]int, 3)
	for i, part := range parts {
		v, err := strconv.Atoi(part)
		if err != nil || v < 0 {
			return Date{}, false
		}
		n[i] = v
	}
	var y, m, d int
	switch {
	case len(parts[0]) == 4:
		y, m, d = n[0], n[1], n[2]
	case len(parts[2]) == 4 && order == DayFirst:
		d, m, y = n[0], n[1], n[2]
	case len(parts[2]) == 4:
		m, d, y = n[0], n[1], n[2]
	default:
		return Date{}, false
	}
	if y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return Date{}, false
	}
	if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Day() != d {
		return Date{}, false // 31 April, 29 February of a common year
	}
	return Date{Year: y, Month: time.Month(m), Day: d}, true
}

// parseSize reads a byte count with an optional K, M or G (powers of
// 1024, with an optional B: 10M, 10mb, 500k, 2048).
func parseSize(s string) (int64, bool) {
	s = strings.TrimSuffix(strings.ToUpper(s), "B")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1<<40 || s == "" || strings.ContainsAny(s, "eEnN+-") {
		return 0, false
	}
	return int64(v * float64(mult)), true
}
