package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/oauth"
)

// Fields of the sign-in provider form, as Problem.Field names them.
const (
	FieldClientIssuer = "issuer"
	FieldClientID     = "client_id"
	FieldClientSecret = "client_secret"
	FieldClientName   = "name"
	FieldAuthURL      = "auth_url"
	FieldTokenURL     = "token_url"
	FieldDeviceURL    = "device_url"
	FieldScopes       = "scopes"
	FieldHosts        = "hosts"
)

// RenewBefore is how long before its expiry an access token is renewed:
// a token about to expire is not sent to a server that may take a while
// to check it.
const RenewBefore = 2 * time.Minute

// ErrNoClient: nobody registered Apartado with the grant's provider (or
// the registration was removed); the administrator's to fix.
var ErrNoClient = errors.New("apartado is not registered with this sign-in provider")

// SignInFailure is the diagnosis kind of a failure to get a sign-in's
// access token (SignIns.Token), for the poller, the outbox and the
// connection test alike: the provider withdrew or refused the sign-in
// (only signing in again helps), Apartado is not registered with it (the
// administrator's to fix), or it did not answer (worth trying again). ok is
// false for any other error.
func SignInFailure(err error) (kind string, ok bool) {
	switch {
	case errors.Is(err, oauth.ErrRevoked), errors.Is(err, oauth.ErrDenied):
		return diagnose.KindSignInAgain, true
	case errors.Is(err, ErrNoClient), errors.Is(err, oauth.ErrClient):
		return diagnose.KindSignInUnregistered, true
	case errors.Is(err, oauth.ErrUnavailable):
		return diagnose.KindSignInUnavailable, true
	}
	return "", false
}

// SignIns lets people sign in with their provider (OAuth 2.0) instead of
// giving a password: the administrator's registrations of Apartado with
// providers, the sign-ins themselves (grants) and the access tokens POP3
// and SMTP send. Tokens are sealed with the secret key, like passwords.
// One SignIns is shared by everything that renews tokens in a process,
// so that one renewal of a grant runs at a time.
type SignIns struct {
	db  *db.DB
	key *secret.Key
	// Now is the clock; tests set it.
	Now func() time.Time

	mu sync.Mutex // renewals, one at a time
}

// NewSignIns returns the sign-in service.
func NewSignIns(store *db.DB, key *secret.Key) *SignIns {
	return &SignIns{db: store, key: key, Now: time.Now}
}

// RefreshContext and AccessContext bind sealed tokens to their user.
func RefreshContext(userID int64) string {
	return "oauth-refresh:user:" + strconv.FormatInt(userID, 10)
}
func AccessContext(userID int64) string { return "oauth-access:user:" + strconv.FormatInt(userID, 10) }

// ClientSecretContext binds a sealed client secret to its issuer.
func ClientSecretContext(issuer string) string { return "oauth-client-secret:" + issuer }

// ClientInput is a registration of Apartado with a provider, as the
// administrator typed it.
type ClientInput struct {
	Issuer   string // discover's issuer ID, or discover.IssuerCustom
	ClientID string
	// Secret is the client secret; "" with KeepSecret keeps the stored
	// one, "" without it makes a public client.
	Secret     string
	KeepSecret bool
	// For discover.IssuerCustom: its name, its endpoints, its scopes and
	// the mail servers it signs in to, separated by spaces or commas.
	Name, AuthURL, TokenURL, DeviceAuthURL, Scopes, Hosts string
}

// SaveClient checks in and stores it; the error is an *Invalid listing
// every problem.
func (s *SignIns) SaveClient(ctx context.Context, in ClientInput) error {
	c, err := clientOf(in)
	if err != nil {
		return err
	}
	if in.Secret != "" {
		if c.SecretSealed, err = s.key.Seal([]byte(in.Secret), ClientSecretContext(c.Issuer)); err != nil {
			return err
		}
	}
	return s.db.SaveOAuthClient(ctx, c, in.KeepSecret && in.Secret == "")
}

// DeleteClient removes a registration.
func (s *SignIns) DeleteClient(ctx context.Context, issuer string) error {
	return s.db.DeleteOAuthClient(ctx, issuer)
}

