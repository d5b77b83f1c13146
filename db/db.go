// Package db owns Apartado's SQLite database: opening it with the right
// pragmas, applying the embedded migrations, and every query, each next to
// the store method that runs it. Every method that touches accounts or mail
// on behalf of a person takes the user's id and scopes its SQL by it; the
// few unscoped methods are for the poller and say so. It knows nothing of
// HTTP, POP3 or MIME.
//
// The mail model: each user has mailboxes (Mailbox), the six system ones
// (SystemMailboxes: Inbox, Drafts, Sent, Archive, Junk, Trash, made with
// the user) and their own, nested one level at most; every message is in
// exactly one of its user's mailboxes. Each mailbox's total and unread
// counts are kept by triggers, so no code path can forget them and no page
// counts rows to show them. A message's flags are a set of bits (Flag:
// seen, flagged, answered, forwarded, draft) in one column. A message in
// the Trash also records when it got there (trashed_at), which trash
// expiry and "delete when deleted here" go by; the schema refuses a
// trashed_at that disagrees with the mailbox. An account is an identity
// (Identity: name, address, signature), its incoming POP3 server
// (AccountSettings) and, once mail is sent, its outgoing server: all in
// the account's row, the outgoing server as nullable columns beside the
// rest. A message's raw bytes are kept apart from its summary, in pieces,
// compressed (raw.go), and given back exactly as the server sent them.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/apartado/apartado/migrations"
)

// Sentinel errors the HTTP layer maps to statuses in one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// DB is the database. Now is the clock, replaceable in tests.
type DB struct {
	sql   *sql.DB
	codec *codec // stored mail's compression (raw.go)
	stmts preparedStmts
	Now   func() time.Time
	path  string

	modeChanges []ModeChange // see ModeChanges
}

// Dir is the folder the database file is in, where files that go with it
// are kept (an uploaded file being imported).
func (d *DB) Dir() string { return filepath.Dir(d.path) }

// pageSize is the page size of a new database. Raw messages are most of
// the data, and storing them with 64 KiB pages takes about 40% less time
// than with SQLite's default 4 KiB (3,000 typical messages: 0.58 s against
// 0.95 s). The cost, a 64 KiB WAL frame for a one-row update such as
// marking a message read, does not matter at a household's scale.
const pageSize = 65536

// cacheKiB is the page cache of each pooled connection, in KiB. SQLite's
// default, 2,000 KiB, holds 31 of the 64 KiB pages: at 100,000 messages,
// when pages still counted and scanned rows, every request read most of
// its pages again. A page touches a few dozen pages now; searches touch
// more (FTS5's lists), and a connection's cache grows as far as it reads,
// outside the Go heap, so the bound is cacheKiB times maxConns. With 16
// MiB the server's RSS reached 192 MB under bench/scale's page load at
// 100,000 messages with 20 searches at once; with 6 MiB, 104 MB, the pages
// as fast, and the first sync as fast (208 s for the 100,000 messages).
const cacheKiB = 6 << 10

// maxConns bounds the pool of connections.
const maxConns = 8

// createLargePages gives a new database file pageSize pages. The page
// size is fixed once the file is in WAL mode, so it is set on a connection
// of its own before anything else touches the file; an existing database
// keeps its page size. A new database is a missing or empty file
// (privateFiles may have just created it) with no WAL beside it.
func createLargePages(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case fi.Size() > 0:
		return nil
	default:
		if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	init, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	init.SetMaxOpenConns(1)
	for _, pragma := range []string{"PRAGMA page_size=" + strconv.Itoa(pageSize), "PRAGMA journal_mode=WAL"} {
		if _, err := init.ExecContext(ctx, pragma); err != nil {
			_ = init.Close()
			return err
		}
	}
	return init.Close()
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date. The pragmas are in the DSN so that every pooled
// connection gets them: WAL for readers alongside the poller's writes,
// synchronous=FULL because a committed message may be deleted from the POP3
// server right after and must survive a power cut, foreign keys on, and a
// busy timeout instead of "database is locked" errors. The database file
// and its -wal and -shm files are private to the owner (see privateFiles;
// ModeChanges says what had to be narrowed).
func Open(ctx context.Context, path string) (*DB, error) {
	changed, err := privateFiles(path)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := createLargePages(ctx, path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "busy_timeout(10000)", "temp_store(MEMORY)",
		"cache_size(" + strconv.Itoa(-cacheKiB) + ")"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sqlDB, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	c, err := newCodec()
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	d := &DB{sql: sqlDB, codec: c, Now: time.Now, path: path, modeChanges: changed}
	if err := d.migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error {
	err := errors.Join(d.stmts.close(), d.sql.Close())
	d.codec.close()
	return err
}

// SQL returns the underlying handle, for tests and maintenance commands.
func (d *DB) SQL() *sql.DB { return d.sql }

func (d *DB) now() int64 { return d.Now().Unix() }

// migrate applies every embedded migration not yet recorded, in order, each
// in its own transaction together with its record.
func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s: file name must start with a number", name)
		}
		body, err := migrations.FS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if err := d.applyMigration(ctx, version, name, string(body)); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies one migration, the SQL body, if not yet recorded, on a
// connection of its own with foreign keys off, as SQLite's procedure for
// schema changes asks: a migration may then rebuild a table that others
// reference (create, copy, drop, rename) without the drop deleting or
// nulling their rows. Before committing it checks every foreign key
// (PRAGMA foreign_key_check), so a migration cannot leave a dangling
// reference behind; nor does it get ON DELETE actions, so a migration that
// deletes rows deletes their dependants itself.
func (d *DB) applyMigration(ctx context.Context, version int, name, body string) (err error) {
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	defer func() {
		// A connection whose foreign keys could not be turned back on must
		// not go back to the pool.
		if _, fkErr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); fkErr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = fmt.Errorf("migrate %s: %w", name, fkErr)
			}
		}
		if cerr := conn.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("migrate %s: %w", name, cerr)
		}
	}()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, d.now()); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	return nil
}

// foreignKeyCheck fails with the first row whose foreign key points nowhere.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("a row of %s (rowid %d) refers to a missing row of %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}

// isUniqueViolation reports whether err is SQLite's UNIQUE or PRIMARY KEY
// constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func unixPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(v.Int64, 0)
	return &t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
