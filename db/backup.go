package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// A backup is one SQLite file: a consistent copy of the database made by
// VACUUM INTO while the server runs (it reads one snapshot, as a page
// does, so the poller and the pages go on meanwhile; a message being
// stored is in it whole or not at all), with one more table,
// apartado_backup, recording when it was made and the secret key that
// opens the POP3 and SMTP passwords sealed in it. It is as private as
// the data folder (mode 0600): it holds all of the mail, and the key.

// BackupInfo is what a backup records of itself.
type BackupInfo struct {
	MadeAt    time.Time
	SecretKey string // the key's text form (secret.Key.String)
	Messages  int64
	Size      int64 // the file's bytes
}

// Backup writes a backup of the database to path, which must not exist.
// It is written beside path first and renamed into place once complete
// and on disk, so that path is never a partial copy.
func (d *DB) Backup(ctx context.Context, path, secretKey string) (BackupInfo, error) {
	info, err := d.backup(ctx, path, secretKey)
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	return info, nil
}

func (d *DB) backup(ctx context.Context, path, secretKey string) (BackupInfo, error) {
	info := BackupInfo{MadeAt: time.Unix(d.now(), 0), SecretKey: secretKey}
	if _, err := os.Lstat(path); err == nil {
		return info, fmt.Errorf("%s exists already", path)
	}
	tmp := path + ".partial"
	os.Remove(tmp) // a copy an earlier attempt left behind
	// VACUUM INTO writes into an empty file as it finds it: created here,
	// private from the start.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return info, err
	}
	f.Close()
	defer os.Remove(tmp)
	if _, err := d.sql.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return info, err
	}
	if err := alone(ctx, tmp, false, func(c *sql.Conn) error {
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&info.Messages); err != nil {
			return err
		}
		_, err := c.ExecContext(ctx, `CREATE TABLE apartado_backup (made_at INTEGER NOT NULL, secret_key TEXT NOT NULL);
			INSERT INTO apartado_backup (made_at, secret_key) VALUES (?, ?)`, info.MadeAt.Unix(), secretKey)
		return err
	}); err != nil {
		return info, err
	}
	if err := syncFile(tmp); err != nil {
		return info, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return info, err
	}
	if fi, err := os.Stat(path); err == nil {
		info.Size = fi.Size()
	}
	return info, syncDir(filepath.Dir(path))
}

// alone opens the SQLite file at path on its own (not as Open does: no
// migrations, no WAL), read-only or not, and runs fn on one connection of it.
func alone(ctx context.Context, path string, readOnly bool, fn func(*sql.Conn) error) error {
	dsn := "file:" + path + "?_pragma=journal_mode(DELETE)&_pragma=synchronous(FULL)"
	if readOnly {
		dsn = "file:" + path + "?mode=ro"
	}
	s, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// ErrNotBackup is a file that is not a backup Backup made.
var ErrNotBackup = errors.New("not an Apartado backup")

// ReadBackup checks the backup at path (SQLite's quick_check of every
// page) and returns what it records.
func ReadBackup(ctx context.Context, path string) (BackupInfo, error) {
	var info BackupInfo
	fi, err := os.Stat(path)
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	info.Size = fi.Size()
	if err := isSQLite(path); err != nil {
		return info, err
	}
	err = alone(ctx, path, true, func(c *sql.Conn) error {
		var made int64
		err := c.QueryRowContext(ctx, `SELECT made_at, secret_key FROM apartado_backup`).Scan(&made, &info.SecretKey)
		if err != nil {
			return fmt.Errorf("%w (%v)", ErrNotBackup, err)
		}
		info.MadeAt = time.Unix(made, 0)
		var check string
		if err := c.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
			return err
		}
		if check != "ok" {
			return fmt.Errorf("the backup is damaged: %s", check)
		}
		return c.QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&info.Messages)
	})
	if err != nil {
		return info, fmt.Errorf("backup %s: %w", path, err)
	}
	return info, nil
}

// isSQLite says whether path starts as an SQLite database does.
func isSQLite(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(f, head); err != nil || string(head) != "SQLite format 3\x00" {
		return fmt.Errorf("backup %s: %w (not an SQLite database)", path, ErrNotBackup)
	}
	return nil
}

// RestoreBackup checks the backup at src and copies it to dst, the
// database file of a data folder, without its record; dst must not exist,
// and any -wal or -shm file beside it (left by a database removed to make
// room) is removed first, as it would otherwise be taken for part of the
// restored database. Apartado must not be running on dst's folder.
func RestoreBackup(ctx context.Context, src, dst string) (BackupInfo, error) {
	info, err := ReadBackup(ctx, src)
	if err != nil {
		return info, err
	}
	if _, err := os.Lstat(dst); err == nil {
		return info, fmt.Errorf("restore: %s exists already", dst)
	}
	for _, side := range []string{dst + "-wal", dst + "-shm", dst + "-journal"} {
		if err := os.Remove(side); err != nil && !errors.Is(err, os.ErrNotExist) {
			return info, fmt.Errorf("restore: %w", err)
		}
	}
	tmp := dst + ".restoring"
	os.Remove(tmp)
	defer os.Remove(tmp)
	if err := copyFile(src, tmp); err != nil {
		return info, fmt.Errorf("restore: %w", err)
	}
	if err := alone(ctx, tmp, false, func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `DROP TABLE apartado_backup`)
		return err
	}); err != nil {
		return info, fmt.Errorf("restore: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return info, fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return info, fmt.Errorf("restore: %w", err)
	}
	return info, syncDir(filepath.Dir(dst))
}

// copyFile copies src into a new private file dst, synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
