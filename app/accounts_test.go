package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

func goodAccount() AccountInput {
	return AccountInput{Email: "ana@example.net", Host: "pop.example.net", Security: "tls", Username: "ana",
		Password: "pop secret", Interval: 10 * time.Minute}
}

func TestAccountSettingsRules(t *testing.T) {
	stored := db.Account{ID: 1, UserID: 1, AccountSettings: db.AccountSettings{Email: "ana@example.net", Host: "pop.example.net",
		Port: 995, Security: "tls", Username: "ana", PasswordSealed: []byte("sealed")}}
	for _, tc := range []struct {
		name   string
		edit   func(*AccountInput)
		stored *db.Account
		bad    string
	}{
		{"good", func(*AccountInput) {}, nil, ""},
		{"default port for tls", func(in *AccountInput) { in.Port = 0 }, nil, ""},
		{"7 minutes", func(in *AccountInput) { in.Interval = 7 * time.Minute }, nil, ""},
		{"90 seconds", func(in *AccountInput) { in.Interval = 90 * time.Second }, nil, FieldInterval},
		{"no interval", func(in *AccountInput) { in.Interval = 0 }, nil, FieldInterval},
		{"a day and a minute", func(in *AccountInput) { in.Interval = 24*time.Hour + time.Minute }, nil, FieldInterval},
		{"unreadable port", func(in *AccountInput) { in.Port = -1 }, nil, FieldPort},
		{"tls on 110", func(in *AccountInput) { in.Port = 110 }, nil, FieldPort},
		{"none on 995", func(in *AccountInput) { in.Security, in.Port = "none", 995 }, nil, FieldPort},
		{"unknown security", func(in *AccountInput) { in.Security = "ssl" }, nil, FieldSecurity},
		{"IPv6 host", func(in *AccountInput) { in.Host = "[2001:db8::1]" }, nil, ""},
		{"host with scheme", func(in *AccountInput) { in.Host = "https://pop.example.net" }, nil, FieldHost},
		{"host label with a space", func(in *AccountInput) { in.Host = "pop example.net" }, nil, FieldHost},
		{"no password, new", func(in *AccountInput) { in.Password = "" }, nil, FieldPOP3Pass},
		{"no password, same server", func(in *AccountInput) { in.Password = "" }, &stored, ""},
		{"no password, same server in capitals", func(in *AccountInput) { in.Password, in.Host = "", "POP.example.NET" }, &stored, ""},
		{"no password, other host", func(in *AccountInput) { in.Password, in.Host = "", "evil.example" }, &stored, FieldPOP3Pass},
		{"no password, other port", func(in *AccountInput) { in.Password, in.Port = "", 9995 }, &stored, FieldPOP3Pass},
		{"no password, other security", func(in *AccountInput) { in.Password, in.Security, in.Port = "", "starttls", 110 }, &stored, FieldPOP3Pass},
		{"no password, other user", func(in *AccountInput) { in.Password, in.Username = "", "bea" }, &stored, FieldPOP3Pass},
		{"password with a line end", func(in *AccountInput) { in.Password = "a\r\nQUIT" }, nil, FieldPOP3Pass},
		{"bad fingerprint", func(in *AccountInput) { in.TrustedCert = "abc" }, nil, FieldTrust},
		{"after days ignored when deleting", func(in *AccountInput) { in.DeleteAfterDownload, in.DeleteAfterDays = true, -1 }, nil, ""},
		{"after -1 days", func(in *AccountInput) { in.DeleteAfterDays = -1 }, nil, FieldAfterDays},
		{"when deleted unknown", func(in *AccountInput) { in.WhenDeleted = "soon" }, nil, FieldWhenDeleted},
	} {
		in := goodAccount()
		tc.edit(&in)
		_, _, err := AccountSettings(in, tc.stored)
		inv, _ := AsInvalid(err)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.bad != "" && (inv == nil || len(inv.Fields()) != 1 || inv.Fields()[0] != tc.bad):
			t.Errorf("%s: %v, want a problem with %s alone", tc.name, err, tc.bad)
		}
	}
}

// TestTrustedCertBoundToServer: a fingerprint trusted for one host and
// port is kept for that server only.
func TestTrustedCertBoundToServer(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	in := goodAccount()
	in.TrustedCert, in.TrustedFor = "AB:"+strings.Repeat("AB", 31), "pop.example.net:995"
	s, _, err := AccountSettings(in, nil)
	if err != nil || s.TrustedCert != fp {
		t.Fatalf("same server: %q %v", s.TrustedCert, err)
	}
	in.Host = "other.example.net"
	if s, _, _ := AccountSettings(in, nil); s.TrustedCert != "" {
		t.Fatalf("another server kept the fingerprint %q", s.TrustedCert)
	}
	in.TrustedFor = "" // the command line: for this account's server
	if s, _, _ := AccountSettings(in, nil); s.TrustedCert != fp {
		t.Fatalf("command line: %q", s.TrustedCert)
	}
}

func TestAccountsCreateUpdate(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	u, err := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	s := NewAccounts(d, key)
	a, err := s.Create(ctx, u.ID, goodAccount())
	if err != nil {
		t.Fatal(err)
	}
	if a.Port != 995 || a.Name != "ana@example.net" || !a.Enabled {
		t.Fatalf("created %+v", a.AccountSettings)
	}
	if pw, err := s.Open(a); err != nil || pw != "pop secret" {
		t.Fatalf("Open: %q %v", pw, err)
	}
	// Another user's context does not open it.
	other := a
	other.UserID = u.ID + 1
	if _, err := s.Open(other); err == nil {
		t.Fatal("a sealed password opened for another user")
	}
	// An edit with no password keeps it; a disabled account stays disabled.
	if err := d.UpdateAccount(ctx, u.ID, a.ID, func() db.AccountSettings { x := a.AccountSettings; x.Enabled = false; return x }()); err != nil {
		t.Fatal(err)
	}
	a, _ = d.Account(ctx, u.ID, a.ID)
	in := goodAccount()
	in.Password, in.Interval = "", 7*time.Minute
	if _, err := s.Update(ctx, u.ID, a, in); err != nil {
		t.Fatal(err)
	}
	a, _ = d.Account(ctx, u.ID, a.ID)
	if pw, _ := s.Open(a); pw != "pop secret" || a.PollInterval != 7*time.Minute || a.Enabled {
		t.Fatalf("after update: %q %v enabled=%v", pw, a.PollInterval, a.Enabled)
	}
	// Moving it to another server without the password is refused, and
	// nothing changes.
	in.Host = "evil.example"
	if _, err := s.Update(ctx, u.ID, a, in); err == nil {
		t.Fatal("moved without the password")
	}
	if b, _ := d.Account(ctx, u.ID, a.ID); b.Host != "pop.example.net" {
		t.Fatalf("host %q", b.Host)
	}
}
