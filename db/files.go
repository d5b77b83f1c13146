package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// privateMode is the mode of the database's files: the stored mail, the
// password hashes and the sealed POP3 passwords are for the owner alone.
const privateMode fs.FileMode = 0o600

// ModeChange is a database file that other users could read or write and
// that Open made private to its owner.
type ModeChange struct {
	Path     string
	From, To fs.FileMode
}

// companions are the files SQLite keeps beside the database in WAL mode.
var companions = []string{"", "-wal", "-shm"}

// privateFiles makes the database file at path and its -wal and -shm files
// private to the owner, whatever the folder's mode and the process umask
// (a Docker volume's folder already exists, and a umask of 0022 would let
// SQLite create them 0644). A missing database file is created 0600 before
// SQLite opens it, and SQLite gives the -wal and -shm files the mode of
// the database file; existing files open to the group or others (after a
// restore from a backup, say) are narrowed to the owner's bits, and
// returned. On Windows, where a file's mode holds only a read-only bit, it
// does nothing.
func privateFiles(path string) ([]ModeChange, error) {
	if runtime.GOOS == "windows" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateMode)
	switch {
	case err == nil:
		// The umask may have taken bits from 0600 too (0277 would leave the
		// owner unable to write).
		err = f.Chmod(privateMode)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	case !errors.Is(err, fs.ErrExist):
		return nil, err
	}
	var changed []ModeChange
	for _, suffix := range companions {
		name := path + suffix
		fi, err := os.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return changed, err
		}
		from := fi.Mode().Perm()
		if from&0o077 == 0 {
			continue
		}
		to := from &^ 0o077
		if err := os.Chmod(name, to); err != nil {
			return changed, fmt.Errorf("%s can be read or written by other users (mode %04o) and could not be made private: %w; fix it with: chmod 600 %s",
				name, from, err, name)
		}
		changed = append(changed, ModeChange{Path: name, From: from, To: to})
	}
	return changed, nil
}

// ModeChanges returns the database files that Open found open to other
// users and made private, for the caller to log.
func (d *DB) ModeChanges() []ModeChange { return d.modeChanges }
