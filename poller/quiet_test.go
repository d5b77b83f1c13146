package poller

import (
	"context"
	"strings"
	"sync"
	"testing"

	"modernc.org/sqlite"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
)

// tablesRead records which tables the statements prepared on the
// connections to one database file read (SQLite's authorizer sees every
// column a statement reads, triggers included, when it is prepared).
type tablesRead struct {
	mu     sync.Mutex
	file   string
	on     bool
	tables map[string]bool
}

var (
	readRecorder     *tablesRead
	readRecorderOnce sync.Once
	readRecorderMu   sync.Mutex
)

// recordReads makes the connections opened from now on to a database
// whose path contains file report the tables they read to the returned
// recorder while it is on.
func recordReads(t *testing.T, file string) *tablesRead {
	t.Helper()
	readRecorderOnce.Do(func() {
		sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, dsn string) error {
			readRecorderMu.Lock()
			r := readRecorder
			readRecorderMu.Unlock()
			if r == nil || !strings.Contains(dsn, r.file) {
				return nil
			}
			a, ok := c.(sqlite.AuthorizerRegisterer)
			if !ok {
				return nil
			}
			return a.RegisterAuthorizer(func(action sqlite.AuthorizerActionCode, table, _, _, _ string) sqlite.AuthorizerReturnCode {
				if action == sqlite.AuthRead {
					r.mu.Lock()
					if r.on {
						r.tables[table] = true
					}
					r.mu.Unlock()
				}
				return sqlite.AuthorizerOK
			})
		})
	})
	r := &tablesRead{file: file, tables: map[string]bool{}}
	readRecorderMu.Lock()
	readRecorder = r
	readRecorderMu.Unlock()
	t.Cleanup(func() {
		readRecorderMu.Lock()
		readRecorder = nil
		readRecorderMu.Unlock()
	})
	return r
}

func (r *tablesRead) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.tables = true, map[string]bool{}
}

func (r *tablesRead) stop() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.tables
}

// A poll that finds nothing new on a server that keeps every message
// reads none of the account's server rows or messages: its cost does not
// grow with the mailbox. Anything new, or a choice that deletes on the
// server, goes the whole way again.
func TestQuietPollReadsNoMailRows(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	for _, m := range mailbox(30) {
		if _, err := f.srv.AddMessage("alice", m); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	// A fresh pool whose connections carry the recorder.
	var path string
	if err := f.db.SQL().QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	rec := recordReads(t, path)
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	f.p.DB = d
	a := f.account(t, dovecottest.DefaultPassword, false)

	sync := func(wantNew, wantDeleted int) map[string]bool {
		t.Helper()
		rec.start()
		res, err := f.p.SyncAccount(ctx, a.ID)
		read := rec.stop()
		if err != nil || res.Err != nil || res.New != wantNew || res.Deleted != wantDeleted {
			t.Fatalf("sync: %v %v; want %d new, %d deleted", res, err, wantNew, wantDeleted)
		}
		return read
	}
	if read := sync(30, 0); !read["server_messages"] {
		t.Fatalf("the first sync read no server rows (%v): is the recorder working?", read)
	}
	for range 2 {
		if read := sync(0, 0); read["server_messages"] || read["messages"] || read["message_raw"] {
			t.Fatalf("a poll that found nothing new read the tables %v", read)
		}
	}
	if n, _ := d.RetentionCounts(ctx, mustAccount(t, d, f, a.ID)); n.Listed != 30 {
		t.Errorf("listed %d, want 30", n.Listed)
	}

	// Something new: the whole way, then quiet again.
	if _, err := f.srv.AddMessage("alice", mailbox(31)[30]); err != nil {
		t.Fatal(err)
	}
	if read := sync(1, 0); !read["server_messages"] {
		t.Fatalf("a poll with a new message did not read the server rows (%v)", read)
	}
	if read := sync(0, 0); read["server_messages"] {
		t.Fatalf("a poll that found nothing new read the tables %v", read)
	}

	// A choice that deletes on the server: the poll looks at every row
	// and deletes what the choice says, though the listing is the same.
	f.setRetention(t, a, func(s *db.AccountSettings) { s.DeleteAfterDownload = true })
	if read := sync(0, 31); !read["server_messages"] {
		t.Fatalf("a poll of an account that deletes did not read the server rows (%v)", read)
	}
	if left, _ := f.srv.Messages("alice"); len(left) != 0 {
		t.Fatalf("%d messages left on the server", len(left))
	}
}

func mustAccount(t *testing.T, d *db.DB, f *fixture, id int64) db.Account {
	t.Helper()
	a, err := d.Account(context.Background(), f.user.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The digest tells listings apart by every UIDL and size, in order, and
// by the server; a message without a UIDL of its own gives none.
func TestListingDigest(t *testing.T) {
	acc := db.Account{AccountSettings: db.AccountSettings{Host: "pop.example.net", Port: 995, Security: "tls", Username: "ana"}}
	l := listing{Msgs: []listed{{ID: 1, Size: 10, UIDL: "a"}, {ID: 2, Size: 20, UIDL: "b"}}}
	base := listingDigest(acc, l, 100)
	if base == nil {
		t.Fatal("no digest")
	}
	other := acc
	other.Username = "bea"
	for name, d := range map[string][]byte{
		"size":      listingDigest(acc, listing{Msgs: []listed{{ID: 1, Size: 11, UIDL: "a"}, {ID: 2, Size: 20, UIDL: "b"}}}, 100),
		"order":     listingDigest(acc, listing{Msgs: []listed{{ID: 1, Size: 20, UIDL: "b"}, {ID: 2, Size: 10, UIDL: "a"}}}, 100),
		"one more":  listingDigest(acc, listing{Msgs: append(append([]listed{}, l.Msgs...), listed{ID: 3, Size: 1, UIDL: "c"})}, 100),
		"uidl":      listingDigest(acc, listing{Msgs: []listed{{ID: 1, Size: 10, UIDL: "a"}, {ID: 2, Size: 20, UIDL: "c"}}}, 100),
		"max size":  listingDigest(acc, l, 101),
		"user":      listingDigest(other, l, 100),
		"ambiguous": listingDigest(acc, listing{Msgs: []listed{{ID: 1, Size: 10, UIDL: "a", Shared: true}}}, 100),
	} {
		if string(d) == string(base) {
			t.Errorf("%s: same digest", name)
		}
	}
	if listingDigest(acc, listing{NoUIDL: true, Msgs: l.Msgs}, 100) != nil {
		t.Error("a digest without UIDLs")
	}
	if listingDigest(acc, listing{Msgs: []listed{{ID: 1, Size: 10, Shared: true}}}, 100) != nil {
		t.Error("a digest for a message without a UIDL of its own")
	}
}
