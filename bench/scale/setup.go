package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
)

// bench is everything the steps share.
type bench struct {
	cfg config
	log io.Writer

	closers []func()

	work     string // the working directory
	bin      string // the apartado binary
	dataDir  string // apartado's data folder
	dbPath   string
	certFile string
	userPW   string // the file with the Apartado user's password
	srv      *dovecottest.Server
	roots    []*x509.Certificate

	users    []string // the Dovecot users, one per account
	rawBytes int64    // the mail's bytes, all accounts
	perUser  []int    // messages in each user's Maildir
	header   string
}

const benchUser, benchPassword = "bench", "bench-password-1"

func (b *bench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// setup builds apartado, starts Dovecot with one user per account, fills
// their Maildirs, and makes the Apartado user and accounts (untimed).
func (b *bench) setup(ctx context.Context) error {
	var err error
	if b.work, err = os.MkdirTemp(b.cfg.dir, "apartado-bench-scale-"); err != nil {
		return err
	}
	if b.cfg.keep {
		b.logf("keeping %s", b.work)
	} else {
		work := b.work
		b.closers = append(b.closers, func() { os.RemoveAll(work) })
	}
	b.dataDir = filepath.Join(b.work, "data")
	b.dbPath = filepath.Join(b.dataDir, "apartado.db")
	b.certFile = filepath.Join(b.work, "cert.pem")
	b.userPW = filepath.Join(b.work, "user-password")

	t0 := time.Now()
	if err := b.build(ctx); err != nil {
		return err
	}
	b.logf("built apartado in %v", time.Since(t0).Round(time.Millisecond))

	users := map[string]string{}
	for i := range b.cfg.accounts {
		name := fmt.Sprintf("user%d", i+1)
		b.users = append(b.users, name)
		users[name] = dovecottest.DefaultPassword
	}
	srv, err := dovecottest.New(dovecottest.Options{Users: users})
	if err != nil {
		return err
	}
	b.srv = srv
	b.closers = append(b.closers, func() {
		if err := srv.Close(); err != nil {
			b.logf("closing Dovecot: %v", err)
		}
	})
	if b.roots, _, _, err = benchutil.DovecotTLS(srv); err != nil {
		return err
	}
	t0 = time.Now()
	if err := b.fill(ctx); err != nil {
		return err
	}
	b.logf("%d messages (%.1f MB) written into %d Maildirs in %v", b.cfg.n, float64(b.rawBytes)/1e6, len(b.users),
		time.Since(t0).Round(time.Millisecond))

	for path, data := range map[string]string{b.certFile: string(srv.CertPEM), b.userPW: benchPassword + "\n",
		filepath.Join(b.work, "pop3-password"): dovecottest.DefaultPassword + "\n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			return err
		}
	}
	data := "--data=" + b.dataDir
	if _, err := b.apartado(ctx, "user", "add", benchUser, "--admin", data, "--password-file="+b.userPW); err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(srv.TLSAddr)
	if err != nil {
		return err
	}
	for _, u := range b.users {
		// A day between polls: the server started for the page timings
		// must not sync while it is measured.
		if _, err := b.apartado(ctx, "account", "add", data, "--user="+benchUser, "--email="+u+"@example.org",
			"--host=127.0.0.1", "--port="+port, "--security=tls", "--username="+u, "--interval=24h",
			"--password-file="+filepath.Join(b.work, "pop3-password")); err != nil {
			return err
		}
	}
	return nil
}

// build compiles the apartado command of this working tree.
func (b *bench) build(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return errors.New("run this from inside the apartado module")
	}
	b.bin = filepath.Join(b.work, "apartado")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "./cmd/apartado")
	cmd.Dir = filepath.Dir(mod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/apartado: %w\n%s", err, out)
	}
	return nil
}

