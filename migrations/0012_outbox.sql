-- The outbox: messages the user sent, waiting for or done with their
-- delivery to the account's outgoing server. raw holds the exact bytes to
-- send (never more than the outbox's size bound), the envelope is JSON
-- (rcpts: every To, Cc and Bcc address), draft is the draft's text fields
-- as JSON so that an undone or failed message can be edited again.
--
-- state: 'queued' (waiting for not_before, the end of the undo window, and
-- next_attempt_at), 'sending' (claimed by a sender: owner and lease_until),
-- 'sent', 'failed' (permanent, or temporary for a whole day),
-- 'maybe_sent' (the connection broke after the final "."; only the user
-- decides) and 'cancelled' (undone). dot_at is set, durably, right before
-- the final "." is written: a message still 'sending' without it was
-- never accepted and is retried; one with it becomes 'maybe_sent'.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    raw              BLOB    NOT NULL,
    size             INTEGER NOT NULL,
    env_from         TEXT    NOT NULL,
    env_rcpts        TEXT    NOT NULL,          -- JSON array of addresses
    smtputf8         INTEGER NOT NULL DEFAULT 0,
    message_id_hdr   TEXT    NOT NULL,
    subject          TEXT    NOT NULL DEFAULT '',
    draft            TEXT    NOT NULL DEFAULT '{}',
    state            TEXT    NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'maybe_sent', 'cancelled')),
    created_at       INTEGER NOT NULL,
    not_before       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    first_attempt_at INTEGER,
    last_attempt_at  INTEGER,
    owner            TEXT    NOT NULL DEFAULT '',
    lease_until      INTEGER,
    dot_at           INTEGER,
    err_kind         TEXT    NOT NULL DEFAULT '',
    err_step         TEXT    NOT NULL DEFAULT '',
    err_code         INTEGER NOT NULL DEFAULT 0,
    err_text         TEXT    NOT NULL DEFAULT '',
    sent_at          INTEGER,
    reply            TEXT    NOT NULL DEFAULT '',
    sent_message_id  INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    flag_message_id  INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    flag_bits        INTEGER NOT NULL DEFAULT 0,
    CHECK ((state = 'sending') = (lease_until IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'queued';
CREATE INDEX outbox_user ON outbox (user_id, created_at);
