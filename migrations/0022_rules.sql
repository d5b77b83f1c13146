-- Rules and the trash and junk that empty themselves.
--
-- rules: a user's rules, applied in position order to mail as it is stored
-- (db.StoreDownloaded puts a message straight into the mailbox its rules
-- chose) and, on demand, to the messages in the inbox. Every condition set
-- must match: account_id (NULL: any account), and the texts sender,
-- recipient, subject and list_id ('' for none), which match when the
-- message's field contains them, ignoring case and accents; has_attachment
-- 1 asks for an attachment. Actions: move (into mailbox_id, which becomes
-- NULL when that mailbox is deleted: the rule then stops moving and its
-- page says so, rather than failing the poller), star, mark_read; stop
-- ends the rules for that message.
CREATE TABLE rules (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    name           TEXT    NOT NULL CHECK (trim(name) <> ''),
    account_id     INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    sender         TEXT    NOT NULL DEFAULT '',
    recipient      TEXT    NOT NULL DEFAULT '',
    subject        TEXT    NOT NULL DEFAULT '',
    list_id        TEXT    NOT NULL DEFAULT '',
    has_attachment INTEGER NOT NULL DEFAULT 0,
    move           INTEGER NOT NULL DEFAULT 0,
    mailbox_id     INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL,
    star           INTEGER NOT NULL DEFAULT 0,
    mark_read      INTEGER NOT NULL DEFAULT 0,
    stop           INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX rules_user ON rules(user_id, position);
CREATE INDEX rules_mailbox ON rules(mailbox_id) WHERE mailbox_id IS NOT NULL;
CREATE INDEX rules_account ON rules(account_id) WHERE account_id IS NOT NULL;

-- The List-Id header's value (RFC 2919), stored with each new message for
-- the rules. NULL: not read yet (mail stored before this migration), which
-- applying rules on demand reads from the stored message and fills in.
ALTER TABLE messages ADD COLUMN list_id TEXT;

-- junked_at: when the message entered its user's Junk, as trashed_at is for
-- the Trash; NULL while it is elsewhere. The triggers keep it so for every
-- way a message can enter or leave Junk. A statement that sets it itself
-- (the store, applying rules) gives the application's clock; otherwise
-- the database's clock is used.
ALTER TABLE messages ADD COLUMN junked_at INTEGER;
UPDATE messages SET junked_at = CAST(strftime('%s', 'now') AS INTEGER)
WHERE mailbox_id IN (SELECT id FROM mailboxes WHERE role = 'junk');
CREATE INDEX messages_user_junk ON messages(user_id, junked_at) WHERE junked_at IS NOT NULL;
CREATE TRIGGER messages_junk_insert AFTER INSERT ON messages
WHEN NEW.junked_at IS NULL AND (SELECT role FROM mailboxes WHERE id = NEW.mailbox_id) IS 'junk' BEGIN
    UPDATE messages SET junked_at = CAST(strftime('%s', 'now') AS INTEGER) WHERE id = NEW.id;
END;
CREATE TRIGGER messages_junk_insert_elsewhere AFTER INSERT ON messages
WHEN NEW.junked_at IS NOT NULL AND (SELECT role FROM mailboxes WHERE id = NEW.mailbox_id) IS NOT 'junk' BEGIN
    UPDATE messages SET junked_at = NULL WHERE id = NEW.id;
END;
CREATE TRIGGER messages_junk_update AFTER UPDATE OF mailbox_id ON messages
WHEN OLD.mailbox_id <> NEW.mailbox_id
    AND (OLD.junked_at IS NOT NULL OR NEW.junked_at IS NOT NULL
        OR (SELECT role FROM mailboxes WHERE id = NEW.mailbox_id) IS 'junk') BEGIN
    UPDATE messages SET junked_at = CASE WHEN (SELECT role FROM mailboxes WHERE id = NEW.mailbox_id) IS 'junk'
        THEN coalesce(NEW.junked_at, CAST(strftime('%s', 'now') AS INTEGER)) ELSE NULL END
    WHERE id = NEW.id;
END;

-- After how many days in the Trash or Junk a user's messages are deleted
-- for good (0: never).
ALTER TABLE users ADD COLUMN empty_after_days INTEGER NOT NULL DEFAULT 30 CHECK (empty_after_days BETWEEN 0 AND 3650);
