package db

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/search"
)

// openSchema7Path is openSchema7 at a path the test can open again.
func openSchema7Path(t *testing.T) (*DB, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "db", "schema7.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "apartado.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return d, path
}

func (d *DB) ftsIntegrity(t *testing.T) {
	t.Helper()
	if _, err := d.sql.Exec(`INSERT INTO message_fts (message_fts) VALUES ('integrity-check')`); err != nil {
		t.Fatalf("the index disagrees with message_text: %v", err)
	}
}

func (d *DB) count(t *testing.T, q string) int {
	t.Helper()
	var n int
	if err := d.sql.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIndexBackfill: the mail of a database from before search is
// indexed newest first in bounded batches; the cursor survives a restart,
// so the job resumes where it stopped; a message stored meanwhile is
// indexed once (as it is stored), one deleted meanwhile is skipped; at the
// end every message has its text and the index agrees with it.
func TestIndexBackfill(t *testing.T) {
	d, path := openSchema7Path(t)
	total := d.count(t, `SELECT count(*) FROM messages`)
	if n := d.count(t, `SELECT count(*) FROM message_text`); n != 0 || total < 10 {
		t.Fatalf("after the migration: %d of %d messages indexed", n, total)
	}
	var users []int64
	rows, _ := d.sql.Query(`SELECT DISTINCT user_id FROM messages ORDER BY 1`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		users = append(users, id)
	}
	rows.Close()
	progress := func() (done, all int64) {
		for _, u := range users {
			p, err := d.IndexProgress(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			done, all = done+p.Done, all+p.Total
		}
		return done, all
	}
	if done, all := progress(); done != 0 || all != int64(total) {
		t.Fatalf("progress before: %d of %d, want 0 of %d", done, all, total)
	}

	batch, finished, err := d.UnindexedBatch(ctx, 5, 1<<20)
	if err != nil || finished || len(batch) != 5 {
		t.Fatalf("first batch: %d %v %v", len(batch), finished, err)
	}
	var ids []int64
	for _, m := range batch {
		if len(m.Raw) == 0 {
			t.Fatalf("message %d read without its bytes", m.ID)
		}
		ids = append(ids, m.ID)
	}
	if !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
		t.Fatalf("not newest first: %v", ids)
	}
	if err := d.StoreIndexed(ctx, d.indexedAll(batch, "zanahoria")); err != nil {
		t.Fatal(err)
	}
	if done, _ := progress(); done != 5 {
		t.Fatalf("progress after a batch: %d", done)
	}

	// A stop, and a restart.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })

	// Stored while the job runs: indexed as stored.
	var acc, user int64
	d.sql.QueryRow(`SELECT id, user_id FROM accounts ORDER BY id LIMIT 1`).Scan(&acc, &user)
	newIDs, err := d.StoreMessages(ctx, []NewMessage{{AccountID: acc, UserID: user, Raw: []byte("Subject: nuevo\r\n\r\nx\r\n"),
		SHA256: []byte{9}, Subject: "nuevo", SearchBody: "pepino"}})
	if err != nil {
		t.Fatal(err)
	}
	// Deleted before the job reaches it.
	var gone int64
	d.sql.QueryRow(`SELECT min(id) FROM messages`).Scan(&gone)
	if _, err := d.sql.Exec(`DELETE FROM messages WHERE id = ?`, gone); err != nil {
		t.Fatal(err)
	}

	seen := map[int64]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for rounds := 0; ; rounds++ {
		batch, finished, err := d.UnindexedBatch(ctx, 5, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if finished {
			break
		}
		for _, m := range batch {
			if seen[m.ID] || m.ID == newIDs[0] || m.ID >= ids[len(ids)-1] {
				t.Fatalf("message %d read again after the restart", m.ID)
			}
			seen[m.ID] = true
		}
		if err := d.StoreIndexed(ctx, d.indexedAll(batch, "zanahoria")); err != nil {
			t.Fatal(err)
		}
		if rounds > total {
			t.Fatal("the job does not end")
		}
	}
	if n := d.count(t, `SELECT count(*) FROM message_text`); n != total {
		t.Errorf("%d messages indexed, want %d (%d stored)", n, total, d.count(t, `SELECT count(*) FROM messages`))
	}
	if n := d.count(t, `SELECT count(*) FROM search_backfill`); n != 0 {
		t.Error("the job's cursor stays after the job")
	}
	d.ftsIntegrity(t)
	if p, _ := d.IndexProgress(ctx, user); p.Active {
		t.Errorf("progress after the job: %+v", p)
	}
	for word, want := range map[string]int{"zanahoria": 1, "pepino": 1} {
		q, err := search.Parse(word+" ", search.DayFirst)
		if err != nil {
			t.Fatal(err)
		}
		ids, _, err := d.SearchIDs(ctx, user, q, nil, 1000)
		if err != nil || len(ids) < want || (word == "pepino" && len(ids) != 1) {
			t.Errorf("%s: %d found (%v)", word, len(ids), err)
		}
	}
}

func (d *DB) indexedAll(batch []Unindexed, body string) []Indexed {
	out := make([]Indexed, len(batch))
	for i, m := range batch {
		out[i] = Indexed{ID: m.ID, Search: d.PrepareSearch(body, "")}
	}
	return out
}

// TestSearchTextGoesWithMessage: a message deleted for good leaves the
// index, and a new database has nothing to index.
func TestSearchTextGoesWithMessage(t *testing.T) {
	d := openTest(t)
	if n := d.count(t, `SELECT count(*) FROM search_backfill`); n != 0 {
		t.Fatal("a new database has an indexing job")
	}
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "one")
	ids, err := d.StoreMessages(ctx, []NewMessage{{AccountID: a.ID, UserID: u.ID, Raw: []byte("x"), SHA256: []byte{1},
		Subject: "canción", SearchBody: "東京"}})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := search.Parse("cancion 東京 ", search.DayFirst)
	if got, _, err := d.SearchIDs(ctx, u.ID, q, nil, 10); err != nil || len(got) != 1 {
		t.Fatalf("stored message not found: %v %v", got, err)
	}
	if _, err := d.TrashMessages(ctx, u.ID, ids); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteMessages(ctx, u.ID, ids); err != nil {
		t.Fatal(err)
	}
	if n := d.count(t, `SELECT count(*) FROM message_text`); n != 0 {
		t.Errorf("%d search rows left", n)
	}
	if n := d.count(t, `SELECT count(*) FROM message_fts WHERE message_fts MATCH 'cancion'`); n != 0 {
		t.Errorf("the index still holds the deleted message (%d rows)", n)
	}
	d.ftsIntegrity(t)
}

// TestSearchTextCompressed: message_text keeps a long body compressed and
// a short one as it is, and both give back the text their marks are made
// from.
func TestSearchTextCompressed(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "one")
	long := strings.Repeat("the garden needs water before the summer comes ", 40) + "zanahoria al final"
	for i, body := range []string{long, "una zanahoria"} {
		m := NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte(body), SHA256: []byte{byte(i)}, SortAt: time.Unix(int64(i), 0)}
		if i == 0 {
			m.Search = d.PrepareSearch(body, "") // prepared ahead, as the poller does
		} else {
			m.SearchBody = body
		}
		if _, err := d.StoreMessages(ctx, []NewMessage{m}); err != nil {
			t.Fatal(err)
		}
	}
	var codecs []int
	rows, _ := d.sql.Query(`SELECT codec, length(body) FROM message_text ORDER BY message_id`)
	for rows.Next() {
		var c, n int
		rows.Scan(&c, &n)
		codecs = append(codecs, c)
		if c == codecZstd && n > len(long)/4 {
			t.Errorf("the long body takes %d bytes of %d", n, len(long))
		}
	}
	if !slices.Equal(codecs, []int{codecZstd, codecNone}) {
		t.Errorf("codecs %v", codecs)
	}
	page, err := d.SearchMessages(ctx, u.ID, parseQuery(t, "zanahoria "), SearchOptions{})
	if err != nil || len(page.Hits) != 2 {
		t.Fatalf("%+v %v", page, err)
	}
	for _, h := range page.Hits {
		if !strings.Contains(h.MarkedSnippet, MarkStart+"zanahoria"+MarkEnd) {
			t.Errorf("snippet %q", h.MarkedSnippet)
		}
	}
	d.ftsIntegrity(t)
}

