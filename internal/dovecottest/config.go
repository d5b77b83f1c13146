package dovecottest

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// identity says which system users Dovecot's processes run as and who owns
// the mail.
type identity struct {
	root bool

	// loginUser runs pop3-login (default_login_user); internalUser runs
	// auth, anvil, stats and friends (default_internal_user), and
	// internalGroup is default_internal_group.
	loginUser, internalUser, internalGroup string

	// internalGID is internalGroup's gid; the passwd-file is made readable
	// to it.
	internalGID int

	// mailUID and mailGID own every Maildir and message file and are the
	// static userdb's uid and gid.
	mailUID, mailGID int
}

// lookupIdentity decides the users to run as. As root, Dovecot refuses to
// hand mail to uid 0 and drops privileges for its login and internal
// processes, so the mail belongs to the unprivileged "dovecot" system user
// (or "nobody" when there is none), logins run as "dovenull" and internal
// processes as "dovecot". As any other user, everything runs as that user.
func lookupIdentity() (identity, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return identity{}, fmt.Errorf("looking up the current user (Dovecot needs a user name for uid %d): %w", os.Geteuid(), err)
		}
		g, err := user.LookupGroupId(strconv.Itoa(os.Getegid()))
		if err != nil {
			return identity{}, fmt.Errorf("looking up the current group (Dovecot needs a group name for gid %d): %w", os.Getegid(), err)
		}
		return identity{
			loginUser:     u.Username,
			internalUser:  u.Username,
			internalGroup: g.Name,
			internalGID:   os.Getegid(),
			mailUID:       os.Geteuid(),
			mailGID:       os.Getegid(),
		}, nil
	}

	id := identity{root: true}
	internal, err := user.Lookup("dovecot")
	if err != nil {
		return identity{}, fmt.Errorf("looking up Dovecot's internal user %q (is dovecot-core installed?): %w", "dovecot", err)
	}
	id.internalUser = internal.Username
	if g, err := user.LookupGroup("dovecot"); err == nil {
		id.internalGroup = g.Name
		id.internalGID, _ = strconv.Atoi(g.Gid)
	} else if g, err := user.LookupGroupId(internal.Gid); err == nil {
		id.internalGroup = g.Name
		id.internalGID, _ = strconv.Atoi(g.Gid)
	} else {
		return identity{}, fmt.Errorf("looking up the group of Dovecot's internal user: %w", err)
	}
	id.loginUser = "dovenull"
	if _, err := user.Lookup("dovenull"); err != nil {
		id.loginUser = "nobody"
		if _, err := user.Lookup("nobody"); err != nil {
			return identity{}, fmt.Errorf("no unprivileged user for Dovecot's login processes: neither %q nor %q exists", "dovenull", "nobody")
		}
	}
	mail := internal
	if mail.Uid == "0" {
		if mail, err = user.Lookup("nobody"); err != nil {
			return identity{}, fmt.Errorf("no unprivileged user to own the mail: %w", err)
		}
	}
	if id.mailUID, err = strconv.Atoi(mail.Uid); err != nil {
		return identity{}, fmt.Errorf("uid %q of user %q: %w", mail.Uid, mail.Username, err)
	}
	if id.mailGID, err = strconv.Atoi(mail.Gid); err != nil {
		return identity{}, fmt.Errorf("gid %q of user %q: %w", mail.Gid, mail.Username, err)
	}
	if id.mailUID == 0 || id.mailGID == 0 {
		return identity{}, fmt.Errorf("the mail user %q has uid/gid 0, which Dovecot refuses", mail.Username)
	}
	return id, nil
}

// validUser reports whether name is safe as a passwd-file user name, a path
// element and a %u expansion.
func validUser(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '.' || name[0] == '-' {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '.' || r == '_' || r == '-' || r == '@' || r == '+':
		default:
			return false
		}
	}
	return true
}

// passwdEntry renders the password field of a passwd-file line. Simple
// passwords are stored as {PLAIN}secret for readability; anything else
// (a colon, spaces at either end, control or non-ASCII bytes) as
// {PLAIN.BASE64}, which is still the PLAIN scheme and so still usable by
// APOP.
func passwdEntry(password string) string {
	simple := strings.TrimSpace(password) == password
	for i := 0; i < len(password); i++ {
		c := password[i]
		if c < 0x21 && c != ' ' || c > 0x7e || c == ':' {
			simple = false
		}
	}
	if simple {
		return "{PLAIN}" + password
	}
	return "{PLAIN.BASE64}" + base64.StdEncoding.EncodeToString([]byte(password))
}

// passwdFile renders the passwd-file user database.
func passwdFile(users map[string]string) []byte {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, u := range names {
		// user:password:uid:gid:gecos:home:shell:extra_fields; uid, gid
		// and home come from the static userdb.
		fmt.Fprintf(&b, "%s:%s::::::\n", u, passwdEntry(users[u]))
	}
	return []byte(b.String())
}

// configParams is everything the generated dovecot.conf depends on.
type configParams struct {
	dir, baseDir, stateDir, instance string
	host                             string // listen address
	plainPort, tlsPort               int
	opts                             Options
	id                               identity
}

