-- Contacts: the people a user writes to. Most come from mail (the senders
-- of what arrived, the recipients of what was sent) and need no row here;
-- a row is the user's own word about one address: the name to show and
-- propose (hidden = 0), or never to propose it (hidden = 1).
CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL DEFAULT '',
    addr       TEXT    NOT NULL COLLATE NOCASE,
    hidden     INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    UNIQUE (user_id, addr)
);
