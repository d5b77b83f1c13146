// Package idleconn bounds a connection by an idle timeout rather than one
// deadline for the whole session: a fresh deadline is set before every Read
// and Write, so a 2 GB download may take an hour but no single read may wait
// longer than the timeout. It also lets a context cancel a blocked read or
// write, permanently: after that the protocol's state is unknown and the
// connection is unusable. pop3client and smtpclient share it; it knows
// nothing of either protocol.
package idleconn

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// ErrAborted is what a connection aborted without a reason of its own
// fails with.
var ErrAborted = errors.New("connection aborted")

// Conn is a net.Conn with an idle timeout and an abort.
type Conn struct {
	net.Conn

	mu      sync.Mutex
	timeout time.Duration // 0: no deadline
	aborted error         // set once; every later Read and Write fails with it
}

// New wraps c with an idle timeout (0: none).
func New(c net.Conn, timeout time.Duration) *Conn {
	return &Conn{Conn: c, timeout: timeout}
}

func (c *Conn) Read(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetReadDeadline); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if err != nil {
		err = c.abortErr(err)
	}
	return n, err
}

func (c *Conn) Write(p []byte) (int, error) {
	if err := c.arm(c.Conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(p)
	if err != nil {
		err = c.abortErr(err)
	}
	return n, err
}

// SetTimeout changes the idle timeout for the reads and writes to come.
func (c *Conn) SetTimeout(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timeout = d
}

func (c *Conn) arm(set func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted != nil {
		return c.aborted
	}
	var t time.Time
	if c.timeout > 0 {
		t = time.Now().Add(c.timeout)
	}
	return set(t)
}

// abortErr prefers the reason for an abort over the timeout it caused.
func (c *Conn) abortErr(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted != nil {
		return c.aborted
	}
	return err
}

// Abort makes every pending and future Read and Write fail with err.
func (c *Conn) Abort(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted == nil {
		c.aborted = err
		_ = c.Conn.SetDeadline(time.Unix(1, 0))
	}
}

// Watch aborts the connection if ctx ends before the returned stop is
// called. stop reports whether the context ended (and so the connection
// is gone).
func (c *Conn) Watch(ctx context.Context) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return false }
	}
	if err := ctx.Err(); err != nil {
		c.Abort(err)
		return func() bool { return true }
	}
	s := context.AfterFunc(ctx, func() { c.Abort(ctx.Err()) })
	return func() bool { return !s() }
}
