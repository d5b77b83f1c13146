-- Each account's count of stored messages outside the trash, and of the
-- unread among them, maintained like the mailboxes' counts: the
-- navigation and the settings page show them on every page view, and
-- counting them there cost two scans of the account's messages per
-- account per request (at 100,000 messages, most of a page's time).
ALTER TABLE accounts ADD COLUMN stored_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN unread_count INTEGER NOT NULL DEFAULT 0;

UPDATE accounts SET
    stored_count = (SELECT count(*) FROM messages m WHERE m.account_id = accounts.id AND m.trashed_at IS NULL),
    unread_count = (SELECT count(*) FROM messages m WHERE m.account_id = accounts.id AND m.trashed_at IS NULL AND m.flags & 1 = 0);

CREATE TRIGGER messages_account_count_insert AFTER INSERT ON messages WHEN NEW.trashed_at IS NULL BEGIN
    UPDATE accounts SET stored_count = stored_count + 1, unread_count = unread_count + (NEW.flags & 1 = 0)
    WHERE id = NEW.account_id;
END;
CREATE TRIGGER messages_account_count_delete AFTER DELETE ON messages WHEN OLD.trashed_at IS NULL BEGIN
    UPDATE accounts SET stored_count = stored_count - 1, unread_count = unread_count - (OLD.flags & 1 = 0)
    WHERE id = OLD.account_id;
END;
CREATE TRIGGER messages_account_count_update AFTER UPDATE OF trashed_at, flags, account_id ON messages
WHEN (OLD.trashed_at IS NULL) <> (NEW.trashed_at IS NULL) OR (OLD.flags & 1) <> (NEW.flags & 1)
    OR OLD.account_id IS NOT NEW.account_id BEGIN
    UPDATE accounts SET stored_count = stored_count - (OLD.trashed_at IS NULL),
        unread_count = unread_count - (OLD.trashed_at IS NULL AND OLD.flags & 1 = 0)
    WHERE id = OLD.account_id;
    UPDATE accounts SET stored_count = stored_count + (NEW.trashed_at IS NULL),
        unread_count = unread_count + (NEW.trashed_at IS NULL AND NEW.flags & 1 = 0)
    WHERE id = NEW.account_id;
END;
