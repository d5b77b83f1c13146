package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
	"github.com/apartado/apartado/internal/oauthtest"
	"github.com/apartado/apartado/poller"
)

// signinFixture is Apartado at http://apartado.test with a real OAuth
// provider on loopback registered as the household's own provider for the
// mail server 127.0.0.1, a Dovecot that checks its tokens, and ana, an
// administrator (members may not connect to loopback), signed in.
type signinFixture struct {
	app  *testApp
	prov *oauthtest.Provider
	srv  *dovecottest.Server
	user db.User
	c    *client
}

const testPublicURL = "http://apartado.test"

func newSigninFixture(t *testing.T) *signinFixture {
	t.Helper()
	prov := oauthtest.Start(t, oauthtest.Options{})
	srv := dovecottest.Start(t, dovecottest.Options{OAuth2: prov.DovecotOAuth2()})
	public, err := url.Parse(testPublicURL)
	if err != nil {
		t.Fatal(err)
	}
	app := newApp(t, func(cfg *Config) { cfg.ExtraRootCAs = dovecotCA(t, srv); cfg.PublicURL = public })
	clientID := prov.RegisterClient([]string{testPublicURL + "/oauth/callback"}, true, "")
	if err := app.handler.signIns.SaveClient(context.Background(), apppkg.ClientInput{Issuer: discover.IssuerCustom, ClientID: clientID,
		Name: "Test provider", AuthURL: prov.AuthURL, TokenURL: prov.TokenURL, DeviceAuthURL: prov.DeviceAuthURL,
		Scopes: "openid email offline_access pop smtp", Hosts: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	u := app.addUser("ana", "correct horse", db.RoleAdmin)
	return &signinFixture{app: app, prov: prov, srv: srv, user: u, c: app.login("ana", "correct horse")}
}

// form is the account form for alice's mailbox on the Dovecot, without a
// password, changed by kv as testForm does.
func (f *signinFixture) form(t *testing.T, kv ...string) url.Values {
	t.Helper()
	base := []string{"port", splitPort(t, f.srv.TLSAddr), "password", ""}
	return testForm(append(base, kv...)...)
}

// startCode posts the form's "Sign in with Test provider" and returns the
// provider's page it leads to.
func (f *signinFixture) startCode(t *testing.T, c *client, path string) string {
	t.Helper()
	r := c.post(path, f.form(t, "flow", flowCode, "issuer", discover.IssuerCustom))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), f.prov.AuthURL) {
		t.Fatalf("sign-in: status %d, location %q, want the provider's %s", r.StatusCode, r.Header.Get("Location"), f.prov.AuthURL)
	}
	return r.Header.Get("Location")
}

// signIn does what the person does at the provider and returns where the
// provider sends the browser back to, as a path on Apartado.
func (f *signinFixture) signIn(t *testing.T, authURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	back, err := f.prov.SignIn(ctx, authURL, "alice", "secret")
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != testPublicURL+"/oauth/callback" {
		t.Fatalf("the provider sent the browser to %s", got)
	}
	return back.RequestURI()
}

// backToForm follows a redirect to the account form and returns it.
func backToForm(t *testing.T, c *client, r *response, formPath string) *html.Node {
	t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, formPath+"?"+signinQuery+"=") {
		t.Fatalf("status %d, location %q, want the form %s", r.StatusCode, loc, formPath)
	}
	page := c.get(loc)
	wantStatus(t, page, http.StatusOK)
	return page.doc(t)
}

// noGrant checks that ana has no sign-in stored.
func (f *signinFixture) noGrant(t *testing.T) {
	t.Helper()
	for id := int64(1); id <= 3; id++ {
		if _, err := f.app.db.Grant(context.Background(), f.user.ID, id); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("grant %d: %v, want none stored", id, err)
		}
	}
}

