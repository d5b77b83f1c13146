package db

import (
	"errors"
	"testing"
	"time"
)

func TestOAuthClients(t *testing.T) {
	d := openTest(t)
	if _, err := d.OAuthClient(ctx, "microsoft"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("none registered: %v", err)
	}
	c := OAuthClient{Issuer: "microsoft", ClientID: "id-1", SecretSealed: []byte("s1")}
	if err := d.SaveOAuthClient(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	// A blank secret with keepSecret keeps it; without, clears it.
	c.ClientID, c.SecretSealed = "id-2", nil
	if err := d.SaveOAuthClient(ctx, c, true); err != nil {
		t.Fatal(err)
	}
	got, err := d.OAuthClient(ctx, "microsoft")
	if err != nil || got.ClientID != "id-2" || string(got.SecretSealed) != "s1" {
		t.Fatalf("kept: %+v %v", got, err)
	}
	if err := d.SaveOAuthClient(ctx, c, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.OAuthClient(ctx, "microsoft"); got.SecretSealed != nil {
		t.Fatalf("cleared: %+v", got)
	}
	custom := OAuthClient{Issuer: IssuerCustom, ClientID: "c", Name: "Mine", TokenURL: "https://t", AuthURL: "https://a",
		Scopes: []string{"pop", "smtp"}, Hosts: []string{"pop.example.net", "smtp.example.net"}}
	if err := d.SaveOAuthClient(ctx, custom, false); err != nil {
		t.Fatal(err)
	}
	cs, err := d.OAuthClients(ctx)
	if err != nil || len(cs) != 2 || cs[0].Issuer != IssuerCustom || len(cs[0].Hosts) != 2 || cs[0].Scopes[1] != "smtp" {
		t.Fatalf("list: %+v %v", cs, err)
	}
	if err := d.DeleteOAuthClient(ctx, "microsoft"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.OAuthClient(ctx, "microsoft"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := d.SaveOAuthClient(ctx, OAuthClient{Issuer: "google"}, false); err == nil {
		t.Fatal("an empty client ID was stored")
	}
}

// TestAccountWithGrant: an account that signs in with the provider keeps
// no password, belongs to its grant, and survives the grant's deletion
// without a dangling reference.
func TestAccountWithGrant(t *testing.T) {
	d := openTest(t)
	if _, err := d.CreateUser(ctx, "admin", "h", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	ana, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	bob, _ := d.CreateUser(ctx, "bob", "h", RoleMember)
	exp := time.Unix(2_000_000_000, 0)
	g, err := d.CreateGrant(ctx, ana.ID, "microsoft", GrantTokens{Login: "ana@outlook.com", RefreshSealed: []byte("r"),
		AccessSealed: []byte("a"), Expiry: exp})
	if err != nil {
		t.Fatal(err)
	}
	if g.Login != "ana@outlook.com" || !g.Expiry.Equal(exp) || g.FailedAt != nil {
		t.Fatalf("grant: %+v", g)
	}
	if _, err := d.Grant(ctx, bob.ID, g.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's grant: %v", err)
	}
	s := AccountSettings{Name: "Outlook", Email: "ana@outlook.com", Host: "outlook.office365.com", Port: 995,
		Security: "tls", Username: "ana@outlook.com", OAuthGrant: g.ID, PollInterval: 10 * time.Minute, Enabled: true}
	a, err := d.CreateAccount(ctx, ana.ID, s)
	if err != nil {
		t.Fatal(err)
	}
	if a.OAuthGrant != g.ID || len(a.PasswordSealed) != 0 {
		t.Fatalf("account: grant %d password %q", a.OAuthGrant, a.PasswordSealed)
	}
	// Renewal keeps the refresh token when none is given; a failure is
	// recorded and cleared by the next renewal.
	if err := d.FailGrant(ctx, ana.ID, g.ID, "invalid_grant"); err != nil {
		t.Fatal(err)
	}
	if g2, _ := d.Grant(ctx, ana.ID, g.ID); g2.FailedAt == nil || g2.Failure != "invalid_grant" || g2.AccessSealed != nil {
		t.Fatalf("failed: %+v", g2)
	}
	if err := d.RenewGrant(ctx, ana.ID, g.ID, GrantTokens{AccessSealed: []byte("a2"), Expiry: exp.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if g2, _ := d.Grant(ctx, ana.ID, g.ID); g2.FailedAt != nil || string(g2.RefreshSealed) != "r" || string(g2.AccessSealed) != "a2" {
		t.Fatalf("renewed: %+v", g2)
	}
	// A typed password replaces the sign-in.
	s.OAuthGrant, s.PasswordSealed = 0, []byte("sealed")
	if err := d.UpdateAccount(ctx, ana.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	if a, _ = d.Account(ctx, ana.ID, a.ID); a.OAuthGrant != 0 || string(a.PasswordSealed) != "sealed" {
		t.Fatalf("password again: %+v", a.AccountSettings)
	}
	// And a sign-in replaces the password.
	s.OAuthGrant, s.PasswordSealed = g.ID, nil
	if err := d.UpdateAccount(ctx, ana.ID, a.ID, s); err != nil {
		t.Fatal(err)
	}
	if a, _ = d.Account(ctx, ana.ID, a.ID); a.OAuthGrant != g.ID || len(a.PasswordSealed) != 0 {
		t.Fatalf("signed in again: %+v", a.AccountSettings)
	}
	// Unused grants older than the cut are deleted; a used one stays.
	unused, _ := d.CreateGrant(ctx, ana.ID, "microsoft", GrantTokens{AccessSealed: []byte("x")})
	if err := d.DeleteUnusedGrants(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Grant(ctx, ana.ID, unused.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unused grant kept: %v", err)
	}
	if _, err := d.Grant(ctx, ana.ID, g.ID); err != nil {
		t.Fatalf("used grant: %v", err)
	}
	// Deleting the user deletes the grants with the accounts.
	if err := d.DeleteUser(ctx, ana.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Grant(ctx, ana.ID, g.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("grant of a deleted user: %v", err)
	}
}
