-- server_messages.delete_pending was never written: what is due for
-- deletion on the server follows from the account's choices and the row
-- (db.ShouldDelete), so the column goes.
ALTER TABLE server_messages DROP COLUMN delete_pending;