// TestSignInCodeFlow: the account form's "Sign in with …" goes to the
// provider and back; the form comes back signed in, the connection test
// passes with the token, the account is saved without a password, a sync
// stores its mail; once the provider withdraws the sign-in, the test and
// the settings page say to sign in again.
func TestSignInCodeFlow(t *testing.T) {
	f := newSigninFixture(t)
	c := f.c
	ctx := context.Background()

	doc := c.get("/settings/accounts/new?manual=1").doc(t)
	none(t, doc, "signin-box") // no address nor server yet
	// The form as typed shows the box once it names the server.
	r := c.post("/settings/accounts/new", f.form(t))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc = r.doc(t)
	if b := one(t, doc, "signin-button"); attr(b, "value") != flowCode || attr(b, "formaction") != "/settings/accounts/signin" {
		t.Fatalf("sign-in button %v", b.Attr)
	}
	one(t, doc, "signin-device")

	back := f.signIn(t, f.startCode(t, c, "/settings/accounts/signin"))
	doc = backToForm(t, c, c.get(back), "/settings/accounts/new")
	if s := text(one(t, doc, "signed-in")); !strings.Contains(s, "Test provider") {
		t.Errorf("signed in %q", s)
	}
	grant, _, _ := inputValue(doc, "oauth_grant")
	if v, _, _ := inputValue(doc, "port"); v != splitPort(t, f.srv.TLSAddr) {
		t.Errorf("the form came back with port %q", v)
	}
	// The state works once.
	wantStatus(t, c.get(back), http.StatusBadRequest)

	form := f.form(t, "oauth_grant", grant)
	r = c.post("/settings/accounts/test", form)
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "test-ok")
	if log := f.srv.Log(); !strings.Contains(log, "user=<alice>, method=OAUTHBEARER") {
		t.Fatalf("Dovecot's log names no login by token:\n%s", log)
	}
	wantRedirect(t, c.post("/settings/accounts/new", form), "/settings?done="+doneAccountAdded)
	accs, err := f.app.db.Accounts(ctx, f.user.ID)
	if err != nil || len(accs) != 1 {
		t.Fatalf("accounts %v %v", accs, err)
	}
	a := accs[0]
	if strconv.FormatInt(a.OAuthGrant, 10) != grant || len(a.PasswordSealed) != 0 {
		t.Fatalf("saved with grant %d (form %s), password %d bytes", a.OAuthGrant, grant, len(a.PasswordSealed))
	}

	box := mailgen.Mailbox{Seed: 5}
	if err := f.srv.AddMessages("alice", [][]byte{box.Message(0), box.Message(1)}); err != nil {
		t.Fatal(err)
	}
	p := &poller.Poller{DB: f.app.db, Key: f.app.key, ExtraRootCAs: dovecotCA(t, f.srv), Timeout: 20 * time.Second,
		SignIns: f.app.handler.signIns}
	if res, err := p.SyncAccount(ctx, a.ID); err != nil || res.Err != nil || res.New != 2 {
		t.Fatalf("sync: %+v %v", res, err)
	}

	// The provider withdraws the sign-in.
	f.prov.RevokeGrants("alice")
	id := strconv.FormatInt(a.ID, 10)
	r = c.post("/settings/accounts/"+id+"/test", form)
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if s := diagnosisTitle(t, doc); s != "Sign in again" {
		t.Errorf("test after the withdrawal: %q", s)
	}
	if href := attr(one(t, doc, "fix-link"), "href"); href != "#signin" {
		t.Errorf("fix %q", href)
	}
	if res, _ := p.SyncAccount(ctx, a.ID); res.Err == nil {
		t.Fatal("a sync with a withdrawn sign-in worked")
	}
	if a, _ = f.app.db.Account(ctx, f.user.ID, a.ID); a.LastErrorKind != diagnose.KindSignInAgain {
		t.Fatalf("recorded %q", a.LastErrorKind)
	}
	doc = c.get("/settings").doc(t)
	if s := text(one(t, doc, "diagnosis-title")); s != "Sign in again" {
		t.Errorf("settings: %q", s)
	}
	href := attr(one(t, doc, "fix-link"), "href")
	if href != "/settings/accounts/"+id+"#signin" {
		t.Fatalf("fix link %q", href)
	}
	doc = c.get(strings.TrimSuffix(href, "#signin")).doc(t)
	one(t, doc, "signin-failed")
	one(t, doc, "signin-button")
}

