-- The files attached to a draft, kept in the database (so that a backup of
-- the database file has them) and deleted with the draft. A file's bytes
-- are split into chunks of at most 256 KiB, numbered from 0, so that it is
-- written and read a chunk at a time, never held whole in memory.
CREATE TABLE draft_attachments (
    id           INTEGER PRIMARY KEY,
    draft_id     INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX draft_attachments_draft ON draft_attachments (draft_id);

CREATE TABLE draft_attachment_chunks (
    attachment_id INTEGER NOT NULL REFERENCES draft_attachments(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    data          BLOB    NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
