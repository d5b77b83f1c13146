-- Organizing mail: undoing an action, the starred view, and where a
-- message page leads after an action.
--
-- undo_actions: what one action on messages changed, to put it back. items
-- is a JSON array of each changed message's state before the action,
-- [{"id":…,"mailbox":…,"flags":…,"trashed_at":…|null}], so that undo
-- restores exactly those messages' mailboxes and flags, whatever happened
-- to the others since. The notice names a row by id (random, not
-- guessable), always together with its user, and rows expire: an undo is
-- for the minutes after the action, not an archive of history.
CREATE TABLE undo_actions (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    action     TEXT    NOT NULL,             -- app.MessageAction, to word the notice
    count      INTEGER NOT NULL,             -- how many messages changed
    target     INTEGER NOT NULL DEFAULT 0,   -- the id of the mailbox moved to, for the notice; 0 for none
    items      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX undo_actions_expiry ON undo_actions(expires_at);

-- Starred: a view of the flagged messages across a user's mailboxes, newest
-- first, paged by keyset like a mailbox (a partial index: only starred rows).
CREATE INDEX messages_starred ON messages(user_id, sort_at DESC, id DESC) WHERE flags & 2 <> 0;

-- After archiving, moving, junking or deleting from a message's page:
-- 'next' opens the next message of the list it came from, 'list' the list.
ALTER TABLE users ADD COLUMN after_action TEXT NOT NULL DEFAULT 'next' CHECK (after_action IN ('next', 'list'));

-- Each user's count of starred messages outside the trash, maintained like
-- the mailboxes' counts, so that the starred view's total is one read.
ALTER TABLE users ADD COLUMN starred_count INTEGER NOT NULL DEFAULT 0;
UPDATE users SET starred_count =
    (SELECT count(*) FROM messages m WHERE m.user_id = users.id AND m.flags & 2 <> 0 AND m.trashed_at IS NULL);
CREATE TRIGGER messages_starred_insert AFTER INSERT ON messages
WHEN NEW.flags & 2 <> 0 AND NEW.trashed_at IS NULL BEGIN
    UPDATE users SET starred_count = starred_count + 1 WHERE id = NEW.user_id;
END;
CREATE TRIGGER messages_starred_delete AFTER DELETE ON messages
WHEN OLD.flags & 2 <> 0 AND OLD.trashed_at IS NULL BEGIN
    UPDATE users SET starred_count = starred_count - 1 WHERE id = OLD.user_id;
END;
CREATE TRIGGER messages_starred_update AFTER UPDATE OF flags, trashed_at ON messages
WHEN (OLD.flags & 2 <> 0 AND OLD.trashed_at IS NULL) <> (NEW.flags & 2 <> 0 AND NEW.trashed_at IS NULL) BEGIN
    UPDATE users SET starred_count = starred_count
        + CASE WHEN NEW.flags & 2 <> 0 AND NEW.trashed_at IS NULL THEN 1 ELSE -1 END
    WHERE id = NEW.user_id;
END;