// TestSignInRefused: a state that is unknown, another session's or used
// already is refused and stores nothing; the person declining at the
// provider brings the form back saying so.
func TestSignInRefused(t *testing.T) {
	f := newSigninFixture(t)
	c := f.c

	wantStatus(t, c.get("/oauth/callback?state=made-up&code=x"), http.StatusBadRequest)
	back := f.signIn(t, f.startCode(t, c, "/settings/accounts/signin"))
	other := f.app.login("ana", "correct horse") // another browser of hers
	wantStatus(t, other.get(back), http.StatusBadRequest)
	f.noGrant(t)

	// Declined: the provider sends error=access_denied with the state.
	auth, err := url.Parse(f.startCode(t, c, "/settings/accounts/signin"))
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"state": {auth.Query().Get("state")}, "error": {"access_denied"}}
	doc := backToForm(t, c, c.get("/oauth/callback?"+q.Encode()), "/settings/accounts/new")
	if s := text(one(t, doc, "signin-error")); !strings.Contains(s, "You declined") {
		t.Errorf("declined: %q", s)
	}
	none(t, doc, "signed-in")
	wantStatus(t, c.get("/oauth/callback?"+q.Encode()), http.StatusBadRequest)
	f.noGrant(t)

	// Not signed in to Apartado: the login page, nothing else.
	if r := f.app.client().get(back); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("signed out: status %d, location %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestSignInDeviceFlow: "Sign in with a code on another device" shows the
// code; once the person approves it at the provider, the page goes back to
// the form, signed in.
func TestSignInDeviceFlow(t *testing.T) {
	f := newSigninFixture(t)
	c := f.c
	r := c.post("/settings/accounts/signin", f.form(t, "flow", flowDevice, "issuer", discover.IssuerCustom))
	page := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(page, "/settings/accounts/signin/") {
		t.Fatalf("status %d, location %q", r.StatusCode, page)
	}
	r = c.get(page)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	code := text(one(t, doc, "device-code"))
	if link := one(t, doc, "device-link"); !strings.HasPrefix(attr(link, "href"), "http://127.0.0.1:") || attr(link, "target") != "_blank" {
		t.Errorf("link %v", link.Attr)
	}
	one(t, doc, "device-status")
	if !strings.Contains(r.body, `http-equiv="refresh"`) {
		t.Error("the page does not reload itself")
	}
	// Another session sees nothing of it.
	wantStatus(t, f.app.login("ana", "correct horse").get(page), http.StatusBadRequest)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.prov.ApproveDevice(ctx, code, "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	for r = c.get(page); r.StatusCode == http.StatusOK; r = c.get(page) {
		if ctx.Err() != nil {
			t.Fatal("the page never went back to the form")
		}
		time.Sleep(200 * time.Millisecond)
	}
	doc = backToForm(t, c, r, "/settings/accounts/new")
	one(t, doc, "signed-in")
	if g, _, _ := inputValue(doc, "oauth_grant"); g == "" {
		t.Error("the form carries no sign-in")
	}
}

// TestSignInOffered: an Outlook.com address needs no password in the
// wizard; until Apartado is registered with Microsoft the form says who
// must do that and where, then it offers "Sign in with Microsoft" (with a
// device code, as there is no public address to come back to).
func TestSignInOffered(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleAdmin)
	c := app.login("ana", "correct horse")
	discoverForm := url.Values{"email": {"ana@outlook.com"}, "password": {""}, "name": {"Outlook"}}
	r := c.post("/settings/accounts/new/discover", discoverForm)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "signin-unregistered")
	if href := attr(one(t, doc, "signin-help"), "href"); href != "/help#oauth-microsoft" {
		t.Errorf("help link %q", href)
	}
	if href := attr(one(t, doc, "signin-admin"), "href"); href != "/admin/sign-in" {
		t.Errorf("admin link %q", href)
	}
	none(t, doc, "signin-button")

	if err := app.handler.signIns.SaveClient(context.Background(), apppkg.ClientInput{Issuer: discover.IssuerMicrosoft, ClientID: "test-client"}); err != nil {
		t.Fatal(err)
	}
	doc = c.post("/settings/accounts/new/discover", discoverForm).doc(t)
	none(t, doc, "signin-unregistered")
	b := one(t, doc, "signin-button")
	if attr(b, "value") != flowDevice || text(b) != "Sign in with Microsoft" {
		t.Errorf("button %q %v", text(b), b.Attr)
	}
	none(t, doc, "signin-device") // the button is that already
	if v, _, _ := inputValue(doc, "provider"); v != "outlook" {
		t.Errorf("provider %q", v)
	}
}

