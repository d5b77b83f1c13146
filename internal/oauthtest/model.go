package oauthtest

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// client is a registered client; it implements op.Client.
type client struct {
	id, secret   string
	redirectURIs []string
	device       bool
	jwt          bool
}

func (c *client) public() bool                     { return c.secret == "" }
func (c *client) GetID() string                    { return c.id }
func (c *client) RedirectURIs() []string           { return c.redirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return nil }

// ApplicationType is web (confidential) for a client with a secret and
// native (public) for one without: the library lets only non-confidential
// clients use the device grant unauthenticated. Native clients' loopback
// redirect URIs match whatever their port in the library; the provider's
// own check (checkAuthorize) insists on an exact match for every client.
func (c *client) ApplicationType() op.ApplicationType {
	if c.public() {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.public() {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	g := []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	if c.device {
		g = append(g, oidc.GrantTypeDeviceCode)
	}
	return g
}

func (c *client) LoginURL(id string) string { return loginPath + "?authRequestID=" + id }

func (c *client) AccessTokenType() op.AccessTokenType {
	if c.jwt {
		return op.AccessTokenTypeJWT
	}
	return op.AccessTokenTypeBearer
}

func (c *client) IDTokenLifetime() time.Duration { return time.Hour }

// DevMode lets http:// redirect URIs of any host through the library's
// checks; checkAuthorize still requires an exact match.
func (c *client) DevMode() bool { return true }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed accepts every scope, "pop" and "smtp" among them.
func (c *client) IsScopeAllowed(string) bool { return true }

// IDTokenUserinfoClaimsAssertion puts the user's claims (email, profile)
// in the ID token itself, as Microsoft and Google do, not only in userinfo.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// authRequest is a pending authorization request; it implements
// op.AuthRequest.
type authRequest struct {
	id           string
	clientID     string
	redirectURI  string
	state, nonce string
	scopes       []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    *oidc.CodeChallenge

	subject  string // set once the user signed in
	authTime time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return amr(a.subject) }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.subject != "" }

func amr(subject string) []string {
	if subject == "" {
		return nil
	}
	return []string{"pwd"}
}

// accessToken is an issued access token, found by its id (the opaque
// token and the JWT both carry it).
type accessToken struct {
	id       string
	clientID string
	subject  string
	scopes   []string
	audience []string
	issued   time.Time
	expires  time.Time
}

// refreshToken is an issued refresh token, which is its own id.
type refreshToken struct {
	token    string
	clientID string
	subject  string
	scopes   []string
	audience []string
	amr      []string
	authTime time.Time
}

// refreshRequest is a refresh token being redeemed; it implements
// op.RefreshTokenRequest. It is a copy, so narrowing its scopes does not
// narrow the stored grant.
type refreshRequest struct{ refreshToken }

func (r *refreshRequest) GetAMR() []string                 { return r.amr }
func (r *refreshRequest) GetAudience() []string            { return r.audience }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.authTime }
func (r *refreshRequest) GetClientID() string              { return r.clientID }
func (r *refreshRequest) GetScopes() []string              { return r.scopes }
func (r *refreshRequest) GetSubject() string               { return r.subject }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.scopes = slices.Clone(scopes) }

// deviceGrant is a pending device authorization.
type deviceGrant struct {
	deviceCode, userCode string
	state                op.DeviceAuthorizationState
}
