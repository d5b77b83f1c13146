package smtpclient

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// deadlineConn is the TCP connection. It sets a fresh deadline before every
// Read and Write, so that a session is bounded by an idle timeout rather
// than one deadline for the whole session, and lets a context cancel a
// blocked read or write, permanently. go-smtp's own deadlines are set on it
// too, and overridden by these before every read and write.
type deadlineConn struct {
	net.Conn

	mu      sync.Mutex
	timeout time.Duration
	aborted error // set once; every later Read and Write fails with it
}

var errAborted = errors.New("connection aborted")

func (c *deadlineConn) Read(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetReadDeadline); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if err != nil {
		err = c.abortErr(err)
	}
	return n, err
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(p)
	if err != nil {
		err = c.abortErr(err)
	}
	return n, err
}

func (c *deadlineConn) setTimeout(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timeout = d
}

func (c *deadlineConn) arm(set func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted != nil {
		return c.aborted
	}
	return set(time.Now().Add(c.timeout))
}

// abortErr prefers the reason for an abort over the timeout it caused.
func (c *deadlineConn) abortErr(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted != nil {
		return c.aborted
	}
	return err
}

// abort makes every pending and future Read and Write fail with err.
func (c *deadlineConn) abort(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted == nil {
		c.aborted = err
		_ = c.Conn.SetDeadline(time.Unix(1, 0))
	}
}

// watch aborts the connection if ctx ends before the returned stop is
// called. stop reports whether the context ended.
func (c *deadlineConn) watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	if err := ctx.Err(); err != nil {
		c.abort(err)
		return func() bool { return true }
	}
	s := context.AfterFunc(ctx, func() { c.abort(ctx.Err()) })
	return func() bool { return !s() }
}

// wire is the connection as the protocol sees it, above TLS: it writes the
// trace and keeps the facts that decide whether a message may have been
// accepted. It is used by one goroutine at a time.
type wire struct {
	net.Conn
	tr *tracer

	// body is set while the message's bytes are being written: they are
	// counted, not traced. The first read after them ends it.
	body      bool
	bodyBytes int64
	// armed is set just before the final "." is flushed. From then on
	// armedWrites counts the writes that went through and armedErr keeps
	// the first write that failed: the "." reached the server's side only
	// if every write after armed succeeded.
	armed       bool
	armedWrites int
	armedErr    error
}

func (w *wire) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	if w.armed {
		if err != nil && w.armedErr == nil {
			w.armedErr = err
		} else if err == nil {
			w.armedWrites++
		}
	}
	if w.body {
		w.bodyBytes += int64(n)
	} else {
		w.tr.client(p[:n])
	}
	return n, err
}

func (w *wire) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	if w.body && (n > 0 || w.armed) {
		w.body = false
		w.tr.printf("C: <message: %d bytes with dot-stuffing and the final \".\">", w.bodyBytes)
	}
	w.tr.server(p[:n])
	return n, err
}

// replayConn hands go-smtp the bytes this package already read (the
// greeting) before the rest of the connection.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }
