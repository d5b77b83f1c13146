package pop3client

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// deadlineConn sets a fresh deadline before every Read and Write, so that a
// session is bounded by an idle timeout rather than one deadline for the
// whole session: a 2 GB download may take an hour, but no single read may
// wait longer than the timeout. It also lets a context cancel a blocked
// read or write, permanently: after that the protocol state is unknown and
// the connection is unusable.
type deadlineConn struct {
	net.Conn
	timeout time.Duration

	mu      sync.Mutex
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

func (c *deadlineConn) arm(set func(time.Time) error) error {
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

// watch aborts the connection if ctx ends before the returned stop is called.
// stop reports whether the context ended (and so the connection is gone).
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
