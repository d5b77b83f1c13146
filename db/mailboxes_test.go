package db

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// assertCounts checks every mailbox's and account's maintained counts
// against its messages, and that trashed_at is set exactly on messages in
// a Trash.
func assertCounts(t testing.TB, d *DB) {
	t.Helper()
	rows, err := d.sql.Query(`SELECT b.id, coalesce(b.role, ''), b.total, b.unread,
		(SELECT count(*) FROM messages m WHERE m.mailbox_id = b.id),
		(SELECT count(*) FROM messages m WHERE m.mailbox_id = b.id AND m.flags & 1 = 0)
		FROM mailboxes b ORDER BY b.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, total, unread, count, countUnread int64
		var role string
		if err := rows.Scan(&id, &role, &total, &unread, &count, &countUnread); err != nil {
			t.Fatal(err)
		}
		if total != count || unread != countUnread {
			t.Fatalf("mailbox %d (%s) counts %d messages, %d unread; it holds %d, %d unread", id, role, total, unread, count, countUnread)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Each account's counts (outside the trash) likewise.
	var wrong int
	if err := d.sql.QueryRow(`SELECT count(*) FROM accounts a WHERE
		a.stored_count <> (SELECT count(*) FROM messages m WHERE m.account_id = a.id AND m.trashed_at IS NULL) OR
		a.unread_count <> (SELECT count(*) FROM messages m WHERE m.account_id = a.id AND m.trashed_at IS NULL AND m.flags & 1 = 0)`).Scan(&wrong); err != nil || wrong != 0 {
		t.Fatalf("%d accounts whose maintained counts disagree with their messages (%v)", wrong, err)
	}
	// Each user's starred count (outside the trash) likewise.
	if err := d.sql.QueryRow(`SELECT count(*) FROM users u WHERE u.starred_count <>
		(SELECT count(*) FROM messages m WHERE m.user_id = u.id AND m.flags & 2 <> 0 AND m.trashed_at IS NULL)`).Scan(&wrong); err != nil || wrong != 0 {
		t.Fatalf("%d users whose starred count disagrees with their messages (%v)", wrong, err)
	}
	// Each account's share of each mailbox (migrations/0021_scale.sql).
	if err := d.sql.QueryRow(`SELECT count(*) FROM (
		SELECT account_id, mailbox_id, count(*) AS total, sum(flags & 1 = 0) AS unread FROM messages GROUP BY account_id, mailbox_id
		) m FULL JOIN (SELECT * FROM account_mailbox_counts WHERE total > 0) c USING (account_id, mailbox_id)
		WHERE c.total IS NOT m.total OR c.unread IS NOT m.unread`).Scan(&wrong); err != nil || wrong != 0 {
		t.Fatalf("%d accounts' shares of a mailbox disagree with their messages (%v)", wrong, err)
	}
	var bad int
	if err := d.sql.QueryRow(`SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
		WHERE (m.trashed_at IS NOT NULL) <> (b.role IS 'trash') OR (m.junked_at IS NOT NULL) <> (b.role IS 'junk')
		OR b.user_id <> m.user_id`).Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("%d messages whose trashed_at, junked_at or owner disagrees with their mailbox (%v)", bad, err)
	}
}

func storeN(t testing.TB, d *DB, u User, a Account, n int, tag string) []int64 {
	t.Helper()
	var msgs []NewMessage
	for i := range n {
		raw := fmt.Appendf(nil, "Subject: %s %d\r\n\r\nbody\r\n", tag, i)
		sum := sha256.Sum256(raw)
		msgs = append(msgs, NewMessage{AccountID: a.ID, UserID: u.ID, Raw: raw, SHA256: sum[:], ReceivedAt: d.Now(),
			SortAt: d.Now().Add(time.Duration(i) * time.Second), Subject: fmt.Sprintf("%s %d", tag, i)})
	}
	ids, err := d.StoreMessages(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func newTestAccount(t testing.TB, d *DB, u User, name string) Account {
	t.Helper()
	a, err := d.CreateAccount(ctx, u.ID, AccountSettings{Name: name, Email: name + "@example.com", Host: "pop.example.com",
		Port: 995, Security: "tls", Username: name, PasswordSealed: []byte("x"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewUserMailboxes(t *testing.T) {
	d := openTest(t)
	first, err := d.CreateFirstAdmin(ctx, "ana", "h")
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.CreateUser(ctx, "bob", "h", RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []User{first, other} {
		boxes, err := d.Mailboxes(ctx, u.ID)
		if err != nil || len(boxes) != len(SystemMailboxes) {
			t.Fatalf("%s: %v %v", u.Name, boxes, err)
		}
		for i, b := range boxes {
			if b.Role != SystemMailboxes[i].Role || b.UserID != u.ID || b.Total != 0 || b.Unread != 0 {
				t.Fatalf("%s mailbox %d: %+v", u.Name, i, b)
			}
		}
	}
	// A second mailbox of a role cannot exist.
	if _, err := d.sql.Exec(`INSERT INTO mailboxes (user_id, role, name, created_at) VALUES (?, 'trash', 'Bin', 0)`, first.ID); err == nil {
		t.Fatal("a second trash was accepted")
	}
}

func TestUserMailboxes(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	inbox, _ := d.MailboxByRole(ctx, ana.ID, MailboxInbox)
	bobInbox, _ := d.MailboxByRole(ctx, bob.ID, MailboxInbox)

	work, err := d.CreateMailbox(ctx, ana.ID, "Work", 0)
	if err != nil || work.Role != "" || work.ParentID != 0 || work.UserID != ana.ID {
		t.Fatalf("create: %+v %v", work, err)
	}
	receipts, err := d.CreateMailbox(ctx, ana.ID, "Receipts", inbox.ID)
	if err != nil || receipts.ParentID != inbox.ID {
		t.Fatalf("create inside the inbox: %+v %v", receipts, err)
	}
	cases := []struct {
		name   string
		parent int64
		want   error
	}{
		{"work", 0, ErrConflict},  // any case
		{"Inbox", 0, ErrConflict}, // a system mailbox's name
		{"receipts", inbox.ID, ErrConflict},
		{"Old", receipts.ID, ErrMailboxNesting},
		{"Bob's", bobInbox.ID, ErrNotFound},
		{"Nowhere", 9999, ErrNotFound},
	}
	for _, c := range cases {
		if _, err := d.CreateMailbox(ctx, ana.ID, c.name, c.parent); !errors.Is(err, c.want) {
			t.Errorf("create %q in %d: %v, want %v", c.name, c.parent, err, c.want)
		}
	}
	if _, err := d.CreateMailbox(ctx, ana.ID, "  ", 0); err == nil {
		t.Error("a blank name was accepted")
	}
	// The same name elsewhere is fine: inside another parent, or another user's.
	if _, err := d.CreateMailbox(ctx, ana.ID, "Receipts", work.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateMailbox(ctx, bob.ID, "Work", 0); err != nil {
		t.Fatal(err)
	}

	boxes, err := d.Mailboxes(ctx, ana.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Name)
	}
	if got := strings.Join(names, ","); got != "Inbox,Receipts,Drafts,Sent,Archive,Junk,Trash,Work,Receipts" {
		t.Fatalf("order %s", got)
	}

	// Moving into it, then deleting: refused while not empty.
	a := newTestAccount(t, d, ana, "a")
	ids := storeN(t, d, ana, a, 3, "m")
	if _, err := d.MoveMessages(ctx, ana.ID, ids[:2], work.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.MoveMessages(ctx, bob.ID, ids, bobInbox.ID); err != nil {
		t.Fatal(err) // moves none: not bob's messages
	}
	if _, err := d.MoveMessages(ctx, ana.ID, ids, bobInbox.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("moved into bob's inbox: %v", err)
	}
	if got, _ := d.Mailbox(ctx, ana.ID, work.ID); got.Total != 2 || got.Unread != 2 {
		t.Fatalf("work %+v", got)
	}
	page, err := d.ListMessages(ctx, ana.ID, ListQuery{MailboxID: work.ID})
	if err != nil || page.Total != 2 || len(page.Messages) != 2 {
		t.Fatalf("list work: %+v %v", page, err)
	}
	if _, err := d.ListMessages(ctx, bob.ID, ListQuery{MailboxID: work.ID}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob listed ana's mailbox: %v", err)
	}
	for id, want := range map[int64]error{work.ID: ErrMailboxNotEmpty, inbox.ID: ErrSystemMailbox, bobInbox.ID: ErrNotFound} {
		if err := d.DeleteMailbox(ctx, ana.ID, id); !errors.Is(err, want) {
			t.Errorf("delete %d: %v, want %v", id, err, want)
		}
	}
	if n, err := d.MoveMessages(ctx, ana.ID, ids, inbox.ID); err != nil || n != 2 {
		t.Fatalf("move back: %d %v", n, err)
	}
	if err := d.DeleteMailbox(ctx, ana.ID, receipts.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteMailbox(ctx, ana.ID, work.ID); !errors.Is(err, ErrMailboxNotEmpty) {
		t.Fatalf("deleted a mailbox with one inside: %v", err) // its own Receipts
	}
	assertCounts(t, d)
}

func TestFlags(t *testing.T) {
	if s := (FlagSeen | FlagDraft).String(); s != "seen|draft" {
		t.Errorf("String %q", s)
	}
	if s := Flag(0).String(); s != "none" {
		t.Errorf("String %q", s)
	}
	if !(FlagSeen | FlagFlagged).Has(FlagFlagged) || FlagSeen.Has(FlagSeen|FlagFlagged) {
		t.Error("Has")
	}
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	ids := storeN(t, d, ana, newTestAccount(t, d, ana, "a"), 2, "m")
	if n, err := d.SetFlags(ctx, ana.ID, ids, FlagFlagged|FlagAnswered, 0); err != nil || n != 2 {
		t.Fatalf("set: %d %v", n, err)
	}
	if n, err := d.SetFlags(ctx, ana.ID, ids, FlagFlagged, 0); err != nil || n != 0 {
		t.Fatalf("set again changed %d %v", n, err)
	}
	if n, err := d.SetFlags(ctx, ana.ID, ids[:1], FlagSeen|FlagForwarded, FlagAnswered); err != nil || n != 1 {
		t.Fatalf("set and clear: %d %v", n, err)
	}
	if n, err := d.SetFlags(ctx, bob.ID, ids, 0, AllFlags); err != nil || n != 0 {
		t.Fatalf("bob changed ana's flags: %d %v", n, err)
	}
	for _, bad := range [][2]Flag{{FlagSeen, FlagSeen}, {1 << 9, 0}, {0, 1 << 9}} {
		if _, err := d.SetFlags(ctx, ana.ID, ids, bad[0], bad[1]); err == nil {
			t.Errorf("SetFlags(%v, %v) accepted", bad[0], bad[1])
		}
	}
	m0, _ := d.Message(ctx, ana.ID, ids[0])
	m1, _ := d.Message(ctx, ana.ID, ids[1])
	if m0.Flags != FlagSeen|FlagFlagged|FlagForwarded || m1.Flags != FlagFlagged|FlagAnswered {
		t.Fatalf("flags %v, %v", m0.Flags, m1.Flags)
	}
	if err := d.SetSeen(ctx, ana.ID, ids, false); err != nil {
		t.Fatal(err)
	}
	if m0, _ = d.Message(ctx, ana.ID, ids[0]); m0.Flags != FlagFlagged|FlagForwarded {
		t.Fatalf("unread kept %v", m0.Flags)
	}
	assertCounts(t, d)
}

// TestTrashedAtFollowsTheTrash: the schema refuses a message whose
// trashed_at disagrees with its mailbox, or one in another user's mailbox,
// whatever writes it.
func TestTrashedAtFollowsTheTrash(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	ids := storeN(t, d, ana, newTestAccount(t, d, ana, "a"), 1, "m")
	trash, _ := d.MailboxByRole(ctx, ana.ID, MailboxTrash)
	bobInbox, _ := d.MailboxByRole(ctx, bob.ID, MailboxInbox)
	for _, q := range []string{
		fmt.Sprintf(`UPDATE messages SET trashed_at = 5 WHERE id = %d`, ids[0]),
		fmt.Sprintf(`UPDATE messages SET mailbox_id = %d WHERE id = %d`, trash.ID, ids[0]),
		fmt.Sprintf(`UPDATE messages SET mailbox_id = %d WHERE id = %d`, bobInbox.ID, ids[0]),
	} {
		if _, err := d.sql.Exec(q); err == nil {
			t.Errorf("accepted: %s", q)
		}
	}
	if n, err := d.TrashMessages(ctx, ana.ID, ids); err != nil || n != 1 {
		t.Fatalf("trash: %d %v", n, err)
	}
	m, _ := d.Message(ctx, ana.ID, ids[0])
	if m.MailboxID != trash.ID || m.TrashedAt == nil || !m.TrashedAt.Equal(d.Now().Truncate(time.Second)) {
		t.Fatalf("trashed %+v", m)
	}
	// Moving within... there is one trash; moving it there again keeps its time.
	d.Now = func() time.Time { return time.Unix(2000000000, 0) }
	if n, err := d.MoveMessages(ctx, ana.ID, ids, trash.ID); err != nil || n != 0 {
		t.Fatalf("moved into the trash again: %d %v", n, err)
	}
	if again, _ := d.Message(ctx, ana.ID, ids[0]); !again.TrashedAt.Equal(*m.TrashedAt) {
		t.Fatalf("trashed_at moved to %v", again.TrashedAt)
	}
	assertCounts(t, d)
}

// TestMailboxCountsProperty runs random sequences of what can happen to
// messages (storing, moving, trashing, restoring, flag changes, deleting,
// emptying the trash, deleting an account or a mailbox) and checks after
// each step that every mailbox's counts equal a COUNT(*) of its messages.
func TestMailboxCountsProperty(t *testing.T) {
	seeds, steps := 6, 40
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 9))
			d := openTest(t)
			users := []User{}
			for _, name := range []string{"ana", "bob"} {
				u, err := d.CreateUser(ctx, name, "h", RoleMember)
				if err != nil {
					t.Fatal(err)
				}
				users = append(users, u)
			}
			accounts := map[int64][]Account{}
			for _, u := range users {
				for i := range 2 {
					accounts[u.ID] = append(accounts[u.ID], newTestAccount(t, d, u, fmt.Sprintf("%s%d", u.Name, i)))
				}
			}
			// some picks a few of every message id there is (of any user,
			// so that operations on other users' messages are tried too).
			some := func() []int64 {
				var all []int64
				rows, err := d.sql.Query(`SELECT id FROM messages`)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var id int64
					_ = rows.Scan(&id)
					all = append(all, id)
				}
				rows.Close()
				var out []int64
				for _, id := range all {
					if r.IntN(3) == 0 {
						out = append(out, id)
					}
				}
				return out
			}
			for step := range steps {
				u := users[r.IntN(len(users))]
				var op string
				var err error
				switch k := r.IntN(13); k {
				case 0, 1:
					op = "store"
					if as := accounts[u.ID]; len(as) > 0 {
						storeN(t, d, u, as[r.IntN(len(as))], 1+r.IntN(4), fmt.Sprint(step))
					}
				case 2:
					op = "flags"
					_, err = d.SetFlags(ctx, u.ID, some(), Flag(r.IntN(32)), 0)
				case 3:
					op = "unflag"
					_, err = d.SetFlags(ctx, u.ID, some(), 0, Flag(r.IntN(32)))
				case 4:
					op = "trash"
					_, err = d.TrashMessages(ctx, u.ID, some())
				case 5:
					op = "restore"
					_, err = d.RestoreMessages(ctx, u.ID, some())
				case 6:
					op = "move"
					boxes, _ := d.Mailboxes(ctx, u.ID)
					_, err = d.MoveMessages(ctx, u.ID, some(), boxes[r.IntN(len(boxes))].ID)
				case 7:
					op = "delete"
					if r.IntN(3) == 0 {
						_, err = d.EmptyTrash(ctx, u.ID)
					} else {
						_, err = d.DeleteMessages(ctx, u.ID, some())
					}
				case 8:
					op = "mailbox"
					if b, cerr := d.CreateMailbox(ctx, u.ID, fmt.Sprint("box", step), 0); cerr != nil {
						err = cerr
					} else if r.IntN(2) == 0 {
						err = d.DeleteMailbox(ctx, u.ID, b.ID)
					}
				case 10:
					op = "move and put back"
					var states []MessageState
					if states, err = d.MessageStates(ctx, u.ID, some()); err == nil {
						boxes, _ := d.Mailboxes(ctx, u.ID)
						ids := make([]int64, len(states))
						for i, s := range states {
							ids[i] = s.ID
						}
						if _, err = d.MoveMessages(ctx, u.ID, ids, boxes[r.IntN(len(boxes))].ID); err == nil {
							if _, err = d.SetFlags(ctx, u.ID, ids, Flag(r.IntN(32)), 0); err == nil {
								_, err = d.RestoreMessageStates(ctx, u.ID, states, r.IntN(2) == 0, Flag(r.IntN(32)))
							}
						}
					}
				case 11:
					op = "mark mailbox read"
					boxes, _ := d.Mailboxes(ctx, u.ID)
					_, err = d.MarkMailboxRead(ctx, u.ID, boxes[r.IntN(len(boxes))].ID, 0)
				case 12:
					op = "delete mailbox into"
					boxes, _ := d.Mailboxes(ctx, u.ID)
					b := boxes[r.IntN(len(boxes))]
					to := []MailboxRole{MailboxInbox, MailboxTrash}[r.IntN(2)]
					if _, err = d.DeleteMailboxInto(ctx, u.ID, b.ID, to); errors.Is(err, ErrSystemMailbox) == (b.Role != "") {
						err = nil
					}
				case 9:
					op = "delete account"
					if as := accounts[u.ID]; len(as) > 0 && r.IntN(3) == 0 {
						err = d.DeleteAccount(ctx, u.ID, as[0].ID)
						accounts[u.ID] = as[1:]
					}
				}
				if err != nil {
					t.Fatalf("step %d %s: %v", step, op, err)
				}
				assertCounts(t, d)
			}
		})
	}
}

func TestIdentity(t *testing.T) {
	d := openTest(t)
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	a := newTestAccount(t, d, ana, "ana")
	if id := a.Identity(); id != (Identity{Address: "ana@example.com"}) {
		t.Fatalf("new account's identity %+v", id)
	}
	if err := d.SetIdentity(ctx, ana.ID, a.ID, "Ana Ruiz", "-- \nAna"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetIdentity(ctx, bob.ID, a.ID, "Bob", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob set ana's identity: %v", err)
	}
	// Saving the server settings keeps the identity.
	s := a.AccountSettings
	s.Email, s.PasswordSealed = "ana@example.org", nil
	if err := d.UpdateAccount(ctx, ana.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	got, err := d.Account(ctx, ana.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id := got.Identity(); id != (Identity{Name: "Ana Ruiz", Address: "ana@example.org", Signature: "-- \nAna"}) {
		t.Fatalf("identity %+v", id)
	}
}
