package i18n

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/pipeline"
)

// The files' plural rules are the language's (CLDR, through x/text), not
// English's: Russian has three forms, and 21 takes the singular's; French
// says "0 message"; an exact "=0" case comes before the forms.
func TestPluralRulesAreTheLanguages(t *testing.T) {
	fsys := fstest.MapFS{
		"locales/ru/a.json": {Data: []byte(`{"language": "ru", "messages": [
			{"id": "%d files", "translation": {"select": {"feature": "plural", "arg": "N", "cases": {
				"one": "%d файл", "few": "%d файла", "many": "%d файлов", "other": "%d файла"}}},
			 "placeholders": [{"id": "N", "string": "%[1]d", "argNum": 1}]}]}`)},
		"locales/fr/a.json": {Data: []byte(`{"language": "fr", "messages": [
			{"id": "%d files", "translation": {"select": {"feature": "plural", "arg": "N", "cases": {
				"other": "{N} fichiers", "=0": "aucun fichier", "one": "{N} fichier"}}},
			 "placeholders": [{"id": "N", "string": "%[1]d", "argNum": 1}]}]}`)},
	}
	ru, fr := language.Russian, language.French
	cat, _, err := loadCatalog(fsys, []language.Tag{language.English, ru, fr})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tag  language.Tag
		n    int
		want string
	}{
		{ru, 1, "1 файл"}, {ru, 2, "2 файла"}, {ru, 5, "5 файлов"}, {ru, 21, "21 файл"}, {ru, 22, "22 файла"}, {ru, 0, "0 файлов"},
		{fr, 0, "aucun fichier"}, {fr, 1, "1 fichier"}, {fr, 2, "2 fichiers"}, {fr, 21, "21 fichiers"},
	} {
		if got := message.NewPrinter(tc.tag, message.Catalog(cat)).Sprintf("%d files", tc.n); got != tc.want {
			t.Errorf("%s %d: %q, want %q", tc.tag, tc.n, got, tc.want)
		}
	}
}

