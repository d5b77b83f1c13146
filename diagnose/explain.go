package diagnose

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/netguard"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
)

// KindInternal is the kind of a failure that is not the server's: the stored
// password cannot be decrypted, the database failed. The poller records it
// as "internal".
const KindInternal = "internal"

// Kinds of failures of signing in with the provider (OAuth) rather than
// with a password, recorded by the poller and the outbox like the
// pop3client kinds.
const (
	// KindSignInAgain: the provider no longer accepts the account's
	// sign-in (withdrawn, expired, or the password changed there).
	KindSignInAgain = "sign_in_again"
	// KindSignInUnregistered: Apartado is not (or no longer) registered
	// with the account's sign-in provider: the administrator's to fix.
	KindSignInUnregistered = "sign_in_unregistered"
	// KindSignInUnavailable: the provider's sign-in service could not be
	// asked to renew the access token; tried again at the next check.
	KindSignInUnavailable = "sign_in_unavailable"
)

// Input is what is known about the settings that failed, so that the
// diagnosis can name the server and offer settings that will work.
type Input struct {
	Host     string
	Port     int
	Security pop3client.Security
	Email    string
	// Provider is the provider the address belongs to, when known
	// (discover.LookupProvider): its steps are the fix for a rejected
	// password or a disabled POP.
	Provider *discover.Provider
	// Discovered are the settings autodiscovery proposed, offered when the
	// server name or the port is wrong.
	Discovered []discover.Candidate
	// LoginDelay is the server's LOGIN-DELAY when known (from CAPA).
	LoginDelay time.Duration
	// Interval is the account's check interval now, to suggest a longer one.
	Interval time.Duration
	// Now is the clock, for certificate dates; zero means time.Now.
	Now time.Time
	// SignedIn: the account signs in with the provider (OAuth) rather
	// than a password, so a refusal is not about a password.
	SignedIn bool
}

// Diagnosis is what went wrong, in words a person can act on, with the
// changes that would fix it.
type Diagnosis struct {
	Kind        string          // the pop3client.Kind, or KindInternal
	Step        pop3client.Step // where it happened
	Title       Message         // one short sentence
	Explanation Message         // why, and what to do
	Hints       []Message       // more sentences: what the certificate is, what the provider wants
	// Provider names the provider whose steps follow, when they apply.
	Provider      string
	ProviderSteps []Message
	ProviderURL   string
	Detail        string               // the server's own words, untranslated
	Cert          *pop3client.CertInfo // the certificate the server presented, for certificate failures
	Fixes         []Fix
	HelpAnchor    string // the section of the help page: /help#<HelpAnchor>
	Retry         bool   // Apartado tries again by itself; nothing needs changing
}

// Fix is a one-click change of the account's settings: Host, Port and
// Security are always the complete settings to use (the current ones when
// the fix does not change them).
type Fix struct {
	Label    Message
	Host     string
	Port     int
	Security pop3client.Security
	// TrustFingerprint, when set, trusts exactly the certificate with this
	// SHA-256 fingerprint (hex) whatever its issuer, name or dates.
	TrustFingerprint string
	// Interval, when set, is the check interval to use.
	Interval time.Duration
	// RetypePassword means the fix is entering the password again.
	RetypePassword bool
	// SignIn means the fix is signing in with the provider again.
	SignIn bool
	// Warning is what the user gives up by choosing this fix, shown next to it.
	Warning Message
}

// ChangesSettings reports whether applying f changes anything in a form
// with the settings in.
func (f Fix) ChangesSettings(in Input) bool {
	return f.Host != in.Host || f.Port != in.Port || f.Security != in.Security ||
		f.TrustFingerprint != "" || f.Interval != 0
}

