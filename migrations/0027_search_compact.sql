-- The search index takes a third of the space it took, and is written in
-- about half the time.
--
-- message_fts keeps no copy of the text it indexes (content = '', with
-- contentless_delete so that a message's row can still be deleted by its
-- rowid alone). The text was in message_text for FTS5's highlight() and
-- snippet(), which nothing calls any more (the marks are made in Go, from
-- the body only: db.DB.mark); message_text now keeps just that body,
-- zstd-compressed like the raw mail (codec as message_raw.codec), about a
-- fifth of its size.
--
-- The prefix index keeps only 3-letter prefixes: the 2-letter one cost as
-- much again (together they were two thirds of the index, and of the time
-- to write it) for a prefix that matches most of the mailbox anyway; a
-- 1- or 2-letter word being typed is matched whole (db.typedWord).
--
-- Nothing here can compress, so, as in 0023, the index starts empty and
-- the background job indexes every message again, newest first, with its
-- progress on the search page.
DROP TRIGGER IF EXISTS message_text_insert;
DROP TRIGGER IF EXISTS message_text_delete;
DROP TRIGGER IF EXISTS message_text_update;
DROP TABLE message_fts;
DROP TABLE message_text;

CREATE TABLE message_text (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    search_key INTEGER NOT NULL,               -- the message's rowid in message_fts (db.searchKey)
    body       BLOB    NOT NULL,               -- the searchable body text, as codec says
    codec      INTEGER NOT NULL CHECK (codec IN (0, 1))
);
CREATE VIRTUAL TABLE message_fts USING fts5(subject, sender, recipients, body, attachments,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '3');
-- A message's row goes with its text (which goes with the message).
CREATE TRIGGER message_text_delete AFTER DELETE ON message_text BEGIN
    DELETE FROM message_fts WHERE rowid = OLD.search_key;
END;

DELETE FROM search_backfill;
INSERT INTO search_backfill (id, next_id) SELECT 1, max(id) + 1 FROM messages HAVING count(*) > 0;
