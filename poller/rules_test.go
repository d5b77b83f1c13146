package poller

import (
	"context"
	"strconv"
	"testing"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
)

// A rule places a fetched message as it is stored: it never shows in the
// inbox and then jumps. A rule whose mailbox is gone leaves mail in the
// inbox and does not fail the sync.
func TestSyncAppliesRules(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	ctx := context.Background()
	msgs := [][]byte{
		[]byte("From: Boletín <news@example.org>\r\nTo: alice@example.org\r\nList-Id: Noticias <noticias.lists.example.org>\r\nSubject: Número 1\r\nMessage-ID: <n1@example.org>\r\n\r\nHola\r\n"),
		[]byte("From: José <jose@example.com>\r\nTo: alice@example.org\r\nSubject: Cena\r\nMessage-ID: <j1@example.com>\r\n\r\nHola\r\n"),
		[]byte("From: Otro <otro@example.com>\r\nTo: alice@example.org\r\nSubject: Nada\r\nMessage-ID: <o1@example.com>\r\n\r\nHola\r\n"),
	}
	if err := f.srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	a := f.account(t, "secret", false)
	lists, err := f.db.CreateMailbox(ctx, f.user.ID, "Listas", 0)
	if err != nil {
		t.Fatal(err)
	}
	gone, err := f.db.CreateMailbox(ctx, f.user.ID, "Borrada", 0)
	if err != nil {
		t.Fatal(err)
	}
	rules := app.NewRules(f.db)
	for _, in := range []app.RuleInput{
		{Name: "Listas", ListID: "NOTICIAS", MailboxID: lists.ID, MarkRead: true, Stop: true},
		{Name: "José", Sender: "jose", AccountID: a.ID, MailboxID: gone.ID, Star: true},
	} {
		if _, err := rules.Create(ctx, f.user.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.DeleteMailbox(ctx, f.user.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	inbox, err := f.db.MailboxByRole(ctx, f.user.ID, db.MailboxInbox)
	if err != nil {
		t.Fatal(err)
	}
	// Record every message that is ever in the inbox, however briefly.
	for _, q := range []string{
		`CREATE TABLE in_inbox (subject TEXT)`,
		`CREATE TRIGGER in_inbox_insert AFTER INSERT ON messages WHEN NEW.mailbox_id = ` + strconv.FormatInt(inbox.ID, 10) + ` BEGIN
			INSERT INTO in_inbox VALUES (NEW.subject); END`,
		`CREATE TRIGGER in_inbox_update AFTER UPDATE OF mailbox_id ON messages WHEN NEW.mailbox_id = ` + strconv.FormatInt(inbox.ID, 10) + ` BEGIN
			INSERT INTO in_inbox VALUES (NEW.subject); END`,
	} {
		if _, err := f.db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	res, err := f.p.SyncAccount(ctx, a.ID)
	if err != nil || res.Err != nil || res.New != 3 {
		t.Fatalf("sync: %v %v", res, err)
	}
	page, err := f.db.ListMessages(ctx, f.user.ID, db.ListQuery{MailboxID: lists.ID})
	if err != nil || len(page.Messages) != 1 || page.Messages[0].Subject != "Número 1" || !page.Messages[0].Flags.Has(db.FlagSeen) {
		t.Fatalf("Listas: %+v, %v", page.Messages, err)
	}
	page, err = f.db.ListMessages(ctx, f.user.ID, db.ListQuery{})
	if err != nil || len(page.Messages) != 2 {
		t.Fatalf("inbox: %+v, %v", page.Messages, err)
	}
	for _, m := range page.Messages {
		if starred := m.Flags.Has(db.FlagFlagged); starred != (m.Subject == "Cena") {
			t.Errorf("%q starred: %v", m.Subject, starred)
		}
	}
	rows, err := f.db.SQL().QueryContext(ctx, `SELECT subject FROM in_inbox ORDER BY subject`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var seen []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, s)
	}
	if len(seen) != 2 || seen[0] != "Cena" || seen[1] != "Nada" {
		t.Fatalf("in the inbox at some point: %q", seen)
	}
	// The List-Id is stored with the message.
	c, err := f.db.RuleCandidates(ctx, f.user.ID, db.MailboxInbox, 0, 10)
	if err != nil || len(c) != 2 || !c[0].ListIDKnown {
		t.Fatalf("candidates: %+v, %v", c, err)
	}
}
