// Package sender delivers the outbox: it claims each queued message once
// its undo window is over, submits it through its account's outgoing
// server (smtpclient), and records the outcome: sent (the copy stored in
// Sent, the original flagged), tried again later with backoff, failed, or
// "may have been sent". It never sends a message twice: a message is
// claimed in the database before connecting, and the moment before its
// final "." is recorded durably, so that after a crash a message that may
// have reached the server waits for the user instead of being sent again
// (see decide and db.RecoverOutbox). It does not compose mail or serve
// HTTP.
package sender

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/netguard"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// Defaults.
const (
	DefaultConcurrency = 2
	// DefaultTick is the longest Run waits before looking at the outbox
	// again (a message falling due is noticed sooner: Run sleeps until
	// the next one is due, and Wake ends the wait).
	DefaultTick = 15 * time.Second
	// DefaultLease is how long a claim holds without being renewed; a
	// sender renews it every third of it while sending. A message whose
	// sender was killed is taken back once its lease is over.
	DefaultLease = 30 * time.Second
)

// Sender delivers the outbox. Set the exported fields before Run or
// Deliver; zero values mean the defaults.
type Sender struct {
	DB  *db.DB
	Key *secret.Key
	Log *slog.Logger

	Concurrency  int           // messages sent at once
	Tick         time.Duration // the longest wait between looks at the outbox
	Lease        time.Duration
	Timeout      time.Duration // SMTP idle timeout (smtpclient's default when 0)
	ExtraRootCAs []*x509.Certificate
	Resolver     smtpclient.Resolver // nil: the system's
	// MemberPrivateServers lets the accounts of users who are not
	// administrators reach servers on the local network, as
	// poller.Poller's field of that name; never this computer.
	MemberPrivateServers bool
	Now                  func() time.Time
	// Jitter returns a number in [0, 1) that spreads the retries; default
	// math/rand.
	Jitter func() float64
	// SignIns gives the access tokens of accounts that sign in with their
	// provider; nil: one of the sender's own (share the server's).
	SignIns *app.SignIns

	once  sync.Once
	owner string // this sender's name in the claims it makes
	wake  chan struct{}
}

func (s *Sender) init() {
	s.once.Do(func() {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.owner = hex.EncodeToString(b[:])
		s.wake = make(chan struct{}, 1)
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.SignIns == nil {
			s.SignIns = app.NewSignIns(s.DB, s.Key)
		}
		if s.Jitter == nil {
			s.Jitter = mrand.Float64
		}
		if s.Concurrency <= 0 {
			s.Concurrency = DefaultConcurrency
		}
		if s.Tick <= 0 {
			s.Tick = DefaultTick
		}
		if s.Lease <= 0 {
			s.Lease = DefaultLease
		}
	})
}

// Wake makes Run look at the outbox now (a message was queued).
func (s *Sender) Wake() {
	s.init()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers due messages until ctx ends, then waits for the deliveries
// in flight. A delivery interrupted before its final "." goes back to the
// queue; one interrupted after it is "may have been sent".
func (s *Sender) Run(ctx context.Context) {
	s.init()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, s.Concurrency)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
		if !s.pass(ctx, &wg, slots) {
			return
		}
		timer.Reset(s.untilNext(ctx))
	}
}

