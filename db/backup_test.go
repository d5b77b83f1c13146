package db

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestBackupWhileStoring: a backup made while batches are being stored is
// one consistent snapshot (every message in it whole, with its raw bytes,
// search text and server row; the kept counts agree with the rows), it
// is private, and restored it opens as a database that gives back every
// message it holds byte for byte, and the settings.
func TestBackupWhileStoring(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleAdmin)
	a := newAccount(t, d, u.ID, "casa")
	store := func(from, n int) {
		var batch []Downloaded
		for i := from; i < from+n; i++ {
			raw := bytes.Repeat(fmt.Appendf(nil, "Subject: %d\r\n\r\nzanahoria %d\r\n", i, i), 40)
			sum := sha256.Sum256(raw)
			batch = append(batch, Downloaded{NewMessage: NewMessage{AccountID: a.ID, UserID: u.ID, UIDL: fmt.Sprint("u", i),
				Raw: raw, SHA256: sum[:], SortAt: time.Unix(int64(1000+i), 0), Subject: fmt.Sprint(i),
				SearchBody: fmt.Sprint("zanahoria ", i)}, SizeOK: true})
		}
		if _, _, err := d.StoreDownloaded(ctx, batch); err != nil {
			t.Error(err)
		}
	}
	store(0, 50)
	dir := t.TempDir()
	var wg sync.WaitGroup
	wg.Add(1)
	storing := make(chan struct{})
	go func() {
		defer wg.Done()
		for b := 1; b <= 40; b++ {
			store(b*50, 50)
			if b == 3 {
				close(storing)
			}
		}
	}()
	<-storing
	path := filepath.Join(dir, "copy.db")
	info, err := d.Backup(ctx, path, "the-key")
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	t.Logf("the backup holds %d messages", info.Messages)
	if info.Messages < 200 || info.Messages > 2050 || info.Messages%50 != 0 {
		t.Errorf("the backup holds %d messages: not a snapshot between batches", info.Messages)
	}
	if _, err := d.Backup(ctx, path, "the-key"); err == nil {
		t.Error("a backup replaced an existing file")
	}
	got, err := ReadBackup(ctx, path)
	if err != nil || got.SecretKey != "the-key" || got.Messages != info.Messages || got.MadeAt.IsZero() {
		t.Fatalf("ReadBackup: %+v %v", got, err)
	}

	restored := filepath.Join(t.TempDir(), "apartado.db")
	if err := os.WriteFile(restored+"-wal", []byte("a stale log"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreBackup(ctx, path, restored); err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreBackup(ctx, path, restored); err == nil {
		t.Error("a restore replaced an existing database")
	}
	r, err := Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := r.count(t, `SELECT count(*) FROM sqlite_master WHERE name = 'apartado_backup'`); n != 0 {
		t.Error("the restored database keeps the backup's record")
	}
	ru, err := r.UserByName(ctx, "ana")
	if err != nil || ru.Role != RoleAdmin {
		t.Fatalf("user: %+v %v", ru, err)
	}
	if _, err := r.Account(ctx, ru.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := r.EachMessage(ctx, ru.ID, 0, func(m MessageExport) error {
		n++
		if want := bytes.Repeat(fmt.Appendf(nil, "Subject: %s\r\n\r\nzanahoria %s\r\n", m.Subject, m.Subject), 40); !bytes.Equal(m.Raw, want) {
			return fmt.Errorf("message %d is not whole", m.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`SELECT count(*) FROM message_text`, `SELECT count(*) FROM server_messages`,
		`SELECT total FROM mailboxes WHERE role = 'inbox'`, `SELECT stored_count FROM accounts`,
		`SELECT count(*) FROM message_fts WHERE message_fts MATCH 'zanahoria'`} {
		if got := r.count(t, q); int64(got) != n || n != info.Messages {
			t.Errorf("%s: %d, %d messages, %d in the backup", q, got, n, info.Messages)
		}
	}
	r.ftsIntegrity(t)
}

// TestRestoreRefusesOtherFiles: a file that is not a backup is refused
// with ErrNotBackup, and nothing is written.
func TestRestoreRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "notes.txt")
	os.WriteFile(plain, []byte("not a database at all, long enough"), 0o600)
	d, err := Open(ctx, filepath.Join(dir, "other.db")) // a database, not a backup
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	for _, src := range []string{plain, filepath.Join(dir, "other.db")} {
		dst := filepath.Join(t.TempDir(), "apartado.db")
		if _, err := RestoreBackup(ctx, src, dst); !errors.Is(err, ErrNotBackup) {
			t.Errorf("%s: %v", src, err)
		}
		if _, err := os.Stat(dst); err == nil {
			t.Errorf("%s: a database was written", src)
		}
	}
}
