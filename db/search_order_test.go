package db

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/search"
)

func parseQuery(t *testing.T, q string) search.Query {
	t.Helper()
	pq, err := search.Parse(q, search.DayFirst)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	return pq
}

// searchAll pages through every result of q, limit at a time.
func searchAll(t *testing.T, d *DB, userID int64, q string, limit int) []int64 {
	t.Helper()
	var ids []int64
	opts := SearchOptions{Limit: limit}
	for pages := 0; ; pages++ {
		page, err := d.SearchMessages(ctx, userID, parseQuery(t, q), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Hits {
			ids = append(ids, h.ID)
		}
		if page.Older == nil || pages > 100 {
			return ids
		}
		opts.Before = page.Older
	}
}

// TestSearchNewestFirst: results come in the inbox's order (date, then
// id, newest first) even when ids and dates disagree, as with old mail
// stored late; paging gives every match once; and the page is read in
// that order from an index, never by sorting the matches.
func TestSearchNewestFirst(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Dates out of the order of storing, some equal (then the id decides).
	offsets := []int{5, -300, 40, 5, 0, -3000, 40, 1, 2, -1, 5}
	var batch []NewMessage
	for i, off := range offsets {
		batch = append(batch, NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{byte(i)},
			ReceivedAt: base, SortAt: base.Add(time.Duration(off) * time.Hour), Subject: fmt.Sprintf("factura %d", i),
			FromAddr: "ana@example.net"})
	}
	if _, err := d.StoreMessages(ctx, batch); err != nil {
		t.Fatal(err)
	}
	inbox, err := d.ListMessages(ctx, u.ID, ListQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, m := range inbox.Messages {
		want = append(want, m.ID)
	}
	if len(want) != len(offsets) {
		t.Fatalf("inbox has %d", len(want))
	}
	for _, q := range []string{"factura", "fact", `"factura"`, "is:unread", "from:ana@example.net", "factura -is:starred"} {
		for _, limit := range []int{1, 3, 50} {
			if got := searchAll(t, d, u.ID, q, limit); !slices.Equal(got, want) {
				t.Errorf("%q by %d: %v, want the inbox's order %v", q, limit, got, want)
			}
		}
		ids, more, err := d.SearchIDs(ctx, u.ID, parseQuery(t, q), nil, 100)
		if err != nil || more || !slices.Equal(ids, want) {
			t.Errorf("SearchIDs %q: %v %v %v", q, ids, more, err)
		}
	}

	// The plan of a page, with words and without, past a cursor or not:
	// no temporary B-tree (a sort of every match).
	before := &Cursor{SortAt: base.Unix(), ID: want[3]}
	for _, q := range []string{"factura", "is:unread", "factura is:unread from:ana@example.net", "factura OR is:starred"} {
		for _, cur := range []*Cursor{nil, before} {
			c := compileQuery(u.ID, parseQuery(t, q), nil)
			for _, stmt := range []func(*Cursor, int) (string, []any){c.idsQuery, c.hitsQuery} {
				query, args := stmt(cur, 51)
				if plan := d.queryPlan(t, query, args...); strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("%q (cursor %v) sorts its matches:\n%s", q, cur, plan)
				}
			}
		}
	}
}

