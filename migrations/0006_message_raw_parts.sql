-- Messages larger than 1 MiB are stored in pieces: message_raw holds the
-- first MiB and message_raw_parts the rest, in order. Neither the writer
-- nor SQLite then needs a second copy of a large message in memory to
-- store it (a 50 MB attachment used to cost twice its size on top of the
-- message). Smaller messages, and every message stored before, are whole
-- in message_raw.
CREATE TABLE message_raw_parts (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,          -- 1, 2, … after the piece in message_raw
    data       BLOB    NOT NULL,
    PRIMARY KEY (message_id, seq)
);
