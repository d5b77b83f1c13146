package db

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// queryPlan is SQLite's plan for a query, one step a line.
func queryPlan(t *testing.T, d *DB, query string, args ...any) string {
	t.Helper()
	rows, err := d.sql.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "\n")
}

// Every page of every list, the trash's included, is read in the order
// of an index, from the cursor on: no sort of the mailbox, no scan.
func TestListPlansUseIndexes(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "one")
	storeN(t, d, ana, a, 3, "x")
	cur := &Cursor{SortAt: 1_700_000_000, ID: 5}
	for _, role := range []MailboxRole{MailboxInbox, MailboxSent, MailboxTrash, MailboxArchive} {
		box, err := d.MailboxByRole(ctx, ana.ID, role)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []ListQuery{{}, {Before: cur}, {After: cur}, {AccountID: a.ID}, {AccountID: a.ID, Before: cur}, {AccountID: a.ID, After: cur}} {
			q.MailboxID = box.ID
			where, args, _, _, err := d.listWhere(ctx, ana.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			query, args := listSQL(where, args, q, 50)
			plan := queryPlan(t, d, query, args...)
			index := "messages_mailbox_list"
			if q.AccountID != 0 {
				index = "messages_account_list"
			}
			if !strings.Contains(plan, "USING INDEX "+index) || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s %+v: plan\n%s\nwant it read in the order of %s", role, q, plan, index)
			}
		}
	}
	for _, q := range []ListQuery{{Starred: true}, {Starred: true, Before: cur}, {Starred: true, After: cur}} {
		where, args, _, _, err := d.listWhere(ctx, ana.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		query, args := listSQL(where, args, q, 50)
		if plan := queryPlan(t, d, query, args...); !strings.Contains(plan, "USING INDEX messages_starred") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("starred %+v: plan\n%s\nwant it read in the order of messages_starred", q, plan)
		}
	}
	if plan := queryPlan(t, d, accountShareSQL, a.ID, 1); strings.Contains(plan, "messages") {
		t.Errorf("an account's share of a mailbox counts messages:\n%s", plan)
	}
}

// Paging by keyset stays right when messages go between two pages: no
// message shown twice, none skipped, whatever went, the cursor's own row
// included; and rows with the same time are told apart by id.
func TestKeysetPagingAfterDeletions(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "one")
	base := time.Unix(1_700_000_000, 0)
	var batch []NewMessage
	for i := range 40 {
		raw := fmt.Appendf(nil, "Subject: %d\r\n\r\nbody\r\n", i)
		// Ten messages a minute: ties on sort_at everywhere.
		batch = append(batch, NewMessage{AccountID: a.ID, UserID: ana.ID, Raw: raw, SHA256: []byte{byte(i)},
			ReceivedAt: base, SortAt: base.Add(time.Duration(i/10) * time.Minute)})
	}
	if _, err := d.StoreMessages(ctx, batch); err != nil {
		t.Fatal(err)
	}
	ids := func(p MessagePage) []int64 {
		var out []int64
		for _, m := range p.Messages {
			out = append(out, m.ID)
		}
		return out
	}
	first, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 15})
	if err != nil || first.Older == nil {
		t.Fatalf("first page: %v %v", first.Older, err)
	}
	// Expected order: newest first by (sort_at, id).
	all, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	order := ids(all)
	shown := ids(first)
	// Gone: the cursor's row, one just before it, and two on the next page.
	gone := []int64{order[14], order[13], order[15], order[20]}
	if _, err := d.TrashMessages(ctx, ana.ID, gone); err != nil {
		t.Fatal(err)
	}
	next, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 15, Before: first.Older})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, id := range order[15:] {
		if id != order[15] && id != order[20] {
			want = append(want, id)
		}
	}
	if got := ids(next); fmt.Sprint(got) != fmt.Sprint(want[:15]) {
		t.Fatalf("the page after deletions: %v, want %v", got, want[:15])
	}
	// And back: the page before the second one is the first one less what went.
	back, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 15, After: next.Newer})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(ids(back)), fmt.Sprint(shown[:13]); got != want {
		t.Fatalf("back to the first page: %v, want %v", got, want)
	}
	if next.Total != 36 {
		t.Errorf("total %d, want 36", next.Total)
	}
	acc, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 15, AccountID: a.ID})
	if err != nil || acc.Total != 36 {
		t.Errorf("the account's view: total %d (%v), want 36", acc.Total, err)
	}
}

