package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

// backupCmd writes a backup of the database while the server may be
// running (see db.Backup), with the secret key that opens its passwords.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var out string
	cfg, _, err := parseConfig("backup", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the backup file to write (it must not exist)")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return errors.New("usage: apartado backup --out FILE")
	}
	log := cfg.logger(stderr)
	d, err := cfg.open(ctx, log)
	if err != nil {
		return err
	}
	defer d.store.Close()
	info, err := d.store.Backup(ctx, out, d.key.String())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %d messages (%d bytes) to %s\n", info.Messages, info.Size, out)
	return nil
}

// restoreCmd puts a backup back as the data folder's database, and its
// secret key as DATA/secret.key. Apartado must be stopped. A database (or
// key) already there is kept beside, renamed, never deleted.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var in string
	var force bool
	cfg, _, err := parseConfig("restore", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&in, "in", "", "the backup file to restore")
		fs.BoolVar(&force, "force", false, "replace the data folder's database (it is kept beside, renamed)")
	})
	if err != nil {
		return err
	}
	if in == "" {
		return errors.New("usage: apartado restore --in FILE [--force] (with Apartado stopped)")
	}
	log := cfg.logger(stderr)
	info, err := db.ReadBackup(ctx, in)
	if err != nil {
		return err
	}
	key, err := secret.Parse(info.SecretKey)
	if err != nil {
		return fmt.Errorf("backup %s: its secret key: %w", in, err)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	dst := filepath.Join(cfg.Data, "apartado.db")
	aside := "replaced-" + time.Now().UTC().Format("20060102-150405")
	if _, err := os.Stat(dst); err == nil {
		if !force {
			return fmt.Errorf("%s holds a database already; stop Apartado, then run again with --force to replace it (it is kept as apartado-%s.db)", cfg.Data, aside)
		}
		if err := setAside(ctx, dst, filepath.Join(cfg.Data, "apartado-"+aside+".db")); err != nil {
			return err
		}
	}
	if _, err := db.RestoreBackup(ctx, in, dst); err != nil {
		return err
	}
	if cfg.SecretKey != "" || cfg.SecretKeyFile != "" {
		if configured, err := cfg.key(log); err != nil || configured.String() != key.String() {
			log.Warn("the configured secret key is not the backup's: the accounts' passwords will have to be typed again, " +
				"unless the backup's key is configured (it is in DATA/secret.key)")
		}
	}
	if err := restoreKey(filepath.Join(cfg.Data, "secret.key"), key, aside); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %d messages from %s (made %s) into %s\n", info.Messages, in,
		info.MadeAt.UTC().Format(time.RFC3339), cfg.Data)
	return nil
}

// setAside renames the database at path to aside, after folding its
// write-ahead log into it (opening and closing it does) so that the file
// is whole on its own.
func setAside(ctx context.Context, path, aside string) error {
	old, err := db.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("the database to replace: %w", err)
	}
	if err := old.Close(); err != nil {
		return fmt.Errorf("the database to replace: %w", err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + side); err == nil {
			return fmt.Errorf("the database %s is still in use (its %s file stays): stop Apartado first", path, side)
		}
	}
	return os.Rename(path, aside)
}

// restoreKey writes the backup's key as the data folder's key file; a
// different key already there is kept beside it, renamed.
func restoreKey(path string, key *secret.Key, aside string) error {
	if old, _, err := secret.Load(path); err == nil {
		if old.String() == key.String() {
			return nil
		}
		if err := os.Rename(path, path+"."+aside); err != nil {
			return err
		}
	}
	return secret.Create(path, key)
}
