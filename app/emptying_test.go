package app

import (
	"context"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

func TestEmptyExpired(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	start := time.Now()
	d.Now = func() time.Time { return start }
	s := NewMessages(d)
	ana, _ := storeMessages(t, d, "ana", 0)
	key, _ := secret.Generate()
	in := goodAccount()
	in.WhenDeleted = string(db.DeleteTrashEmptied)
	acc, err := NewAccounts(d, key).Create(ctx, ana.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	ids := storeRaw(t, d, ana, acc.ID, "Subject: 1\r\n\r\nx\r\n", "Subject: 2\r\n\r\nx\r\n", "Subject: 3\r\n\r\nx\r\n")
	bea, beaIDs := storeMessages(t, d, "bea", 2)
	junk, _ := d.MailboxByRole(ctx, ana.ID, db.MailboxJunk)
	beaJunk, _ := d.MailboxByRole(ctx, bea.ID, db.MailboxJunk)
	// ana: one in the trash, one in junk, one in the inbox. bea keeps
	// everything (0), in both.
	if _, err := d.TrashMessages(ctx, ana.ID, ids[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := d.MoveMessages(ctx, ana.ID, ids[1:2], junk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TrashMessages(ctx, bea.ID, beaIDs[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := d.MoveMessages(ctx, bea.ID, beaIDs[1:], beaJunk.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEmptyAfterDays(ctx, bea.ID, 0); err != nil {
		t.Fatal(err)
	}
	if days, err := s.EmptyAfterDays(ctx, ana.ID); err != nil || days != DefaultEmptyAfterDays {
		t.Fatalf("default: %d, %v", days, err)
	}
	if _, ok := AsInvalid(s.SetEmptyAfterDays(ctx, bea.ID, -1)); !ok {
		t.Fatal("-1 days accepted")
	}

	// Junk's entry time is the database's clock: the job's clock is
	// measured from the real time, with a minute to spare either way.
	after := func(days int) time.Time { return time.Now().AddDate(0, 0, days) }
	if n, err := s.EmptyExpired(ctx, after(29)); err != nil || n != 0 {
		t.Fatalf("after 29 days: %d deleted, %v", n, err)
	}
	if n, err := s.EmptyExpired(ctx, after(31)); err != nil || n != 2 {
		t.Fatalf("after 31 days: %d deleted, %v", n, err)
	}
	for i, want := range []bool{false, false, true} {
		if _, err := d.Message(ctx, ana.ID, ids[i]); (err == nil) != want {
			t.Errorf("ana's message %d: %v", i, err)
		}
	}
	for _, id := range beaIDs {
		if _, err := d.Message(ctx, bea.ID, id); err != nil {
			t.Errorf("bea keeps everything, but %d: %v", id, err)
		}
	}
	// "Delete on the server when the trash is emptied": the server's copies
	// of the two are now due for deletion at the next sync, the third not.
	states, err := d.ServerStates(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.AccountForPoller(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	due := 0
	for _, st := range states {
		if a.ShouldDelete(st, after(31)) {
			due++
		}
	}
	if len(states) != 3 || due != 2 {
		t.Fatalf("%d server rows, %d due for deletion", len(states), due)
	}
}
