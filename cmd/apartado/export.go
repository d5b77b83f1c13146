package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/export"
)

// exportCmd writes a user's stored mail (one account's, or all of it) as an
// mboxrd file or a Maildir.
func exportCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var user, format, out string
	var accountID int64
	var force bool
	cfg, _, err := parseConfig("export", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the user whose mail to export")
		fs.Int64Var(&accountID, "account", 0, "only this account (default: all of the user's accounts)")
		fs.StringVar(&format, "format", "", "mbox (one mboxrd file) or maildir (a folder)")
		fs.StringVar(&out, "out", "", "the mbox file, or the Maildir folder, to write")
		fs.BoolVar(&force, "force", false, "overwrite an existing mbox file")
	})
	if err != nil {
		return err
	}
	if user == "" || out == "" {
		return errors.New("usage: apartado export --user NAME [--account ID] --format mbox|maildir --out PATH")
	}
	if format != "mbox" && format != "maildir" {
		return errors.New("--format must be mbox or maildir")
	}
	store, err := cfg.openDB(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := cliUser(ctx, store, user)
	if err != nil {
		return err
	}
	if accountID != 0 {
		if _, err := store.Account(ctx, u.ID, accountID); errors.Is(err, db.ErrNotFound) {
			return fmt.Errorf("%s has no account %d", u.Name, accountID)
		} else if err != nil {
			return err
		}
	}
	var count, size int64
	src := func(yield func(export.Message) error) error {
		return store.EachMessage(ctx, u.ID, accountID, func(m db.MessageExport) error {
			count++
			size += int64(len(m.Raw))
			return yield(export.Message(m))
		})
	}
	switch format {
	case "mbox":
		err = exportMbox(out, force, src)
	case "maildir":
		err = export.WriteMaildir(out, src)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d messages (%d bytes) to %s\n", count, size, out)
	return nil
}

// exportMbox writes the mbox file (0600), refusing to replace one unless
// force. A failed export leaves no partial file behind.
func exportMbox(path string, force bool, src export.Source) (err error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !force {
		flags |= os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists (add --force to overwrite it)", path)
	}
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			err = errors.Join(err, os.Remove(path))
		}
	}()
	// A file replaced with --force keeps its mode otherwise, which may let
	// other users read the mail.
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if err := export.WriteMbox(f, src); err != nil {
		return err
	}
	return f.Sync()
}
