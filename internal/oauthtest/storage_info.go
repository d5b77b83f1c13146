package oauthtest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// emailOf returns the user's e-mail address: the login name if it has an
// "@", else login@example.test.
func emailOf(login string) string {
	if strings.Contains(login, "@") {
		return login
	}
	return login + "@" + EmailDomain
}

func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	return nil, errors.New("unknown client")
}

// AuthorizeClientIDSecret accepts confidential clients with their secret;
// a public client has nothing to authenticate with.
func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok || c.public() || c.secret != secret {
		return errors.New("unknown client or wrong secret")
	}
	return nil
}

func (s *store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *store) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	return s.userinfo(info, r.GetSubject(), scopes)
}

// SetUserinfoFromToken serves the userinfo endpoint.
func (s *store) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	t, err := s.liveToken(tokenID)
	if err != nil {
		return err
	}
	return s.userinfo(info, t.subject, t.scopes)
}

// liveToken returns a copy of the access token if it exists and has not
// expired.
func (s *store) liveToken(id string) (accessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok {
		return accessToken{}, errors.New("token unknown or revoked")
	}
	if !time.Now().Before(t.expires) {
		return accessToken{}, errors.New("token expired")
	}
	return *t, nil
}

func (s *store) userinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	s.mu.Lock()
	u, ok := s.users[subject]
	s.mu.Unlock()
	if !ok {
		return errors.New("unknown user")
	}
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeOpenID:
			info.Subject = u.login
		case oidc.ScopeEmail:
			info.Email, info.EmailVerified = u.email, true
		case oidc.ScopeProfile:
			info.PreferredUsername, info.Name = u.login, u.login
		}
	}
	return nil
}

// SetIntrospectionFromToken answers the introspection endpoint (RFC 7662)
// for any authenticated client: a token that exists and has not expired is
// active, and the answer names its user in "sub" and "username" (the login
// name) and "email", whatever scopes the token has. An error makes the
// library answer {"active": false}.
func (s *store) SetIntrospectionFromToken(_ context.Context, r *oidc.IntrospectionResponse, tokenID, _, _ string) error {
	t, err := s.liveToken(tokenID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	u, ok := s.users[t.subject]
	s.mu.Unlock()
	if !ok {
		return errors.New("unknown user")
	}
	r.Scope = t.scopes
	r.ClientID = t.clientID
	r.TokenType = oidc.BearerToken
	r.Expiration = oidc.FromTime(t.expires)
	r.IssuedAt = oidc.FromTime(t.issued)
	r.Issuer = s.issuer
	r.Audience = t.audience
	r.Subject = u.login
	r.Username = u.login
	r.PreferredUsername = u.login
	r.Email, r.EmailVerified = u.email, true
	r.JWTID = t.id
	return nil
}

func (s *store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not supported")
}

func (s *store) ValidateJWTProfileScopes(_ context.Context, _ string, scopes []string) ([]string, error) {
	return slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return sc != oidc.ScopeOpenID }), nil
}

// normalizeUserCode makes user codes case-insensitive and ignores spaces
// around them.
func normalizeUserCode(c string) string { return strings.ToUpper(strings.TrimSpace(c)) }

func (s *store) StoreDeviceAuthorization(_ context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[clientID]; !ok {
		return errors.New("unknown client")
	}
	if _, dup := s.userCodes[userCode]; dup {
		return op.ErrDuplicateUserCode
	}
	s.devices[deviceCode] = &deviceGrant{deviceCode: deviceCode, userCode: userCode,
		state: op.DeviceAuthorizationState{ClientID: clientID, Scopes: slices.Clone(scopes), Expires: expires}}
	s.userCodes[userCode] = deviceCode
	return nil
}

// GetDeviceAuthorizatonState answers a poll. An approved or denied grant is
// answered once and then forgotten, so a device code yields tokens once.
func (s *store) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.devices[deviceCode]
	if !ok || g.state.ClientID != clientID {
		return nil, errors.New("device code unknown, used or not issued to this client")
	}
	st := g.state
	if st.Done || st.Denied {
		delete(s.devices, deviceCode)
		delete(s.userCodes, g.userCode)
	}
	return &st, nil
}

// decideDevice approves (or denies) the pending device grant with the
// user code for the user with login.
func (s *store) decideDevice(userCode, login string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.devices[s.userCodes[normalizeUserCode(userCode)]]
	if !ok {
		return errors.New("unknown or already used code")
	}
	if time.Now().After(g.state.Expires) {
		return errors.New("this code has expired")
	}
	if g.state.Done || g.state.Denied {
		return errors.New("this code was already used")
	}
	if !approve {
		g.state.Denied = true
		return nil
	}
	g.state.Done, g.state.Subject = true, login
	g.state.AuthTime, g.state.AMR = time.Now(), []string{"pwd"}
	return nil
}
