package app

import (
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
)

// Input fields of the outgoing server's rules, as Problem.Field names them.
const (
	FieldSMTPHost     = "smtp_host"
	FieldSMTPPort     = "smtp_port"
	FieldSMTPSecurity = "smtp_security"
	FieldSMTPAuth     = "smtp_auth"
	FieldSMTPUsername = "smtp_username"
	FieldSMTPPassword = "smtp_password"
)

// The usual ports of mail submission: implicit TLS (RFC 8314) and
// STARTTLS (RFC 6409). Port 25 is for servers relaying to each other, and
// most providers of home connections block it.
const (
	SubmissionsPort = 465
	SubmissionPort  = 587
	RelayPort       = 25
)

// OutgoingInput is what a person gives for an account's outgoing server.
// An empty Host leaves the account receiving only; Port 0 is the
// security's usual port; an empty Username is the incoming one; an empty
// Password is the incoming password (for the same provider only) or, when
// editing, the outgoing server's stored one while that server is unchanged.
type OutgoingInput struct {
	Host     string
	Port     int
	Security string // "tls", "starttls" or "none"
	Auth     string // "password" (the default when "") or "none"
	Username string
	Password string
}

// SMTPDefaultPort is the usual submission port of a security mode.
func SMTPDefaultPort(sec pop3client.Security) int {
	if sec == pop3client.SecurityTLS {
		return SubmissionsPort
	}
	return SubmissionPort
}

// SameProvider reports whether two server names belong to one provider:
// the same registrable domain (pop.gmail.com and smtp.gmail.com), or the
// same address when either is an IP address. A password typed for one is
// sent to the other without being typed again only then.
func SameProvider(a, b string) bool {
	a, b = canonicalHost(a), canonicalHost(b)
	if a == "" || b == "" {
		return false
	}
	if discover.OneProvider(a, b) {
		return true
	}
	if _, err := netip.ParseAddr(a); err == nil {
		return a == b
	}
	if _, err := netip.ParseAddr(b); err == nil {
		return false
	}
	da, errA := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(a, "."))
	db, errB := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(b, "."))
	if errA != nil || errB != nil {
		return a == b
	}
	return da == db
}

// outgoingServer is what a stored outgoing password is bound to.
type outgoingServer struct {
	host     string
	port     int
	security string
	username string
}

// outgoingSettings checks the outgoing server against the rules; incoming
// is the incoming server's host (for the same-provider rule) and stored the
// account being edited, or nil.
func outgoingSettings(in OutgoingInput, incomingHost string, stored *db.Account, ps *problems) db.Outgoing {
	in.Host, in.Username = strings.TrimSpace(in.Host), strings.TrimSpace(in.Username)
	if in.Host == "" {
		return db.Outgoing{SamePassword: true}
	}
	switch {
	case strings.Contains(in.Host, "://"):
		ps.add(FieldSMTPHost, i18n.Key("Enter only the server's name, like smtp.example.com, without smtp:// or https://."))
	case !ValidHost(in.Host):
		ps.add(FieldSMTPHost, i18n.Key("This is not a server name. Enter one like smtp.example.com, without a port."))
	}
	sec, bad := parseSecurityWord(strings.TrimSpace(in.Security))
	if bad {
		ps.add(FieldSMTPSecurity, i18n.Key("Choose how to connect."))
	}
	port := in.Port
	if port == 0 && !bad {
		port = SMTPDefaultPort(sec)
	}
	switch {
	case bad && port == 0:
	case port < 1 || port > 65535:
		ps.add(FieldSMTPPort, i18n.Key("Enter a port number between 1 and 65535."))
	case bad:
	case sec == pop3client.SecurityTLS && (port == SubmissionPort || port == RelayPort):
		ps.add(FieldSMTPPort, i18n.Key("Port %d does not use SSL/TLS from the start. Use 465, or choose STARTTLS."), port)
	case sec != pop3client.SecurityTLS && port == SubmissionsPort:
		ps.add(FieldSMTPPort, i18n.Key("Port 465 expects SSL/TLS. Choose SSL/TLS, or use port 587."))
	}
	auth := in.Auth
	switch auth {
	case "":
		auth = db.OutgoingAuthPassword
	case db.OutgoingAuthPassword, db.OutgoingAuthNone:
	default:
		ps.add(FieldSMTPAuth, i18n.Key("Choose how to sign in to the outgoing server."))
	}
	if len(in.Username) > MaxPOP3Username || strings.ContainsAny(in.Username, "\r\n\x00") {
		ps.add(FieldSMTPUsername, i18n.Key("This user name cannot be used."))
	}
	out := db.Outgoing{Host: canonicalHost(in.Host), Port: port, Security: sec.String(), Auth: auth, Username: in.Username}
	outgoingPassword(in, &out, incomingHost, stored, ps)
	return out
}

// outgoingPassword decides the outgoing password: typed, the stored one
// for an unchanged server, or the incoming one for the same provider.
func outgoingPassword(in OutgoingInput, out *db.Outgoing, incomingHost string, stored *db.Account, ps *problems) {
	// The stored outgoing server, unchanged: its certificate trust stays,
	// and so may its own password.
	unchanged := stored != nil && stored.Outgoing.Configured() && outgoingOf(stored.Outgoing) == outgoingOf(*out)
	if unchanged {
		out.TrustedCert = stored.Outgoing.TrustedCert
	}
	switch {
	case out.Auth == db.OutgoingAuthNone:
		out.SamePassword = true // none is sent
	case in.Password != "":
		if p, bad := CheckPOP3Password(in.Password); bad {
			ps.add(FieldSMTPPassword, p.Key, p.Args...)
		}
	case unchanged && !stored.Outgoing.SamePassword:
		// The outgoing server's own password, kept (PasswordSealed nil).
	case SameProvider(incomingHost, out.Host):
		out.SamePassword = true
	default:
		ps.add(FieldSMTPPassword, i18n.Key("Enter the outgoing server's password: it belongs to another provider than the incoming server, so the incoming password is not sent there."))
	}
}

func outgoingOf(o db.Outgoing) outgoingServer {
	return outgoingServer{canonicalHost(o.Host), o.Port, o.Security, o.Username}
}
