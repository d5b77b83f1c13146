// Package handlers is Apartado's HTTP layer: the routes, the middleware
// (security headers, cross-origin protection, sessions, locale), and one
// file of handlers per area of the web interface. Handlers take the user
// from the session and pass that user's id to every database call, so that
// nobody can reach another user's accounts or mail by any URL or form. It
// renders pages from package web and mail from package message; it holds no
// SQL and speaks no POP3.
package handlers
