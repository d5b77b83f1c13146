package smtpclient

import "strings"

// classifyReply maps an SMTP error reply (4xx or 5xx) at a step to a Kind,
// from the reply code and the RFC 3463 enhanced code first and, for servers
// that send no enhanced code, from the usual words. tlsOn says whether the
// connection was encrypted, which tells a 530 asking for TLS from one
// asking for a login.
func classifyReply(step Step, code int, enhanced, text string, tlsOn bool) Kind {
	if code >= 400 && code < 500 {
		// Greylisting (450/451), a full queue (452), a server going away
		// (421), a temporary authentication failure (454): RFC 5321 §4.2.1
		// makes every 4xx transient.
		return KindTempFailure
	}
	if code < 500 || code > 599 {
		return KindProtocol
	}
	lower := strings.ToLower(text)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(lower, w) {
				return true
			}
		}
		return false
	}
	switch step {
	case StepSTARTTLS:
		return KindSTARTTLSNotOffered
	case StepAuth:
		return classifyAuth(code, enhanced, tlsOn, has)
	case StepMail:
		return classifyMail(code, enhanced, tlsOn, has)
	case StepRcpt:
		return classifyRcpt(code, enhanced, has)
	case StepData:
		if code == 552 || enhanced == "5.3.4" {
			return KindMessageTooLarge
		}
		return KindServerError
	case StepDot:
		if code == 552 || enhanced == "5.3.4" || has("too large", "too big", "size exceed", "exceeds size") {
			return KindMessageTooLarge
		}
		// RFC 5321 §4.2.5: a 5xx after the final "." refuses this message.
		return KindMessageRejected
	}
	return KindServerError
}

func classifyAuth(code int, enhanced string, tlsOn bool, has func(...string) bool) Kind {
	switch {
	// RFC 4954 §6: 538 5.7.11 "Encryption required for requested
	// authentication mechanism"; 530 5.7.0 "Must issue a STARTTLS command first".
	case code == 538 || enhanced == "5.7.11",
		!tlsOn && (code == 530 || has("starttls", "tls required", "encryption required")):
		return KindEncryptionRequired
	case code == 504 || enhanced == "5.5.4" || enhanced == "5.7.4":
		return KindUnsupported
	// QUIRK: Microsoft 365 answers "535 5.7.139 Authentication unsuccessful,
	// basic authentication is disabled"; Google "534-5.7.9 Application-specific
	// password required" (that one is a password problem the user can fix).
	case has("basic authentication is disabled", "oauth", "web login required"):
		return KindOAuthRequired
	}
	// 535 5.7.8 and everything else: the credentials were not accepted.
	return KindAuthFailed
}

func classifyMail(code int, enhanced string, tlsOn bool, has func(...string) bool) Kind {
	switch {
	case code == 552 || enhanced == "5.3.4":
		// RFC 1870 §6.1: the SIZE declared on MAIL exceeds the limit.
		return KindMessageTooLarge
	case !tlsOn && (enhanced == "5.7.11" || has("starttls", "must issue a starttls")):
		return KindEncryptionRequired
	case code == 530 || enhanced == "5.7.0" && has("auth"):
		return KindAuthRequired
	case code == 555 || enhanced == "5.5.4":
		return KindServerError
	}
	// 553 "sender address rejected: not owned by user", 550 5.7.1, 5.1.7
	// (bad sender syntax), 5.1.8 (bad sender domain), 501 syntax errors in
	// the address.
	return KindSenderRefused
}

func classifyRcpt(code int, enhanced string, has func(...string) bool) Kind {
	switch {
	case code == 530:
		return KindAuthRequired
	// QUIRK: Postfix (smtpd_delay_reject = yes, its default) answers MAIL
	// with 250 and refuses the sender at RCPT: "553 5.7.1 <bob@example.test>:
	// Sender address rejected: not owned by user alice" (seen with Postfix
	// 3.7 in internal/smtptest).
	case has("sender address rejected", "not owned by user"):
		return KindSenderRefused
	case enhanced == "5.1.1" || enhanced == "5.1.0" || enhanced == "5.1.6":
		return KindRecipientUnknown
	case enhanced == "5.7.1" || has("relay"):
		// Postfix: "554 5.7.1 <x@example.net>: Relay access denied".
		return KindRelayDenied
	case has("user unknown", "unknown user", "no such user", "no such mailbox", "mailbox unavailable",
		"does not exist", "not found", "invalid recipient", "unknown recipient", "mailbox not found"):
		return KindRecipientUnknown
	case code == 554:
		return KindRelayDenied
	}
	return KindRecipientRefused
}
