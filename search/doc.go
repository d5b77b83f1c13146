// Package search owns the query language of mail search: it parses what a
// person types ("from:ana -is:read \"acta final\" cancion") into a syntax
// tree, and it prepares text for the full-text index (CJK split into one
// token per character, see Tokenizable). It is pure: no SQL, no HTTP, no
// clock; the database turns the tree into a query.
package search
