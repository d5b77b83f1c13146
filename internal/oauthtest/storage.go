package oauthtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// user is an account of the provider. Its subject is its login name.
type user struct {
	login, password, email string
}

// store keeps everything in memory; it implements op.Storage and
// op.DeviceAuthorizationStorage. One mutex guards it all.
type store struct {
	lifetime time.Duration // of access tokens
	rotate   bool          // refreshing replaces the refresh token
	issuer   string        // for introspection responses
	key      *ecdsa.PrivateKey
	keyID    string

	mu        sync.Mutex
	users     map[string]*user
	clients   map[string]*client
	authReqs  map[string]*authRequest
	codes     map[string]string // authorization code -> auth request id
	tokens    map[string]*accessToken
	refresh   map[string]*refreshToken
	devices   map[string]*deviceGrant // by device code
	userCodes map[string]string       // user code -> device code
}

var (
	_ op.Storage                    = (*store)(nil)
	_ op.DeviceAuthorizationStorage = (*store)(nil)
	_ op.CanSetUserinfoFromRequest  = (*store)(nil)
)

func newStore(users map[string]string, lifetime time.Duration, rotate bool) (*store, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	s := &store{
		lifetime: lifetime, rotate: rotate, key: key, keyID: randomID(8),
		users: map[string]*user{}, clients: map[string]*client{},
		authReqs: map[string]*authRequest{}, codes: map[string]string{},
		tokens: map[string]*accessToken{}, refresh: map[string]*refreshToken{},
		devices: map[string]*deviceGrant{}, userCodes: map[string]string{},
	}
	for login, pw := range users {
		s.users[login] = &user{login: login, password: pw, email: emailOf(login)}
	}
	return s, nil
}

// randomID returns n random bytes, base64url-encoded without padding.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errNotFound = errors.New("not found")

// checkPassword returns the user when login and password are right.
func (s *store) checkPassword(login, password string) (*user, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[login]
	if !ok || u.password != password {
		return nil, errors.New("wrong username or password")
	}
	return u, nil
}

// signIn marks the auth request id as signed in by login.
func (s *store) signIn(id, login, password string) error {
	if _, err := s.checkPassword(login, password); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authReqs[id]
	if !ok {
		return errors.New("this sign-in request is unknown or has expired; start again from the application")
	}
	a.subject, a.authTime = login, time.Now()
	return nil
}

// authRequestInfo returns what the login page shows about a request.
func (s *store) authRequestInfo(id string) (clientID string, scopes []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.authReqs[id]
	if !ok {
		return "", nil, false
	}
	return a.clientID, slices.Clone(a.scopes), true
}

func (s *store) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if len(r.Prompt) == 1 && r.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired()
	}
	a := &authRequest{
		id: randomID(16), clientID: r.ClientID, redirectURI: r.RedirectURI,
		state: r.State, nonce: r.Nonce, scopes: slices.Clone(r.Scopes),
		responseType: r.ResponseType, responseMode: r.ResponseMode,
	}
	if r.CodeChallenge != "" {
		a.challenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authReqs[a.id] = a
	return a, nil
}

// AuthRequestByID returns a copy, which the library may read while the
// login page signs the request in.
func (s *store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.authReqs[id]; ok {
		c := *a
		return &c, nil
	}
	return nil, errNotFound
}

func (s *store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("code invalid or already used")
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest forgets a request once its code was redeemed, so a code
// works once.
func (s *store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.authReqs, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// grantInfo is what every token request type of the library offers.
type grantInfo interface {
	GetClientID() string
	GetAuthTime() time.Time
	GetAMR() []string
}

// newAccessToken stores an access token; s.mu must be held.
func (s *store) newAccessToken(r op.TokenRequest) *accessToken {
	now := time.Now()
	t := &accessToken{
		id: randomID(12), subject: r.GetSubject(),
		scopes: slices.Clone(r.GetScopes()), audience: slices.Clone(r.GetAudience()),
		issued: now, expires: now.Add(s.lifetime),
	}
	if g, ok := r.(grantInfo); ok {
		t.clientID = g.GetClientID()
	}
	s.tokens[t.id] = t
	return t
}

func (s *store) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.newAccessToken(r)
	return t.id, t.expires, nil
}

// CreateAccessAndRefreshTokens issues an access token and, for a new grant,
// a refresh token. Redeeming a refresh token returns the same one again, or
// with Options.RotateRefreshTokens a new one that replaces it.
func (s *store) CreateAccessAndRefreshTokens(_ context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current == "" {
		rt := &refreshToken{
			token: randomID(32), subject: r.GetSubject(),
			scopes: slices.Clone(r.GetScopes()), audience: slices.Clone(r.GetAudience()),
		}
		if g, ok := r.(grantInfo); ok {
			rt.clientID, rt.authTime, rt.amr = g.GetClientID(), g.GetAuthTime(), g.GetAMR()
		}
		s.refresh[rt.token] = rt
		t := s.newAccessToken(r)
		return t.id, rt.token, t.expires, nil
	}
	rt, ok := s.refresh[current]
	if !ok {
		return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token revoked")
	}
	if s.rotate {
		delete(s.refresh, current)
		rt.token = randomID(32)
		s.refresh[rt.token] = rt
	}
	t := s.newAccessToken(r)
	return t.id, rt.token, t.expires, nil
}

func (s *store) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok {
		return nil, errors.New("refresh token unknown or revoked")
	}
	c := *rt
	c.scopes = slices.Clone(rt.scopes)
	return &refreshRequest{c}, nil
}

// TerminateSession forgets the user's tokens for the client (end_session).
func (s *store) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeLocked(func(sub, cid string) bool { return sub == userID && cid == clientID })
	return nil
}

// revokeLocked deletes every access and refresh token whose subject and
// client match; s.mu must be held.
func (s *store) revokeLocked(match func(subject, clientID string) bool) {
	for id, t := range s.tokens {
		if match(t.subject, t.clientID) {
			delete(s.tokens, id)
		}
	}
	for tok, rt := range s.refresh {
		if match(rt.subject, rt.clientID) {
			delete(s.refresh, tok)
		}
	}
}

// RevokeToken serves the revocation endpoint (RFC 7009): an access token is
// forgotten; a refresh token is forgotten together with the access tokens
// issued to the same user and client.
func (s *store) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		delete(s.tokens, tokenOrID)
		return nil
	}
	if rt, ok := s.refresh[tokenOrID]; ok {
		if rt.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
		}
		s.revokeLocked(func(sub, cid string) bool { return sub == rt.subject && cid == rt.clientID })
	}
	return nil
}

func (s *store) GetRefreshTokenInfo(_ context.Context, _, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refresh[token]; ok {
		return rt.subject, rt.token, nil
	}
	return "", "", op.ErrInvalidRefreshToken
}

// signingKey is the provider's ES256 key; it is both op.SigningKey and,
// through publicKey, op.Key.
type signingKey struct {
	id  string
	key *ecdsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func (s *store) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.keyID, s.key}, nil
}

func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

func (s *store) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{signingKey{s.keyID, s.key}}}, nil
}

func (s *store) Health(context.Context) error { return nil }