// clientOf checks a registration against the rules.
func clientOf(in ClientInput) (db.OAuthClient, error) {
	var ps problems
	in.ClientID, in.Secret = strings.TrimSpace(in.ClientID), strings.TrimSpace(in.Secret)
	if !discover.KnownIssuer(in.Issuer) {
		ps.add(FieldClientIssuer, i18n.Key("Choose a sign-in provider."))
	}
	if in.ClientID == "" || len(in.ClientID) > 255 || !printable(in.ClientID) {
		ps.add(FieldClientID, i18n.Key("Enter the application (client) ID the provider gave."))
	}
	if len(in.Secret) > 1024 || !printable(in.Secret) {
		ps.add(FieldClientSecret, i18n.Key("This client secret cannot be used."))
	}
	c := db.OAuthClient{Issuer: in.Issuer, ClientID: in.ClientID}
	if in.Issuer == discover.IssuerCustom {
		customClient(in, &c, &ps)
	}
	return c, ps.err()
}

// customClient checks what describes a provider of the administrator's own.
func customClient(in ClientInput, c *db.OAuthClient, ps *problems) {
	c.Name = strings.TrimSpace(in.Name)
	if c.Name == "" || utf8.RuneCountInString(c.Name) > MaxAccountName || !printable(c.Name) {
		ps.add(FieldClientName, i18n.Key("Enter the provider's name, as the sign-in button should show it."))
	}
	var bad bool
	if c.AuthURL, bad = endpoint(in.AuthURL); bad {
		ps.add(FieldAuthURL, i18n.Key("Enter an https:// address (http:// only on this computer)."))
	}
	if c.TokenURL, bad = endpoint(in.TokenURL); bad || c.TokenURL == "" {
		ps.add(FieldTokenURL, i18n.Key("Enter an https:// address (http:// only on this computer)."))
	}
	if c.DeviceAuthURL, bad = endpoint(in.DeviceAuthURL); bad {
		ps.add(FieldDeviceURL, i18n.Key("Enter an https:// address (http:// only on this computer)."))
	}
	if c.AuthURL == "" && c.DeviceAuthURL == "" {
		ps.add(FieldAuthURL, i18n.Key("Enter the authorization endpoint, the device authorization endpoint, or both."))
	}
	c.Scopes = words(in.Scopes)
	if len(c.Scopes) == 0 || len(c.Scopes) > 20 || slices.ContainsFunc(c.Scopes, func(w string) bool { return !printable(w) || len(w) > 200 }) {
		ps.add(FieldScopes, i18n.Key("Enter the scopes POP3 and SMTP need, separated by spaces."))
	}
	c.Hosts = words(strings.ToLower(in.Hosts))
	if len(c.Hosts) == 0 || len(c.Hosts) > 20 || slices.ContainsFunc(c.Hosts, func(h string) bool { return len(h) > MaxHost || strings.ContainsAny(h, "/:@") && net.ParseIP(h) == nil }) {
		ps.add(FieldHosts, i18n.Key("Enter the names of the mail servers that use this sign-in, separated by spaces."))
	}
}

// endpoint checks an endpoint address: https, or http to this computer
// (a provider run beside Apartado). bad is false for "".
func endpoint(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || len(s) > 2000 {
		return s, true
	}
	switch u.Scheme {
	case "https":
		return s, false
	case "http":
		h := u.Hostname()
		ip := net.ParseIP(h)
		return s, !(h == "localhost" || ip != nil && ip.IsLoopback())
	}
	return s, true
}

func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Registration is a provider Apartado can be registered with, and whether
// it is.
type Registration struct {
	Issuer     oauth.Issuer
	Registered bool
	ClientID   string
	HasSecret  bool
	Custom     db.OAuthClient // discover.IssuerCustom's description, when registered
}

