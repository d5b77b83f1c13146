//go:build unix

package db

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// withUmask runs the test under umask mask, as a process started by a
// shell usually is (0022).
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

func wantMode(t *testing.T, name string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", filepath.Base(name), got, want)
	}
}

// TestNewDatabaseIsPrivate: a database opened in a folder that already
// exists, readable by all (as Docker's /data volume is), under a umask of
// 0022, still has its file, -wal and -shm private to the owner.
func TestNewDatabaseIsPrivate(t *testing.T) {
	withUmask(t, 0o022)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "apartado.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.CreateUser(ctx, "ana", "h", RoleMember); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range companions {
		wantMode(t, path+suffix, 0o600)
	}
	if c := d.ModeChanges(); len(c) != 0 {
		t.Errorf("a new database reports mode changes: %v", c)
	}
	// The large pages of a new database, though privateFiles made the
	// file first.
	var size int
	if err := d.sql.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil || size != pageSize {
		t.Errorf("page size %d, want %d (%v)", size, pageSize, err)
	}
}

// TestOpenNarrowsAnExposedDatabase: a database file readable by others
// (restored from a backup, say) is made private, and Open says so.
func TestOpenNarrowsAnExposedDatabase(t *testing.T) {
	withUmask(t, 0o022)
	path := filepath.Join(t.TempDir(), "apartado.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateUser(ctx, "ana", "h", RoleMember); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if u, err := d.UserByName(ctx, "ana"); err != nil || u.Name != "ana" {
		t.Fatalf("the reopened database lost its user: %v", err)
	}
	if _, err := d.CreateUser(ctx, "bea", "h", RoleMember); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range companions {
		wantMode(t, path+suffix, 0o600)
	}
	c := d.ModeChanges()
	if len(c) != 1 || c[0] != (ModeChange{Path: path, From: 0o644, To: 0o600}) {
		t.Errorf("mode changes %v, want the database file from 0644 to 0600", c)
	}
}

// TestPrivateFilesNarrowsCompanions: a -wal or -shm file left open to
// others beside a private database is narrowed too, keeping the owner's
// bits; files that are already private are left as they are.
func TestPrivateFilesNarrowsCompanions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "apartado.db")
	for name, mode := range map[string]os.FileMode{path: 0o600, path + "-wal": 0o664, path + "-shm": 0o604} {
		if err := os.WriteFile(name, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(name, mode); err != nil {
			t.Fatal(err)
		}
	}
	changed, err := privateFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []ModeChange{{path + "-wal", 0o664, 0o600}, {path + "-shm", 0o604, 0o600}}
	if len(changed) != len(want) || changed[0] != want[0] || changed[1] != want[1] {
		t.Errorf("changed %v, want %v", changed, want)
	}
	for _, suffix := range companions {
		wantMode(t, path+suffix, 0o600)
	}
}