// Explain says what err means for the user. err is normally a
// *pop3client.Error, or a *smtpclient.Error for the outgoing server (then
// Input describes the outgoing server, and Discovered holds outgoing
// candidates); anything else is an internal failure.
func Explain(err error, in Input) Diagnosis {
	var se *smtpclient.Error
	if errors.As(err, &se) {
		if in.Now.IsZero() {
			in.Now = time.Now()
		}
		return explainSMTP(se, in)
	}
	var pe *pop3client.Error
	if err == nil || !errors.As(err, &pe) {
		return explainInternal()
	}
	if in.Host == "" {
		in.Host = pe.Host
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	d := explainKind(pe, in)
	d.Kind, d.Step = string(pe.Kind), pe.Step
	if d.Detail == "" {
		d.Detail = serverWords(pe)
	}
	if d.HelpAnchor == "" {
		d.HelpAnchor = Anchor(string(pe.Kind))
	}
	d.Fixes = dedupe(d.Fixes, in)
	return d
}

// serverWords is the server's text worth showing: none from before a POP3
// greeting, where it may be another service's banner on a mistaken port.
// pop3client keeps no such text (but for the first bytes of a POP3
// greeting on a TLS port); failures recorded before it stopped may hold it.
func serverWords(e *pop3client.Error) string {
	switch {
	case e.Step == pop3client.StepGreeting, e.Kind == pop3client.KindNotPOP3,
		e.Step == pop3client.StepTLS && e.Kind == pop3client.KindTLSHandshake:
		return ""
	}
	return e.ServerText
}

// ExplainRecorded explains a failure recorded by the poller (db.Account's
// LastErrorKind, LastErrorStep and LastErrorText).
func ExplainRecorded(kind, step, text string, in Input) Diagnosis {
	if kind == KindInternal {
		return explainInternal()
	}
	if d, ok := explainSignIn(kind, text, in); ok {
		return d
	}
	return Explain(&pop3client.Error{Kind: pop3client.Kind(kind), Step: Step(step), ServerText: text, Host: in.Host}, in)
}

// Sentence is the one-line diagnosis of a failure kind in locale l, for
// places that know only the kind, like "apartado sync".
func Sentence(kind string, l *i18n.Locale) string {
	return ExplainRecorded(kind, "", "", Input{}).Title.Text(l, nil)
}

func explainInternal() Diagnosis {
	return Diagnosis{
		Kind:        KindInternal,
		Title:       msg(i18n.Key("Apartado could not check this account")),
		Explanation: msg(i18n.Key("The problem is on the computer Apartado runs on, not at your provider. Most often the saved password can no longer be read because Apartado's secret key changed: enter the password again and save. If that does not help, your administrator can find the details in Apartado's log.")),
		Fixes:       []Fix{{Label: msg(i18n.Key("Enter the password again")), RetypePassword: true}},
		HelpAnchor:  Anchor(KindInternal),
	}
}

// explainSignIn explains the failures of a sign-in with the provider,
// for the incoming and the outgoing server alike; ok is false for another
// kind.
func explainSignIn(kind, text string, in Input) (Diagnosis, bool) {
	switch kind {
	case KindSignInAgain:
		return explainSignInAgain(in), true
	case KindSignInUnregistered:
		return explainSignInUnregistered(in), true
	case KindSignInUnavailable:
		return explainSignInUnavailable(in, text), true
	}
	return Diagnosis{}, false
}

func explainSignInAgain(in Input) Diagnosis {
	name := providerName(in)
	return Diagnosis{
		Kind:        KindSignInAgain,
		Step:        pop3client.StepAuth,
		Title:       msg(i18n.Key("Sign in again")),
		Explanation: msg(i18n.Key("%s no longer accepts Apartado's sign-in for this account: it was withdrawn, it expired, or the account's password changed. Open the account and sign in with the provider again; nothing is lost meanwhile, mail waits on the server."), name),
		Fixes:       []Fix{{Label: msg(i18n.Key("Sign in again")), SignIn: true}},
		HelpAnchor:  "oauth",
	}
}

func explainSignInUnregistered(Input) Diagnosis {
	return Diagnosis{
		Kind:        KindSignInUnregistered,
		Step:        pop3client.StepAuth,
		Title:       msg(i18n.Key("Apartado is not registered with this sign-in provider")),
		Explanation: msg(i18n.Key("This account signs in through its provider's website, and Apartado's registration with that provider was removed. The household's administrator registers it again under Admin → Sign-in providers; then sign in again.")),
		HelpAnchor:  "oauth",
	}
}

func explainSignInUnavailable(in Input, text string) Diagnosis {
	name := providerName(in)
	return Diagnosis{
		Kind:        KindSignInUnavailable,
		Step:        pop3client.StepAuth,
		Title:       msg(i18n.Key("The provider's sign-in service did not answer")),
		Explanation: msg(i18n.Key("To check this account, Apartado renews its permission at %s's sign-in service, which did not answer or failed on its side. Nothing is wrong with the account; Apartado tries again at the next check. If this lasts, check that the computer Apartado runs on can reach the Internet."), name),
		Detail:      text,
		HelpAnchor:  "oauth",
	}
}

// providerName is what a diagnosis calls the provider: its name when
// known, else the server's.
func providerName(in Input) string {
	if in.Provider != nil && in.Provider.Name != "" {
		return in.Provider.Name
	}
	return displayHost(in.Host)
}

// Anchor is the help page section for a kind.
func Anchor(kind string) string {
	if kind == "" {
		return "errors"
	}
	return "error-" + kind
}

// explainKind explains a failure by its kind, through the group that knows
// it; a kind no group knows gets a general diagnosis.
func explainKind(e *pop3client.Error, in Input) Diagnosis {
	// Each group returns the zero Diagnosis for a kind that is not its own.
	for _, group := range []func(*pop3client.Error, Input) Diagnosis{explainReaching, explainEncryption, explainSession} {
		if d := group(e, in); d.Title.Key != "" {
			return d
		}
	}
	return Diagnosis{
		Title:       msg(i18n.Key("The check failed")),
		Explanation: msg(i18n.Key("Apartado could not check this account. The server's own words, if any, are below.")),
		HelpAnchor:  Anchor(""),
	}
}

// explainReaching explains (or, for another kind, returns the zero
// Diagnosis) failures to reach a POP3 server: the name, the
// network, the port and what answers on it.
func explainReaching(e *pop3client.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	switch e.Kind {
	case pop3client.KindHostNotFound:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server name does not exist")),
			Explanation: msg(i18n.Key("No computer on the Internet is called %s. Usually it is a typing mistake, or your provider uses another name for its POP3 server: check the name it gives in its help pages."), host),
		}
		d.Fixes = discovered(in, true)
		return d
	case pop3client.KindDNSTemporary:
		return Diagnosis{
			Title:       msg(i18n.Key("The server name could not be looked up")),
			Explanation: msg(i18n.Key("The name servers (DNS) did not answer for %s just now. The computer Apartado runs on may have lost its Internet connection. Apartado will try again by itself."), host),
			Retry:       true,
		}
	case pop3client.KindConnectionRefused:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server refuses connections on this port")),
			Explanation: msg(i18n.Key("%s exists, but nothing accepts connections on port %s. The port is probably not the one for POP3: it is usually 995 (SSL/TLS) or 110 (STARTTLS)."), host, strconv.Itoa(in.Port)),
		}
		d.Fixes = append(discovered(in, false), otherPorts(in)...)
		return d
	case pop3client.KindUnreachable:
		return Diagnosis{
			Title:       msg(i18n.Key("The server cannot be reached from here")),
			Explanation: msg(i18n.Key("There is no network path to %s: the computer Apartado runs on may be offline, or its network blocks the way. Apartado will try again by itself."), host),
			Retry:       true,
		}
	case pop3client.KindTimeout:
		return explainTimeout(e, in)
	case pop3client.KindNetwork:
		return Diagnosis{
			Title:       msg(i18n.Key("A network error broke the connection")),
			Explanation: msg(i18n.Key("The connection to %s failed because of a network problem. Apartado will try again by itself; if it keeps happening, check the network of the computer Apartado runs on."), host),
			Retry:       true,
		}
	case pop3client.KindAddressNotAllowed:
		return explainNotAllowed(e, in)
	case pop3client.KindClosedBeforeGreeting:
		return Diagnosis{
			Title:       msg(i18n.Key("The server hung up without a greeting")),
			Explanation: msg(i18n.Key("%s accepted the connection and closed it at once. It may be overloaded, limiting connections, or refusing connections from this computer's address (some providers block addresses they do not know). Apartado will try again by itself; if it keeps happening, ask your provider."), host),
			Retry:       true,
		}
	case pop3client.KindNotPOP3:
		d := Diagnosis{Title: msg(i18n.Key("This port is not for POP3"))}
		switch e.Service {
		case "IMAP":
			d.Explanation = msg(i18n.Key("Port %s of %s speaks IMAP, another mail protocol. Apartado speaks POP3, which is usually on port 995 (SSL/TLS) or 110 (STARTTLS)."), strconv.Itoa(in.Port), host)
		case "SMTP":
			d.Explanation = msg(i18n.Key("Port %s of %s is for sending mail (SMTP). Apartado receives mail over POP3, which is usually on port 995 (SSL/TLS) or 110 (STARTTLS)."), strconv.Itoa(in.Port), host)
		case "":
			d.Explanation = msg(i18n.Key("Port %s of %s speaks another protocol. POP3 is usually on port 995 (SSL/TLS) or 110 (STARTTLS)."), strconv.Itoa(in.Port), host)
		default:
			d.Explanation = msg(i18n.Key("Port %s of %s speaks %s, not POP3. POP3 is usually on port 995 (SSL/TLS) or 110 (STARTTLS)."), strconv.Itoa(in.Port), host, e.Service)
		}
		d.Fixes = append(discovered(in, false), standardPorts(in)...)
		return d
	case pop3client.KindTLSOnPlainPort:
		d := Diagnosis{
			Title:       msg(i18n.Key("This port does not use SSL/TLS from the start")),
			Explanation: msg(i18n.Key("You chose SSL/TLS, but the server greeted in plain text on port %s: this port expects STARTTLS, which switches to encryption after the greeting. Choose STARTTLS on this port, or SSL/TLS on port 995."), strconv.Itoa(in.Port)),
		}
		d.Fixes = []Fix{securityFix(in, pop3client.SecuritySTARTTLS, in.Port)}
		if in.Port != 995 {
			d.Fixes = append(d.Fixes, securityFix(in, pop3client.SecurityTLS, 995))
		}
		return d
	case pop3client.KindPlainOnTLSPort:
		return Diagnosis{
			Title:       msg(i18n.Key("This port expects SSL/TLS")),
			Explanation: msg(i18n.Key("The server on port %s waits for an encrypted connection from the very first byte, but you chose %s. Choose SSL/TLS."), strconv.Itoa(in.Port), securityName(in.Security)),
			Fixes:       []Fix{securityFix(in, pop3client.SecurityTLS, in.Port)},
		}
	}
	return Diagnosis{}
}

