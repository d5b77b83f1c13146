package app

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

// Send's rules: the account must be the user's and send; a draft's
// problems are *Invalid, one per field; a valid draft is queued with its
// undo window, its Bcc in the envelope only.
func TestOutboxSendRules(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	ana, _ := d.CreateUser(ctx, "ana", "h", db.RoleMember)
	bea, _ := d.CreateUser(ctx, "bea", "h", db.RoleMember)
	accs := NewAccounts(d, key)
	in := goodAccount()
	receiving, err := accs.Create(ctx, ana.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Outgoing = OutgoingInput{Host: "smtp.example.net", Security: "tls"}
	sending, err := accs.Create(ctx, ana.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOutbox(d)
	o.Now = d.Now
	notified := 0
	o.Notify = func() { notified++ }
	bob := []compose.Address{{Addr: "bob@example.org"}}
	for _, tc := range []struct {
		name    string
		user    int64
		account int64
		draft   Draft
		field   string
	}{
		{"another user's account", bea.ID, sending.ID, Draft{Draft: compose.Draft{To: bob}}, FieldAccount},
		{"no outgoing server", ana.ID, receiving.ID, Draft{Draft: compose.Draft{To: bob}}, FieldAccount},
		{"no recipient", ana.ID, sending.ID, Draft{}, compose.FieldTo},
		{"bad address", ana.ID, sending.ID, Draft{Draft: compose.Draft{To: []compose.Address{{Addr: "bob@@x"}}}}, compose.FieldTo},
		{"bad flag", ana.ID, sending.ID, Draft{Draft: compose.Draft{To: bob}, Original: 1, OriginalFlag: db.FlagSeen}, FieldOriginal},
		{"another user's original", ana.ID, sending.ID, Draft{Draft: compose.Draft{To: bob}, Original: 999, OriginalFlag: db.FlagAnswered}, FieldOriginal},
	} {
		_, err := o.Send(ctx, tc.user, tc.account, tc.draft)
		inv, ok := AsInvalid(err)
		if !ok {
			t.Errorf("%s: %v, want *Invalid", tc.name, err)
			continue
		}
		if _, ok := inv.On(tc.field); !ok {
			t.Errorf("%s: problems %v, want one on %q", tc.name, inv, tc.field)
		}
	}
	o.MaxSize = 2000
	_, err = o.Send(ctx, ana.ID, sending.ID, Draft{Draft: compose.Draft{To: bob, Text: string(bytes.Repeat([]byte("long line\n"), 500))}})
	if inv, ok := AsInvalid(err); !ok || len(inv.Problems) != 1 {
		t.Fatalf("too large: %v", err)
	}
	o.MaxSize = DefaultMaxSendSize
	if notified != 0 {
		t.Fatal("notified without queueing")
	}
	m, err := o.Send(ctx, ana.ID, sending.ID, Draft{Draft: compose.Draft{To: bob, Bcc: []compose.Address{{Addr: "eve@example.org"}},
		Subject: "Hola", Text: "hi\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.State != db.OutboxQueued || !m.NotBefore.Equal(now.Add(DefaultUndo)) || m.From != in.Email ||
		len(m.Rcpts) != 2 || m.Rcpts[1] != "eve@example.org" || notified != 1 {
		t.Fatalf("queued %+v (notified %d)", m, notified)
	}
	raw, err := d.OutboxRaw(ctx, ana.ID, m.ID)
	if err != nil || bytes.Contains(raw, []byte("eve@")) || !bytes.Contains(raw, []byte("Subject: Hola\r\n")) {
		t.Fatalf("bytes %q (%v)", raw, err)
	}
	if _, err := o.Undo(ctx, bea.ID, m.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("another user's undo: %v", err)
	}
	if err := o.Resolve(ctx, ana.ID, m.ID, ResolveWasSent); err == nil {
		t.Fatal("resolved a message that was not maybe sent")
	}
	if err := o.Resolve(ctx, ana.ID, m.ID, "perhaps"); err == nil {
		t.Fatal("an unknown answer was accepted")
	}
	list, err := o.List(ctx, ana.ID)
	if err != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("list %+v %v", list, err)
	}
	o.UndoWindow = time.Minute
	if _, err := o.Send(ctx, ana.ID, sending.ID, Draft{Draft: compose.Draft{To: bob}}); err == nil {
		t.Fatal("an undo window beyond MaxUndo was accepted")
	}
}
