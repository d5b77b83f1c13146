package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// where returns the role (or name) of the mailbox a message is in, and its flags.
func where(t *testing.T, d *db.DB, userID, id int64) (string, db.Flag) {
	t.Helper()
	m, err := d.Message(context.Background(), userID, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.Mailbox(context.Background(), userID, m.MailboxID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Role != "" {
		return string(b.Role), m.Flags
	}
	return b.Name, m.Flags
}

func TestActAndUndoEachAction(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 3)
	s := NewMessages(d)
	folder, err := NewFolders(d).Create(ctx, ana.ID, FolderInput{Name: "Receipts"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		action    MessageAction
		to        int64
		wantBox   string
		wantFlags db.Flag
	}{
		{ActionArchive, 0, "archive", 0},
		{ActionMove, folder.ID, "Receipts", 0},
		{ActionJunk, 0, "junk", 0},
		{ActionTrash, 0, "trash", 0},
		{ActionStar, 0, "inbox", db.FlagFlagged},
		{ActionRead, 0, "inbox", db.FlagSeen},
	}
	for _, c := range cases {
		t.Run(string(c.action), func(t *testing.T) {
			out, err := s.Act(ctx, ana.ID, Request{Action: c.action, IDs: ids[:2], To: c.to})
			if err != nil || out.Count != 2 || out.Undo == "" {
				t.Fatalf("act: %+v, %v", out, err)
			}
			for _, id := range ids[:2] {
				if box, flags := where(t, d, ana.ID, id); box != c.wantBox || flags != c.wantFlags {
					t.Fatalf("after %s: in %s with %v", c.action, box, flags)
				}
			}
			if box, flags := where(t, d, ana.ID, ids[2]); box != "inbox" || flags != 0 {
				t.Fatalf("an unselected message changed: %s %v", box, flags)
			}
			p, err := s.Pending(ctx, ana.ID, out.Undo)
			if err != nil || p.Count != 2 || p.Action != c.action || p.Target.ID != out.Target.ID {
				t.Fatalf("pending: %+v, %v", p, err)
			}
			back, err := s.Undo(ctx, ana.ID, out.Undo)
			if err != nil || back.Count != 2 {
				t.Fatalf("undo: %+v, %v", back, err)
			}
			for _, id := range ids[:2] {
				if box, flags := where(t, d, ana.ID, id); box != "inbox" || flags != 0 {
					t.Fatalf("after undo: in %s with %v", box, flags)
				}
				if m, _ := d.Message(ctx, ana.ID, id); m.TrashedAt != nil {
					t.Fatal("undone trash left trashed_at")
				}
			}
			if _, err := s.Undo(ctx, ana.ID, out.Undo); !errors.Is(err, ErrUndoGone) {
				t.Fatalf("second undo: %v", err)
			}
		})
	}
	// Unstar, unread and not junk undo to what was before.
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionStar, IDs: ids}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Act(ctx, ana.ID, Request{Action: ActionUnstar, IDs: ids[:1]})
	if err != nil || out.Count != 1 {
		t.Fatalf("unstar: %+v %v", out, err)
	}
	if _, err := s.Undo(ctx, ana.ID, out.Undo); err != nil {
		t.Fatal(err)
	}
	if _, flags := where(t, d, ana.ID, ids[0]); !flags.Has(db.FlagFlagged) {
		t.Fatal("undoing unstar did not star again")
	}
}

func TestActChangesOnlyWhatDiffersAndNothingElse(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 3)
	bea, beaIDs := storeMessages(t, d, "bea", 1)
	s := NewMessages(d)
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionArchive, IDs: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Act(ctx, ana.ID, Request{Action: ActionArchive, IDs: ids})
	if err != nil || out.Count != 2 {
		t.Fatalf("archive again: %+v %v", out, err)
	}
	// Nothing to change: no undo.
	out, err = s.Act(ctx, ana.ID, Request{Action: ActionArchive, IDs: ids})
	if err != nil || out.Count != 0 || out.Undo != "" {
		t.Fatalf("nothing to change: %+v %v", out, err)
	}
	// Someone else's message: nothing changes.
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionStar, IDs: append([]int64{ids[0]}, beaIDs[0])}); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("foreign: %v", err)
	}
	if _, flags := where(t, d, ana.ID, ids[0]); flags.Has(db.FlagFlagged) {
		t.Fatal("starred despite a foreign id")
	}
	// Another user's undo is not ana's.
	bo, err := s.Act(ctx, bea.ID, Request{Action: ActionTrash, IDs: beaIDs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(ctx, ana.ID, bo.Undo); !errors.Is(err, ErrUndoGone) {
		t.Fatalf("undo of another user's action: %v", err)
	}
	if _, err := s.Pending(ctx, ana.ID, bo.Undo); !errors.Is(err, ErrUndoGone) {
		t.Fatalf("pending of another user's action: %v", err)
	}
	// Drafts is no place to move to, nor another user's mailbox.
	drafts, _ := d.MailboxByRole(ctx, ana.ID, db.MailboxDrafts)
	beaInbox, _ := d.MailboxByRole(ctx, bea.ID, db.MailboxInbox)
	for _, to := range []int64{drafts.ID, beaInbox.ID, 0} {
		if _, err := s.Act(ctx, ana.ID, Request{Action: ActionMove, IDs: ids, To: to}); !errors.Is(err, ErrBadTarget) {
			t.Fatalf("move to %d: %v", to, err)
		}
	}
	if _, err := s.Act(ctx, ana.ID, Request{Action: "shred", IDs: ids}); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("unknown: %v", err)
	}
}

