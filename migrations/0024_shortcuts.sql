-- Keyboard shortcuts: whether a user's pages answer keys such as j, k, e
-- and ? (static/keys.js reads the choice from <body>). On by default: the
-- keys act only outside text fields and without Ctrl, Alt or Meta, so a
-- user who never presses them loses nothing, and one who knows them from
-- Gmail finds them without hunting through the settings.
ALTER TABLE users ADD COLUMN shortcuts INTEGER NOT NULL DEFAULT 1 CHECK (shortcuts IN (0, 1));
