package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
)

func TestParseComposeKey(t *testing.T) {
	k := NewComposeKey()
	if len(k) != 22 || ParseComposeKey(k) != k {
		t.Fatalf("a new key %q does not parse back", k)
	}
	if NewComposeKey() == k {
		t.Fatal("two new keys are equal")
	}
	for _, bad := range []string{"", "short", k + "A", k[:21], strings.Repeat("+", 22), strings.Repeat("A", 21) + "=",
		strings.Repeat("A", 21) + "B", // its last two bits are not zero
		strings.Repeat("A", 20) + "é"} {
		if got := ParseComposeKey(bad); got != "" {
			t.Errorf("ParseComposeKey(%q) = %q, want none", bad, got)
		}
	}
}

// The compose key through the drafts and the outbox: saves under a key
// without the id change one draft; sending deletes it and spends the key,
// after which a save is refused (on FieldComposeKey) and the message is
// not queued twice; a bad key is ignored; a draft saved before keys is
// given one when opened; a message taken back gets a new key, which is
// free.
func TestComposeKeyDraftsAndOutbox(t *testing.T) {
	ctx := context.Background()
	d, u, acc, o := sendingAccount(t, "ana@example.net")
	s := NewDrafts(d)
	key := NewComposeKey()
	var dr Draft
	dr.To = []compose.Address{{Addr: "bob@example.org"}}
	dr.Subject, dr.Text, dr.ComposeKey = "Plans", "First", key

	// The autosave and Send, both before the draft's id is known.
	first, err := s.Save(ctx, u.ID, 0, acc.ID, DraftInput{Draft: dr})
	if err != nil {
		t.Fatal(err)
	}
	dr.Text = "First and last"
	second, err := s.Save(ctx, u.ID, 0, acc.ID, DraftInput{Draft: dr})
	if err != nil || second != first {
		t.Fatalf("the second save under the key: draft %d (%v), want %d", second, err, first)
	}
	dr.DraftID = second
	if _, err := o.Send(ctx, u.ID, acc.ID, dr); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.List(ctx, u.ID); len(list) != 0 {
		t.Fatalf("drafts after sending: %+v", list)
	}
	// A late autosave, with or without the id.
	for _, id := range []int64{0, first} {
		_, err := s.Save(ctx, u.ID, id, acc.ID, DraftInput{Draft: dr})
		inv, ok := AsInvalid(err)
		if !ok {
			t.Fatalf("saving draft %d after sending: %v, want *Invalid", id, err)
		}
		if _, ok := inv.On(FieldComposeKey); !ok {
			t.Errorf("saving draft %d after sending: %v, want a problem on the key", id, inv)
		}
	}
	// Send pressed twice.
	dr.DraftID = 0
	_, err = o.Send(ctx, u.ID, acc.ID, dr)
	if inv, ok := AsInvalid(err); !ok {
		t.Fatalf("sending the key twice: %v", err)
	} else if _, ok := inv.On(FieldComposeKey); !ok {
		t.Fatalf("sending the key twice: %v", inv)
	}
	if list, _ := o.List(ctx, u.ID); len(list) != 1 {
		t.Fatalf("%d messages in the outbox, want 1", len(list))
	}
	if list, _ := s.List(ctx, u.ID); len(list) != 0 {
		t.Fatalf("drafts after sending twice: %+v", list)
	}

	// A bad key is as none: each save makes a draft, as before keys.
	bad := dr
	bad.ComposeKey = "not a key"
	a, err := s.Save(ctx, u.ID, 0, acc.ID, DraftInput{Draft: bad})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s.Save(ctx, u.ID, 0, acc.ID, DraftInput{Draft: bad}); err != nil || b == a {
		t.Fatalf("saves under a bad key: %d and %d (%v)", a, b, err)
	}
	opened, err := s.Open(ctx, u.ID, a)
	if err != nil || ParseComposeKey(opened.ComposeKey) == "" {
		t.Fatalf("a draft without a key opened with %q, %v", opened.ComposeKey, err)
	}
	if again, _ := s.Open(ctx, u.ID, a); again.ComposeKey != opened.ComposeKey {
		t.Fatalf("opened twice: keys %q and %q", opened.ComposeKey, again.ComposeKey)
	}

	// Taken back: a new draft under a new key, which saves and sends.
	m, err := o.Send(ctx, u.ID, acc.ID, opened.Draft)
	if err != nil {
		t.Fatal(err)
	}
	undone, err := o.Undo(ctx, u.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if undone.ComposeKey == opened.ComposeKey || ParseComposeKey(undone.ComposeKey) == "" || undone.DraftID == 0 {
		t.Fatalf("taken back under key %q (was %q), draft %d", undone.ComposeKey, opened.ComposeKey, undone.DraftID)
	}
	if id, err := s.Save(ctx, u.ID, 0, acc.ID, DraftInput{Draft: undone.Draft}); err != nil || id != undone.DraftID {
		t.Fatalf("saving the message taken back: draft %d (%v), want %d", id, err, undone.DraftID)
	}
	if _, err := o.Send(ctx, u.ID, acc.ID, undone.Draft); err != nil {
		t.Fatalf("sending the message taken back: %v", err)
	}
	if _, err := d.Draft(ctx, u.ID, undone.DraftID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the draft of the message taken back after sending: %v", err)
	}
}
