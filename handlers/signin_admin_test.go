package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
)

// providerCard is the sign-in page's card of issuer.
func providerCard(t *testing.T, doc *html.Node, issuer string) *html.Node {
	t.Helper()
	for _, n := range byTestID(doc, "signin-provider") {
		if attr(n, "data-issuer") == issuer {
			return n
		}
	}
	t.Fatalf("no card for %s", issuer)
	return nil
}

// withoutFragment is a redirect's address as the browser requests it.
func withoutFragment(loc string) string {
	before, _, _ := strings.Cut(loc, "#")
	return before
}

// signInApp is an app with an administrator signed in, and a member.
func signInApp(t *testing.T, edit ...func(*Config)) (*testApp, *client) {
	t.Helper()
	app := newApp(t, edit...)
	app.addUser("root", "correct horse", db.RoleAdmin)
	app.addUser("ana", "battery staple", db.RoleMember)
	return app, app.login("root", "correct horse")
}

func TestSignInProvidersAdminOnly(t *testing.T) {
	app, _ := signInApp(t)
	ana := app.login("ana", "battery staple")
	wantStatus(t, ana.get(signInAdminPath), http.StatusForbidden)
	wantStatus(t, ana.post(signInAdminPath, url.Values{"issuer": {"microsoft"}, "client_id": {"x"}}), http.StatusForbidden)
	wantStatus(t, ana.post(signInAdminPath+"/remove", url.Values{"issuer": {"microsoft"}}), http.StatusForbidden)
	if _, err := app.db.OAuthClient(context.Background(), "microsoft"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("a member registered a provider: %v", err)
	}
	// Nobody else sees the page in the navigation either.
	none(t, ana.get("/settings").doc(t), "admin-tabs")
}

// TestSignInProvidersPage: every provider has a card with its help; the
// users page leads here; Microsoft offers both ways to sign in, Google
// only the redirect.
func TestSignInProvidersPage(t *testing.T) {
	_, root := signInApp(t)
	users := root.get("/admin/users").doc(t)
	if href := attr(one(t, users, "admin-tab-sign-in"), "href"); href != signInAdminPath {
		t.Fatalf("users page links %q", href)
	}
	r := root.get(signInAdminPath)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	if attr(one(t, doc, "admin-tab-sign-in"), "aria-current") != "page" {
		t.Error("the tab of the page is not marked")
	}
	help := map[string]string{"microsoft": "/help#oauth-microsoft", "microsoft-work": "/help#oauth-microsoft",
		"google": "/help#oauth-google", "yahoo": "/help#oauth-yahoo", "aol": "/help#oauth-yahoo", "custom": "/help#oauth-other"}
	for issuer, want := range help {
		c := providerCard(t, doc, issuer)
		if got := attr(one(t, c, "signin-help"), "href"); got != want {
			t.Errorf("%s: help %q, want %q", issuer, got, want)
		}
		one(t, c, "signin-unregistered")
		none(t, c, "signin-remove")
	}
	ms := providerCard(t, doc, "microsoft")
	one(t, ms, "signin-flow-code")
	one(t, ms, "signin-flow-device")
	g := providerCard(t, doc, "google")
	one(t, g, "signin-flow-code")
	none(t, g, "signin-flow-device")
	one(t, g, "signin-needs-public-url") // no public URL in this app
	one(t, providerCard(t, doc, "custom"), "field-custom-token-url")
	none(t, ms, "field-microsoft-token-url")
}