func TestUndoBulkAcrossMailboxesAndAfterASecondAction(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 4)
	s := NewMessages(d)
	folder, err := NewFolders(d).Create(ctx, ana.ID, FolderInput{Name: "Trips"})
	if err != nil {
		t.Fatal(err)
	}
	// Spread them: inbox, archive, Trips, junk; one read and starred.
	mustAct := func(r Request) Outcome {
		t.Helper()
		out, err := s.Act(ctx, ana.ID, r)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	mustAct(Request{Action: ActionArchive, IDs: ids[1:2]})
	mustAct(Request{Action: ActionMove, IDs: ids[2:3], To: folder.ID})
	mustAct(Request{Action: ActionJunk, IDs: ids[3:4]})
	mustAct(Request{Action: ActionRead, IDs: ids[1:2]})
	mustAct(Request{Action: ActionStar, IDs: ids[2:3]})

	del := mustAct(Request{Action: ActionTrash, IDs: ids})
	if del.Count != 4 {
		t.Fatalf("trashed %d", del.Count)
	}
	// A second action on some of them before the undo: starring in the trash.
	star := mustAct(Request{Action: ActionStar, IDs: ids[:2]})
	if star.Count != 2 {
		t.Fatalf("starred %d", star.Count)
	}
	if n, err := s.Undo(ctx, ana.ID, del.Undo); err != nil || n.Count != 4 {
		t.Fatalf("undo delete: %+v %v", n, err)
	}
	want := []struct {
		box   string
		flags db.Flag
	}{
		{"inbox", db.FlagFlagged}, // the later star stays
		{"archive", db.FlagSeen | db.FlagFlagged},
		{"Trips", db.FlagFlagged},
		{"junk", 0},
	}
	for i, w := range want {
		if box, flags := where(t, d, ana.ID, ids[i]); box != w.box || flags != w.flags {
			t.Errorf("message %d: in %s with %v, want %s with %v", i, box, flags, w.box, w.flags)
		}
	}
	// Undoing the star afterwards leaves the mailboxes.
	if _, err := s.Undo(ctx, ana.ID, star.Undo); err != nil {
		t.Fatal(err)
	}
	if box, flags := where(t, d, ana.ID, ids[1]); box != "archive" || flags != db.FlagSeen {
		t.Errorf("after undoing the star: %s %v", box, flags)
	}
	// Undo into a folder deleted since: the inbox.
	mv := mustAct(Request{Action: ActionArchive, IDs: ids[2:3]})
	if _, err := NewFolders(d).Delete(ctx, ana.ID, folder.ID, db.MailboxInbox); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(ctx, ana.ID, mv.Undo); err != nil {
		t.Fatal(err)
	}
	if box, _ := where(t, d, ana.ID, ids[2]); box != "inbox" {
		t.Errorf("undo into a deleted folder: %s", box)
	}
	// Counts follow.
	boxes, err := d.Mailboxes(ctx, ana.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boxes {
		var total, unread int64
		page, err := d.ListMessages(ctx, ana.ID, db.ListQuery{MailboxID: b.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			total++
			if !m.Flags.Has(db.FlagSeen) {
				unread++
			}
		}
		if b.Total != total || b.Unread != unread {
			t.Errorf("%s: counts %d/%d, messages %d/%d", b.Name, b.Total, b.Unread, total, unread)
		}
	}
}

func TestMarkAllReadAndItsUndo(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 5)
	s := NewMessages(d)
	inbox, _ := d.MailboxByRole(ctx, ana.ID, db.MailboxInbox)
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionRead, IDs: ids[:2]}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionArchive, IDs: ids[4:]}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Act(ctx, ana.ID, Request{Action: ActionMarkAllRead, To: inbox.ID})
	if err != nil || out.Count != 2 {
		t.Fatalf("mark all read: %+v %v", out, err)
	}
	if b, _ := d.Mailbox(ctx, ana.ID, inbox.ID); b.Unread != 0 {
		t.Fatalf("inbox unread %d", b.Unread)
	}
	if _, flags := where(t, d, ana.ID, ids[4]); flags.Has(db.FlagSeen) {
		t.Fatal("a message of another mailbox was marked read")
	}
	if _, err := s.Undo(ctx, ana.ID, out.Undo); err != nil {
		t.Fatal(err)
	}
	if b, _ := d.Mailbox(ctx, ana.ID, inbox.ID); b.Unread != 2 {
		t.Fatalf("inbox unread after undo %d", b.Unread)
	}
	if _, flags := where(t, d, ana.ID, ids[0]); !flags.Has(db.FlagSeen) {
		t.Fatal("undo marked unread a message that was read before")
	}
}

