// Package oauth signs people in with their mail provider (OAuth 2.0, RFC
// 6749) so that Apartado may read and send their mail without a password:
// the authorization code with PKCE (RFC 7636), the device authorization
// grant (RFC 8628), and renewing access tokens with a refresh token. It
// talks to the provider through golang.org/x/oauth2 and keeps nothing:
// storing the tokens, sealed, is the application layer's. No SQL, no pages.
package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Issuer is a provider's authorization server, as discover's table or an
// administrator describes it.
type Issuer struct {
	ID   string // "microsoft", "google", …, or "custom"
	Name string // shown on the sign-in button: "Microsoft"

	AuthURL       string // authorization endpoint; "" when only the device grant is offered
	TokenURL      string
	DeviceAuthURL string // device authorization endpoint (RFC 8628); "" when not offered
	// Scopes are those POP3 and SMTP need, with what keeps the grant
	// renewable (offline_access, where the provider wants it asked).
	Scopes []string
	// AuthParams are added to the authorization request (Google's
	// access_type=offline, for a refresh token).
	AuthParams map[string]string
}

// Code reports whether the issuer offers the authorization code flow.
func (is Issuer) Code() bool { return is.AuthURL != "" && is.TokenURL != "" }

// Device reports whether the issuer offers the device authorization grant.
func (is Issuer) Device() bool { return is.DeviceAuthURL != "" && is.TokenURL != "" }

// Client is the application registered with the issuer: its ID and, for a
// confidential client, its secret ("" for a public one).
type Client struct {
	ID, Secret string
}

// Token is what a sign-in or a renewal gave.
type Token struct {
	Access  string
	Refresh string    // "" when the provider sent none (a renewal keeps the old one)
	Expiry  time.Time // zero: the provider did not say
	// Login is who signed in, from the ID token when the provider sent one
	// (its email or preferred_username claim), else "".
	Login string
}

// Errors a provider's answer maps to.
var (
	// ErrRevoked: the grant is no longer valid (RFC 6749 §5.2
	// invalid_grant): withdrawn by the person, expired, or the password
	// changed. Only signing in again helps.
	ErrRevoked = errors.New("oauth: the sign-in was withdrawn or has expired")
	// ErrDenied: the person declined (access_denied).
	ErrDenied = errors.New("oauth: the sign-in was declined")
	// ErrExpired: the device code expired before the person signed in.
	ErrExpired = errors.New("oauth: the code expired before signing in")
	// ErrClient: the provider does not accept the registered client
	// (invalid_client, unauthorized_client): the administrator's to fix.
	ErrClient = errors.New("oauth: the provider refused Apartado's registration")
	// ErrUnavailable: the provider could not be asked, or failed on its
	// side (no answer, a 5xx, an answer that is not OAuth's): worth
	// trying again later.
	ErrUnavailable = errors.New("oauth: the provider's sign-in service did not answer")
)

// Timeout bounds each request to the provider.
const Timeout = 30 * time.Second

// config is the x/oauth2 configuration of is for c.
func config(is Issuer, c Client, redirectURL string) *oauth2.Config {
	style := oauth2.AuthStyleAutoDetect
	if c.Secret == "" {
		style = oauth2.AuthStyleInParams // a public client sends its ID in the form
	}
	return &oauth2.Config{
		ClientID:     c.ID,
		ClientSecret: c.Secret,
		Endpoint: oauth2.Endpoint{AuthURL: is.AuthURL, TokenURL: is.TokenURL, DeviceAuthURL: is.DeviceAuthURL,
			AuthStyle: style},
		RedirectURL: redirectURL,
		Scopes:      is.Scopes,
	}
}

// withClient gives ctx the HTTP client x/oauth2 uses: bounded in time.
func withClient(ctx context.Context) context.Context {
	if _, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: Timeout})
}

// CodeStart is a started authorization: the address to send the person
// to, and the state and PKCE verifier to keep, bound to their session,
// until they come back.
type CodeStart struct {
	URL, State, Verifier string
}

