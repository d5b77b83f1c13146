// Package oauthtest runs a real OAuth 2.0 / OpenID Connect provider on
// loopback for tests: github.com/zitadel/oidc's op package with an
// in-memory storage of its own, its own login and device pages, and
// helpers that do what a person does in a browser.
//
//	prov := oauthtest.Start(t, oauthtest.Options{})           // alice / secret
//	srv := dovecottest.Start(t, dovecottest.Options{OAuth2: prov.DovecotOAuth2()})
//	id := prov.RegisterClient([]string{appURL + "/oauth/callback"}, false, "")
//	cfg := &oauth2.Config{ClientID: id, RedirectURL: appURL + "/oauth/callback",
//		Endpoint: oauth2.Endpoint{AuthURL: prov.AuthURL, TokenURL: prov.TokenURL, DeviceAuthURL: prov.DeviceAuthURL},
//		Scopes:   []string{"openid", "email", "offline_access", oauthtest.ScopePOP}}
//	v := oauth2.GenerateVerifier()
//	redirect, _ := prov.SignIn(ctx, cfg.AuthCodeURL("state", oauth2.S256ChallengeOption(v)), "alice", "secret")
//	tok, _ := cfg.Exchange(ctx, redirect.Query().Get("code"), oauth2.VerifierOption(v))
//	// POP3: AUTH XOAUTH2 / OAUTHBEARER as "alice" with tok.AccessToken
//
// Everything listens on 127.0.0.1 with a random port (Issuer is
// "http://127.0.0.1:port"); nothing goes anywhere else.
//
// # Clients and grants
//
// RegisterClient registers a client at any time. With a secret it is
// confidential (HTTP Basic or client_secret in the form); without one it
// is public, and must send a PKCE S256 challenge. Redirect URIs must match
// a registered one exactly, port included; an unregistered one gets a 400
// page, never a redirect. "plain" PKCE is refused. Grants: authorization
// code, refresh token, and the device authorization grant (RFC 8628) for
// clients registered with device set (poll interval 1 s,
// authorization_pending until approved, then tokens once).
//
// Scopes: "openid", "email", "profile", "offline_access" (a refresh token
// comes only with it), the mail scopes ScopePOP ("pop") and ScopeSMTP
// ("smtp"), and any other string: every scope asked for is granted.
//
// Access tokens are opaque (about 70 characters, short enough for POP3's
// one-line AUTH XOAUTH2) or, with Options.JWTAccessTokens, ES256 JWTs.
// They stay active for Options.AccessTokenLifetime (5 min by default) and
// expires_in says so. Refreshing returns a new access token and the same
// refresh token (Options.RotateRefreshTokens: a new one, retiring the old);
// older access tokens stay active until they expire. RevokeGrants revokes
// all of a user's tokens: refreshing then fails with invalid_grant and
// introspection says {"active": false}. The revocation endpoint (RFC 7009)
// works too.
//
// Introspection (RFC 7662, IntrospectURL) answers any confidential client
// authenticating with HTTP Basic. An active token's answer has "active",
// "sub" and "username" (the login name), "email", "scope", "client_id",
// "exp" and "iat"; any other token's is {"active": false}. DovecotOAuth2
// registers such a client for Dovecot and returns the dovecottest option,
// so the POP3 user name is the provider's login name.
//
// # Pages, for browser tests
//
// The authorization endpoint redirects to the login page, LoginURL +
// "?authRequestID=...":
//
//	<form id="login" method="post" action="/login">
//	  <input type="hidden" id="authRequestID" name="authRequestID">
//	  <input id="username" name="username">
//	  <input id="password" name="password" type="password">
//	  <button id="submit" type="submit">Sign in</button>
//
// The right password redirects (302) to the authorization callback and on
// to redirect_uri?code=...&state=...; a wrong one shows the form again
// (401) with <p id="error">. There is no consent step. #request names the
// client and #scopes lists the scopes asked for.
//
// The device verification page, DeviceVerificationURL (the
// verification_uri; verification_uri_complete adds "?user_code=..." and
// fills the code in), takes everything in one form:
//
//	<form id="device" method="post" action="/device">
//	  <input id="user_code" name="user_code">
//	  <input id="username" name="username">
//	  <input id="password" name="password" type="password">
//	  <button id="approve" type="submit" name="action" value="allow">Allow</button>
//	  <button id="deny" type="submit" name="action" value="deny">Deny</button>
//
// Success shows <p id="done" data-action="allow"> (or "deny"); a wrong
// password, an unknown, expired or used code show the form again with
// <p id="error">. User codes look like "BCDF-GHJK" and are accepted in any
// case.
//
// SignIn and ApproveDevice (and DenyDevice) drive these same pages over
// HTTP for tests without a browser.
package oauthtest
