package sender

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/smtpclient"
)

// decide's table: every outcome that could send twice is excluded by
// construction, and the rest follow the retry rules.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	first := now.Add(-time.Hour)
	m := db.OutboxMessage{Attempts: 3, FirstAttemptAt: &first}
	old := now.Add(-RetryFor)
	expired := db.OutboxMessage{Attempts: 30, FirstAttemptAt: &old}
	smtpErr := func(kind smtpclient.Kind, step smtpclient.Step, code int) error {
		return fmt.Errorf("wrapped: %w", &smtpclient.Error{Kind: kind, Step: step, Code: code, ServerText: "words"})
	}
	for _, tc := range []struct {
		name    string
		err     error
		hookErr error
		m       db.OutboxMessage
		state   db.OutboxState
		next    time.Time
	}{
		{"sent", nil, nil, m, db.OutboxSent, time.Time{}},
		{"lost the claim before the dot", smtpErr(smtpclient.KindCanceled, smtpclient.StepData, 0), fmt.Errorf("x: %w", db.ErrLostClaim), m, "", time.Time{}},
		{"the dot mark failed", smtpErr(smtpclient.KindCanceled, smtpclient.StepData, 0), errors.New("disk full"), m, db.OutboxQueued, now.Add(4 * time.Minute)},
		{"maybe sent", smtpErr(smtpclient.KindMaybeSent, smtpclient.StepDot, 0), nil, m, db.OutboxMaybeSent, time.Time{}},
		{"maybe sent, even after a day", smtpErr(smtpclient.KindMaybeSent, smtpclient.StepDot, 0), nil, expired, db.OutboxMaybeSent, time.Time{}},
		{"shutdown before the dot", smtpErr(smtpclient.KindCanceled, smtpclient.StepRcpt, 0), nil, m, db.OutboxQueued, now},
		{"4xx", smtpErr(smtpclient.KindTempFailure, smtpclient.StepRcpt, 450), nil, m, db.OutboxQueued, now.Add(4 * time.Minute)},
		{"4xx after a day", smtpErr(smtpclient.KindTempFailure, smtpclient.StepRcpt, 450), nil, expired, db.OutboxFailed, time.Time{}},
		{"5xx", smtpErr(smtpclient.KindRecipientUnknown, smtpclient.StepRcpt, 550), nil, m, db.OutboxFailed, time.Time{}},
		{"refused connection", smtpErr(smtpclient.KindConnectionRefused, smtpclient.StepConnect, 0), nil, m, db.OutboxQueued, now.Add(4 * time.Minute)},
		{"certificate", smtpErr(smtpclient.KindUnknownAuthority, smtpclient.StepTLS, 0), nil, m, db.OutboxFailed, time.Time{}},
		{"no server any more", &errSetup{errNoServer}, nil, m, db.OutboxFailed, time.Time{}},
		{"database down", &errSetup{errors.New("busy")}, nil, m, db.OutboxQueued, now.Add(4 * time.Minute)},
		{"next attempt capped at the day", smtpErr(smtpclient.KindTimeout, smtpclient.StepGreeting, 0), nil,
			db.OutboxMessage{Attempts: 20, FirstAttemptAt: ptr(now.Add(-RetryFor + 10*time.Minute))}, db.OutboxQueued, now.Add(10 * time.Minute)},
	} {
		o := decide(tc.err, tc.hookErr, tc.m, now, 0.5)
		if o.state != tc.state || !o.next.Equal(tc.next) {
			t.Errorf("%s: %q at %v, want %q at %v", tc.name, o.state, o.next, tc.state, tc.next)
		}
		if tc.err != nil && tc.state != "" && o.err.Kind == "" {
			t.Errorf("%s: no kind kept", tc.name)
		}
	}
}

func ptr[T any](v T) *T { return &v }