func (d *DB) queryPlan(t *testing.T, q string, args ...any) string {
	t.Helper()
	rows, err := d.sql.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// TestSearchKeyOrder: a search key orders as (sort time, id) does, over
// the whole range of dates, and a date out of its range still has one.
func TestSearchKeyOrder(t *testing.T) {
	key := func(s, id int64) int64 {
		t.Helper()
		k, err := searchKey(s, id)
		if err != nil {
			t.Fatal(err)
		}
		if k&keyIDMask != id {
			t.Errorf("key(%d, %d) holds id %d", s, id, k&keyIDMask)
		}
		return k
	}
	var prev int64
	for i, s := range []int64{keyMinAt, -1, 0, 1, 1_700_000_000, keyMaxAt} {
		for j, id := range []int64{1, 2, keyIDMask} {
			k := key(s, id)
			if (i > 0 || j > 0) && k <= prev {
				t.Errorf("key(%d, %d) = %d, not after %d", s, id, k, prev)
			}
			prev = k
		}
	}
	if key(keyMinAt-5, 7) != key(keyMinAt, 7) || key(keyMaxAt+5, 7) != key(keyMaxAt, 7) {
		t.Error("a date out of range does not count as the range's end")
	}
	if _, err := searchKey(1, keyIDMask+1); err == nil {
		t.Error("an id past the key's range was taken")
	}
}

// TestSearchCountBound: a page counts its matches up to SearchCountBound,
// then says there are more.
func TestSearchCountBound(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	store := func(n int, subject string) {
		batch := make([]NewMessage, n)
		for i := range batch {
			batch[i] = NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{1}, Subject: subject}
		}
		if _, err := d.StoreMessages(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	store(SearchCountBound, "recibo")
	store(SearchCountBound+1, "factura")
	for _, c := range []struct {
		q     string
		total int
		more  bool
	}{
		{"recibo", SearchCountBound, false},
		{"factura", SearchCountBound, true},
		{"factura OR recibo", SearchCountBound, true},
		{"is:unread", SearchCountBound, true},
		{"recibo -is:starred", SearchCountBound, false},
		{"nada", 0, false},
	} {
		page, err := d.SearchMessages(ctx, u.ID, parseQuery(t, c.q), SearchOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != c.total || page.More != c.more {
			t.Errorf("%q: total %d more %v, want %d %v", c.q, page.Total, page.More, c.total, c.more)
		}
	}
}

// TestSearchWholeAddress: from: and to: with an address match that
// address, not one that contains it or begins with it; while it is typed
// (the last word), a prefix of an address matches the addresses it
// begins; a part of an address is still a word; and no header can spell
// an address token of its own (message 3's name and subject try).
func TestSearchWholeAddress(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	forged := search.AddressToken("ana@example.net")
	msgs := []NewMessage{
		{FromName: "Ana", FromAddr: "ana@example.net", To: `"Luis, el de casa" <luis@example.org>, bea@example.org`},
		{FromName: "Mariana", FromAddr: "mariana@example.net", To: "Luis <LUIS@example.org.mx>"},
		{FromName: "Ana", FromAddr: "ana@example.network", Cc: "luis.b@example.org"},
		{FromName: forged, FromAddr: "eve@example.com", Subject: forged, To: forged},
	}
	for i := range msgs {
		msgs[i].AccountID, msgs[i].UserID, msgs[i].Raw, msgs[i].SHA256 = a.ID, u.ID, []byte("x"), []byte{byte(i)}
	}
	ids, err := d.StoreMessages(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want []int
	}{
		{"from:ana@example.net -x", []int{0}},
		{"from:ANA@Example.NET -x", []int{0}},
		{"from:ana@example.network -x", []int{2}},
		{"from:mariana@example.net -x", []int{1}},
		{"from:ana@example.net", []int{2, 0}}, // typed: a prefix
		{"from:ana@exa", []int{2, 0}},
		{"from:ana -x", []int{3, 2, 0}}, // the forger's name is words
		{"from:example.net -x", []int{3, 1, 0}},
		{"to:luis@example.org -x", []int{0}},
		{"to:luis@example.org.mx -x", []int{1}},
		{"to:luis.b@example.org -x", []int{2}},
		{"to:bea@example.org -x", []int{0}},
		{"to:luis -x", []int{2, 1, 0}},
		{"ana@example.net -x", []int{3, 0}}, // words, anywhere
	} {
		got, _, err := d.SearchIDs(ctx, u.ID, parseQuery(t, c.q), nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, i := range c.want {
			want = append(want, ids[i])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", c.q, got, want)
		}
	}
}

// TestSearchMarks: the page's words are marked in the subject and the
// snippet, those of a clause with other operators too; a from: marks
// nothing and leaves the stored snippet.
func TestSearchMarks(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	if _, err := d.StoreMessages(ctx, []NewMessage{{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{1},
		FromAddr: "ana@example.net", Subject: "Factura y recibo", Snippet: "Hola",
		SearchBody: "Hola. Te mando la factura de marzo y el recibo del banco."}}); err != nil {
		t.Fatal(err)
	}
	m := func(s string) string { return MarkStart + s + MarkEnd }
	for _, c := range []struct{ q, subject, snippet string }{
		{"factura", m("Factura") + " y recibo", "Hola. Te mando la " + m("factura") + " de marzo y el recibo del banco."},
		{"factura recibo OR is:starred", m("Factura") + " y " + m("recibo"),
			"Hola. Te mando la " + m("factura") + " de marzo y el " + m("recibo") + " del banco."},
		{"from:ana@example.net", "Factura y recibo", "Hola"},
		{"from:ana@example.net recib", "Factura y " + m("recibo"), "Hola. Te mando la factura de marzo y el " + m("recibo") + " del banco."},
	} {
		page, err := d.SearchMessages(ctx, u.ID, parseQuery(t, c.q), SearchOptions{})
		if err != nil || len(page.Hits) != 1 {
			t.Fatalf("%q: %v %v", c.q, page.Hits, err)
		}
		if h := page.Hits[0]; h.MarkedSubject != c.subject || h.MarkedSnippet != c.snippet {
			t.Errorf("%q: %q / %q, want %q / %q", c.q, h.MarkedSubject, h.MarkedSnippet, c.subject, c.snippet)
		}
	}
}

// TestSearchBare: a bare search gives the same matches, page after page,
// neither counted nor marked.
func TestSearchBare(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	var batch []NewMessage
	for i := range 5 {
		batch = append(batch, NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{byte(i)},
			SortAt: time.Unix(int64(1000+i), 0), Subject: fmt.Sprintf("Factura %d", i), Snippet: "Hola",
			SearchBody: "Hola. Te mando la factura."})
	}
	if _, err := d.StoreMessages(ctx, batch); err != nil {
		t.Fatal(err)
	}
	q := parseQuery(t, "factura")
	var marked, bare []int64
	for _, opts := range []SearchOptions{{Limit: 2}, {Limit: 2, Bare: true}} {
		for {
			page, err := d.SearchMessages(ctx, u.ID, q, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range page.Hits {
				if opts.Bare {
					bare = append(bare, h.ID)
					if page.Counted || page.Total != 0 || h.MarkedSubject != h.Subject || h.MarkedSnippet != "Hola" {
						t.Errorf("bare: counted %v (%d), %q / %q", page.Counted, page.Total, h.MarkedSubject, h.MarkedSnippet)
					}
				} else {
					marked = append(marked, h.ID)
					if !page.Counted || page.Total != 5 || !strings.Contains(h.MarkedSnippet, MarkStart) {
						t.Errorf("counted %v (%d), %q", page.Counted, page.Total, h.MarkedSnippet)
					}
				}
			}
			if page.Older == nil {
				break
			}
			opts.Before = page.Older
		}
	}
	if len(bare) != 5 || !slices.Equal(bare, marked) {
		t.Errorf("bare %v, marked %v", bare, marked)
	}
}

// TestSearchReindexMigration: a database indexed before migration 0027
// (as before 0023) gets its index rebuilt by the background job, newest
// first, and then finds every message again, an address as one token.
func TestSearchReindexMigration(t *testing.T) {
	path := t.TempDir() + "/apartado.db"
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	var batch []NewMessage
	for i := range 7 {
		batch = append(batch, NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{byte(i)},
			SortAt: time.Unix(int64(1_700_000_000-i*3600), 0), FromAddr: fmt.Sprintf("p%d@example.net", i), SearchBody: "pepino"})
	}
	ids, err := d.StoreMessages(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	// Back to before 0027 (the last to index everything again), and open
	// again: the migration runs.
	if _, err := d.sql.Exec(`DELETE FROM schema_migrations WHERE version = 27`); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := d.count(t, `SELECT count(*) FROM message_text`); n != 0 {
		t.Fatalf("%d rows kept in the index", n)
	}
	var order []int64
	for {
		b, done, err := d.UnindexedBatch(ctx, 3, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		for _, m := range b {
			order = append(order, m.ID)
		}
		if err := d.StoreIndexed(ctx, d.indexedAll(b, "pepino")); err != nil {
			t.Fatal(err)
		}
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(order, want) {
		t.Errorf("indexed %v, want %v", order, want)
	}
	d.ftsIntegrity(t)
	if got := searchAll(t, d, u.ID, "pepino", 2); !slices.Equal(got, ids) {
		t.Errorf("pepino: %v, want %v", got, ids)
	}
	if got := searchAll(t, d, u.ID, "from:p3@example.net -x", 2); !slices.Equal(got, ids[3:4]) {
		t.Errorf("from: %v, want %v", got, ids[3:4])
	}
}

// TestTypedWord: the word being typed matches as a prefix, unless a page
// of messages holds it whole; then it is matched whole (a prefix merges
// every list of the words it begins, the whole mailbox's for a common
// word). The page and SearchIDs agree.
func TestTypedWord(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "casa")
	store := func(n int, body string, at time.Time) {
		t.Helper()
		var msgs []NewMessage
		for i := range n {
			msgs = append(msgs, NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte(fmt.Sprintf("%s %d", body, i)),
				SHA256: []byte{byte(i)}, SortAt: at.Add(time.Duration(i) * time.Minute), SearchBody: body})
		}
		if _, err := d.StoreMessages(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	store(3, "la canción del verano", day)
	store(1, "las canciones de siempre", day.Add(24*time.Hour)) // the newest
	count := func(q string) int {
		t.Helper()
		page, err := d.SearchMessages(ctx, u.ID, parseQuery(t, q), SearchOptions{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		ids, _, err := d.SearchIDs(ctx, u.ID, parseQuery(t, q), nil, 500)
		if err != nil || len(ids) != len(page.Hits) {
			t.Fatalf("%q: %d ids (%v), %d on the page", q, len(ids), err, len(page.Hits))
		}
		// Counted later, a first page of 10 says nothing of the total,
		// and the count agrees with the page.
		later, err := d.SearchMessages(ctx, u.ID, parseQuery(t, q), SearchOptions{Limit: 10, CountLater: true})
		if err != nil || later.Counted != (len(page.Hits) <= 10) || !later.Counted && later.Total != 0 {
			t.Fatalf("%q counted later: %+v %v", q, later, err)
		}
		if n, more, err := d.CountSearch(ctx, u.ID, parseQuery(t, q), nil); err != nil || more || n != len(page.Hits) {
			t.Fatalf("%q: counted %d (more %v, %v), %d on the page", q, n, more, err, len(page.Hits))
		}
		return len(page.Hits)
	}
	// Rare whole: still a prefix.
	if n := count("cancion"); n != 4 {
		t.Errorf("cancion among 4: %d results, want 4", n)
	}
	store(wholeEnough, "otra canción", day.Add(-24*time.Hour))
	// A page of it whole: matched whole, "canciones" is left out.
	if n := count("cancion"); n != 3+wholeEnough {
		t.Errorf("cancion, common: %d results, want %d", n, 3+wholeEnough)
	}
	// Cut short, or followed by a space: as typed.
	if n := count("cancio"); n != 4+wholeEnough {
		t.Errorf("cancio: %d results, want %d", n, 4+wholeEnough)
	}
	if n := count("cancion "); n != 3+wholeEnough {
		t.Errorf("cancion then a space: %d results, want %d", n, 3+wholeEnough)
	}
	// Three letters: the prefix index, always a prefix.
	if n := count("can"); n != 4+wholeEnough {
		t.Errorf("can: %d results, want %d", n, 4+wholeEnough)
	}
	// Fewer: whole ("la" is not "las"), in the page as in the marks.
	if n := count("la"); n != 3 {
		t.Errorf("la: %d results, want 3", n)
	}
	page, err := d.SearchMessages(ctx, u.ID, parseQuery(t, "de"), SearchOptions{Limit: 500})
	if err != nil || len(page.Hits) != 1 || !strings.Contains(page.Hits[0].MarkedSnippet, MarkStart+"de"+MarkEnd+" siempre") ||
		strings.Contains(page.Hits[0].MarkedSnippet, MarkStart+"del") {
		t.Errorf("de: %+v, %v", page.Hits, err)
	}
}
