// Package migrations holds the database schema as numbered SQL files,
// embedded in the binary. db.Open applies the ones not yet recorded, in
// order, each in its own transaction. A file, once released, never changes:
// a schema change is a new file.
package migrations

import "embed"

// FS holds the *.sql files, named NNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
