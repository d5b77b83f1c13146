package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/apartado/apartado/app"
)

// rulesCmd runs a user's rules on the mail already in their inbox, as
// "Apply all to the inbox now" on the rules page does:
//
//	apartado rules --user NAME apply
func rulesCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var user string
	cfg, fs, err := parseConfig("rules", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the user whose rules run (required)")
	})
	if err != nil {
		return err
	}
	if user == "" || fs.NArg() != 1 || fs.Arg(0) != "apply" {
		return fmt.Errorf("usage: apartado rules --user NAME apply")
	}
	d, err := cfg.open(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer d.store.Close()
	u, err := cliUser(ctx, d.store, user)
	if err != nil {
		return err
	}
	out, err := app.NewRules(d.store).ApplyNow(ctx, u.ID, 0)
	if err != nil {
		return fmt.Errorf("apply rules: %w", err)
	}
	fmt.Fprintf(stdout, "%d messages changed\n", out.Count)
	return nil
}
