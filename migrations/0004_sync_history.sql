-- The last syncs of each account, newest first on its page: when, how
-- long, what they did and how they failed. db.RecordPoll keeps the last 50.
CREATE TABLE sync_history (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    started_at    INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL,
    new_messages  INTEGER NOT NULL,
    new_bytes     INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,             -- deleted on the server, confirmed by QUIT
    server_count  INTEGER,                      -- messages on the server; NULL when the sync failed
    error_kind    TEXT    NOT NULL DEFAULT '',  -- as accounts.last_error_kind; '' on success
    error_step    TEXT    NOT NULL DEFAULT '',
    error_text    TEXT    NOT NULL DEFAULT '',
    notes         TEXT    NOT NULL DEFAULT ''   -- messages left on the server and why, one per line
);
CREATE INDEX sync_history_account ON sync_history(account_id, started_at DESC, id DESC);

-- The server's EXPIRE capability (RFC 2449 §6.7) at the last successful
-- sync: '' when not advertised, 'NEVER', or a number of days. The settings
-- page warns when it conflicts with the account's choice.
ALTER TABLE accounts ADD COLUMN server_expire TEXT NOT NULL DEFAULT '';

-- Which server rows the last successful listing showed: a sync stamps the
-- rows it listed and the account with the same time, so counts of what is
-- on the server ignore rows of messages gone from it (for example after a
-- QUIT whose +OK was lost).
ALTER TABLE accounts ADD COLUMN listed_at INTEGER;
ALTER TABLE server_messages ADD COLUMN listed_at INTEGER;
