package i18n

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// The catalog tests compare the keys the source uses (source_test.go) with
// the Spanish tables (es_*.go). Each reports every problem it finds in one
// failure, with the file and line of each, so a batch of new keys is fixed
// in one go.

var scanOnce = sync.OnceValues(func() (scan, error) {
	root, err := moduleRoot()
	if err != nil {
		return scan{}, err
	}
	src, err := scanModule(root)
	if err != nil {
		return scan{}, err
	}
	tables, err := scanTables(root)
	if err != nil {
		return scan{}, err
	}
	return scan{src: src, used: src.byKey(), tables: tables}, nil
})

type scan struct {
	src    sourceKeys
	used   map[string][]srcPos // key → where the source uses it
	tables []tableEntry
}

func scanned(t *testing.T) scan {
	t.Helper()
	s, err := scanOnce()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.used) == 0 {
		t.Fatal("the source scan found no keys at all: is the scanner broken?")
	}
	return s
}

// tablePlaces returns where each key of the Spanish tables is written.
func (s scan) tablePlaces() map[string][]srcPos {
	m := make(map[string][]srcPos)
	for _, e := range s.tables {
		m[e.Key] = append(m[e.Key], e.Pos)
	}
	return m
}

func joinPos(ps []srcPos) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// hasLetters reports whether s has anything to translate, verbs aside.
func hasLetters(s string) bool {
	return strings.IndexFunc(verbRE.ReplaceAllString(s, ""), unicode.IsLetter) >= 0
}

