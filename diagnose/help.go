package diagnose

import (
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
)

// Kinds lists every failure kind Explain knows: pop3client's, then
// KindInternal.
func Kinds() []string {
	return []string{
		string(pop3client.KindHostNotFound), string(pop3client.KindDNSTemporary), string(pop3client.KindConnectionRefused),
		string(pop3client.KindUnreachable), string(pop3client.KindTimeout), string(pop3client.KindNetwork),
		string(pop3client.KindAddressNotAllowed),
		string(pop3client.KindClosedBeforeGreeting), string(pop3client.KindNotPOP3), string(pop3client.KindTLSOnPlainPort),
		string(pop3client.KindPlainOnTLSPort), string(pop3client.KindUnknownAuthority), string(pop3client.KindCertificateName),
		string(pop3client.KindCertificateExpired), string(pop3client.KindCertificateInvalid), string(pop3client.KindTLSVersion),
		string(pop3client.KindTLSHandshake), string(pop3client.KindSTLSNotOffered), string(pop3client.KindAuthFailed),
		string(pop3client.KindOAuthRequired), string(pop3client.KindEncryptionRequired), string(pop3client.KindPOPDisabled),
		string(pop3client.KindTempFailure), string(pop3client.KindInUse), string(pop3client.KindLoginDelay),
		string(pop3client.KindTransferInterrupted), string(pop3client.KindMessageTooLarge), string(pop3client.KindProtocol),
		string(pop3client.KindServerError), string(pop3client.KindUpdateFailed), string(pop3client.KindUnsupported),
		string(pop3client.KindCanceled), string(pop3client.KindClosed), string(pop3client.KindInvalidInput),
		KindInternal,
	}
}

// Topic is a section of the help page about one kind of failure: every
// Diagnosis.HelpAnchor has one.
type Topic struct {
	Anchor string
	Title  Message
	Body   []Message
}

