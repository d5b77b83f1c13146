package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

// storeMessages stores n small messages in a new account of a new user.
func storeMessages(t *testing.T, d *db.DB, user string, n int) (db.User, []int64) {
	t.Helper()
	ctx := context.Background()
	u, err := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: user, Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := secret.Generate()
	a, err := NewAccounts(d, key).Create(ctx, u.ID, goodAccount())
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]db.NewMessage, n)
	for i := range msgs {
		raw := []byte(fmt.Sprintf("From: a@example.net\r\nSubject: %s %d\r\n\r\nbody\r\n", user, i))
		sum := sha256.Sum256(raw)
		msgs[i] = db.NewMessage{AccountID: a.ID, UserID: u.ID, UIDL: fmt.Sprintf("%s-%d", user, i), ServerSize: int64(len(raw)),
			Raw: raw, SHA256: sum[:], ReceivedAt: time.Now(), SortAt: time.Now(), Subject: fmt.Sprintf("%s %d", user, i)}
	}
	ids, err := d.StoreMessages(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	return u, ids
}

func TestMessagesApply(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, anaIDs := storeMessages(t, d, "ana", MaxSelected)
	bea, beaIDs := storeMessages(t, d, "bea", 3)
	s := NewMessages(d)

	// A selection with one message of someone else's changes nothing.
	sel := append(append([]int64{}, anaIDs[:10]...), beaIDs[0])
	if _, err := s.Apply(ctx, ana.ID, ActionTrash, sel); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("foreign id: %v", err)
	}
	if m, _ := d.Message(ctx, ana.ID, anaIDs[0]); m.TrashedAt != nil {
		t.Fatal("a message moved although the selection held another user's")
	}
	// All thousand at once, repeats counted once.
	n, err := s.Apply(ctx, ana.ID, ActionTrash, append(append([]int64{}, anaIDs...), anaIDs[:5]...))
	if err != nil || n != MaxSelected {
		t.Fatalf("trash %d: %v", n, err)
	}
	if _, err := s.Apply(ctx, ana.ID, ActionRead, append(anaIDs, beaIDs[0]+1000)); err == nil {
		t.Fatal("a thousand and one accepted")
	}
	if n, err := s.Apply(ctx, ana.ID, ActionDelete, anaIDs[:2]); err != nil || n != 2 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if _, err := s.Apply(ctx, ana.ID, ActionRestore, anaIDs[:3]); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("restoring deleted messages: %v", err)
	}
	for _, bad := range []struct {
		action MessageAction
		ids    []int64
		want   error
	}{
		{"archive-everything", anaIDs[:1], ErrUnknownAction},
		{ActionRead, nil, ErrNoneSelected},
		{ActionRead, []int64{-1}, db.ErrNotFound},
	} {
		if _, err := s.Apply(ctx, ana.ID, bad.action, bad.ids); !errors.Is(err, bad.want) {
			t.Errorf("%s %v: %v, want %v", bad.action, bad.ids, err, bad.want)
		}
	}
	if n, err := s.Apply(ctx, ana.ID, ActionEmptyTrash, nil); err != nil || n != MaxSelected-2 {
		t.Fatalf("empty trash: %d %v", n, err)
	}
	// Bea's mail was never touched.
	for _, id := range beaIDs {
		if m, err := d.Message(ctx, bea.ID, id); err != nil || m.TrashedAt != nil {
			t.Fatalf("bea's %d: %+v %v", id, m, err)
		}
	}
}