// fill deals mailgen's messages 0..n-1 round-robin into the users'
// Maildirs, so that every account's mail spans the whole period.
func (b *bench) fill(ctx context.Context) error {
	mb := b.mailbox()
	b.perUser = make([]int, len(b.users))
	const chunk = 200
	pending := make([][][]byte, len(b.users))
	flush := func(k int) error {
		if len(pending[k]) == 0 {
			return nil
		}
		err := b.srv.AddMessages(b.users[k], pending[k])
		pending[k] = pending[k][:0]
		return err
	}
	for i := range b.cfg.n {
		if i%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		k := i % len(b.users)
		m := mb.Message(i)
		pending[k] = append(pending[k], m)
		b.perUser[k]++
		b.rawBytes += int64(len(m))
		if len(pending[k]) == chunk {
			if err := flush(k); err != nil {
				return err
			}
		}
	}
	for k := range b.users {
		if err := flush(k); err != nil {
			return err
		}
	}
	return nil
}

// mailbox is the generated mail: a third of the text messages also in
// HTML, one in 20 messages with an attachment.
func (b *bench) mailbox() mailgen.Mailbox { return mailgen.Mailbox{Seed: b.cfg.seed, HTMLEvery: 3} }

// apartado runs the binary with no APARTADO_* variables from the caller and
// returns its standard output.
func (b *bench) apartado(ctx context.Context, args ...string) (string, error) {
	cmd := b.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("apartado %s: %w: %s", args[0], err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

func (b *bench) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Dir = b.work
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "APARTADO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

var syncLine = regexp.MustCompile(`(?m)^account (\d+): (\d+) new \((\d+) bytes\), (\d+) deleted on the server, (\d+) on the server`)

// firstSync times "apartado sync" of every account into the empty
// database, polling its peak RSS, and checks it stored every message.
func (b *bench) firstSync(ctx context.Context) (wall time.Duration, peak int64, err error) {
	syscall.Sync() // no writeback of the Maildirs during the sync
	cmd := b.command(ctx, "sync", "--data="+b.dataDir, "--user="+benchUser, "--extra-ca-file="+b.certFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	stopRSS := watchRSS(cmd.Process.Pid)
	err = cmd.Wait()
	wall = time.Since(t0)
	_, peak = stopRSS()
	if err != nil {
		return 0, 0, fmt.Errorf("apartado sync: %w: %s %s", err, bytes.TrimSpace(stdout.Bytes()), bytes.TrimSpace(stderr.Bytes()))
	}
	var n int
	var nbytes int64
	for _, m := range syncLine.FindAllStringSubmatch(stdout.String(), -1) {
		k, _ := strconv.Atoi(m[2])
		s, _ := strconv.ParseInt(m[3], 10, 64)
		n, nbytes = n+k, nbytes+s
	}
	if n != b.cfg.n || nbytes != b.rawBytes {
		return 0, 0, fmt.Errorf("apartado sync stored %d messages (%d bytes), want %d (%d): %s", n, nbytes, b.cfg.n, b.rawBytes, stdout.String())
	}
	return wall, peak, nil
}

// storage is the database's size against the mail it holds.
type storage struct {
	fileBytes  int64 // the database file and its WAL
	pageSize   int64
	pages      int64
	freePages  int64
	rawInPages int64 // sum of the stored raw bytes (as SQLite counts them)
}

func (b *bench) storage(ctx context.Context) (storage, error) {
	var s storage
	for _, p := range []string{b.dbPath, b.dbPath + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			s.fileBytes += fi.Size()
		}
	}
	conn, err := sql.Open("sqlite", "file:"+b.dbPath+"?mode=ro")
	if err != nil {
		return s, err
	}
	defer conn.Close()
	for q, dst := range map[string]*int64{`PRAGMA page_size`: &s.pageSize, `PRAGMA page_count`: &s.pages,
		`PRAGMA freelist_count`: &s.freePages,
		`SELECT coalesce(sum(length(raw)), 0) + (SELECT coalesce(sum(length(data)), 0) FROM message_raw_parts) FROM message_raw`: &s.rawInPages} {
		if err := conn.QueryRowContext(ctx, q).Scan(dst); err != nil {
			return s, fmt.Errorf("%s: %w", q, err)
		}
	}
	return s, nil
}
