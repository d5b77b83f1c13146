// Package discover proposes POP3 settings (server, port, security and login
// name) for an email address: from a built-in table of providers, RFC 6186
// SRV records, the Thunderbird autoconfig file the domain publishes, and
// probes of pop.DOMAIN and mail.DOMAIN through pop3client. It only proposes:
// a proposed server is never trusted beyond its own name (certificates are
// always checked against the candidate's host), and it does no HTTP serving,
// no SQL and no logging.
package discover