func TestSignInProvidersSecret(t *testing.T) {
	app, root := signInApp(t)
	ctx := context.Background()
	secret := func() []byte {
		t.Helper()
		c, err := app.db.OAuthClient(ctx, "microsoft")
		if err != nil {
			t.Fatal(err)
		}
		return c.SecretSealed
	}

	r := root.post(signInAdminPath, url.Values{"issuer": {"microsoft"}, "client_id": {"app-123"}, "client_secret": {"s3cret"}})
	wantRedirect(t, r, signInAdminPath+"?done="+doneSignInSaved+"#microsoft")
	doc := root.get(withoutFragment(r.Header.Get("Location"))).doc(t)
	one(t, doc, "notice")
	c := providerCard(t, doc, "microsoft")
	one(t, c, "signin-registered")
	if got := text(one(t, c, "signin-client-id")); got != "app-123" {
		t.Errorf("client ID shown %q", got)
	}
	if got := text(one(t, c, "signin-secret")); got != "Secret saved." {
		t.Errorf("secret %q", got)
	}
	if v, _, _ := inputValue(c, "client_id"); v != "app-123" {
		t.Errorf("form's client ID %q", v)
	}
	if strings.Contains(r.body+root.get(signInAdminPath).body, "s3cret") {
		t.Fatal("the secret was written into a page")
	}
	one(t, c, "field-microsoft-remove-secret")
	if secret() == nil {
		t.Fatal("no secret saved")
	}

	// Blank keeps it.
	wantRedirect(t, root.post(signInAdminPath, url.Values{"issuer": {"microsoft"}, "client_id": {"app-456"}}),
		signInAdminPath+"?done="+doneSignInSaved+"#microsoft")
	if secret() == nil {
		t.Fatal("a blank secret removed the saved one")
	}
	is, cl, err := app.handler.signIns.Issuer(ctx, "microsoft")
	if err != nil || cl.ID != "app-456" || cl.Secret != "s3cret" || is.ID != "microsoft" {
		t.Fatalf("registration %+v %+v %v", is, cl, err)
	}

	// The box removes it.
	root.post(signInAdminPath, url.Values{"issuer": {"microsoft"}, "client_id": {"app-456"}, "remove_secret": {"on"}})
	if secret() != nil {
		t.Fatal("the secret was not removed")
	}
	c = providerCard(t, root.get(signInAdminPath).doc(t), "microsoft")
	if got := text(one(t, c, "signin-secret")); got != "No secret (public client)." {
		t.Errorf("secret %q", got)
	}
	none(t, c, "field-microsoft-remove-secret")
}

func TestSignInProvidersCustom(t *testing.T) {
	app, root := signInApp(t)
	ctx := context.Background()
	form := func(edit func(url.Values)) url.Values {
		v := url.Values{"issuer": {"custom"}, "name": {"Example"}, "client_id": {"apartado"},
			"auth_url": {"http://127.0.0.1:9000/authorize"}, "token_url": {"http://127.0.0.1:9000/token"},
			"scopes": {"mail offline_access"}, "hosts": {"pop.example.com smtp.example.com"}, "client_secret": {"typed-secret"}}
		if edit != nil {
			edit(v)
		}
		return v
	}
	notSaved := func() {
		t.Helper()
		if _, err := app.db.OAuthClient(ctx, "custom"); !errors.Is(err, db.ErrNotFound) {
			t.Fatalf("invalid input saved: %v", err)
		}
	}

	// Another computer's plain HTTP is refused, next to its field, with
	// what was typed kept but the secret.
	r := root.post(signInAdminPath, form(func(v url.Values) { v.Set("token_url", "http://example.com/token") }))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	c := providerCard(t, r.doc(t), "custom")
	one(t, c, "error-custom-token-url")
	none(t, c, "error-custom-auth-url")
	one(t, c, "form-error")
	if v, _, _ := inputValue(c, "token_url"); v != "http://example.com/token" {
		t.Errorf("token URL kept as %q", v)
	}
	if v, _, _ := inputValue(c, "hosts"); v != "pop.example.com smtp.example.com" {
		t.Errorf("hosts kept as %q", v)
	}
	if strings.Contains(r.body, "typed-secret") {
		t.Fatal("the secret was written back")
	}
	notSaved()

	// No client ID.
	r = root.post(signInAdminPath, form(func(v url.Values) { v.Set("client_id", " ") }))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, providerCard(t, r.doc(t), "custom"), "error-custom-client-id")
	notSaved()

	// This computer's is fine.
	wantRedirect(t, root.post(signInAdminPath, form(nil)), signInAdminPath+"?done="+doneSignInSaved+"#custom")
	cl, err := app.db.OAuthClient(ctx, "custom")
	if err != nil || cl.Name != "Example" || cl.TokenURL != "http://127.0.0.1:9000/token" || len(cl.Hosts) != 2 {
		t.Fatalf("saved %+v, %v", cl, err)
	}
	c = providerCard(t, root.get(signInAdminPath).doc(t), "custom")
	one(t, c, "signin-registered")
	one(t, c, "signin-flow-code")
	none(t, c, "signin-flow-device")
	if v, _, _ := inputValue(c, "scopes"); v != "mail offline_access" {
		t.Errorf("scopes shown %q", v)
	}

	// A form for a provider the page does not have is refused.
	wantStatus(t, root.post(signInAdminPath, url.Values{"issuer": {"nope"}, "client_id": {"x"}}), http.StatusBadRequest)
}

