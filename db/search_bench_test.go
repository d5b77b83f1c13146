package db

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/search"
)

// benchWords is a vocabulary with a Zipf-like use: the first words are in
// most messages, the last in few.
var benchWords = strings.Fields(`el la de que y a en un ser se no haber por con su para como estar tener le lo todo
	pero más hacer o poder decir este ir otro ese si me ya ver porque dar cuando él muy sin vez mucho saber qué sobre
	mi alguno mismo yo también hasta año dos querer entre así primero desde grande eso ni nos llegar pasar tiempo ella
	sí día uno bien poco deber entonces poner cosa tanto hombre parecer nuestro tan donde ahora parte después vida
	quedar siempre creer hablar llevar dejar nada cada seguir menos nuevo encontrar factura reunión canción presupuesto
	viaje médico colegio banco hipoteca seguro vacaciones cumpleaños receta jardín zanahoria ornitorrinco`)

// benchMessages is how many messages BenchmarkSearch stores: 10,000 by
// default, more with -search-messages (100,000 takes a few minutes to
// build).
var benchMessages = flag.Int("search-messages", 10_000, "messages BenchmarkSearch stores")

// BenchmarkSearch measures searches over 10,000 messages (see
// -search-messages) of about 2 KB of text each, in 3 accounts, beside the
// first page of the inbox of the same database (the baseline: the cheapest
// list page). Compare the ns/op of each search with inbox's.
func BenchmarkSearch(b *testing.B) {
	d := openTest(b)
	u := fillSearchBench(b, d, *benchMessages)
	b.Run("inbox", func(b *testing.B) {
		for b.Loop() {
			if _, err := d.ListMessages(ctx, u.ID, ListQuery{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, q := range []struct{ name, query string }{
		{"common", "que"},        // in nearly every message
		{"rare", "ornitorrinco"}, // in a few
		{"phrase", `"de la"`},
		{"prefix", "presu"},
		{"from", "from:p7@example.net"},
		{"unread", "is:unread"}, // no full-text term
	} {
		pq, err := search.Parse(q.query, search.DayFirst)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q.name, func(b *testing.B) {
			var page SearchPage
			for b.Loop() {
				if page, err = d.SearchMessages(ctx, u.ID, pq, SearchOptions{Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(page.Total), "matches")
		})
	}
}

// fillSearchBench stores n messages for one user in 3 accounts, a minute
// apart, with text drawn from benchWords, and returns the user.
func fillSearchBench(tb testing.TB, d *DB, n int) User {
	tb.Helper()
	u, err := d.CreateUser(ctx, "ana", "h", RoleMember)
	if err != nil {
		tb.Fatal(err)
	}
	accs := []Account{newAccount(tb, d, u.ID, "casa"), newAccount(tb, d, u.ID, "trabajo"), newAccount(tb, d, u.ID, "viejo")}
	text := benchText()
	base := time.Unix(1_700_000_000, 0)
	for i := 0; i < n; i += 500 {
		batch := make([]NewMessage, min(500, n-i))
		for j := range batch {
			k := i + j
			batch[j] = NewMessage{AccountID: accs[k%3].ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{1}, ReceivedAt: base,
				SortAt: base.Add(time.Duration(k) * time.Minute), Subject: text(6), Snippet: text(30),
				FromName: fmt.Sprintf("Persona %d", k%300), FromAddr: fmt.Sprintf("p%d@example.net", k%300), To: "ana@example.net",
				SearchBody: text(350), SearchAttachments: ""}
		}
		if _, err := d.StoreMessages(ctx, batch); err != nil {
			tb.Fatal(err)
		}
	}
	return u
}

// benchText returns a function making n words of benchWords, drawn in
// their Zipf-like use, the same sequence in every benchmark.
func benchText() func(n int) string {
	zipf := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 2, uint64(len(benchWords)-1))
	return func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = benchWords[zipf.Uint64()]
		}
		return strings.Join(w, " ")
	}
}
