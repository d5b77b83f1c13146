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

func TestMarkerSnippet(t *testing.T) {
	words := func(from, to int) string {
		var w []string
		for i := from; i < to; i++ {
			w = append(w, "w"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		}
		return strings.Join(w, " ")
	}
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
