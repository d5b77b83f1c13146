package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"
)

// The translations are files in locales/<language>/*.json, in the message
// format of x/text's gotext tool (golang.org/x/text/message/pipeline):
//
//	{"language": "es", "messages": [
//	  {"id": "Inbox", "translation": "Bandeja de entrada"},
//	  {"id": "%d messages", "translation": {"select": {"feature": "plural", "arg": "N",
//	    "cases": {"one": "%d mensaje", "other": "%d mensajes"}}},
//	   "placeholders": [{"id": "N", "string": "%[1]d", "type": "int", "underlyingType": "int", "argNum": 1}]}
//	]}
//
// A message's id is its English text. English needs a file only for the
// messages whose English is not the id alone: plural forms. locales/README.md
// tells translators the rest.
//
//go:embed locales/*/*.json
var localeFiles embed.FS

// A translation is one message of one language, as its file writes it.
type translation struct {
	Lang         language.Tag
	ID           string
	Text         text
	Placeholders []placeholder
	File         string // e.g. "locales/es/core.json"
	Line         int    // where the message's object starts
}

func (t translation) pos() string { return t.File + ":" + strconv.Itoa(t.Line) }

// fileMessage is a message as gotext writes it. Only the fields this
// package reads are accepted, so that a misspelt field is an error rather
// than a translation silently lost.
type fileMessage struct {
	ID                string        `json:"id"`
	Message           text          `json:"message"` // the English source, for the translator's reference
	Translation       text          `json:"translation"`
	Comment           string        `json:"comment,omitempty"`
	TranslatorComment string        `json:"translatorComment,omitempty"`
	Placeholders      []placeholder `json:"placeholders,omitempty"`
}

// text is a message's text: a string, or a choice among strings by the
// plural form of an argument ({"select": …}). A case's text may itself be a
// select.
type text struct {
	Msg    string      `json:"msg,omitempty"`
	Select *selectText `json:"select,omitempty"`
}

type selectText struct {
	Feature string          `json:"feature"` // only "plural"
	Arg     string          `json:"arg"`     // a placeholder's id
	Cases   map[string]text `json:"cases"`
}

// placeholder names an argument of the message, so that a select can say
// which argument it chooses by. "{ID}" in a text stands for its string.
type placeholder struct {
	ID             string `json:"id"`
	String         string `json:"string"`
	Type           string `json:"type,omitempty"`
	UnderlyingType string `json:"underlyingType,omitempty"`
	ArgNum         int    `json:"argNum"`
	Expr           string `json:"expr,omitempty"`
	Comment        string `json:"comment,omitempty"`
	Example        string `json:"example,omitempty"`
}

// UnmarshalJSON reads a text written as a string or as an object.
func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*t = text{}
		return json.Unmarshal(b, &t.Msg)
	}
	type plain text // without this method
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*t = text(p)
	return nil
}

// MarshalJSON writes a text without a select as a plain string.
func (t text) MarshalJSON() ([]byte, error) {
	if t.Select == nil {
		return json.Marshal(t.Msg)
	}
	type plain text
	return json.Marshal(plain(t))
}

func (t text) isEmpty() bool { return t.Msg == "" && t.Select == nil }

