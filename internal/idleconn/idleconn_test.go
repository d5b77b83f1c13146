package idleconn

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestIdleTimeout: a read waiting longer than the timeout fails with a
// timeout, while steady traffic over a longer time does not.
func TestIdleTimeout(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := New(a, 200*time.Millisecond)
	go func() {
		for range 5 {
			time.Sleep(50 * time.Millisecond)
			_, _ = b.Write([]byte("x"))
		}
	}()
	buf := make([]byte, 1)
	for range 5 {
		if _, err := c.Read(buf); err != nil {
			t.Fatalf("steady traffic: %v", err)
		}
	}
	if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an idle read: %v, want a deadline error", err)
	}
}

// TestWatchAborts: a context that ends aborts a blocked read with the
// context's error, and every later use fails the same way.
func TestWatchAborts(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := New(a, 0)
	ctx, cancel := context.WithCancel(context.Background())
	stop := c.Watch(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("blocked read: %v", err)
	}
	if !stop() {
		t.Error("stop says the context did not end")
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("later write: %v", err)
	}
	c2 := New(b, 0)
	c2.Abort(ErrAborted)
	if _, err := c2.Read(make([]byte, 1)); !errors.Is(err, ErrAborted) {
		t.Fatalf("after Abort: %v", err)
	}
}
