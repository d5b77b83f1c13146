package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
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
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/pop3client"
)

// result is one timed run of one method.
type result struct {
	wall time.Duration
	cpu  time.Duration
	// peak is the peak RSS of the child (apartado, mpop) in bytes, 0 when
	// not measured; maxrss and polled are its two sources (see peakOf).
	peak, maxrss, polled int64
	diskBytes            int64 // apartado: the data folder's size after the sync
}

// method is one way of moving the mailbox.
type method struct {
	key, name string
	run       func(ctx context.Context) (result, error)
}

const (
	keyApartado = "apartado"
	keyMpop     = "mpop"
	keyPop3     = "pop3client"
	keyTCP      = "tcp"
	keyTLS      = "tls"
)

func (b *bench) methods() []method {
	return []method{
		{keyApartado, "Apartado: apartado sync, empty database (disk)", b.apartadoRun},
		{keyMpop, "mpop → Maildir (disk)", b.mpopRun},
		{keyPop3, "ref: pop3client pipelined → discard", func(ctx context.Context) (result, error) { return b.pop3Run(ctx, false) }},
		{keyTCP, "TCP copy (plain, Go)", func(ctx context.Context) (result, error) { return b.copyRun(ctx, false) }},
		{keyTLS, "ref: TLS copy (Go→Go)", func(ctx context.Context) (result, error) { return b.copyRun(ctx, true) }},
	}
}

// ---- Apartado ----