// explainEncryption explains certificate and TLS failures.
func explainEncryption(e *pop3client.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	switch e.Kind {
	case pop3client.KindUnknownAuthority:
		return explainUnknownAuthority(e, in)
	case pop3client.KindCertificateName:
		return explainCertificateName(e, in)
	case pop3client.KindCertificateExpired:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server's certificate has expired")),
			Explanation: msg(i18n.Key("Your provider forgot to renew its certificate. Until it does, Apartado cannot check that it is really talking to %s: anyone on the way could pose as the server. Tell your provider; usually it is fixed within hours."), host),
			Cert:        e.Cert,
		}
		if e.Cert != nil && !e.Cert.NotAfter.IsZero() {
			d.Title = msg(i18n.Key("The server's certificate expired on %s"), e.Cert.NotAfter)
		}
		if fp := fingerprint(e); fp != "" {
			d.Fixes = []Fix{trustFix(in, fp, msg(i18n.Key("Trust this expired certificate anyway")),
				msg(i18n.Key("Strongly discouraged: an expired certificate no longer proves who is at the other end. Do it only if you must read your mail now, on a network you trust, and undo it once your provider renews the certificate.")))}
		}
		return d
	case pop3client.KindCertificateInvalid:
		if e.Cert != nil && !e.Cert.NotBefore.IsZero() && in.Now.Before(e.Cert.NotBefore) {
			return Diagnosis{
				Title:       msg(i18n.Key("The server's certificate is not valid yet")),
				Explanation: msg(i18n.Key("It is valid from %s, but the clock of the computer Apartado runs on says %s. Check that computer's date, time and time zone: a wrong clock makes every certificate look invalid. If the clock is right, the problem is at your provider."), e.Cert.NotBefore, in.Now),
				Cert:        e.Cert,
				HelpAnchor:  "error-certificate-not-yet-valid",
			}
		}
		return Diagnosis{
			Title:       msg(i18n.Key("The server's certificate cannot be used")),
			Explanation: msg(i18n.Key("The certificate %s presented is not valid for a mail server, so the connection cannot be trusted. Tell your provider."), host),
			Cert:        e.Cert,
		}
	case pop3client.KindTLSVersion:
		return Diagnosis{
			Title:       msg(i18n.Key("The server uses an outdated, insecure encryption")),
			Explanation: msg(i18n.Key("%s only offers TLS 1.0 or 1.1, versions with known weaknesses that are no longer allowed. There is no safe way around it: ask your provider to update its server, or move your mail to a provider that keeps its servers up to date."), host),
		}
	case pop3client.KindTLSHandshake:
		d := Diagnosis{
			Title:       msg(i18n.Key("The secure connection could not be set up")),
			Explanation: msg(i18n.Key("Apartado and %s could not agree on how to encrypt the connection. Check the port and the security setting your provider gives."), host),
		}
		d.Fixes = standardPorts(in)
		return d
	case pop3client.KindSTLSNotOffered:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server does not offer STARTTLS")),
			Explanation: msg(i18n.Key("You chose STARTTLS, but the server on port %s cannot switch to an encrypted connection. Most providers offer SSL/TLS on port 995 instead. Connecting without encryption would send your password readable by anyone on the way."), strconv.Itoa(in.Port)),
		}
		d.Fixes = []Fix{securityFix(in, pop3client.SecurityTLS, 995), securityFix(in, pop3client.SecurityNone, in.Port)}
		return d
	}
	return Diagnosis{}
}