func TestUndoExpires(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 1)
	s := NewMessages(d)
	now := time.Now()
	d.Now = func() time.Time { return now }
	out, err := s.Act(ctx, ana.ID, Request{Action: ActionArchive, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(UndoTTL + time.Second)
	if _, err := s.Pending(ctx, ana.ID, out.Undo); !errors.Is(err, ErrUndoGone) {
		t.Fatalf("pending after expiry: %v", err)
	}
	if _, err := s.Undo(ctx, ana.ID, out.Undo); !errors.Is(err, ErrUndoGone) {
		t.Fatalf("undo after expiry: %v", err)
	}
	if box, _ := where(t, d, ana.ID, ids[0]); box != "archive" {
		t.Fatalf("an expired undo moved the message: %s", box)
	}
}

func TestDeleteForGoodHasNoUndo(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 2)
	s := NewMessages(d)
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionTrash, IDs: ids}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Act(ctx, ana.ID, Request{Action: ActionDelete, IDs: ids[:1]})
	if err != nil || out.Count != 1 || out.Undo != "" {
		t.Fatalf("delete for good: %+v %v", out, err)
	}
	if _, err := d.Message(ctx, ana.ID, ids[0]); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("still there: %v", err)
	}
}

func TestFolderRules(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 2)
	f := NewFolders(d)
	problem := func(err error, field, key string) {
		t.Helper()
		inv, ok := AsInvalid(err)
		if !ok {
			t.Fatalf("want a problem with %s, got %v", field, err)
		}
		if p, ok := inv.On(field); !ok || p.Key != key {
			t.Fatalf("want %q on %s, got %v", key, field, inv)
		}
	}
	top, err := f.Create(ctx, ana.ID, FolderInput{Name: "  Family  "})
	if err != nil || top.Name != "Family" {
		t.Fatalf("create: %+v %v", top, err)
	}
	_, err = f.Create(ctx, ana.ID, FolderInput{Name: "   "})
	problem(err, "name", "Give the folder a name.")
	_, err = f.Create(ctx, ana.ID, FolderInput{Name: "FAMILY"})
	problem(err, "name", "There is already a folder with this name there.")
	_, err = f.Create(ctx, ana.ID, FolderInput{Name: "inbox"})
	problem(err, "name", "There is already a folder with this name there.")
	_, err = f.Create(ctx, ana.ID, FolderInput{Name: "a\nb"})
	problem(err, "name", "A folder's name cannot contain line breaks or tabs.")
	long := make([]rune, MaxFolderName+1)
	for i := range long {
		long[i] = 'ñ'
	}
	_, err = f.Create(ctx, ana.ID, FolderInput{Name: string(long)})
	problem(err, "name", "Use at most %d characters.")

	child, err := f.Create(ctx, ana.ID, FolderInput{Name: "Family", Parent: top.ID})
	if err != nil || child.ParentID != top.ID {
		t.Fatalf("nested with the parent's name: %+v %v", child, err)
	}
	_, err = f.Create(ctx, ana.ID, FolderInput{Name: "Deeper", Parent: child.ID})
	problem(err, "parent", "Folders nest one level only: choose a folder at the top level, not one inside another.")
	other, err := f.Create(ctx, ana.ID, FolderInput{Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	// A folder that holds another cannot go inside one.
	_, err = f.Update(ctx, ana.ID, top.ID, FolderInput{Name: "Family", Parent: other.ID})
	problem(err, "parent", "Folders nest one level only: choose a folder at the top level, not one inside another.")
	renamed, err := f.Update(ctx, ana.ID, other.ID, FolderInput{Name: "Friends", Parent: top.ID})
	if err != nil || renamed.Name != "Friends" || renamed.ParentID != top.ID {
		t.Fatalf("rename and nest: %+v %v", renamed, err)
	}
	inbox, _ := d.MailboxByRole(ctx, ana.ID, db.MailboxInbox)
	_, err = f.Update(ctx, ana.ID, inbox.ID, FolderInput{Name: "Mine"})
	problem(err, "", "This mailbox is one of Apartado's own: it cannot be renamed or deleted.")

	// Deleting moves the messages of the folder and those inside it.
	s := NewMessages(d)
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionMove, IDs: ids[:1], To: top.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionMove, IDs: ids[1:], To: child.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Delete(ctx, ana.ID, top.ID, "archive")
	problem(err, "to", "Choose where the folder's messages go: the inbox or the trash.")
	n, err := f.Delete(ctx, ana.ID, top.ID, db.MailboxTrash)
	if err != nil || n != 2 {
		t.Fatalf("delete: %d %v", n, err)
	}
	for _, id := range ids {
		if box, _ := where(t, d, ana.ID, id); box != "trash" {
			t.Fatalf("message in %s", box)
		}
	}
	for _, id := range []int64{top.ID, child.ID, renamed.ID} {
		if _, err := d.Mailbox(ctx, ana.ID, id); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("folder %d still there: %v", id, err)
		}
	}
	if _, err := f.Delete(ctx, ana.ID, inbox.ID, db.MailboxTrash); err == nil {
		t.Fatal("deleted the inbox")
	}
}

