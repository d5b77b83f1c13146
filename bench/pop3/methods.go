package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/pop3client"
)

// result is one timed run of one method.
type result struct {
	wall     time.Duration
	msgs     int
	bytes    int64         // bytes received (or stored, for the Maildir methods)
	cpu      time.Duration // client CPU: this process (Go methods) or mpop
	dovecot  *dovecotCPU   // nil for the TCP copies
	rss      int64         // peak RSS growth of this process, or mpop's max RSS; -1 unknown
	tlsState string        // negotiated TLS version and cipher suite, if any

	// clientIO is the client's read/write system calls: exact for this
	// process, polled (so missing at most the last 20 ms) for mpop.
	clientIO    ioStat
	hasClientIO bool
}

// method is one way of moving the mailbox.
type method struct {
	key, name string
	run       func(ctx context.Context) (result, error)
	noData    bool // moves no message data: its throughput means nothing
}

const (
	keyTCP             = "tcp"
	keyTLS             = "tls"
	keyRaw             = "pop3-raw"
	keyFixed           = "pop3-fixed"
	keyPipelined       = "pop3-pipelined"
	keyOneByOne        = "pop3-nopipe"
	keyGoMaildir       = "pop3-maildir"
	keyBufferedMaildir = "pop3-maildir-bufio"
	keyMpop            = "mpop-maildir"
	keyRawPlain        = "pop3-raw-plain"
	keyPlainPipelined  = "pop3-pipelined-plain"
)

func (b *bench) methods() []method {
	return []method{
		{keyTCP, "TCP copy (Go→Go, plain)", func(ctx context.Context) (result, error) { return b.copyRun(ctx, false) }, false},
		{keyTLS, "TLS copy (Go→Go)", func(ctx context.Context) (result, error) { return b.copyRun(ctx, true) }, false},
		{key: keyRaw, name: "raw POP3 stream (Go TLS, no parsing)", run: func(ctx context.Context) (result, error) {
			return b.rawRun(ctx, false)
		}},
		{key: keyFixed, name: "pop3client session without RETR", run: b.fixedRun, noData: true},
		{keyPipelined, "pop3client, pipelined → discard", func(ctx context.Context) (result, error) {
			return b.pop3Run(ctx, false, true, discard, nil)
		}, false},
		{keyOneByOne, "pop3client, no pipelining → discard", func(ctx context.Context) (result, error) {
			return b.pop3Run(ctx, false, false, discard, nil)
		}, false},
		{keyGoMaildir, "pop3client, pipelined → Maildir (tmpfs)", func(ctx context.Context) (result, error) {
			return b.pop3MaildirRun(ctx, 0)
		}, false},
		{keyBufferedMaildir, "pop3client, pipelined → Maildir via 64 KiB bufio.Writer", func(ctx context.Context) (result, error) {
			return b.pop3MaildirRun(ctx, 64<<10)
		}, false},
		{keyMpop, "mpop → Maildir (tmpfs)", b.mpopRun, false},
		// Diagnostics: without TLS, Dovecot's pop3 process writes to the
		// client's socket itself, with no pop3-login proxy in between.
		{key: keyRawPlain, name: "diag: raw POP3 stream, plain TCP (no TLS)", run: func(ctx context.Context) (result, error) {
			return b.rawRun(ctx, true)
		}},
		{key: keyPlainPipelined, name: "diag: pop3client, pipelined, plain TCP → discard", run: func(ctx context.Context) (result, error) {
			return b.pop3Run(ctx, true, true, discard, nil)
		}},
	}
}

// ---- a. the reference copies ----

// copyRun sends the whole mailbox, concatenated, from memory over one
// loopback connection to a reader that drops it, with a 64 KiB buffer,
// timing connect (and handshake) to EOF.
func (b *bench) copyRun(ctx context.Context, useTLS bool) (result, error) {
	ln := b.tcpLn
	if useTLS {
		ln = b.tlsLn
	}
	served := make(chan error, 1)
	io0, _ := readIO(os.Getpid())
	cpu0 := benchutil.SelfCPU()
	start := time.Now()
	go func() { served <- b.serve(ctx, ln, useTLS) }()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	r := io.Reader(conn)
	var state string
	if useTLS {
		tc := tls.Client(conn, b.clientTLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			return result{}, err
		}
		state = tlsString(tc.ConnectionState())
		r = tc
	}
	// Not io.Copy(io.Discard, ...): io.Discard's ReadFrom would read with
	// its own 8 KiB buffer.
	buf := make([]byte, 64<<10)
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return result{}, fmt.Errorf("after %d bytes: %w", n, err)
		}
	}
	wall := time.Since(start)
	if err := <-served; err != nil {
		return result{}, fmt.Errorf("server side: %w", err)
	}
	cpu := benchutil.SelfCPU() - cpu0
	io1, _ := readIO(os.Getpid())
	if n != b.total {
		return result{}, fmt.Errorf("received %d bytes, want %d", n, b.total)
	}
	return result{wall: wall, msgs: b.n, bytes: n, cpu: cpu, rss: -1, tlsState: state, clientIO: io1.sub(io0), hasClientIO: true}, nil
}

