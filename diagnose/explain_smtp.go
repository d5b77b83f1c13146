package diagnose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// The failures of the outgoing server (smtpclient) are explained here.
// Explain sends every *smtpclient.Error to explainSMTP. The kinds that mean
// the same for both protocols and whose words say nothing of POP3 (a DNS
// outage, a certificate from an unknown authority…) are explained by the
// POP3 groups; the others have their own sentences, fixes on the
// submission ports (465 with SSL/TLS, 587 with STARTTLS) and their own
// help sections ("sending-error-…").

// SMTPKinds lists every failure kind of the outgoing server that Explain
// knows: smtpclient's kinds.
func SMTPKinds() []string {
	kinds := []smtpclient.Kind{
		smtpclient.KindHostNotFound, smtpclient.KindDNSTemporary, smtpclient.KindConnectionRefused,
		smtpclient.KindUnreachable, smtpclient.KindTimeout, smtpclient.KindNetwork, smtpclient.KindAddressNotAllowed,
		smtpclient.KindClosedBeforeGreet, smtpclient.KindNotSMTP, smtpclient.KindTLSOnPlainPort,
		smtpclient.KindPlainOnTLSPort, smtpclient.KindUnknownAuthority, smtpclient.KindCertificateName,
		smtpclient.KindCertificateExpired, smtpclient.KindCertificateInvalid, smtpclient.KindTLSVersion,
		smtpclient.KindTLSHandshake, smtpclient.KindSTARTTLSNotOffered, smtpclient.KindAuthNotOffered,
		smtpclient.KindEncryptionRequired, smtpclient.KindAuthFailed, smtpclient.KindOAuthRequired,
		smtpclient.KindAuthRequired, smtpclient.KindSenderRefused, smtpclient.KindRelayDenied,
		smtpclient.KindRecipientUnknown, smtpclient.KindRecipientRefused, smtpclient.KindMessageTooLarge,
		smtpclient.KindMessageRejected, smtpclient.KindSMTPUTF8, smtpclient.KindTempFailure,
		smtpclient.KindInterrupted, smtpclient.KindMaybeSent, smtpclient.KindProtocol, smtpclient.KindServerError,
		smtpclient.KindUnsupported, smtpclient.KindCanceled, smtpclient.KindInvalidInput,
	}
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

// KindNoOutgoingServer is the outbox's failure of a message whose account
// lost its outgoing server after the message was queued. The outbox also
// records KindInternal, for a failure of its own (the database, the
// stored password); both are explained by ExplainRecordedSMTP.
const KindNoOutgoingServer = "no-outgoing-server"

// OutboxKinds lists the failure kinds the outbox records besides
// smtpclient's.
func OutboxKinds() []string { return []string{KindNoOutgoingServer, KindInternal} }

// SMTPAnchor is the help page section for a failure kind of the outgoing
// server that has a section of its own.
func SMTPAnchor(kind string) string { return "sending-error-" + kind }

// ExplainRecordedSMTP explains a failure of the outgoing server recorded
// by the outbox (its kind, step and the server's words), or one of the
// outbox's own (OutboxKinds).
func ExplainRecordedSMTP(kind, step, text string, in Input) Diagnosis {
	if d, ok := explainSignIn(kind, text, in); ok {
		return d
	}
	switch kind {
	case KindInternal:
		return explainOutboxInternal()
	case KindNoOutgoingServer:
		return Diagnosis{
			Kind:        KindNoOutgoingServer,
			Title:       msg(i18n.Key("This account has no outgoing server any more")),
			Explanation: msg(i18n.Key("The message was not sent: the outgoing server of the account it was written from was removed before it left. Add one in Settings, under the account, then send the message again.")),
			HelpAnchor:  SMTPAnchor(KindNoOutgoingServer),
		}
	}
	return Explain(&smtpclient.Error{Kind: smtpclient.Kind(kind), Step: Step(step), ServerText: text, Host: in.Host}, in)
}

// explainOutboxInternal: the outbox failed on its own side (the
// database, the stored password), not at the server.
func explainOutboxInternal() Diagnosis {
	return Diagnosis{
		Kind:        KindInternal,
		Title:       msg(i18n.Key("Apartado could not send this message")),
		Explanation: msg(i18n.Key("The problem is on the computer Apartado runs on, not at your provider, and the message is kept in the outbox: nothing was lost. While it waits, Apartado tries again by itself. If it keeps failing, enter the outgoing server's password again in the account's settings (a changed secret key makes the saved one unreadable); if that does not help, your administrator can find the details in Apartado's log.")),
		Fixes:       []Fix{{Label: msg(i18n.Key("Enter the password again")), RetypePassword: true}},
		HelpAnchor:  SMTPAnchor(KindInternal),
	}
}

// SentenceSMTP is the one-line diagnosis of an outgoing server's failure
// kind in locale l, for places that know only the kind, like "apartado
// send --wait".
func SentenceSMTP(kind string, l *i18n.Locale) string {
	return ExplainRecordedSMTP(kind, "", "", Input{}).Title.Text(l, nil)
}

// sharedKinds are explained by the POP3 groups, with their help sections.
var sharedKinds = []smtpclient.Kind{
	smtpclient.KindDNSTemporary, smtpclient.KindUnreachable, smtpclient.KindNetwork, smtpclient.KindAddressNotAllowed,
	smtpclient.KindClosedBeforeGreet, smtpclient.KindUnknownAuthority, smtpclient.KindCertificateExpired,
	smtpclient.KindCertificateInvalid, smtpclient.KindTLSVersion, smtpclient.KindOAuthRequired, smtpclient.KindCanceled,
}

// explainSMTP is Explain for a failure of the outgoing server.
func explainSMTP(e *smtpclient.Error, in Input) Diagnosis {
	if in.Host == "" {
		in.Host = e.Host
	}
	var d Diagnosis
	if slices.Contains(sharedKinds, e.Kind) {
		d = explainKind(&pop3client.Error{Kind: e.Kind, Step: e.Step, Host: e.Host, Cert: e.Cert, Err: e.Err}, in)
	} else {
		for _, group := range []func(*smtpclient.Error, Input) Diagnosis{explainSMTPReaching, explainSMTPSecurity, explainSMTPSession} {
			if d = group(e, in); d.Title.Key != "" {
				break
			}
		}
		if d.Title.Key == "" {
			d = Diagnosis{
				Title:       msg(i18n.Key("Sending failed")),
				Explanation: msg(i18n.Key("The outgoing server refused or broke off for a reason Apartado cannot name more precisely. Its own words, if any, are below.")),
				HelpAnchor:  SMTPAnchor("other"),
			}
		}
		if d.HelpAnchor == "" {
			d.HelpAnchor = SMTPAnchor(string(e.Kind))
		}
	}
	d.Kind, d.Step = string(e.Kind), e.Step
	if d.Detail == "" {
		d.Detail = smtpWords(e)
	}
	if d.HelpAnchor == "" {
		d.HelpAnchor = Anchor(string(e.Kind))
	}
	d.Fixes = dedupe(d.Fixes, in)
	return d
}

// smtpWords is the server's reply worth showing, with its codes:
// smtpclient keeps words only from a server that spoke SMTP.
func smtpWords(e *smtpclient.Error) string {
	if e.Kind == smtpclient.KindNotSMTP {
		return ""
	}
	var parts []string
	if e.Code != 0 {
		parts = append(parts, strconv.Itoa(e.Code))
	}
	if e.EnhancedCode != "" {
		parts = append(parts, e.EnhancedCode)
	}
	if e.ServerText != "" {
		parts = append(parts, e.ServerText)
	}
	out := strings.Join(parts, " ")
	for _, r := range e.Refused {
		out = strings.TrimSpace(out + fmt.Sprintf("\n<%s>: %d %s %s", r.Address, r.Code, r.EnhancedCode, r.ServerText))
	}
	return out
}

// explainSMTPReaching explains failures to reach an outgoing server: the
// name, the port and what answers on it.
func explainSMTPReaching(e *smtpclient.Error, in Input) Diagnosis {
	host, port := displayHost(in.Host), strconv.Itoa(in.Port)
	switch e.Kind {
	case smtpclient.KindHostNotFound:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server's name does not exist")),
			Explanation: msg(i18n.Key("No computer on the Internet is called %s. Usually it is a typing mistake, or your provider's outgoing server has another name, often smtp. and the domain: check the name it gives in its help pages."), host),
			Fixes:       smtpDiscovered(in, true),
		}
	case smtpclient.KindConnectionRefused:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server refuses connections on this port")),
			Explanation: msg(i18n.Key("%s exists, but nothing accepts connections on port %s. Servers for sending mail usually listen on port 465 (SSL/TLS) or 587 (STARTTLS)."), host, port),
			Fixes:       append(smtpDiscovered(in, false), smtpOtherPorts(in)...),
		}
	case smtpclient.KindTimeout:
		return explainSMTPTimeout(e, in)
	case smtpclient.KindNotSMTP:
		d := Diagnosis{Title: msg(i18n.Key("This port is not for sending mail"))}
		switch e.Service {
		case "POP3", "IMAP":
			d.Explanation = msg(i18n.Key("Port %s of %s is for receiving mail (%s). Sending uses SMTP, usually on port 465 (SSL/TLS) or 587 (STARTTLS)."), port, host, e.Service)
		case "":
			d.Explanation = msg(i18n.Key("Port %s of %s speaks another protocol. Sending uses SMTP, usually on port 465 (SSL/TLS) or 587 (STARTTLS)."), port, host)
		default:
			d.Explanation = msg(i18n.Key("Port %s of %s speaks %s, not SMTP. Sending uses SMTP, usually on port 465 (SSL/TLS) or 587 (STARTTLS)."), port, host, e.Service)
		}
		d.Fixes = append(smtpDiscovered(in, false), smtpStandardPorts(in)...)
		return d
	case smtpclient.KindTLSOnPlainPort:
		return Diagnosis{
			Title:       msg(i18n.Key("This outgoing port does not use SSL/TLS from the start")),
			Explanation: msg(i18n.Key("You chose SSL/TLS, but the server greeted in plain text on port %s: this port expects STARTTLS, which switches to encryption after the greeting (port 587 works this way). Choose STARTTLS on this port, or SSL/TLS on port 465."), port),
			Fixes:       []Fix{securityFix(in, pop3client.SecuritySTARTTLS, in.Port), securityFix(in, pop3client.SecurityTLS, 465)},
			HelpAnchor:  SMTPAnchor("security"),
		}
	case smtpclient.KindPlainOnTLSPort:
		return Diagnosis{
			Title:       msg(i18n.Key("This outgoing port expects SSL/TLS")),
			Explanation: msg(i18n.Key("The server on port %s waits for an encrypted connection from the very first byte (port 465 works this way), but you chose %s. Choose SSL/TLS on this port, or STARTTLS on port 587."), port, securityName(in.Security)),
			Fixes:       []Fix{securityFix(in, pop3client.SecurityTLS, in.Port), securityFix(in, pop3client.SecuritySTARTTLS, 587)},
			HelpAnchor:  SMTPAnchor("security"),
		}
	}
	return Diagnosis{}
}

