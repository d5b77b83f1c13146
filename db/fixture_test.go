package db

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// schema7 is testdata/db/schema7.json: what the database made by the
// schema-7 release holds (see testdata/db/README.md).
type schema7 struct {
	Users []struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Disabled bool   `json:"disabled"`
	} `json:"users"`
	Accounts []struct {
		ID     int64  `json:"id"`
		UserID int64  `json:"user_id"`
		Name   string `json:"name"`
		Email  string `json:"email"`
	} `json:"accounts"`
	Messages []struct {
		ID         int64  `json:"id"`
		UserID     int64  `json:"user_id"`
		AccountID  int64  `json:"account_id"`
		ReceivedAt int64  `json:"received_at"`
		SortAt     int64  `json:"sort_at"`
		Subject    string `json:"subject"`
		Size       int64  `json:"size"`
		SHA256     string `json:"sha256"`
		Seen       bool   `json:"seen"`
		TrashedAt  *int64 `json:"trashed_at"`
	} `json:"messages"`
	ServerMessages []struct {
		AccountID   int64  `json:"account_id"`
		UIDL        string `json:"uidl"`
		MessageID   *int64 `json:"message_id"`
		Size        int64  `json:"size"`
		SizeOK      bool   `json:"size_ok"`
		FirstSeenAt int64  `json:"first_seen_at"`
	} `json:"server_messages"`
	SyncHistory    int `json:"sync_history"`
	TrustedSenders int `json:"trusted_senders"`
	RawParts       int `json:"raw_parts"`
}