// Topics are the help page's sections on failures, in the order of a
// session: finding the server, connecting, encryption, signing in, then the
// rest; then the same for the outgoing server (sendingTopics).
func Topics() []Topic {
	k := func(kind pop3client.Kind) string { return Anchor(string(kind)) }
	p := func(keys ...string) []Message {
		out := make([]Message, len(keys))
		for i, key := range keys {
			out[i] = msg(key)
		}
		return out
	}
	topics := []Topic{
		{k(pop3client.KindHostNotFound), msg(i18n.Key("The server name does not exist")), p(
			i18n.Key("No computer on the Internet has the name you entered as the server. Usually it is a typing mistake (pop.gmial.com), or the provider's POP3 server has another name than its website (pop.example.com rather than example.com)."),
			i18n.Key("Fix: check the name in your provider's help pages. When Apartado found the right name by itself, the diagnosis offers it as a button."))},
		{k(pop3client.KindDNSTemporary), msg(i18n.Key("The server name could not be looked up")), p(
			i18n.Key("The name servers (DNS) that turn server names into addresses did not answer. It is usually a short outage of the Internet connection of the computer Apartado runs on."),
			i18n.Key("Fix: nothing to change. Apartado tries again by itself; if it lasts, check that computer's network."))},
		{k(pop3client.KindConnectionRefused), msg(i18n.Key("The server refuses connections on this port")), p(
			i18n.Key("The server exists, but nothing listens on the port you chose. POP3 is almost always on port 995 (SSL/TLS) or 110 (STARTTLS)."),
			i18n.Key("Fix: choose the other usual port; the diagnosis offers it as a button."))},
		{k(pop3client.KindUnreachable), msg(i18n.Key("The server cannot be reached from here")), p(
			i18n.Key("There is no network path to the server: the computer Apartado runs on is offline, or a network in between blocks the way."),
			i18n.Key("Fix: nothing to change in Apartado. Check that computer's network; Apartado tries again by itself."))},
		{k(pop3client.KindTimeout), msg(i18n.Key("The server does not answer")), p(
			i18n.Key("The connection attempt went unanswered, or the server accepted it and then said nothing. Firewalls often drop connections to ports they block without a word, so this looks the same as a wrong port."),
			i18n.Key("Fix: try the other usual port (995 with SSL/TLS, 110 with STARTTLS). If neither answers, a firewall on your network or at the provider is blocking POP3: ask whoever runs it."))},
		{k(pop3client.KindNetwork), msg(i18n.Key("A network error broke the connection")), p(
			i18n.Key("The connection failed because of a problem on the way, not because of your settings."),
			i18n.Key("Fix: nothing to change. Apartado tries again by itself; if it keeps happening, check the network of the computer Apartado runs on."))},
		{k(pop3client.KindAddressNotAllowed), msg(i18n.Key("Apartado may not connect to this server for you")), p(
			i18n.Key("Accounts of users who are not administrators may not connect to the computer Apartado runs on, nor, unless the administrator allows it, to other computers on its local network. Otherwise anyone with a user here could look into services that are not meant to be reached from outside."),
			i18n.Key("Fix: check the server name your provider gives: a mail provider's server is on the Internet. If your mail server really is on your own network, ask your administrator to allow it or to add the account."))},
		{k(pop3client.KindClosedBeforeGreeting), msg(i18n.Key("The server hung up without a greeting")), p(
			i18n.Key("The server accepted the connection and closed it before saying anything. Busy servers do this to limit connections, and some providers refuse addresses they do not know, such as those of home servers or other countries."),
			i18n.Key("Fix: wait and let Apartado try again. If it never works, ask your provider whether it blocks the address of the computer Apartado runs on."))},
		{k(pop3client.KindNotPOP3), msg(i18n.Key("This port is not for POP3")), p(
			i18n.Key("Something answered on the port, but it speaks another protocol: IMAP (ports 143 and 993), sending mail (SMTP, ports 25, 465 and 587) or a website. Apartado speaks POP3 only."),
			i18n.Key("Fix: use port 995 with SSL/TLS or port 110 with STARTTLS, as your provider gives for POP3."))},
		{k(pop3client.KindTLSOnPlainPort), msg(i18n.Key("This port does not use SSL/TLS from the start")), p(
			i18n.Key("You chose SSL/TLS, which encrypts from the first byte, but the server greeted in plain text: the port expects STARTTLS, which encrypts after the greeting. Port 110 usually works this way."),
			i18n.Key("Fix: choose STARTTLS on the same port, or SSL/TLS on port 995."))},
		{k(pop3client.KindPlainOnTLSPort), msg(i18n.Key("This port expects SSL/TLS")), p(
			i18n.Key("The server waits for an encrypted connection from the first byte (port 995 usually works this way), but you chose STARTTLS or no encryption, which wait for a greeting in plain text. Both sides wait, and nothing happens."),
			i18n.Key("Fix: choose SSL/TLS on the same port."))},
		{k(pop3client.KindUnknownAuthority), msg(i18n.Key("The server's certificate is from an unknown authority")), p(
			i18n.Key("A certificate proves that the server is the one you meant, because a known authority vouches for it. This one was issued by an authority Apartado does not know: the provider signed it itself (self-signed), uses a private authority, or something between you and the server replaced it."),
			i18n.Key("Antivirus programs (Avast, AVG, Kaspersky, ESET, Bitdefender, Norton…) and company firewalls (Fortinet, Zscaler, Sophos…) often decrypt connections to inspect them and sign them with their own certificate. The diagnosis names the issuer and says when it looks like one of them: then turn off the program's mail or SSL scanning for the computer Apartado runs on."),
			i18n.Key("Fix: if you are sure the server is right — ask your provider for the certificate's SHA-256 fingerprint and compare — you can trust exactly this certificate. Apartado then accepts it and nothing else, and fails again if it changes."))},
		{k(pop3client.KindCertificateName), msg(i18n.Key("The certificate is for another name")), p(
			i18n.Key("The server's certificate is valid, but for another name than the one you entered, so Apartado cannot be sure it is talking to the right server. Often the provider hosts your domain's mail under its own name (pop.provider.net rather than pop.your-domain.com)."),
			i18n.Key("Fix: connect with the name on the certificate; the diagnosis offers it as a button."))},
		{k(pop3client.KindCertificateExpired), msg(i18n.Key("The server's certificate has expired")), p(
			i18n.Key("Certificates are valid for a limited time and the provider must renew them. After that date the certificate no longer proves anything."),
			i18n.Key("Fix: tell your provider; it is usually fixed within hours. Trusting the expired certificate is possible but strongly discouraged: undo it once the provider has renewed it."))},
		{"error-certificate-not-yet-valid", msg(i18n.Key("The server's certificate is not valid yet")), p(
			i18n.Key("The certificate's validity starts in the future. Almost always, the clock of the computer Apartado runs on is wrong."),
			i18n.Key("Fix: set that computer's date, time and time zone correctly (turn on automatic time). If the clock is right, tell your provider."))},
		{k(pop3client.KindCertificateInvalid), msg(i18n.Key("The server's certificate cannot be used")), p(
			i18n.Key("The certificate is damaged or not made for a mail server."),
			i18n.Key("Fix: tell your provider."))},
		{k(pop3client.KindTLSVersion), msg(i18n.Key("The server uses an outdated, insecure encryption")), p(
			i18n.Key("The server only offers TLS 1.0 or 1.1, versions with known weaknesses that Apartado refuses, like every up-to-date program."),
			i18n.Key("Fix: there is no safe one on your side. Ask your provider to update its server, or move your mail elsewhere."))},
		{k(pop3client.KindTLSHandshake), msg(i18n.Key("The secure connection could not be set up")), p(
			i18n.Key("Apartado and the server could not agree on how to encrypt. It is often a port and security setting that do not match."),
			i18n.Key("Fix: use port 995 with SSL/TLS or port 110 with STARTTLS."))},
		{k(pop3client.KindSTLSNotOffered), msg(i18n.Key("The server does not offer STARTTLS")), p(
			i18n.Key("You chose STARTTLS, but the server cannot switch to an encrypted connection on this port."),
			i18n.Key("Fix: choose SSL/TLS on port 995. Connecting without encryption works with some old servers, but then your password and your mail cross the network readable by anyone on the way: avoid it."))},
		{k(pop3client.KindAuthFailed), msg(i18n.Key("The server rejected the user name or password")), p(
			i18n.Key("The user name is often your full e-mail address, sometimes only the part before the @. Passwords are case-sensitive."),
			i18n.Key("Many large providers (Gmail, Outlook.com, Yahoo, iCloud, GMX…) do not accept your usual password from mail programs when two-step verification is on: create an app password in your account's security settings and enter that instead. Some also need POP turned on first."),
			i18n.Key("Fix: type the password again, or create an app password. After several rejections in a row Apartado stops checking, so that your provider does not block you; saving the account with the right password starts it again."))},
		{k(pop3client.KindOAuthRequired), msg(i18n.Key("Your provider only allows signing in through its website")), p(
			i18n.Key("Some providers let mail programs sign in only through their own login page (OAuth) and no longer accept passwords. Apartado signs in that way once the household's administrator has registered it with the provider: the account form then shows “Sign in with …”."),
			i18n.Key("Fix: use “Sign in with …” on the account form. If it is missing, the administrator registers Apartado with the provider first (see “Signing in with Microsoft, Google, Yahoo or AOL” below). Where the provider offers app passwords, one works too."))},
		{k(pop3client.KindEncryptionRequired), msg(i18n.Key("The server refuses passwords without encryption")), p(
			i18n.Key("The server protects your password by refusing it on an unencrypted connection. That is good."),
			i18n.Key("Fix: choose SSL/TLS (usually port 995) or STARTTLS (usually port 110)."))},
		{k(pop3client.KindPOPDisabled), msg(i18n.Key("POP access is turned off for this account")), p(
			i18n.Key("Your provider accepted the password but does not allow POP for this mailbox. Many providers turn POP off until you turn it on."),
			i18n.Key("Fix: in your account's settings on the provider's website, look for “POP”, “POP download” or “access from other mail programs” and turn it on, then test again."))},
		{k(pop3client.KindTempFailure), msg(i18n.Key("The server has a temporary problem")), p(
			i18n.Key("The server said it cannot serve you right now and asked to try again later."),
			i18n.Key("Fix: nothing to change; Apartado tries again by itself."))},
		{k(pop3client.KindInUse), msg(i18n.Key("Another program is using the mailbox")), p(
			i18n.Key("POP3 lets only one program at a time into a mailbox. If a phone, a tablet or another mail program checks the same mailbox, they sometimes meet."),
			i18n.Key("Fix: wait, or close the other program. If it keeps happening, let only one program check the mailbox by POP3, or check less often."))},
		{k(pop3client.KindLoginDelay), msg(i18n.Key("The server does not allow logging in this often")), p(
			i18n.Key("Some providers allow a login only every few minutes (they announce it as LOGIN-DELAY). A connection test counts as a login too."),
			i18n.Key("Fix: choose a check interval at least as long as the server's delay; the diagnosis offers one."))},
		{k(pop3client.KindTransferInterrupted), msg(i18n.Key("The connection broke during the download")), p(
			i18n.Key("The connection ended in the middle of a message. Nothing is lost: Apartado deletes a message from the server only after it is safely stored."),
			i18n.Key("Fix: nothing to change; Apartado tries again by itself."))},
		{k(pop3client.KindMessageTooLarge), msg(i18n.Key("A message is too large to download")), p(
			i18n.Key("A message on the server is larger than the limit this Apartado is set to. It stays on the server."),
			i18n.Key("Fix: read it with your provider's webmail, or ask your administrator to raise the limit."))},
		{k(pop3client.KindProtocol), msg(i18n.Key("The server broke the rules of POP3")), p(
			i18n.Key("The server answered in a way the POP3 standard does not allow. At the start of a connection, it usually means the port belongs to another service."),
			i18n.Key("Fix: check the port; if it is right and this keeps happening, show the server's words to your provider."))},
		{k(pop3client.KindServerError), msg(i18n.Key("The server reported an error")), p(
			i18n.Key("The server refused a command and gave a reason Apartado does not recognize."),
			i18n.Key("Fix: read the server's own words shown with the diagnosis; if it keeps happening, show them to your provider."))},
		{k(pop3client.KindUpdateFailed), msg(i18n.Key("The server could not delete the downloaded messages")), p(
			i18n.Key("At the end of a session the server deletes the messages Apartado asked it to delete, and this time it could not. They are stored safely here."),
			i18n.Key("Fix: nothing to change; Apartado tries again by itself."))},
		{k(pop3client.KindUnsupported), msg(i18n.Key("The server lacks a feature Apartado needs")), p(
			i18n.Key("The server offers no way of signing in or reading mail that Apartado can use."),
			i18n.Key("Fix: ask your provider which settings mail programs should use for POP3."))},
		{k(pop3client.KindCanceled), msg(i18n.Key("The check was interrupted")), p(
			i18n.Key("The check stopped before it finished, for example because Apartado was restarting."),
			i18n.Key("Fix: nothing to change; it runs again by itself."))},
		{k(pop3client.KindClosed), msg(i18n.Key("The connection closed early")), p(
			i18n.Key("The session ended before Apartado had finished, usually after another problem."),
			i18n.Key("Fix: nothing to change; Apartado tries again by itself."))},
		{k(pop3client.KindInvalidInput), msg(i18n.Key("These settings cannot be used")), p(
			i18n.Key("Something in the settings cannot be sent to a server, such as a server name with a port in it."),
			i18n.Key("Fix: enter only the server's name (like pop.example.com), the port in its own field, and the user name without spaces or line breaks."))},
		{Anchor(KindInternal), msg(i18n.Key("Apartado could not check this account")), p(
			i18n.Key("The problem is on the computer Apartado runs on, not at your provider. Most often the saved password can no longer be read because Apartado's secret key was changed or lost."),
			i18n.Key("Fix: edit the account, enter the password again and save. If that does not help, your administrator can find the details in Apartado's log."))},
		{Anchor(""), msg(i18n.Key("The check failed")), p(
			i18n.Key("Apartado could not check the account for a reason it cannot name more precisely."),
			i18n.Key("Fix: test the connection from the account's settings: the test shows, step by step, where it fails."))},
	}
	return append(topics, sendingTopics()...)
}
