package app

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/password"
)

var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1}

func openDB(t *testing.T) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

func TestCheckUserName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"ana", true},
		{"ana maria", true},
		{"  ana  ", true},
		{"José Ñúñez", true},
		{"山田", true},
		{"o'brien-smith", true},
		{strings.Repeat("a", MaxUserName), true},
		{strings.Repeat("ñ", MaxUserName), true},
		{strings.Repeat("a", MaxUserName+1), false},
		{"", false},
		{"   ", false},
		{"ana\x00", false},
		{"ana\nmaria", false},
		{"ana\tmaria", false},
		{"bad\xffutf8", false},
	} {
		p, bad := CheckUserName(tc.name)
		if bad == tc.ok {
			t.Errorf("%q: problem %v %q, want ok=%v", tc.name, bad, p.Key, tc.ok)
		}
		if bad && (p.Field != FieldUserName || p.Key == "") {
			t.Errorf("%q: problem %+v", tc.name, p)
		}
	}
}

func TestUsersCreate(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	s := NewUsers(d, nil, fastParams)

	// Every problem at once, each on its field.
	_, err := s.Create(ctx, NewUser{Name: "", Password: "short"})
	inv, ok := AsInvalid(err)
	if !ok || len(inv.Problems) != 2 || strings.Join(inv.Fields(), ",") != FieldUserName+","+FieldPassword {
		t.Fatalf("Create with two problems: %v", err)
	}

	u, err := s.Create(ctx, NewUser{Name: "  ana maria ", Password: "correct horse"})
	if err != nil || u.Name != "ana maria" || u.IsAdmin() {
		t.Fatalf("Create: %+v %v", u, err)
	}
	if ok, err := s.CheckPassword(ctx, u, "correct horse"); !ok || err != nil {
		t.Fatalf("CheckPassword: %v %v", ok, err)
	}
	// Names are compared without regard to case.
	_, err = s.Create(ctx, NewUser{Name: "ANA MARIA", Password: "correct horse"})
	if inv, ok := AsInvalid(err); !ok || inv.Problems[0].Field != FieldUserName {
		t.Fatalf("duplicate name: %v", err)
	}

	// The first administrator only while nobody exists.
	if _, err := s.CreateFirstAdmin(ctx, NewUser{Name: "root", Password: "correct horse"}); !errors.Is(err, ErrAlreadySetUp) {
		t.Fatalf("CreateFirstAdmin with users: %v", err)
	}
	empty := NewUsers(openDB(t), nil, fastParams)
	a, err := empty.CreateFirstAdmin(ctx, NewUser{Name: "root", Password: "correct horse"})
	if err != nil || !a.IsAdmin() {
		t.Fatalf("CreateFirstAdmin: %+v %v", a, err)
	}

	// SetPassword checks the rule, then the old password stops working.
	if err := s.SetPassword(ctx, u.ID, "short"); err == nil {
		t.Fatal("a short password was set")
	}
	if err := s.SetPassword(ctx, u.ID, "battery staple"); err != nil {
		t.Fatal(err)
	}
	u, _ = d.UserByID(ctx, u.ID)
	if ok, _ := s.CheckPassword(ctx, u, "correct horse"); ok {
		t.Fatal("the old password still works")
	}
}

// TestUsersBusy: a full gate makes every hashing operation ErrBusy, and
// nothing is stored.
func TestUsersBusy(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	g := password.NewGate(1, 0, time.Millisecond)
	release, err := g.Hold(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	s := NewUsers(d, g, fastParams)
	if _, err := s.Create(ctx, NewUser{Name: "ana", Password: "correct horse"}); !errors.Is(err, password.ErrBusy) {
		t.Fatalf("Create: %v", err)
	}
	if n, _ := d.CountUsers(ctx); n != 0 {
		t.Fatalf("%d users stored", n)
	}
}
