// Package message turns raw stored messages (RFC 5322 / MIME, exactly as
// downloaded) into what pages show: list summaries, a rendered view with the
// sender's HTML sanitized into a standalone document for a sandboxed iframe,
// and the decoded bytes of single parts. It is tolerant of damaged mail and
// bounded in the work it does, and it never touches SQL or HTTP.
package message
