package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OAuthClient is an application the administrator registered with a
// provider so that people may sign in there (OAuth 2.0) instead of giving
// Apartado a password. Issuer names the provider's entry in discover's
// table; for IssuerCustom the endpoints and mail servers are the
// administrator's own and stored here.
type OAuthClient struct {
	Issuer       string
	ClientID     string
	SecretSealed []byte // nil: a public client (no secret)

	// IssuerCustom only.
	Name                             string
	AuthURL, TokenURL, DeviceAuthURL string
	Scopes, Hosts                    []string

	UpdatedAt time.Time
}

// IssuerCustom is the issuer of a provider the administrator describes.
const IssuerCustom = "custom"

// SaveOAuthClient adds or replaces the client registered for its issuer.
// A nil SecretSealed with keepSecret keeps the stored secret.
func (d *DB) SaveOAuthClient(ctx context.Context, c OAuthClient, keepSecret bool) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO oauth_clients (issuer, client_id, secret_sealed, name, auth_url,
		token_url, device_url, scopes, hosts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (issuer) DO UPDATE SET client_id = excluded.client_id,
		secret_sealed = CASE WHEN ? AND excluded.secret_sealed IS NULL THEN secret_sealed ELSE excluded.secret_sealed END,
		name = excluded.name, auth_url = excluded.auth_url, token_url = excluded.token_url,
		device_url = excluded.device_url, scopes = excluded.scopes, hosts = excluded.hosts, updated_at = excluded.updated_at`,
		c.Issuer, c.ClientID, c.SecretSealed, c.Name, c.AuthURL, c.TokenURL, c.DeviceAuthURL,
		strings.Join(c.Scopes, " "), strings.Join(c.Hosts, " "), d.now(), keepSecret)
	if err != nil {
		return fmt.Errorf("save oauth client: %w", err)
	}
	return nil
}

// DeleteOAuthClient forgets the client of an issuer. Grants made through
// it stay, but can no longer be renewed: their accounts ask to sign in
// again once the client is registered anew.
func (d *DB) DeleteOAuthClient(ctx context.Context, issuer string) error {
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM oauth_clients WHERE issuer = ?`, issuer); err != nil {
		return fmt.Errorf("delete oauth client: %w", err)
	}
	return nil
}

// OAuthClients lists the registered clients by issuer.
func (d *DB) OAuthClients(ctx context.Context) ([]OAuthClient, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients ORDER BY issuer`)
	if err != nil {
		return nil, fmt.Errorf("oauth clients: %w", err)
	}
	defer rows.Close()
	var cs []OAuthClient
	for rows.Next() {
		c, err := scanOAuthClient(rows)
		if err != nil {
			return nil, fmt.Errorf("oauth clients: %w", err)
		}
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// OAuthClient is the client registered for issuer, or ErrNotFound.
func (d *DB) OAuthClient(ctx context.Context, issuer string) (OAuthClient, error) {
	c, err := scanOAuthClient(d.sql.QueryRowContext(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients WHERE issuer = ?`, issuer))
	if errors.Is(err, sql.ErrNoRows) {
		return OAuthClient{}, ErrNotFound
	}
	if err != nil {
		return OAuthClient{}, fmt.Errorf("oauth client: %w", err)
	}
	return c, nil
}

const oauthClientColumns = `issuer, client_id, secret_sealed, name, auth_url, token_url, device_url, scopes, hosts, updated_at`

func scanOAuthClient(row interface{ Scan(...any) error }) (OAuthClient, error) {
	var c OAuthClient
	var scopes, hosts string
	var updated int64
	if err := row.Scan(&c.Issuer, &c.ClientID, &c.SecretSealed, &c.Name, &c.AuthURL, &c.TokenURL, &c.DeviceAuthURL,
		&scopes, &hosts, &updated); err != nil {
		return OAuthClient{}, err
	}
	c.Scopes, c.Hosts = strings.Fields(scopes), strings.Fields(hosts)
	c.UpdatedAt = time.Unix(updated, 0)
	return c, nil
}

