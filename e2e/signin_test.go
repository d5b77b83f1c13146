package e2e

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
	"github.com/apartado/apartado/internal/oauthtest"
	"github.com/apartado/apartado/internal/testnet"
)

// signInSetup is a real OAuth provider and a Dovecot that checks its
// tokens, with three messages for alice.
type signInSetup struct {
	prov *oauthtest.Provider
	srv  *dovecottest.Server
}

func newSignInSetup(t *testing.T) signInSetup {
	t.Helper()
	prov := oauthtest.Start(t, oauthtest.Options{})
	srv := dovecottest.Start(t, dovecottest.Options{OAuth2: prov.DovecotOAuth2()})
	box := mailgen.Mailbox{Seed: 13}
	if err := srv.AddMessages("alice", [][]byte{box.Message(0), box.Message(1), box.Message(2)}); err != nil {
		t.Fatal(err)
	}
	return signInSetup{prov: prov, srv: srv}
}

// registerProvider registers the test provider as the household's own
// OAuth provider on the administrator's page, for the server 127.0.0.1.
func registerProvider(t *testing.T, ctx context.Context, a *app, p *oauthtest.Provider, clientID string) {
	t.Helper()
	card := `[data-testid="signin-provider"][data-issuer="custom"] `
	run(t, ctx, "register the provider",
		chromedp.Navigate(a.URL+"/admin/sign-in"),
		chromedp.WaitVisible(card+tid("signin-edit")),
		chromedp.Click(card+tid("signin-edit")),
		chromedp.WaitVisible(`#custom-name`),
		chromedp.SendKeys(`#custom-name`, "Test ID"),
		chromedp.SendKeys(`#custom-auth-url`, p.AuthURL),
		chromedp.SendKeys(`#custom-token-url`, p.TokenURL),
		chromedp.SendKeys(`#custom-device-url`, p.DeviceAuthURL),
		chromedp.SendKeys(`#custom-scopes`, "openid offline_access pop smtp"),
		chromedp.SendKeys(`#custom-client-id`, clientID),
		chromedp.SendKeys(`#custom-hosts`, "127.0.0.1"),
		chromedp.Click(card+tid("signin-save")),
		chromedp.WaitVisible(card+tid("signin-registered")),
	)
}

// fillAccount types alice's server on a new account's form, without a
// password, and asks for a test: the form comes back wanting a password,
// and offering the provider's sign-in for that server.
func fillAccount(t *testing.T, ctx context.Context, a *app, srv *dovecottest.Server) {
	t.Helper()
	host, port, _ := net.SplitHostPort(srv.TLSAddr)
	run(t, ctx, "type the account",
		chromedp.Navigate(a.URL+"/settings/accounts/new?manual=1"),
		chromedp.WaitVisible(tid("account-form")),
		chromedp.SendKeys(`#email`, "alice@example.test"),
		chromedp.SendKeys(`#host`, host),
		chromedp.SetValue(`#port`, port),
		chromedp.SendKeys(`#username`, "alice"),
		chromedp.Click(tid("account-test")),
		chromedp.WaitVisible(tid("signin-button")),
	)
}

// testAndSave tests the signed-in form, saves it, and waits for alice's
// three messages in the inbox.
func testAndSave(t *testing.T, ctx context.Context, a *app) {
	t.Helper()
	run(t, ctx, "test with the sign-in",
		chromedp.Click(tid("account-test")),
		chromedp.WaitVisible(tid("test-ok")),
	)
	run(t, ctx, "save", chromedp.Click(tid("account-submit")), chromedp.WaitVisible(tid("accounts")))
	deadline := time.Now().Add(60 * time.Second)
	for {
		run(t, ctx, "the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitReady(tid("nav")))
		if n, err := countRows(ctx); err == nil && n == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("alice's three messages did not arrive through the sign-in")
		}
		time.Sleep(time.Second)
	}
}