// explainSession explains failures after the greeting: signing in, the
// server's limits and errors, and the session breaking.
func explainSession(e *pop3client.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	switch e.Kind {
	case pop3client.KindAuthFailed:
		return explainAuth(in)
	case pop3client.KindOAuthRequired:
		return explainOAuth(in)
	case pop3client.KindEncryptionRequired:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server refuses passwords without encryption")),
			Explanation: msg(i18n.Key("Good: %s does not let your password cross the network unprotected. Choose SSL/TLS (usually port 995) or STARTTLS."), host),
		}
		d.Fixes = []Fix{securityFix(in, pop3client.SecuritySTARTTLS, in.Port), securityFix(in, pop3client.SecurityTLS, 995)}
		return d
	case pop3client.KindPOPDisabled:
		d := Diagnosis{
			Title:       msg(i18n.Key("POP access is turned off for this account")),
			Explanation: msg(i18n.Key("The server accepted the password but does not allow POP for this mailbox. Turn on POP (sometimes called “POP download” or “access from other mail programs”) in your account's settings on your provider's website, then test again.")),
		}
		addProvider(&d, in.Provider)
		return d
	case pop3client.KindTempFailure:
		return Diagnosis{
			Title:       msg(i18n.Key("The server has a temporary problem")),
			Explanation: msg(i18n.Key("%s asked to try again later. Nothing needs changing: Apartado will try again by itself."), host),
			Retry:       true,
		}
	case pop3client.KindInUse:
		d := Diagnosis{
			Title:       msg(i18n.Key("Another program is using the mailbox")),
			Explanation: msg(i18n.Key("Another mail program — perhaps on your phone or another computer — is downloading from this mailbox right now, and POP3 lets only one program in at a time. Close it or wait a few minutes; Apartado will try again by itself. If it keeps happening, check less often, or stop the other program from checking this mailbox.")),
			Retry:       true,
		}
		next := longerInterval(in.Interval)
		d.Fixes = []Fix{{Label: msg(i18n.Key("Check every %d minutes"), int(next/time.Minute)), Host: in.Host, Port: in.Port, Security: in.Security, Interval: next}}
		return d
	case pop3client.KindLoginDelay:
		return explainLoginDelay(e, in)
	case pop3client.KindTransferInterrupted:
		return Diagnosis{
			Title:       msg(i18n.Key("The connection broke during the download")),
			Explanation: msg(i18n.Key("Nothing was lost: a message is deleted from the server only after it is safely stored here. Apartado will try again by itself.")),
			Retry:       true,
		}
	case pop3client.KindMessageTooLarge:
		return Diagnosis{
			Title:       msg(i18n.Key("A message is too large to download")),
			Explanation: msg(i18n.Key("A message on the server is larger than this Apartado accepts. It stays on the server: read it with your provider's webmail, or ask your administrator to raise the limit.")),
		}
	case pop3client.KindProtocol:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server broke the rules of POP3")),
			Explanation: msg(i18n.Key("%s answered in a way that does not follow the POP3 standard, so Apartado cannot go on. If it keeps happening, tell your provider; the server's own words are below."), host),
		}
		if e.Step == pop3client.StepGreeting {
			d.Explanation = msg(i18n.Key("Port %s of %s did not greet like a POP3 server: it may belong to another service. POP3 is usually on port 995 (SSL/TLS) or 110 (STARTTLS)."), strconv.Itoa(in.Port), host)
			d.Fixes = standardPorts(in)
		}
		return d
	case pop3client.KindServerError:
		return Diagnosis{
			Title:       msg(i18n.Key("The server reported an error")),
			Explanation: msg(i18n.Key("%s refused a command without a reason Apartado recognizes. Its own words are below; if it keeps happening, show them to your provider."), host),
		}
	case pop3client.KindUpdateFailed:
		return Diagnosis{
			Title:       msg(i18n.Key("The server could not delete the downloaded messages")),
			Explanation: msg(i18n.Key("The messages are safely stored here and still on the server. Apartado will try again by itself.")),
			Retry:       true,
		}
	case pop3client.KindUnsupported:
		return Diagnosis{
			Title:       msg(i18n.Key("The server lacks a feature Apartado needs")),
			Explanation: msg(i18n.Key("%s does not offer a way of signing in or reading mail that Apartado can use. Its own words, if any, are below."), host),
		}
	case pop3client.KindCanceled:
		return Diagnosis{
			Title:       msg(i18n.Key("The check was interrupted")),
			Explanation: msg(i18n.Key("It was stopped before it finished, for example because Apartado was restarting. It will run again by itself.")),
			Retry:       true,
		}
	case pop3client.KindClosed:
		return Diagnosis{
			Title:       msg(i18n.Key("The connection closed early")),
			Explanation: msg(i18n.Key("The session with %s ended before Apartado had finished. Apartado will try again by itself."), host),
			Retry:       true,
		}
	case pop3client.KindInvalidInput:
		return Diagnosis{
			Title:       msg(i18n.Key("These settings cannot be used")),
			Explanation: msg(i18n.Key("Check the server name (without a port or “pop3://”), the port and the user name.")),
		}
	}
	return Diagnosis{}
}

