package search

import (
	"strings"
	"testing"
)

func TestMarkerMark(t *testing.T) {
	for _, c := range []struct {
		terms []Term
		in    string
		want  string
	}{
		{[]Term{{Text: "factura"}}, "Factura y recibo", "[Factura] y recibo"},
		{[]Term{{Text: "cancion"}}, "La CANCIÓN del verano", "La [CANCIÓN] del verano"},
		{[]Term{{Text: "canción"}}, "la cancion", "la [cancion]"},
		{[]Term{{Text: "Müller"}}, "Jörg Muller, Jörg Müller", "Jörg [Muller], Jörg [Müller]"},
		{[]Term{{Text: "recib", Prefix: true}}, "el recibo, los recibos; recib", "el [recibo], los [recibos]; [recib]"},
		{[]Term{{Text: "recib"}}, "el recibo", "el recibo"}, // not the word being typed: whole words only
		{[]Term{{Text: "de la", Phrase: true}}, "fin de la obra, de las", "fin [de la] obra, de las"},
		{[]Term{{Text: "de"}, {Text: "la"}}, "fin de la obra", "fin [de] [la] obra"},
		{[]Term{{Text: "京都"}}, "東京都庁の見学", "東[京都]庁の見学"},
		{[]Term{{Text: "informe-50019"}}, "informe-50019.pdf, informe 50019", "[informe-50019].pdf, [informe 50019]"},
		{[]Term{{Text: "ana@example.net"}}, "de ana@example.net", "de [ana@example.net]"},
		{[]Term{{Text: "x"}}, "", ""},
		{[]Term{{Text: "…"}}, "nada … nada", "nada … nada"}, // no word in the term: nothing to mark
	} {
		got, any := NewMarker(c.terms).Mark(c.in, "[", "]")
		if got != c.want || any != strings.Contains(c.want, "[") {
			t.Errorf("%v in %q: %q %v, want %q", c.terms, c.in, got, any, c.want)
		}
	}
}

// words returns distinct words from-th to to-th ("waa wba …"), joined by
// spaces.
func words(from, to int) string {
	var w []string
	for i := from; i < to; i++ {
		w = append(w, "w"+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	return strings.Join(w, " ")
}

func TestMarkerSnippet(t *testing.T) {
	long := words(0, 100) + " factura " + words(100, 200) + "."
	for _, c := range []struct {
		name  string
		terms []Term
		in    string
		want  string
		found bool
	}{
		{"short text, whole", []Term{{Text: "factura"}}, "Hola. Te mando la factura de marzo.",
			"Hola. Te mando la [factura] de marzo.", true},
		{"match among the first words: from the start", []Term{{Text: "factura"}}, words(0, 5) + " factura " + words(5, 50),
			words(0, 5) + " [factura] " + words(5, 23) + "…", true},
		{"deep match: a few words before it", []Term{{Text: "factura"}}, long,
			"…" + words(94, 100) + " [factura] " + words(100, 117) + "…", true},
		{"match at the end", []Term{{Text: "banco"}}, words(0, 60) + " del banco.",
			"…" + words(38, 60) + " del [banco].", true},
		{"no match", []Term{{Text: "nada"}}, long, "", false},
		{"very deep match", []Term{{Text: "factura"}}, strings.Repeat(words(0, 50)+" ", 10) + "factura " + words(0, 30),
			"…" + words(44, 50) + " [factura] " + words(0, 17) + "…", true},
		{"very deep match at the end", []Term{{Text: "factura"}}, strings.Repeat(words(0, 50)+" ", 10) + "la factura",
			"…" + words(28, 50) + " la [factura]", true},
		{"phrase over the window's words", []Term{{Text: "wab wbb", Phrase: true}}, long,
			"…" + words(20, 26) + " [wab wbb] " + words(28, 44) + "…", true},
	} {
		got, found := NewMarker(c.terms).Snippet(c.in, 24, "[", "]")
		if got != c.want || found != c.found {
			t.Errorf("%s:\n got %q %v\nwant %q %v", c.name, got, found, c.want, c.found)
		}
	}
}

// TestSnippetOfPrefix: the snippet of a text's beginning, cut after any of
// its spaces, is said to be decided exactly when it is the whole text's
// snippet and the words after the cut could not change it; a snippet
// still undecided at the whole text's end is the whole text's.
func TestSnippetOfPrefix(t *testing.T) {
	texts := []string{
		words(0, 5) + " factura " + words(5, 50),
		words(0, 100) + " factura " + words(100, 200) + ".",
		strings.Repeat(words(0, 50)+" ", 10) + "la factura de marzo " + words(0, 40),
		words(0, 60) + " del banco.",
		"Hola. Te mando la factura de marzo.",
	}
	for _, terms := range [][]Term{{{Text: "factura"}}, {{Text: "wab wbb", Phrase: true}}, {{Text: "factura de", Phrase: true}},
		{{Text: "nada"}}, {{Text: "fac", Prefix: true}}} {
		m := NewMarker(terms)
		for _, text := range texts {
			want, wantOK := m.Snippet(text, 24, "[", "]")
			decidedAt := -1
			for cut := 0; cut <= len(text); cut++ {
				if cut < len(text) && (cut == 0 || text[cut-1] != ' ') {
					continue // cut after a space, or the whole text
				}
				got, ok, decided := m.SnippetOfPrefix(text[:cut], 24, "[", "]")
				if !decided {
					if cut == len(text) && (got != want || ok != wantOK) {
						t.Errorf("%v in %.30q…, whole: %q %v, want %q %v", terms, text, got, ok, want, wantOK)
					}
					continue
				}
				if decidedAt < 0 {
					decidedAt = cut
				}
				if got != want || ok != wantOK {
					t.Errorf("%v in %.30q…, first %d bytes: decided %q %v, want %q %v", terms, text, cut, got, ok, want, wantOK)
				}
			}
			if wantOK && decidedAt < 0 && strings.HasSuffix(want, "…") {
				t.Errorf("%v in %.30q…: never decided although the snippet stops before the end", terms, text)
			}
		}
	}
}

// TestMarkerFoldsAsIndex: the words unicode61 folds to the same token are
// the same to the marker (case, accents), and CJK characters are words.
func TestMarkerFoldsAsIndex(t *testing.T) {
	for in, want := range map[string]string{"Canción": "cancion", "ÉLAN": "elan", "niño": "nino", "Straße": "straße", "ABC": "abc"} {
		toks := tokens(in, -1)
		if len(toks) != 1 || toks[0].fold(in) != want {
			t.Errorf("%q: %+v, want one word %q", in, toks, want)
		}
	}
	if toks := tokens("東京 tower", -1); len(toks) != 3 || toks[0].fold("東京 tower") != "東" || toks[2].fold("東京 tower") != "tower" {
		t.Errorf("CJK: %+v", toks)
	}
}

func BenchmarkMarkerSnippet(b *testing.B) {
	text := strings.Repeat("the mail server message tomorrow invoice garden please thanks attached ", 200)
	for _, q := range []string{"invoice", "zanahoria"} {
		m := NewMarker([]Term{{Text: q}})
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				m.Snippet(text, 24, "[", "]")
			}
		})
	}
}