// pass takes back what killed senders left, then claims every due message
// as a slot frees up and delivers it in a goroutine of wg. It reports
// false when ctx ended.
func (s *Sender) pass(ctx context.Context, wg *sync.WaitGroup, slots chan struct{}) bool {
	s.recover(ctx)
	ids, err := s.DB.DueOutbox(ctx, s.Now(), 100)
	if err != nil && ctx.Err() == nil {
		s.Log.Error("sender: listing due messages", "err", err)
	}
	for _, id := range ids {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
		m, ok, err := s.DB.ClaimOutbox(ctx, id, s.owner, s.Now(), s.Now().Add(s.Lease))
		if err != nil || !ok {
			<-slots
			if err != nil && ctx.Err() == nil {
				s.Log.Error("sender: claiming a message", "outbox", id, "err", err)
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			_, _ = s.deliver(ctx, m)
		}()
	}
	return ctx.Err() == nil
}

// untilNext is how long to wait before the next look: until the next
// message falls due, at most Tick.
func (s *Sender) untilNext(ctx context.Context) time.Duration {
	at, ok, err := s.DB.NextOutboxDue(ctx)
	if err != nil || !ok {
		return s.Tick
	}
	return min(max(at.Sub(s.Now()), 50*time.Millisecond), s.Tick)
}

// recover takes back the messages of senders whose lease ran out.
func (s *Sender) recover(ctx context.Context) {
	q, ms, err := s.DB.RecoverOutbox(ctx, s.Now())
	switch {
	case err != nil && ctx.Err() == nil:
		s.Log.Error("sender: recovering messages", "err", err)
	case ms > 0:
		s.Log.Warn("sender: messages interrupted after their final \".\" may have been sent; their owners decide",
			"maybe_sent", ms, "queued_again", q)
	case q > 0:
		s.Log.Info("sender: interrupted messages queued again", "count", q)
	}
}

// ErrNotClaimed means Deliver found the message not queued and due: it
// is waiting, being sent by another sender, or done.
var ErrNotClaimed = errors.New("the message is not queued and due")

// Deliver sends the outbox message id now, if it is queued and due, and
// returns the outcome: the state it is left in, and the attempt's error
// (nil when it was sent). ErrNotClaimed when it is not queued and due.
func (s *Sender) Deliver(ctx context.Context, id int64) (db.OutboxState, error) {
	s.init()
	m, ok, err := s.DB.ClaimOutbox(ctx, id, s.owner, s.Now(), s.Now().Add(s.Lease))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrNotClaimed
	}
	return s.deliver(ctx, m)
}

// deliver sends a claimed message and records the outcome.
func (s *Sender) deliver(ctx context.Context, m db.OutboxMessage) (db.OutboxState, error) {
	stopLease := s.keepLease(ctx, m.ID)
	res, hookErr, err := s.submit(ctx, m)
	stopLease()
	o := decide(err, hookErr, m, s.Now(), s.Jitter())
	// The outcome is recorded even when ctx ended with a shutdown.
	rec := context.WithoutCancel(ctx)
	var recErr error
	switch o.state {
	case db.OutboxSent:
		recErr = s.DB.CompleteOutbox(rec, m.ID, s.owner, app.SentCopy(m, m.Raw, s.Now()), res.Reply)
	case db.OutboxQueued:
		recErr = s.DB.RequeueOutbox(rec, m.ID, s.owner, o.next, o.err)
	case db.OutboxFailed, db.OutboxMaybeSent:
		recErr = s.DB.StopOutbox(rec, m.ID, s.owner, o.state, o.err)
	case "":
		// Lost the claim before the final ".": another sender has it.
	}
	log := s.Log.With("outbox", m.ID, "account", m.AccountID, "attempt", m.Attempts, "state", o.state)
	switch {
	case recErr != nil:
		// Left "sending": recovery decides by the "." mark, so a message
		// the server took is never sent again.
		log.Error("sender: recording the outcome", "err", recErr, "smtp_err", err)
		return db.OutboxSending, errors.Join(err, recErr)
	case err != nil:
		log.Warn("sender: not sent", "kind", smtpclient.KindOf(err), "next", o.next, "err", err)
	default:
		log.Info("sender: sent", "reply", res.Reply)
	}
	return o.state, err
}