func (p configParams) logPath() string    { return filepath.Join(p.dir, logName) }
func (p configParams) certPath() string   { return filepath.Join(p.dir, "cert.pem") }
func (p configParams) keyPath() string    { return filepath.Join(p.dir, "key.pem") }
func (p configParams) usersPath() string  { return filepath.Join(p.dir, "users") }
func (p configParams) homeRoot() string   { return filepath.Join(p.dir, "home") }
func (p configParams) oauth2Path() string { return filepath.Join(p.dir, "oauth2.conf.ext") }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// dovecotConf renders dovecot.conf for Dovecot 2.3.
func dovecotConf(p configParams) string {
	mechs := "plain login"
	if p.opts.APOP {
		mechs += " apop"
	}
	if p.opts.OAuth2 != nil {
		mechs += " xoauth2 oauthbearer"
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	w("# Generated by github.com/apartado/apartado/internal/dovecottest.")
	w("# A private Dovecot instance for tests; it shares nothing with the system one.")
	w("base_dir = %s", p.baseDir)
	w("state_dir = %s", p.stateDir)
	w("instance_name = %s", p.instance)
	w("protocols = pop3")
	w("listen = %s", p.host)
	w("shutdown_clients = yes")
	w("")
	w("log_path = %s", p.logPath())
	w("info_log_path = %s", p.logPath())
	w("debug_log_path = %s", p.logPath())
	w("auth_verbose = yes")
	w("auth_debug = no")
	w("mail_debug = no")
	w("")
	w("ssl = yes")
	w("ssl_cert = <%s", p.certPath())
	w("ssl_key = <%s", p.keyPath())
	w("ssl_min_protocol = TLSv1.2")
	w("")
	w("disable_plaintext_auth = %s", yesNo(p.opts.DisablePlaintextAuth))
	w("auth_mechanisms = %s", mechs)
	w("# Answer a wrong password at once instead of after the default 2 s.")
	w("auth_failure_delay = 0")
	w("")
	w("# Dovecot 2.3.19 still holds failures up to 0.5 s with auth_failure_delay = 0,")
	w("# and delays the next login from the same IP by 4 s or more (auth penalty).")
	w("# This passdb authenticates nobody but marks every request nodelay, which")
	w("# skips both; the passwd-file below does the authenticating.")
	w("passdb {")
	w("  driver = static")
	w("  args = noauthenticate nodelay=yes")
	w("  result_success = continue")
	w("}")
	w("passdb {")
	w("  driver = passwd-file")
	w("  args = scheme=PLAIN username_format=%%u %s", p.usersPath())
	w("}")
	if p.opts.OAuth2 != nil {
		w("# Bearer tokens of XOAUTH2 and OAUTHBEARER, checked by introspection.")
		w("passdb {")
		w("  driver = oauth2")
		w("  mechanisms = xoauth2 oauthbearer")
		w("  args = %s", p.oauth2Path())
		w("}")
	}
	w("userdb {")
	w("  driver = static")
	w("  args = uid=%d gid=%d home=%s/%%u", p.id.mailUID, p.id.mailGID, p.homeRoot())
	w("}")
	w("first_valid_uid = %d", p.id.mailUID)
	w("last_valid_uid = 0")
	w("first_valid_gid = %d", p.id.mailGID)
	w("last_valid_gid = 0")
	w("mail_location = maildir:~/Maildir")
	w("")
	w("pop3_uidl_format = %%08Xu%%08Xv")
	w("pop3_lock_session = %s", yesNo(p.opts.LockSession))
	w("")
	w("default_login_user = %s", p.id.loginUser)
	w("default_internal_user = %s", p.id.internalUser)
	w("default_internal_group = %s", p.id.internalGroup)
	w("")
	w("service pop3-login {")
	w("  inet_listener pop3 {")
	w("    address = %s", p.host)
	w("    port = %d", p.plainPort)
	w("  }")
	w("  inet_listener pop3s {")
	w("    address = %s", p.host)
	w("    port = %d", p.tlsPort)
	w("    ssl = yes")
	w("  }")
	if !p.id.root {
		w("  chroot =")
	}
	w("}")
	if !p.id.root {
		// Without root there is no chroot, no setgroups and no chown to
		// other users; everything runs as the current user.
		w("service anvil {")
		w("  chroot =")
		w("}")
		w("service pop3 {")
		w("  extra_groups =")
		w("}")
	}
	if p.opts.ExtraConfig != "" {
		w("")
		w("# Options.ExtraConfig:")
		w("%s", p.opts.ExtraConfig)
	}
	return b.String()
}

// oauth2Conf renders the oauth2 passdb's settings file (Dovecot 2.3): the
// token is POSTed to the introspection endpoint, whose answer must say
// "active": true and name the user in UsernameAttribute. force_introspection
// makes Dovecot ask even though no tokeninfo_url is configured, so every
// login reaches the endpoint: no token is trusted on its own.
func oauth2Conf(o OAuth2) string {
	attr := o.UsernameAttribute
	if attr == "" {
		attr = "username"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated by github.com/apartado/apartado/internal/dovecottest.\n")
	fmt.Fprintf(&b, "introspection_mode = post\n")
	fmt.Fprintf(&b, "introspection_url = %s\n", o.IntrospectionURL)
	fmt.Fprintf(&b, "force_introspection = yes\n")
	fmt.Fprintf(&b, "username_attribute = %s\n", attr)
	fmt.Fprintf(&b, "active_attribute = active\n")
	fmt.Fprintf(&b, "active_value = true\n")
	fmt.Fprintf(&b, "timeout_msecs = 10000\n")
	return b.String()
}