// serve accepts one connection on ln and writes the mailbox to it.
func (b *bench) serve(ctx context.Context, ln net.Listener, useTLS bool) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if useTLS {
		tc := tls.Server(c, b.serverTLS)
		if _, err := tc.Write(b.data); err != nil {
			return err
		}
		return tc.Close() // close_notify, then the TCP close: the reader sees io.EOF
	}
	_, err = c.Write(b.data)
	return err
}

func tlsString(cs tls.ConnectionState) string {
	s := tls.VersionName(cs.Version) + " " + tls.CipherSuiteName(cs.CipherSuite)
	if cs.CurveID != 0 {
		s += " " + cs.CurveID.String()
	}
	return s
}

// ---- b, c, e. pop3client ----

// discard is the raw download: every body io.Copy'd to io.Discard (the
// reader's WriteTo hands the read buffer's bytes straight to it).
func discard(_ int, r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }

// pop3Run times one pop3client session: connect, TLS, USER/PASS, UIDL, LIST,
// RETR of every message through deliver, QUIT. It checks the listing and
// that exactly the mailbox's bytes came through.
func (b *bench) pop3Run(ctx context.Context, plain, pipelining bool, deliver func(i int, r io.Reader) (int64, error), after func() error) (res result, err error) {
	debug.FreeOSMemory()
	rss0, rssOK := resetPeakRSS()
	b.sampler.Start()
	io0, _ := readIO(os.Getpid())
	cpu0 := benchutil.SelfCPU()
	start := time.Now()
	n, total, state, err := b.pop3Session(ctx, plain, pipelining, deliver)
	wall := time.Since(start)
	cpu := benchutil.SelfCPU() - cpu0
	io1, _ := readIO(os.Getpid())
	if err == nil && after != nil {
		err = after()
	}
	dc, serr := b.sampler.Finish(3 * time.Second)
	if err != nil {
		return result{}, err
	}
	if serr != nil {
		return result{}, serr
	}
	res = result{wall: wall, msgs: n, bytes: total, cpu: cpu, dovecot: &dc, rss: -1, tlsState: state,
		clientIO: io1.sub(io0), hasClientIO: true}
	if rssOK {
		if peak, err := peakRSS(); err == nil {
			res.rss = peak - rss0
		}
	}
	return res, nil
}

func (b *bench) pop3Session(ctx context.Context, plain, pipelining bool, deliver func(i int, r io.Reader) (int64, error)) (count int, total int64, state string, err error) {
	addr, security := b.srv.TLSAddr, pop3client.SecurityTLS
	if plain {
		addr, security = b.srv.PlainAddr, pop3client.SecurityNone
	}
	c, err := pop3client.Dial(ctx, addr, &pop3client.Options{
		Security:          security,
		ExtraRootCAs:      b.roots,
		DisablePipelining: !pipelining,
		Timeout:           time.Minute,
	})
	if err != nil {
		return 0, 0, "", err
	}
	quit := false
	defer func() {
		if !quit {
			_ = c.Close()
		}
	}()
	if cs, ok := c.TLSConnectionState(); ok {
		state = tlsString(cs)
	}
	if err := c.Login(ctx, dovecottest.DefaultUser, dovecottest.DefaultPassword); err != nil {
		return 0, 0, state, err
	}
	uids, err := c.Uidl(ctx)
	if err != nil {
		return 0, 0, state, err
	}
	list, err := c.List(ctx)
	if err != nil {
		return 0, 0, state, err
	}
	if len(uids) != b.n || len(list) != b.n {
		return 0, 0, state, fmt.Errorf("UIDL lists %d and LIST %d messages, want %d", len(uids), len(list), b.n)
	}
	ids := make([]int, len(list))
	for i, m := range list {
		if want := b.size(i); m.Size != want {
			return 0, 0, state, fmt.Errorf("LIST: message %d is %d octets, want %d", m.ID, m.Size, want)
		}
		ids[i] = m.ID
	}
	k := 0
	err = c.RetrMany(ctx, ids, func(id int, r io.Reader, rerr error) error {
		if rerr != nil {
			return rerr
		}
		n, err := deliver(k, r)
		if err != nil {
			return fmt.Errorf("message %d: %w", id, err)
		}
		if want := b.size(k); n != want {
			return fmt.Errorf("message %d: got %d bytes, want %d", id, n, want)
		}
		total += n
		k++
		return nil
	})
	if err != nil {
		return k, total, state, err
	}
	b.sampler.Snap() // the session's processes exit after QUIT
	quit = true
	if err := c.Quit(ctx); err != nil {
		return k, total, state, err
	}
	if k != b.n || total != b.total {
		return k, total, state, fmt.Errorf("got %d messages, %d bytes; want %d, %d", k, total, b.n, b.total)
	}
	return k, total, state, nil
}

