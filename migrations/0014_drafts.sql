-- Drafts: messages being written, saved as the user types so that closing
-- the browser loses nothing. fields is the draft's text fields as JSON
-- (the same shape the outbox keeps to edit a message again); attachments
-- are not kept with a draft (their names are, to ask for them again).
-- account_id is the account it will be sent from, NULL when none was
-- chosen (or it was deleted).
CREATE TABLE drafts (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    fields     TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX drafts_user ON drafts (user_id, updated_at);
