package db

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

func ruleNames(t *testing.T, d *DB, userID int64) string {
	t.Helper()
	rules, err := d.Rules(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	s := ""
	for _, r := range rules {
		s += r.Name
	}
	return s
}

func TestRulesStored(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	acc := newTestAccount(t, d, ana, "a")
	bobAcc := newTestAccount(t, d, bob, "b")
	box, err := d.CreateMailbox(ctx, ana.ID, "Listas", 0)
	if err != nil {
		t.Fatal(err)
	}
	bobBox, _ := d.CreateMailbox(ctx, bob.ID, "Bob", 0)
	var ids []int64
	for _, name := range []string{"A", "B", "C"} {
		r, err := d.CreateRule(ctx, Rule{UserID: ana.ID, Name: name, AccountID: acc.ID, Subject: "x", Move: true, MailboxID: box.ID}, 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.AccountID != acc.ID || r.MailboxID != box.ID || !r.Move {
			t.Fatalf("created %+v", r)
		}
		ids = append(ids, r.ID)
	}
	if _, err := d.CreateRule(ctx, Rule{UserID: ana.ID, Name: "D", Subject: "x"}, 3); !errors.Is(err, ErrTooManyRules) {
		t.Fatalf("fourth: %v", err)
	}
	// Someone else's account and mailbox are never stored.
	r, err := d.CreateRule(ctx, Rule{UserID: bob.ID, Name: "X", AccountID: acc.ID, Move: true, MailboxID: box.ID}, 3)
	if err != nil || r.AccountID != 0 || r.MailboxID != 0 {
		t.Fatalf("bob's rule naming ana's account and mailbox: %+v, %v", r, err)
	}
	if err := d.UpdateRule(ctx, Rule{ID: r.ID, UserID: bob.ID, Name: "Y", AccountID: bobAcc.ID, Move: true, MailboxID: bobBox.ID}); err != nil {
		t.Fatal(err)
	}
	if r, _ = d.Rule(ctx, bob.ID, r.ID); r.Name != "Y" || r.AccountID != bobAcc.ID || r.MailboxID != bobBox.ID {
		t.Fatalf("updated %+v", r)
	}
	if err := d.UpdateRule(ctx, Rule{ID: ids[0], UserID: bob.ID, Name: "Z"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob updating ana's rule: %v", err)
	}
	if err := d.DeleteRule(ctx, bob.ID, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob deleting ana's rule: %v", err)
	}
	if err := d.MoveRule(ctx, bob.ID, ids[0], false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob moving ana's rule: %v", err)
	}

	for _, step := range []struct {
		id   int64
		up   bool
		want string
	}{
		{ids[0], true, "ABC"}, {ids[2], false, "ABC"}, {ids[0], false, "BAC"}, {ids[2], true, "BCA"}, {ids[2], true, "CBA"},
	} {
		if err := d.MoveRule(ctx, ana.ID, step.id, step.up); err != nil {
			t.Fatal(err)
		}
		if got := ruleNames(t, d, ana.ID); got != step.want {
			t.Fatalf("after moving: %s, want %s", got, step.want)
		}
	}
	if err := d.DeleteRule(ctx, ana.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	if got := ruleNames(t, d, ana.ID); got != "CA" {
		t.Fatalf("after deleting B: %s", got)
	}
	// The mailbox goes: the rules stop moving and say so; the account
	// goes: its rules go with it.
	if err := d.DeleteMailbox(ctx, ana.ID, box.ID); err != nil {
		t.Fatal(err)
	}
	if r, _ := d.Rule(ctx, ana.ID, ids[0]); !r.MailboxGone() {
		t.Fatalf("rule after its mailbox went: %+v", r)
	}
	if err := d.DeleteAccount(ctx, ana.ID, acc.ID); err != nil {
		t.Fatal(err)
	}
	if got := ruleNames(t, d, ana.ID); got != "" {
		t.Fatalf("rules left after their account went: %s", got)
	}
}

func TestStorePlacedByRules(t *testing.T) {
	d := openTest(t)
	d.Now = func() time.Time { return time.Unix(1800000000, 0) }
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	acc := newTestAccount(t, d, ana, "a")
	box, _ := d.CreateMailbox(ctx, ana.ID, "Listas", 0)
	bobBox, _ := d.CreateMailbox(ctx, bob.ID, "Bob", 0)
	inbox, _ := d.MailboxByRole(ctx, ana.ID, MailboxInbox)
	junk, _ := d.MailboxByRole(ctx, ana.ID, MailboxJunk)
	trash, _ := d.MailboxByRole(ctx, ana.ID, MailboxTrash)
	var batch []Downloaded
	for i, to := range []int64{box.ID, bobBox.ID, 99999, junk.ID, trash.ID, 0} {
		raw := []byte{'a' + byte(i)}
		sum := sha256.Sum256(raw)
		batch = append(batch, Downloaded{NewMessage: NewMessage{AccountID: acc.ID, UserID: ana.ID, Raw: raw, SHA256: sum[:],
			ReceivedAt: d.Now(), SortAt: d.Now(), ListID: "l"}, MailboxID: to, Flags: FlagSeen | FlagFlagged})
	}
	ids, _, err := d.StoreDownloaded(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{box.ID, inbox.ID, inbox.ID, junk.ID, trash.ID, inbox.ID} {
		m, err := d.Message(ctx, ana.ID, ids[i])
		if err != nil || m.MailboxID != want || m.Flags != FlagSeen|FlagFlagged {
			t.Errorf("message %d: in %d with %v, want %d (%v)", i, m.MailboxID, m.Flags, want, err)
		}
	}
	assertCounts(t, d)
	var junkedAt int64
	if err := d.sql.QueryRow(`SELECT junked_at FROM messages WHERE id = ?`, ids[3]).Scan(&junkedAt); err != nil || junkedAt != d.Now().Unix() {
		t.Fatalf("junked_at %d, %v", junkedAt, err)
	}
	// Out of Junk and back in: the time follows.
	if _, err := d.MoveMessages(ctx, ana.ID, ids[3:4], inbox.ID); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, d)
	if _, err := d.MoveMessages(ctx, ana.ID, ids[3:4], junk.ID); err != nil {
		t.Fatal(err)
	}
	assertCounts(t, d)
	// Back in Junk by the database's clock (now), before the trashed one
	// (d.Now, in 2027).
	expired, err := d.ExpiredMessages(ctx, ana.ID, d.Now().Add(time.Minute), 10)
	if err != nil || len(expired) != 2 || expired[0] != ids[3] || expired[1] != ids[4] {
		t.Fatalf("expired: %v, %v (want the junked one, then the trashed one)", expired, err)
	}
	if expired, err := d.ExpiredMessages(ctx, ana.ID, d.Now(), 10); err != nil || len(expired) != 1 {
		t.Fatalf("expired before the trash's time: %v, %v", expired, err)
	}
	// Placing a message already in the inbox into Junk, and one into a
	// mailbox not the user's (flags only).
	n, err := d.PlaceMessages(ctx, ana.ID, MailboxInbox, []Placement{{ID: ids[5], MailboxID: junk.ID}, {ID: ids[1], MailboxID: bobBox.ID},
		{ID: ids[2], Add: FlagDraft}})
	if err != nil || n != 2 {
		t.Fatalf("placed %d, %v", n, err)
	}
	assertCounts(t, d)
	if n, _ := d.DeleteMessages(ctx, ana.ID, []int64{ids[0], ids[5]}); n != 1 {
		t.Fatalf("deleted %d of a message in Listas and one in Junk, want the one in Junk", n)
	}
}
