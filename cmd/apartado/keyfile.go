package main

import (
	"fmt"
	"log/slog"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

// The secret key decrypts every stored POP3 password, so its file should
// be the owner's alone; what Apartado does when it is not depends on whose
// file it is.
//
// DATA/secret.key is Apartado's own: it generated it 0600. Found open to
// others (restored from a backup, copied under a loose umask), it is made
// private again with a warning; if that fails because the file belongs to
// another user, Apartado refuses to start and says which chmod fixes it.
//
// A --secret-key-file is the administrator's, and often a Docker secret:
// mounted read-only, owned by root and 0444 unless the compose file sets a
// mode, which the non-root process can neither change nor sensibly refuse.
// Apartado reads it as it is and warns if others may read or write it.

// keyFromFile reads the key from a --secret-key-file.
func keyFromFile(path string, log *slog.Logger) (*secret.Key, error) {
	k, mode, err := secret.Load(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if secret.Exposed(mode) {
		log.Warn("the secret key file can be read or written by other users; that is usual for a Docker secret, "+
			"otherwise fix it with: chmod 600 "+path, "file", path, "mode", fmt.Sprintf("%04o", mode.Perm()))
	}
	return k, nil
}

// dataKey reads, or generates, DATA/secret.key.
func dataKey(path string, log *slog.Logger) (*secret.Key, error) {
	k, narrowed, err := secret.LoadOrCreate(path)
	if err != nil {
		return nil, err
	}
	if narrowed != 0 {
		log.Warn("the secret key file could be read or written by other users; it is private to its owner now",
			"file", path, "was", fmt.Sprintf("%04o", narrowed.Perm()))
	}
	return k, nil
}

// logModeChanges says which database files were open to other users and
// have been made private.
func logModeChanges(store *db.DB, log *slog.Logger) {
	for _, c := range store.ModeChanges() {
		log.Warn("a database file could be read or written by other users; it is private to its owner now",
			"file", c.Path, "was", fmt.Sprintf("%04o", c.From), "now", fmt.Sprintf("%04o", c.To))
	}
}
