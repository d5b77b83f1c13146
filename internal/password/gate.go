package password

import (
	"context"
	"errors"
	"time"
)

// ErrBusy means a Gate had no room for another hash: as many as it allows
// were being computed and as many more were already waiting.
var ErrBusy = errors.New("password: too many password checks at once")

// Gate bounds how many argon2id hashes run at once. Each one holds
// Params.Memory of memory for its whole run (19 MiB by default), so a
// flood of sign-in attempts in parallel would otherwise grow the process by
// that much per request. A hash past the bound waits, up to a short time
// and only while few others wait; past that it is refused with ErrBusy,
// which the caller answers with "try again" rather than queueing without
// end.
type Gate struct {
	running chan struct{} // a token per hash being computed
	waiting chan struct{} // a token per caller waiting for a place
	maxWait time.Duration
}

// NewGate returns a gate that lets n hashes run at once (at least 1), lets
// up to waiters more wait for a place, each for at most maxWait.
func NewGate(n, waiters int, maxWait time.Duration) *Gate {
	if n < 1 {
		n = 1
	}
	if waiters < 0 {
		waiters = 0
	}
	return &Gate{running: make(chan struct{}, n), waiting: make(chan struct{}, waiters), maxWait: maxWait}
}

// acquire takes a place to run, or returns ErrBusy (or ctx's error).
func (g *Gate) acquire(ctx context.Context) error {
	select {
	case g.running <- struct{}{}:
		return nil
	default:
	}
	select {
	case g.waiting <- struct{}{}:
	default:
		return ErrBusy
	}
	defer func() { <-g.waiting }()
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.running <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gate) release() { <-g.running }

// Hold takes a place as a hash would, for password work done outside Hash
// and Verify (and for tests that need the gate full); release gives it
// back.
func (g *Gate) Hold(ctx context.Context) (release func(), err error) {
	if err := g.acquire(ctx); err != nil {
		return nil, err
	}
	return g.release, nil
}

// Hash is Hash, run when the gate has room.
func (g *Gate) Hash(ctx context.Context, password string, p Params) (string, error) {
	if err := g.acquire(ctx); err != nil {
		return "", err
	}
	defer g.release()
	return Hash(password, p)
}

// Verify is Verify, run when the gate has room. ok is false with any error.
func (g *Gate) Verify(ctx context.Context, hash, password string) (bool, error) {
	if err := g.acquire(ctx); err != nil {
		return false, err
	}
	defer g.release()
	return Verify(hash, password)
}
