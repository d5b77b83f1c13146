-- Whether a message's transfer looked right when it was stored: the bytes
-- received matched the size LIST announced (exactly, or two more when the
-- message ends in the CRLF Dovecot appends to a file lacking a final line
-- break). A message whose transfer looked wrong is never deleted on the
-- server. New rows default to 0, so a writer that does not check never
-- makes a message deletable.
ALTER TABLE server_messages ADD COLUMN size_ok INTEGER NOT NULL DEFAULT 0;

-- Rows stored before this migration: check them against the stored bytes.
-- A row whose message was deleted here cannot be checked and stays 0 (it is
-- then left on the server, which loses nothing).
UPDATE server_messages SET size_ok = 1
WHERE message_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM messages m JOIN message_raw r ON r.message_id = m.id
    WHERE m.id = server_messages.message_id
      AND (m.size = server_messages.size
           OR (m.size = server_messages.size + 2 AND substr(r.raw, -2) = x'0d0a')));
