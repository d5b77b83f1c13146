// Package migrations holds the database schema as numbered SQL files,
// embedded in the binary. db.Open applies the ones not yet recorded, in
// order, each in its own transaction. A file, once released, never changes:
// a schema change is a new file.
//
// Migrations run with foreign keys off and are checked with PRAGMA
// foreign_key_check before they commit (see db's applyMigration): a file
// may rebuild a table that others reference, following SQLite's procedure
// (create the new table, copy, drop the old, rename), as
// 0008_mailboxes.sql does, but gets no ON DELETE actions either.
package migrations

import "embed"

// FS holds the *.sql files, named NNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
