-- Signing in with the provider (OAuth 2.0) instead of a password.
--
-- oauth_clients: the applications the administrator registered with a
-- provider, one per issuer (discover's table names them: "microsoft",
-- "google", …; "custom" is a provider of the administrator's own, whose
-- endpoints and mail servers are stored here). The secret is sealed like
-- passwords; NULL for a public client.
CREATE TABLE oauth_clients (
    issuer        TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL CHECK (client_id <> ''),
    secret_sealed BLOB,
    -- Only for "custom": its name, endpoints, scopes (space-separated) and
    -- the mail server host names it signs in to (space-separated).
    name          TEXT NOT NULL DEFAULT '',
    auth_url      TEXT NOT NULL DEFAULT '',
    token_url     TEXT NOT NULL DEFAULT '',
    device_url    TEXT NOT NULL DEFAULT '',
    scopes        TEXT NOT NULL DEFAULT '',
    hosts         TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL
);

-- oauth_grants: what a person's sign-in gave: a refresh token (sealed) and
-- the current access token (sealed) with its expiry. A grant belongs to
-- one user; an account signs in with it for POP3 and SMTP. failed_at is
-- set when the provider refused the grant (revoked, expired): the person
-- must sign in again, which replaces the tokens and clears it.
CREATE TABLE oauth_grants (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issuer         TEXT NOT NULL,
    login          TEXT NOT NULL DEFAULT '', -- who signed in, when the provider said
    refresh_sealed BLOB,
    access_sealed  BLOB,
    expires_at     INTEGER,                  -- the access token's expiry; NULL: unknown
    failed_at      INTEGER,
    failure        TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id);

-- An account signing in with a grant keeps an empty password_sealed.
ALTER TABLE accounts ADD COLUMN oauth_grant_id INTEGER REFERENCES oauth_grants(id) ON DELETE SET NULL;
