package oauthtest_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/oauthtest"
	"github.com/apartado/apartado/pop3client"
)

const redirectURI = "http://127.0.0.1:1/oauth/callback" // never opened

var scopes = []string{"openid", "email", "offline_access", oauthtest.ScopePOP, oauthtest.ScopeSMTP}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// setup starts a provider and a Dovecot that checks its tokens, with one
// message for alice, and registers a client.
func setup(t *testing.T, opts oauthtest.Options, secret string) (*oauthtest.Provider, *dovecottest.Server, *oauth2.Config) {
	t.Helper()
	prov := oauthtest.Start(t, opts)
	srv := dovecottest.Start(t, dovecottest.Options{OAuth2: prov.DovecotOAuth2()})
	srv.AddMessage("alice", []byte("Subject: hi\r\n\r\nhello\r\n"))
	return prov, srv, config(prov, secret, false)
}

func config(prov *oauthtest.Provider, secret string, device bool) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     prov.RegisterClient([]string{redirectURI}, device, secret),
		ClientSecret: secret,
		Endpoint:     oauth2.Endpoint{AuthURL: prov.AuthURL, TokenURL: prov.TokenURL, DeviceAuthURL: prov.DeviceAuthURL},
		RedirectURL:  redirectURI,
		Scopes:       scopes,
	}
}

// signIn runs the authorization code flow with PKCE as alice.
func signIn(t *testing.T, prov *oauthtest.Provider, cfg *oauth2.Config) *oauth2.Token {
	t.Helper()
	return signInAs(t, prov, cfg, "alice", "secret")
}

func signInAs(t *testing.T, prov *oauthtest.Provider, cfg *oauth2.Config, user, password string) *oauth2.Token {
	t.Helper()
	ctx := testCtx(t)
	verifier := oauth2.GenerateVerifier()
	redirect, err := prov.SignIn(ctx, cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier)), user, password)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if got := redirect.Scheme + "://" + redirect.Host + redirect.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want %s", redirect, redirectURI)
	}
	if s := redirect.Query().Get("state"); s != "st4te" {
		t.Fatalf("state = %q", s)
	}
	tok, err := cfg.Exchange(ctx, redirect.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token without access or refresh token: %+v", tok)
	}
	return tok
}

// popAuth logs in to Dovecot over TLS with mech and, on success, checks
// that STAT sees alice's one message.
func popAuth(t *testing.T, srv *dovecottest.Server, mech pop3client.Mechanism) error {
	t.Helper()
	_, err := tracedAuth(t, srv, mech)
	return err
}