// The settings page's counts for an account that deletes nothing, or only
// what is deleted here, read only the rows that count, and agree with the
// poller's own rule (the scan) whatever the server rows say.
func TestRetentionCountsIndexed(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, ana.ID, "one")
	b := newAccount(t, d, ana.ID, "two") // rows that must not count for a
	r := rand.New(rand.NewPCG(7, 7))
	var keys []string
	for i := range 200 {
		acc := a
		if i%5 == 0 {
			acc = b
		}
		raw := fmt.Appendf(nil, "Subject: %d\r\n\r\nbody\r\n", i)
		uidl := fmt.Sprintf("u%d", i)
		if _, _, err := d.StoreDownloaded(ctx, []Downloaded{{NewMessage: NewMessage{AccountID: acc.ID, UserID: ana.ID, UIDL: uidl,
			ServerSize: int64(len(raw)), Raw: raw, SHA256: []byte{byte(i), byte(i >> 8)}, ReceivedAt: d.Now(), SortAt: d.Now()},
			SizeOK: r.IntN(8) != 0}}); err != nil {
			t.Fatal(err)
		}
		if acc.ID == a.ID && r.IntN(6) != 0 {
			keys = append(keys, uidl) // listed at the last session
		}
	}
	if err := d.MarkListed(ctx, a.ID, keys, time.Unix(1_700_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	// Some messages in the trash, some deleted for good.
	page, err := d.ListMessages(ctx, ana.ID, ListQuery{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var trash, del []int64
	for _, m := range page.Messages {
		switch r.IntN(5) {
		case 0:
			trash = append(trash, m.ID)
		case 1:
			trash, del = append(trash, m.ID), append(del, m.ID)
		}
	}
	if _, err := d.TrashMessages(ctx, ana.ID, trash); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteMessages(ctx, ana.ID, del); err != nil {
		t.Fatal(err)
	}
	// A server row that goes (deleted on the server) leaves the count.
	if err := d.ForgetServerMessages(ctx, a.ID, keys[:3]); err != nil {
		t.Fatal(err)
	}
	for _, when := range []DeleteWhenDeleted{DeleteNever, DeleteTrashEmptied, DeleteImmediately} {
		acc, err := d.Account(ctx, ana.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		acc.DeleteWhenDeleted = when
		got, err := d.RetentionCounts(ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		want, err := d.retentionCountsScan(ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: counts %+v, the poller's rule says %+v", when, got, want)
		}
		if when == DeleteImmediately && (want.DueNow == 0 || want.Kept == 0 || want.Listed != int64(len(keys)-3)) {
			t.Errorf("the test's rows do not exercise the counts: %+v", want)
		}
	}
	for query, want := range map[string][]string{
		keptSQL:    {"server_messages_size_mismatch"},
		goneSQL:    {"server_messages_deleted_here"},
		trashedSQL: {"messages_user_trash", "server_messages_message"},
	} {
		plan := queryPlan(t, d, query, a.ID, a.ID, ana.ID, a.ID)
		for _, index := range want {
			if !strings.Contains(plan, index) {
				t.Errorf("%s\nplan:\n%s\nwant it to use %s", query, plan, index)
			}
		}
	}
}

// Every pooled connection has the page cache sized for a large mailbox.
func TestCacheSize(t *testing.T) {
	d := openTest(t)
	conns := make([]interface{ Close() error }, 0, 3)
	for range 3 {
		c, err := d.sql.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var size int
		if err := c.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&size); err != nil {
			t.Fatal(err)
		}
		if size != -cacheKiB {
			t.Errorf("cache_size %d, want %d", size, -cacheKiB)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// TestSelectionPlansUseIDs: an action on selected messages looks each one
// up by its id, whatever else its statement says: not the user's whole
// mailbox along an index on user_id.
func TestSelectionPlansUseIDs(t *testing.T) {
	d := openTest(t)
	ids := []any{int64(1), int64(2), int64(3)}
	for _, c := range []struct {
		name, query string
		args        []any
	}{
		{"count owned", countOwnedSQL(3), append(ids, int64(1))},
		{"move", updateByIDSQL(moveSet("?"), 3, `mailbox_id <> ?`),
			append(append([]any{int64(7), int64(7), int64(100)}, ids...), int64(1), int64(7))},
		{"move to the trash", updateByIDSQL(moveSet("?"), 3, `trashed_at IS NULL AND mailbox_id <> ?`),
			append(append([]any{int64(7), int64(7), int64(100)}, ids...), int64(1), int64(7))},
		{"flags", updateByIDSQL(`flags = (flags | ?) & ~?`, 3, `flags <> ((flags | ?) & ~?)`),
			append(append([]any{int64(1), int64(0)}, ids...), int64(1), int64(1), int64(0))},
	} {
		// Every step on messages: the move's subquery reads mailboxes.
		plan := queryPlan(t, d, c.query, c.args...)
		steps := 0
		for _, step := range strings.Split(plan, "\n") {
			if strings.Contains(step, " messages ") {
				steps++
				if !strings.HasSuffix(step, "SEARCH messages USING INTEGER PRIMARY KEY (rowid=?)") {
					t.Errorf("%s: %s", c.name, plan)
				}
			}
		}
		if steps != 1 {
			t.Errorf("%s: %d steps on messages: %s", c.name, steps, plan)
		}
	}
}
