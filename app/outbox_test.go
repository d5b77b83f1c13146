package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/smtpclient"
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

// sendingAccount is an account of a new user that sends through
// smtp.example.net, and the outbox.
func sendingAccount(t *testing.T, email string) (*db.DB, db.User, db.Account, *Outbox) {
	t.Helper()
	d := openDB(t)
	key, _ := secret.Generate()
	u, err := d.CreateUser(context.Background(), "ana", "h", db.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	in := goodAccount()
	in.Email = email
	in.Outgoing = OutgoingInput{Host: "smtp.example.net", Security: "tls"}
	acc, err := NewAccounts(d, key).Create(context.Background(), u.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	return d, u, acc, NewOutbox(d)
}

// offer records what the account's outgoing server offers, as a test or a
// delivery would, and returns the account as stored.
func offer(t *testing.T, d *db.DB, acc db.Account, c smtpclient.Capabilities) db.Account {
	t.Helper()
	ctx := context.Background()
	if err := NewAccounts(d, nil).RecordOffers(ctx, acc.UserID, acc.ID, acc.Outgoing, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	acc, err := d.Account(ctx, acc.UserID, acc.ID)
	if err != nil || !acc.OutgoingOffers.Known() {
		t.Fatalf("offers not recorded: %+v %v", acc.OutgoingOffers, err)
	}
	return acc
}

// A message larger than the account's outgoing server's SIZE is refused
// before it is queued, on the attachments, with both sizes and the
// server's name; the outbox's own bound holds whatever the server says.
func TestOutboxSizeLimit(t *testing.T) {
	ctx := context.Background()
	d, u, acc, o := sendingAccount(t, "ana@example.net")
	draft := Draft{Draft: compose.Draft{To: []compose.Address{{Addr: "bob@example.org"}},
		Attachments: []compose.Attachment{{Name: "photo.jpg", Open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(bytes.Repeat([]byte{0xff, 0xd8, 0x01}, 100_000))), nil
		}}}}}
	// Unknown server: the outbox's bound only.
	if got := o.SizeLimit(acc); got != DefaultMaxSendSize {
		t.Fatalf("limit of an unseen server %d", got)
	}
	if _, err := o.Send(ctx, u.ID, acc.ID, draft); err != nil {
		t.Fatalf("unseen server: %v", err)
	}
	// The server takes at most 250 kB: the 400 kB message is refused.
	acc = offer(t, d, acc, smtpclient.Capabilities{MaxSize: 250_000})
	if got := o.SizeLimit(acc); got != 250_000 {
		t.Fatalf("limit %d", got)
	}
	_, err := o.Send(ctx, u.ID, acc.ID, draft)
	inv, ok := AsInvalid(err)
	if !ok {
		t.Fatalf("over the server's SIZE: %v", err)
	}
	p, ok := inv.On(compose.FieldAttachment)
	if !ok || len(inv.Problems) != 1 {
		t.Fatalf("problems %v, want one on the attachments", inv)
	}
	es := i18n.New(i18n.Supported[1])
	for _, l := range []*i18n.Locale{i18n.New(i18n.Supported[0]), es} {
		text := l.T(p.Key, p.Args...)
		if !strings.Contains(text, "smtp.example.net") || !strings.Contains(text, "250\u00a0KB") || !strings.Contains(text, "\u00a0KB;") {
			t.Errorf("%s: %q does not say both sizes and the server", l.Code(), text)
		}
	}
	if l := es.T(p.Key, p.Args...); l == i18n.New(i18n.Supported[0]).T(p.Key, p.Args...) {
		t.Errorf("not translated: %q", l)
	}
	// No limit given: the outbox's bound again; and a server's SIZE above
	// it does not raise it.
	acc = offer(t, d, acc, smtpclient.Capabilities{})
	if got := o.SizeLimit(acc); got != DefaultMaxSendSize {
		t.Fatalf("limit without SIZE %d", got)
	}
	acc = offer(t, d, acc, smtpclient.Capabilities{MaxSize: 1 << 40})
	if got := o.SizeLimit(acc); got != DefaultMaxSendSize {
		t.Fatalf("limit of a generous server %d", got)
	}
	o.MaxSize = 100_000
	_, err = o.Send(ctx, u.ID, acc.ID, draft)
	if inv, ok := AsInvalid(err); !ok || len(inv.Problems) != 1 || inv.Problems[0].Field != compose.FieldAttachment {
		t.Fatalf("over the outbox's bound: %v", err)
	}
}

// RFC 6532 before queueing: an address with a UTF-8 user name is refused
// when the account's server does not offer SMTPUTF8, and written as it is
// (names and subject still encoded words) when it does; only then does
// the message need SMTPUTF8.
func TestOutboxSMTPUTF8(t *testing.T) {
	ctx := context.Background()
	d, u, acc, o := sendingAccount(t, "ana@example.net")
	o.UndoWindow = 0
	zoe := Draft{Draft: compose.Draft{To: []compose.Address{{Name: "Zoë", Addr: "zoë@bücher.example"}}, Subject: "Ça va?", Text: "hola\n"}}

	acc = offer(t, d, acc, smtpclient.Capabilities{MaxSize: 1 << 20})
	_, err := o.Send(ctx, u.ID, acc.ID, zoe)
	inv, ok := AsInvalid(err)
	if !ok {
		t.Fatalf("without SMTPUTF8: %v", err)
	}
	if p, ok := inv.On(compose.FieldTo); !ok || !strings.Contains(p.String(), "smtp.example.net") || !strings.Contains(p.String(), "zoë@bücher.example") {
		t.Fatalf("problems %v, want one on To naming the address and the server", inv)
	}
	// A domain beyond ASCII needs nothing: it goes out as IDNA.
	m, err := o.Send(ctx, u.ID, acc.ID, Draft{Draft: compose.Draft{To: []compose.Address{{Addr: "zoe@bücher.example"}}, Text: "hola\n"}})
	if err != nil || m.SMTPUTF8 || m.Rcpts[0] != "zoe@xn--bcher-kva.example" {
		t.Fatalf("an IDNA domain: %+v %v", m, err)
	}

	acc = offer(t, d, acc, smtpclient.Capabilities{SMTPUTF8: true})
	m, err = o.Send(ctx, u.ID, acc.ID, zoe)
	if err != nil {
		t.Fatal(err)
	}
	if !m.SMTPUTF8 || m.Rcpts[0] != "zoë@xn--bcher-kva.example" {
		t.Fatalf("queued %+v", m)
	}
	raw, err := d.OutboxRaw(ctx, u.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	to, err := mr.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "zoë@xn--bcher-kva.example" || to[0].Name != "Zoë" {
		t.Fatalf("To reads back as %v, %v", to, err)
	}
	if sub, err := mr.Header.Subject(); err != nil || sub != "Ça va?" {
		t.Fatalf("Subject %q, %v", sub, err)
	}
	head := string(raw[:bytes.Index(raw, []byte("\r\n\r\n"))])
	if !strings.Contains(head, "To: =?utf-8?b?Wm/Dqw==?= <zoë@xn--bcher-kva.example>\r\n") || !strings.Contains(head, "Subject: =?utf-8?q?") {
		t.Fatalf("header:\n%s", head)
	}
	// The same server, ASCII addresses: no SMTPUTF8, whatever the subject.
	m, err = o.Send(ctx, u.ID, acc.ID, Draft{Draft: compose.Draft{To: []compose.Address{{Name: "Zoë", Addr: "zoe@example.org"}}, Subject: "Ça va?"}})
	if err != nil || m.SMTPUTF8 {
		t.Fatalf("ASCII addresses: %+v %v", m, err)
	}
}

// The account's own address with a UTF-8 user name is the account's
// problem when its server does not offer SMTPUTF8.
func TestOutboxSMTPUTF8Sender(t *testing.T) {
	d, u, acc, o := sendingAccount(t, "josé@example.net")
	acc = offer(t, d, acc, smtpclient.Capabilities{})
	_, err := o.Send(context.Background(), u.ID, acc.ID, Draft{Draft: compose.Draft{To: []compose.Address{{Addr: "bob@example.org"}}}})
	inv, ok := AsInvalid(err)
	if !ok {
		t.Fatalf("%v", err)
	}
	if p, ok := inv.On(FieldAccount); !ok || !strings.Contains(p.String(), "josé@example.net") {
		t.Fatalf("problems %v, want one on the account", inv)
	}
}
