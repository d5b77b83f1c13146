package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/oauth"
)

func TestSaveClientRules(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	s := NewSignIns(d, key)
	good := ClientInput{Issuer: discover.IssuerCustom, ClientID: "apartado", Name: "Home provider",
		AuthURL: "https://id.example.net/authorize", TokenURL: "http://127.0.0.1:9/token", Scopes: "pop smtp offline_access",
		Hosts: "pop.example.net, smtp.example.net"}
	tests := []struct {
		name  string
		edit  func(*ClientInput)
		field string // "" when valid
	}{
		{"valid", func(*ClientInput) {}, ""},
		{"unknown issuer", func(in *ClientInput) { in.Issuer = "nobody" }, FieldClientIssuer},
		{"no client ID", func(in *ClientInput) { in.ClientID = " " }, FieldClientID},
		{"control in client ID", func(in *ClientInput) { in.ClientID = "a\nb" }, FieldClientID},
		{"http elsewhere", func(in *ClientInput) { in.TokenURL = "http://id.example.net/token" }, FieldTokenURL},
		{"no token URL", func(in *ClientInput) { in.TokenURL = "" }, FieldTokenURL},
		{"no flow", func(in *ClientInput) { in.AuthURL = "" }, FieldAuthURL},
		{"device only", func(in *ClientInput) { in.AuthURL, in.DeviceAuthURL = "", "https://id.example.net/device" }, ""},
		{"credentials in URL", func(in *ClientInput) { in.AuthURL = "https://u:p@id.example.net/a" }, FieldAuthURL},
		{"no scopes", func(in *ClientInput) { in.Scopes = " , " }, FieldScopes},
		{"no hosts", func(in *ClientInput) { in.Hosts = "" }, FieldHosts},
		{"a URL for a host", func(in *ClientInput) { in.Hosts = "https://pop.example.net/" }, FieldHosts},
		{"no name", func(in *ClientInput) { in.Name = "" }, FieldClientName},
		{"known issuer needs no endpoints", func(in *ClientInput) { *in = ClientInput{Issuer: "microsoft", ClientID: "x"} }, ""},
	}
	for _, tt := range tests {
		in := good
		tt.edit(&in)
		err := s.SaveClient(ctx, in)
		var inv *Invalid
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.field != "" && !errors.As(err, &inv):
			t.Errorf("%s: got %v, want a problem with %s", tt.name, err, tt.field)
		case tt.field != "" && !hasField(inv, tt.field):
			t.Errorf("%s: problems %v, want one with %s", tt.name, inv.Problems, tt.field)
		}
	}
	if err := s.SaveClient(ctx, good); err != nil {
		t.Fatal(err)
	}
	o, ok, err := s.OfferFor(ctx, "", "ana@example.net", "POP.example.net")
	if err != nil || !ok || o.Issuer != discover.IssuerCustom || o.Name != "Home provider" || !o.Code || o.Device {
		t.Fatalf("offer for the custom provider's server: %+v %v %v", o, ok, err)
	}
	if o, ok, _ := s.OfferFor(ctx, "", "ana@outlook.com", "outlook.office365.com"); !ok || o.Issuer != discover.IssuerMicrosoft || !o.Device {
		t.Fatalf("offer for Outlook.com: %+v %v", o, ok)
	}
	if _, ok, _ := s.OfferFor(ctx, "", "ana@gmail.com", "pop.gmail.com"); ok {
		t.Fatal("Google offered without a registration")
	}
}

