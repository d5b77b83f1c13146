package poller

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/oauthtest"
)

// signedIn is a fixture whose Dovecot checks access tokens at a real
// OAuth provider on loopback, registered as the household's own provider,
// and an account of alice's that signed in there.
type signedIn struct {
	*fixture
	prov    *oauthtest.Provider
	signIns *app.SignIns
	grant   db.Grant
	account db.Account
}

func newSignedIn(t *testing.T, provOpts oauthtest.Options, extraDovecot string) *signedIn {
	t.Helper()
	prov := oauthtest.Start(t, provOpts)
	f := newFixture(t, dovecottest.Options{OAuth2: prov.DovecotOAuth2(), ExtraConfig: extraDovecot})
	ctx := context.Background()
	s := &signedIn{fixture: f, prov: prov, signIns: app.NewSignIns(f.db, f.key)}
	f.p.SignIns = s.signIns
	const redirect = "http://127.0.0.1:1/oauth/callback"
	clientID := prov.RegisterClient([]string{redirect}, true, "")
	if err := s.signIns.SaveClient(ctx, app.ClientInput{Issuer: discover.IssuerCustom, ClientID: clientID, Name: "Test provider",
		AuthURL: prov.AuthURL, TokenURL: prov.TokenURL, DeviceAuthURL: prov.DeviceAuthURL,
		Scopes: "openid email offline_access pop smtp", Hosts: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	// The authorization code flow with PKCE, as the account form runs it.
	start, err := s.signIns.StartCode(ctx, discover.IssuerCustom, redirect, "alice@example.test")
	if err != nil {
		t.Fatal(err)
	}
	back, err := prov.SignIn(ctx, start.URL, "alice", "secret")
	if err != nil {
		t.Fatal(err)
	}
	if back.Query().Get("state") != start.State {
		t.Fatalf("state %q, want %q", back.Query().Get("state"), start.State)
	}
	s.grant, err = s.signIns.FinishCode(ctx, f.user.ID, discover.IssuerCustom, redirect, back.Query().Get("code"), start.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(f.srv.TLSAddr)
	portN, _ := strconv.Atoi(port)
	s.account, err = f.db.CreateAccount(ctx, f.user.ID, db.AccountSettings{Name: "Signed in", Email: "alice@example.test",
		Host: host, Port: portN, Security: "tls", Username: "alice", OAuthGrant: s.grant.ID,
		PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSyncSignedIn: an account that signed in with its provider syncs
// over POP3 with the access token, by OAUTHBEARER where Dovecot offers it
// and by XOAUTH2 where it offers only that.
func TestSyncSignedIn(t *testing.T) {
	for _, tt := range []struct{ name, mechs string }{
		{"OAUTHBEARER", ""},
		{"XOAUTH2", "auth_mechanisms = plain login xoauth2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSignedIn(t, oauthtest.Options{}, tt.mechs)
			if s.grant.Login != "alice@example.test" {
				t.Errorf("the grant names %q, not who signed in", s.grant.Login)
			}
			msgs := mailbox(5)
			if err := s.srv.AddMessages("alice", msgs); err != nil {
				t.Fatal(err)
			}
			res, err := s.p.SyncAccount(context.Background(), s.account.ID)
			if err != nil || res.Err != nil || res.New != 5 {
				t.Fatalf("sync: %+v %v", res, err)
			}
			if log := s.srv.Log(); !strings.Contains(log, "user=<alice>, method="+tt.name) {
				t.Fatalf("Dovecot's log names no login with %s:\n%s", tt.name, log)
			}
		})
	}
}

// TestSyncRenewsTheToken: an access token that expired is renewed before
// the sync, and one the server refuses before its time is renewed once
// and the sync goes on.
func TestSyncRenewsTheToken(t *testing.T) {
	s := newSignedIn(t, oauthtest.Options{AccessTokenLifetime: 3 * time.Second, RotateRefreshTokens: true}, "")
	ctx := context.Background()
	if err := s.srv.AddMessages("alice", mailbox(2)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3500 * time.Millisecond) // the first access token expires
	if res, _ := s.p.SyncAccount(ctx, s.account.ID); res.Err != nil || res.New != 2 {
		t.Fatalf("sync after expiry: %+v", res)
	}
	// Renewed before it was sent: Dovecot refused no token (a renewal
	// after a refusal would have saved the sync all the same).
	if n := refusedTokens(s.srv); n != 0 {
		t.Fatalf("Dovecot refused %d tokens: the expired one was sent\n%s", n, s.srv.Log())
	}
	// A stored token the server refuses, though not expired by its date.
	bad, err := s.key.Seal([]byte("not-a-token"), app.AccessContext(s.user.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.RenewGrant(ctx, s.user.ID, s.grant.ID, db.GrantTokens{AccessSealed: bad, Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.AddMessages("alice", mailbox(3)[2:]); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.p.SyncAccount(ctx, s.account.ID); res.Err != nil || res.New != 1 {
		t.Fatalf("sync with a refused token: %+v", res)
	}
	if n := refusedTokens(s.srv); n != 1 {
		t.Fatalf("Dovecot refused %d tokens, want the stored one alone\n%s", n, s.srv.Log())
	}
	acc, _ := s.db.Account(ctx, s.user.ID, s.account.ID)
	if acc.LastErrorKind != "" || acc.FailingSince != nil {
		t.Fatalf("recorded a failure: %q", acc.LastErrorKind)
	}
}

// TestSyncRevokedGrant: a grant withdrawn at the provider stops the
// account with "Sign in again", not a password problem, and the poller
// stops asking the provider.
func TestSyncRevokedGrant(t *testing.T) {
	s := newSignedIn(t, oauthtest.Options{AccessTokenLifetime: 3 * time.Second}, "")
	ctx := context.Background()
	if res, _ := s.p.SyncAccount(ctx, s.account.ID); res.Err != nil {
		t.Fatalf("first sync: %v", res.Err)
	}
	s.prov.RevokeGrants("alice")
	for i := 0; i < MaxAuthFailures; i++ {
		res, _ := s.p.SyncAccount(ctx, s.account.ID)
		if res.Err == nil || !strings.Contains(res.Err.Error(), "withdrawn") {
			t.Fatalf("sync %d after revoking: %v", i, res.Err)
		}
	}
	acc, _ := s.db.Account(ctx, s.user.ID, s.account.ID)
	if acc.LastErrorKind != diagnose.KindSignInAgain || acc.FailingSince == nil {
		t.Fatalf("recorded %q", acc.LastErrorKind)
	}
	d := diagnose.ExplainRecorded(acc.LastErrorKind, acc.LastErrorStep, acc.LastErrorText, diagnose.Input{Host: acc.Host})
	if d.Title.Key != "Sign in again" || len(d.Fixes) != 1 || !d.Fixes[0].SignIn {
		t.Fatalf("diagnosis %+v", d)
	}
	if due, _ := s.db.DueAccounts(ctx, time.Now().Add(24*time.Hour), MaxAuthFailures); len(due) != 0 {
		t.Fatal("still polled after the grant was withdrawn")
	}
	if g, _ := s.db.Grant(ctx, s.user.ID, s.grant.ID); g.FailedAt == nil {
		t.Fatal("the grant's failure was not recorded")
	}
}

// refusedTokens counts the tokens Dovecot's oauth2 passdb refused.
func refusedTokens(srv *dovecottest.Server) int {
	return strings.Count(srv.Log(), "oauth2 failed")
}
