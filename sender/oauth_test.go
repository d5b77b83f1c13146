package sender

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/oauthtest"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/internal/smtptest"
)

// TestSendSignedIn: an account that signed in with its provider sends
// through a real Postfix with the same access token as for POP3 (Postfix
// asks Dovecot, which asks the provider); a token the server refuses is
// renewed once and the message goes; a withdrawn grant fails the message
// with "sign in again", never sent.
func TestSendSignedIn(t *testing.T) {
	prov := oauthtest.Start(t, oauthtest.Options{})
	srv := smtptest.StartOAuth(t, map[string]string{"alice": "alice secret", "bob": "bob secret"}, prov.DovecotOAuth2())
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key, _ := secret.Generate()
	u, err := store.CreateUser(ctx, "ana", "h", db.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	signIns := app.NewSignIns(store, key)
	const redirect = "http://127.0.0.1:1/oauth/callback"
	clientID := prov.RegisterClient([]string{redirect}, false, "")
	smtpHost, smtpPort, _ := net.SplitHostPort(srv.SubmissionsAddr)
	if err := signIns.SaveClient(ctx, app.ClientInput{Issuer: discover.IssuerCustom, ClientID: clientID, Name: "Test provider",
		AuthURL: prov.AuthURL, TokenURL: prov.TokenURL, Scopes: "openid offline_access pop smtp", Hosts: smtpHost}); err != nil {
		t.Fatal(err)
	}
	start, err := signIns.StartCode(ctx, discover.IssuerCustom, redirect, "")
	if err != nil {
		t.Fatal(err)
	}
	back, err := prov.SignIn(ctx, start.URL, "alice", "secret")
	if err != nil {
		t.Fatal(err)
	}
	g, err := signIns.FinishCode(ctx, u.ID, discover.IssuerCustom, redirect, back.Query().Get("code"), start.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(smtpPort)
	popHost, popPort, _ := net.SplitHostPort(srv.Dovecot.TLSAddr)
	popN, _ := strconv.Atoi(popPort)
	acc, err := app.NewAccounts(store, key).Create(ctx, u.ID, app.AccountInput{Email: smtptest.Address("alice"),
		Host: popHost, Port: popN, Security: "tls", Username: "alice", OAuthGrant: g.ID, Interval: app.DefaultInterval,
		Outgoing: app.OutgoingInput{Host: smtpHost, Port: port, Security: "tls"}})
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Outgoing.SamePassword {
		t.Fatalf("outgoing %+v: not the incoming sign-in", acc.Outgoing)
	}
	o := app.NewOutbox(store)
	o.UndoWindow = 0
	s := &Sender{DB: store, Key: key, SignIns: signIns, Timeout: 10 * time.Second,
		// A second on: the undo window's end is rounded up to the second.
		Now:          func() time.Time { return time.Now().Add(2 * time.Second) },
		ExtraRootCAs: []*x509.Certificate{srv.Cert.X509}, Jitter: func() float64 { return 0.5 }}
	e := &env{t: t, store: store, key: key, user: u, acc: acc, outbox: o, s: s}
	send := func(subject string) db.OutboxMessage {
		m := e.queue(app.Draft{Draft: compose.Draft{Subject: subject, To: []compose.Address{{Addr: smtptest.Address("bob")}}}})
		runOnce(t, e)
		return e.state(m.ID)
	}
	if m := send("Con permiso"); m.State != db.OutboxSent {
		t.Fatalf("signed in: %s %+v", m.State, m.Err)
	}
	if log, _ := os.ReadFile(filepath.Join(srv.Dir, "postfix.log")); !strings.Contains(string(log), "sasl_method=OAUTHBEARER, sasl_username=alice") {
		t.Fatalf("Postfix did not log alice's sign-in with OAUTHBEARER:\n%s", log)
	}
	// A stored token the server refuses before its time.
	bad, _ := key.Seal([]byte("not-a-token"), app.AccessContext(u.ID))
	if err := store.RenewGrant(ctx, u.ID, g.ID, db.GrantTokens{AccessSealed: bad, Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if m := send("Renovado"); m.State != db.OutboxSent {
		t.Fatalf("refused token: %s %+v", m.State, m.Err)
	}
	// Withdrawn: the message fails, asking to sign in again.
	prov.RevokeGrants("alice")
	if err := store.RenewGrant(ctx, u.ID, g.ID, db.GrantTokens{AccessSealed: bad, Expiry: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	m := send("Sin permiso")
	if m.State != db.OutboxFailed || m.Err.Kind != diagnose.KindSignInAgain {
		t.Fatalf("revoked: %s %+v", m.State, m.Err)
	}
	if d := diagnose.ExplainRecordedSMTP(m.Err.Kind, m.Err.Step, m.Err.Text, diagnose.Input{}); d.Title.Key != "Sign in again" {
		t.Fatalf("the outbox says %q", d.Title.Key)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, _ := srv.Dovecot.Messages("bob")
		if len(msgs) == 2 {
			break
		}
		if len(msgs) > 2 || time.Now().After(deadline) {
			t.Fatalf("bob has %d messages, want the 2 sent", len(msgs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
