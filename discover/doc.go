// Package discover proposes POP3 and outgoing (SMTP submission) settings
// (server, port, security and login name) for an email address: from a
// built-in table of providers, RFC 6186 / RFC 8314 SRV records, the
// Thunderbird autoconfig file the domain publishes, and probes of
// pop.DOMAIN, smtp.DOMAIN and mail.DOMAIN through pop3client and
// smtpclient (greetings only: no credentials, no message). It only
// proposes: a proposed server is never trusted beyond its own name
// (certificates are always checked against the candidate's host), and it
// does no HTTP serving, no SQL and no logging.
package discover
