// Command scale benchmarks Apartado with one user's large mailbox: N
// messages (default 100,000) of realistic sizes in 3 accounts, brought in
// by real syncs from a private Dovecot. It then serves them with the real
// apartado binary and times the pages people use most — the inbox, an
// account's view, a page deep in the inbox, a message, the settings page
// and a message's HTML body frame — at concurrency 1 and 20, side by side
// in the same run with the same bytes served as a static file by Go's
// http.FileServer, and reports each page's p50 and p95 as ratios to that
// baseline. Besides the pages it reports the first sync's time, the
// database's size against the raw mail's, the server's memory under load
// and what a poll that finds nothing new costs the database.
//
//	go run ./bench/scale -n 10000
//
// See bench/README.md for what exactly is measured and how to read it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	n        int
	accounts int
	seed     uint64
	requests int
	conc     []int
	dir      string
	keep     bool
	timeout  time.Duration
}

// run is the whole benchmark: the report goes to stdout, progress to
// stderr. It returns the exit status: 0, 1 when a step or check failed,
// 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.n, "n", 100_000, "messages in the user's mailbox, spread over the accounts")
	fs.IntVar(&cfg.accounts, "accounts", 3, "POP3 accounts the messages are spread over")
	fs.Uint64Var(&cfg.seed, "seed", 1, "mailgen seed")
	fs.IntVar(&cfg.requests, "requests", 200, "timed requests of every page at every concurrency (and as many of its static copy)")
	concFlag := fs.String("c", "1,20", "comma-separated concurrency levels")
	fs.StringVar(&cfg.dir, "dir", "", "parent of the working directory, on the disk to measure (default: $TMPDIR or /tmp)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the working directory (the database, the binary)")
	fs.DurationVar(&cfg.timeout, "timeout", 3*time.Hour, "bound on the whole benchmark")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if cfg.conc, err = parseInts(*concFlag); err != nil {
		fmt.Fprintln(stderr, "bad -c:", err)
		return 2
	}
	if cfg.n < cfg.accounts || cfg.accounts < 1 || cfg.requests < 1 {
		fmt.Fprintln(stderr, "-accounts must be at least 1, -n at least -accounts, -requests at least 1")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	b := &bench{cfg: cfg, log: stderr}
	defer b.close()
	report, err := b.run(ctx)
	fmt.Fprint(stdout, report)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		fmt.Fprintf(stdout, "\n**FAILED: %v**\n", err)
		return 1
	}
	return 0
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var v int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &v); err != nil || v < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("no levels")
	}
	return out, nil
}