// explainNotAllowed: the user may not connect where the server name leads
// (internal/netguard refused the address).
func explainNotAllowed(e *pop3client.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	d := Diagnosis{Title: msg(i18n.Key("Apartado may not connect to this server for you"))}
	var refused *netguard.Error
	switch {
	case errors.As(e, &refused) && refused.Class == netguard.Local:
		d.Explanation = msg(i18n.Key("%s leads to the computer Apartado runs on (%s), where accounts of users who are not administrators may not connect. Check the server name your provider gives; if this really is where your mail is, ask your administrator."), host, refused.Addr.String())
	case errors.As(e, &refused):
		d.Explanation = msg(i18n.Key("%s leads to the local network of the computer Apartado runs on (%s), where accounts of users who are not administrators may not connect. Check the server name your provider gives; if this really is your mail server, ask your administrator to allow it."), host, refused.Addr.String())
	default:
		d.Explanation = msg(i18n.Key("%s leads to the computer Apartado runs on or to its local network, where accounts of users who are not administrators may not connect. Check the server name your provider gives; if this really is your mail server, ask your administrator."), host)
	}
	return d
}

func explainTimeout(e *pop3client.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	switch e.Step {
	case pop3client.StepConnect, pop3client.StepResolve:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server does not answer")),
			Explanation: msg(i18n.Key("Nobody answered at %s on port %s. A firewall may be silently dropping the connection — on the network of the computer Apartado runs on, or at the provider — or the port may be wrong."), host, strconv.Itoa(in.Port)),
		}
		d.Fixes = append(discovered(in, false), otherPorts(in)...)
		return d
	case pop3client.StepTLS:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server does not answer")),
			Explanation: msg(i18n.Key("Something accepted the connection on port %s of %s but never answered the request for encryption. The port may belong to another service, or a firewall or proxy is in the way."), strconv.Itoa(in.Port), host),
		}
		d.Fixes = append(discovered(in, false), otherPorts(in)...)
		return d
	case pop3client.StepGreeting:
		d := Diagnosis{
			Title:       msg(i18n.Key("The server does not greet")),
			Explanation: msg(i18n.Key("Something accepted the connection on port %s of %s but never said a word, as a POP3 server would. The port may belong to another service, or a firewall or proxy is in the way."), strconv.Itoa(in.Port), host),
			HelpAnchor:  "error-timeout",
		}
		d.Fixes = append(discovered(in, false), otherPorts(in)...)
		return d
	}
	return Diagnosis{
		Title:       msg(i18n.Key("The server stopped answering")),
		Explanation: msg(i18n.Key("%s stopped responding in the middle of the session. The network may be unreliable or the server overloaded. Apartado will try again by itself."), host),
		Retry:       true,
	}
}