// apartado runs the binary with a clean environment (no APARTADO_*
// variables from the caller) and returns its standard output.
func (b *bench) apartado(ctx context.Context, args ...string) (string, error) {
	cmd := b.apartadoCmd(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("apartado %s: %w: %s", args[0], err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

func (b *bench) apartadoCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, b.bin, args...)
	cmd.Dir = b.work
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "APARTADO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

var syncLine = regexp.MustCompile(`^account (\d+): (\d+) new \((\d+) bytes\), (\d+) deleted on the server, (\d+) on the server`)

// apartadoRun times one first sync: user and account are added to a fresh
// data folder (untimed), then "apartado sync" is timed from process start
// to exit. Afterwards (untimed) the database is exported and compared with
// the mailbox, and the server's Maildir is checked to be untouched.
func (b *bench) apartadoRun(ctx context.Context) (result, error) {
	if err := os.RemoveAll(b.dataDir); err != nil {
		return result{}, err
	}
	data := "--data=" + b.dataDir
	if _, err := b.apartado(ctx, "user", "add", "bench", "--admin", data, "--password-file="+b.userPWFile); err != nil {
		return result{}, err
	}
	_, port, err := net.SplitHostPort(b.srv.TLSAddr)
	if err != nil {
		return result{}, err
	}
	if _, err := b.apartado(ctx, "account", "add", data, "--user=bench", "--email=alice@example.org",
		"--host=127.0.0.1", "--port="+port, "--security=tls", "--username="+dovecottest.DefaultUser,
		"--password-file="+b.pop3PWFile); err != nil {
		return result{}, err
	}
	syncDisk() // no writeback of earlier runs during this one

	cmd := b.apartadoCmd(ctx, "sync", data, "--user=bench", "--extra-ca-file="+b.certFile)
	cmd.Env = append(cmd.Env, b.cfg.syncEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	res, err := runChild(cmd)
	if err != nil {
		return result{}, fmt.Errorf("apartado sync: %w: %s %s", err, bytes.TrimSpace(stdout.Bytes()), bytes.TrimSpace(stderr.Bytes()))
	}
	res.diskBytes, _ = dirSize(b.dataDir)

	// The sync's own account of what it did.
	m := syncLine.FindStringSubmatch(strings.TrimSpace(stdout.String()))
	if m == nil {
		return result{}, fmt.Errorf("apartado sync printed %q", stdout.String())
	}
	n, _ := strconv.Atoi(m[2])
	bytesNew, _ := strconv.ParseInt(m[3], 10, 64)
	deleted, _ := strconv.Atoi(m[4])
	onServer, _ := strconv.Atoi(m[5])
	if n != b.count() || bytesNew != b.total || deleted != 0 || onServer != b.count() {
		return result{}, fmt.Errorf("apartado sync: %d new (%d bytes), %d deleted, %d on the server; want %d (%d bytes), 0, %d",
			n, bytesNew, deleted, onServer, b.count(), b.total, b.count())
	}
	if err := b.checkExport(ctx); err != nil {
		return result{}, err
	}
	if err := b.checkServer(); err != nil {
		return result{}, fmt.Errorf("keep a copy: %w", err)
	}
	if err := os.RemoveAll(b.dataDir); err != nil {
		return result{}, err
	}
	return res, nil
}

// checkExport exports the database as a Maildir with apartado export and
// checks that it holds exactly the mailbox's messages, byte for byte.
func (b *bench) checkExport(ctx context.Context) error {
	if err := os.RemoveAll(b.exportDir); err != nil {
		return err
	}
	defer os.RemoveAll(b.exportDir)
	out, err := b.apartado(ctx, "export", "--data="+b.dataDir, "--user=bench", "--format=maildir", "--out="+b.exportDir)
	if err != nil {
		return err
	}
	want := fmt.Sprintf("exported %d messages (%d bytes)", b.count(), b.total)
	if !strings.HasPrefix(out, want) {
		return fmt.Errorf("apartado export printed %q, want %q…", strings.TrimSpace(out), want)
	}
	if err := b.sameMessages(filepath.Join(b.exportDir, "cur"), filepath.Join(b.exportDir, "new")); err != nil {
		return fmt.Errorf("the exported database: %w", err)
	}
	return nil
}

// checkServer checks that Dovecot's Maildir still holds every message.
func (b *bench) checkServer() error {
	md := b.srv.Maildir(dovecottest.DefaultUser)
	// Dovecot is idle after the sync's QUIT; new/ is read before cur/ in
	// case it still moves a file.
	return b.sameMessages(filepath.Join(md, "new"), filepath.Join(md, "cur"))
}

// sameMessages checks that the files in dirs are the mailbox's messages:
// the same multiset of SHA-256 sums.
func (b *bench) sameMessages(dirs ...string) error {
	got := map[[sha256.Size]byte]int{}
	seen := map[string]bool{}
	files := 0
	h := sha256.New()
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			base, _, _ := strings.Cut(e.Name(), ":")
			if seen[base] {
				continue
			}
			seen[base] = true
			f, err := os.Open(filepath.Join(dir, e.Name()))
			if err != nil {
				return err
			}
			h.Reset()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			got[[sha256.Size]byte(h.Sum(nil))]++
			files++
		}
	}
	if files != b.count() {
		return fmt.Errorf("%d messages, want %d", files, b.count())
	}
	for sum, n := range b.sums {
		if got[sum] != n {
			return fmt.Errorf("%d copies of a message of the mailbox, want %d (of %d messages, %d differ)", got[sum], n, files, diffCount(b.sums, got))
		}
	}
	return nil
}

func diffCount(want, got map[[sha256.Size]byte]int) int {
	d := 0
	for s, n := range want {
		d += max(n-got[s], 0)
	}
	return d
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}

// ---- mpop ----

func (b *bench) writeMpopConfig() error {
	return benchutil.WriteMpopConfig(b.mpopConf, "bench/app", b.srv, b.certFile, b.mpopMaildir, b.uidlsFile)
}

func (b *bench) mpopRun(ctx context.Context) (result, error) {
	if err := benchutil.ResetMaildir(b.mpopMaildir); err != nil {
		return result{}, err
	}
	if err := os.Remove(b.uidlsFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return result{}, err
	}
	syncDisk()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, b.cfg.mpopBin, "-q", "-C", b.mpopConf, "bench")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = b.work
	res, err := runChild(cmd)
	if err != nil {
		return result{}, fmt.Errorf("mpop: %w: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	// mpop stores messages with LF line ends (it drops the CR of every
	// CRLF) and, with received_header off, adds nothing.
	if err := benchutil.CheckMaildir(b.mpopMaildir, b.count(), b.total-b.crlfs); err != nil {
		return result{}, fmt.Errorf("mpop exited 0 but: %w (output: %q)", err, bytes.TrimSpace(out.Bytes()))
	}
	if err := benchutil.ResetMaildir(b.mpopMaildir); err != nil {
		return result{}, err
	}
	return res, os.Remove(b.uidlsFile)
}

// ---- pop3client, the reference for what Dovecot delivers ----

// pop3Run times one pop3client session as apartado makes it (implicit TLS,
// USER/PASS, UIDL, LIST, pipelined RETR of everything, QUIT) with every
// body thrown away, checking sizes; with verify, every body's SHA-256.
func (b *bench) pop3Run(ctx context.Context, verify bool) (result, error) {
	cpu0 := benchutil.SelfCPU()
	start := time.Now()
	c, err := pop3client.Dial(ctx, b.srv.TLSAddr, &pop3client.Options{Security: pop3client.SecurityTLS,
		ExtraRootCAs: b.roots, Timeout: time.Minute})
	if err != nil {
		return result{}, err
	}
	defer c.Close()
	if cs, ok := c.TLSConnectionState(); ok {
		b.pop3TLS = tlsString(cs)
	}
	if err := c.Login(ctx, dovecottest.DefaultUser, dovecottest.DefaultPassword); err != nil {
		return result{}, err
	}
	uids, err := c.Uidl(ctx)
	if err != nil {
		return result{}, err
	}
	list, err := c.List(ctx)
	if err != nil {
		return result{}, err
	}
	if len(uids) != b.count() || len(list) != b.count() {
		return result{}, fmt.Errorf("UIDL lists %d and LIST %d messages, want %d", len(uids), len(list), b.count())
	}
	ids := make([]int, len(list))
	for i, m := range list {
		if m.Size != b.msgs[i].size {
			return result{}, fmt.Errorf("LIST: message %d is %d octets, want %d", m.ID, m.Size, b.msgs[i].size)
		}
		ids[i] = m.ID
	}
	k := 0
	h := sha256.New()
	err = c.RetrMany(ctx, ids, func(id int, r io.Reader, rerr error) error {
		if rerr != nil {
			return rerr
		}
		w := io.Discard
		if verify {
			h.Reset()
			w = h
		}
		n, err := io.Copy(w, r)
		if err != nil {
			return fmt.Errorf("message %d: %w", id, err)
		}
		if n != b.msgs[k].size || verify && [sha256.Size]byte(h.Sum(nil)) != b.msgs[k].sum {
			return fmt.Errorf("message %d differs from the one put in the mailbox (%d bytes, want %d)", id, n, b.msgs[k].size)
		}
		k++
		return nil
	})
	if err != nil {
		return result{}, err
	}
	if err := c.Quit(ctx); err != nil {
		return result{}, err
	}
	wall := time.Since(start)
	if k != b.count() {
		return result{}, fmt.Errorf("got %d messages, want %d", k, b.count())
	}
	return result{wall: wall, cpu: benchutil.SelfCPU() - cpu0}, nil
}

// ---- the copies ----

// copyRun sends the whole mailbox, concatenated, from a file in the page
// cache (sendfile(2) for the plain copy) over one loopback connection to a
// reader that counts it with a 64 KiB buffer, timing connect (and
// handshake) to EOF.
func (b *bench) copyRun(ctx context.Context, useTLS bool) (result, error) {
	ln := b.tcpLn
	if useTLS {
		ln = b.tlsLn
	}
	served := make(chan error, 1)
	cpu0 := benchutil.SelfCPU()
	start := time.Now()
	go func() { served <- b.serve(ctx, ln, useTLS) }()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	r := io.Reader(conn)
	if useTLS {
		tc := tls.Client(conn, b.clientTLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			return result{}, err
		}
		r = tc
	}
	n, err := readAll(r)
	wall := time.Since(start)
	if err != nil {
		return result{}, err
	}
	if err := <-served; err != nil {
		return result{}, fmt.Errorf("server side: %w", err)
	}
	if n != b.total {
		return result{}, fmt.Errorf("received %d bytes, want %d", n, b.total)
	}
	return result{wall: wall, cpu: benchutil.SelfCPU() - cpu0}, nil
}

// serve accepts one connection on ln and writes the mailbox file to it.
func (b *bench) serve(ctx context.Context, ln net.Listener, useTLS bool) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	f, err := os.Open(b.stream)
	if err != nil {
		return err
	}
	defer f.Close()
	if useTLS {
		tc := tls.Server(c, b.serverTLS)
		// 64 KiB reads; crypto/tls cuts them into 16 KB records.
		if _, err := io.Copy(tc, bufio.NewReaderSize(f, copyChunk)); err != nil {
			return err
		}
		return tc.Close() // close_notify, then the TCP close: the reader sees io.EOF
	}
	_, err = io.Copy(c, f) // *net.TCPConn.ReadFrom: sendfile(2)
	return err
}

func tlsString(cs tls.ConnectionState) string {
	s := tls.VersionName(cs.Version) + " " + tls.CipherSuiteName(cs.CipherSuite)
	if cs.CurveID != 0 {
		s += " " + cs.CurveID.String()
	}
	return s
}
