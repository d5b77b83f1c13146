-- Search results come newest first without sorting every match, and a
-- whole address is one token.
--
-- message_fts's rowid becomes the message's search key: its sort time and
-- id in one integer (sort_at * 2^30 + id, see db.searchKey), so FTS5 hands
-- out the matches already in the lists' order (sort_at DESC, id DESC) and a
-- page stops reading after its rows. message_id keeps the row tied to its
-- message; sort_at never changes once a message is stored.
--
-- The sender and recipients columns also hold each address as one token
-- (search.AddressTokens), so from:ana@example.net reads one short list
-- instead of those of "example" and "net", which are in nearly every
-- message. Those tokens are written by Go, so the text is extracted again:
-- the index starts empty and the background job (app.Search.IndexSome)
-- indexes every message, newest first, with its progress on the search
-- page, as after the upgrade that brought search.
DROP TRIGGER message_text_insert;
DROP TRIGGER message_text_delete;
DROP TRIGGER message_text_update;
DROP TABLE message_fts;
DROP TABLE message_text;

CREATE TABLE message_text (
    search_key  INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    subject     TEXT NOT NULL DEFAULT '',
    sender      TEXT NOT NULL DEFAULT '',
    recipients  TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT ''
);
CREATE VIRTUAL TABLE message_fts USING fts5(subject, sender, recipients, body, attachments,
    content = 'message_text', content_rowid = 'search_key',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER message_text_insert AFTER INSERT ON message_text BEGIN
    INSERT INTO message_fts (rowid, subject, sender, recipients, body, attachments)
    VALUES (NEW.search_key, NEW.subject, NEW.sender, NEW.recipients, NEW.body, NEW.attachments);
END;
CREATE TRIGGER message_text_delete AFTER DELETE ON message_text BEGIN
    INSERT INTO message_fts (message_fts, rowid, subject, sender, recipients, body, attachments)
    VALUES ('delete', OLD.search_key, OLD.subject, OLD.sender, OLD.recipients, OLD.body, OLD.attachments);
END;
CREATE TRIGGER message_text_update AFTER UPDATE ON message_text BEGIN
    INSERT INTO message_fts (message_fts, rowid, subject, sender, recipients, body, attachments)
    VALUES ('delete', OLD.search_key, OLD.subject, OLD.sender, OLD.recipients, OLD.body, OLD.attachments);
    INSERT INTO message_fts (rowid, subject, sender, recipients, body, attachments)
    VALUES (NEW.search_key, NEW.subject, NEW.sender, NEW.recipients, NEW.body, NEW.attachments);
END;

-- A search without words (is:unread, has:attachment…) walks the user's
-- mail newest first and stops after a page.
CREATE INDEX messages_user_sort ON messages(user_id, sort_at DESC, id DESC);

DELETE FROM search_backfill;
INSERT INTO search_backfill (id, next_id) SELECT 1, max(id) + 1 FROM messages HAVING count(*) > 0;
