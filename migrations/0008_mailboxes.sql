-- Mailboxes: every message is in exactly one of its user's mailboxes.
-- Each user has the six system mailboxes, one per role (created with the
-- user, by db.CreateUser), and may add their own, which have no role and
-- may sit one level below a top-level mailbox (parent_id). A name is
-- unique among its siblings, whatever its case; system mailboxes are shown
-- by their role's translated name, their stored name is only the English.
--
-- total and unread are maintained by the triggers below, so that listing
-- mailboxes with their counts reads six rows, not 100,000 messages, and no
-- code path can forget to update them.
CREATE TABLE mailboxes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role      TEXT    CHECK (role IN ('inbox', 'sent', 'drafts', 'archive', 'junk', 'trash')),  -- NULL: the user's own
    name      TEXT    NOT NULL COLLATE NOCASE CHECK (trim(name) <> ''),
    parent_id INTEGER,
    total     INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),
    unread    INTEGER NOT NULL DEFAULT 0 CHECK (unread BETWEEN 0 AND total),
    created_at INTEGER NOT NULL,
    CHECK (role IS NULL OR parent_id IS NULL),
    UNIQUE (user_id, role),  -- NULLs are distinct: any number of the user's own
    UNIQUE (user_id, id),    -- the key messages refer to, so a message stays in its owner's mailbox
    FOREIGN KEY (user_id, parent_id) REFERENCES mailboxes(user_id, id)
);
-- UNIQUE (user_id, parent_id, name) would let two top-level mailboxes share
-- a name, NULLs being distinct; coalesce makes top level one parent.
CREATE UNIQUE INDEX mailboxes_name ON mailboxes(user_id, coalesce(parent_id, 0), name);
CREATE INDEX mailboxes_parent ON mailboxes(user_id, parent_id) WHERE parent_id IS NOT NULL;
-- One level of nesting: a parent is a top-level mailbox.
CREATE TRIGGER mailboxes_one_level BEFORE INSERT ON mailboxes
WHEN (SELECT parent_id FROM mailboxes WHERE id = NEW.parent_id) IS NOT NULL BEGIN
    SELECT RAISE(ABORT, 'mailboxes nest one level only');
END;
CREATE TRIGGER mailboxes_one_level_update BEFORE UPDATE OF parent_id ON mailboxes
WHEN (SELECT parent_id FROM mailboxes WHERE id = NEW.parent_id) IS NOT NULL
    OR (NEW.parent_id IS NOT NULL AND EXISTS (SELECT 1 FROM mailboxes WHERE parent_id = NEW.id)) BEGIN
    SELECT RAISE(ABORT, 'mailboxes nest one level only');
END;

INSERT INTO mailboxes (user_id, role, name, created_at)
SELECT u.id, r.role, r.name, CAST(strftime('%s', 'now') AS INTEGER)
FROM users u, (SELECT 1 AS pos, 'inbox' AS role, 'Inbox' AS name UNION ALL SELECT 2, 'sent', 'Sent'
    UNION ALL SELECT 3, 'drafts', 'Drafts' UNION ALL SELECT 4, 'archive', 'Archive'
    UNION ALL SELECT 5, 'junk', 'Junk' UNION ALL SELECT 6, 'trash', 'Trash') r
ORDER BY u.id, r.pos;

-- messages, rebuilt (SQLite's procedure for a change ALTER TABLE cannot
-- make; db's migration runner turns foreign keys off around it, so that
-- dropping the old table neither deletes message_raw rows nor nulls
-- server_messages.message_id). Changes:
--   mailbox_id: the message's mailbox. Today's messages go to Inbox, or to
--     Trash when trashed_at is set.
--   flags: a set of bits (db.Flag): 1 seen, 2 flagged, 4 answered,
--     8 forwarded, 16 draft. It replaces the seen column; seen becomes 1.
--   trashed_at stays: when the message entered the trash, which the trash
--     and "delete when deleted here" go by. It is set exactly while the
--     message is in its user's Trash (a trigger below refuses otherwise).
CREATE TABLE messages_new (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mailbox_id      INTEGER NOT NULL,
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
    flags           INTEGER NOT NULL DEFAULT 0 CHECK (flags >= 0),
    trashed_at      INTEGER,                      -- in the trash since
    FOREIGN KEY (user_id, mailbox_id) REFERENCES mailboxes(user_id, id)
);
INSERT INTO messages_new (id, user_id, account_id, mailbox_id, received_at, sort_at, from_name, from_addr, to_addrs,
    cc_addrs, subject, message_id_hdr, snippet, has_attachments, size, sha256, parse_error, flags, trashed_at)
SELECT m.id, m.user_id, m.account_id,
    (SELECT b.id FROM mailboxes b WHERE b.user_id = m.user_id
        AND b.role = CASE WHEN m.trashed_at IS NULL THEN 'inbox' ELSE 'trash' END),
    m.received_at, m.sort_at, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.subject, m.message_id_hdr, m.snippet,
    m.has_attachments, m.size, m.sha256, m.parse_error, CASE WHEN m.seen <> 0 THEN 1 ELSE 0 END, m.trashed_at
FROM messages m;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

-- A page of a mailbox, of all accounts or one.
CREATE INDEX messages_mailbox_list ON messages(mailbox_id, sort_at DESC, id DESC);
CREATE INDEX messages_account_list ON messages(account_id, mailbox_id, sort_at DESC, id DESC);
-- The trash by age, for emptying what has been there long enough.
CREATE INDEX messages_user_trash ON messages(user_id, trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX messages_account_sha ON messages(account_id, sha256);
CREATE INDEX messages_account_msgid ON messages(account_id, message_id_hdr);
-- Each account's unread count outside the trash (every signed-in page
-- shows it): an index lookup at 100,000 messages.
CREATE INDEX messages_account_unread ON messages(account_id) WHERE trashed_at IS NULL AND flags & 1 = 0;

UPDATE mailboxes SET
    total = (SELECT count(*) FROM messages m WHERE m.mailbox_id = mailboxes.id),
    unread = (SELECT count(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND m.flags & 1 = 0);

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE mailboxes SET total = total + 1, unread = unread + (NEW.flags & 1 = 0) WHERE id = NEW.mailbox_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE mailboxes SET total = total - 1, unread = unread - (OLD.flags & 1 = 0) WHERE id = OLD.mailbox_id;
END;
CREATE TRIGGER messages_count_update AFTER UPDATE OF mailbox_id, flags ON messages
WHEN OLD.mailbox_id <> NEW.mailbox_id OR (OLD.flags & 1) <> (NEW.flags & 1) BEGIN
    UPDATE mailboxes SET total = total - 1, unread = unread - (OLD.flags & 1 = 0) WHERE id = OLD.mailbox_id;
    UPDATE mailboxes SET total = total + 1, unread = unread + (NEW.flags & 1 = 0) WHERE id = NEW.mailbox_id;
END;

CREATE TRIGGER messages_trash_insert BEFORE INSERT ON messages
WHEN (NEW.trashed_at IS NOT NULL) <> ((SELECT role FROM mailboxes WHERE id = NEW.mailbox_id) IS 'trash') BEGIN
    SELECT RAISE(ABORT, 'messages.trashed_at must be set exactly while the message is in the trash');
END;
CREATE TRIGGER messages_trash_update BEFORE UPDATE OF mailbox_id, trashed_at ON messages
WHEN (NEW.trashed_at IS NOT NULL) <> ((SELECT role FROM mailboxes WHERE id = NEW.mailbox_id) IS 'trash') BEGIN
    SELECT RAISE(ABORT, 'messages.trashed_at must be set exactly while the message is in the trash');
END;
