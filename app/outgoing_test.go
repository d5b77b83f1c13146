package app

import (
	"context"
	"testing"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

func TestSameProvider(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"pop.gmail.com", "smtp.gmail.com", true},
		{"POP.GMAIL.COM.", "smtp.gmail.com", true},
		{"pop3.example.co.uk", "smtp.example.co.uk", true},
		{"pop.example.co.uk", "smtp.other.co.uk", false},
		{"pop.gmail.com", "smtp.gmail.com.evil.example", false},
		{"mail.example.net", "mail.example.net", true},
		{"192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
		{"pop.example.net", "192.0.2.1", false},
		{"[2001:db8::1]", "2001:db8::1", true},
		// Two registrable domains, one provider by the table.
		{"outlook.office365.com", "smtp-mail.outlook.com", true},
		{"OUTLOOK.office365.com", "smtp-mail.outlook.com", true},
		{"smtp-mail.outlook.com", "outlook.office365.com", false},
		{"pop.example.net", "", false},
		{"user.github.io", "other.github.io", false}, // a public suffix of its own
	} {
		if got := SameProvider(tc.a, tc.b); got != tc.want {
			t.Errorf("SameProvider(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestOutgoingRules(t *testing.T) {
	stored := db.Account{ID: 1, UserID: 1, AccountSettings: db.AccountSettings{Email: "ana@example.net", Host: "pop.example.net",
		Port: 995, Security: "tls", Username: "ana", PasswordSealed: []byte("sealed"),
		Outgoing: db.Outgoing{Host: "smtp.other.net", Port: 587, Security: "starttls", Auth: "password", PasswordSealed: []byte("own")}}}
	for _, tc := range []struct {
		name   string
		out    OutgoingInput
		stored *db.Account
		bad    string
		same   bool
		port   int
	}{
		{"none", OutgoingInput{}, nil, "", true, 0},
		{"same provider, incoming password", OutgoingInput{Host: "smtp.example.net", Security: "tls"}, nil, "", true, 465},
		{"starttls default port", OutgoingInput{Host: "smtp.example.net", Security: "starttls"}, nil, "", true, 587},
		{"port 25 with starttls", OutgoingInput{Host: "smtp.example.net", Security: "starttls", Port: 25}, nil, "", true, 25},
		{"another provider needs its password", OutgoingInput{Host: "smtp.other.net", Security: "tls"}, nil, FieldSMTPPassword, false, 0},
		{"another provider with its password", OutgoingInput{Host: "smtp.other.net", Security: "tls", Password: "p"}, nil, "", false, 465},
		{"no auth needs no password", OutgoingInput{Host: "smtp.other.net", Security: "starttls", Auth: "none"}, nil, "", true, 587},
		{"tls on 587", OutgoingInput{Host: "smtp.example.net", Security: "tls", Port: 587}, nil, FieldSMTPPort, false, 0},
		{"starttls on 465", OutgoingInput{Host: "smtp.example.net", Security: "starttls", Port: 465}, nil, FieldSMTPPort, false, 0},
		{"unknown security", OutgoingInput{Host: "smtp.example.net", Security: "ssl"}, nil, FieldSMTPSecurity, false, 0},
		{"unknown auth", OutgoingInput{Host: "smtp.example.net", Security: "tls", Auth: "magic"}, nil, FieldSMTPAuth, false, 0},
		{"a URL", OutgoingInput{Host: "smtp://smtp.example.net", Security: "tls"}, nil, FieldSMTPHost, false, 0},
		{"user name with a line end", OutgoingInput{Host: "smtp.example.net", Security: "tls", Username: "a\r\nb"}, nil, FieldSMTPUsername, false, 0},
		{"stored own password kept", OutgoingInput{Host: "smtp.other.net", Security: "starttls"}, &stored, "", false, 587},
		{"own password not sent to a changed server", OutgoingInput{Host: "smtp.third.net", Security: "starttls"}, &stored, FieldSMTPPassword, false, 0},
	} {
		in := goodAccount()
		in.Host = "pop.example.net"
		in.Outgoing = tc.out
		if tc.stored != nil {
			in.Password = ""
		}
		s, _, err := AccountSettings(in, tc.stored)
		inv, _ := AsInvalid(err)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.bad != "" && (inv == nil || len(inv.Fields()) != 1 || inv.Fields()[0] != tc.bad):
			t.Errorf("%s: %v, want a problem with %s alone", tc.name, err, tc.bad)
		case tc.bad == "" && (s.Outgoing.SamePassword != tc.same || s.Outgoing.Port != tc.port):
			t.Errorf("%s: %+v, want same password %v, port %d", tc.name, s.Outgoing, tc.same, tc.port)
		}
	}
}

// TestOutgoingPasswords: an account's outgoing password is the incoming
// one for the same provider, its own otherwise, kept on edit while the
// server stays, and dropped for the incoming one when asked.
func TestOutgoingPasswords(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	u, err := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	s := NewAccounts(d, key)
	in := goodAccount()
	in.Outgoing = OutgoingInput{Host: "smtp.example.net", Security: "starttls"}
	a, err := s.Create(ctx, u.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := s.OutgoingPassword(a); err != nil || pw != "pop secret" || !a.Outgoing.SamePassword {
		t.Fatalf("same provider: %q %v %+v", pw, err, a.Outgoing)
	}
	// Another provider, with its own password.
	in.Password = ""
	in.Outgoing = OutgoingInput{Host: "smtp.relay.example", Security: "tls", Username: "ana-out", Password: "smtp secret"}
	if _, err := s.Update(ctx, u.ID, a, in); err != nil {
		t.Fatal(err)
	}
	a, _ = d.Account(ctx, u.ID, a.ID)
	if pw, _ := s.OutgoingPassword(a); pw != "smtp secret" || a.Outgoing.SamePassword || a.Outgoing.Username != "ana-out" || a.Outgoing.Port != 465 {
		t.Fatalf("own password: %q %+v", pw, a.Outgoing)
	}
	// Saved again unchanged, without typing it: kept.
	in.Outgoing.Password = ""
	if _, err := s.Update(ctx, u.ID, a, in); err != nil {
		t.Fatal(err)
	}
	a, _ = d.Account(ctx, u.ID, a.ID)
	if pw, _ := s.OutgoingPassword(a); pw != "smtp secret" {
		t.Fatalf("kept: %q", pw)
	}
	// Its sealed password does not open as an incoming one.
	if _, err := key.Open(a.Outgoing.PasswordSealed, PasswordContext(u.ID)); err == nil {
		t.Fatal("the outgoing password opened in the incoming context")
	}
	// Back to the provider's own server: the incoming password again.
	in.Outgoing = OutgoingInput{Host: "smtp.example.net", Security: "tls"}
	if _, err := s.Update(ctx, u.ID, a, in); err != nil {
		t.Fatal(err)
	}
	a, _ = d.Account(ctx, u.ID, a.ID)
	if pw, _ := s.OutgoingPassword(a); pw != "pop secret" || !a.Outgoing.SamePassword || a.Outgoing.PasswordSealed != nil {
		t.Fatalf("back to same: %q %+v", pw, a.Outgoing)
	}
	// And no outgoing server at all.
	in.Outgoing = OutgoingInput{}
	if _, err := s.Update(ctx, u.ID, a, in); err != nil {
		t.Fatal(err)
	}
	a, _ = d.Account(ctx, u.ID, a.ID)
	if a.Outgoing.Configured() {
		t.Fatalf("still configured: %+v", a.Outgoing)
	}
}
