package diagnose

import (
	"slices"
	"strconv"
	"strings"

	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// explainSMTPSession explains what the outgoing server says about a
// message: the sender, the recipients, the size, the content, and the
// failures that are retried or that may have sent it.
func explainSMTPSession(e *smtpclient.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	switch e.Kind {
	case smtpclient.KindSenderRefused:
		d := Diagnosis{Title: msg(i18n.Key("The outgoing server refuses the sender address"))}
		if in.Email != "" {
			d.Explanation = msg(i18n.Key("%s does not let this account send as %s. The From address must be the account's own address, or another address your provider lets you send from (an alias, or one added as “send mail as” in its settings)."), host, in.Email)
		} else {
			d.Explanation = msg(i18n.Key("%s does not let this account send from this address. The From address must be the account's own address, or another address your provider lets you send from (an alias, or one added as “send mail as” in its settings)."), host)
		}
		return d
	case smtpclient.KindRelayDenied:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server refuses to pass the message on")),
			Explanation: msg(i18n.Key("%s takes mail for other domains only from people who signed in (relay access denied). Usually Apartado did not sign in, or this is not your provider's outgoing server: enter the user name and password for the outgoing server, and check its name and port."), host),
			Fixes:       []Fix{{Label: msg(i18n.Key("Enter the password again")), Host: in.Host, Port: in.Port, Security: in.Security, RetypePassword: true}},
		}
	case smtpclient.KindRecipientUnknown, smtpclient.KindRecipientRefused:
		return explainRecipients(e, in)
	case smtpclient.KindMessageTooLarge:
		d := Diagnosis{Title: msg(i18n.Key("The message is too large for the outgoing server"))}
		if e.Limit > 0 {
			d.Explanation = msg(i18n.Key("%s accepts messages of at most %s (its SIZE limit), attachments included, and they grow by about a third when sent. Remove or shrink attachments, or share large files as a link."), host, Bytes(e.Limit))
		} else {
			d.Explanation = msg(i18n.Key("%s refused the message as too large. Attachments grow by about a third when sent: remove or shrink them, or share large files as a link."), host)
		}
		return d
	case smtpclient.KindMessageRejected:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server refused the message")),
			Explanation: msg(i18n.Key("%s received the message and refused it, often because its filter took it for spam or found a virus in an attachment. Its own words are below: change what it objects to, or show them to your provider."), host),
		}
	case smtpclient.KindSMTPUTF8:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server cannot send to addresses with accents")),
			Explanation: msg(i18n.Key("An address has letters beyond plain ASCII (like ñ or an accent before the @), and %s does not support such addresses (SMTPUTF8). Use an address in plain letters, if the person has one."), host),
		}
	case smtpclient.KindTempFailure:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server asks to try again later")),
			Explanation: msg(i18n.Key("%s refused for now, not for good: servers do this when they are busy, and some refuse the first try from an unknown sender on purpose (greylisting). Nothing needs changing: the message is retried by itself, with growing pauses, and reported only if it still fails after a day."), host),
			Retry:       true,
		}
	case smtpclient.KindInterrupted:
		return Diagnosis{
			Title:       msg(i18n.Key("The connection broke while the message was being sent")),
			Explanation: msg(i18n.Key("The message did not reach %s whole, so it was not sent. Nothing needs changing: it is retried by itself."), host),
			Retry:       true,
		}
	case smtpclient.KindMaybeSent:
		return Diagnosis{
			Title:       msg(i18n.Key("The message may have been sent")),
			Explanation: msg(i18n.Key("The connection to %s broke after the message was handed over and before the server confirmed it: it may have been sent. Check the recipient's copy, or your Sent folder on your provider's website, before sending it again. Apartado does not send it again by itself, so that nobody gets it twice."), host),
		}
	}
	return explainSMTPServer(e, in)
}