// loadCatalog reads every translation file of fsys (laid out as localeFiles
// is) into a catalog; each file's language must be one of supported. It goes
// on past a bad message, so that one run reports every problem; the catalog
// then holds the messages that were good.
func loadCatalog(fsys fs.FS, supported []language.Tag) (*catalog.Builder, []translation, error) {
	cat := catalog.NewBuilder(catalog.Fallback(language.English))
	files, err := fs.Glob(fsys, "locales/*/*.json")
	if err != nil {
		return cat, nil, fmt.Errorf("i18n: %w", err)
	}
	var all []translation
	var errs []error
	seen := map[language.Tag]map[string]string{} // language → id → where
	for _, name := range files {
		ts, err := readLocaleFile(fsys, name, supported)
		if err != nil {
			errs = append(errs, err)
		}
		for _, t := range ts {
			if seen[t.Lang] == nil {
				seen[t.Lang] = map[string]string{}
			}
			if at, dup := seen[t.Lang][t.ID]; dup {
				errs = append(errs, fmt.Errorf("i18n: %s: %q is translated already, at %s", t.pos(), t.ID, at))
				continue
			}
			seen[t.Lang][t.ID] = t.pos()
			m, err := t.Text.compile(t.Placeholders)
			if err == nil {
				err = cat.Set(t.Lang, t.ID, m)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("i18n: %s: %q: %w", t.pos(), t.ID, err))
				continue
			}
			all = append(all, t)
		}
	}
	if len(files) == 0 {
		errs = append(errs, errors.New("i18n: no translation files in locales/"))
	}
	return cat, all, errors.Join(errs...)
}

// readLocaleFile decodes one translation file, noting the line where each
// message starts.
func readLocaleFile(fsys fs.FS, name string, supported []language.Tag) ([]translation, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	fail := func(off int64, err error) error {
		return fmt.Errorf("i18n: %s:%d: %w", name, lineAt(data, off), err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fail(dec.InputOffset(), err)
	}
	var lang language.Tag
	var langSet bool
	var msgs []fileMessage
	var lines []int
	for dec.More() {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(off, err)
		}
		switch tok {
		case "language":
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, fail(off, err)
			}
			if lang, err = supportedTag(s, path.Base(path.Dir(name)), supported); err != nil {
				return nil, fail(off, err)
			}
			langSet = true
		case "messages":
			if err := expectDelim(dec, '['); err != nil {
				return nil, fail(dec.InputOffset(), err)
			}
			for dec.More() {
				start := skipSpace(data, dec.InputOffset())
				var m fileMessage
				if err := dec.Decode(&m); err != nil {
					return nil, fail(errorOffset(err, start), fmt.Errorf("a message: %w", err))
				}
				msgs, lines = append(msgs, m), append(lines, lineAt(data, start))
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, fail(dec.InputOffset(), err)
			}
		default:
			return nil, fail(off, fmt.Errorf("unknown field %v: a translation file has a language and messages", tok))
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fail(dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(dec.InputOffset(), errors.New("text after the end of the document"))
	}
	if !langSet {
		return nil, fmt.Errorf("i18n: %s: no \"language\"", name)
	}
	out := make([]translation, 0, len(msgs))
	var errs []error
	for i, m := range msgs {
		t := translation{Lang: lang, ID: m.ID, Text: m.Translation, Placeholders: m.Placeholders, File: name, Line: lines[i]}
		switch {
		case m.ID == "":
			errs = append(errs, fmt.Errorf("i18n: %s: a message without an id", t.pos()))
		case m.Translation.isEmpty():
			errs = append(errs, fmt.Errorf("i18n: %s: %q has no translation", t.pos(), m.ID))
		default:
			out = append(out, t)
		}
	}
	return out, errors.Join(errs...)
}

// supportedTag parses a file's language, which must be one of supported and
// the name of the file's folder.
func supportedTag(s, dir string, supported []language.Tag) (language.Tag, error) {
	tag, err := language.Parse(s)
	if err != nil {
		return language.Und, fmt.Errorf("language %q: %w", s, err)
	}
	if !slices.Contains(supported, tag) {
		return language.Und, fmt.Errorf("language %q is not one of Supported (i18n.go)", s)
	}
	if s != dir {
		return language.Und, fmt.Errorf("language %q in the folder of %q", s, dir)
	}
	return tag, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("found %v where %v was expected", tok, want)
	}
	return nil
}

// skipSpace returns the offset of the next value after off, past blanks and
// the comma that separates array elements.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