// keepLease renews the claim on message id until the returned stop is
// called.
func (s *Sender) keepLease(ctx context.Context, id int64) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			if err := s.DB.ExtendOutboxLease(context.WithoutCancel(ctx), id, s.owner, s.Now().Add(s.Lease)); err != nil {
				s.Log.Warn("sender: renewing a claim", "outbox", id, "err", err)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// submit opens the account's outgoing server and sends m. hookErr is the
// error that kept the final "." from being written (the claim was lost or
// could not be marked), if any. What the server offers in its reply to
// EHLO is kept for the account, whatever becomes of the message: the
// outbox checks the next messages against it.
func (s *Sender) submit(ctx context.Context, m db.OutboxMessage) (res smtpclient.Result, hookErr, err error) {
	opts, addr, err := s.options(ctx, m)
	if err != nil {
		return res, nil, err
	}
	var offered *smtpclient.Capabilities
	opts.Offered = func(c smtpclient.Capabilities) { offered = &c }
	defer func() {
		if offered == nil {
			return
		}
		rerr := s.DB.RecordSMTPOffers(context.WithoutCancel(ctx), m.AccountID, opts.server, app.OffersOf(*offered), s.Now())
		if rerr != nil {
			s.Log.Warn("sender: keeping what the outgoing server offers", "account", m.AccountID, "err", rerr)
		}
	}()
	if !opts.admin {
		ctx = netguard.Restrict(ctx, netguard.Policy{AllowPrivate: s.MemberPrivateServers})
	}
	opts.BeforeDot = func() error {
		// Durable before the ".": after a crash from here on, the message
		// may have been sent and is never sent again without asking.
		hookErr = s.DB.MarkOutboxDot(context.WithoutCancel(ctx), m.ID, s.owner, s.Now())
		return hookErr
	}
	res, err = smtpclient.Send(ctx, addr, &opts.Options, m.From, m.Rcpts, bytes.NewReader(m.Raw))
	if err != nil && opts.grant != 0 && hookErr == nil && smtpclient.KindOf(err) == smtpclient.KindAuthFailed {
		// An access token refused before its time: renewed once and sent
		// again. Nothing was sent: the refusal came before MAIL FROM.
		if opts.Token, err = s.SignIns.Token(ctx, m.UserID, opts.grant, true); err != nil {
			return res, nil, &errSetup{err}
		}
		res, err = smtpclient.Send(ctx, addr, &opts.Options, m.From, m.Rcpts, bytes.NewReader(m.Raw))
	}
	return res, hookErr, err
}

// sendOptions are smtpclient's options for an account, and whether its
// owner may reach any address (an administrator).
type sendOptions struct {
	smtpclient.Options
	admin  bool        // the account's owner is an administrator: any address may be reached
	server db.Outgoing // the account's outgoing server
	grant  int64       // the sign-in whose access token is Token, or 0
}

// errSetup marks a failure to prepare a submission (the account, its
// password): nothing reached the network.
type errSetup struct{ err error }

func (e *errSetup) Error() string { return "preparing to send: " + e.err.Error() }
func (e *errSetup) Unwrap() error { return e.err }

func (s *Sender) options(ctx context.Context, m db.OutboxMessage) (sendOptions, string, error) {
	acc, err := s.DB.AccountForPoller(ctx, m.AccountID)
	if err != nil {
		return sendOptions{}, "", &errSetup{err}
	}
	if acc.UserID != m.UserID || !acc.Outgoing.Configured() {
		return sendOptions{}, "", &errSetup{errNoServer}
	}
	sec, err := pop3client.ParseSecurity(acc.Outgoing.Security)
	if err != nil {
		return sendOptions{}, "", &errSetup{err}
	}
	o := sendOptions{Options: smtpclient.Options{Security: sec, ExtraRootCAs: s.ExtraRootCAs, Timeout: s.Timeout,
		Resolver: s.Resolver, SMTPUTF8: m.SMTPUTF8}, server: acc.Outgoing}
	if acc.Outgoing.TrustedCert != "" {
		o.TrustedFingerprints = []string{acc.Outgoing.TrustedCert}
	}
	if acc.Outgoing.Auth != db.OutgoingAuthNone {
		o.Username = acc.Outgoing.Username
		if o.Username == "" {
			o.Username = acc.Username
		}
		if acc.OAuthGrant != 0 && acc.Outgoing.SamePassword {
			// Signed in with the provider: its access token, for SMTP too.
			o.grant = acc.OAuthGrant
			if o.Token, err = s.SignIns.Token(ctx, acc.UserID, acc.OAuthGrant, false); err != nil {
				return sendOptions{}, "", &errSetup{err}
			}
		} else if o.Password, err = app.NewAccounts(s.DB, s.Key).OutgoingPassword(acc); err != nil {
			return sendOptions{}, "", &errSetup{fmt.Errorf("reading the outgoing password: %w", err)}
		}
	}
	owner, err := s.DB.UserByID(ctx, acc.UserID)
	if err != nil {
		return sendOptions{}, "", &errSetup{err}
	}
	o.admin = owner.IsAdmin()
	if !owner.IsAdmin() {
		o.Dialer = netguard.Dialer(nil)
	}
	return o, net.JoinHostPort(acc.Outgoing.Host, strconv.Itoa(acc.Outgoing.Port)), nil
}

var errNoServer = errors.New("the account has no outgoing server any more")