// tracedAuth is popAuth that also returns the protocol trace.
func tracedAuth(t *testing.T, srv *dovecottest.Server, mech pop3client.Mechanism) (string, error) {
	t.Helper()
	var trace strings.Builder
	block, _ := pem.Decode(srv.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	c, err := pop3client.Dial(ctx, srv.TLSAddr, &pop3client.Options{ExtraRootCAs: []*x509.Certificate{cert}, Timeout: 20 * time.Second, Trace: &trace})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	if err := c.Auth(ctx, mech); err != nil {
		return trace.String(), err
	}
	n, _, err := c.Stat(ctx)
	if err != nil || n != 1 {
		t.Fatalf("STAT after AUTH %s: %d messages, %v", mech.Name(), n, err)
	}
	return trace.String(), c.Quit(ctx)
}

func mustAuth(t *testing.T, srv *dovecottest.Server, token string) {
	t.Helper()
	if err := popAuth(t, srv, pop3client.XOAuth2Auth("alice", token)); err != nil {
		t.Fatalf("AUTH XOAUTH2: %v", err)
	}
	if err := popAuth(t, srv, pop3client.OAuthBearerAuth("alice", token, "localhost", 995)); err != nil {
		t.Fatalf("AUTH OAUTHBEARER: %v", err)
	}
}

func mustFail(t *testing.T, srv *dovecottest.Server, user, token string) {
	t.Helper()
	for _, m := range []pop3client.Mechanism{pop3client.XOAuth2Auth(user, token), pop3client.OAuthBearerAuth(user, token, "", 0)} {
		err := popAuth(t, srv, m)
		var pe *pop3client.Error
		if !errors.As(err, &pe) || pe.Kind != pop3client.KindAuthFailed {
			t.Fatalf("AUTH %s as %s with a bad token: %v, want an authentication failure", m.Name(), user, err)
		}
	}
}

func TestAuthCodePKCE(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   oauthtest.Options
		secret string
	}{
		{"public", oauthtest.Options{}, ""},
		{"confidential", oauthtest.Options{}, "s3cret"},
		// A JWT does not fit on the AUTH line: the client sends it after
		// the server's "+" continuation.
		{"jwt", oauthtest.Options{JWTAccessTokens: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			prov, srv, cfg := setup(t, tc.opts, tc.secret)
			tok := signIn(t, prov, cfg)
			// An opaque token fits on the AUTH line, a JWT does not.
			if long := len(tok.AccessToken) > 150; long != tc.opts.JWTAccessTokens {
				t.Errorf("access token of %d characters", len(tok.AccessToken))
			}
			mustAuth(t, srv, tok.AccessToken)
			trace, err := tracedAuth(t, srv, pop3client.XOAuth2Auth("alice", tok.AccessToken))
			if oneLine := strings.Contains(trace, "C: AUTH XOAUTH2 <redacted>"); err != nil || oneLine == tc.opts.JWTAccessTokens {
				t.Errorf("XOAUTH2 (initial response on the AUTH line: %v): %v\n%s", oneLine, err, trace)
			}
			mustFail(t, srv, "alice", "garbage"+tok.AccessToken[7:])
			mustFail(t, srv, "alice", "garbage")
			// alice's token does not let anyone else in.
			mustFail(t, srv, "bob", tok.AccessToken)
		})
	}
}

// introspect asks the introspection endpoint about token with the
// credentials in DovecotOAuth2's URL.
func introspect(t *testing.T, prov *oauthtest.Provider, token string) map[string]any {
	t.Helper()
	u, err := url.Parse(prov.DovecotOAuth2().IntrospectionURL)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	id := u.User.Username()
	u.User = nil
	req, _ := http.NewRequestWithContext(testCtx(t), http.MethodPost, u.String(), strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %s, %v", resp.Status, err)
	}
	return m
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	prov := oauthtest.Start(t, oauthtest.Options{Users: map[string]string{"alice": "secret", "carol@mail.example": "pw"}})
	tok := signIn(t, prov, config(prov, "", false))
	m := introspect(t, prov, tok.AccessToken)
	for k, want := range map[string]any{"active": true, "username": "alice", "sub": "alice", "email": "alice@example.test"} {
		if m[k] != want {
			t.Errorf("introspection %s = %v, want %v (%v)", k, m[k], want, m)
		}
	}
	if s, _ := m["scope"].(string); !strings.Contains(s, "pop") {
		t.Errorf("introspection scope = %q", s)
	}
	carol := introspect(t, prov, signInAs(t, prov, config(prov, "", false), "carol@mail.example", "pw").AccessToken)
	if carol["username"] != "carol@mail.example" || carol["email"] != "carol@mail.example" {
		t.Errorf("introspection for a user named by an address: %v", carol)
	}
	if m := introspect(t, prov, "garbage"); m["active"] != false || len(m) != 1 {
		t.Errorf("garbage token: %v", m)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	prov := oauthtest.Start(t, oauthtest.Options{})
	cfg := config(prov, "", false)
	v := oauth2.GenerateVerifier()

	other := *cfg
	other.RedirectURL = "http://127.0.0.1:2/oauth/callback" // only the port differs
	if u, err := prov.SignIn(ctx, other.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), "alice", "secret"); err == nil || u != nil {
		t.Errorf("unregistered redirect URI: %v, %v", u, err)
	}
	u, err := prov.SignIn(ctx, cfg.AuthCodeURL("s"), "alice", "secret")
	if err == nil || u == nil || u.Query().Get("error") != "invalid_request" || u.Query().Get("state") != "s" {
		t.Errorf("public client without PKCE: %v, %v", u, err)
	}
	plain := cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", v), oauth2.SetAuthURLParam("code_challenge_method", "plain"))
	if u, err := prov.SignIn(ctx, plain, "alice", "secret"); err == nil || u == nil {
		t.Errorf("plain PKCE: %v, %v", u, err)
	}
	if _, err := prov.SignIn(ctx, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), "alice", "wrong"); err == nil {
		t.Error("wrong password accepted")
	}

	redirect, err := prov.SignIn(ctx, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), "alice", "secret")
	if err != nil {
		t.Fatal(err)
	}
	code := redirect.Query().Get("code")
	wantCode(t, "no verifier", func() error { _, err := cfg.Exchange(ctx, code); return err }, "invalid_request")
	wantCode(t, "wrong verifier", func() error {
		_, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		return err
	}, "invalid_grant")
	if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(v)); err != nil {
		t.Fatalf("right verifier after wrong ones: %v", err)
	}
	wantCode(t, "code used twice", func() error { _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(v)); return err }, "invalid_grant")
}

