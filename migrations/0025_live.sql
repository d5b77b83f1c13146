-- The list that updates itself (handlers/live.go): a page asks every
-- little while whether mail was stored since it was drawn, and how many
-- messages, in the list it shows. Counting them there would read messages;
-- instead each mailbox, and each account's share of it, counts the
-- messages ever stored into it, maintained by the triggers that already
-- keep their totals. A page holds the count it was drawn with; the
-- difference is what has arrived since. Moves between mailboxes do not
-- count: only mail stored (fetched, imported, a copy of what was sent).
ALTER TABLE mailboxes ADD COLUMN arrived INTEGER NOT NULL DEFAULT 0 CHECK (arrived >= 0);
ALTER TABLE account_mailbox_counts ADD COLUMN arrived INTEGER NOT NULL DEFAULT 0 CHECK (arrived >= 0);

DROP TRIGGER messages_count_insert;
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    UPDATE mailboxes SET total = total + 1, unread = unread + (NEW.flags & 1 = 0), arrived = arrived + 1
    WHERE id = NEW.mailbox_id;
END;

DROP TRIGGER messages_account_mailbox_insert;
CREATE TRIGGER messages_account_mailbox_insert AFTER INSERT ON messages BEGIN
    INSERT INTO account_mailbox_counts (account_id, mailbox_id, total, unread, arrived)
    VALUES (NEW.account_id, NEW.mailbox_id, 1, NEW.flags & 1 = 0, 1)
    ON CONFLICT (account_id, mailbox_id) DO UPDATE SET total = total + 1, unread = unread + excluded.unread,
        arrived = arrived + 1;
END;