// TestSearchTextHead: a long body text is kept as two zstd frames, its
// beginning (cut after a space past textHead) and the rest, which read
// together give the text back; a snippet comes from the first frame when
// its match is there, and from the whole text when it is further on.
func TestSearchTextHead(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "one")
	filler := strings.Repeat("the garden needs water before the summer comes ", 400) // 19 KB
	bodies := []string{
		"Hola, la zanahoria está aquí. " + filler,
		filler + "y la zanahoria al final, muy lejos.",
		numbered(0, 831) + " zanahoria " + numbered(831, 2500), // just before the cut: its words after it are in the rest
		strings.Repeat("zanahoria", 1500),                      // no space to cut at: one frame
	}
	for i, body := range bodies {
		m := NewMessage{AccountID: a.ID, UserID: u.ID, Raw: []byte(body), SHA256: []byte{byte(i)}, SortAt: time.Unix(int64(i), 0),
			SearchBody: body}
		if _, err := d.StoreMessages(ctx, []NewMessage{m}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := d.sql.Query(`SELECT body, codec FROM message_text ORDER BY message_id`)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; rows.Next(); i++ {
		var packed []byte
		var c int
		if err := rows.Scan(&packed, &c); err != nil {
			t.Fatal(err)
		}
		whole, err := d.codec.decode(nil, packed, c)
		if err != nil || string(whole) != searchable(bodies[i]) {
			t.Errorf("body %d does not come back whole (%v)", i, err)
		}
		n, ok := headFrame(packed)
		if !ok {
			t.Fatalf("body %d: no first frame", i)
		}
		head, err := d.codec.decode(nil, packed[:n], c)
		switch {
		case err != nil:
			t.Errorf("body %d's first frame: %v", i, err)
		case i < 3 && (n == len(packed) || len(head) < textHead || len(head) > textHead+1024 || head[len(head)-1] != ' ' ||
			!strings.HasPrefix(string(whole), string(head))):
			t.Errorf("body %d: a first frame of %d of %d bytes holding %d bytes of text", i, n, len(packed), len(head))
		case i == 3 && n != len(packed):
			t.Errorf("a text without spaces was cut: %d of %d bytes", n, len(packed))
		}
		if _, ok := headFrame(packed[:n-1]); ok {
			t.Errorf("body %d: a frame cut short was taken for a whole one", i)
		}
	}
	rows.Close()
	// The snippets are those of the whole texts.
	q := parseQuery(t, "zanahoria")
	page, err := d.SearchMessages(ctx, u.ID, q, SearchOptions{})
	if err != nil || len(page.Hits) != 4 {
		t.Fatalf("%+v %v", page, err)
	}
	marker := search.NewMarker(q.Clauses[0])
	for i, h := range page.Hits {
		s, _ := marker.Snippet(searchable(bodies[3-i]), snippetWords, MarkStart, MarkEnd)
		want := strings.Join(strings.Fields(search.Untokenize(s, MarkStart+MarkEnd)), " ")
		if h.MarkedSnippet != want || !strings.Contains(want, MarkStart+"zanahoria") {
			t.Errorf("snippet %d %.80q, want %.80q", i, h.MarkedSnippet, want)
		}
	}
	d.ftsIntegrity(t)
}

// numbered is the words "p<from>" to "p<to-1>", each once.
func numbered(from, to int) string {
	w := make([]string, 0, to-from)
	for i := from; i < to; i++ {
		w = append(w, "p"+strconv.Itoa(i))
	}
	return strings.Join(w, " ")
}

// TestBatchIndexedInOneSegment: a batch stored in one transaction adds
// one segment to the search index, not one per message. FTS5 writes what
// it holds to disk at every savepoint, and SQLite opens one for each
// statement that needs a statement journal (an insert into messages, with
// its triggers and foreign keys): the index's rows must come after the
// transaction's other writes.
func TestBatchIndexedInOneSegment(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "one")
	const n = 24
	var batch []Downloaded
	for i := range n {
		batch = append(batch, Downloaded{NewMessage: NewMessage{AccountID: a.ID, UserID: u.ID, UIDL: fmt.Sprint("u", i),
			Raw: []byte(fmt.Sprint("message ", i)), SHA256: []byte{byte(i)}, SortAt: time.Unix(int64(1000+i), 0),
			Subject: fmt.Sprint("subject ", i), SearchBody: fmt.Sprintf("zanahoria número %d del huerto", i)}, SizeOK: true})
	}
	if _, _, err := d.StoreDownloaded(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// message_fts_data: the averages, the structure and each segment's
	// leaves (one each, for text this short).
	if got := d.count(t, `SELECT count(*) FROM message_fts_data`); got > 3 {
		t.Errorf("the batch of %d messages left %d rows in the index's data: a segment per message", n, got)
	}
	if got := d.count(t, `SELECT count(*) FROM message_fts WHERE message_fts MATCH 'zanahoria'`); got != n {
		t.Errorf("%d of %d messages found", got, n)
	}
	d.ftsIntegrity(t)
}
