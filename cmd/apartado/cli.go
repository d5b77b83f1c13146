package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/handlers"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/password"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/pop3client"
)

// readSecret reads a password from a file or, without one, the first line
// of stdin. Only the line end is removed.
func readSecret(file string, stdin io.Reader) (string, error) {
	var s string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		s = string(b)
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", errors.New("no password on standard input (or give --password-file)")
		}
		s = line
	}
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return "", errors.New("the password is empty")
	}
	return s, nil
}

func userCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: apartado user add NAME [--admin] [--password-file FILE]")
	}
	args = args[1:]
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	var admin bool
	var pwFile string
	cfg, fs, err := parseConfig("user add", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&admin, "admin", false, "make the user an administrator")
		fs.StringVar(&pwFile, "password-file", "", "read the password from this file instead of stdin")
	})
	if err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return errors.New("usage: apartado user add NAME [--admin] [--password-file FILE]")
	}
	in := app.NewUser{Name: name, Admin: admin}
	// The rules are the web's: check the name before asking for a password.
	if inv, ok := app.AsInvalid(app.NewUser{Name: name, Password: strings.Repeat("x", password.MinLength)}.Validate()); ok {
		return cliProblems(getenv, inv)
	}
	if in.Password, err = readSecret(pwFile, stdin); err != nil {
		return err
	}
	store, err := cfg.openDB(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := app.NewUsers(store, nil, password.Default).Create(ctx, in)
	if inv, ok := app.AsInvalid(err); ok {
		return cliProblems(getenv, inv)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s %q (id %d)\n", u.Role, u.Name, u.ID)
	return nil
}

func accountCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "add" {
		return accountAdd(ctx, args[1:], getenv, stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "edit" {
		return accountEdit(ctx, args[1:], getenv, stdout, stderr)
	}
	return errors.New("usage: apartado account add --user NAME --email ADDR --host HOST …, or apartado account edit --user NAME --account ID-OR-ADDRESS --FLAG VALUE … (see apartado help)")
}

// accountFlags are the settings of an account, for account add and
// account edit alike.
func accountFlags(fs *flag.FlagSet, in *app.AccountInput, pwFile, smtpPwFile *string) {
	fs.StringVar(&in.Email, "email", "", "the account's email address")
	fs.StringVar(&in.Name, "name", "", "display name (default: the email address)")
	fs.StringVar(&in.Host, "host", "", "POP3 server")
	fs.IntVar(&in.Port, "port", 0, "POP3 port (default 995 for tls, 110 otherwise)")
	fs.StringVar(&in.Security, "security", "tls", "tls, starttls or none")
	fs.StringVar(&in.Username, "username", "", "POP3 user name (default: the email address)")
	fs.StringVar(pwFile, "password-file", "", "read the POP3 password from this file instead of stdin")
	fs.StringVar(&in.TrustedCert, "trust-fingerprint", "", "trust this server certificate whatever its issuer, name or dates: its SHA-256 fingerprint, as the connection test shows it (AB:CD:… or plain hex); checked against the server before saving")
	fs.BoolVar(&in.DeleteAfterDownload, "delete-after-download", false, "delete mail on the server once it is stored here (default: keep a copy)")
	fs.IntVar(&in.DeleteAfterDays, "delete-after-days", 0, "keeping a copy: delete it on the server this many days after downloading (0: never)")
	fs.StringVar(&in.WhenDeleted, "delete-when-deleted", "never", "keeping a copy: when a message deleted here goes on the server: never, trash_emptied or immediately")
	fs.DurationVar(&in.Interval, "interval", app.DefaultInterval, "how often to check for mail (1m to 24h, whole minutes)")
	fs.StringVar(&in.Outgoing.Host, "smtp-host", "", "outgoing (SMTP) server; empty: the account only receives")
	fs.IntVar(&in.Outgoing.Port, "smtp-port", 0, "outgoing port (default 465 for tls, 587 otherwise)")
	fs.StringVar(&in.Outgoing.Security, "smtp-security", "tls", "outgoing security: tls, starttls or none")
	fs.StringVar(&in.Outgoing.Auth, "smtp-auth", "password", "how to sign in to the outgoing server: password or none")
	fs.StringVar(&in.Outgoing.Username, "smtp-username", "", "outgoing user name (default: the incoming one)")
	fs.StringVar(&in.DisplayName, "display-name", "", "your name, shown with the address on mail you send")
	fs.StringVar(&in.Signature, "signature", "", "a signature added below what you write from this account")
	fs.StringVar(smtpPwFile, "smtp-password-file", "", "read the outgoing password from this file (default: the incoming password, for a server of the same provider)")
}

func accountAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var user, pwFile, smtpPwFile string
	var in app.AccountInput
	cfg, _, err := parseConfig("account add", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the Apartado user who owns the account")
		accountFlags(fs, &in, &pwFile, &smtpPwFile)
	})
	if err != nil {
		return err
	}
	if user == "" {
		return errors.New("--user is required")
	}
	if in.Username == "" {
		in.Username = strings.TrimSpace(in.Email)
	}
	if smtpPwFile != "" {
		if in.Outgoing.Password, err = readSecret(smtpPwFile, nil); err != nil {
			return fmt.Errorf("--smtp-password-file: %w", err)
		}
	}
	// The rules are the web's; check everything but the password before
	// asking for it, and a trusted certificate against the server.
	probe := in
	probe.Password = "x"
	settings, _, err := app.AccountSettings(probe, nil)
	if err == nil {
		err = checkTrust(ctx, cfg, settings)
	}
	if inv, ok := app.AsInvalid(err); ok {
		return cliProblems(getenv, inv)
	}
	if err != nil {
		return err
	}
	if in.Password, err = readSecret(pwFile, stdin); err != nil {
		return err
	}
	d, err := cfg.open(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer d.store.Close()
	u, err := cliUser(ctx, d.store, user)
	if err != nil {
		return err
	}
	a, err := app.NewAccounts(d.store, d.key).Create(ctx, u.ID, in)
	if inv, ok := app.AsInvalid(err); ok {
		return cliProblems(getenv, inv)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added account %d (%s, %s:%d, %s) for %s\n", a.ID, a.Email, a.Host, a.Port, a.Security, u.Name)
	return nil
}

// accountEdit changes what its flags name of a stored account and keeps
// the rest; the password stays unless --password-file gives another (it
// must, when the server or user name changes).
func accountEdit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var user, account, pwFile, smtpPwFile string
	var given app.AccountInput
	cfg, fs, err := parseConfig("account edit", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the Apartado user who owns the account")
		fs.StringVar(&account, "account", "", "the account to change: its id or its address")
		accountFlags(fs, &given, &pwFile, &smtpPwFile)
	})
	if err != nil {
		return err
	}
	if user == "" || account == "" {
		return errors.New("--user and --account are required")
	}
	d, err := cfg.open(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer d.store.Close()
	u, err := cliUser(ctx, d.store, user)
	if err != nil {
		return err
	}
	stored, err := findAccount(ctx, d.store, u.ID, account)
	if err != nil {
		return err
	}
	in := app.InputOf(stored)
	fs.Visit(func(f *flag.Flag) {
		if set, ok := editFlags[f.Name]; ok {
			set(&in, given)
		}
	})
	if pwFile != "" {
		if in.Password, err = readSecret(pwFile, nil); err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
	}
	if smtpPwFile != "" {
		if in.Outgoing.Password, err = readSecret(smtpPwFile, nil); err != nil {
			return fmt.Errorf("--smtp-password-file: %w", err)
		}
	}
	settings, _, err := app.AccountSettings(in, &stored)
	if err == nil && settings.TrustedCert != "" && (settings.TrustedCert != stored.TrustedCert || app.HostPort(settings.Host, settings.Port) != app.HostPort(stored.Host, stored.Port)) {
		err = checkTrust(ctx, cfg, settings)
	}
	if err == nil {
		_, err = app.NewAccounts(d.store, d.key).Update(ctx, u.ID, stored, in)
	}
	if inv, ok := app.AsInvalid(err); ok {
		return cliProblems(getenv, inv)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved account %d (%s, %s:%d, %s)\n", stored.ID, settings.Email, settings.Host, settings.Port, settings.Security)
	return nil
}

// editFlags copies the setting a flag of account edit names from what the
// flags gave onto the stored account's input; every flag of accountFlags
// but the password files has one (TestEditFlagsCoverAccountFlags).
var editFlags = map[string]func(in *app.AccountInput, given app.AccountInput){
	"email": func(in *app.AccountInput, g app.AccountInput) { in.Email = g.Email },
	"name":  func(in *app.AccountInput, g app.AccountInput) { in.Name = g.Name },
	"host":  func(in *app.AccountInput, g app.AccountInput) { in.Host = g.Host },
	"port":  func(in *app.AccountInput, g app.AccountInput) { in.Port = g.Port },
	// Another security without --port takes its usual port; --port, when
	// given too, wins (flags are visited in name order).
	"security":              func(in *app.AccountInput, g app.AccountInput) { in.Security, in.Port = g.Security, g.Port },
	"username":              func(in *app.AccountInput, g app.AccountInput) { in.Username = g.Username },
	"trust-fingerprint":     func(in *app.AccountInput, g app.AccountInput) { in.TrustedCert, in.TrustedFor = g.TrustedCert, "" },
	"delete-after-download": func(in *app.AccountInput, g app.AccountInput) { in.DeleteAfterDownload = g.DeleteAfterDownload },
	"delete-after-days":     func(in *app.AccountInput, g app.AccountInput) { in.DeleteAfterDays = g.DeleteAfterDays },
	"delete-when-deleted":   func(in *app.AccountInput, g app.AccountInput) { in.WhenDeleted = g.WhenDeleted },
	"interval":              func(in *app.AccountInput, g app.AccountInput) { in.Interval = g.Interval },
	"smtp-host":             func(in *app.AccountInput, g app.AccountInput) { in.Outgoing.Host = g.Outgoing.Host },
	"smtp-port":             func(in *app.AccountInput, g app.AccountInput) { in.Outgoing.Port = g.Outgoing.Port },
	"smtp-security": func(in *app.AccountInput, g app.AccountInput) {
		in.Outgoing.Security, in.Outgoing.Port = g.Outgoing.Security, g.Outgoing.Port
	},
	"smtp-auth":     func(in *app.AccountInput, g app.AccountInput) { in.Outgoing.Auth = g.Outgoing.Auth },
	"smtp-username": func(in *app.AccountInput, g app.AccountInput) { in.Outgoing.Username = g.Outgoing.Username },
	"display-name":  func(in *app.AccountInput, g app.AccountInput) { in.DisplayName = g.DisplayName },
	"signature":     func(in *app.AccountInput, g app.AccountInput) { in.Signature = g.Signature },
}

// checkTrust checks a certificate the settings trust against their server,
// with the program's name server and a check's time limits.
func checkTrust(ctx context.Context, cfg *config, s db.AccountSettings) error {
	if s.TrustedCert == "" {
		return nil
	}
	return app.CheckTrustedCert(ctx, s, pop3client.Options{Resolver: cfg.resolver(), Timeout: 20 * time.Second, ConnectTimeout: 20 * time.Second})
}

// cliUser is the user a command names.
func cliUser(ctx context.Context, store *db.DB, name string) (db.User, error) {
	u, err := store.UserByName(ctx, name)
	if errors.Is(err, db.ErrNotFound) {
		return u, fmt.Errorf("no user named %q (add one with: apartado user add NAME)", name)
	}
	return u, err
}

func syncCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var user string
	var accountID int64
	cfg, _, err := parseConfig("sync", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "only this user's accounts")
		fs.Int64Var(&accountID, "account", 0, "only this account")
	})
	if err != nil {
		return err
	}
	d, err := cfg.open(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	key, cas, store := d.key, d.cas, d.store
	defer store.Close()
	var userID int64
	if user != "" {
		u, err := cliUser(ctx, store, user)
		if err != nil {
			return err
		}
		userID = u.ID
	}
	ids := []int64{accountID}
	if accountID == 0 {
		if ids, err = store.AccountIDs(ctx, userID); err != nil {
			return err
		}
	} else if userID != 0 {
		if _, err := store.Account(ctx, userID, accountID); err != nil {
			return fmt.Errorf("account %d of %s: %w", accountID, user, err)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintln(stdout, "no accounts")
		return nil
	}
	showProgress := isTerminal(stderr)
	logTo := stderr
	if showProgress {
		logTo = clearLine{stderr} // a log line replaces the progress line
	}
	p := &poller.Poller{DB: store, Key: key, Log: cfg.logger(logTo), Timeout: cfg.PollTimeout, ExtraRootCAs: cas,
		Resolver: cfg.resolver(), MemberPrivateServers: cfg.MemberPrivateServers}
	// The diagnosis in the terminal's language (LANG=es_ES.UTF-8 → Spanish).
	locale := terminalLocale(getenv)
	failed := 0
	for _, id := range ids {
		var stop func()
		if showProgress {
			stop = watchProgress(i18n.WithLocale(ctx, locale), stderr, p, id, time.Second)
		}
		res, err := p.SyncAccount(ctx, id)
		if stop != nil {
			stop()
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, res)
		if res.Err != nil {
			failed++
			printDiagnosis(ctx, stdout, store, locale, res)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d accounts failed to sync", failed, len(ids))
	}
	return nil
}

// cliProblems turns broken rules into an error in the terminal's language
// (LANG=es_ES.UTF-8 → Spanish), one problem a line, each naming its flag or
// argument.
func cliProblems(getenv func(string) string, inv *app.Invalid) error {
	ctx := i18n.WithLocale(context.Background(), terminalLocale(getenv))
	var lines []string
	for _, p := range inv.Problems {
		line := i18n.T(ctx, p.Key, p.Args...)
		if name := cliFieldName(p.Field); name != "" {
			line = name + ": " + line
		}
		lines = append(lines, line)
	}
	return errors.New(strings.Join(lines, "\n"))
}

// cliFieldName is how the command line names an input field: its
// argument or flag. (User and account rules share some field names; the
// command that reports them is the context.)
func cliFieldName(field string) string {
	switch field {
	case "":
		return ""
	case app.FieldUserName:
		return "NAME"
	case app.FieldPassword:
		return "password"
	case app.FieldAfterDays:
		return "--delete-after-days"
	case app.FieldWhenDeleted:
		return "--delete-when-deleted"
	case app.FieldTrust:
		return "--trust-fingerprint"
	case app.FieldSMTPHost, app.FieldSMTPPort, app.FieldSMTPSecurity, app.FieldSMTPAuth, app.FieldSMTPUsername:
		return "--" + strings.ReplaceAll(field, "_", "-")
	case app.FieldSMTPPassword:
		return "--smtp-password-file"
	case app.FieldDisplayName:
		return "--display-name"
	}
	return "--" + field
}

// terminalLocale is the terminal's language, from LANG.
func terminalLocale(getenv func(string) string) *i18n.Locale {
	return i18n.Match(strings.SplitN(getenv("LANG"), ".", 2)[0], "")
}

// isTerminal says whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// clearLine writes to a terminal after clearing the line the cursor is on
// (where watchProgress draws).
type clearLine struct{ w io.Writer }

func (c clearLine) Write(p []byte) (int, error) {
	if _, err := io.WriteString(c.w, "\r\033[K"); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// progressSource is what watchProgress asks; *poller.Poller is one.
type progressSource interface {
	Progress(accountID int64) (poller.Progress, bool)
}

// watchProgress rewrites one line of w every interval with how account
// id's sync is going, until the returned stop is called, which clears the
// line. It is for a terminal: the line is redrawn with a carriage return.
func watchProgress(ctx context.Context, w io.Writer, src progressSource, id int64, every time.Duration) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-quit:
				if shown {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
			}
			if pr, ok := src.Progress(id); ok {
				fmt.Fprintf(w, "\r\033[Kaccount %d: %s", id, handlers.ProgressText(ctx, pr))
				shown = true
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// printDiagnosis says what went wrong and how to fix it, as the settings
// page does for a failing account.
func printDiagnosis(ctx context.Context, w io.Writer, store *db.DB, l *i18n.Locale, res poller.Result) {
	in := diagnose.Input{}
	if a, err := store.AccountForPoller(ctx, res.AccountID); err == nil {
		sec, _ := pop3client.ParseSecurity(a.Security)
		in = diagnose.Input{Host: a.Host, Port: a.Port, Security: sec, Email: a.Email, Interval: a.PollInterval}
		if p, ok := discover.LookupProvider(a.Email); ok {
			in.Provider = p
		}
	}
	d := diagnose.Explain(res.Err, in)
	fmt.Fprintf(w, "  %s\n  %s\n", d.Title.Text(l, nil), d.Explanation.Text(l, nil))
	for _, f := range d.Fixes {
		fmt.Fprintf(w, "  → %s\n", f.Label.Text(l, nil))
	}
}