// TestSignInWithProvider: the authorization code flow end to end in a
// browser — the administrator registers a provider, the account form
// offers "Sign in with Test ID", the provider's own login page signs
// alice in and sends the browser back, the connection test passes with
// the token against Dovecot, and the saved account brings her mail.
func TestSignInWithProvider(t *testing.T) {
	s := newSignInSetup(t)
	addr := testnet.ClosedAddr(t)
	public := "http://" + addr
	clientID := s.prov.RegisterClient([]string{public + "/oauth/callback"}, true, "")
	a := startApp(t, "APARTADO_ADDR="+addr, "APARTADO_PUBLIC_URL="+public,
		"APARTADO_EXTRA_CA_FILE="+caFile(t, s.srv.CertPEM))
	ctx := browser(t, 1280, 900, false)
	createAdmin(t, ctx, a)
	registerProvider(t, ctx, a, s.prov, clientID)
	if got := get(t, ctx, "the redirect URI", chromedp.Text(tid("redirect-uri"))); got != public+"/oauth/callback" {
		t.Fatalf("redirect URI shown %q", got)
	}
	fillAccount(t, ctx, a, s.srv)
	if label := get(t, ctx, "the button", chromedp.Text(tid("signin-button"))); !strings.Contains(label, "Sign in with Test ID") {
		t.Fatalf("button %q", label)
	}
	run(t, ctx, "sign in at the provider",
		chromedp.Click(tid("signin-button")),
		chromedp.WaitVisible(`form#login #username`), // the provider's form, not the account's
	)
	if u := get(t, ctx, "the provider's page", chromedp.Location()); !strings.HasPrefix(u, s.prov.Issuer) {
		t.Fatalf("at %s, not the provider", u)
	}
	run(t, ctx, "alice signs in",
		chromedp.SendKeys(`form#login #username`, "alice"),
		chromedp.SendKeys(`form#login #password`, "secret"),
		chromedp.Click(`form#login #submit`),
		chromedp.WaitVisible(tid("signed-in")),
	)
	if u := get(t, ctx, "back at Apartado", chromedp.Location()); !strings.HasPrefix(u, public+"/settings/accounts/new") {
		t.Fatalf("back at %s", u)
	}
	if email := get(t, ctx, "the kept form", chromedp.Value(`#email`)); email != "alice@example.test" {
		t.Fatalf("the form came back with %q", email)
	}
	screenshot(t, ctx, "signin-code-1280")
	testAndSave(t, ctx, a)
	if !strings.Contains(s.srv.Log(), "user=<alice>, method=OAUTHBEARER") {
		t.Fatalf("Dovecot logged no OAUTHBEARER login:\n%s", s.srv.Log())
	}
}

// TestSignInWithCode: without a public address, the sign-in is a code
// typed on another device: the page shows it with the provider's link,
// waits (reloading itself), and returns to the form once the person —
// here the test, as a phone would — signs in at the provider. On a phone
// and on a desktop, in Spanish and in English.
func TestSignInWithCode(t *testing.T) {
	for _, tt := range []struct {
		name       string
		w, h       int
		mobile     bool
		lang       string
		button     string
		waiting    string
		screenshot string
	}{
		{"phone-es", 360, 740, true, "es", "Iniciar sesión con Test ID", "Esperando", "signin-device-360-es"},
		{"phone-en", 360, 740, true, "en", "Sign in with Test ID", "Waiting", "signin-device-360-en"},
		{"desktop-es", 1280, 900, false, "es", "Iniciar sesión con Test ID", "Esperando", "signin-device-1280-es"},
		{"desktop-en", 1280, 900, false, "en", "Sign in with Test ID", "Waiting", "signin-device-1280-en"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSignInSetup(t)
			clientID := s.prov.RegisterClient([]string{"http://127.0.0.1:1/unused"}, true, "")
			a := startApp(t, "APARTADO_EXTRA_CA_FILE="+caFile(t, s.srv.CertPEM))
			ctx := browser(t, tt.w, tt.h, tt.mobile)
			createAdmin(t, ctx, a)
			chooseLanguage(t, ctx, a, tt.lang)
			registerProvider(t, ctx, a, s.prov, clientID)
			fillAccount(t, ctx, a, s.srv)
			// Without a public address, the sign-in offered is the code.
			if label := get(t, ctx, "the button", chromedp.Text(tid("signin-button"))); !strings.Contains(label, tt.button) {
				t.Fatalf("button %q, want %q", label, tt.button)
			}
			run(t, ctx, "ask for a code", chromedp.Click(tid("signin-button")), chromedp.WaitVisible(tid("device-code")))
			code := strings.TrimSpace(get(t, ctx, "the code", chromedp.Text(tid("device-code"))))
			link := get(t, ctx, "the link", chromedp.Text(tid("device-link")))
			status := get(t, ctx, "the status", chromedp.Text(tid("device-status")))
			if code == "" || !strings.HasPrefix(link, s.prov.Issuer) || !strings.Contains(status, tt.waiting) {
				t.Fatalf("code %q link %q status %q", code, link, status)
			}
			noHorizontalScroll(t, ctx, "the code page")
			screenshot(t, ctx, tt.screenshot)
			// Still waiting after a reload: nobody signed in yet.
			time.Sleep(4 * time.Second)
			if !get(t, ctx, "still waiting", chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="device-code"]')`)) {
				t.Fatal("the page left before anyone signed in")
			}
			pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.prov.ApproveDevice(pctx, code, "alice", "secret"); err != nil {
				t.Fatal(err)
			}
			wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
			defer wcancel()
			if err := chromedp.Do(wctx, chromedp.WaitVisible(tid("signed-in"))); err != nil {
				t.Fatalf("the form did not come back signed in: %v", err)
			}
			testAndSave(t, ctx, a)
		})
	}
}