func hasField(inv *Invalid, field string) bool {
	for _, p := range inv.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

// tokenEndpoint is a provider's token endpoint that renews refresh token
// "r1" (until revoked) and counts the renewals.
type tokenEndpoint struct {
	renewals atomic.Int32
	revoked  atomic.Bool
	lifetime time.Duration
	delay    time.Duration
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("client_id") != "apartado" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	time.Sleep(e.delay)
	w.Header().Set("Content-Type", "application/json")
	if e.revoked.Load() || r.PostForm.Get("refresh_token") != "r1" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"the grant was revoked"}`))
		return
	}
	n := e.renewals.Add(1)
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "access-" + string(rune('0'+n)), "token_type": "Bearer",
		"expires_in": int(e.lifetime / time.Second)})
}

// TestTokenRenewal: an access token is renewed shortly before it expires,
// not before; once for several callers at once; and a revoked grant is
// recorded, so that it is not asked again and pages can say so.
func TestTokenRenewal(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	ep := &tokenEndpoint{lifetime: time.Hour, delay: 50 * time.Millisecond}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	s := NewSignIns(d, key)
	// The provider's expiry is counted from the real clock.
	now := time.Now()
	s.Now = func() time.Time { return now }
	if err := s.SaveClient(ctx, ClientInput{Issuer: discover.IssuerCustom, ClientID: "apartado", Name: "Test",
		TokenURL: srv.URL + "/token", AuthURL: srv.URL + "/authorize", Scopes: "pop", Hosts: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	u, err := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.keep(ctx, u.ID, discover.IssuerCustom, oauth.Token{Access: "access-0", Refresh: "r1", Expiry: now.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Token(ctx, u.ID, g.ID, false); err != nil || tok != "access-0" || ep.renewals.Load() != 0 {
		t.Fatalf("fresh token: %q %v, %d renewals", tok, err, ep.renewals.Load())
	}
	now = now.Add(9 * time.Minute) // within RenewBefore of its expiry
	var wg sync.WaitGroup
	toks := make([]string, 4)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			toks[i], _ = s.Token(ctx, u.ID, g.ID, false)
		}()
	}
	wg.Wait()
	for _, tok := range toks {
		if tok != "access-1" {
			t.Fatalf("tokens after renewal: %q", toks)
		}
	}
	if n := ep.renewals.Load(); n != 1 {
		t.Fatalf("%d renewals for 4 callers at once, want 1", n)
	}
	if g2, _ := d.Grant(ctx, u.ID, g.ID); g2.Expiry.Before(time.Now().Add(50 * time.Minute)) {
		t.Fatalf("renewed expiry %v", g2.Expiry)
	}
	// A refusal by the server: renew asks again whatever the expiry.
	if tok, err := s.Token(ctx, u.ID, g.ID, true); err != nil || tok != "access-2" {
		t.Fatalf("renew: %q %v", tok, err)
	}
	ep.revoked.Store(true)
	_, err = s.Token(ctx, u.ID, g.ID, true)
	if !errors.Is(err, oauth.ErrRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	if g2, _ := d.Grant(ctx, u.ID, g.ID); g2.FailedAt == nil {
		t.Fatal("the refusal was not recorded")
	}
	before := ep.renewals.Load()
	if _, err := s.Token(ctx, u.ID, g.ID, false); !errors.Is(err, oauth.ErrRevoked) || ep.renewals.Load() != before {
		t.Fatalf("after the refusal: %v", err)
	}
	// A sign-in that is gone (another user's, or deleted) asks to sign in again.
	if _, err := s.Token(ctx, u.ID+1, g.ID, false); !errors.Is(err, oauth.ErrRevoked) {
		t.Fatalf("another user's grant: %v", err)
	}
	// Without the registration, the grant cannot be renewed.
	if err := s.DeleteClient(ctx, discover.IssuerCustom); err != nil {
		t.Fatal(err)
	}
	g3, _ := s.keep(ctx, u.ID, discover.IssuerCustom, oauth.Token{Access: "x", Refresh: "r1", Expiry: now})
	if _, err := s.Token(ctx, u.ID, g3.ID, false); !errors.Is(err, ErrNoClient) {
		t.Fatalf("no client: %v", err)
	}
}

// TestAccountWithSignIn: an account saved with a sign-in needs no
// password; another user's sign-in is refused; a typed password replaces
// the sign-in, and going back to a sign-in needs one.
func TestAccountWithSignIn(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	users := NewUsers(d, nil, fastParams)
	ana, _ := users.Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	bob, _ := users.Create(ctx, NewUser{Name: "bob", Password: "correct horse"})
	s := NewSignIns(d, key)
	g, err := s.keep(ctx, ana.ID, discover.IssuerMicrosoft, oauth.Token{Access: "a", Refresh: "r"})
	if err != nil {
		t.Fatal(err)
	}
	accounts := NewAccounts(d, key)
	in := goodAccount()
	in.Password, in.OAuthGrant = "", g.ID
	if _, err := accounts.Create(ctx, bob.ID, in); !isProblem(err, FieldPOP3Pass) {
		t.Fatalf("another user's sign-in: %v", err)
	}
	a, err := accounts.Create(ctx, ana.ID, in)
	if err != nil || a.OAuthGrant != g.ID || len(a.PasswordSealed) != 0 {
		t.Fatalf("created: %+v %v", a.AccountSettings, err)
	}
	// Editing without a password keeps the sign-in.
	in.Name = "Outlook"
	if st, err := accounts.Update(ctx, ana.ID, a, in); err != nil || st.OAuthGrant != g.ID {
		t.Fatalf("edit: %+v %v", st, err)
	}
	// A password replaces it.
	in.Password = "pop secret"
	if st, err := accounts.Update(ctx, ana.ID, a, in); err != nil || st.OAuthGrant != 0 {
		t.Fatalf("password: %+v %v", st, err)
	}
	a, _ = d.Account(ctx, ana.ID, a.ID)
	// Without a password or a sign-in, an account that had one asks.
	in.Password, in.OAuthGrant = "", 0
	a.OAuthGrant = g.ID
	if _, err := accounts.Update(ctx, ana.ID, a, in); !isProblem(err, FieldPOP3Pass) {
		t.Fatalf("neither: %v", err)
	}
}

func isProblem(err error, field string) bool {
	var inv *Invalid
	return errors.As(err, &inv) && hasField(inv, field)
}

// TestSignInFailure: the poller, the outbox and the connection test tell
// a sign-in's failures apart by one mapping.
func TestSignInFailure(t *testing.T) {
	for _, tt := range []struct {
		err  error
		kind string
	}{
		{fmt.Errorf("renewing: %w", oauth.ErrRevoked), diagnose.KindSignInAgain},
		{oauth.ErrDenied, diagnose.KindSignInAgain},
		{ErrNoClient, diagnose.KindSignInUnregistered},
		{fmt.Errorf("x: %w", oauth.ErrClient), diagnose.KindSignInUnregistered},
		{fmt.Errorf("x: %w: %w", oauth.ErrUnavailable, errors.New("dial")), diagnose.KindSignInUnavailable},
		{db.ErrNotFound, ""},
		{errors.New("disk full"), ""},
	} {
		kind, ok := SignInFailure(tt.err)
		if kind != tt.kind || ok != (tt.kind != "") {
			t.Errorf("%v: %q %v, want %q", tt.err, kind, ok, tt.kind)
		}
	}
}
