package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
)

// StoppedArriving says whether an account's mail has stopped arriving in
// a way its owner must hear of on every page (and an administrator who
// asked for it, by mail): three failed checks in a row, or the password
// refused once (which nothing fixes by waiting).
func StoppedArriving(a db.Account) bool {
	return a.Enabled && a.LastErrorKind != "" && (a.ConsecutiveFailures >= 3 || a.AuthFailures >= 1)
}

// Alerts mails the administrators who asked for it when an account of the
// household stops receiving: once per failure, from and to the
// administrator's own account, through the outbox (so it is sent, and
// kept in Sent, like any message of theirs).
type Alerts struct {
	db     *db.DB
	outbox *Outbox
	// PublicURL, when set, is where the mail says the household page is.
	PublicURL string
	Log       *slog.Logger
}

// NewAlerts returns the alerts service; notify wakes the sender when an
// alert was queued.
func NewAlerts(store *db.DB, notify func()) *Alerts {
	o := NewOutbox(store)
	o.UndoWindow, o.Notify = 0, notify
	return &Alerts{db: store, outbox: o, Log: slog.Default()}
}

// Check queues an alert for each account that stopped receiving since the
// last check, for each administrator who asked for alerts, and forgets
// the alerts of accounts that work again. It returns how many it queued.
func (s *Alerts) Check(ctx context.Context) (int, error) {
	if err := s.db.ClearRecoveredAlerts(ctx); err != nil {
		return 0, err
	}
	to, err := s.db.AlertRecipients(ctx)
	if err != nil || len(to) == 0 {
		return 0, err
	}
	accounts, err := s.db.AllAccounts(ctx)
	if err != nil {
		return 0, err
	}
	alerted, err := s.db.AlertedAccounts(ctx)
	if err != nil {
		return 0, err
	}
	users, err := s.db.Users(ctx)
	if err != nil {
		return 0, err
	}
	byID := map[int64]db.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	queued := 0
	for _, a := range accounts {
		if !StoppedArriving(a) || alerted[a.ID] {
			continue
		}
		for _, r := range to {
			admin := byID[r.UserID]
			if _, err := s.outbox.Send(ctx, r.UserID, r.AccountID, s.alert(ctx, admin, r.AccountID, byID[a.UserID], a)); err != nil {
				// Told in the log; the next failure is told again.
				s.Log.Error("queueing an alert about a failing account", "to", admin.Name, "account", a.ID, "err", err)
				continue
			}
			queued++
		}
		if err := s.db.MarkAlerted(ctx, a.ID); err != nil {
			return queued, err
		}
		s.Log.Info("failing account told to the administrators", "account", a.ID, "user", byID[a.UserID].Name)
	}
	return queued, nil
}

// alert is the message telling admin that owner's account a stopped
// receiving, in admin's language, sent from and to their account from.
func (s *Alerts) alert(ctx context.Context, admin db.User, from int64, owner db.User, a db.Account) Draft {
	l := i18n.Match(admin.Locale, "")
	tz := i18n.Zone(admin.TimeZone, time.UTC)
	d := LastFailure(a, s.outbox.Now())
	var b strings.Builder
	fmt.Fprintln(&b, l.T("Mail from %s (%s), the account of %s, is not arriving in Apartado.", a.Name, a.Email, owner.Name))
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, d.Title.Text(l, tz))
	fmt.Fprintln(&b, d.Explanation.Text(l, tz))
	if a.FailingSince != nil {
		fmt.Fprintln(&b, l.T("Failing since: %s.", l.Date(*a.FailingSince, tz)))
	}
	fmt.Fprintln(&b)
	page := "/admin/users"
	if s.PublicURL != "" {
		page = strings.TrimRight(s.PublicURL, "/") + page
	}
	fmt.Fprintln(&b, l.T("Fix it on the household page: %s", page))
	fmt.Fprintln(&b, l.T("You get this message because you asked for it in Apartado's Settings."))
	acc, err := s.db.Account(ctx, admin.ID, from)
	var self []compose.Address
	if err == nil {
		self = []compose.Address{{Name: acc.DisplayName, Addr: acc.Email}}
	}
	return Draft{Draft: compose.Draft{To: self, Subject: l.T("Mail from %s is not arriving.", a.Name), Text: b.String()}}
}

// ExplainInput is what the diagnosis of an account's failure knows of it:
// its server, and its provider when the address is a known one's.
func ExplainInput(email, host string, port int, security string, interval time.Duration, now time.Time) diagnose.Input {
	sec, _ := pop3client.ParseSecurity(security)
	in := diagnose.Input{Host: host, Port: port, Security: sec, Email: email, Interval: interval, Now: now}
	if p, ok := discover.LookupProvider(email); ok {
		in.Provider = p
	}
	return in
}

// LastFailure explains the failure a stored account's last check
// recorded, as its pages, the failing banner and the alerts say it.
func LastFailure(a db.Account, now time.Time) diagnose.Diagnosis {
	in := ExplainInput(a.Email, a.Host, a.Port, a.Security, a.PollInterval, now)
	in.SignedIn = a.OAuthGrant != 0
	return diagnose.ExplainRecorded(a.LastErrorKind, a.LastErrorStep, a.LastErrorText, in)
}

// Run checks every minute until ctx ends.
func (s *Alerts) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if _, err := s.Check(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("alerts about failing accounts", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
