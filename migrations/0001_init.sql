-- Users of this Apartado: family members, one or more admins.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    locale        TEXT    NOT NULL DEFAULT '',  -- '' follows the browser
    time_zone     TEXT    NOT NULL DEFAULT '',  -- IANA name; '' uses the server's
    created_at    INTEGER NOT NULL,             -- Unix seconds, like every *_at below
    updated_at    INTEGER NOT NULL
);

-- Web sessions: the cookie holds a random token, the table its SHA-256, so
-- a leaked database does not leak live sessions. Logging out deletes the
-- row; a password change deletes all of a user's rows.
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

-- POP3 accounts.
CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    email            TEXT    NOT NULL,
    host             TEXT    NOT NULL,
    port             INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security         TEXT    NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
    username         TEXT    NOT NULL,
    password_sealed  BLOB    NOT NULL,               -- AES-256-GCM with the secret key
    trusted_cert_sha256 TEXT NOT NULL DEFAULT '',    -- a certificate the user chose to trust
    -- What happens to mail on the server. All off: keep a copy forever.
    delete_after_download INTEGER NOT NULL DEFAULT 0,
    delete_after_days     INTEGER CHECK (delete_after_days IS NULL OR delete_after_days > 0),
    delete_when_deleted   TEXT    NOT NULL DEFAULT 'never'
                          CHECK (delete_when_deleted IN ('never', 'trash_emptied', 'immediately')),
    poll_interval_seconds INTEGER NOT NULL DEFAULT 600 CHECK (poll_interval_seconds >= 60),
    enabled          INTEGER NOT NULL DEFAULT 1,
    -- Poll status.
    last_attempt_at  INTEGER,
    last_success_at  INTEGER,
    last_error_kind  TEXT    NOT NULL DEFAULT '',    -- a pop3client.Kind, or another stable key
    last_error_step  TEXT    NOT NULL DEFAULT '',
    last_error_text  TEXT    NOT NULL DEFAULT '',    -- the server's words, for "details"
    failing_since    INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    auth_failures    INTEGER NOT NULL DEFAULT 0,     -- consecutive rejected passwords
    next_poll_at     INTEGER NOT NULL DEFAULT 0,
    server_count     INTEGER,                        -- messages on the server at the last sync
    server_bytes     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX accounts_user ON accounts(user_id);
CREATE INDEX accounts_next_poll ON accounts(enabled, next_poll_at);

-- Every message stored here, with the summary the lists show. The raw
-- bytes live in message_raw so that listing never reads them.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    received_at     INTEGER NOT NULL,        -- when it was downloaded
    sort_at         INTEGER NOT NULL,        -- Date header if sane, else received_at
    from_name       TEXT    NOT NULL DEFAULT '',
    from_addr       TEXT    NOT NULL DEFAULT '',
    to_addrs        TEXT    NOT NULL DEFAULT '',
    cc_addrs        TEXT    NOT NULL DEFAULT '',
    subject         TEXT    NOT NULL DEFAULT '',
    message_id_hdr  TEXT    NOT NULL DEFAULT '',
    snippet         TEXT    NOT NULL DEFAULT '',
    has_attachments INTEGER NOT NULL DEFAULT 0,
    size            INTEGER NOT NULL,
    sha256          BLOB    NOT NULL,
    parse_error     TEXT    NOT NULL DEFAULT '',  -- why it could not be parsed; shown with the raw source
    seen            INTEGER NOT NULL DEFAULT 0,
    trashed_at      INTEGER                       -- in the trash since
);
CREATE INDEX messages_user_list ON messages(user_id, sort_at DESC, id DESC) WHERE trashed_at IS NULL;
CREATE INDEX messages_account_list ON messages(account_id, sort_at DESC, id DESC) WHERE trashed_at IS NULL;
CREATE INDEX messages_user_trash ON messages(user_id, trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX messages_account_sha ON messages(account_id, sha256);
CREATE INDEX messages_account_msgid ON messages(account_id, message_id_hdr);

CREATE TABLE message_raw (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    raw        BLOB    NOT NULL               -- exactly as the server sent it, CRLF kept
);

-- What the poller knows of each message on a POP3 server, by UIDL. A row
-- outlives the stored message (a message deleted here but kept on the
-- server must not be downloaded again).
CREATE TABLE server_messages (
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    uidl          TEXT    NOT NULL,
    message_id    INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    size          INTEGER NOT NULL,
    first_seen_at INTEGER NOT NULL,
    delete_pending INTEGER NOT NULL DEFAULT 0,   -- to be deleted on the server at the next sync
    PRIMARY KEY (account_id, uidl)
) WITHOUT ROWID;
CREATE INDEX server_messages_message ON server_messages(message_id);