func explainUnknownAuthority(e *pop3client.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	d := Diagnosis{Cert: e.Cert}
	issuer := ""
	if e.Cert != nil {
		issuer = issuerName(e.Cert)
	}
	warning := msg(i18n.Key("Only if you are sure: Apartado will accept exactly this certificate for this server, and fail again if it ever changes. If someone is intercepting the connection, trusting their certificate lets them read your password and your mail."))
	switch {
	case e.Cert != nil && Interceptor(e.Cert) != "":
		d.Title = msg(i18n.Key("An antivirus or network filter is intercepting the connection"))
		d.Explanation = msg(i18n.Key("The certificate was issued by “%s”, which looks like an antivirus program or a network filter that decrypts secure connections to inspect them. Apartado cannot tell such a program from an attacker. The best fix is to turn off its mail or SSL scanning for the computer Apartado runs on, or to make that computer trust the filter's certificate."), issuer)
		warning = msg(i18n.Key("Only if this is your own antivirus or your organization's filter: Apartado will accept exactly this certificate, so the filter keeps reading your mail, and Apartado fails again if the certificate changes."))
	case e.Cert != nil && e.Cert.SelfSigned:
		d.Title = msg(i18n.Key("The server's certificate is self-signed"))
		d.Explanation = msg(i18n.Key("%s signed its own certificate, so no known authority vouches that it is really the server. Small and company servers sometimes do this. If you know the server is the right one, you can trust exactly this certificate: compare its fingerprint with the one your provider or administrator gives."), host)
	case issuer != "":
		d.Title = msg(i18n.Key("The server's certificate is from an unknown authority"))
		d.Explanation = msg(i18n.Key("The certificate of %s was issued by “%s”, which this computer does not trust. Either your provider uses a private authority, or someone is intercepting the connection. Ask your provider which is true before trusting it."), host, issuer)
	default:
		d.Title = msg(i18n.Key("The server's certificate is from an unknown authority"))
		d.Explanation = msg(i18n.Key("No authority this computer trusts vouches for the certificate of %s. Either your provider uses a private authority, or someone is intercepting the connection. Ask your provider which is true before trusting it."), host)
	}
	if fp := fingerprint(e); fp != "" {
		d.Fixes = []Fix{trustFix(in, fp, msg(i18n.Key("Trust this certificate")), warning)}
	}
	return d
}

func explainCertificateName(e *pop3client.Error, in Input) Diagnosis {
	host := displayHost(in.Host)
	d := Diagnosis{Cert: e.Cert, Title: msg(i18n.Key("The certificate is for another name"))}
	var names []string
	if e.Cert != nil {
		names = append(names, e.Cert.DNSNames...)
		names = append(names, e.Cert.IPAddresses...)
	}
	if len(names) == 0 {
		d.Explanation = msg(i18n.Key("The certificate of %s does not name %s, so Apartado cannot be sure it is talking to the right server. Check the server name your provider gives."), host, host)
	} else {
		d.Explanation = msg(i18n.Key("You connected to %s, but the server's certificate is for %s. Your provider probably gives its POP3 server another name: connect with the name on the certificate."), host, strings.Join(names, ", "))
	}
	for _, name := range certHostFixes(e.Cert, in.Host) {
		d.Fixes = append(d.Fixes, serverFix(in, name, in.Port, in.Security))
	}
	if len(d.Fixes) == 0 {
		if fp := fingerprint(e); fp != "" {
			d.Fixes = []Fix{trustFix(in, fp, msg(i18n.Key("Trust this certificate")),
				msg(i18n.Key("Only if you are sure: Apartado will accept exactly this certificate for this server, and fail again if it ever changes. If someone is intercepting the connection, trusting their certificate lets them read your password and your mail.")))}
		}
	}
	return d
}

// certHostFixes proposes host names to connect to from a certificate made
// for other names: its names that are not wildcards, and for a wildcard
// "*.example.net" the user's first label under it ("pop.example.net" for
// "pop.example.org").
func certHostFixes(cert *pop3client.CertInfo, current string) []string {
	if cert == nil {
		return nil
	}
	current = strings.ToLower(strings.TrimSuffix(current, "."))
	first := ""
	if _, err := netip.ParseAddr(current); err != nil {
		if i := strings.IndexByte(current, '.'); i > 0 {
			first = current[:i]
		}
	}
	var out []string
	seen := map[string]bool{current: true}
	add := func(name string) {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		if name == "" || seen[name] || len(out) >= 3 {
			return
		}
		seen[name] = true
		out = append(out, name)
	}
	for _, n := range cert.DNSNames {
		if !strings.Contains(n, "*") {
			add(n)
		}
	}
	for _, n := range cert.DNSNames {
		if base, ok := strings.CutPrefix(n, "*."); ok && first != "" && strings.Contains(base, ".") && !strings.Contains(base, "*") {
			add(first + "." + base)
		}
	}
	return out
}

