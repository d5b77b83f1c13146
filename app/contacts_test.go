package app

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

// TestContactsEdited: the user's own names win over mail's, a hidden
// address is proposed no more (until saved again), and bad input is
// refused on its field.
func TestContactsEdited(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	u, _ := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	acc, err := NewAccounts(d, key).Create(ctx, u.ID, goodAccount())
	if err != nil {
		t.Fatal(err)
	}
	for i, from := range [][2]string{{"B. Ruiz", "bea@example.org"}, {"Spam King", "promo@example.org"}} {
		raw := []byte("Subject: x\r\n\r\nbody " + from[1] + "\r\n")
		sum := sha256.Sum256(raw)
		if _, err := d.StoreMessages(ctx, []db.NewMessage{{AccountID: acc.ID, UserID: u.ID, UIDL: from[1], ServerSize: int64(len(raw)), Raw: raw,
			SHA256: sum[:], ReceivedAt: time.Now(), SortAt: time.Now().Add(time.Duration(i) * time.Minute), FromName: from[0], FromAddr: from[1]}}); err != nil {
			t.Fatal(err)
		}
	}
	c := NewContacts(d)
	show := func(prefix string) string {
		list, err := c.List(ctx, u.ID, prefix)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range list {
			out = append(out, x.Name+"<"+strings.ToLower(x.Addr)+">")
		}
		return strings.Join(out, ",")
	}
	if got := show(""); got != "Spam King<promo@example.org>,B. Ruiz<bea@example.org>" {
		t.Errorf("from mail: %q", got)
	}
	if err := c.Save(ctx, u.ID, "Beatriz Ruiz", "BEA@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Hide(ctx, u.ID, "promo@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx, u.ID, "Carl", "carl@example.org"); err != nil {
		t.Fatal(err)
	}
	if got := show(""); got != "Carl<carl@example.org>,Beatriz Ruiz<bea@example.org>" {
		t.Errorf("edited: %q", got)
	}
	if got := show("beatriz"); got != "Beatriz Ruiz<bea@example.org>" {
		t.Errorf("by the saved name: %q", got)
	}
	got, _ := NewMessages(d).SuggestAddresses(ctx, u.ID, "pro")
	if len(got) != 0 {
		t.Errorf("a hidden address is still proposed: %v", got)
	}
	for _, bad := range [][2]string{{"Ana", "not an address"}, {"Ana", "a@example.org, b@example.org"}, {"Two\nlines", "x@example.org"}} {
		if _, ok := AsInvalid(c.Save(ctx, u.ID, bad[0], bad[1])); !ok {
			t.Errorf("Save(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
