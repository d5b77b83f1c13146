-- Browser notifications of new mail (Web Push, RFC 8030; see push/).
--
-- push_keys holds the server's one VAPID key pair (RFC 8292), made the
-- first time it is needed: the public key is what browsers subscribe with,
-- the private key (sealed with the secret key, like the POP3 passwords, so
-- that the database alone does not give it away) signs every push.
CREATE TABLE push_keys (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    public_key     BLOB    NOT NULL,  -- the uncompressed P-256 point, 65 bytes
    private_sealed BLOB    NOT NULL,
    created_at     INTEGER NOT NULL
);

-- A user's devices: one row per browser that turned notifications on. A
-- browser has one subscription per site, so an endpoint belongs to one user
-- at a time: the last one who turned notifications on in it.
CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint   TEXT    NOT NULL UNIQUE,
    p256dh     TEXT    NOT NULL,            -- base64url, the browser's P-256 key (RFC 8291)
    auth       TEXT    NOT NULL,            -- base64url, its 16-byte authentication secret
    label      TEXT    NOT NULL DEFAULT '', -- "Chrome on Android", from its User-Agent
    locale     TEXT    NOT NULL DEFAULT '', -- the browser's language, for users who follow it
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions(user_id);

-- The accounts whose new mail their owner wants to be told about.
CREATE TABLE push_accounts (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE
);
