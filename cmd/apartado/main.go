// Command apartado runs the Apartado webmail and its maintenance commands.
//
//	apartado [serve]                    run the web server and the poller (the default)
//	apartado user add NAME [--admin]    add a user (password from stdin or --password-file)
//	apartado account add --user NAME …  add a POP3 account
//	apartado account edit --user NAME --account ID …
//	                                    change what the flags name of an account
//	apartado sync [--user NAME] [--account ID]
//	                                    sync now and print what happened per account
//	apartado send --user NAME --account ID --to ADDR --subject TEXT --body-file FILE [--wait]
//	                                    send a message through the outbox
//	apartado export --user NAME --format mbox|maildir --out PATH
//	                                    write every stored message's raw bytes
//	apartado import --user NAME [--account ID] --format mbox|maildir|eml-zip FILE
//	                                    move mail in from another program's files
//	apartado backup --out FILE          write a backup of the database (the server may be running)
//	apartado restore --in FILE [--force]
//	                                    put a backup back (with the server stopped)
//	apartado healthcheck                exit 0 if the server on APARTADO_ADDR answers (for Docker)
//
// Settings come from flags or APARTADO_* environment variables; see the README.
// The subcommands are adapters over package app, like the web's handlers: a
// rule that refuses a user or an account refuses it in both.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless
// GOMEMLIMIT says otherwise. Without one the garbage collector lets the
// heap grow to twice what is live, which a large message makes a lot: a
// first sync of 10,000 messages and a 50 MB one peaked at 158 MB, and at
// 120 MB with a limit of 100 MiB, in the same time (bench/app). With
// compressed mail and the search index stored as mail arrives, that sync
// peaked at 135-151 MB with 100 MiB (three runs), and at 124-132 MB with
// 80 MiB in as little time (7.5-8.2 s against 8.9-12.8 s).
const defaultMemoryLimit = 80 << 20

func main() {
	privateUmask()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apartado:", err)
		os.Exit(exitCode(err))
	}
}

// run is the whole program, with its environment passed in so tests can
// call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr)
	case "user":
		return userCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "account":
		return accountCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "sync":
		return syncCmd(ctx, args, getenv, stdout, stderr)
	case "send":
		return sendCmd(ctx, args, getenv, stdin, stdout, stderr)
	case "export":
		return exportCmd(ctx, args, getenv, stdout, stderr)
	case "search":
		return searchCmd(ctx, args, getenv, stdout, stderr)
	case "rules":
		return rulesCmd(ctx, args, getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, args, getenv, stdout, stderr)
	case "backup":
		return backupCmd(ctx, args, getenv, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, args, getenv, stdout, stderr)
	case "signin-provider":
		return signInProviderCmd(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, args, getenv, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  apartado [serve] [--addr ADDR] [--data DIR] …    run the web server and the poller
  apartado user add NAME [--admin] [--password-file FILE]
  apartado account add --user NAME --email ADDR --host HOST [--port N] [--security tls|starttls|none]
                       --username NAME --password-file FILE [--name NAME] [--delete-after-download]
                       [--interval DURATION] [--trust-fingerprint SHA256]
  apartado account edit --user NAME --account ID_OR_ADDRESS [--host HOST] [--port N] [--trust-fingerprint SHA256] …
                       change only what the flags name (the same flags as account add)
  apartado sync [--user NAME] [--account ID]
  apartado send --user NAME --account ID_OR_ADDRESS --to ADDR[,ADDR] [--cc ADDR,…] [--bcc ADDR,…]
                --subject TEXT (--body-file FILE | --body-stdin) [--attach FILE]… [--wait] [--undo DURATION]
  apartado export --user NAME [--account ID] --format mbox|maildir --out PATH [--force]
  apartado search --user NAME [--json] [--] QUERY     print every message the query finds, newest first
  apartado rules --user NAME apply                 run the user's rules on the mail in their inbox
  apartado import --user NAME [--account ID] --format mbox|maildir|eml-zip FILE
                                                   move mail in (Gmail Takeout, Thunderbird, a Maildir, .eml files)
  apartado backup --out FILE                       a consistent copy of the database, while the server runs
  apartado restore --in FILE [--force]             put a backup back into the data folder (stop the server first)
  apartado signin-provider set --issuer ISSUER --client-id ID [--secret-file FILE | --public] …
  apartado signin-provider list | remove --issuer ISSUER
                                                   register Apartado with a sign-in provider (OAuth), as Admin → Sign-in providers
  apartado healthcheck
Run "apartado serve --help" for every setting.
`
