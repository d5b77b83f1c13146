-- Full-text search. message_text holds what each message is found by,
-- extracted once when it is stored (message.Analyze): the subject, the
-- sender and the recipients (names and addresses), the readable text of
-- every body part and the attachments' names, each as search.Tokenizable
-- wrote it (a space around each CJK character). message_fts indexes it
-- (an external-content FTS5 table, so the text is stored once): unicode61
-- with remove_diacritics 2 folds case and accents ("cancion" finds
-- "canción"), and prefix indexes make the word being typed quick to match.
-- The triggers keep the index in step; a message's row goes with it.
CREATE TABLE message_text (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    subject     TEXT NOT NULL DEFAULT '',
    sender      TEXT NOT NULL DEFAULT '',
    recipients  TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT ''
);
CREATE VIRTUAL TABLE message_fts USING fts5(subject, sender, recipients, body, attachments,
    content = 'message_text', content_rowid = 'message_id',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
CREATE TRIGGER message_text_insert AFTER INSERT ON message_text BEGIN
    INSERT INTO message_fts (rowid, subject, sender, recipients, body, attachments)
    VALUES (NEW.message_id, NEW.subject, NEW.sender, NEW.recipients, NEW.body, NEW.attachments);
END;
CREATE TRIGGER message_text_delete AFTER DELETE ON message_text BEGIN
    INSERT INTO message_fts (message_fts, rowid, subject, sender, recipients, body, attachments)
    VALUES ('delete', OLD.message_id, OLD.subject, OLD.sender, OLD.recipients, OLD.body, OLD.attachments);
END;
CREATE TRIGGER message_text_update AFTER UPDATE ON message_text BEGIN
    INSERT INTO message_fts (message_fts, rowid, subject, sender, recipients, body, attachments)
    VALUES ('delete', OLD.message_id, OLD.subject, OLD.sender, OLD.recipients, OLD.body, OLD.attachments);
    INSERT INTO message_fts (rowid, subject, sender, recipients, body, attachments)
    VALUES (NEW.message_id, NEW.subject, NEW.sender, NEW.recipients, NEW.body, NEW.attachments);
END;

-- The messages stored before this migration are indexed by a background
-- job (app.Search.IndexSome), newest first: every message with an id below
-- next_id is still to be read. The row goes when the job is done; a
-- database without mail has none. Mail stored from now on is indexed as it
-- is stored.
CREATE TABLE search_backfill (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    next_id INTEGER NOT NULL
);
INSERT INTO search_backfill (id, next_id) SELECT 1, max(id) + 1 FROM messages HAVING count(*) > 0;