// explainSMTPTimeout: no answer. Internet providers and firewalls (or an
// antivirus) often drop connections to the ports for sending mail without
// a word, port 25 above all; the fix is the other submission port.
func explainSMTPTimeout(e *smtpclient.Error, in Input) Diagnosis {
	host, port := displayHost(in.Host), strconv.Itoa(in.Port)
	var try Message
	switch in.Port {
	case 465:
		try = msg(i18n.Key("Try port 587 with STARTTLS instead: networks that block one port often leave the other open."))
	case 587:
		try = msg(i18n.Key("Try port 465 with SSL/TLS instead: networks that block one port often leave the other open."))
	case 25:
		try = msg(i18n.Key("Port 25 is for servers passing mail to each other, and most Internet providers block it on home connections: use port 465 with SSL/TLS or 587 with STARTTLS."))
	default:
		try = msg(i18n.Key("Outgoing servers usually listen on port 465 (SSL/TLS) or 587 (STARTTLS): try those."))
	}
	switch e.Step {
	case smtpclient.StepResolve, smtpclient.StepConnect:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server does not answer")),
			Explanation: msg(i18n.Key("Nobody answered at %s on port %s. Internet providers, firewalls and antivirus programs often block the ports for sending mail without a word, so this looks the same as a wrong port. %s"), host, port, try),
			Fixes:       append(smtpDiscovered(in, false), smtpOtherPorts(in)...),
		}
	case smtpclient.StepTLS, smtpclient.StepGreeting:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server does not greet")),
			Explanation: msg(i18n.Key("Something accepted the connection on port %s of %s but never greeted as a mail server would. A firewall, an antivirus or a proxy may be in the way, or the port belongs to another service. %s"), port, host, try),
			Fixes:       append(smtpDiscovered(in, false), smtpOtherPorts(in)...),
			HelpAnchor:  SMTPAnchor(string(smtpclient.KindTimeout)),
		}
	}
	return Diagnosis{
		Title:       msg(i18n.Key("The outgoing server stopped answering")),
		Explanation: msg(i18n.Key("%s stopped responding in the middle of the session, before the message was complete, so it was not sent. Apartado tries again by itself."), host),
		Retry:       true,
		HelpAnchor:  SMTPAnchor(string(smtpclient.KindTimeout)),
	}
}

