package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

func TestDrafts(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	users := NewUsers(d, nil, fastParams)
	ana, _ := users.Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	bob, _ := users.Create(ctx, NewUser{Name: "bob", Password: "correct horse"})
	acc, err := NewAccounts(d, key).Create(ctx, ana.ID, goodAccount())
	if err != nil {
		t.Fatal(err)
	}
	s := NewDrafts(d)
	var dr Draft
	dr.To = []compose.Address{{Name: "Bea", Addr: "bea@example.org"}}
	dr.Subject, dr.Text = "Plans", "First line"
	id, err := s.Save(ctx, ana.ID, 0, acc.ID, DraftInput{Draft: dr, Lost: []string{"map.png"}})
	if err != nil {
		t.Fatal(err)
	}
	dr.Text = "First line\nSecond line"
	if id2, err := s.Save(ctx, ana.ID, id, acc.ID, DraftInput{Draft: dr, Lost: []string{"map.png"}}); err != nil || id2 != id {
		t.Fatalf("saving again: %d %v", id2, err)
	}
	u, err := s.Open(ctx, ana.ID, id)
	account := u.AccountID
	if err != nil || account != acc.ID || u.Text != "First line\nSecond line" || u.To[0].Addr != "bea@example.org" ||
		strings.Join(u.AttachmentNames, ",") != "map.png" {
		t.Fatalf("opened %+v, account %d, %v", u, account, err)
	}
	// Bob can neither read nor overwrite it, nor name ana's account.
	if _, err := s.Open(ctx, bob.ID, id); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("bob opened ana's draft: %v", err)
	}
	if _, err := s.Save(ctx, bob.ID, id, 0, DraftInput{Draft: dr}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("bob overwrote ana's draft: %v", err)
	}
	bobs, err := s.Save(ctx, bob.ID, 0, acc.ID, DraftInput{Draft: dr})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := s.Open(ctx, bob.ID, bobs); u.AccountID != 0 {
		t.Errorf("bob's draft is from ana's account %d", u.AccountID)
	}
	dr.Text = strings.Repeat("x", maxDraftBytes)
	if _, err := s.Save(ctx, ana.ID, id, acc.ID, DraftInput{Draft: dr, Lost: []string{"map.png"}}); err == nil {
		t.Error("a draft over the bound was saved")
	}
	if list, _ := s.List(ctx, ana.ID); len(list) != 1 || list[0].Subject != "Plans" || list[0].To[0].Addr != "bea@example.org" {
		t.Errorf("list %+v", list)
	}
	if err := s.Delete(ctx, ana.ID, id); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.List(ctx, ana.ID); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}
}
