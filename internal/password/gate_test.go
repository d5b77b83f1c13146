package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGateBoundsConcurrency fills a gate of two places, sends forty
// verifications at it, and checks that three wait and the other 37 are
// refused at once with ErrBusy; once the places free, the three waiting
// ones run, never more than two at a time.
func TestGateBoundsConcurrency(t *testing.T) {
	hash, err := Hash("right password", fast)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGate(2, 3, time.Minute)
	for range 2 {
		if err := g.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var verified, busy atomic.Int64
	const callers = 40
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := g.Verify(context.Background(), hash, "wrong password")
			switch {
			case errors.Is(err, ErrBusy):
				busy.Add(1)
			case err != nil:
				t.Errorf("Verify: %v", err)
			case ok:
				t.Error("a wrong password verified")
			default:
				if n := len(g.running); n > 2 {
					t.Errorf("%d running", n)
				}
				verified.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for (busy.Load() < callers-3 || len(g.waiting) < 3) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if busy.Load() != callers-3 || len(g.waiting) != 3 || verified.Load() != 0 {
		t.Fatalf("with the gate full: %d busy, %d waiting, %d verified; want 37, 3, 0", busy.Load(), len(g.waiting), verified.Load())
	}
	g.release()
	g.release()
	wg.Wait()
	if verified.Load() != 3 {
		t.Errorf("%d verified once the gate had room, want the 3 that waited", verified.Load())
	}
}

// TestGateWaitsThenRuns: a caller waiting for a place gets it when a hash
// ends, and a waiting caller whose context ends gets the context's error.
func TestGateWaitsThenRuns(t *testing.T) {
	g := NewGate(1, 1, time.Minute)
	if err := g.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := g.Hash(context.Background(), "pw", fast)
		done <- err
	}()
	// The waiter holds the only waiting place: another caller is refused.
	deadline := time.Now().Add(10 * time.Second)
	for len(g.waiting) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if _, err := g.Hash(context.Background(), "pw", fast); !errors.Is(err, ErrBusy) {
		t.Fatalf("third caller: %v, want ErrBusy", err)
	}
	g.release()
	if err := <-done; err != nil {
		t.Fatalf("the waiter: %v", err)
	}

	if err := g.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Verify(ctx, "x", "y"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	g.release()
}

// TestGateTimesOut: a waiter that gets no place in maxWait gets ErrBusy.
func TestGateTimesOut(t *testing.T) {
	g := NewGate(1, 1, 20*time.Millisecond)
	if err := g.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer g.release()
	if _, err := g.Hash(context.Background(), "pw", fast); !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
}
