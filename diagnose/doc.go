// Package diagnose turns a failed POP3 or SMTP session into one clear
// sentence and a fix: Explain maps a pop3client or smtpclient error (with
// what is known of the account and its provider) to a Diagnosis, and Test
// (the incoming server) and TestSMTP (the outgoing one) run a connection
// test step by step, reporting each step as it happens. Its text is
// English i18n keys with arguments (Message), rendered for a locale by the
// caller; it opens connections only through pop3client and smtpclient,
// never sends a message, and never stores, logs or deletes anything.
package diagnose
