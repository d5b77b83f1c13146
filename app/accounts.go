package app

import (
	"context"
	"errors"
	"net"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/pop3client"
)

// Input fields of the account rules, as Problem.Field names them (the
// account form's field names).
const (
	FieldAccountName = "name"
	FieldEmail       = "email"
	FieldHost        = "host"
	FieldPort        = "port"
	FieldSecurity    = "security"
	FieldUsername    = "username"
	FieldPOP3Pass    = "password"
	FieldInterval    = "interval"
	FieldAfterDays   = "after_days"
	FieldWhenDeleted = "when_deleted"
	FieldTrust       = "trust"
	FieldDisplayName = "display_name"
	FieldSignature   = "signature"
)

// Bounds on account fields.
const (
	MaxAccountName  = 100
	MaxEmail        = 254
	MaxHost         = 253
	MaxPOP3Username = 255
	MaxPOP3Password = 1024
	MaxDisplayName  = 100
	MaxSignature    = 2000
	// MaxDeleteAfterDays bounds "delete N days after downloading": ten
	// years.
	MaxDeleteAfterDays = 3650
	// MinInterval and MaxInterval bound how often an account is checked;
	// an interval is a whole number of minutes.
	MinInterval = time.Minute
	MaxInterval = 24 * time.Hour
	// DefaultInterval is the check interval of a new account.
	DefaultInterval = 10 * time.Minute
)

// StandardIntervals are the check intervals a form offers; any interval
// the rules accept can be stored, and a form showing a stored one offers
// it too.
var StandardIntervals = []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

// AccountInput is what adding or editing a mail account takes, as the
// person gave it. Adapters fill it from a form or from flags; Port 0 means
// the security's usual port, and a negative Port or DeleteAfterDays stands
// for a number that could not be read.
type AccountInput struct {
	Name     string // "" for the address
	Email    string
	Host     string
	Port     int
	Security string // "tls", "starttls" or "none" (pop3client.ParseSecurity's words)
	Username string
	// Password is the POP3 password; "" on edit keeps the stored one, but
	// only while the server, port, security and user name stay as stored.
	Password string
	// OAuthGrant is the user's sign-in with the provider (SignIns) the
	// account uses instead of a password; 0 for a password. A typed
	// Password replaces a sign-in.
	OAuthGrant int64
	// TrustedCert is the SHA-256 fingerprint of a certificate to trust for
	// this server, or "". TrustedFor, when not "", is the "host:port" it was
	// trusted for: a fingerprint trusted for another server is dropped.
	TrustedCert, TrustedFor string

	DeleteAfterDownload bool
	DeleteAfterDays     int    // 0: never; only with a copy kept
	WhenDeleted         string // a db.DeleteWhenDeleted; "" means never
	Interval            time.Duration

	// Outgoing is the server mail from this account is sent through.
	Outgoing OutgoingInput

	// The identity mail is sent with: the name shown with the address
	// ("" for the address alone) and the signature added below new text.
	DisplayName, Signature string
}

// trimmed is in with the spaces around its words removed, as every adapter
// would.
func (in AccountInput) trimmed() AccountInput {
	in.Name, in.Email, in.Host, in.Username = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email),
		strings.TrimSpace(in.Host), strings.TrimSpace(in.Username)
	in.Security, in.TrustedCert = strings.TrimSpace(in.Security), strings.TrimSpace(in.TrustedCert)
	return in
}

// Server is what a stored password is bound to: it is sent to no other
// server or user name without being typed again.
type Server struct {
	Host     string // lower case, without brackets
	Port     int
	Security pop3client.Security
	Username string
}

// ServerOfInput is where in's password would be sent, normalized as it
// would be stored (a port left at 0 is the security's usual one).
func ServerOfInput(in AccountInput) Server {
	in = in.trimmed()
	sec, _ := parseSecurityWord(in.Security)
	port := in.Port
	if port == 0 {
		port = sec.DefaultPort()
	}
	return Server{Host: canonicalHost(in.Host), Port: port, Security: sec, Username: in.Username}
}

// ServerOf is a stored account's server.
func ServerOf(a db.Account) Server {
	sec, _ := pop3client.ParseSecurity(a.Security)
	return Server{Host: canonicalHost(a.Host), Port: a.Port, Security: sec, Username: a.Username}
}

func canonicalHost(h string) string { return strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]")) }

