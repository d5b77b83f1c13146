// Package app is Apartado's application layer: every rule about users,
// mail accounts and mail, and every operation of several steps (check the
// input, hash or seal the secret, store, tell the poller). The web
// (handlers) and the command line (cmd/apartado) are adapters over it:
// they turn a form or flags into an input struct, call one method, and
// show the result or the error, so the two cannot disagree about a rule.
//
// It may import db, pop3client, compose, message, diagnose, discover, i18n (for
// message keys only) and the internal helpers; it must not import net/http,
// handlers, web, poller or cmd, and it writes no SQL: db stores and
// queries. Errors that a person should read carry a message key (Problem,
// Invalid, Error) that the interface translates.
package app