// verify is the warm-up's deliver: it compares every message with what was
// put in the Maildir, byte for byte.
func (b *bench) verify(i int, r io.Reader) (int64, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, r)
	if err != nil {
		return n, err
	}
	if !bytes.Equal(buf.Bytes(), b.message(i)) {
		return n, fmt.Errorf("message %d differs from the one stored", i+1)
	}
	return n, nil
}

// maildirWriter delivers messages into a Maildir the way mpop does (see
// the README): write the file in tmp/, fsync it (mpop does; on tmpfs it
// costs next to nothing), and move it into new/ (mpop links and unlinks;
// this renames).
type maildirWriter struct {
	dir   string
	fsync bool
	host  string
	seq   atomic.Uint64
	bw    *bufio.Writer // if not nil, coalesces the body reader's writes
}

func (m *maildirWriter) deliver(_ int, r io.Reader) (int64, error) {
	now := time.Now()
	name := fmt.Sprintf("%d.M%06dP%dQ%d.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), m.seq.Add(1), m.host)
	tmp := filepath.Join(m.dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	var n int64
	if m.bw == nil {
		n, err = io.Copy(f, r) // the body reader's WriteTo: no extra copy
	} else {
		m.bw.Reset(f)
		if n, err = io.Copy(m.bw, r); err == nil {
			err = m.bw.Flush()
		}
	}
	if err == nil && m.fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(m.dir, "new", name))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return n, err
}

func (b *bench) pop3MaildirRun(ctx context.Context, bufSize int) (result, error) {
	if err := benchutil.ResetMaildir(b.goMaildir); err != nil {
		return result{}, err
	}
	w := &maildirWriter{dir: b.goMaildir, fsync: b.fsync, host: "bench"}
	if bufSize > 0 {
		w.bw = bufio.NewWriterSize(io.Discard, bufSize)
	}
	res, err := b.pop3Run(ctx, false, true, w.deliver, func() error {
		return benchutil.CheckMaildir(b.goMaildir, b.n, b.total)
	})
	if rerr := benchutil.ResetMaildir(b.goMaildir); err == nil && rerr != nil {
		err = rerr
	}
	return res, err
}

// ---- d. mpop ----

func (b *bench) writeMpopConfig() error {
	return benchutil.WriteMpopConfig(b.mpopConf, "bench/pop3", b.srv, b.certFile, b.mpopMaildir, b.uidlsFile)
}

func (b *bench) mpopRun(ctx context.Context) (result, error) {
	if err := benchutil.ResetMaildir(b.mpopMaildir); err != nil {
		return result{}, err
	}
	if err := os.Remove(b.uidlsFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return result{}, err
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, b.mpopBin, "-q", "-C", b.mpopConf, "bench")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = b.work
	b.sampler.Start()
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		b.sampler.Track(cmd.Process.Pid)
		err = cmd.Wait()
	}
	wall := time.Since(start)
	dc, serr := b.sampler.Finish(3 * time.Second)
	if err != nil {
		return result{}, fmt.Errorf("mpop: %w: %s", err, bytes.TrimSpace(out.Bytes()))
	}
	if serr != nil {
		return result{}, serr
	}
	res := result{wall: wall, dovecot: &dc, rss: -1, tlsState: b.mpopTLS, clientIO: dc.trackedIO, hasClientIO: true}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.cpu = rusageCPU(ru)
	}
	if dc.trackedHWM > 0 {
		res.rss = dc.trackedHWM // not ru.Maxrss: see dovecotCPU.trackedHWM
	}
	// mpop stores messages with LF line ends (it drops the CR of every
	// CRLF) and, with received_header off, adds nothing.
	want := b.total - b.crlfs
	if err := benchutil.CheckMaildir(b.mpopMaildir, b.n, want); err != nil {
		return result{}, fmt.Errorf("mpop exited 0 but: %w (output: %q)", err, bytes.TrimSpace(out.Bytes()))
	}
	res.msgs, res.bytes = b.n, want
	if err := benchutil.ResetMaildir(b.mpopMaildir); err != nil {
		return result{}, err
	}
	return res, os.Remove(b.uidlsFile)
}

// ---- Maildir helpers ----
