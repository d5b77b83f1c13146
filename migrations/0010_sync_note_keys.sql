-- A sync's notes as message keys with their arguments (a JSON array of
-- {"key", "args"}), translated when shown. Rows from before keep their
-- English sentences in notes and an empty note_keys.
ALTER TABLE sync_history ADD COLUMN note_keys TEXT NOT NULL DEFAULT '';

-- For a server row keyed by a header key ("hdr:…", a message whose UIDL is
-- not its own on the server): the UIDL the server gave it and how many
-- listed messages had this key at the last listing. A later listing that
-- shows this UIDL with this size as many times, where the row was listed
-- last time, is taken to show the same messages, without sending TOP
-- again (see poller's plan.go). NULL and 0 for rows keyed by their UIDL.
ALTER TABLE server_messages ADD COLUMN server_uidl TEXT;
ALTER TABLE server_messages ADD COLUMN server_copies INTEGER NOT NULL DEFAULT 0;
