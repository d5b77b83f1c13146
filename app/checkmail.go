package app

import (
	"context"
	"fmt"
	"time"

	"github.com/apartado/apartado/db"
)

// CheckMailInterval is the least time between two checks of one account that
// "Check mail" asks for: however often it is pressed (in however many
// tabs), no server is asked more often than that on the person's behalf.
const CheckMailInterval = 30 * time.Second

// CheckOutcome is what "Check mail" does with one account.
type CheckOutcome int

const (
	// CheckStarted: the account is to be checked now.
	CheckStarted CheckOutcome = iota
	// CheckDue: it is due already (a check was asked for, or its time
	// came), so nothing needs changing: the poller only needs waking.
	CheckDue
	// CheckRecent: it is being checked, or was less than CheckMailInterval
	// ago, and is left alone.
	CheckRecent
	// CheckStopped: it is turned off, or stopped after its server refused
	// the password; it waits for the person to edit it.
	CheckStopped
)

// CheckDecision is the rule of "Check mail" for one account at now.
// running says whether a sync of it is under way; maxAuthFailures is the
// poller's limit of refused passwords.
func CheckDecision(a db.Account, now time.Time, running bool, maxAuthFailures int) CheckOutcome {
	switch {
	case !a.Enabled || a.AuthFailures >= maxAuthFailures:
		return CheckStopped
	case running:
		// A sync sets its next poll ahead when it starts: asking for
		// another now would run one more as soon as it ends.
		return CheckRecent
	case a.LastAttempt != nil && now.Sub(*a.LastAttempt) < CheckMailInterval:
		return CheckRecent
	case !a.NextPoll.After(now):
		return CheckDue
	}
	return CheckStarted
}

// CheckResult counts what "Check mail" did with the user's accounts.
type CheckResult struct {
	Started int // asked to be checked now, or due already
	Recent  int // being checked, or checked less than CheckMailInterval ago
	Stopped int // turned off or waiting for a new password
}

// Wake reports whether the poller should be told to look now.
func (r CheckResult) Wake() bool { return r.Started > 0 }

// CheckAll asks for every one of the user's accounts to be checked now,
// each no more than once per CheckMailInterval (CheckDecision). running says
// whether a sync of an account is under way in the poller. The caller
// wakes the poller when the result says so.
func (a *Accounts) CheckAll(ctx context.Context, userID int64, now time.Time, running func(accountID int64) bool,
	maxAuthFailures int) (CheckResult, error) {
	accounts, err := a.db.Accounts(ctx, userID)
	if err != nil {
		return CheckResult{}, fmt.Errorf("check mail: %w", err)
	}
	var res CheckResult
	for _, acc := range accounts {
		switch CheckDecision(acc, now, running(acc.ID), maxAuthFailures) {
		case CheckStarted:
			if err := a.db.PollNow(ctx, userID, acc.ID); err != nil {
				return res, fmt.Errorf("check mail: %w", err)
			}
			res.Started++
		case CheckDue:
			res.Started++
		case CheckRecent:
			res.Recent++
		case CheckStopped:
			res.Stopped++
		}
	}
	return res, nil
}
