// Package poller downloads mail from POP3 accounts into the database: it
// schedules syncs (per-account interval with jitter, a few accounts at
// once, never two syncs of one account, backoff after failures) and runs the
// sync itself. A message is deleted on a server only after its raw bytes
// are committed to SQLite, and only as the account's settings ask: what
// to download and delete is decided by a pure planner (plan.go) that the
// sync (sync.go) only carries out. It does not render mail or serve HTTP.
package poller

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/pop3client"
)

// Defaults.
const (
	DefaultConcurrency    = 3
	DefaultTick           = 15 * time.Second
	DefaultMaxMessageSize = 200 << 20
	// MaxAuthFailures consecutive rejected passwords stop an account's
	// polling until the user edits it: providers block addresses that keep
	// failing.
	MaxAuthFailures = 3
	maxBackoff      = 6 * time.Hour
)

// ErrBusy means the account is being synced already.
var ErrBusy = errors.New("a sync of this account is already running")

// Poller runs syncs. Set the exported fields before Run; zero values mean
// the defaults.
type Poller struct {
	DB  *db.DB
	Key *secret.Key
	Log *slog.Logger

	Concurrency    int           // accounts synced at once
	Tick           time.Duration // how often due accounts are looked for
	MaxMessageSize int64         // larger messages are left on the server and reported
	Timeout        time.Duration // POP3 idle timeout (pop3client default when 0)
	ExtraRootCAs   []*x509.Certificate
	Resolver       pop3client.Resolver // nil: the system's
	// MemberPrivateServers lets the accounts of users who are not
	// administrators reach servers on the local network (10/8,
	// 192.168/16…); never this computer or its link, whatever it says. An
	// administrator's accounts may reach any address.
	MemberPrivateServers bool
	Now                  func() time.Time
	// NewMail, if not nil, is told after each sync that stored messages
	// (browser notifications, push). It must not block: the sync's slot is
	// held until it returns.
	NewMail NewMailNotifier
	// SignIns gives the access tokens of accounts that sign in with their
	// provider; nil: one of the poller's own (share the server's, so that
	// one renewal of a grant runs at a time).
	SignIns *app.SignIns

	mu       sync.Mutex
	running  map[int64]bool
	trackers map[int64]*tracker // progress of the syncs running now
	wake     chan struct{}
	once     sync.Once
}

func (p *Poller) signIns() *app.SignIns {
	p.init()
	return p.SignIns
}

func (p *Poller) init() {
	p.once.Do(func() {
		p.running = make(map[int64]bool)
		p.trackers = make(map[int64]*tracker)
		p.wake = make(chan struct{}, 1)
		if p.Log == nil {
			p.Log = slog.New(slog.DiscardHandler)
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		if p.SignIns == nil {
			p.SignIns = app.NewSignIns(p.DB, p.Key)
		}
		if p.Concurrency <= 0 {
			p.Concurrency = DefaultConcurrency
		}
		if p.Tick <= 0 {
			p.Tick = DefaultTick
		}
		if p.MaxMessageSize <= 0 {
			p.MaxMessageSize = DefaultMaxMessageSize
		}
	})
}

// Wake makes Run look for due accounts now (after "check now").
func (p *Poller) Wake() {
	p.init()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run syncs due accounts until ctx ends, then waits for the syncs in
// flight to stop. A sync interrupted by ctx has sent no DELE whose QUIT was
// not confirmed; it is recorded as cancelled and resumes next time.
func (p *Poller) Run(ctx context.Context) {
	p.init()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, p.Concurrency)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.wake:
		}
		ids, err := p.DB.DueAccounts(ctx, p.Now(), MaxAuthFailures)
		if err != nil && ctx.Err() == nil {
			p.Log.Error("poller: listing due accounts", "err", err)
		}
		for _, id := range ids {
			if !p.claim(id) {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				p.release(id)
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				defer p.release(id)
				p.finish(p.sync(ctx, id))
			}()
		}
		timer.Reset(p.Tick)
	}
}

func (p *Poller) claim(id int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[id] {
		return false
	}
	p.running[id] = true
	return true
}

func (p *Poller) release(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, id)
}

// SyncAccount runs one sync of account id now, unless one is running.
func (p *Poller) SyncAccount(ctx context.Context, id int64) (Result, error) {
	p.init()
	if !p.claim(id) {
		return Result{AccountID: id}, ErrBusy
	}
	defer p.release(id)
	res := p.sync(ctx, id)
	p.finish(res)
	return res, nil
}

// NewMailNotifier is told about the mail a sync stored: count messages
// from account accountID, the newest stored last. NewMail must return at
// once, leaving any slow work (network) to run on its own.
type NewMailNotifier interface {
	NewMail(accountID int64, count int)
}

// finish logs a sync's result and tells NewMail about what it stored (a
// failed sync may have stored some before it failed).
func (p *Poller) finish(r Result) {
	p.logResult(r)
	if r.New > 0 && p.NewMail != nil {
		p.NewMail.NewMail(r.AccountID, r.New)
	}
}

func (p *Poller) logResult(r Result) {
	if r.Err != nil {
		p.Log.Warn("sync failed", "account", r.AccountID, "kind", pop3client.KindOf(r.Err), "new", r.New, "err", r.Err)
		return
	}
	p.Log.Info("sync done", "account", r.AccountID, "new", r.New, "bytes", r.Bytes, "deleted", r.Deleted,
		"on_server", r.ServerCount, "duration", r.Duration.Round(time.Millisecond))
}

// nextPoll is when an account is polled again: its interval with ±10%
// jitter so accounts spread out; after failures, doubling per failure up to
// 6 hours (never sooner than the interval); never before the server's
// LOGIN-DELAY.
func nextPoll(now time.Time, interval time.Duration, failures int, loginDelay time.Duration) time.Time {
	d := interval
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	if failures > 1 && d > maxBackoff {
		d = max(maxBackoff, interval)
	}
	d += time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	d = max(d, loginDelay)
	return now.Add(d)
}
