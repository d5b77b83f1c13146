// Package handlers is Apartado's HTTP layer: the routes, the middleware
// (security headers, cross-origin protection, sessions, locale), and one
// file of handlers per area of the web interface. Handlers take the user
// from the session and pass that user's id to every database call, so that
// nobody can reach another user's accounts or mail by any URL or form. It
// renders pages from package web and mail from package message; it holds no
// SQL and speaks no POP3. The rules (what a valid user or account is, when a
// stored password may be reused, what a list action may touch) are the
// application layer's, package app: a handler parses the request, calls one
// app method and renders its result or translates its *app.Invalid.
package handlers