// TestSignInForMember: an administrator fixing a member's account signs
// in for the member: the sign-in is the member's, and the form comes back
// under the member's pages.
func TestSignInForMember(t *testing.T) {
	f := newSigninFixture(t)
	bob := f.app.addUser("bob", "battery staple", db.RoleMember)
	base := memberAccountsPath(bob.ID)
	back := f.signIn(t, f.startCode(t, f.c, base+"/signin"))
	doc := backToForm(t, f.c, f.c.get(back), base+"/new")
	one(t, doc, "signed-in")
	g, _, _ := inputValue(doc, "oauth_grant")
	id, _ := strconv.ParseInt(g, 10, 64)
	if _, err := f.app.db.Grant(context.Background(), bob.ID, id); err != nil {
		t.Fatalf("bob's grant %s: %v", g, err)
	}
	f.noGrant(t) // none of ana's
}

// TestSignInFormAction: a form that offers the sign-in by redirect is
// sent on to the provider, which the page's policy must allow as a form's
// destination (browsers check form-action on the redirect too); only that
// provider's origin, and only where the code flow is offered.
func TestSignInFormAction(t *testing.T) {
	discoverForm := url.Values{"email": {"ana@outlook.com"}, "password": {""}, "name": {"Outlook"}}
	for _, tt := range []struct {
		name   string
		public string
		want   string
	}{
		{"redirect", testPublicURL, "form-action 'self' https://login.microsoftonline.com;"},
		{"code on another device", "", "form-action 'self';"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(t, func(cfg *Config) {
				if tt.public != "" {
					cfg.PublicURL, _ = url.Parse(tt.public)
				}
			})
			app.addUser("ana", "correct horse", db.RoleAdmin)
			c := app.login("ana", "correct horse")
			if csp := c.get("/settings").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
				t.Fatalf("another page's policy: %q", csp)
			}
			if err := app.handler.signIns.SaveClient(context.Background(), apppkg.ClientInput{Issuer: discover.IssuerMicrosoft, ClientID: "test-client"}); err != nil {
				t.Fatal(err)
			}
			r := c.post("/settings/accounts/new/discover", discoverForm)
			wantStatus(t, r, http.StatusOK)
			if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, tt.want) {
				t.Fatalf("policy %q, want %q in it", csp, tt.want)
			}
		})
	}
}

// TestSignInWaitEndsWithServer: a sign-in with a code waits for the
// person in the background; when the program stops, that wait ends at
// once, and the program can wait for it before closing the database.
func TestSignInWaitEndsWithServer(t *testing.T) {
	prov := oauthtest.Start(t, oauthtest.Options{})
	background, stop := context.WithCancel(context.Background())
	defer stop()
	var work sync.WaitGroup
	app := newApp(t, func(cfg *Config) { cfg.Background, cfg.Work = background, &work })
	clientID := prov.RegisterClient([]string{testPublicURL + "/oauth/callback"}, true, "")
	if err := app.handler.signIns.SaveClient(context.Background(), apppkg.ClientInput{Issuer: discover.IssuerCustom, ClientID: clientID,
		Name: "Test provider", TokenURL: prov.TokenURL, DeviceAuthURL: prov.DeviceAuthURL, Scopes: "offline_access pop",
		Hosts: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	app.addUser("ana", "correct horse", db.RoleAdmin)
	c := app.login("ana", "correct horse")
	r := c.post("/settings/accounts/signin", testForm("port", "995", "password", "", "flow", flowDevice, "issuer", discover.IssuerCustom))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/settings/accounts/signin/") {
		t.Fatalf("status %d, location %q", r.StatusCode, r.Header.Get("Location"))
	}
	done := make(chan struct{})
	go func() { work.Wait(); close(done) }()
	select {
	case <-done:
		t.Fatal("nothing waits for the person: the program would not know to wait for it")
	case <-time.After(300 * time.Millisecond):
	}
	stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the sign-in's wait did not end with the program")
	}
}
