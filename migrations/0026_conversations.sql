-- Conversations: messages grouped by what they answer (db/threads.go says
-- the rule).
--
-- thread_id is the conversation a message is in, per user: the smallest
-- id of the messages ever joined into it, so that it is never the id of a
-- message stored later (ids are not reused below the largest). NULL: a
-- conversation of its own, as a message alone is (so far) and as mail
-- stored before this migration is until the background job reaches it;
-- setting the column for every existing message here would rewrite the
-- whole table, and a message alone costs no write when it is stored.
ALTER TABLE messages ADD COLUMN thread_id INTEGER;
-- The subject as conversations compare it (message.ThreadSubject), for
-- the fallback on subjects; '' for none, for a message with In-Reply-To or
-- References (which never uses the fallback), or not threaded yet.
ALTER TABLE messages ADD COLUMN thread_subject TEXT NOT NULL DEFAULT '';

-- A conversation's messages in a list, newest first: a list that shows
-- one row per conversation keeps a message only when no newer message of
-- its conversation is in the list, which this index answers in one step.
CREATE INDEX messages_thread_list ON messages(thread_id, mailbox_id, sort_at DESC, id DESC);
-- The messages of a user with a subject, by time, for the fallback.
CREATE INDEX messages_thread_subject ON messages(user_id, thread_subject, sort_at) WHERE thread_subject <> '';

-- The Message-IDs each message refers to (In-Reply-To and References,
-- bounded: message.MaxReferences), by the id referred to, so that a parent
-- that arrives after its replies finds them.
CREATE TABLE message_refs (
    user_id    INTEGER NOT NULL,
    ref        TEXT    NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, ref, message_id)
) WITHOUT ROWID;
CREATE INDEX message_refs_message ON message_refs(message_id);

-- Whether a user's lists show one row per conversation. Off by default:
-- it changes what a row and its actions stand for (a row is several
-- messages, Delete removes them all), which someone who did not ask for
-- it would not expect, and the mail stored before this migration is
-- grouped only as the background job reaches it.
ALTER TABLE users ADD COLUMN conversations INTEGER NOT NULL DEFAULT 0 CHECK (conversations IN (0, 1));

-- The messages stored before this migration are threaded by a background
-- job (app.Conversations.ThreadSome), newest first, from their raw mail:
-- every message with an id below next_id is still to be read. The row
-- goes when the job is done; a database without mail has none.
CREATE TABLE thread_backfill (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    next_id INTEGER NOT NULL
);
INSERT INTO thread_backfill (id, next_id) SELECT 1, max(id) + 1 FROM messages HAVING count(*) > 0;