func TestSignInProvidersRemove(t *testing.T) {
	app, root := signInApp(t)
	ctx := context.Background()
	root.post(signInAdminPath, url.Values{"issuer": {"google"}, "client_id": {"g-1"}, "client_secret": {"x"}})
	one(t, providerCard(t, root.get(signInAdminPath).doc(t), "google"), "signin-remove")
	r := root.post(signInAdminPath+"/remove", url.Values{"issuer": {"google"}})
	wantRedirect(t, r, signInAdminPath+"?done="+doneSignInRemoved+"#google")
	if _, err := app.db.OAuthClient(ctx, "google"); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("still registered: %v", err)
	}
	doc := root.get(withoutFragment(r.Header.Get("Location"))).doc(t)
	one(t, doc, "notice")
	one(t, providerCard(t, doc, "google"), "signin-unregistered")
	wantStatus(t, root.post(signInAdminPath+"/remove", url.Values{"issuer": {"../users"}}), http.StatusBadRequest)
}

// TestSignInProvidersRedirectURI: the page gives the redirect URI to
// register with providers, or says that the public URL is missing.
func TestSignInProvidersRedirectURI(t *testing.T) {
	u, _ := url.Parse("http://apartado.test/")
	_, root := signInApp(t, func(c *Config) { c.PublicURL = u })
	doc := root.get(signInAdminPath).doc(t)
	if got := text(one(t, doc, "redirect-uri")); got != "http://apartado.test/oauth/callback" {
		t.Errorf("redirect URI %q", got)
	}
	none(t, doc, "no-public-url")
	none(t, providerCard(t, doc, "google"), "signin-needs-public-url")

	_, root = signInApp(t)
	doc = root.get(signInAdminPath).doc(t)
	none(t, doc, "redirect-uri")
	notice := one(t, doc, "no-public-url")
	if !strings.Contains(text(notice), "APARTADO_PUBLIC_URL") {
		t.Errorf("notice %q", text(notice))
	}
	var help bool
	walk(notice, func(n *html.Node) { help = help || attr(n, "href") == "/help#oauth-no-public-url" })
	if !help {
		t.Error("the notice does not lead to the help")
	}
	one(t, doc, "no-public-url-device")
}

func TestSignInProvidersSpanish(t *testing.T) {
	_, root := signInApp(t)
	root.header.Set("Accept-Language", "es")
	doc := root.get(signInAdminPath).doc(t)
	var h1 string
	walk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "h1" && h1 == "" {
			h1 = text(n)
		}
	})
	if h1 != "Proveedores de inicio de sesión" {
		t.Errorf("title %q", h1)
	}
	if got := text(one(t, providerCard(t, doc, "custom"), "signin-edit")); got != "Registrar Apartado en este proveedor" {
		t.Errorf("custom card %q", got)
	}
}
