package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
)

// importCmd moves mail in from a file into one of a user's accounts (see
// app.Imports): the account given, or the user's only one.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var user, format string
	var accountID int64
	cfg, fs, err := parseConfig("import", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the user whose mail it is")
		fs.Int64Var(&accountID, "account", 0, "the account it goes in (default: the user's only account)")
		fs.StringVar(&format, "format", "", "mbox (also Gmail Takeout's), maildir (a folder) or eml-zip")
	})
	if err != nil {
		return err
	}
	if user == "" || format == "" || fs.NArg() != 1 {
		return errors.New("usage: apartado import --user NAME [--account ID] --format mbox|maildir|eml-zip FILE")
	}
	log := cfg.logger(stderr)
	store, err := cfg.openDB(ctx, log)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := cliUser(ctx, store, user)
	if err != nil {
		return err
	}
	if accountID == 0 {
		accs, err := store.Accounts(ctx, u.ID)
		if err != nil {
			return err
		}
		switch len(accs) {
		case 0:
			return fmt.Errorf("%s has no account to import into: add one first", u.Name)
		case 1:
			accountID = accs[0].ID
		default:
			var ids []string
			for _, a := range accs {
				ids = append(ids, fmt.Sprintf("%d (%s)", a.ID, a.Email))
			}
			return fmt.Errorf("%s has several accounts: say which with --account: %s", u.Name, strings.Join(ids, ", "))
		}
	}
	res, err := app.NewImports(store).FromFile(ctx, u.ID, accountID, format, fs.Arg(0), func(p app.ImportProgress) {
		fmt.Fprintf(stderr, "read %d messages, %d stored, %d stored already\n", p.Read, p.Stored, p.Duplicates)
	})
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("%s has no account %d", u.Name, accountID)
	}
	for _, s := range res.Skipped {
		fmt.Fprintln(stdout, "left out:", s)
	}
	if len(res.Folders) > 0 {
		fmt.Fprintln(stdout, "folders made:", strings.Join(res.Folders, ", "))
	}
	fmt.Fprintf(stdout, "imported %d messages (%d bytes) into account %d; %d stored already; %d left out\n",
		res.Stored, res.Bytes, accountID, res.Duplicates, len(res.Skipped))
	return err
}