// StartCode begins the authorization code flow with PKCE (S256).
// loginHint, when not "", proposes the address to sign in with.
func StartCode(is Issuer, c Client, redirectURL, loginHint string) CodeStart {
	st := CodeStart{State: oauth2.GenerateVerifier(), Verifier: oauth2.GenerateVerifier()}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(st.Verifier)}
	for k, v := range is.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
	}
	st.URL = config(is, c, redirectURL).AuthCodeURL(st.State, opts...)
	return st
}

// Exchange trades the code the provider returned for tokens.
func Exchange(ctx context.Context, is Issuer, c Client, redirectURL, code, verifier string) (Token, error) {
	t, err := config(is, c, redirectURL).Exchange(withClient(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Token{}, classify("exchanging the code", err)
	}
	return token(t), nil
}

// DeviceStart is a started device authorization: what to show the person.
type DeviceStart = oauth2.DeviceAuthResponse

// StartDevice asks for a device code and the code the person types.
func StartDevice(ctx context.Context, is Issuer, c Client) (*DeviceStart, error) {
	r, err := config(is, c, "").DeviceAuth(withClient(ctx))
	if err != nil {
		return nil, classify("asking for a device code", err)
	}
	return r, nil
}

// AwaitDevice polls the provider, at the interval it asked for, until the
// person has signed in, declined, or the code expired (or ctx ends).
func AwaitDevice(ctx context.Context, is Issuer, c Client, d *DeviceStart) (Token, error) {
	t, err := config(is, c, "").DeviceAccessToken(withClient(ctx), d)
	if err != nil {
		return Token{}, classify("waiting for the sign-in", err)
	}
	return token(t), nil
}

// Refresh renews the access token with the refresh token (RFC 6749 §6).
func Refresh(ctx context.Context, is Issuer, c Client, refresh string) (Token, error) {
	if refresh == "" {
		return Token{}, fmt.Errorf("renewing the access token: %w", ErrRevoked)
	}
	old := &oauth2.Token{RefreshToken: refresh, Expiry: time.Unix(1, 0)} // expired: renewed at once
	t, err := config(is, c, "").TokenSource(withClient(ctx), old).Token()
	if err != nil {
		return Token{}, classify("renewing the access token", err)
	}
	out := token(t)
	if out.Refresh == refresh {
		out.Refresh = "" // not rotated: nothing new to store
	}
	return out, nil
}

// classify wraps err with the sentinel the provider's error code maps to.
func classify(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "invalid_grant":
			return fmt.Errorf("%s: %w (%s)", op, ErrRevoked, describe(re))
		case "access_denied":
			return fmt.Errorf("%s: %w (%s)", op, ErrDenied, describe(re))
		case "expired_token":
			return fmt.Errorf("%s: %w (%s)", op, ErrExpired, describe(re))
		case "invalid_client", "unauthorized_client":
			return fmt.Errorf("%s: %w (%s)", op, ErrClient, describe(re))
		}
		if re.Response != nil && re.Response.StatusCode < 500 && re.ErrorCode != "" {
			return fmt.Errorf("%s: %w", op, err) // another refusal, in OAuth's words
		}
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// describe is the provider's own words for an error, for logs and the
// diagnosis's details.
func describe(re *oauth2.RetrieveError) string {
	if re.ErrorDescription != "" {
		return re.ErrorCode + ": " + re.ErrorDescription
	}
	return re.ErrorCode
}

func token(t *oauth2.Token) Token {
	out := Token{Access: t.AccessToken, Refresh: t.RefreshToken, Expiry: t.Expiry}
	if id, ok := t.Extra("id_token").(string); ok {
		out.Login = loginOf(id)
	}
	return out
}

// loginOf reads who signed in from an ID token's claims. The token came
// straight from the token endpoint over the connection Apartado opened
// (OpenID Connect Core §3.1.3.7 allows TLS server validation in place of
// the signature); it only labels the grant, and grants nothing.
func loginOf(idToken string) string {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		Email             string `json:"email"`
		PreferredUsername string `json:"preferred_username"`
	}
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	if claims.Email != "" {
		return claims.Email
	}
	return claims.PreferredUsername
}
