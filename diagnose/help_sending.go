package diagnose

import (
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/smtpclient"
)

// sendingTopics are the help page's sections on the outgoing server's
// failures, after an introduction: every SMTPAnchor a diagnosis links to.
// Failures that mean the same for both servers (a DNS outage, certificates
// from an unknown authority…) link to the POP3 sections.
func sendingTopics() []Topic {
	k := func(kind smtpclient.Kind) string { return SMTPAnchor(string(kind)) }
	p := func(keys ...string) []Message {
		out := make([]Message, len(keys))
		for i, key := range keys {
			out[i] = msg(key)
		}
		return out
	}
	return []Topic{
		{"sending-errors", msg(i18n.Key("Sending mail: problems and how to fix them")), p(
			i18n.Key("Mail is sent through your provider's outgoing server (SMTP), a different server from the one mail is received from. It usually listens on port 465 with SSL/TLS or on port 587 with STARTTLS, and takes the same user name and password as receiving."),
			i18n.Key("The connection test checks the outgoing server step by step without sending anything. Failures that are the same for both servers, such as certificate problems, are explained in the sections above."))},
		{k(smtpclient.KindHostNotFound), msg(i18n.Key("The outgoing server's name does not exist")), p(
			i18n.Key("No computer on the Internet has the name you entered as the outgoing server. Usually it is a typing mistake, or the provider's outgoing server has another name (smtp.example.com rather than example.com)."),
			i18n.Key("Fix: check the name in your provider's help pages. When Apartado found the right name by itself, the diagnosis offers it as a button."))},
		{k(smtpclient.KindConnectionRefused), msg(i18n.Key("The outgoing server refuses connections on this port")), p(
			i18n.Key("The server exists, but nothing listens on the port you chose. Outgoing servers almost always use port 465 (SSL/TLS) or 587 (STARTTLS)."),
			i18n.Key("Fix: choose the other usual port; the diagnosis offers it as a button."))},
		{k(smtpclient.KindTimeout), msg(i18n.Key("The outgoing server does not answer")), p(
			i18n.Key("Many Internet providers block the ports for sending mail, port 25 above all on home connections, and firewalls and antivirus programs sometimes block 465 or 587 too. A blocked port drops the connection without a word, so it looks the same as a wrong port."),
			i18n.Key("Fix: try the other port: 587 with STARTTLS when 465 does not answer, 465 with SSL/TLS when 587 does not. Never port 25. If neither answers, ask whoever runs the network, or your antivirus's settings, to let mail programs through."))},
		{k(smtpclient.KindNotSMTP), msg(i18n.Key("This port is not for sending mail")), p(
			i18n.Key("Something answered on the port, but it speaks another protocol, such as POP3 or IMAP, which are for receiving mail."),
			i18n.Key("Fix: use port 465 with SSL/TLS or port 587 with STARTTLS, as your provider gives for sending."))},
		{SMTPAnchor("security"), msg(i18n.Key("SSL/TLS or STARTTLS on the wrong port")), p(
			i18n.Key("Port 465 encrypts from the first byte (SSL/TLS); port 587 starts in plain text and switches to encryption with STARTTLS. When the security setting does not match the port, both sides wait for each other, or the encryption cannot be set up."),
			i18n.Key("Fix: SSL/TLS with port 465, STARTTLS with port 587; the diagnosis offers the right pair."))},
		{k(smtpclient.KindCertificateName), msg(i18n.Key("The outgoing server's certificate is for another name")), p(
			i18n.Key("The server's certificate is valid, but for another name than the one you entered, so Apartado cannot be sure it is talking to the right server. Often the provider's outgoing server for your domain has the provider's own name."),
			i18n.Key("Fix: connect with the name on the certificate; the diagnosis offers it as a button."))},
		{k(smtpclient.KindSTARTTLSNotOffered), msg(i18n.Key("The outgoing server does not offer STARTTLS")), p(
			i18n.Key("You chose STARTTLS, but the server cannot switch to an encrypted connection on this port."),
			i18n.Key("Fix: choose SSL/TLS on port 465. Sending without encryption works with some old servers, but then your password and your mail cross the network readable by anyone on the way: avoid it."))},
		{k(smtpclient.KindEncryptionRequired), msg(i18n.Key("The outgoing server lets you sign in only after encryption")), p(
			i18n.Key("The server offers signing in only on an encrypted connection, to protect your password. That is good."),
			i18n.Key("Fix: choose STARTTLS (port 587) or SSL/TLS (port 465)."))},
		{k(smtpclient.KindAuthNotOffered), msg(i18n.Key("The outgoing server does not offer signing in")), p(
			i18n.Key("The server offers no way to sign in. Servers that take mail from other servers (port 25) work this way; the server for sending your own mail always lets you sign in."),
			i18n.Key("Fix: use your provider's outgoing server on port 465 or 587."))},
		{k(smtpclient.KindAuthFailed), msg(i18n.Key("The outgoing server rejected the user name or password")), p(
			i18n.Key("The outgoing server usually takes the same user name and password as receiving. Large providers (Gmail, Outlook.com, Yahoo, iCloud, GMX…) want an app password from mail programs when two-step verification is on."),
			i18n.Key("Fix: type the password again, or create an app password in your account's security settings and use it for the outgoing server."))},
		{k(smtpclient.KindAuthRequired), msg(i18n.Key("The outgoing server wants you to sign in")), p(
			i18n.Key("Outgoing servers take mail only from people who signed in, so that nobody can send mail in your name."),
			i18n.Key("Fix: enter the user name and password for the outgoing server, usually the same as for receiving."))},
		{k(smtpclient.KindUnsupported), msg(i18n.Key("The outgoing server offers no sign-in method Apartado can use")), p(
			i18n.Key("Apartado signs in with PLAIN or LOGIN, over an encrypted connection; this server offers neither."),
			i18n.Key("Fix: ask your provider which settings mail programs should use for sending."))},
		{k(smtpclient.KindSenderRefused), msg(i18n.Key("The outgoing server refuses the sender address")), p(
			i18n.Key("Providers let you send only from your own address, so that nobody can pose as someone else: a From address that is not the account's is refused (“not owned by user”)."),
			i18n.Key("Fix: send from the account's own address, or add the other address at your provider as an alias or “send mail as” address first."))},
		{k(smtpclient.KindRelayDenied), msg(i18n.Key("The outgoing server refuses to pass the message on")), p(
			i18n.Key("A server passes mail on to other domains only for people who signed in (“relay access denied”). It usually means the user name and password were not given, or the server is the provider's incoming server rather than its outgoing one."),
			i18n.Key("Fix: enter the user name and password for the outgoing server and check its name and port."))},
		{SMTPAnchor("recipient"), msg(i18n.Key("A recipient was refused")), p(
			i18n.Key("The server refused one of the addresses the message was for: the mailbox does not exist, or the server will not send there. When any recipient is refused, the message is sent to nobody, so that nobody gets it twice after a correction."),
			i18n.Key("Fix: check the addresses for typing mistakes, correct or remove the one refused, and send again."))},
		{k(smtpclient.KindMessageTooLarge), msg(i18n.Key("The message is too large for the outgoing server")), p(
			i18n.Key("Every outgoing server has a largest message it accepts (its SIZE), often between 10 and 50 MB. Attachments grow by about a third when sent."),
			i18n.Key("Fix: remove or shrink attachments, or share large files as a link."))},
		{k(smtpclient.KindMessageRejected), msg(i18n.Key("The outgoing server refused the message")), p(
			i18n.Key("The server received the message and refused it, usually because its filter took it for spam or found a virus in an attachment."),
			i18n.Key("Fix: read the server's words shown with the diagnosis and change what it objects to; if it seems wrong, show them to your provider."))},
		{k(smtpclient.KindSMTPUTF8), msg(i18n.Key("The outgoing server cannot send to addresses with accents")), p(
			i18n.Key("Addresses with letters beyond plain ASCII (ñ, accents, other alphabets) need the server to support SMTPUTF8, and this one does not."),
			i18n.Key("Fix: use an address in plain letters, if the person has one."))},
		{k(smtpclient.KindTempFailure), msg(i18n.Key("The outgoing server asks to try again later")), p(
			i18n.Key("A reply that starts with 4 means “not now”: the server is busy, or refuses the first try on purpose to keep spam out (greylisting). It is not an error yet."),
			i18n.Key("Fix: nothing to change. The message is retried by itself, with growing pauses, for up to a day, and is reported only if it still fails."))},
		{k(smtpclient.KindInterrupted), msg(i18n.Key("The connection broke while the message was being sent")), p(
			i18n.Key("The connection ended before the whole message reached the server, so the server drops it: it was not sent."),
			i18n.Key("Fix: nothing to change; the message is retried by itself."))},
		{k(smtpclient.KindMaybeSent), msg(i18n.Key("The message may have been sent")), p(
			i18n.Key("The connection broke after the whole message had been handed to the server and before the server said it had taken it. The server may have sent it, or not: nobody can tell from here."),
			i18n.Key("Fix: check the recipient's copy, or your Sent folder on your provider's website, before sending again. Apartado never sends such a message again by itself, so that nobody gets it twice."))},
		{k(smtpclient.KindProtocol), msg(i18n.Key("The outgoing server broke the rules of SMTP")), p(
			i18n.Key("The server answered in a way the SMTP standard does not allow. At the start of a connection, it usually means the port belongs to another service."),
			i18n.Key("Fix: check the port; if it is right and this keeps happening, show the server's words to your provider."))},
		{k(smtpclient.KindServerError), msg(i18n.Key("The outgoing server reported an error")), p(
			i18n.Key("The server refused a command and gave a reason Apartado does not recognize."),
			i18n.Key("Fix: read the server's own words shown with the diagnosis; if it keeps happening, show them to your provider."))},
		{k(smtpclient.KindInvalidInput), msg(i18n.Key("These outgoing settings cannot be used")), p(
			i18n.Key("Something in the outgoing settings or in the message's addresses cannot be sent to a server, such as a server name with a port in it, or an address with a space."),
			i18n.Key("Fix: enter only the server's name (like smtp.example.com), the port in its own field, and check the addresses."))},
		{SMTPAnchor(KindNoOutgoingServer), msg(i18n.Key("This account has no outgoing server any more")), p(
			i18n.Key("A message leaves through the outgoing server of the account it was written from. When that server is removed from the account after the message was sent from the composer, the message cannot leave, and stays in the outbox as not sent."),
			i18n.Key("Fix: add the outgoing server again in Settings, under the account, then send the message again."))},
		{SMTPAnchor(KindInternal), msg(i18n.Key("Apartado could not send this message")), p(
			i18n.Key("The problem is on the computer Apartado runs on, not at your provider: its database failed, or the saved password can no longer be read because Apartado's secret key was changed or lost. The message is kept in the outbox, and nothing was sent."),
			i18n.Key("Fix: enter the outgoing server's password again in the account's settings. If that does not help, your administrator can find the details in Apartado's log."))},
		{SMTPAnchor("other"), msg(i18n.Key("Sending failed")), p(
			i18n.Key("The outgoing server refused or broke off for a reason Apartado cannot name more precisely."),
			i18n.Key("Fix: test the connection from the account's settings: the test shows, step by step, where it fails."))},
	}
}