// openSchema7 opens a copy of the schema-7 database with today's Open,
// which migrates it, and returns it with its manifest.
func openSchema7(t *testing.T) (*DB, schema7) {
	t.Helper()
	var want schema7
	b, err := os.ReadFile(filepath.Join("..", "testdata", "db", "schema7.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "db", "schema7.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "apartado.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("migrating the schema-7 database: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d, want
}

// TestMigrateSchema7 migrates a database made by the release before
// mailboxes and checks that every message kept its bytes, account, dates
// and read state, landed in Inbox or (when trashed) Trash with its time,
// and that the mailboxes' counts match.
func TestMigrateSchema7(t *testing.T) {
	d, want := openSchema7(t)
	if len(want.Messages) < 10 || want.RawParts == 0 {
		t.Fatalf("manifest too small: %d messages, %d raw parts", len(want.Messages), want.RawParts)
	}

	var n int
	if err := d.sql.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n != len(want.Messages) {
		t.Fatalf("%d messages after migrating, want %d (%v)", n, len(want.Messages), err)
	}
	type counts struct{ total, unread int64 }
	wantCounts := map[int64]map[MailboxRole]counts{}
	for _, u := range want.Users {
		wantCounts[u.ID] = map[MailboxRole]counts{}
	}
	flags := map[bool]Flag{true: FlagSeen}
	for _, w := range want.Messages {
		m, err := d.Message(ctx, w.UserID, w.ID)
		if err != nil {
			t.Fatalf("message %d: %v", w.ID, err)
		}
		role := MailboxInbox
		if w.TrashedAt != nil {
			role = MailboxTrash
		}
		box, err := d.MailboxByRole(ctx, w.UserID, role)
		if err != nil {
			t.Fatal(err)
		}
		c := wantCounts[w.UserID][role]
		c.total++
		if !w.Seen {
			c.unread++
		}
		wantCounts[w.UserID][role] = c

		if m.AccountID != w.AccountID || m.ReceivedAt.Unix() != w.ReceivedAt || m.SortAt.Unix() != w.SortAt ||
			m.Subject != w.Subject || m.Size != w.Size {
			t.Errorf("message %d: %+v, want %+v", w.ID, m, w)
		}
		if m.Flags != flags[w.Seen] {
			t.Errorf("message %d: flags %v, want seen=%v", w.ID, m.Flags, w.Seen)
		}
		if m.MailboxID != box.ID {
			t.Errorf("message %d in mailbox %d, want %s (%d)", w.ID, m.MailboxID, role, box.ID)
		}
		if (m.TrashedAt == nil) != (w.TrashedAt == nil) || (m.TrashedAt != nil && m.TrashedAt.Unix() != *w.TrashedAt) {
			t.Errorf("message %d trashed at %v, want %v", w.ID, m.TrashedAt, w.TrashedAt)
		}
		raw, err := d.MessageRaw(ctx, w.UserID, w.ID)
		if err != nil {
			t.Fatalf("message %d: %v", w.ID, err)
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != w.SHA256 || int64(len(raw)) != w.Size {
			t.Errorf("message %d: %d bytes differ from the %d stored", w.ID, len(raw), w.Size)
		}
	}

	for _, u := range want.Users {
		boxes, err := d.Mailboxes(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(boxes) != len(SystemMailboxes) {
			t.Fatalf("user %s has %d mailboxes", u.Name, len(boxes))
		}
		for i, b := range boxes {
			if b.Role != SystemMailboxes[i].Role || b.Name != SystemMailboxes[i].Name || b.ParentID != 0 {
				t.Errorf("user %s mailbox %d: %+v", u.Name, i, b)
			}
			if c := wantCounts[u.ID][b.Role]; b.Total != c.total || b.Unread != c.unread {
				t.Errorf("user %s %s: %d messages, %d unread; want %d, %d", u.Name, b.Role, b.Total, b.Unread, c.total, c.unread)
			}
		}
		// The lists show exactly the manifest's messages.
		for _, role := range []MailboxRole{MailboxInbox, MailboxTrash} {
			page, err := d.ListMessages(ctx, u.ID, ListQuery{Mailbox: role, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			var got, wantIDs []int64
			for _, m := range page.Messages {
				got = append(got, m.ID)
			}
			for _, w := range want.Messages {
				if w.UserID == u.ID && (w.TrashedAt != nil) == (role == MailboxTrash) {
					wantIDs = append(wantIDs, w.ID)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, wantIDs) || page.Total != len(wantIDs) {
				t.Errorf("user %s %s lists %v (total %d), want %v", u.Name, role, got, page.Total, wantIDs)
			}
		}
	}

	for _, w := range want.Accounts {
		a, err := d.Account(ctx, w.UserID, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		var total, unread int64
		for _, m := range want.Messages {
			if m.AccountID == w.ID && m.TrashedAt == nil {
				total++
				if !m.Seen {
					unread++
				}
			}
		}
		id := a.Identity()
		if a.Name != w.Name || id.Address != w.Email || id.Name != "" || id.Signature != "" ||
			a.MessageCount != total || a.UnreadCount != unread {
			t.Errorf("account %d: %+v %+v, want %+v with %d messages, %d unread", w.ID, a, id, w, total, unread)
		}
	}

	// Server rows, with their links to messages, as they were.
	rows, err := d.sql.Query(`SELECT account_id, uidl, message_id, size, size_ok, first_seen_at FROM server_messages ORDER BY account_id, uidl`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var accountID, size, first int64
		var uidl string
		var msgID *int64
		var sizeOK bool
		if err := rows.Scan(&accountID, &uidl, &msgID, &size, &sizeOK, &first); err != nil {
			t.Fatal(err)
		}
		if i >= len(want.ServerMessages) {
			t.Fatalf("server row %s of account %d not in the manifest", uidl, accountID)
		}
		w := want.ServerMessages[i]
		if accountID != w.AccountID || uidl != w.UIDL || (msgID == nil) != (w.MessageID == nil) ||
			(msgID != nil && *msgID != *w.MessageID) || size != w.Size || sizeOK != w.SizeOK || first != w.FirstSeenAt {
			t.Errorf("server row %d: account %d %s %v %d %v %d, want %+v", i, accountID, uidl, msgID, size, sizeOK, first, w)
		}
	}
	if err := rows.Err(); err != nil || i != len(want.ServerMessages) {
		t.Fatalf("%d server rows, want %d (%v)", i, len(want.ServerMessages), err)
	}
	for q, n := range map[string]int{`SELECT count(*) FROM sync_history`: want.SyncHistory,
		`SELECT count(*) FROM trusted_senders`: want.TrustedSenders, `SELECT count(*) FROM message_raw_parts`: want.RawParts} {
		var got int
		if err := d.sql.QueryRow(q).Scan(&got); err != nil || got != n {
			t.Errorf("%s: %d, want %d (%v)", q, got, n, err)
		}
	}
	var check string
	if err := d.sql.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %s %v", check, err)
	}
	if err := d.sql.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d foreign keys point nowhere (%v)", n, err)
	}
	assertCounts(t, d)
}

// TestMigratedSchema7InUse goes on using a migrated database as the poller
// and the pages do: new mail lands unread in the inbox, trashing and
// restoring move it with its counts, retention sees the trash, and a new
// user gets mailboxes.
func TestMigratedSchema7InUse(t *testing.T) {
	d, want := openSchema7(t)
	ana, acct := want.Users[0].ID, want.Accounts[0].ID
	inbox, _ := d.MailboxByRole(ctx, ana, MailboxInbox)
	trash, _ := d.MailboxByRole(ctx, ana, MailboxTrash)

	raw := []byte("Subject: after the migration\r\n\r\nhello\r\n")
	sum := sha256.Sum256(raw)
	ids, err := d.StoreMessages(ctx, []NewMessage{{AccountID: acct, UserID: ana, UIDL: "after", ServerSize: int64(len(raw)),
		Raw: raw, SHA256: sum[:], ReceivedAt: time.Unix(1800000000, 0), SortAt: time.Unix(1800000000, 0), Subject: "after the migration"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Message(ctx, ana, ids[0])
	if err != nil || m.MailboxID != inbox.ID || m.Flags != 0 || m.TrashedAt != nil {
		t.Fatalf("new message %+v %v", m, err)
	}
	after, _ := d.MailboxByRole(ctx, ana, MailboxInbox)
	if after.Total != inbox.Total+1 || after.Unread != inbox.Unread+1 {
		t.Fatalf("inbox %+v after storing, was %+v", after, inbox)
	}
	if n, err := d.TrashMessages(ctx, ana, ids); err != nil || n != 1 {
		t.Fatalf("trash: %d %v", n, err)
	}
	st, err := d.ServerStates(ctx, acct)
	if err != nil || !st["after"].Trashed {
		t.Fatalf("retention does not see the trash: %+v %v", st["after"], err)
	}
	if n, err := d.RestoreMessages(ctx, ana, ids); err != nil || n != 1 {
		t.Fatalf("restore: %d %v", n, err)
	}
	if got, _ := d.MailboxByRole(ctx, ana, MailboxTrash); got.Total != trash.Total || got.Unread != trash.Unread {
		t.Fatalf("trash %+v, was %+v", got, trash)
	}
	u, err := d.CreateUser(ctx, "dora", "h", RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	if boxes, err := d.Mailboxes(ctx, u.ID); err != nil || len(boxes) != len(SystemMailboxes) {
		t.Fatalf("new user's mailboxes %v %v", boxes, err)
	}
	assertCounts(t, d)
}