// Grant is what a person's sign-in with a provider gave Apartado: a
// refresh token and the access token of the moment, both sealed.
type Grant struct {
	ID            int64
	UserID        int64
	Issuer        string
	Login         string // who signed in, as the provider said; "" when it did not
	RefreshSealed []byte // nil: none (the access token cannot be renewed)
	AccessSealed  []byte
	Expiry        time.Time // of the access token; zero: unknown
	// FailedAt is set when the provider refused the grant: the person must
	// sign in again. Failure says why, in the provider's words.
	FailedAt *time.Time
	Failure  string
	Created  time.Time
}

// GrantTokens are the tokens a sign-in or a renewal gave, sealed.
type GrantTokens struct {
	Login         string
	RefreshSealed []byte // nil keeps the stored one on renewal (the provider sent none)
	AccessSealed  []byte
	Expiry        time.Time
}

// CreateGrant stores a new sign-in of userID with issuer.
func (d *DB) CreateGrant(ctx context.Context, userID int64, issuer string, t GrantTokens) (Grant, error) {
	now := d.now()
	res, err := d.sql.ExecContext(ctx, `INSERT INTO oauth_grants (user_id, issuer, login, refresh_sealed, access_sealed,
		expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		userID, issuer, t.Login, t.RefreshSealed, t.AccessSealed, unixOrNil(t.Expiry), now, now)
	if err != nil {
		return Grant{}, fmt.Errorf("create grant: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Grant{}, fmt.Errorf("create grant: %w", err)
	}
	return d.Grant(ctx, userID, id)
}

// RenewGrant stores the tokens a renewal gave and clears a failure.
func (d *DB) RenewGrant(ctx context.Context, userID, id int64, t GrantTokens) error {
	res, err := d.sql.ExecContext(ctx, `UPDATE oauth_grants SET refresh_sealed = coalesce(?, refresh_sealed),
		access_sealed = ?, expires_at = ?, failed_at = NULL, failure = '', updated_at = ? WHERE id = ? AND user_id = ?`,
		t.RefreshSealed, t.AccessSealed, unixOrNil(t.Expiry), d.now(), id, userID)
	if err != nil {
		return fmt.Errorf("renew grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// FailGrant records that the provider refused the grant; its access token
// is forgotten.
func (d *DB) FailGrant(ctx context.Context, userID, id int64, why string) error {
	_, err := d.sql.ExecContext(ctx, `UPDATE oauth_grants SET failed_at = ?, failure = ?, access_sealed = NULL,
		expires_at = NULL, updated_at = ? WHERE id = ? AND user_id = ?`, d.now(), why, d.now(), id, userID)
	if err != nil {
		return fmt.Errorf("fail grant: %w", err)
	}
	return nil
}

// Grant is one of userID's grants, or ErrNotFound.
func (d *DB) Grant(ctx context.Context, userID, id int64) (Grant, error) {
	var g Grant
	var expiry, failed sql.NullInt64
	var created int64
	err := d.sql.QueryRowContext(ctx, `SELECT id, user_id, issuer, login, refresh_sealed, access_sealed, expires_at,
		failed_at, failure, created_at FROM oauth_grants WHERE id = ? AND user_id = ?`, id, userID).Scan(
		&g.ID, &g.UserID, &g.Issuer, &g.Login, &g.RefreshSealed, &g.AccessSealed, &expiry, &failed, &g.Failure, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Grant{}, ErrNotFound
	}
	if err != nil {
		return Grant{}, fmt.Errorf("grant: %w", err)
	}
	if expiry.Valid {
		g.Expiry = time.Unix(expiry.Int64, 0)
	}
	g.FailedAt = unixPtr(failed)
	g.Created = time.Unix(created, 0)
	return g, nil
}

// DeleteUnusedGrants deletes the grants that no account uses and
// that are older than before: sign-ins started but never saved with an
// account, and those an account stopped using.
func (d *DB) DeleteUnusedGrants(ctx context.Context, before time.Time) error {
	_, err := d.sql.ExecContext(ctx, `DELETE FROM oauth_grants WHERE created_at < ?
		AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.oauth_grant_id = oauth_grants.id)`, before.Unix())
	if err != nil {
		return fmt.Errorf("delete unused grants: %w", err)
	}
	return nil
}

func unixOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}
