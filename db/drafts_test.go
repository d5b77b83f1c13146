package db

import (
	"errors"
	"testing"
	"time"
)

// draftCount is how many drafts the user has.
func draftCount(t *testing.T, d *DB, userID int64) int {
	t.Helper()
	list, err := d.Drafts(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// Drafts found by their compose key: a save without the id but with the
// key changes the draft made under it; once the message is queued (the
// draft deleted in that step), a save under its key is refused, by id or
// not, and the key is not queued twice; drafts saved before keys work by
// id and take the key they are next saved with; another user's key never
// matches.
func TestDraftComposeKeys(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	d.Now = func() time.Time { return now }
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	other, _ := d.CreateUser(ctx, "bea", "h", RoleMember)
	a := newAccount(t, d, u.ID, "ana")
	const key = "AAAAAAAAAAAAAAAAAAAAAA"

	first, err := d.SaveDraft(ctx, u.ID, DraftSave{Key: key, AccountID: a.ID, Subject: "One", Fields: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.SaveDraft(ctx, u.ID, DraftSave{Key: key, AccountID: a.ID, Subject: "One, again", Fields: "{}"})
	if err != nil || again != first {
		t.Fatalf("saving under the same key without the id: draft %d (%v), want %d", again, err, first)
	}
	if dr, _ := d.Draft(ctx, u.ID, first); dr.Subject != "One, again" || dr.Key != key {
		t.Fatalf("the draft after the second save: %+v", dr)
	}
	if n := draftCount(t, d, u.ID); n != 1 {
		t.Fatalf("%d drafts, want 1", n)
	}

	// Another user's key is another message.
	theirs, err := d.SaveDraft(ctx, other.ID, DraftSave{Key: key, Subject: "Bea's", Fields: "{}"})
	if err != nil || theirs == first {
		t.Fatalf("bea's save under the same key: draft %d, %v", theirs, err)
	}
	if dr, _ := d.Draft(ctx, u.ID, first); dr.Subject != "One, again" {
		t.Fatalf("bea's save changed ana's draft: %+v", dr)
	}

	// A draft saved before keys: by id, and it takes the key it is saved
	// with, unless another draft has that key.
	old, err := d.SaveDraft(ctx, u.ID, DraftSave{AccountID: a.ID, Subject: "Old", Fields: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SaveDraft(ctx, u.ID, DraftSave{ID: old, Key: key, Subject: "Old, edited", Fields: "{}"}); err != nil {
		t.Fatal(err)
	}
	if dr, _ := d.Draft(ctx, u.ID, old); dr.Subject != "Old, edited" || dr.Key != "" {
		t.Fatalf("an old draft saved under another draft's key: %+v", dr)
	}
	const oldKey = "BBBBBBBBBBBBBBBBBBBBBA"
	if k, err := d.KeyDraft(ctx, u.ID, old, oldKey); err != nil || k != oldKey {
		t.Fatalf("keying the old draft: %q, %v", k, err)
	}
	if k, err := d.KeyDraft(ctx, u.ID, old, "CCCCCCCCCCCCCCCCCCCCCA"); err != nil || k != oldKey {
		t.Fatalf("keying it again: %q, %v, want the key it has", k, err)
	}
	if _, err := d.KeyDraft(ctx, other.ID, old, oldKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bea keyed ana's draft: %v", err)
	}

	// Queueing deletes the draft found by the key and spends the key.
	msg := NewOutbox{UserID: u.ID, AccountID: a.ID, Raw: []byte("Subject: One\r\n\r\nx\r\n"), From: "ana@example.org",
		Rcpts: []string{"b@example.org"}, NotBefore: now, ComposeKey: key}
	id, err := d.QueueOutbox(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Draft(ctx, u.ID, first); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the draft after queueing: %v", err)
	}
	if _, err := d.QueueOutbox(ctx, msg); !errors.Is(err, ErrKeySpent) {
		t.Fatalf("queueing the key twice: %v, want ErrKeySpent", err)
	}
	for _, s := range []DraftSave{{Key: key}, {ID: first, Key: key}, {ID: old, Key: key}} {
		if _, err := d.SaveDraft(ctx, u.ID, s); !errors.Is(err, ErrKeySpent) {
			t.Errorf("saving %+v after queueing: %v, want ErrKeySpent", s, err)
		}
	}
	// Taken back, it stays spent: the message is written again under a
	// new key.
	if err := d.CancelOutbox(ctx, u.ID, id); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SaveDraft(ctx, u.ID, DraftSave{Key: key}); !errors.Is(err, ErrKeySpent) {
		t.Errorf("saving under the key of a message taken back: %v", err)
	}
	if spent, err := d.KeySpent(ctx, u.ID, key); err != nil || !spent {
		t.Errorf("KeySpent: %v, %v", spent, err)
	}
	// Not bea's.
	if spent, _ := d.KeySpent(ctx, other.ID, key); spent {
		t.Error("ana's spent key is spent for bea")
	}
	if _, err := d.SaveDraft(ctx, other.ID, DraftSave{ID: theirs, Key: key, Subject: "Bea's, edited", Fields: "{}"}); err != nil {
		t.Errorf("bea's draft under the key ana sent: %v", err)
	}

	// A draft queued by id records its own key; one deleted meanwhile is
	// not brought back by a save with its id.
	if _, err := d.QueueOutbox(ctx, NewOutbox{UserID: u.ID, AccountID: a.ID, Raw: msg.Raw, From: msg.From, Rcpts: msg.Rcpts,
		NotBefore: now, DraftID: old, ComposeKey: "DDDDDDDDDDDDDDDDDDDDDA"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SaveDraft(ctx, u.ID, DraftSave{ID: old, Key: oldKey}); !errors.Is(err, ErrKeySpent) {
		t.Errorf("saving under the queued draft's own key: %v, want ErrKeySpent", err)
	}
	if _, err := d.SaveDraft(ctx, u.ID, DraftSave{ID: old, Key: "EEEEEEEEEEEEEEEEEEEEEA", Subject: "x", Fields: "{}"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("saving the queued draft by id under a new key: %v, want ErrNotFound", err)
	}
	if _, err := d.SaveDraft(ctx, u.ID, DraftSave{ID: old, Subject: "x", Fields: "{}"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("saving the queued draft by id: %v, want ErrNotFound", err)
	}
	if n := draftCount(t, d, u.ID); n != 0 {
		t.Errorf("%d drafts left, want 0", n)
	}
	if n := draftCount(t, d, other.ID); n != 1 {
		t.Errorf("bea has %d drafts, want 1", n)
	}
}