func TestNeighboursAtTheEnds(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, ids := storeMessages(t, d, "ana", 4)
	s := NewMessages(d)
	// Same sort time: the list goes by id, newest (highest) first.
	q := db.ListQuery{Mailbox: db.MailboxInbox}
	for i, id := range ids {
		newer, older, err := s.Neighbours(ctx, ana.ID, q, id)
		if err != nil {
			t.Fatal(err)
		}
		var wantNewer, wantOlder int64
		if i+1 < len(ids) {
			wantNewer = ids[i+1]
		}
		if i > 0 {
			wantOlder = ids[i-1]
		}
		if newer != wantNewer || older != wantOlder {
			t.Errorf("message %d: newer %d older %d, want %d %d", i, newer, older, wantNewer, wantOlder)
		}
	}
	// The starred view skips what is not starred, whatever its mailbox; a
	// message that left the list still finds its neighbours.
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionStar, IDs: []int64{ids[0], ids[3]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, ana.ID, Request{Action: ActionArchive, IDs: ids[3:]}); err != nil {
		t.Fatal(err)
	}
	newer, older, err := s.Neighbours(ctx, ana.ID, db.ListQuery{Starred: true}, ids[1])
	if err != nil || newer != ids[3] || older != ids[0] {
		t.Fatalf("starred: %d %d %v", newer, older, err)
	}
	page, err := d.ListMessages(ctx, ana.ID, db.ListQuery{Starred: true})
	if err != nil || page.Total != 2 || len(page.Messages) != 2 {
		t.Fatalf("starred list: %+v %v", page, err)
	}
	newer, older, err = s.Neighbours(ctx, ana.ID, q, ids[3])
	if err != nil || newer != 0 || older != ids[2] {
		t.Fatalf("inbox from an archived message: %d %d %v", newer, older, err)
	}
	// What opens after a message leaves its list: the older one, at the
	// oldest end the newer one, and nothing when it was the only one.
	for _, c := range []struct {
		q    db.ListQuery
		id   int64
		want int64
	}{
		{q, ids[2], ids[1]},
		{q, ids[0], ids[1]},
		{db.ListQuery{Mailbox: db.MailboxArchive}, ids[3], 0},
	} {
		if got, err := s.NextAfter(ctx, ana.ID, c.q, c.id); err != nil || got != c.want {
			t.Errorf("next after %d in %+v: %d (%v), want %d", c.id, c.q, got, err, c.want)
		}
	}
	if _, err := s.NextAfter(ctx, ana.ID, q, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("next after a message that is not there: %v", err)
	}
}
