// Package export writes stored messages out in formats other mail programs
// read: an mboxrd file, a Maildir, or a zip of .eml files, each carrying a
// message's raw bytes exactly as the server sent them (mboxrd adds only its
// ">From " quoting). It reads messages one at a time from a Source and knows
// nothing of the database, HTTP or MIME beyond the one header it looks at.
package export