func wantCode(t *testing.T, what string, f func() error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if err := f(); !errors.As(err, &re) || re.ErrorCode != code {
		t.Errorf("%s: %v, want error %s", what, err, code)
	}
}

func TestConfidentialClientNeedsSecret(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	prov := oauthtest.Start(t, oauthtest.Options{})
	cfg := config(prov, "right", false)
	redirect, err := prov.SignIn(ctx, cfg.AuthCodeURL("s"), "alice", "secret") // PKCE optional here
	if err != nil {
		t.Fatal(err)
	}
	wrong := *cfg
	wrong.ClientSecret = "wrong"
	if _, err := wrong.Exchange(ctx, redirect.Query().Get("code")); err == nil {
		t.Error("wrong client secret accepted")
	}
	if _, err := cfg.Exchange(ctx, redirect.Query().Get("code")); err != nil {
		t.Errorf("right secret: %v", err)
	}
}

// expired returns a copy of tok that oauth2 considers expired, so that a
// TokenSource refreshes it.
func expired(tok *oauth2.Token) *oauth2.Token {
	c := *tok
	c.Expiry = time.Now().Add(-time.Second)
	return &c
}

func TestExpiryAndRefresh(t *testing.T) {
	t.Parallel()
	const lifetime = 2 * time.Second
	prov, srv, cfg := setup(t, oauthtest.Options{AccessTokenLifetime: lifetime}, "")
	issued := time.Now()
	tok := signIn(t, prov, cfg)
	if err := popAuth(t, srv, pop3client.XOAuth2Auth("alice", tok.AccessToken)); err != nil {
		// A slow machine could take the whole lifetime to get here.
		if time.Since(issued) < lifetime {
			t.Fatalf("fresh token: %v", err)
		}
	}
	time.Sleep(time.Until(issued.Add(lifetime + 100*time.Millisecond)))
	mustFail(t, srv, "alice", tok.AccessToken)

	for i := range 2 { // a refresh token works again and again
		ctx := testCtx(t)
		fresh, err := cfg.TokenSource(ctx, expired(tok)).Token()
		if err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
		if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
			t.Fatalf("refresh %d: access token unchanged or refresh token rotated", i)
		}
		if err := popAuth(t, srv, pop3client.XOAuth2Auth("alice", fresh.AccessToken)); err != nil {
			t.Fatalf("refreshed token %d: %v", i, err)
		}
		tok = fresh
	}
}

