package sender

import (
	"errors"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/smtpclient"
)

// The retry schedule of temporary failures: FirstRetry after the first
// attempt, doubling up to MaxRetryInterval, each ±10% so that messages
// that failed together do not retry together, for RetryFor from the first
// attempt; then the message has failed.
const (
	FirstRetry       = time.Minute
	MaxRetryInterval = time.Hour
	RetryFor         = 24 * time.Hour
)

// Kinds of failure that are the outbox's own, not smtpclient's, as
// diagnose explains them.
const (
	KindNoServer = diagnose.KindNoOutgoingServer // the account lost its outgoing server
	KindInternal = diagnose.KindInternal         // the database or the password store failed
)

// outcome is what becomes of a message after an attempt: its state ("" when
// the sender lost its claim and must not touch it), when to try again
// (queued) and what went wrong.
type outcome struct {
	state db.OutboxState
	next  time.Time
	err   db.OutboxError
}

// decide is the outbox's state machine for one attempt at m (claimed, so
// m.Attempts counts this attempt and m.FirstAttemptAt is set): err is
// Send's error, hookErr the error of the mark before the final "." if
// that kept the "." from being written. It never returns a state that
// could send twice: a message whose "." may have reached the server is
// sent or maybe_sent, never queued.
func decide(err, hookErr error, m db.OutboxMessage, now time.Time, jitter float64) outcome {
	if err == nil {
		return outcome{state: db.OutboxSent}
	}
	if hookErr != nil {
		if errors.Is(hookErr, db.ErrLostClaim) {
			return outcome{}
		}
		return retry(m, now, jitter, db.OutboxError{Kind: KindInternal, Step: string(smtpclient.StepData), Text: hookErr.Error()})
	}
	var setup *errSetup
	if errors.As(err, &setup) {
		e := db.OutboxError{Kind: KindInternal, Text: setup.err.Error()}
		if errors.Is(err, errNoServer) {
			return outcome{state: db.OutboxFailed, err: db.OutboxError{Kind: KindNoServer}}
		}
		if kind, ok := app.SignInFailure(err); ok {
			se := db.OutboxError{Kind: kind, Text: setup.err.Error()}
			if kind == diagnose.KindSignInUnavailable {
				return retry(m, now, jitter, se)
			}
			// Only signing in again (or the administrator) helps: the
			// message waits, failed, to be sent again from the outbox.
			return outcome{state: db.OutboxFailed, err: se}
		}
		return retry(m, now, jitter, e)
	}
	var se *smtpclient.Error
	if !errors.As(err, &se) {
		return retry(m, now, jitter, db.OutboxError{Kind: KindInternal, Text: err.Error()})
	}
	e := outboxError(se)
	switch {
	case se.Kind == smtpclient.KindMaybeSent:
		return outcome{state: db.OutboxMaybeSent, err: e}
	case se.Kind == smtpclient.KindCanceled:
		// Stopped (a shutdown) before the final ".": next time, at once.
		return outcome{state: db.OutboxQueued, next: now, err: e}
	case se.Temporary() || se.Kind == smtpclient.KindConnectionRefused:
		// A refused connection is a server restarting as often as a
		// wrong port; the outbox shows the diagnosis while it retries.
		return retry(m, now, jitter, e)
	}
	return outcome{state: db.OutboxFailed, err: e}
}

// retry queues m again after its backoff, or fails it once RetryFor has
// passed since its first attempt.
func retry(m db.OutboxMessage, now time.Time, jitter float64, e db.OutboxError) outcome {
	first := now
	if m.FirstAttemptAt != nil {
		first = *m.FirstAttemptAt
	}
	deadline := first.Add(RetryFor)
	if !now.Before(deadline) {
		return outcome{state: db.OutboxFailed, err: e}
	}
	next := now.Add(Backoff(m.Attempts, jitter))
	if next.After(deadline) {
		next = deadline
	}
	return outcome{state: db.OutboxQueued, next: next, err: e}
}

// Backoff is the wait after the attempts-th attempt failed for a
// temporary reason, jitter in [0, 1) spreading it ±10%.
func Backoff(attempts int, jitter float64) time.Duration {
	d := FirstRetry
	for i := 1; i < attempts && d < MaxRetryInterval; i++ {
		d *= 2
	}
	d = min(d, MaxRetryInterval)
	return d + time.Duration((jitter*0.2-0.1)*float64(d))
}

// outboxError keeps what the diagnosis needs of a failure.
func outboxError(se *smtpclient.Error) db.OutboxError {
	text := se.ServerText
	if text == "" || len(se.Refused) > 1 {
		text = se.Error()
	}
	return db.OutboxError{Kind: string(se.Kind), Step: string(se.Step), Code: se.Code, Text: text}
}