// Registrations lists every known provider and the custom one, with the
// registrations made.
func (s *SignIns) Registrations(ctx context.Context) ([]Registration, error) {
	cs, err := s.db.OAuthClients(ctx)
	if err != nil {
		return nil, err
	}
	byIssuer := make(map[string]db.OAuthClient, len(cs))
	for _, c := range cs {
		byIssuer[c.Issuer] = c
	}
	list := append(discover.Issuers(), oauth.Issuer{ID: discover.IssuerCustom})
	out := make([]Registration, 0, len(list))
	for _, is := range list {
		r := Registration{Issuer: is}
		if c, ok := byIssuer[is.ID]; ok {
			r.Registered, r.ClientID, r.HasSecret = true, c.ClientID, c.SecretSealed != nil
			if is.ID == discover.IssuerCustom {
				r.Issuer, r.Custom = customIssuer(c), c
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func customIssuer(c db.OAuthClient) oauth.Issuer {
	return oauth.Issuer{ID: discover.IssuerCustom, Name: c.Name, AuthURL: c.AuthURL, TokenURL: c.TokenURL,
		DeviceAuthURL: c.DeviceAuthURL, Scopes: c.Scopes}
}

// Issuer is a registered issuer with its client, or ErrNoClient.
func (s *SignIns) Issuer(ctx context.Context, id string) (oauth.Issuer, oauth.Client, error) {
	c, err := s.db.OAuthClient(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return oauth.Issuer{}, oauth.Client{}, ErrNoClient
	}
	if err != nil {
		return oauth.Issuer{}, oauth.Client{}, err
	}
	is, ok := discover.LookupIssuer(id)
	if id == discover.IssuerCustom {
		is, ok = customIssuer(c), true
	}
	if !ok {
		return oauth.Issuer{}, oauth.Client{}, ErrNoClient
	}
	cl := oauth.Client{ID: c.ClientID}
	if c.SecretSealed != nil {
		b, err := s.key.Open(c.SecretSealed, ClientSecretContext(id))
		if err != nil {
			return oauth.Issuer{}, oauth.Client{}, fmt.Errorf("opening the client secret: %w", err)
		}
		cl.Secret = string(b)
	}
	return is, cl, nil
}

// IssuerName is what the pages call an issuer: the name in discover's
// table, the administrator's for their own provider, or its ID when it is
// neither (a custom provider no longer registered). It needs no secret.
func (s *SignIns) IssuerName(ctx context.Context, id string) (string, error) {
	if is, ok := discover.LookupIssuer(id); ok {
		return is.Name, nil
	}
	c, err := s.db.OAuthClient(ctx, id)
	if errors.Is(err, db.ErrNotFound) || err == nil && c.Name == "" {
		return id, nil
	}
	return c.Name, err
}

// Offer is the sign-in the account form proposes for an address and its
// incoming server: the issuer, registered, and the flows it offers.
type Offer struct {
	Issuer       string
	Name         string // "Microsoft"
	Code, Device bool
	AuthURL      string // where the code flow sends the browser
}

// OfferFor finds the registered issuer that an account with this address
// (or, for a provider of the administrator's own, this incoming server)
// signs in with; providerID is the provider discovery found, "" if none.
func (s *SignIns) OfferFor(ctx context.Context, providerID, email, host string) (Offer, bool, error) {
	id := ""
	if p, ok := discover.ProviderFor(email, providerID); ok {
		id = p.OAuth
	}
	cs, err := s.db.OAuthClients(ctx)
	if err != nil {
		return Offer{}, false, err
	}
	host = canonicalHost(host)
	for _, c := range cs {
		var is oauth.Issuer
		switch {
		case c.Issuer == id && id != "":
			is, _ = discover.LookupIssuer(id)
		case c.Issuer == discover.IssuerCustom && host != "" && slices.Contains(c.Hosts, host):
			is = customIssuer(c)
		default:
			continue
		}
		return Offer{Issuer: is.ID, Name: is.Name, Code: is.Code(), Device: is.Device(), AuthURL: is.AuthURL}, true, nil
	}
	return Offer{}, false, nil
}

// FinishCode trades the code the provider sent back for tokens and keeps
// them as a grant of userID.
func (s *SignIns) FinishCode(ctx context.Context, userID int64, issuer, redirectURL, code, verifier string) (db.Grant, error) {
	is, c, err := s.Issuer(ctx, issuer)
	if err != nil {
		return db.Grant{}, err
	}
	t, err := oauth.Exchange(ctx, is, c, redirectURL, code, verifier)
	if err != nil {
		return db.Grant{}, err
	}
	return s.keep(ctx, userID, issuer, t)
}

// AwaitDevice waits until the person signed in with the device code (or
// declined, or it expired) and keeps the tokens as a grant of userID.
func (s *SignIns) AwaitDevice(ctx context.Context, userID int64, issuer string, d *oauth.DeviceStart) (db.Grant, error) {
	is, c, err := s.Issuer(ctx, issuer)
	if err != nil {
		return db.Grant{}, err
	}
	t, err := oauth.AwaitDevice(ctx, is, c, d)
	if err != nil {
		return db.Grant{}, err
	}
	return s.keep(ctx, userID, issuer, t)
}

// StartDevice asks the issuer for a device code.
func (s *SignIns) StartDevice(ctx context.Context, issuer string) (*oauth.DeviceStart, error) {
	is, c, err := s.Issuer(ctx, issuer)
	if err != nil {
		return nil, err
	}
	return oauth.StartDevice(ctx, is, c)
}

// StartCode begins the authorization code flow with the issuer.
func (s *SignIns) StartCode(ctx context.Context, issuer, redirectURL, loginHint string) (oauth.CodeStart, error) {
	is, c, err := s.Issuer(ctx, issuer)
	if err != nil {
		return oauth.CodeStart{}, err
	}
	if !is.Code() {
		return oauth.CodeStart{}, fmt.Errorf("%s offers no sign-in by redirect", is.Name)
	}
	return oauth.StartCode(is, c, redirectURL, loginHint), nil
}

// UnsavedGrantLife is how long a sign-in waits for an account to be saved
// with it before it is deleted.
const UnsavedGrantLife = 24 * time.Hour

// keep seals a sign-in's tokens into a new grant, and deletes the sign-ins
// that no account was saved with in time (a form left half-way).
func (s *SignIns) keep(ctx context.Context, userID int64, issuer string, t oauth.Token) (db.Grant, error) {
	gt, err := s.seal(userID, t)
	if err != nil {
		return db.Grant{}, err
	}
	if err := s.db.DeleteUnusedGrants(ctx, s.Now().Add(-UnsavedGrantLife)); err != nil {
		return db.Grant{}, err
	}
	return s.db.CreateGrant(ctx, userID, issuer, gt)
}

func (s *SignIns) seal(userID int64, t oauth.Token) (db.GrantTokens, error) {
	gt := db.GrantTokens{Login: t.Login, Expiry: t.Expiry}
	var err error
	if t.Refresh != "" {
		if gt.RefreshSealed, err = s.key.Seal([]byte(t.Refresh), RefreshContext(userID)); err != nil {
			return gt, err
		}
	}
	gt.AccessSealed, err = s.key.Seal([]byte(t.Access), AccessContext(userID))
	return gt, err
}

// Grant is one of userID's sign-ins.
func (s *SignIns) Grant(ctx context.Context, userID, id int64) (db.Grant, error) {
	return s.db.Grant(ctx, userID, id)
}

// Token is the access token of userID's grant to send to a server, renewed
// first when it expires within RenewBefore or when renew is set (the
// server refused the last one). A grant the provider refused, or one that
// is gone, is an error wrapping oauth.ErrRevoked: only signing in again
// helps, and the refusal is recorded so that pages say so.
func (s *SignIns) Token(ctx context.Context, userID, grantID int64, renew bool) (string, error) {
	g, err := s.db.Grant(ctx, userID, grantID)
	if errors.Is(err, db.ErrNotFound) {
		return "", fmt.Errorf("signing in: the sign-in is gone: %w", oauth.ErrRevoked)
	}
	if err != nil {
		return "", err
	}
	if g.FailedAt != nil {
		return "", fmt.Errorf("signing in: %w (%s)", oauth.ErrRevoked, g.Failure)
	}
	if !renew && g.AccessSealed != nil && (g.Expiry.IsZero() || g.Expiry.After(s.Now().Add(RenewBefore))) {
		b, err := s.key.Open(g.AccessSealed, AccessContext(userID))
		return string(b), err
	}
	return s.renew(ctx, g)
}

// renew renews g's access token with its refresh token. Another renewal
// may have run meanwhile, here or in another process; a refusal is only
// recorded when the grant was not renewed since g was read.
func (s *SignIns) renew(ctx context.Context, g db.Grant) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now, err := s.db.Grant(ctx, g.UserID, g.ID); err == nil && now.Expiry.After(g.Expiry) && now.AccessSealed != nil {
		b, err := s.key.Open(now.AccessSealed, AccessContext(g.UserID)) // renewed while waiting
		return string(b), err
	}
	is, c, err := s.Issuer(ctx, g.Issuer)
	if err != nil {
		return "", err
	}
	var refresh []byte
	if g.RefreshSealed != nil {
		if refresh, err = s.key.Open(g.RefreshSealed, RefreshContext(g.UserID)); err != nil {
			return "", fmt.Errorf("opening the refresh token: %w", err)
		}
	}
	t, err := oauth.Refresh(ctx, is, c, string(refresh))
	if errors.Is(err, oauth.ErrRevoked) {
		if now, rerr := s.db.Grant(ctx, g.UserID, g.ID); rerr == nil && now.Expiry.After(g.Expiry) && now.AccessSealed != nil {
			b, err := s.key.Open(now.AccessSealed, AccessContext(g.UserID))
			return string(b), err
		}
		if ferr := s.db.FailGrant(context.WithoutCancel(ctx), g.UserID, g.ID, err.Error()); ferr != nil {
			return "", errors.Join(err, ferr)
		}
	}
	if err != nil {
		return "", err
	}
	gt, err := s.seal(g.UserID, t) // without a new refresh token, the stored one is kept
	if err != nil {
		return "", err
	}
	if err := s.db.RenewGrant(ctx, g.UserID, g.ID, gt); err != nil {
		return "", err
	}
	return t.Access, nil
}