// A bad translation file is refused with the file, the line and what is
// wrong, and the good messages of other files still load.
func TestLoadErrors(t *testing.T) {
	const ph = `"placeholders": [{"id": "N", "string": "%[1]d", "argNum": 1}]`
	good := `{"language": "es", "messages": [{"id": "Inbox", "translation": "Bandeja de entrada"}]}`
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"syntax", "locales/es/x.json", "{\"language\": \"es\",\n\"messages\": [\n{\"id\": \"A\" \"translation\": \"B\"}]}",
			"locales/es/x.json:3: a message: invalid character"},
		{"misspelt field", "locales/es/x.json", "{\"language\": \"es\", \"messages\": [\n{\"id\": \"A\", \"translaton\": \"B\"}]}",
			`locales/es/x.json:2: a message: json: unknown field "translaton"`},
		{"no translation", "locales/es/x.json", "{\"language\": \"es\", \"messages\": [\n\n{\"id\": \"A\"}]}",
			`locales/es/x.json:3: "A" has no translation`},
		{"no id", "locales/es/x.json", `{"language": "es", "messages": [{"translation": "B"}]}`,
			"locales/es/x.json:1: a message without an id"},
		{"unknown language", "locales/fr/x.json", `{"language": "fr", "messages": []}`,
			`locales/fr/x.json:1: language "fr" is not one of Supported`},
		{"wrong folder", "locales/en/x.json", `{"language": "es", "messages": []}`,
			`language "es" in the folder of "en"`},
		{"no language", "locales/es/x.json", `{"messages": []}`, `locales/es/x.json: no "language"`},
		{"unknown top field", "locales/es/x.json", `{"language": "es", "macros": {}}`, `unknown field macros`},
		{"twice", "locales/es/x.json", "{\"language\": \"es\", \"messages\": [\n{\"id\": \"Inbox\", \"translation\": \"Entrada\"}]}",
			`locales/es/x.json:2: "Inbox" is translated already, at locales/es/a.json:1`},
		{"form the language lacks", "locales/es/x.json",
			`{"language": "es", "messages": [{"id": "%d x", "translation": {"select": {"feature": "plural", "arg": "N", "cases": {"few": "%d x", "other": "%d xs"}}}, ` + ph + `}]}`,
			`plural: form "few" not supported for language "es"`},
		{"no other", "locales/es/x.json",
			`{"language": "es", "messages": [{"id": "%d x", "translation": {"select": {"feature": "plural", "arg": "N", "cases": {"one": "%d x"}}}, ` + ph + `}]}`,
			`"%d x": a plural select needs an "other" case`},
		{"arg not a placeholder", "locales/es/x.json",
			`{"language": "es", "messages": [{"id": "%d x", "translation": {"select": {"feature": "plural", "arg": "M", "cases": {"other": "%d x"}}}, ` + ph + `}]}`,
			`the select's arg "M" is not one of the message's placeholders`},
		{"arg not a number", "locales/es/x.json",
			`{"language": "es", "messages": [{"id": "%s x", "translation": {"select": {"feature": "plural", "arg": "N", "cases": {"other": "%s x"}}}, "placeholders": [{"id": "N", "string": "%[1]s", "argNum": 1}]}]}`,
			`placeholder "N": a plural select needs one number verb`},
		{"gender", "locales/es/x.json",
			`{"language": "es", "messages": [{"id": "%d x", "translation": {"select": {"feature": "gender", "arg": "N", "cases": {"other": "%d x"}}}, ` + ph + `}]}`,
			`select by "gender": only "plural" is known`},
		{"unknown brace", "locales/es/x.json", `{"language": "es", "messages": [{"id": "A", "translation": "{B} a"}]}`,
			`{B} is not one of the message's placeholders`},
		{"misspelt case field", "locales/es/x.json",
			`{"language": "es", "messages": [{"id": "%d x", "translation": {"selekt": {}}, ` + ph + `}]}`,
			`unknown field "selekt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"locales/es/a.json": {Data: []byte(good)}, tc.file: {Data: []byte(tc.data)}}
			cat, ts, err := loadCatalog(fsys, Supported)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "i18n: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
			if len(ts) == 0 || ts[0].ID != "Inbox" {
				t.Fatalf("the good file did not load: %v", ts)
			}
			if got := message.NewPrinter(language.Spanish, message.Catalog(cat)).Sprintf("Inbox"); got != "Bandeja de entrada" {
				t.Errorf("the good file's message: %q", got)
			}
		})
	}
	if _, _, err := loadCatalog(fstest.MapFS{}, Supported); err == nil {
		t.Error("no files: no error")
	}
}

// The files are x/text's own format: gotext's pipeline reads each of them
// to the same messages, texts and selects.
func TestGotextReadsTheFiles(t *testing.T) {
	ts := loaded(t)
	byPlace := map[string]translation{}
	for _, tr := range ts {
		byPlace[tr.File+"\x00"+tr.ID] = tr
	}
	files, err := localeFiles.ReadDir("locales")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range files {
		entries, err := localeFiles.ReadDir("locales/" + dir.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := "locales/" + dir.Name() + "/" + e.Name()
			data, err := localeFiles.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			var ms pipeline.Messages
			if err := json.Unmarshal(data, &ms); err != nil {
				t.Fatalf("%s: gotext cannot read it: %v", name, err)
			}
			if ms.Language.String() != dir.Name() {
				t.Errorf("%s: gotext reads the language as %s", name, ms.Language)
			}
			for _, m := range ms.Messages {
				n++
				if len(m.ID) != 1 {
					t.Errorf("%s: id %q", name, m.ID)
					continue
				}
				tr, ok := byPlace[name+"\x00"+m.ID[0]]
				if !ok {
					t.Errorf("%s: gotext reads %q, which this package did not load", name, m.ID[0])
					continue
				}
				if got, want := gotextText(t, &m, m.Translation), ourText(t, tr, tr.Text); got != want {
					t.Errorf("%s: %q: gotext reads %s, this package %s", name, m.ID[0], got, want)
				}
			}
		}
	}
	if n != len(ts) {
		t.Errorf("gotext read %d messages, this package %d", n, len(ts))
	}
}

// gotextText and ourText describe a text the same way, for comparing.
func gotextText(t *testing.T, m *pipeline.Message, x pipeline.Text) string {
	t.Helper()
	if x.Select == nil {
		s, err := m.Substitute(x.Msg)
		if err != nil {
			t.Errorf("%q: gotext: %v", m.ID, err)
		}
		return s
	}
	p := m.Placeholder(x.Select.Arg)
	if p == nil {
		t.Errorf("%q: gotext finds no placeholder %q", m.ID, x.Select.Arg)
		return ""
	}
	cases := map[string]text{}
	for c := range x.Select.Cases {
		cases[c] = text{}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s(%s, %d, %s)[", x.Select.Feature, x.Select.Arg, p.ArgNum, p.String)
	for _, c := range sortedCases(cases) {
		b.WriteString(c + ":" + gotextText(t, m, x.Select.Cases[c]) + ";")
	}
	return b.String() + "]"
}

func ourText(t *testing.T, tr translation, x text) string {
	t.Helper()
	if x.Select == nil {
		s, err := substitute(x.Msg, tr.Placeholders)
		if err != nil {
			t.Errorf("%q: %v", tr.ID, err)
		}
		return s
	}
	p, err := pluralArg(x.Select.Arg, tr.Placeholders)
	if err != nil {
		t.Errorf("%q: %v", tr.ID, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s(%s, %d, %s)[", x.Select.Feature, x.Select.Arg, p.ArgNum, p.String)
	for _, c := range sortedCases(x.Select.Cases) {
		b.WriteString(c + ":" + ourText(t, tr, x.Select.Cases[c]) + ";")
	}
	return b.String() + "]"
}

func TestSortedCases(t *testing.T) {
	cases := map[string]text{"other": {}, "one": {}, "=10": {}, "=2": {}, "<5": {}, "few": {}}
	if got := strings.Join(sortedCases(cases), " "); got != "<5 =2 =10 few one other" {
		t.Errorf("sortedCases = %s", got)
	}
}
