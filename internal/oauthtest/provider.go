package oauthtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/apartado/apartado/internal/dovecottest"
)

// Defaults used when Options leave them out; the users are dovecottest's.
const (
	DefaultUser                = dovecottest.DefaultUser
	DefaultPassword            = dovecottest.DefaultPassword
	DefaultAccessTokenLifetime = 5 * time.Minute
	// EmailDomain is the domain of the users' e-mail addresses.
	EmailDomain = "example.test"
	// DeviceCodeLifetime is how long a device grant waits for approval.
	DeviceCodeLifetime = 5 * time.Minute
)

// Scopes the provider knows by name. It accepts any other scope a client
// asks for too, and issues it unchanged.
const (
	ScopePOP  = "pop"
	ScopeSMTP = "smtp"
)

// Options configure a Provider. The zero value is a useful default.
type Options struct {
	// Users maps login names to passwords. Nil means {"alice": "secret"},
	// like dovecottest. A user's e-mail address is login@example.test, or
	// the login name itself when it has an "@".
	Users map[string]string
	// AccessTokenLifetime is how long an access token stays active. Zero
	// means DefaultAccessTokenLifetime. Tests set a short one (e.g. 2 s)
	// to see tokens expire.
	AccessTokenLifetime time.Duration
	// RotateRefreshTokens makes every refresh return a new refresh token
	// and retire the one redeemed, which then gets invalid_grant. Without
	// it a refresh token is returned unchanged and works until revoked.
	RotateRefreshTokens bool
	// JWTAccessTokens issues access tokens as signed JWTs (ES256, about
	// 400 characters) instead of short opaque ones (about 70 characters).
	// Introspection checks both alike. An opaque token fits on the line
	// "AUTH XOAUTH2 <initial response>" (255 octets at most); a JWT is sent
	// after the server's "+" continuation.
	JWTAccessTokens bool
}

// Provider is a running OAuth 2.0 / OpenID Connect provider on loopback.
// All URLs are absolute, below Issuer.
type Provider struct {
	// Issuer is "http://127.0.0.1:port"; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// AuthURL is the authorization endpoint, TokenURL the token endpoint.
	AuthURL, TokenURL string
	// DeviceAuthURL is the device authorization endpoint (RFC 8628), and
	// DeviceVerificationURL the page where the user enters the code.
	DeviceAuthURL, DeviceVerificationURL string
	// IntrospectURL (RFC 7662) and RevokeURL (RFC 7009) need the client's
	// credentials; UserinfoURL takes an access token.
	IntrospectURL, RevokeURL, UserinfoURL string
	// LoginURL is the sign-in page the authorization endpoint redirects to.
	LoginURL string

	srv   *httptest.Server
	store *store
	jwt   bool
}

// Start runs a provider on 127.0.0.1 with a random port for the test and
// stops it when the test ends.
func Start(tb testing.TB, opts Options) *Provider {
	tb.Helper()
	p, err := New(opts)
	if err != nil {
		tb.Fatalf("oauthtest: %v", err)
	}
	tb.Cleanup(p.Close)
	return p
}

// New runs a provider like Start; Close stops it.
func New(opts Options) (*Provider, error) {
	if opts.Users == nil {
		opts.Users = map[string]string{DefaultUser: DefaultPassword}
	}
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = DefaultAccessTokenLifetime
	}
	st, err := newStore(opts.Users, opts.AccessTokenLifetime, opts.RotateRefreshTokens)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1:0
	p := &Provider{Issuer: "http://" + srv.Listener.Addr().String(), srv: srv, store: st, jwt: opts.JWTAccessTokens}
	st.issuer = p.Issuer
	handler, err := p.handler()
	if err != nil {
		srv.Listener.Close()
		return nil, err
	}
	srv.Config.Handler = handler
	srv.Start()
	e := func(path string) string { return p.Issuer + path }
	p.AuthURL, p.TokenURL, p.UserinfoURL = e("/authorize"), e("/oauth/token"), e("/userinfo")
	p.DeviceAuthURL, p.DeviceVerificationURL = e("/device_authorization"), e(devicePath)
	p.IntrospectURL, p.RevokeURL, p.LoginURL = e("/oauth/introspect"), e("/revoke"), e(loginPath)
	return p, nil
}

// handler builds the library's provider and puts the login and device
// pages and the authorization guard beside it.
func (p *Provider) handler() (http.Handler, error) {
	crypto, err := newGCMCrypto()
	if err != nil {
		return nil, err
	}
	config := &op.Config{
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedUILocales:    []language.Tag{language.English},
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime:     DeviceCodeLifetime,
			PollInterval: time.Second,
			UserFormPath: devicePath,
			UserCode:     op.UserCodeBase20,
		},
	}
	provider, err := op.NewProvider(config, p.store, op.StaticIssuer(p.Issuer), op.WithAllowInsecure(), op.WithCrypto(crypto))
	if err != nil {
		return nil, fmt.Errorf("creating the provider: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/authorize", p.checkAuthorize(provider))
	mux.HandleFunc("GET "+loginPath, p.loginForm)
	mux.HandleFunc("POST "+loginPath, p.login)
	mux.HandleFunc("GET "+devicePath, p.deviceForm)
	mux.HandleFunc("POST "+devicePath, p.device)
	mux.Handle("/", provider)
	return mux, nil
}

// Close stops the provider. It is safe to call more than once.
func (p *Provider) Close() {
	p.srv.Close()
}

// RegisterClient registers a client and returns its id. A client with a
// secret is confidential (it authenticates with HTTP Basic or form
// fields); with secret "" it is public and must use PKCE S256. It may
// redirect to exactly the redirectURIs given (compared as strings), and use
// the device grant if device is set. It can be called at any time, e.g.
// once the application under test knows its own address.
func (p *Provider) RegisterClient(redirectURIs []string, device bool, secret string) (clientID string) {
	c := &client{id: "client-" + randomID(9), secret: secret, redirectURIs: slices.Clone(redirectURIs), device: device, jwt: p.jwt}
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.clients[c.id] = c
	return c.id
}

// RevokeGrants revokes every access and refresh token issued to the user
// (any client): introspection then says "active": false and redeeming a
// refresh token gets invalid_grant. Pending authorization codes and device
// grants are unaffected. The user can sign in again afterwards.
func (p *Provider) RevokeGrants(user string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.revokeLocked(func(sub, _ string) bool { return sub == user })
}

// DovecotOAuth2 registers a confidential client for Dovecot (a resource
// server: it only introspects) and returns the dovecottest option that
// makes a dovecottest server accept this provider's access tokens with
// XOAUTH2 and OAUTHBEARER, for the user whose POP3 user name is the
// provider's login name:
//
//	prov := oauthtest.Start(t, oauthtest.Options{})
//	srv := dovecottest.Start(t, dovecottest.Options{OAuth2: prov.DovecotOAuth2()})
func (p *Provider) DovecotOAuth2() *dovecottest.OAuth2 {
	secret := randomID(18)
	id := p.RegisterClient(nil, false, secret)
	u, _ := url.Parse(p.IntrospectURL)
	u.User = url.UserPassword(id, secret)
	return &dovecottest.OAuth2{IntrospectionURL: u.String(), UsernameAttribute: "username"}
}