// explainSMTPSecurity explains the encryption and signing-in failures of
// the outgoing server.
func explainSMTPSecurity(e *smtpclient.Error, in Input) Diagnosis {
	host, port := displayHost(in.Host), strconv.Itoa(in.Port)
	switch e.Kind {
	case smtpclient.KindCertificateName:
		return explainSMTPCertificateName(e, in)
	case smtpclient.KindTLSHandshake:
		return Diagnosis{
			Title:       msg(i18n.Key("The secure connection to the outgoing server could not be set up")),
			Explanation: msg(i18n.Key("Apartado and %s could not agree on how to encrypt the connection. It is often a port and security that do not match: port 465 uses SSL/TLS, port 587 STARTTLS."), host),
			Fixes:       smtpStandardPorts(in),
			HelpAnchor:  SMTPAnchor("security"),
		}
	case smtpclient.KindSTARTTLSNotOffered:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server does not offer STARTTLS")),
			Explanation: msg(i18n.Key("You chose STARTTLS, but the server on port %s cannot switch to an encrypted connection. Most providers offer SSL/TLS on port 465 instead. Sending without encryption would let anyone on the way read your password and your mail."), port),
			Fixes:       []Fix{securityFix(in, pop3client.SecurityTLS, 465), securityFix(in, pop3client.SecurityNone, in.Port)},
		}
	case smtpclient.KindEncryptionRequired:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server lets you sign in only after encryption")),
			Explanation: msg(i18n.Key("Good: %s does not let your password cross the network unprotected, and offers signing in only on an encrypted connection. Choose STARTTLS (port 587) or SSL/TLS (port 465)."), host),
			Fixes:       []Fix{securityFix(in, pop3client.SecuritySTARTTLS, in.Port), securityFix(in, pop3client.SecurityTLS, 465)},
		}
	case smtpclient.KindAuthNotOffered:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server does not offer signing in")),
			Explanation: msg(i18n.Key("You gave a user name, but %s on port %s offers no way to sign in (no AUTH). It may be a server that takes mail from other servers (port 25) rather than yours: use your provider's outgoing server on port 465 (SSL/TLS) or 587 (STARTTLS)."), host, port),
			Fixes:       append(smtpDiscovered(in, false), smtpStandardPorts(in)...),
		}
	case smtpclient.KindAuthFailed:
		return explainSMTPAuth(in)
	case smtpclient.KindAuthRequired:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server wants you to sign in")),
			Explanation: msg(i18n.Key("%s does not take mail from anyone who has not signed in. Enter the user name and password for the outgoing server: usually the same as for receiving."), host),
			Fixes:       []Fix{{Label: msg(i18n.Key("Enter the password again")), Host: in.Host, Port: in.Port, Security: in.Security, RetypePassword: true}},
		}
	case smtpclient.KindUnsupported:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server offers no sign-in method Apartado can use")),
			Explanation: msg(i18n.Key("%s offers only ways of signing in that Apartado does not know (Apartado signs in with PLAIN or LOGIN). Its own words, if any, are below; ask your provider which settings mail programs should use."), host),
		}
	}
	return Diagnosis{}
}