// AccountSettings checks in against every rule and returns the settings to
// store, without the password (see Accounts.Create and Update). stored is
// the account being edited, nil for a new one. The error is an *Invalid
// listing every problem.
func AccountSettings(in AccountInput, stored *db.Account) (db.AccountSettings, Server, error) {
	in = in.trimmed()
	var ps problems
	if utf8.RuneCountInString(in.Name) > MaxAccountName {
		ps.add(FieldAccountName, i18n.Key("Use at most %d characters."), MaxAccountName)
	}
	if p, bad := CheckEmail(in.Email); bad {
		ps = append(ps, p)
	}
	switch {
	case in.Host == "":
		ps.add(FieldHost, i18n.Key("Enter the server's name, like pop.example.com."))
	case strings.Contains(in.Host, "://"):
		ps.add(FieldHost, i18n.Key("Enter only the server's name, like pop.example.com, without pop3:// or https://."))
	case !ValidHost(in.Host):
		ps.add(FieldHost, i18n.Key("This is not a server name. Enter one like pop.example.com, without a port."))
	}
	sec, secErr := parseSecurityWord(in.Security)
	if secErr {
		ps.add(FieldSecurity, i18n.Key("Choose how to connect."))
	}
	port := in.Port
	if port == 0 && !secErr {
		port = sec.DefaultPort()
	}
	switch {
	case secErr && port == 0: // no usual port without a security
	case port < 1 || port > 65535:
		ps.add(FieldPort, i18n.Key("Enter a port number between 1 and 65535."))
	case secErr:
	case sec == pop3client.SecurityTLS && port == 110:
		ps.add(FieldPort, i18n.Key("Port 110 does not use SSL/TLS from the start. Use 995, or choose STARTTLS."))
	case sec != pop3client.SecurityTLS && port == 995:
		ps.add(FieldPort, i18n.Key("Port 995 expects SSL/TLS. Choose SSL/TLS, or use port 110."))
	}
	switch {
	case in.Username == "":
		ps.add(FieldUsername, i18n.Key("Enter the user name your provider gave you (often the e-mail address)."))
	case len(in.Username) > MaxPOP3Username || strings.ContainsAny(in.Username, "\r\n\x00"):
		ps.add(FieldUsername, i18n.Key("This user name cannot be used."))
	}
	srv := ServerOfInput(in)
	switch {
	case in.OAuthGrant != 0 && in.Password == "":
		// Signed in with the provider: no password.
	case in.Password == "" && stored != nil && stored.OAuthGrant != 0:
		ps.add(FieldPOP3Pass, i18n.Key("Enter the password of the mail account, or sign in with the provider again."))
	case in.Password == "" && stored == nil:
		ps.add(FieldPOP3Pass, i18n.Key("Enter the password of the mail account."))
	case in.Password == "" && srv != ServerOf(*stored):
		ps.add(FieldPOP3Pass, i18n.Key("Enter the password again: the server or user name changed."))
	case in.Password != "":
		if p, bad := CheckPOP3Password(in.Password); bad {
			ps = append(ps, p)
		}
	}
	trusted := pop3client.NormalizeFingerprint(in.TrustedCert)
	if in.TrustedFor != "" && !strings.EqualFold(in.TrustedFor, HostPort(srv.Host, srv.Port)) {
		trusted = ""
	}
	if trusted != "" && !ValidFingerprint(trusted) {
		ps.add(FieldTrust, i18n.Key("A certificate fingerprint is 64 hexadecimal digits (SHA-256), like the one the connection test shows."))
	}
	if p, bad := CheckInterval(in.Interval); bad {
		ps = append(ps, p)
	}
	days, when := 0, db.DeleteNever
	if !in.DeleteAfterDownload {
		// The additions only apply to keeping a copy; with "delete" they
		// are ignored and stored cleared.
		if in.DeleteAfterDays != 0 {
			if in.DeleteAfterDays < 1 || in.DeleteAfterDays > MaxDeleteAfterDays {
				ps.add(FieldAfterDays, i18n.Key("Enter a number of days between 1 and %d, or untick the box."), MaxDeleteAfterDays)
			}
			days = in.DeleteAfterDays
		}
		var ok bool
		if when, ok = ParseWhenDeleted(in.WhenDeleted); !ok {
			ps.add(FieldWhenDeleted, i18n.Key("Choose what deleting a message here does on the server."))
		}
	}
	outgoing := outgoingSettings(in.Outgoing, in.Host, stored, &ps)
	checkIdentity(in, &ps)
	if err := ps.err(); err != nil {
		return db.AccountSettings{}, srv, err
	}
	name := in.Name
	if name == "" {
		name = in.Email
	}
	return db.AccountSettings{
		Name:                name,
		Email:               in.Email,
		Host:                srv.Host,
		Port:                port,
		TrustedCert:         trusted,
		Security:            sec.String(),
		Username:            in.Username,
		DeleteAfterDownload: in.DeleteAfterDownload,
		DeleteAfterDays:     days,
		DeleteWhenDeleted:   when,
		PollInterval:        in.Interval,
		Enabled:             true,
		Outgoing:            outgoing,
		OAuthGrant:          grantOf(in),
	}, srv, nil
}