// errorOffset returns where in the document err happened, or def.
func errorOffset(err error, def int64) int64 {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return se.Offset
	case errors.As(err, &te):
		return te.Offset
	}
	return def
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// compile turns t into a catalog message, as gotext's generator would.
func (t text) compile(phs []placeholder) (catalog.Message, error) {
	switch {
	case t.Select != nil && t.Msg != "":
		return nil, errors.New("a text is either a string or a select, not both")
	case t.Select == nil:
		s, err := substitute(t.Msg, phs)
		if err != nil {
			return nil, err
		}
		return catalog.String(s), nil
	}
	sel := t.Select
	if sel.Feature != "plural" {
		return nil, fmt.Errorf("select by %q: only \"plural\" is known", sel.Feature)
	}
	ph, err := pluralArg(sel.Arg, phs)
	if err != nil {
		return nil, err
	}
	if _, ok := sel.Cases["other"]; !ok {
		return nil, errors.New(`a plural select needs an "other" case`)
	}
	var cases []any
	for _, c := range sortedCases(sel.Cases) {
		m, err := sel.Cases[c].compile(phs)
		if err != nil {
			return nil, fmt.Errorf("case %q: %w", c, err)
		}
		cases = append(cases, c, m)
	}
	return plural.Selectf(ph.ArgNum, ph.String, cases...), nil
}

// pluralArg finds the placeholder a plural select chooses by; its string is
// the verb that formats a number.
func pluralArg(id string, phs []placeholder) (placeholder, error) {
	for _, ph := range phs {
		if ph.ID != id {
			continue
		}
		if ph.ArgNum < 1 {
			return ph, fmt.Errorf("placeholder %q: argNum must be the argument's position, from 1", id)
		}
		v := verbs(ph.String)
		if len(v) != 1 || v[0] != ph.String || !strings.ContainsAny(ph.String[len(ph.String)-1:], "dfeg") {
			return ph, fmt.Errorf("placeholder %q: a plural select needs one number verb (%%d, %%[2]d, %%.1f), not %q", id, ph.String)
		}
		return ph, nil
	}
	return placeholder{}, fmt.Errorf("the select's arg %q is not one of the message's placeholders", id)
}

// substitute replaces each {ID} in s by its placeholder's string, as
// gotext does; a brace that names no placeholder is an error there too.
func substitute(s string, phs []placeholder) (string, error) {
	if !strings.Contains(s, "{") {
		return s, nil
	}
	var b strings.Builder
	for {
		l := strings.IndexByte(s, '{')
		if l < 0 {
			break
		}
		r := strings.IndexByte(s[l:], '}')
		if r < 0 {
			return "", fmt.Errorf("an unmatched '{' in %q", s)
		}
		id := strings.TrimSpace(s[l+1 : l+r])
		b.WriteString(s[:l])
		if id != "" && id[0] == '$' {
			b.WriteString(s[l : l+r+1]) // gotext leaves {$…} alone
		} else {
			i := slices.IndexFunc(phs, func(p placeholder) bool { return p.ID == id })
			if i < 0 {
				return "", fmt.Errorf("{%s} is not one of the message's placeholders", id)
			}
			b.WriteString(phs[i].String)
		}
		s = s[l+r+1:]
	}
	b.WriteString(s)
	return b.String(), nil
}

// sortedCases orders a select's cases as gotext's generator does, since the
// first case that matches wins: "<n", then "=n" (by n), then the plural
// forms ("one", "few", …), then "other".
func sortedCases(cases map[string]text) []string {
	class := func(c string) int {
		switch {
		case c == "other":
			return 3
		case strings.HasPrefix(c, "<"):
			return 0
		case strings.HasPrefix(c, "="):
			return 1
		}
		return 2
	}
	keys := make([]string, 0, len(cases))
	for c := range cases {
		keys = append(keys, c)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if ca, cb := class(a), class(b); ca != cb {
			return ca - cb
		}
		na, errA := strconv.Atoi(a[min(1, len(a)):])
		nb, errB := strconv.Atoi(b[min(1, len(b)):])
		if class(a) < 2 && errA == nil && errB == nil {
			return na - nb
		}
		return strings.Compare(a, b)
	})
	return keys
}