func explainSMTPCertificateName(e *smtpclient.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	d := Diagnosis{Cert: e.Cert, Title: msg(i18n.Key("The outgoing server's certificate is for another name"))}
	var names []string
	if e.Cert != nil {
		names = append(append(names, e.Cert.DNSNames...), e.Cert.IPAddresses...)
	}
	if len(names) == 0 {
		d.Explanation = msg(i18n.Key("The certificate of %s does not name %s, so Apartado cannot be sure it is talking to the right server. Check the server name your provider gives."), host, host)
	} else {
		d.Explanation = msg(i18n.Key("You connected to %s, but the server's certificate is for %s. Your provider probably gives its outgoing server another name: connect with the name on the certificate."), host, strings.Join(names, ", "))
	}
	for _, name := range certHostFixes(e.Cert, in.Host) {
		d.Fixes = append(d.Fixes, serverFix(in, name, in.Port, in.Security))
	}
	if len(d.Fixes) == 0 && e.Cert != nil && e.Cert.SHA256 != "" {
		d.Fixes = []Fix{trustFix(in, e.Cert.SHA256, msg(i18n.Key("Trust this certificate")),
			msg(i18n.Key("Only if you are sure: Apartado will accept exactly this certificate for this server, and fail again if it ever changes. If someone is intercepting the connection, trusting their certificate lets them read your password and your mail.")))}
	}
	return d
}

