-- What a mailbox of 100,000 messages needs so that no page and no idle
-- poll costs in proportion to it (bench/scale measures them).
--
-- 1. Each account's share of each mailbox, counted like the mailboxes'
--    own counts (0008) and the accounts' (0013): an account's view of the
--    inbox shows its total on every page, and counting it there read every
--    index entry of the account's messages in the mailbox per request.
CREATE TABLE account_mailbox_counts (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    total      INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),
    unread     INTEGER NOT NULL DEFAULT 0 CHECK (unread BETWEEN 0 AND total),
    PRIMARY KEY (account_id, mailbox_id)
) WITHOUT ROWID;
CREATE INDEX account_mailbox_counts_mailbox ON account_mailbox_counts(mailbox_id);

INSERT INTO account_mailbox_counts (account_id, mailbox_id, total, unread)
SELECT account_id, mailbox_id, count(*), sum(flags & 1 = 0) FROM messages GROUP BY account_id, mailbox_id;

CREATE TRIGGER messages_account_mailbox_insert AFTER INSERT ON messages BEGIN
    INSERT INTO account_mailbox_counts (account_id, mailbox_id, total, unread)
    VALUES (NEW.account_id, NEW.mailbox_id, 1, NEW.flags & 1 = 0)
    ON CONFLICT (account_id, mailbox_id) DO UPDATE SET total = total + 1, unread = unread + excluded.unread;
END;
CREATE TRIGGER messages_account_mailbox_delete AFTER DELETE ON messages BEGIN
    UPDATE account_mailbox_counts SET total = total - 1, unread = unread - (OLD.flags & 1 = 0)
    WHERE account_id = OLD.account_id AND mailbox_id = OLD.mailbox_id;
END;
CREATE TRIGGER messages_account_mailbox_update AFTER UPDATE OF mailbox_id, flags, account_id ON messages
WHEN OLD.mailbox_id <> NEW.mailbox_id OR (OLD.flags & 1) <> (NEW.flags & 1) OR OLD.account_id <> NEW.account_id BEGIN
    UPDATE account_mailbox_counts SET total = total - 1, unread = unread - (OLD.flags & 1 = 0)
    WHERE account_id = OLD.account_id AND mailbox_id = OLD.mailbox_id;
    INSERT INTO account_mailbox_counts (account_id, mailbox_id, total, unread)
    VALUES (NEW.account_id, NEW.mailbox_id, 1, NEW.flags & 1 = 0)
    ON CONFLICT (account_id, mailbox_id) DO UPDATE SET total = total + 1, unread = unread + excluded.unread;
END;

-- 2. The server rows whose transfer did not match LIST's size (kept on the
--    server for good): the settings page counts them for every account,
--    and they are few, so that count reads only them (db.RetentionCounts).
CREATE INDEX server_messages_size_mismatch ON server_messages(account_id) WHERE size_ok = 0;
--    Likewise the rows whose message was deleted here for good, which an
--    account that deletes on the server what is deleted here counts as due.
CREATE INDEX server_messages_deleted_here ON server_messages(account_id) WHERE message_id IS NULL;

-- 3. A digest of the last listing (UIDLs and sizes, in order) of a session
--    that left nothing to do, recorded only for an account that deletes
--    nothing on the server. The next poll whose listing has the same
--    digest has nothing to do either, and reads none of the account's
--    100,000 server rows to find that out. NULL: no such session yet, or
--    the account's settings changed since.
ALTER TABLE accounts ADD COLUMN listing_digest BLOB;

-- 4. How many server rows the last stamped listing showed (MarkListed),
--    for the settings page, kept like the other counts: MarkListed sets it
--    when it stamps (only when the listing changed), and a row that goes
--    takes itself off.
ALTER TABLE accounts ADD COLUMN listed_count INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET listed_count = (SELECT count(*) FROM server_messages s
    WHERE s.account_id = accounts.id AND s.listed_at = accounts.listed_at);
CREATE TRIGGER server_messages_listed_delete AFTER DELETE ON server_messages WHEN OLD.listed_at IS NOT NULL BEGIN
    UPDATE accounts SET listed_count = listed_count - 1 WHERE id = OLD.account_id AND listed_at = OLD.listed_at;
END;

-- 5. Raw mail compressed: codec 1 means message_raw.raw and each of the
--    message's message_raw_parts is a zstd frame of its piece (of at most
--    1 MiB of the message), and the message is those pieces decompressed,
--    in order, byte for byte what the server sent. 0 is the bytes as they
--    came, as every message stored before this migration keeps them; a
--    message whose first piece does not shrink (already compressed data)
--    is stored so too. The mail is most of the database, mostly text and
--    base64: compressed it takes about half the pages.
ALTER TABLE message_raw ADD COLUMN codec INTEGER NOT NULL DEFAULT 0 CHECK (codec IN (0, 1));
