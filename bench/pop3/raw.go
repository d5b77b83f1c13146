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
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/bench/internal/benchutil"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/pop3client"
)

// wireSize returns how many bytes Dovecot sends for the RETRs of the whole
// mailbox: for every message "+OK <size> octets\r\n", the body with every
// line that starts with "." dot-stuffed, and ".\r\n".
func (b *bench) wireSize() int64 {
	var n int64
	for i := 0; i < b.n; i++ {
		m := b.message(i)
		dots := int64(bytes.Count(m, []byte("\n.")))
		if len(m) > 0 && m[0] == '.' {
			dots++
		}
		n += int64(len("+OK "+strconv.Itoa(len(m))+" octets\r\n")) + int64(len(m)) + dots + 3
	}
	return n
}

// rawRun is the ceiling of what Dovecot can deliver to a client that does
// no work: after the greeting and USER/PASS, every RETR and the QUIT are
// written at once by a second goroutine while this one reads the TLS stream
// into a 64 KiB buffer until the server closes it, parsing nothing. It then
// checks that exactly the expected bytes came, ending in QUIT's +OK.
func (b *bench) rawRun(ctx context.Context, plain bool) (res result, err error) {
	b.sampler.Start()
	io0, _ := readIO(os.Getpid())
	cpu0 := benchutil.SelfCPU()
	start := time.Now()
	total, state, err := b.rawSession(ctx, plain)
	wall := time.Since(start)
	cpu := benchutil.SelfCPU() - cpu0
	io1, _ := readIO(os.Getpid())
	dc, serr := b.sampler.Finish(3 * time.Second)
	if err != nil {
		return result{}, err
	}
	if serr != nil {
		return result{}, serr
	}
	return result{wall: wall, msgs: b.n, bytes: total, cpu: cpu, dovecot: &dc, rss: -1, tlsState: state, clientIO: io1.sub(io0), hasClientIO: true}, nil
}

func (b *bench) rawSession(ctx context.Context, plain bool) (int64, string, error) {
	addr := b.srv.TLSAddr
	if plain {
		addr = b.srv.PlainAddr
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var tc net.Conn = conn
	state := "none"
	if !plain {
		t := tls.Client(conn, b.clientTLS)
		if err := t.HandshakeContext(ctx); err != nil {
			return 0, "", err
		}
		state = tlsString(t.ConnectionState())
		tc = t
	}
	br := bufio.NewReaderSize(tc, 64<<10)
	expectOK := func(what string) error {
		line, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("%s: %q", what, strings.TrimSpace(line))
		}
		return nil
	}
	if err := expectOK("greeting"); err != nil {
		return 0, state, err
	}
	for _, cmd := range []string{"USER " + dovecottest.DefaultUser, "PASS " + dovecottest.DefaultPassword} {
		if _, err := io.WriteString(tc, cmd+"\r\n"); err != nil {
			return 0, state, err
		}
		if err := expectOK(strings.Fields(cmd)[0]); err != nil {
			return 0, state, err
		}
	}
	written := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(tc, 64<<10)
		for i := 1; i <= b.n; i++ {
			w.WriteString("RETR ")
			w.WriteString(strconv.Itoa(i))
			w.WriteString("\r\n")
		}
		w.WriteString("QUIT\r\n")
		written <- w.Flush()
	}()
	buf := make([]byte, 64<<10)
	var total int64
	var tail []byte
	for {
		// Once its buffer is empty, br reads straight into buf.
		n, err := br.Read(buf)
		total += int64(n)
		if n > 0 {
			// Keep the last 256 bytes, in one reused array.
			tail = append(tail, buf[:n]...)
			if len(tail) > 256 {
				tail = append(tail[:0], tail[len(tail)-256:]...)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return total, state, fmt.Errorf("after %d bytes: %w", total, err)
		}
	}
	if err := <-written; err != nil {
		return total, state, fmt.Errorf("writing the commands: %w", err)
	}
	// The QUIT reply is the last line; everything before it must be the
	// RETR replies.
	t := bytes.TrimSuffix(tail, []byte("\r\n"))
	last := tail[bytes.LastIndexByte(t, '\n')+1:]
	if !bytes.HasPrefix(last, []byte("+OK")) {
		return total, state, fmt.Errorf("the stream ends in %q, not in QUIT's +OK", last)
	}
	if want := b.wire + int64(len(last)); total != want {
		return total, state, fmt.Errorf("received %d bytes, want %d", total, want)
	}
	return total - int64(len(last)), state, nil
}

// fixedRun times a pop3client session that moves no message: connect, TLS,
// USER/PASS, UIDL, LIST, QUIT. It is the fixed cost inside every pop3client
// run (and, near enough, inside mpop's).
func (b *bench) fixedRun(ctx context.Context) (result, error) {
	b.sampler.Start()
	io0, _ := readIO(os.Getpid())
	cpu0 := benchutil.SelfCPU()
	start := time.Now()
	err := b.fixedSession(ctx)
	wall := time.Since(start)
	cpu := benchutil.SelfCPU() - cpu0
	io1, _ := readIO(os.Getpid())
	dc, serr := b.sampler.Finish(3 * time.Second)
	if err != nil {
		return result{}, err
	}
	if serr != nil {
		return result{}, serr
	}
	return result{wall: wall, cpu: cpu, dovecot: &dc, rss: -1, clientIO: io1.sub(io0), hasClientIO: true}, nil
}

func (b *bench) fixedSession(ctx context.Context) error {
	c, err := pop3client.Dial(ctx, b.srv.TLSAddr, &pop3client.Options{ExtraRootCAs: b.roots, Timeout: time.Minute})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(ctx, dovecottest.DefaultUser, dovecottest.DefaultPassword); err != nil {
		return err
	}
	uids, err := c.Uidl(ctx)
	if err != nil {
		return err
	}
	list, err := c.List(ctx)
	if err != nil {
		return err
	}
	if len(uids) != b.n || len(list) != b.n {
		return fmt.Errorf("UIDL lists %d and LIST %d messages, want %d", len(uids), len(list), b.n)
	}
	b.sampler.Snap()
	return c.Quit(ctx)
}