// grantOf is the sign-in in's account uses: none once a password is typed.
func grantOf(in AccountInput) int64 {
	if in.Password != "" {
		return 0
	}
	return in.OAuthGrant
}

// HostPort is the key a trusted certificate is bound to.
func HostPort(host string, port int) string {
	return net.JoinHostPort(canonicalHost(host), strconv.Itoa(port))
}

// checkIdentity checks the display name and the signature: a name on one
// line (it goes into the From header), a signature of reasonable length.
func checkIdentity(in AccountInput, ps *problems) {
	name := strings.TrimSpace(in.DisplayName)
	if utf8.RuneCountInString(name) > MaxDisplayName || strings.ContainsAny(name, "\r\n\x00") || !utf8.ValidString(name) {
		ps.add(FieldDisplayName, i18n.Key("Use at most %d characters, on one line."), MaxDisplayName)
	}
	if utf8.RuneCountInString(in.Signature) > MaxSignature || strings.ContainsRune(in.Signature, 0) || !utf8.ValidString(in.Signature) {
		ps.add(FieldSignature, i18n.Key("Use at most %d characters."), MaxSignature)
	}
}

// CheckEmail returns the problem with an account's e-mail address, if any.
func CheckEmail(email string) (Problem, bool) {
	if email == "" {
		return Problem{FieldEmail, i18n.Key("Enter the e-mail address."), nil}, true
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > MaxEmail {
		return Problem{FieldEmail, i18n.Key("Enter an address like name@example.com."), nil}, true
	}
	return Problem{}, false
}

// CheckPOP3Password returns the problem with a typed POP3 password, if
// any: one that is empty, too long, or would break the protocol's line.
func CheckPOP3Password(pw string) (Problem, bool) {
	switch {
	case pw == "":
		return Problem{FieldPOP3Pass, i18n.Key("Enter the password of the mail account."), nil}, true
	case len(pw) > MaxPOP3Password || strings.ContainsAny(pw, "\r\n\x00"):
		return Problem{FieldPOP3Pass, i18n.Key("This password cannot be used."), nil}, true
	}
	return Problem{}, false
}

// parseSecurityWord reads the three words the forms and flags use; bad is
// true for anything else.
func parseSecurityWord(s string) (sec pop3client.Security, bad bool) {
	switch s {
	case "tls", "starttls", "none":
		sec, err := pop3client.ParseSecurity(s)
		return sec, err != nil
	}
	return 0, true
}

// CheckInterval returns the problem with a check interval, if any: it is a
// whole number of minutes from MinInterval to MaxInterval.
func CheckInterval(d time.Duration) (Problem, bool) {
	if d < MinInterval || d > MaxInterval || d%time.Minute != 0 {
		return Problem{FieldInterval, i18n.Key("Check every 1 to 1440 minutes, in whole minutes."), nil}, true
	}
	return Problem{}, false
}

// ParseWhenDeleted reads the "when I delete a message here" choice; empty
// (a form from before the choice existed) means never.
func ParseWhenDeleted(v string) (db.DeleteWhenDeleted, bool) {
	switch w := db.DeleteWhenDeleted(v); w {
	case "", db.DeleteNever:
		return db.DeleteNever, true
	case db.DeleteTrashEmptied, db.DeleteImmediately:
		return w, true
	}
	return db.DeleteNever, false
}

// ValidFingerprint accepts a SHA-256 fingerprint: 64 lower-case hex digits.
func ValidFingerprint(fp string) bool {
	if len(fp) != 64 {
		return false
	}
	for _, c := range fp {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidHost accepts a DNS name or an IP address (IPv6 with or without
// brackets), without a port.
func ValidHost(h string) bool {
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return true
	}
	if len(h) > MaxHost || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// PasswordContext binds a sealed POP3 password to the user it belongs to:
// a sealed password copied into another user's account does not open.
func PasswordContext(userID int64) string {
	return "pop3-password:user:" + strconv.FormatInt(userID, 10)
}

// Accounts adds and edits users' mail accounts.
type Accounts struct {
	db  *db.DB
	key *secret.Key
}

// NewAccounts returns the accounts service; key seals the POP3 passwords.
func NewAccounts(store *db.DB, key *secret.Key) *Accounts {
	return &Accounts{db: store, key: key}
}

// Create checks in and stores it as a new account of userID, its password
// sealed for that user.
func (s *Accounts) Create(ctx context.Context, userID int64, in AccountInput) (db.Account, error) {
	settings, _, err := AccountSettings(in, nil)
	if err != nil {
		return db.Account{}, err
	}
	if err := s.checkGrant(ctx, userID, settings.OAuthGrant); err != nil {
		return db.Account{}, err
	}
	if settings.OAuthGrant == 0 {
		if settings.PasswordSealed, err = s.Seal(userID, in.Password); err != nil {
			return db.Account{}, err
		}
	}
	if err := s.sealOutgoing(userID, &settings, in); err != nil {
		return db.Account{}, err
	}
	a, err := s.db.CreateAccount(ctx, userID, settings)
	if err != nil {
		return db.Account{}, err
	}
	if err := s.setIdentity(ctx, userID, a.ID, in); err != nil {
		return db.Account{}, err
	}
	return s.db.Account(ctx, userID, a.ID)
}

// Update checks in against the stored account and saves it; an empty
// password keeps the stored one (when the rules allow it).
func (s *Accounts) Update(ctx context.Context, userID int64, stored db.Account, in AccountInput) (db.AccountSettings, error) {
	settings, _, err := AccountSettings(in, &stored)
	if err != nil {
		return db.AccountSettings{}, err
	}
	settings.Enabled = stored.Enabled // not the form's to change
	if err := s.checkGrant(ctx, userID, settings.OAuthGrant); err != nil {
		return db.AccountSettings{}, err
	}
	if in.Password != "" {
		if settings.PasswordSealed, err = s.Seal(userID, in.Password); err != nil {
			return db.AccountSettings{}, err
		}
	}
	if err := s.sealOutgoing(userID, &settings, in); err != nil {
		return db.AccountSettings{}, err
	}
	if err := s.db.UpdateAccount(ctx, userID, stored.ID, settings); err != nil {
		return db.AccountSettings{}, err
	}
	if err := s.setIdentity(ctx, userID, stored.ID, in); err != nil {
		return db.AccountSettings{}, err
	}
	return settings, nil
}

// checkGrant refuses a sign-in that is not userID's own.
func (s *Accounts) checkGrant(ctx context.Context, userID, grant int64) error {
	if grant == 0 {
		return nil
	}
	if _, err := s.db.Grant(ctx, userID, grant); errors.Is(err, db.ErrNotFound) {
		return &Invalid{Problems: []Problem{{Field: FieldPOP3Pass, Key: i18n.Key("Sign in with the provider again: this sign-in is not yours or no longer exists.")}}}
	} else if err != nil {
		return err
	}
	return nil
}

// setIdentity stores the account's display name and signature (trimmed;
// the signature's line ends as LF).
func (s *Accounts) setIdentity(ctx context.Context, userID, id int64, in AccountInput) error {
	return s.db.SetIdentity(ctx, userID, id, strings.TrimSpace(in.DisplayName), cleanSignature(in.Signature))
}

// cleanSignature is a signature as stored: line ends as LF, no blank end.
func cleanSignature(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\n")
}

// sealOutgoing seals a typed outgoing password into settings.
func (s *Accounts) sealOutgoing(userID int64, settings *db.AccountSettings, in AccountInput) error {
	o := &settings.Outgoing
	if !o.Configured() || o.SamePassword || in.Outgoing.Password == "" {
		return nil
	}
	var err error
	o.PasswordSealed, err = s.key.Seal([]byte(in.Outgoing.Password), OutgoingPasswordContext(userID))
	return err
}

// OutgoingPasswordContext binds a sealed outgoing-server password to the
// user it belongs to, apart from the incoming ones.
func OutgoingPasswordContext(userID int64) string {
	return "smtp-password:user:" + strconv.FormatInt(userID, 10)
}

// OutgoingPassword is the password to send to the account's outgoing
// server: its own, or the incoming one.
func (s *Accounts) OutgoingPassword(a db.Account) (string, error) {
	if a.Outgoing.SamePassword {
		return s.Open(a)
	}
	b, err := s.key.Open(a.Outgoing.PasswordSealed, OutgoingPasswordContext(a.UserID))
	return string(b), err
}

// Seal encrypts a POP3 password for userID's accounts.
func (s *Accounts) Seal(userID int64, password string) ([]byte, error) {
	return s.key.Seal([]byte(password), PasswordContext(userID))
}

// Open decrypts a stored account's POP3 password.
func (s *Accounts) Open(a db.Account) (string, error) {
	b, err := s.key.Open(a.PasswordSealed, PasswordContext(a.UserID))
	return string(b), err
}