func explainAuth(in Input) Diagnosis {
	if in.SignedIn {
		return explainSignedInAuth(in)
	}
	d := Diagnosis{Title: msg(i18n.Key("The server rejected the user name or password"))}
	p := in.Provider
	switch {
	case p != nil && p.OAuthOnly:
		return explainOAuth(in)
	case p != nil && p.AppPassword:
		d.Explanation = msg(i18n.Key("%s does not accept your usual password from mail programs: it wants an app password, a separate password made for one program. Create one in your account's security settings at %s, and enter it here instead. Also check that POP is turned on there."), p.Name, p.Name)
	case p != nil:
		d.Explanation = msg(i18n.Key("Check the user name and the password: type it again, minding capital letters. If it is right, POP may have to be turned on in your account's settings at %s first."), p.Name)
	default:
		d.Explanation = msg(i18n.Key("Check the user name (often your full e-mail address) and the password: type it again, minding capital letters. Some providers also need POP turned on, or an app password — a separate password made for one mail program — before a mail program can sign in."))
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

func explainOAuth(in Input) Diagnosis {
	p := in.Provider
	name := displayHost(in.Host)
	if p != nil && p.Name != "" {
		name = p.Name
	}
	// The sign-in button names the issuer: Outlook.com's says Microsoft.
	issuer := name
	if p != nil {
		if is, ok := discover.LookupIssuer(p.OAuth); ok && is.Name != "" {
			issuer = is.Name
		}
	}
	d := Diagnosis{
		Title:      msg(i18n.Key("Your provider only allows signing in through its website")),
		HelpAnchor: Anchor(string(pop3client.KindOAuthRequired)),
	}
	switch {
	case p != nil && p.AppPassword && !p.OAuthOnly:
		d.Explanation = msg(i18n.Key("%s wants mail programs to sign in through its website (OAuth). Use “Sign in with %s” on the account form; if that button is missing, the household's administrator must first register Apartado with %s (Help → Signing in with Microsoft, Google, Yahoo or AOL). It also offers app passwords: create one in your account's security settings and enter it here instead of your usual password."), name, issuer, issuer)
		d.Fixes = []Fix{signInFix(), {Label: msg(i18n.Key("Enter the password again")), Host: in.Host, Port: in.Port, Security: in.Security, RetypePassword: true}}
	case p != nil && p.OAuthOnly:
		d.Explanation = msg(i18n.Key("%s lets mail programs sign in only through its website (OAuth), not with a password. Use “Sign in with %s” on the account form; if that button is missing, the household's administrator must first register Apartado with %s (Help → Signing in with Microsoft, Google, Yahoo or AOL)."), name, issuer, issuer)
		d.Fixes = []Fix{signInFix()}
	default:
		d.Explanation = msg(i18n.Key("%s wants mail programs to sign in through its website (OAuth). If the account form shows “Sign in with …”, use it; if not, the household's administrator can register Apartado with the provider (Help → Signing in with Microsoft, Google, Yahoo or AOL). Your account's security settings may also offer “app passwords”: one works here instead of your usual password."), name)
		d.Fixes = []Fix{signInFix()}
	}
	addProvider(&d, p)
	return d
}

// signInFix is signing in with the provider, on the account form.
func signInFix() Fix {
	return Fix{Label: msg(i18n.Key("Sign in with the provider")), SignIn: true}
}

// explainSignedInAuth: the mail server refused a sign-in the provider
// gave (the poller renews the token once before giving up), so no
// password is at fault: most often POP is off for the mailbox.
func explainSignedInAuth(in Input) Diagnosis {
	name := providerName(in)
	return Diagnosis{
		Title:       msg(i18n.Key("The server refused the sign-in")),
		Explanation: msg(i18n.Key("%s gave Apartado a sign-in, but its mail server refused it. Most often POP is turned off for the mailbox: at Outlook.com, turn it on under Settings → Mail → Forwarding and IMAP → POP; with Microsoft 365, the organization's administrator must enable POP for the mailbox. If POP is on, sign in again."), name),
		Fixes:       []Fix{{Label: msg(i18n.Key("Sign in again")), SignIn: true}},
		HelpAnchor:  "oauth",
	}
}

var delayText = regexp.MustCompile(`(?i)(\d+)\s*(seconds?|secs?|s\b|minutes?|mins?|m\b)`)

func explainLoginDelay(e *pop3client.Error, in Input) Diagnosis {
	delay := in.LoginDelay
	if delay <= 0 {
		if m := delayText.FindStringSubmatch(e.ServerText); m != nil {
			n, _ := strconv.Atoi(m[1])
			if strings.HasPrefix(strings.ToLower(m[2]), "m") {
				delay = time.Duration(n) * time.Minute
			} else {
				delay = time.Duration(n) * time.Second
			}
		}
	}
	d := Diagnosis{Retry: true}
	if delay > 0 {
		minutes := int((delay + time.Minute - 1) / time.Minute)
		d.Title = msg(i18n.Key("The server allows a login only every %d minutes"), minutes)
		d.Explanation = msg(i18n.Key("Checking more often than the server allows is refused. Apartado will wait by itself; check at most every %d minutes so that checks are not refused."), minutes)
		iv := time.Duration(minutes) * time.Minute
		d.Fixes = []Fix{{Label: msg(i18n.Key("Check every %d minutes"), minutes), Host: in.Host, Port: in.Port, Security: in.Security, Interval: iv}}
		return d
	}
	d.Title = msg(i18n.Key("The server does not allow logging in this often"))
	d.Explanation = msg(i18n.Key("The server requires a pause between logins and refused this one. Apartado will wait by itself; checking less often avoids it."))
	next := longerInterval(in.Interval)
	d.Fixes = []Fix{{Label: msg(i18n.Key("Check every %d minutes"), int(next/time.Minute)), Host: in.Host, Port: in.Port, Security: in.Security, Interval: next}}
	return d
}

// addProvider adds what the provider asks users to do first.
func addProvider(d *Diagnosis, p *discover.Provider) {
	if p == nil {
		return
	}
	d.Provider, d.ProviderURL = p.Name, p.HelpURL
	for _, s := range p.Steps {
		d.ProviderSteps = append(d.ProviderSteps, Message{Key: s})
	}
}

// Intervals are the check intervals Apartado offers, shortest first.
var Intervals = []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, 60 * time.Minute}

// longerInterval is the next offered interval after d (at least 15 minutes).
func longerInterval(d time.Duration) time.Duration {
	for _, iv := range Intervals {
		if iv > d && iv >= 15*time.Minute {
			return iv
		}
	}
	return Intervals[len(Intervals)-1]
}

// ---- fixes ----

func securityName(s pop3client.Security) Message {
	switch s {
	case pop3client.SecurityTLS:
		return msg(i18n.Key("SSL/TLS from the start"))
	case pop3client.SecuritySTARTTLS:
		return msg(i18n.Key("STARTTLS after the greeting"))
	}
	return msg(i18n.Key("no encryption"))
}

var noEncryptionWarning = i18n.Key("Not encrypted: your password and your mail would cross the network readable by anyone on the way. Choose it only if the provider offers nothing else.")

// securityFix connects to the same host with another security and port.
func securityFix(in Input, sec pop3client.Security, port int) Fix {
	f := Fix{Host: in.Host, Port: port, Security: sec}
	switch sec {
	case pop3client.SecurityTLS:
		f.Label = msg(i18n.Key("Use SSL/TLS on port %s"), strconv.Itoa(port))
	case pop3client.SecuritySTARTTLS:
		f.Label = msg(i18n.Key("Use STARTTLS on port %s"), strconv.Itoa(port))
	default:
		f.Label = msg(i18n.Key("Connect without encryption on port %s"), strconv.Itoa(port))
		f.Warning = msg(noEncryptionWarning)
	}
	return f
}

// serverFix connects to another host.
func serverFix(in Input, host string, port int, sec pop3client.Security) Fix {
	if strings.EqualFold(host, in.Host) {
		return securityFix(in, sec, port)
	}
	f := Fix{Host: host, Port: port, Security: sec}
	switch sec {
	case pop3client.SecurityTLS:
		f.Label = msg(i18n.Key("Use %s with SSL/TLS on port %s"), host, strconv.Itoa(port))
	case pop3client.SecuritySTARTTLS:
		f.Label = msg(i18n.Key("Use %s with STARTTLS on port %s"), host, strconv.Itoa(port))
	default:
		f.Label = msg(i18n.Key("Use %s without encryption on port %s"), host, strconv.Itoa(port))
		f.Warning = msg(noEncryptionWarning)
	}
	return f
}

func trustFix(in Input, fp string, label, warning Message) Fix {
	return Fix{Label: label, Host: in.Host, Port: in.Port, Security: in.Security, TrustFingerprint: fp, Warning: warning}
}

func fingerprint(e *pop3client.Error) string {
	if e.Cert == nil {
		return ""
	}
	return e.Cert.SHA256
}

// otherPorts proposes the other standard port: STARTTLS on 110 after a
// failure on 995, SSL/TLS on 995 after one on 110, both otherwise.
func otherPorts(in Input) []Fix {
	switch in.Port {
	case 995:
		return []Fix{securityFix(in, pop3client.SecuritySTARTTLS, 110)}
	case 110:
		return []Fix{securityFix(in, pop3client.SecurityTLS, 995)}
	}
	return standardPorts(in)
}

// standardPorts proposes SSL/TLS on 995 and STARTTLS on 110.
func standardPorts(in Input) []Fix {
	return []Fix{securityFix(in, pop3client.SecurityTLS, 995), securityFix(in, pop3client.SecuritySTARTTLS, 110)}
}

// discovered proposes the settings autodiscovery found, verified ones
// first; otherHostOnly keeps only those on another host.
func discovered(in Input, otherHostOnly bool) []Fix {
	cands := in.Discovered
	if in.Provider != nil {
		cands = append(slices.Clone(cands), in.Provider.POP...)
	}
	return discoveredFrom(in, cands, otherHostOnly)
}

// discoveredFrom proposes cands, verified ones first; otherHostOnly keeps
// only those on another host.
func discoveredFrom(in Input, cands []discover.Candidate, otherHostOnly bool) []Fix {
	var verified, rest []Fix
	for _, c := range cands {
		if c.Host == "" || c.Port <= 0 || (otherHostOnly && strings.EqualFold(c.Host, in.Host)) {
			continue
		}
		f := serverFix(in, c.Host, c.Port, c.Security)
		if c.Verified {
			verified = append(verified, f)
		} else {
			rest = append(rest, f)
		}
	}
	return append(verified, rest...)
}

// dedupe drops fixes that change nothing and repeated ones, keeping at most
// four.
func dedupe(fixes []Fix, in Input) []Fix {
	var out []Fix
	seen := map[string]bool{}
	for _, f := range fixes {
		key := fmt.Sprintf("%s|%d|%d|%s|%d|%t", strings.ToLower(f.Host), f.Port, f.Security, f.TrustFingerprint, f.Interval, f.RetypePassword)
		if seen[key] || (!f.RetypePassword && !f.ChangesSettings(in)) {
			continue
		}
		seen[key] = true
		out = append(out, f)
		if len(out) == 4 {
			break
		}
	}
	return out
}

func displayHost(h string) string {
	if h == "" {
		return "?"
	}
	return h
}
