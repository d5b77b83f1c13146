-- Senders whose remote content (images, CSS, fonts) a user chose to load
-- always. Keyed on the From address, lower-cased; each user has their own
-- list, gone with the user.
CREATE TABLE trusted_senders (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    address    TEXT    NOT NULL CHECK (address <> '' AND address = lower(address)),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, address)
) WITHOUT ROWID;