func TestRotateRefreshTokens(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	prov := oauthtest.Start(t, oauthtest.Options{RotateRefreshTokens: true})
	cfg := config(prov, "", false)
	tok := signIn(t, prov, cfg)
	fresh, err := cfg.TokenSource(ctx, expired(tok)).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == tok.RefreshToken || fresh.RefreshToken == "" {
		t.Fatalf("refresh token not rotated")
	}
	wantCode(t, "retired refresh token", func() error { _, err := cfg.TokenSource(ctx, expired(tok)).Token(); return err }, "invalid_grant")
	if _, err := cfg.TokenSource(ctx, expired(fresh)).Token(); err != nil {
		t.Errorf("new refresh token: %v", err)
	}
}

func TestRevokeGrants(t *testing.T) {
	t.Parallel()
	prov, srv, cfg := setup(t, oauthtest.Options{}, "")
	tok := signIn(t, prov, cfg)
	mustAuth(t, srv, tok.AccessToken)
	prov.RevokeGrants("alice")
	if m := introspect(t, prov, tok.AccessToken); m["active"] != false {
		t.Errorf("introspection after RevokeGrants: %v", m)
	}
	wantCode(t, "refresh after RevokeGrants", func() error {
		_, err := cfg.TokenSource(testCtx(t), expired(tok)).Token()
		return err
	}, "invalid_grant")
	mustFail(t, srv, "alice", tok.AccessToken)

	// Signing in again gives working tokens.
	mustAuth(t, srv, signIn(t, prov, cfg).AccessToken)
}

// pollOnce asks the token endpoint once for the device grant's tokens and
// returns the OAuth error code.
func pollOnce(t *testing.T, cfg *oauth2.Config, deviceCode string) string {
	t.Helper()
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}, "client_id": {cfg.ClientID}}
	resp, err := http.PostForm(cfg.Endpoint.TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal(body, &e)
	return e.Error
}

func TestDeviceGrant(t *testing.T) {
	t.Parallel()
	prov := oauthtest.Start(t, oauthtest.Options{})
	srv := dovecottest.Start(t, dovecottest.Options{OAuth2: prov.DovecotOAuth2()})
	srv.AddMessage("alice", []byte("Subject: hi\r\n\r\nhello\r\n"))
	cfg := config(prov, "", true)
	ctx := testCtx(t)

	resp, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if resp.VerificationURI != prov.DeviceVerificationURL || resp.UserCode == "" || resp.Interval != 1 {
		t.Fatalf("device authorization: %+v", resp)
	}
	if code := pollOnce(t, cfg, resp.DeviceCode); code != "authorization_pending" {
		t.Fatalf("poll before approval: %q, want authorization_pending", code)
	}
	approved := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond) // let the device poll in vain first
		approved <- prov.ApproveDevice(ctx, strings.ToLower(resp.UserCode), "alice", "secret")
	}()
	pollCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tok, err := cfg.DeviceAccessToken(pollCtx, resp)
	if err := <-approved; err != nil {
		t.Fatalf("ApproveDevice: %v", err)
	}
	if err != nil {
		t.Fatalf("DeviceAccessToken: %v", err)
	}
	if tok.RefreshToken == "" {
		t.Error("no refresh token for offline_access")
	}
	mustAuth(t, srv, tok.AccessToken)
	if code := pollOnce(t, cfg, resp.DeviceCode); code == "" {
		t.Error("a device code gave tokens twice")
	}
}

func TestDeviceDenied(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	prov := oauthtest.Start(t, oauthtest.Options{})
	cfg := config(prov, "", true)
	resp, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := prov.ApproveDevice(ctx, resp.UserCode, "alice", "wrong"); err == nil {
		t.Error("wrong password approved the device")
	}
	if err := prov.DenyDevice(ctx, resp.UserCode, "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	if code := pollOnce(t, cfg, resp.DeviceCode); code != "access_denied" {
		t.Errorf("poll after denial: %q", code)
	}
}

