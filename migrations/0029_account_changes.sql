-- What an administrator changed in a member's mail accounts, for the
-- member to read: a notice on their pages until they dismiss it. The names
-- are copies, not references: the account may be deleted (that is one of
-- the changes), and the administrator too.
CREATE TABLE account_changes (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    by_name      TEXT NOT NULL,
    account_name TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('added', 'changed', 'deleted')),
    -- What changed (action 'changed'): codes separated by commas, e.g.
    -- "password,server"; the pages translate them.
    fields       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    seen_at      INTEGER
);
CREATE INDEX account_changes_unseen ON account_changes (user_id) WHERE seen_at IS NULL;
