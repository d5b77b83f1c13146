package i18n

import (
	"fmt"
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
// the translation files (locales/). Each reports every problem it finds in
// one failure, with the file and line of each, so a batch of new keys is
// fixed in one go.

var scanOnce = sync.OnceValues(func() (scan, error) {
	root, err := moduleRoot()
	if err != nil {
		return scan{}, err
	}
	src, err := scanModule(root)
	if err != nil {
		return scan{}, err
	}
	return scan{src: src, used: src.byKey()}, nil
})

type scan struct {
	src  sourceKeys
	used map[string][]srcPos // key → where the source uses it
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

// loaded returns the translations of locales/, failing the test if they
// did not all load.
func loaded(t *testing.T) []translation {
	t.Helper()
	if err := CatalogError(); err != nil {
		t.Fatalf("the translation files:\n%v", err)
	}
	if len(translations) == 0 {
		t.Fatal("no translations loaded")
	}
	return translations
}

// inLanguage returns the translations of one language, by id.
func inLanguage(ts []translation, tag language.Tag) map[string]translation {
	m := make(map[string]translation)
	for _, t := range ts {
		if t.Lang == tag {
			m[t.ID] = t
		}
	}
	return m
}

// where is a translation's place, relative to the module's root.
func where(t translation) srcPos { return srcPos{File: "i18n/" + t.File, Line: t.Line} }

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

// A key used in the source must have a translation in every language but
// English, whose text is the key (keys without letters, such as "%s: %s",
// need none).
func TestEveryUsedKeyIsTranslated(t *testing.T) {
	s := scanned(t)
	ts := loaded(t)
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
	for _, tag := range Supported {
		if tag == language.English {
			continue
		}
		have := inLanguage(ts, tag)
		type missing struct {
			key string
			at  []srcPos
		}
		var miss []missing
		for key, at := range s.used {
			if _, ok := have[key]; !ok && hasLetters(key) {
				miss = append(miss, missing{key, at})
			}
		}
		if len(miss) == 0 {
			continue
		}
		slices.SortFunc(miss, func(a, b missing) int { return comparePos(a.at[0], b.at[0]) })
		var b strings.Builder
		fmt.Fprintf(&b, "%d keys used in the source have no translation in %s; add them to the i18n/locales/%s/*.json of their area (see i18n/locales/README.md):\n", len(miss), tag, tag)
		for _, m := range miss {
			fmt.Fprintf(&b, "\t{\"id\": %s, \"translation\": \"\"}, // %s\n", jsonQuote(m.key), joinPos(m.at))
		}
		t.Error(b.String())
	}
}

// jsonQuote writes s as a JSON string, for messages that suggest an entry.
func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
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

// A translation whose key the source no longer uses is stale: the key
// changed or went away, and the file was not updated with it.
func TestNoStaleTranslations(t *testing.T) {
	s := scanned(t)
	var stale []translation
	for _, tr := range loaded(t) {
		if _, ok := s.used[tr.ID]; !ok {
			stale = append(stale, tr)
		}
	}
	if len(stale) == 0 {
		return
	}
	slices.SortFunc(stale, func(a, b translation) int { return comparePos(where(a), where(b)) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d translations are for keys the source does not use (a key that reaches T through a variable must be written as i18n.Key(\"…\")):\n", len(stale))
	for _, tr := range stale {
		fmt.Fprintf(&b, "\t%s: %s\n", where(tr), strconv.Quote(tr.ID))
	}
	t.Error(b.String())
}

// Translations live in locales/, not in Go: a table written in Go is not
// part of the catalog.
func TestNoTablesInGo(t *testing.T) {
	files, err := filepath.Glob("es_*.go")
	if err != nil {
		t.Fatal(err)
	}
	if files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") }); len(files) > 0 {
		t.Errorf("i18n/%s: Spanish goes in i18n/locales/es/*.json now (see i18n/locales/README.md); a Go map is not read",
			strings.Join(files, ", i18n/"))
	}
}

// A leaf is one string of a translation: the whole of a plain one, or one
// case of a select.
type leaf struct {
	Case     string       // "" for a plain translation, else the cases leading to it ("one", "other/one")
	Text     string       // with placeholders substituted
	Optional map[int]bool // the arguments this case may leave out: those it is selected by
}

// leaves returns every string of tr, placeholders substituted.
func leaves(tr translation) ([]leaf, error) {
	var out []leaf
	var walk func(t text, path string, optional map[int]bool) error
	walk = func(t text, path string, optional map[int]bool) error {
		if t.Select == nil {
			s, err := substitute(t.Msg, tr.Placeholders)
			out = append(out, leaf{Case: path, Text: s, Optional: optional})
			return err
		}
		ph, err := pluralArg(t.Select.Arg, tr.Placeholders)
		if err != nil {
			return err
		}
		for _, c := range sortedCases(t.Select.Cases) {
			opt := optional
			if c != "other" {
				opt = map[int]bool{ph.ArgNum: true}
				for k := range optional {
					opt[k] = true
				}
			}
			if err := walk(t.Select.Cases[c], strings.TrimPrefix(path+"/"+c, "/"), opt); err != nil {
				return err
			}
		}
		return nil
	}
	err := walk(tr.Text, "", nil)
	return out, err
}

// argVerbs says which verb formats each argument of s, numbered from 1 as
// fmt numbers them (explicit indexes included), without the index itself:
// "%[2]s and %d" → {2: "%s", 3: "%d"}. A '*' width or precision takes an
// argument too, recorded as "*".
func argVerbs(s string) map[int]string {
	out := map[int]string{}
	next := 1
	index := regexp.MustCompile(`^\[(\d+)\]`)
	for _, v := range verbs(s) {
		if v == "%" { // a "%" at the end of the text
			out[next] = "%"
			next++
			continue
		}
		spec, body := "%", v[1:]
		for body != "" {
			if m := index.FindStringSubmatch(body); m != nil {
				next, _ = strconv.Atoi(m[1])
				body = body[len(m[0]):]
				continue
			}
			switch {
			case body[0] == '*':
				out[next] = "*"
				next++
			case len(body) == 1: // the verb's letter
				out[next] = spec + body
				next++
			default:
				spec += body[:1]
			}
			body = body[1:]
		}
	}
	return out
}

// A translation takes the same arguments as its key, each with the same
// verb (it may reorder them with %[n]). A case of a plural select other
// than "other" may leave out the number it is selected by ("un día"), and
// only that.
func TestVerbsMatch(t *testing.T) {
	var bad []string
	for _, tr := range loaded(t) {
		want := argVerbs(tr.ID)
		ls, err := leaves(tr)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %s: %v", where(tr), strconv.Quote(tr.ID), err))
			continue
		}
		for _, l := range ls {
			got := argVerbs(l.Text)
			var problems []string
			for n, v := range want {
				if g, ok := got[n]; !ok && !l.Optional[n] {
					problems = append(problems, fmt.Sprintf("argument %d (%s) is missing", n, v))
				} else if ok && g != v {
					problems = append(problems, fmt.Sprintf("argument %d is %s, not %s", n, g, v))
				}
			}
			for n, g := range got {
				if _, ok := want[n]; !ok {
					problems = append(problems, fmt.Sprintf("%s takes argument %d, which the key does not have", g, n))
				}
			}
			if len(problems) > 0 {
				slices.Sort(problems)
				bad = append(bad, fmt.Sprintf("%s: %s: translation %s%s: %s", where(tr), strconv.Quote(tr.ID),
					strconv.Quote(l.Text), caseName(l.Case), strings.Join(problems, "; ")))
			}
		}
	}
	slices.Sort(bad)
	if len(bad) > 0 {
		t.Errorf("%d translations do not take their key's arguments:\n\t%s", len(bad), strings.Join(bad, "\n\t"))
	}
}

func caseName(c string) string {
	if c == "" {
		return ""
	}
	return " (case " + c + ")"
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
	var bad []string
	for _, tr := range loaded(t) {
		if tr.Lang == language.English {
			continue // TestEnglishIsPluralForms
		}
		ls, err := leaves(tr)
		if err != nil {
			continue // TestVerbsMatch says why
		}
		for _, l := range ls {
			at := fmt.Sprintf("%s: %s%s", where(tr), strconv.Quote(tr.ID), caseName(l.Case))
			switch {
			case strings.TrimSpace(l.Text) == "":
				bad = append(bad, at+" has an empty translation")
			case l.Text == tr.ID && hasLetters(tr.ID) && !untranslatable(tr.ID) && !sameInSpanish[tr.ID]:
				bad = append(bad, at+" is not translated")
			case leadTrail(tr.ID) != leadTrail(l.Text):
				bad = append(bad, fmt.Sprintf("%s and its translation %s differ in leading or trailing spaces", at, strconv.Quote(l.Text)))
			case !utf8.ValidString(l.Text):
				bad = append(bad, at+" has a translation that is not UTF-8")
			}
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

// English is the keys themselves, but for plural forms: locales/en holds
// only plural selects, whose "other" case is the key, and every key that
// some language selects by plural form has its English forms there (or an
// English reader would see "1 messages").
func TestEnglishIsPluralForms(t *testing.T) {
	ts := loaded(t)
	en := inLanguage(ts, language.English)
	var bad []string
	for _, tr := range en {
		switch {
		case tr.Text.Select == nil:
			bad = append(bad, fmt.Sprintf("%s: %s: an English entry that is not a plural select; the key is the English text", where(tr), strconv.Quote(tr.ID)))
		case tr.Text.Select.Cases["other"].Select != nil:
			// A nested select: its own cases are checked by TestVerbsMatch.
		default:
			if other, _ := substitute(tr.Text.Select.Cases["other"].Msg, tr.Placeholders); other != tr.ID {
				bad = append(bad, fmt.Sprintf("%s: %s: the \"other\" case %s is not the key", where(tr), strconv.Quote(tr.ID), strconv.Quote(other)))
			}
		}
	}
	for _, tr := range ts {
		if _, ok := en[tr.ID]; !ok && tr.Text.Select != nil {
			bad = append(bad, fmt.Sprintf("%s: %s chooses by plural form, and locales/en has no English forms for it", where(tr), strconv.Quote(tr.ID)))
		}
	}
	slices.Sort(bad)
	if len(bad) > 0 {
		t.Errorf("the English plural forms:\n\t%s", strings.Join(bad, "\n\t"))
	}
}

// The catalog loads, and a Spanish reader gets every translation through T,
// formatted without errors, for every plural form.
func TestCatalogPrints(t *testing.T) {
	ts := loaded(t)
	en, es := New(language.English), Match("", "es-ES,es;q=0.9")
	if es.Code() != "es" {
		t.Fatalf("Spanish locale = %s", es.Code())
	}
	var bad []string
	for key, tr := range inLanguage(ts, language.Spanish) {
		for _, n := range []int{0, 1, 2, 7, 1000} {
			args := sampleArgs(key, n)
			got := es.T(key, args...)
			switch {
			case strings.Contains(got, "%!"):
				bad = append(bad, fmt.Sprintf("%s → %s", strconv.Quote(key), strconv.Quote(got)))
			case tr.Text.Msg != key && got == en.T(key, args...):
				bad = append(bad, fmt.Sprintf("%s is not looked up in Spanish (got %s)", strconv.Quote(key), strconv.Quote(got)))
			}
		}
	}
	slices.Sort(bad)
	bad = slices.Compact(bad)
	if len(bad) > 0 {
		t.Errorf("%d translations do not print:\n\t%s", len(bad), strings.Join(bad, "\n\t"))
	}
}

// sampleArgs returns an argument for each of key's arguments, n for the
// numbers.
func sampleArgs(key string, n int) []any {
	av := argVerbs(key)
	args := make([]any, len(av))
	for i := range args {
		v := av[i+1]
		switch v[len(v)-1] {
		case 'd', 'x', 'X', 'o', 'b', 'c', '*':
			args[i] = n
		case 'f', 'g', 'e', 'F', 'G', 'E':
			args[i] = float64(n) + 0.5
		case 't':
			args[i] = true
		default:
			args[i] = "x"
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
		in   string
		want map[int]string
	}{
		{"no verbs", map[int]string{}},
		{"%d of %s", map[int]string{1: "%d", 2: "%s"}},
		{"%[2]s, %[1]d", map[int]string{1: "%d", 2: "%s"}},
		{"%[2]s then %d", map[int]string{2: "%s", 3: "%d"}},
		{"%-5.2f|%x", map[int]string{1: "%-5.2f", 2: "%x"}},
		{"%*d", map[int]string{1: "*", 2: "%d"}},
		{"50%% and %", map[int]string{1: "%"}},
	} {
		got := argVerbs(tc.in)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("argVerbs(%q) = %v, want %v", tc.in, got, tc.want)
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