// TestPages pins the element ids browser tests rely on.
func TestPages(t *testing.T) {
	t.Parallel()
	prov := oauthtest.Start(t, oauthtest.Options{})
	cfg := config(prov, "", false)
	get := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", u, resp.Status)
		}
		return string(b)
	}
	login := get(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	device := get(prov.DeviceVerificationURL + "?user_code=ABCD-EFGH")
	for page, want := range map[*string][]string{
		&login:  {`<form id="login" method="post"`, `name="authRequestID"`, `id="username" name="username"`, `id="password" name="password" type="password"`, `<button id="submit" type="submit">`},
		&device: {`<form id="device" method="post"`, `id="user_code" name="user_code" autocomplete="off" value="ABCD-EFGH"`, `id="username" name="username"`, `id="password" name="password" type="password"`, `<button id="approve" type="submit" name="action" value="allow">`, `<button id="deny"`},
	} {
		for _, w := range want {
			if !strings.Contains(*page, w) {
				t.Errorf("page lacks %s:\n%s", w, *page)
			}
		}
	}
}

func TestRevocationEndpoint(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	prov := oauthtest.Start(t, oauthtest.Options{})
	cfg := config(prov, "", false)
	tok := signIn(t, prov, cfg)
	revoke := func(token, hint string) {
		t.Helper()
		resp, err := http.PostForm(prov.RevokeURL, url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {cfg.ClientID}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("revoking the %s: %s", hint, resp.Status)
		}
	}

	revoke(tok.AccessToken, "access_token")
	if m := introspect(t, prov, tok.AccessToken); m["active"] != false {
		t.Errorf("revoked access token: %v", m)
	}
	fresh, err := cfg.TokenSource(ctx, expired(tok)).Token()
	if err != nil {
		t.Fatalf("refresh after revoking an access token: %v", err)
	}
	revoke(fresh.RefreshToken, "refresh_token")
	if m := introspect(t, prov, fresh.AccessToken); m["active"] != false {
		t.Errorf("access token after revoking its refresh token: %v", m)
	}
	wantCode(t, "revoked refresh token", func() error { _, err := cfg.TokenSource(ctx, expired(fresh)).Token(); return err }, "invalid_grant")
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	prov := oauthtest.Start(t, oauthtest.Options{})
	resp, err := http.Get(prov.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"issuer": prov.Issuer, "authorization_endpoint": prov.AuthURL, "token_endpoint": prov.TokenURL,
		"device_authorization_endpoint": prov.DeviceAuthURL, "introspection_endpoint": prov.IntrospectURL,
		"revocation_endpoint": prov.RevokeURL, "userinfo_endpoint": prov.UserinfoURL,
	} {
		if d[k] != want {
			t.Errorf("discovery %s = %v, want %s", k, d[k], want)
		}
	}
	if m, _ := json.Marshal(d["code_challenge_methods_supported"]); !strings.Contains(string(m), "S256") {
		t.Errorf("code_challenge_methods_supported = %s", m)
	}
}

// TestAddressUser: a user whose login name is an e-mail address logs in
// to Dovecot by that name.
func TestAddressUser(t *testing.T) {
	t.Parallel()
	users := map[string]string{"dora@example.test": "pw"}
	prov := oauthtest.Start(t, oauthtest.Options{Users: users})
	srv := dovecottest.Start(t, dovecottest.Options{Users: users, OAuth2: prov.DovecotOAuth2()})
	tok := signInAs(t, prov, config(prov, "", false), "dora@example.test", "pw")
	ctx := testCtx(t)
	block, _ := pem.Decode(srv.CertPEM)
	cert, _ := x509.ParseCertificate(block.Bytes)
	for _, m := range []pop3client.Mechanism{
		pop3client.XOAuth2Auth("dora@example.test", tok.AccessToken),
		pop3client.OAuthBearerAuth("dora@example.test", tok.AccessToken, "", 0),
	} {
		c, err := pop3client.Dial(ctx, srv.TLSAddr, &pop3client.Options{ExtraRootCAs: []*x509.Certificate{cert}, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Auth(ctx, m); err != nil {
			t.Errorf("AUTH %s: %v", m.Name(), err)
		}
		c.Close()
	}
}
