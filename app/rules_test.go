package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/message"
)

func TestRuleSetApply(t *testing.T) {
	news := RuleMessage{AccountID: 1, FromName: "José Álvarez", FromAddr: "jose@Ejemplo.ES", To: "Ana <ana@example.net>",
		Cc: "equipo@example.net", Subject: "Canción del VERANO", ListID: "Noticias <noticias.lists.example.org>"}
	attached := news
	attached.HasAttachments = true
	for _, tc := range []struct {
		name  string
		rules []db.Rule
		msg   RuleMessage
		want  RuleOutcome
	}{
		{"no rules", nil, news, RuleOutcome{}},
		{"sender name, accents and case", []db.Rule{{ID: 1, Sender: "jose alvarez", Star: true}}, news,
			RuleOutcome{Add: db.FlagFlagged, Matched: []int64{1}}},
		{"sender address", []db.Rule{{ID: 1, Sender: "@ejemplo.es", MarkRead: true}}, news,
			RuleOutcome{Add: db.FlagSeen, Matched: []int64{1}}},
		{"sender not there", []db.Rule{{ID: 1, Sender: "maria", Star: true}}, news, RuleOutcome{}},
		{"recipient in To", []db.Rule{{ID: 1, Recipient: "ANA@", Move: true, MailboxID: 7}}, news,
			RuleOutcome{MailboxID: 7, Matched: []int64{1}}},
		{"recipient in Cc", []db.Rule{{ID: 1, Recipient: "equipo", Move: true, MailboxID: 7}}, news,
			RuleOutcome{MailboxID: 7, Matched: []int64{1}}},
		{"recipient is not the sender", []db.Rule{{ID: 1, Recipient: "jose", Star: true}}, news, RuleOutcome{}},
		{"subject accent written, none in mail", []db.Rule{{ID: 1, Subject: "verano", Star: true}},
			RuleMessage{Subject: "Canción del verano"}, RuleOutcome{Add: db.FlagFlagged, Matched: []int64{1}}},
		{"subject without accent finds accented", []db.Rule{{ID: 1, Subject: "cancion", Star: true}}, news,
			RuleOutcome{Add: db.FlagFlagged, Matched: []int64{1}}},
		{"subject with accent finds unaccented", []db.Rule{{ID: 1, Subject: "CANCIÓN", Star: true}},
			RuleMessage{Subject: "cancion nueva"}, RuleOutcome{Add: db.FlagFlagged, Matched: []int64{1}}},
		{"list id", []db.Rule{{ID: 1, ListID: "noticias.lists", Move: true, MailboxID: 9}}, news,
			RuleOutcome{MailboxID: 9, Matched: []int64{1}}},
		{"list id missing", []db.Rule{{ID: 1, ListID: "noticias"}}, RuleMessage{Subject: "noticias"}, RuleOutcome{}},
		{"account", []db.Rule{{ID: 1, AccountID: 1, Star: true}, {ID: 2, AccountID: 2, MarkRead: true}}, news,
			RuleOutcome{Add: db.FlagFlagged, Matched: []int64{1}}},
		{"attachment wanted, none", []db.Rule{{ID: 1, HasAttachment: true, Star: true}}, news, RuleOutcome{}},
		{"attachment wanted, there", []db.Rule{{ID: 1, HasAttachment: true, Star: true}}, attached,
			RuleOutcome{Add: db.FlagFlagged, Matched: []int64{1}}},
		{"every condition must match", []db.Rule{{ID: 1, Sender: "jose", Subject: "invierno", Star: true}}, news, RuleOutcome{}},
		{"all conditions match", []db.Rule{{ID: 1, AccountID: 1, Sender: "jose", Recipient: "ana", Subject: "verano",
			ListID: "noticias", Star: true}}, news, RuleOutcome{Add: db.FlagFlagged, Matched: []int64{1}}},
		{"several in order: first move wins, flags add up", []db.Rule{
			{ID: 1, Sender: "jose", Move: true, MailboxID: 7},
			{ID: 2, Subject: "verano", Move: true, MailboxID: 8, Star: true},
			{ID: 3, ListID: "noticias", MarkRead: true},
		}, news, RuleOutcome{MailboxID: 7, Add: db.FlagFlagged | db.FlagSeen, Matched: []int64{1, 2, 3}}},
		{"stop ends the list", []db.Rule{
			{ID: 1, Sender: "maria", Move: true, MailboxID: 6, Stop: true},
			{ID: 2, Sender: "jose", Star: true, Stop: true},
			{ID: 3, Subject: "verano", Move: true, MailboxID: 8, MarkRead: true},
		}, news, RuleOutcome{Add: db.FlagFlagged, Matched: []int64{2}}},
		{"a rule whose mailbox is gone moves nothing, the next one may", []db.Rule{
			{ID: 1, Sender: "jose", Move: true, MailboxID: 0, Star: true},
			{ID: 2, Subject: "verano", Move: true, MailboxID: 8},
		}, news, RuleOutcome{MailboxID: 8, Add: db.FlagFlagged, Matched: []int64{1, 2}}},
		{"empty message", []db.Rule{{ID: 1, Subject: "x", Star: true}}, RuleMessage{}, RuleOutcome{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewRuleSet(tc.rules).Apply(tc.msg)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"Canción": "cancion", "ÑANDÚ": "nandu", "Ça Va": "ca va", "Straße": "straße", "": ""} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// storeRaw stores raw messages (one a string) for an account, as the
// poller would without rules.
func storeRaw(t *testing.T, d *db.DB, u db.User, accountID int64, raws ...string) []int64 {
	t.Helper()
	msgs := make([]db.NewMessage, len(raws))
	for i, r := range raws {
		sum := sha256.Sum256([]byte(r))
		sm := message.Summarize([]byte(r))
		msgs[i] = db.NewMessage{AccountID: accountID, UserID: u.ID, UIDL: fmt.Sprintf("u%d-%x", i, sum[:4]),
			ServerSize: int64(len(r)), Raw: []byte(r), SHA256: sum[:], ReceivedAt: time.Now(), SortAt: time.Now(),
			FromName: sm.FromName, FromAddr: sm.FromAddr, To: sm.To, Cc: sm.Cc, Subject: sm.Subject,
			HasAttachments: sm.HasAttachments, ListID: message.ListID([]byte(r))}
	}
	ids, err := d.StoreMessages(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestRulesValidate(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	u, _ := storeMessages(t, d, "ana", 0)
	other, _ := storeMessages(t, d, "bea", 0)
	s := NewRules(d)
	inbox, _ := d.MailboxByRole(ctx, u.ID, db.MailboxInbox)
	sent, _ := d.MailboxByRole(ctx, u.ID, db.MailboxSent)
	beaBox, err := d.CreateMailbox(ctx, other.ID, "Bea's", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		in     RuleInput
		fields []string
	}{
		{"no condition", RuleInput{Name: "x", Star: true}, []string{""}},
		{"no action", RuleInput{Name: "x", Sender: "a"}, []string{FieldRuleActions}},
		{"no name", RuleInput{Sender: "a", Star: true}, []string{FieldRuleName}},
		{"into the inbox", RuleInput{Name: "x", Sender: "a", MailboxID: inbox.ID}, []string{FieldRuleMailbox}},
		{"into sent", RuleInput{Name: "x", Sender: "a", MailboxID: sent.ID}, []string{FieldRuleMailbox}},
		{"into someone else's", RuleInput{Name: "x", Sender: "a", MailboxID: beaBox.ID}, []string{FieldRuleMailbox}},
		{"two lines", RuleInput{Name: "x", Subject: "a\nb", Star: true}, []string{FieldRuleSubject}},
		{"unknown account", RuleInput{Name: "x", AccountID: 999, Star: true}, []string{FieldRuleAccount}},
	} {
		_, err := s.Create(ctx, u.ID, tc.in)
		inv, ok := AsInvalid(err)
		if !ok {
			t.Errorf("%s: %v, want invalid", tc.name, err)
			continue
		}
		if got := inv.Fields(); !reflect.DeepEqual(got, tc.fields) {
			t.Errorf("%s: fields %q, want %q", tc.name, got, tc.fields)
		}
	}
	for i := range MaxRules {
		if _, err := s.Create(ctx, u.ID, RuleInput{Name: fmt.Sprint("r", i), Subject: "x", Star: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Create(ctx, u.ID, RuleInput{Name: "one more", Subject: "x", Star: true}); !errors.Is(err, ErrTooManyRules) {
		t.Fatalf("rule %d: %v", MaxRules+1, err)
	}
}

func TestRulesApplyNow(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	u, _ := storeMessages(t, d, "ana", 0)
	accs, err := d.Accounts(ctx, u.ID)
	if err != nil || len(accs) != 1 {
		t.Fatal(accs, err)
	}
	acc := accs[0].ID
	// More than a batch of list mail, some other mail, and one list
	// message already read.
	var raws []string
	for i := range RuleApplyBatch + 20 {
		raws = append(raws, fmt.Sprintf("From: news@example.org\r\nList-Id: Noticias <noticias.lists.example.org>\r\nSubject: n %d\r\n\r\nx\r\n", i))
	}
	for i := range 5 {
		raws = append(raws, fmt.Sprintf("From: amiga@example.org\r\nSubject: hola %d\r\n\r\nx\r\n", i))
	}
	ids := storeRaw(t, d, u, acc, raws...)
	// Stored as before List-Ids were: unknown until read.
	if _, err := d.SQL().ExecContext(ctx, `UPDATE messages SET list_id = NULL`); err != nil {
		t.Fatal(err)
	}
	lists, err := d.CreateMailbox(ctx, u.ID, "Listas", 0)
	if err != nil {
		t.Fatal(err)
	}
	s := NewRules(d)
	r, err := s.Create(ctx, u.ID, RuleInput{Name: "Listas", ListID: "NOTICIAS.lists", MailboxID: lists.ID, MarkRead: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, u.ID, RuleInput{Name: "Amiga", Sender: "amiga", Star: true}); err != nil {
		t.Fatal(err)
	}
	// The one rule alone, undone, and again.
	for round := range 2 {
		out, err := s.ApplyNow(ctx, u.ID, r.ID)
		if err != nil || out.Count != int64(RuleApplyBatch+20) || out.Action != ActionApplyRules || out.Undo == "" {
			t.Fatalf("apply: %+v, %v", out, err)
		}
		box, _ := d.Mailbox(ctx, u.ID, lists.ID)
		if box.Total != int64(RuleApplyBatch+20) || box.Unread != 0 {
			t.Fatalf("Listas holds %d, %d unread", box.Total, box.Unread)
		}
		inbox, _ := d.MailboxByRole(ctx, u.ID, db.MailboxInbox)
		if inbox.Total != 5 {
			t.Fatalf("inbox holds %d", inbox.Total)
		}
		if round == 1 {
			break
		}
		// Undo puts every message back in the inbox, unread as it was.
		undone, err := NewMessages(d).Undo(ctx, u.ID, out.Undo)
		if err != nil || undone.Count != out.Count || undone.Action != ActionApplyRules {
			t.Fatalf("undo: %+v, %v", undone, err)
		}
		box, _ = d.Mailbox(ctx, u.ID, lists.ID)
		inbox, _ = d.MailboxByRole(ctx, u.ID, db.MailboxInbox)
		if box.Total != 0 || inbox.Total != int64(len(ids)) || inbox.Unread != int64(len(ids)) {
			t.Fatalf("after undo: Listas %d, inbox %d (%d unread) of %d", box.Total, inbox.Total, inbox.Unread, len(ids))
		}
	}
	m, _ := d.Message(ctx, u.ID, ids[len(ids)-1])
	if m.Flags.Has(db.FlagFlagged) {
		t.Fatal("a rule not applied starred a message")
	}
	// Every rule: the other five get starred; again, nothing changes.
	if out, err := s.ApplyNow(ctx, u.ID, 0); err != nil || out.Count != 5 {
		t.Fatalf("apply all: %+v, %v", out, err)
	}
	if out, err := s.ApplyNow(ctx, u.ID, 0); err != nil || out.Count != 0 || out.Undo != "" {
		t.Fatalf("apply all again: %+v, %v", out, err)
	}
	// The List-Ids read on the way were kept.
	c, err := d.RuleCandidates(ctx, u.ID, db.MailboxInbox, 0, 10)
	if err != nil || len(c) != 5 || !c[0].ListIDKnown || c[0].ListID != "" {
		t.Fatalf("candidates %+v, %v", c, err)
	}
	if _, err := s.ApplyNow(ctx, u.ID, 12345); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("unknown rule: %v", err)
	}
	// A deleted mailbox: the rule stops moving, and says so.
	inbox, _ := d.MailboxByRole(ctx, u.ID, db.MailboxInbox)
	if _, err := d.SQL().ExecContext(ctx, `UPDATE messages SET mailbox_id = ? WHERE mailbox_id = ?`, inbox.ID, lists.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteMailbox(ctx, u.ID, lists.ID); err != nil {
		t.Fatal(err)
	}
	r, _ = s.Get(ctx, u.ID, r.ID)
	if !r.MailboxGone() {
		t.Fatalf("rule after its mailbox went: %+v", r)
	}
	if out, err := s.ApplyNow(ctx, u.ID, r.ID); err != nil || out.Count != 0 {
		t.Fatalf("apply with the mailbox gone: %+v, %v", out, err)
	}
}
