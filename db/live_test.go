package db

import (
	"strings"
	"testing"
)

// Live counts what is stored into each mailbox and each account's share
// of it, not what is moved there; unread counts follow reading; and the
// state is the user's alone.
func TestLiveState(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	a1 := newAccount(t, d, ana.ID, "one")
	a2 := newAccount(t, d, ana.ID, "two")
	b1 := newAccount(t, d, bob.ID, "bobs")
	inbox, err := d.MailboxByRole(ctx, ana.ID, MailboxInbox)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := d.MailboxByRole(ctx, ana.ID, MailboxArchive)
	if err != nil {
		t.Fatal(err)
	}
	find := func(cs []LiveCount, id int64) LiveCount {
		t.Helper()
		for _, c := range cs {
			if c.ID == id {
				return c
			}
		}
		t.Fatalf("%d not in %+v", id, cs)
		return LiveCount{}
	}

	st, err := d.Live(ctx, ana.ID, a1.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := find(st.Mailboxes, inbox.ID); got.Arrived != 0 || got.Unread != 0 {
		t.Fatalf("empty inbox: %+v", got)
	}
	if st.Share != (LiveCount{ID: inbox.ID}) {
		t.Fatalf("an account with no mail yet: share %+v", st.Share)
	}

	one := storeN(t, d, ana, a1, 3, "one")
	storeN(t, d, ana, a2, 2, "two")
	storeN(t, d, bob, b1, 4, "bob")
	st, err = d.Live(ctx, ana.ID, a1.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := find(st.Mailboxes, inbox.ID); got.Arrived != 5 || got.Unread != 5 {
		t.Errorf("inbox after 5 arrived: %+v", got)
	}
	if st.Share != (LiveCount{ID: inbox.ID, Unread: 3, Arrived: 3}) {
		t.Errorf("account one's share: %+v", st.Share)
	}
	if got := find(st.Accounts, a2.ID); got.Unread != 2 {
		t.Errorf("account two: %+v", got)
	}
	if len(st.Accounts) != 2 || len(st.Mailboxes) != len(SystemMailboxes) {
		t.Errorf("ana sees %d accounts and %d mailboxes: %+v", len(st.Accounts), len(st.Mailboxes), st)
	}

	// Moving and reading are not arrivals; reading lowers the unread counts.
	if _, err := d.MoveMessages(ctx, ana.ID, one[:1], archive.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.SetSeen(ctx, ana.ID, one[1:2], true); err != nil {
		t.Fatal(err)
	}
	st, err = d.Live(ctx, ana.ID, a1.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := find(st.Mailboxes, inbox.ID); got.Arrived != 5 || got.Unread != 3 {
		t.Errorf("inbox after a move and a read: %+v", got)
	}
	if got := find(st.Mailboxes, archive.ID); got.Arrived != 0 || got.Unread != 1 || got.Role != MailboxArchive {
		t.Errorf("archive after a move: %+v", got)
	}
	if st.Share != (LiveCount{ID: inbox.ID, Unread: 1, Arrived: 3}) {
		t.Errorf("account one's share after a move and a read: %+v", st.Share)
	}

	// Another user's account names no share of ana's.
	st, err = d.Live(ctx, ana.ID, b1.ID, inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Share != (LiveCount{ID: inbox.ID}) {
		t.Errorf("bob's account seen from ana's inbox: %+v", st.Share)
	}
	assertCounts(t, d)
}

// Every query of Live reads maintained counts through an index on the
// user (or the account): none reads messages, so its cost is the same at
// 100 messages and at 100,000.
func TestLivePlansReadNoMessages(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "one")
	storeN(t, d, ana, a, 3, "x")
	for _, q := range []struct {
		sql   string
		args  []any
		index string
	}{
		{liveMailboxesSQL, []any{ana.ID}, "USING"},
		{liveAccountsSQL, []any{ana.ID}, "USING"},
		{liveShareSQL, []any{a.ID, 1, ana.ID}, "USING PRIMARY KEY"},
	} {
		plan := queryPlan(t, d, q.sql, q.args...)
		if strings.Contains(plan, "messages") || strings.Contains(plan, "SCAN") || !strings.Contains(plan, q.index) {
			t.Errorf("%s\nplan:\n%s\nwant index lookups, and no messages", q.sql, plan)
		}
	}
}