// explainSMTPAuth: the user name or password was refused (535). The
// provider's hints say what it wants, above all an app password.
func explainSMTPAuth(in Input) Diagnosis {
	if in.SignedIn {
		name := providerName(in)
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server refused the sign-in")),
			Explanation: msg(i18n.Key("%s gave Apartado a sign-in, but its outgoing server refused it. Most often sending from mail programs (authenticated SMTP) is turned off for the mailbox: with Microsoft 365, the organization's administrator must allow it. If it is on, sign in again."), name),
			Fixes:       []Fix{{Label: msg(i18n.Key("Sign in again")), SignIn: true}},
			HelpAnchor:  "oauth",
		}
	}
	d := Diagnosis{Title: msg(i18n.Key("The outgoing server rejected the user name or password"))}
	p := in.Provider
	switch {
	case p != nil && p.OAuthOnly:
		return explainOAuth(in)
	case p != nil && p.AppPassword:
		d.Explanation = msg(i18n.Key("%s does not accept your usual password from mail programs: it wants an app password, a separate password made for one program. Create one in your account's security settings at %s, and enter it for the outgoing server instead."), p.Name, p.Name)
	case p != nil:
		d.Explanation = msg(i18n.Key("Check the user name and the password of the outgoing server at %s, usually the same as for receiving: type the password again, minding capital letters."), p.Name)
	default:
		d.Explanation = msg(i18n.Key("Check the user name (often your full e-mail address) and the password of the outgoing server, usually the same as for receiving: type it again, minding capital letters. Some providers want an app password — a separate password made for one mail program — or sending turned on in their settings first."))
	}
	if p != nil {
		switch p.Username {
		case discover.UsernameEmail:
			d.Hints = append(d.Hints, msg(i18n.Key("At %s, the user name is your full e-mail address."), p.Name))
		case discover.UsernameLocalPart:
			d.Hints = append(d.Hints, msg(i18n.Key("At %s, the user name is the part of your address before the @."), p.Name))
		}
	}
	addProvider(&d, p)
	d.Fixes = []Fix{{Label: msg(i18n.Key("Enter the password again")), Host: in.Host, Port: in.Port, Security: in.Security, RetypePassword: true}}
	return d
}
