package app

import (
	"context"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

func TestCheckDecision(t *testing.T) {
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	later := now.Add(5 * time.Minute)
	for _, tc := range []struct {
		name    string
		a       db.Account
		off     bool
		running bool
		want    CheckOutcome
	}{
		{"never checked", db.Account{NextPoll: later}, false, false, CheckStarted},
		{"checked a minute ago", db.Account{LastAttempt: at(-time.Minute), NextPoll: later}, false, false, CheckStarted},
		{"checked the interval ago", db.Account{LastAttempt: at(-CheckMailInterval), NextPoll: later}, false, false, CheckStarted},
		{"checked 29 seconds ago", db.Account{LastAttempt: at(-29 * time.Second), NextPoll: later}, false, false, CheckRecent},
		{"being checked", db.Account{LastAttempt: at(-time.Hour), NextPoll: later}, false, true, CheckRecent},
		{"asked for already", db.Account{LastAttempt: at(-time.Hour), NextPoll: time.Unix(0, 0)}, false, false, CheckDue},
		{"due by its interval", db.Account{LastAttempt: at(-time.Hour), NextPoll: now}, false, false, CheckDue},
		{"turned off", db.Account{NextPoll: later}, true, false, CheckStopped},
		{"password refused", db.Account{NextPoll: later, AuthFailures: 3}, false, false, CheckStopped},
		{"password refused, being checked", db.Account{NextPoll: later, AuthFailures: 3}, false, true, CheckStopped},
	} {
		tc.a.Enabled = !tc.off
		if got := CheckDecision(tc.a, now, tc.running, 3); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// CheckAll asks for the user's checkable accounts to be polled now, and
// not again within CheckMailInterval; other users' accounts are not touched.
func TestCheckAll(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	key, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	users := NewUsers(d, nil, fastParams)
	ana, err := users.Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := users.Create(ctx, NewUser{Name: "bob", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	s := NewAccounts(d, key)
	one, err := s.Create(ctx, ana.ID, goodAccount())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateAccount(ctx, ana.ID, db.AccountSettings{Name: "off", Email: "off@example.net", Host: "pop.example.net",
		Port: 995, Security: "tls", Username: "off", PasswordSealed: []byte("x"), PollInterval: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	bobs, err := s.Create(ctx, bob.ID, goodAccount())
	if err != nil {
		t.Fatal(err)
	}
	// Both were just checked by the poller: not due for ten minutes.
	for _, id := range []int64{one.ID, bobs.ID} {
		if err := d.SetNextPoll(ctx, id, now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := d.RecordPoll(ctx, id, db.PollResult{Started: now.Add(-time.Minute), NextPoll: now.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	idle := func(int64) bool { return false }
	nextPoll := func(userID, id int64) time.Time {
		t.Helper()
		a, err := d.Account(ctx, userID, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.NextPoll
	}

	res, err := s.CheckAll(ctx, ana.ID, now, idle, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res != (CheckResult{Started: 1, Stopped: 1}) || !res.Wake() {
		t.Fatalf("first press: %+v", res)
	}
	if got := nextPoll(ana.ID, one.ID); got.After(now) {
		t.Errorf("ana's account is next polled at %v, want now", got)
	}
	if got := nextPoll(bob.ID, bobs.ID); !got.After(now) {
		t.Errorf("bob's account was made due by ana's press: %v", got)
	}

	// The poller starts the sync (its next poll set ahead): pressing again
	// asks for nothing more.
	if err := d.SetNextPoll(ctx, one.ID, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	res, err = s.CheckAll(ctx, ana.ID, now, func(id int64) bool { return id == one.ID }, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res != (CheckResult{Recent: 1, Stopped: 1}) || res.Wake() {
		t.Fatalf("while it runs: %+v", res)
	}
	if got := nextPoll(ana.ID, one.ID); !got.After(now) {
		t.Errorf("pressed during a sync: next poll %v, want it left ahead", got)
	}

	// It ends; ten seconds after it started, it is still too soon.
	if err := d.RecordPoll(ctx, one.ID, db.PollResult{Started: now, NextPoll: now.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if res, err = s.CheckAll(ctx, ana.ID, now.Add(10*time.Second), idle, 3); err != nil || res.Started != 0 || res.Recent != 1 {
		t.Fatalf("10 s after: %+v %v", res, err)
	}
	// Thirty seconds after, it may be checked again.
	if res, err = s.CheckAll(ctx, ana.ID, now.Add(CheckMailInterval), idle, 3); err != nil || res.Started != 1 {
		t.Fatalf("30 s after: %+v %v", res, err)
	}
}