// A key used in the source must have a Spanish translation (keys without
// letters, such as "%s: %s", need none).
func TestEveryUsedKeyIsTranslated(t *testing.T) {
	s := scanned(t)
	es := Spanish()
	type missing struct {
		key string
		at  []srcPos
	}
	var miss []missing
	for key, at := range s.used {
		if _, ok := es[key]; !ok && hasLetters(key) {
			miss = append(miss, missing{key, at})
		}
	}
	var dynamic []string
	for _, p := range s.src.Dynamic {
		if !strings.HasPrefix(p.File, "i18n/") {
			dynamic = append(dynamic, p.String())
		}
	}
	if len(dynamic) > 0 {
		t.Logf("T calls with a key in a variable (its literal must be marked with i18n.Key where it is written): %s",
			strings.Join(dynamic, ", "))
	}
	if len(miss) == 0 {
		return
	}
	slices.SortFunc(miss, func(a, b missing) int { return comparePos(a.at[0], b.at[0]) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d keys used in the source have no Spanish translation; add them to the es_*.go of their area:\n", len(miss))
	for _, m := range miss {
		fmt.Fprintf(&b, "\t%s: \"\", // %s\n", strconv.Quote(m.key), joinPos(m.at))
	}
	t.Error(b.String())
}

// A Key call must be given a literal, or the scan cannot see the key.
func TestKeyMarksLiterals(t *testing.T) {
	s := scanned(t)
	if len(s.src.BadKey) > 0 {
		ps := slices.Clone(s.src.BadKey)
		slices.SortFunc(ps, comparePos)
		t.Errorf("i18n.Key must be given a string literal: %s", joinPos(ps))
	}
}

// A Spanish translation whose key the source no longer uses is stale: the
// key changed or went away, and the table was not updated with it.
func TestNoStaleTranslations(t *testing.T) {
	s := scanned(t)
	var stale []tableEntry
	for _, e := range s.tables {
		if _, ok := s.used[e.Key]; !ok {
			stale = append(stale, e)
		}
	}
	if len(stale) == 0 {
		return
	}
	slices.SortFunc(stale, func(a, b tableEntry) int { return comparePos(a.Pos, b.Pos) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d Spanish translations are for keys the source does not use (a key that reaches T through a variable must be written as i18n.Key(\"…\")):\n", len(stale))
	for _, e := range stale {
		fmt.Fprintf(&b, "\t%s: %s\n", e.Pos, strconv.Quote(e.Key))
	}
	t.Error(b.String())
}

// Every table written in an es_*.go file is part of the catalog, and a key
// translated in two tables is translated the same in both.
func TestTablesAreMerged(t *testing.T) {
	s := scanned(t)
	es := Spanish()
	var problems []string
	written := map[string]map[string]string{} // variable → its entries
	where := map[string]string{}              // variable → its file
	for _, e := range s.tables {
		if written[e.Var] == nil {
			written[e.Var], where[e.Var] = map[string]string{}, e.Pos.File
		}
		written[e.Var][e.Key] = e.Value
		if v, ok := es[e.Key]; ok && v != e.Value {
			problems = append(problems, fmt.Sprintf("%s: %s is translated differently elsewhere (%s)",
				e.Pos, strconv.Quote(e.Key), joinPos(s.tablePlaces()[e.Key])))
		}
	}
	for name, m := range written {
		if !slices.ContainsFunc(spanishParts, func(part map[string]string) bool { return maps.Equal(part, m) }) {
			problems = append(problems, fmt.Sprintf("%s: %s is not in the catalog: add it to spanishParts (catalog.go)", where[name], name))
		}
	}
	slices.Sort(problems)
	if len(problems) > 0 {
		t.Error("the Spanish tables:\n\t" + strings.Join(problems, "\n\t"))
	}
}

// verbRE matches a fmt verb: flags, an argument index, width and precision,
// then the verb's letter ("%%" included, and dropped by verbs).
var verbRE = regexp.MustCompile(`%[-+# 0]*(?:\[\d+\])?(?:\*|\d+)?(?:\.(?:\[\d+\])?(?:\*|\d+)?)?(?:\[\d+\])?(?:[a-zA-Z%]|$)`)

// verbs returns s's formatting verbs in order, without "%%".
func verbs(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

// A translation takes the same arguments as its key: the same verbs, in the
// same order.
func TestVerbsMatch(t *testing.T) {
	s := scanned(t)
	var bad []string
	for _, e := range s.tables {
		if k, v := verbs(e.Key), verbs(e.Value); !slices.Equal(k, v) {
			bad = append(bad, fmt.Sprintf("%s: %s has verbs %q, its translation %s has %q",
				e.Pos, strconv.Quote(e.Key), k, strconv.Quote(e.Value), v))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d translations do not take their key's arguments:\n\t%s", len(bad), strings.Join(bad, "\n\t"))
	}
}

// sameInSpanish lists the keys whose words are the same in Spanish, beyond
// those whose only words are acronyms or the product's name (see
// untranslatable).
var sameInSpanish = map[string]bool{
	"Cc": true, // the header's abbreviation, as Spanish mail programs show it
	// The language picker shows each language in its own language, so that
	// anyone finds theirs whatever the interface's language.
	"English": true,
	"Español": true,
}

// acronymRE matches words that are not translated: acronyms and protocol
// names (POP3, SSL/TLS, STARTTLS) and the product's name.
var acronymRE = regexp.MustCompile(`\b(?:[A-Z][A-Z0-9]+|Apartado)\b`)

// untranslatable reports whether key has no words to translate.
func untranslatable(key string) bool {
	return !hasLetters(acronymRE.ReplaceAllString(key, ""))
}

// A translation is not empty, keeps its key's surrounding spaces, and is
// not the English key left as it was.
func TestTranslationsAreTranslated(t *testing.T) {
	s := scanned(t)
	var bad []string
	for _, e := range s.tables {
		switch {
		case strings.TrimSpace(e.Value) == "":
			bad = append(bad, fmt.Sprintf("%s: %s has an empty translation", e.Pos, strconv.Quote(e.Key)))
		case e.Value == e.Key && hasLetters(e.Key) && !untranslatable(e.Key) && !sameInSpanish[e.Key]:
			bad = append(bad, fmt.Sprintf("%s: %s is not translated", e.Pos, strconv.Quote(e.Key)))
		case leadTrail(e.Key) != leadTrail(e.Value):
			bad = append(bad, fmt.Sprintf("%s: %s and its translation %s differ in leading or trailing spaces", e.Pos, strconv.Quote(e.Key), strconv.Quote(e.Value)))
		case !utf8.ValidString(e.Value):
			bad = append(bad, fmt.Sprintf("%s: %s has a translation that is not UTF-8", e.Pos, strconv.Quote(e.Key)))
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d translations are missing words:\n\t%s", len(bad), strings.Join(bad, "\n\t"))
	}
}

func leadTrail(s string) string {
	t := strings.TrimSpace(s)
	i := strings.Index(s, t)
	return s[:i] + "|" + s[i+len(t):]
}

// The catalog loads, and a Spanish reader gets every translation through T,
// formatted without errors.
func TestCatalogPrints(t *testing.T) {
	if err := CatalogError(); err != nil {
		t.Fatalf("CatalogError: %v", err)
	}
	en, es := New(language.English), Match("", "es-ES,es;q=0.9")
	if es.Code() != "es" {
		t.Fatalf("Spanish locale = %s", es.Code())
	}
	var bad []string
	for key, want := range Spanish() {
		args := sampleArgs(key)
		got := es.T(key, args...)
		switch {
		case strings.Contains(got, "%!"):
			bad = append(bad, fmt.Sprintf("%s → %s", strconv.Quote(key), strconv.Quote(got)))
		case want != key && got == en.T(key, args...):
			bad = append(bad, fmt.Sprintf("%s is not looked up in Spanish (got %s)", strconv.Quote(key), strconv.Quote(got)))
		}
	}
	slices.Sort(bad)
	if len(bad) > 0 {
		t.Errorf("%d translations do not print:\n\t%s", len(bad), strings.Join(bad, "\n\t"))
	}
}

// sampleArgs returns an argument for each of key's verbs.
func sampleArgs(key string) []any {
	var args []any
	for _, v := range verbs(key) {
		switch v[len(v)-1] {
		case 'd', 'x', 'X', 'o', 'b', 'c':
			args = append(args, 7)
		case 'f', 'g', 'e', 'F', 'G', 'E':
			args = append(args, 1.5)
		case 't':
			args = append(args, true)
		default:
			args = append(args, "x")
		}
	}
	return args
}

// The scanner finds keys in every form the source writes them, and skips
// what is not source.
func TestScanner(t *testing.T) {
	root := t.TempDir()
	write := func(rel, src string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module "+modulePath+"\n")
	write("handlers/a.go", `package handlers

import (
	"context"

	tr "github.com/apartado/apartado/i18n"
)

var sentences = map[string]string{"x": tr.Key("Marked")}

func f(ctx context.Context, msg string) {
	_ = tr.T(ctx, "Plain %s", "a")
	_ = tr.T(ctx,
		"Split "+
			"line")
	_ = tr.FromContext(ctx).T("Method")
	_ = tr.T(ctx, msg)
	_ = tr.Key(msg)
}
`)
	write("web/page.templ", "package web\n\ntempl P() {\n\t<p>{ i18n.T(ctx, \"In templ\") }</p>\n\t<p title={ i18n.T(r.Context(), `Raw %d`, 1) }>{ i18n.T(ctx, v.Text) }</p>\n\t{ i18n.FromContext(ctx).T(\"Templ method\") }\n}\n")
	write("web/page_templ.go", "package web\n\nimport \"github.com/apartado/apartado/i18n\"\n\nvar _ = i18n.T(nil, \"Generated\")\n")
	write("web/page_test.go", "package web\n\nimport \"github.com/apartado/apartado/i18n\"\n\nvar _ = i18n.T(nil, \"Test\")\n")
	write("web/testdata/x.go", "package x\n\nimport \"github.com/apartado/apartado/i18n\"\n\nvar _ = i18n.T(nil, \"Testdata\")\n")
	write("vendor/v/v.go", "package v\n\nimport \"github.com/apartado/apartado/i18n\"\n\nvar _ = i18n.T(nil, \"Vendor\")\n")
	write("i18n/es_core.go", "package i18n\n\nvar esCore = map[string]string{\"Table\": T(nil, \"Table\")}\n")
	write("i18n/i18n.go", "package i18n\n\nfunc f() { _ = T(nil, \"Own\"); _ = Key(\"Own key\") }\n")

	got, err := scanModule(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Marked":       "handlers/a.go:9",
		"Plain %s":     "handlers/a.go:12",
		"Split line":   "handlers/a.go:14",
		"Method":       "handlers/a.go:16",
		"In templ":     "web/page.templ:4",
		"Raw %d":       "web/page.templ:5",
		"Templ method": "web/page.templ:6",
		"Own":          "i18n/i18n.go:3",
		"Own key":      "i18n/i18n.go:3",
	}
	found := map[string]string{}
	for k, ps := range got.byKey() {
		found[k] = joinPos(ps)
	}
	for k, w := range want {
		if found[k] != w {
			t.Errorf("key %q found at %q, want %q", k, found[k], w)
		}
	}
	for k := range found {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected key %q at %s", k, found[k])
		}
	}
	if d := joinPos(got.Dynamic); d != "handlers/a.go:17, web/page.templ:5" {
		t.Errorf("dynamic calls at %q", d)
	}
	if b := joinPos(got.BadKey); b != "handlers/a.go:18" {
		t.Errorf("bad Key calls at %q", b)
	}
}

func TestVerbs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"no verbs", nil},
		{"100%% sure, %d of %s", []string{"%d", "%s"}},
		{"%-5.2f|%[2]s|%x|%v", []string{"%-5.2f", "%[2]s", "%x", "%v"}},
		{"el 50 % de los", []string{"% d"}}, // fmt would read "% d" as a verb too
		{"trailing %", []string{"%"}},
	} {
		if got := verbs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("verbs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"SSL/TLS", true}, {"STARTTLS", true}, {"%s – Apartado", true}, {"POP3", true},
		{"Inbox", false}, {"SSL/TLS, port 995", false}, {"Cc", false},
	} {
		if got := untranslatable(tc.key); got != tc.want {
			t.Errorf("untranslatable(%q) = %v", tc.key, got)
		}
	}
}