// explainSMTPServer explains the server's other answers.
func explainSMTPServer(e *smtpclient.Error, in Input) Diagnosis {
	host, port := displayHost(in.Host), strconv.Itoa(in.Port)
	switch e.Kind {
	case smtpclient.KindProtocol:
		d := Diagnosis{
			Title:       msg(i18n.Key("The outgoing server broke the rules of SMTP")),
			Explanation: msg(i18n.Key("%s answered in a way the SMTP standard does not allow, so Apartado cannot go on. If it keeps happening, show the server's words below to your provider."), host),
		}
		if e.Step == smtpclient.StepGreeting {
			d.Explanation = msg(i18n.Key("Port %s of %s did not greet like a mail server: it may belong to another service. Sending uses port 465 (SSL/TLS) or 587 (STARTTLS)."), port, host)
			d.Fixes = smtpStandardPorts(in)
		}
		return d
	case smtpclient.KindServerError:
		return Diagnosis{
			Title:       msg(i18n.Key("The outgoing server reported an error")),
			Explanation: msg(i18n.Key("%s refused a command without a reason Apartado recognizes. Its own words are below; if it keeps happening, show them to your provider."), host),
		}
	case smtpclient.KindInvalidInput:
		return Diagnosis{
			Title:       msg(i18n.Key("These outgoing settings cannot be used")),
			Explanation: msg(i18n.Key("Check the server name (without a port or “smtp://”), the port, the user name, and the addresses of the message.")),
		}
	}
	return Diagnosis{}
}

// explainRecipients: a recipient was refused; nothing was sent to anyone.
func explainRecipients(e *smtpclient.Error, in Input) Diagnosis {
	var addrs []string
	for _, r := range e.Refused {
		addrs = append(addrs, r.Address)
	}
	who := strings.Join(addrs, ", ")
	if e.Kind == smtpclient.KindRecipientUnknown {
		d := Diagnosis{Title: msg(i18n.Key("A recipient's address does not exist")), HelpAnchor: SMTPAnchor("recipient")}
		if who != "" {
			d.Explanation = msg(i18n.Key("The receiving server says there is no mailbox at %s. Check the address for typing mistakes. The message was sent to nobody."), who)
		} else {
			d.Explanation = msg(i18n.Key("The receiving server says a recipient's mailbox does not exist. Check the addresses for typing mistakes. The message was sent to nobody."))
		}
		return d
	}
	d := Diagnosis{Title: msg(i18n.Key("The outgoing server refused a recipient")), HelpAnchor: SMTPAnchor("recipient")}
	if who != "" {
		d.Explanation = msg(i18n.Key("%s would not send to %s; its own words are below. The message was sent to nobody."), displayHost(in.Host), who)
	} else {
		d.Explanation = msg(i18n.Key("%s would not send to a recipient; its own words are below. The message was sent to nobody."), displayHost(in.Host))
	}
	return d
}

// ---- fixes on the submission ports ----

// smtpOtherPorts proposes the other submission port: STARTTLS on 587
// after a failure on 465, SSL/TLS on 465 after one on 587, both otherwise
// (after port 25 above all).
func smtpOtherPorts(in Input) []Fix {
	switch in.Port {
	case 465:
		return []Fix{securityFix(in, pop3client.SecuritySTARTTLS, 587)}
	case 587:
		return []Fix{securityFix(in, pop3client.SecurityTLS, 465)}
	}
	return smtpStandardPorts(in)
}

// smtpStandardPorts proposes SSL/TLS on 465 and STARTTLS on 587.
func smtpStandardPorts(in Input) []Fix {
	return []Fix{securityFix(in, pop3client.SecurityTLS, 465), securityFix(in, pop3client.SecuritySTARTTLS, 587)}
}

// smtpDiscovered proposes the outgoing servers autodiscovery found
// (in.Discovered, for an outgoing server) and the provider's, verified
// ones first; otherHostOnly keeps only those on another host.
func smtpDiscovered(in Input, otherHostOnly bool) []Fix {
	cands := slices.Clone(in.Discovered)
	if in.Provider != nil {
		cands = append(cands, in.Provider.SMTP...)
	}
	return discoveredFrom(in, cands, otherHostOnly)
}
