package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/smtpclient"
	"github.com/apartado/apartado/web"
)

// defaultIntervalMinutes is a new account's check interval, in minutes.
var defaultIntervalMinutes = int(app.DefaultInterval / time.Minute)

// validMinutes reports whether m minutes is an interval the rules accept.
func validMinutes(m int) bool {
	_, bad := app.CheckInterval(time.Duration(m) * time.Minute)
	return !bad
}

// intervalOptions offers the usual check intervals, and the selected one
// when it is another that the rules accept (say, 7 minutes, set from the
// command line), so that the form saves it back unchanged.
func intervalOptions(r *http.Request, selected int) []web.Option {
	ctx := r.Context()
	minutes := make([]int, 0, len(app.StandardIntervals)+1)
	for _, d := range app.StandardIntervals {
		minutes = append(minutes, int(d/time.Minute))
	}
	if !slices.Contains(minutes, selected) && validMinutes(selected) {
		minutes = append(minutes, selected)
		slices.Sort(minutes)
	}
	var out []web.Option
	for _, m := range minutes {
		var label string
		switch {
		case m%60 == 0:
			label = i18n.T(ctx, "Every %d hours", m/60)
		default:
			label = i18n.T(ctx, "Every %d minutes", m)
		}
		out = append(out, web.Option{Value: strconv.Itoa(m), Label: label, Selected: m == selected})
	}
	return out
}

// accountInput is what the account form sent.
type accountInput struct {
	name, email, host, port, security, username, password string
	deleteAfterDownload                                   bool
	// Additions to keeping a copy: afterDaysOn with afterDays (as typed)
	// deletes on the server that many days after the first download;
	// whenDeleted is a db.DeleteWhenDeleted as sent.
	afterDaysOn            bool
	afterDays, whenDeleted string
	interval               int
	// token is a password typed in an earlier step, sealed
	// (sealPassword); kept says the password came from it, expired that
	// the token could no longer be opened, moved that it was sealed for
	// another server or user name than the form has now.
	token                string
	kept, expired, moved bool
	// trust is the fingerprint of a certificate the user chose to trust
	// for trustHost ("host:port").
	trust, trustHost string
	// force saves without testing first ("Save anyway").
	force bool
	// The outgoing server, as typed; smtpHasPassword says the stored
	// account has an outgoing password of its own.
	smtpHost, smtpPort, smtpSecurity, smtpAuth, smtpUsername, smtpPassword string
	smtpHasPassword                                                        bool
	displayName, signature                                                 string
	// grant is the sign-in with the provider the account uses instead of
	// a password (0: none); provider is the provider discovery found, for
	// proposing the sign-in.
	grant    int64
	provider string
}

func readAccountForm(r *http.Request) accountInput { return readAccountValues(r.PostForm) }

// readAccountValues reads the account form's fields from f.
func readAccountValues(f url.Values) accountInput {
	in := accountInput{
		name:                strings.TrimSpace(f.Get("name")),
		email:               strings.TrimSpace(f.Get("email")),
		host:                strings.TrimSpace(f.Get("host")),
		port:                strings.TrimSpace(f.Get("port")),
		security:            f.Get("security"),
		username:            strings.TrimSpace(f.Get("username")),
		password:            f.Get("password"),
		deleteAfterDownload: f.Get("retention") == "delete",
		afterDaysOn:         f.Get("after_days_on") == "1",
		afterDays:           strings.TrimSpace(f.Get("after_days")),
		whenDeleted:         f.Get("when_deleted"),
		token:               f.Get("token"),
		trustHost:           strings.ToLower(strings.TrimSpace(f.Get("trusthost"))),
		force:               f.Get("force") == "1",
		smtpHost:            strings.TrimSpace(f.Get("smtp_host")),
		smtpPort:            strings.TrimSpace(f.Get("smtp_port")),
		smtpSecurity:        f.Get("smtp_security"),
		smtpAuth:            f.Get("smtp_auth"),
		smtpUsername:        strings.TrimSpace(f.Get("smtp_username")),
		smtpPassword:        f.Get("smtp_password"),
		displayName:         strings.TrimSpace(f.Get("display_name")),
		signature:           f.Get("signature"),
		grant:               grantID(f.Get("oauth_grant")),
		provider:            f.Get("provider"),
	}
	if fp := pop3client.NormalizeFingerprint(f.Get("trust")); app.ValidFingerprint(fp) {
		in.trust = fp
	}
	in.interval, _ = strconv.Atoi(f.Get("interval"))
	return in
}

// trustFor returns the trusted fingerprint if it was trusted for host and port.
func (in accountInput) trustFor(host string, port int) string {
	if in.trust != "" && in.trustHost == app.HostPort(host, port) {
		return in.trust
	}
	return ""
}

// openToken fills in the password from the form's token when none was
// typed, if the token was sealed for the server and user name the form
// has now.
func (h *Handler) openToken(r *http.Request, in *accountInput) {
	if in.password != "" || in.token == "" {
		return
	}
	switch pw, st := h.openPassword(currentUser(r).ID, in.token, in.server()); st {
	case tokenOpened:
		in.password, in.kept = pw, true
	case tokenOtherServer:
		in.moved = true
	default:
		in.expired = true
	}
}

// formPort reads a port field: 0 when empty (the usual port), -1 when it
// is not a number.
func formPort(s string) int {
	if s == "" {
		return 0
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n
	}
	return -1
}

// appInput is the form's input as the application layer takes it: a port
// left empty is the security's usual one, a number that cannot be read
// is -1, and a ticked "delete after N days" box with no good number too.
func (in accountInput) appInput() app.AccountInput {
	port := formPort(in.port)
	days := 0
	if in.afterDaysOn {
		days = -1
		if n, err := strconv.Atoi(in.afterDays); err == nil && n > 0 {
			days = n
		}
	}
	return app.AccountInput{
		Name: in.name, Email: in.email, Host: in.host, Port: port, Security: in.security, Username: in.username,
		Password: in.password, TrustedCert: in.trust, TrustedFor: in.trustHost,
		DeleteAfterDownload: in.deleteAfterDownload, DeleteAfterDays: days, WhenDeleted: in.whenDeleted,
		Interval: time.Duration(in.interval) * time.Minute,
		Outgoing: app.OutgoingInput{Host: in.smtpHost, Port: formPort(in.smtpPort), Security: in.smtpSecurity, Auth: in.smtpAuth,
			Username: in.smtpUsername, Password: in.smtpPassword},
		DisplayName: in.displayName, Signature: in.signature,
		OAuthGrant: in.grant,
	}
}

// validateAccount checks the form against the application's rules and
// returns the settings to store, or the field errors, translated. Only what
// belongs to the form itself is judged here: a password carried in the
// form's token that could no longer be opened, or was sealed for another
// server.
func (h *Handler) validateAccount(r *http.Request, in accountInput, stored *db.Account) (db.AccountSettings, web.AccountFormErrors, bool) {
	ctx := r.Context()
	settings, _, err := app.AccountSettings(in.appInput(), stored)
	inv, _ := app.AsInvalid(err)
	if err != nil && inv == nil {
		inv = &app.Invalid{Problems: []app.Problem{{Key: i18n.Key("Some fields need your attention.")}}}
	}
	on := func(field string) string { return problemOn(ctx, inv, field) }
	e := web.AccountFormErrors{
		Name: on(app.FieldAccountName), Email: on(app.FieldEmail), Host: on(app.FieldHost), Port: on(app.FieldPort),
		Security: on(app.FieldSecurity), Username: on(app.FieldUsername), Password: on(app.FieldPOP3Pass),
		Interval: on(app.FieldInterval), DeleteAfterDays: on(app.FieldAfterDays), WhenDeleted: on(app.FieldWhenDeleted),
		SMTPHost: on(app.FieldSMTPHost), SMTPPort: on(app.FieldSMTPPort), SMTPSecurity: on(app.FieldSMTPSecurity),
		SMTPAuth: on(app.FieldSMTPAuth), SMTPUsername: on(app.FieldSMTPUsername), SMTPPassword: on(app.FieldSMTPPassword),
		DisplayName: on(app.FieldDisplayName), Signature: on(app.FieldSignature),
	}
	if in.password == "" && in.moved {
		e.Password = i18n.T(ctx, "Enter the password again: the server or user name changed.")
	} else if in.password == "" && in.expired {
		e.Password = i18n.T(ctx, "Enter the password again: the form was open too long to keep it.")
	}
	if e != (web.AccountFormErrors{}) || inv != nil {
		e.Form = i18n.T(ctx, "Some fields need your attention.")
		return db.AccountSettings{}, e, false
	}
	return settings, e, true
}

// retentionPhrase says in one short phrase what happens to the account's
// mail on the server.
func retentionPhrase(r *http.Request, s db.AccountSettings) string {
	ctx := r.Context()
	if s.DeleteAfterDownload {
		return i18n.T(ctx, "Mail is deleted from the server once stored here.")
	}
	var when []string
	switch {
	case s.DeleteAfterDays > 0:
		when = append(when, i18n.T(ctx, "%d days after downloading it", s.DeleteAfterDays))
	}
	switch s.DeleteWhenDeleted {
	case db.DeleteTrashEmptied:
		when = append(when, i18n.T(ctx, "when it leaves the trash here"))
	case db.DeleteImmediately:
		when = append(when, i18n.T(ctx, "when you delete it here"))
	}
	switch len(when) {
	case 0:
		return i18n.T(ctx, "A copy of your mail stays on the server.")
	case 1:
		return i18n.T(ctx, "A copy stays on the server, deleted there %s.", when[0])
	}
	return i18n.T(ctx, "A copy stays on the server, deleted there %s or %s, whichever comes first.", when[0], when[1])
}

// fillRetention puts the form's retention choices into the view.
func fillRetention(r *http.Request, v *web.AccountFormView, in accountInput) {
	ctx := r.Context()
	v.DeleteAfterDownload, v.DeleteAfterDaysOn, v.DeleteAfterDays = in.deleteAfterDownload, in.afterDaysOn, in.afterDays
	selected, _ := app.ParseWhenDeleted(in.whenDeleted)
	for _, o := range []struct {
		when  db.DeleteWhenDeleted
		label string
	}{
		{db.DeleteNever, i18n.T(ctx, "Leave it on the server")},
		{db.DeleteTrashEmptied, i18n.T(ctx, "Delete it from the server when it leaves the trash")},
		{db.DeleteImmediately, i18n.T(ctx, "Delete it from the server at once")},
	} {
		v.WhenDeleted = append(v.WhenDeleted, web.Option{Value: string(o.when), Label: o.label, Selected: o.when == selected})
	}
}

// keptFields carries the retention choices and the outgoing server (but
// not its password) through a form of hidden fields (the fixes on the
// connection test page).
func (in accountInput) keptFields() []web.HiddenField {
	on := ""
	if in.afterDaysOn {
		on = "1"
	}
	return []web.HiddenField{{Name: "after_days_on", Value: on}, {Name: "after_days", Value: in.afterDays}, {Name: "when_deleted", Value: in.whenDeleted},
		{Name: "smtp_host", Value: in.smtpHost}, {Name: "smtp_port", Value: in.smtpPort}, {Name: "smtp_security", Value: in.smtpSecurity},
		{Name: "smtp_auth", Value: in.smtpAuth}, {Name: "smtp_username", Value: in.smtpUsername},
		{Name: "display_name", Value: in.displayName}, {Name: "signature", Value: in.signature},
		{Name: "oauth_grant", Value: grantValue(in.grant)}, {Name: "provider", Value: in.provider}}
}

// createAccount tests the settings and saves them as a new account; when
// the test fails it shows why, with "Save anyway".
func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := owner(r)
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	in := readAccountForm(r)
	h.openToken(r, &in)
	settings, errs, ok := h.validateAccount(r, in, nil)
	if !ok {
		h.renderAccountForm(w, r, http.StatusUnprocessableEntity, in, nil, nil, func(v *web.AccountFormView) { v.Errors = errs })
		return
	}
	var offered *smtpclient.Capabilities
	if !in.force {
		var res *web.TestResultView
		if res, offered = h.testBeforeSave(r, in, settings, nil); res != nil {
			h.renderAccountForm(w, r, http.StatusUnprocessableEntity, in, nil, nil, func(v *web.AccountFormView) { v.Result = res })
			return
		}
	}
	a, err := h.accounts.Create(ctx, u.ID, in.appInput())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.keepOffers(r, a.ID, a.Outgoing, offered)
	h.log.Info("account added", "user", u.ID, "account", a.ID, "host", a.Host, "tested", !in.force, "trusted_cert", a.TrustedCert != "")
	h.tellMember(r, db.ChangeAdded, a.Name, nil)
	h.poller.Wake()
	redirect(w, r, scopeOf(r).done+"?done="+doneAccountAdded)
}

// editView is the edit form for a stored account.
func (h *Handler) editView(r *http.Request, a db.Account, accounts []db.Account) web.AccountFormView {
	base := accountURL(r, a.ID)
	status := h.accountStatus(r, a)
	return web.AccountFormView{
		Chrome:       h.chrome(r, i18n.T(r.Context(), "Edit %s", a.Name), scopeOf(r).section, 0, accounts),
		Action:       base,
		TestURL:      base + "/test",
		HasPassword:  true,
		DeleteURL:    base + "/delete",
		CheckURL:     base + "/check",
		Messages:     a.MessageCount,
		StatusDetail: &status,
		History:      h.historyView(r, a),
	}
}

// loadAccount returns the account named by the route, of the user whose
// accounts these are (scopeOf), with all of the signed-in user's accounts
// (for the navigation).
func (h *Handler) loadAccount(r *http.Request) (db.Account, []db.Account, error) {
	id, ok := idParam(r, "id")
	if !ok {
		return db.Account{}, nil, db.ErrNotFound
	}
	a, err := h.db.Account(r.Context(), owner(r).ID, id)
	if err != nil {
		return a, nil, err
	}
	accounts, err := h.db.Accounts(r.Context(), currentUser(r).ID)
	return a, accounts, err
}

// storedInput is the account form filled with a stored account.
func storedInput(a db.Account) accountInput {
	in := accountInput{
		name: a.Name, email: a.Email, host: a.Host, port: strconv.Itoa(a.Port), security: a.Security,
		username: a.Username, deleteAfterDownload: a.DeleteAfterDownload, interval: int(a.PollInterval / time.Minute),
		afterDaysOn: a.DeleteAfterDays > 0, whenDeleted: string(a.DeleteWhenDeleted),
	}
	if a.DeleteAfterDays > 0 {
		in.afterDays = strconv.Itoa(a.DeleteAfterDays)
	}
	if a.TrustedCert != "" {
		in.trust, in.trustHost = a.TrustedCert, app.HostPort(a.Host, a.Port)
	}
	in.displayName, in.signature = a.DisplayName, a.Signature
	in.grant = a.OAuthGrant
	if o := a.Outgoing; o.Configured() {
		in.smtpHost, in.smtpPort, in.smtpSecurity, in.smtpAuth, in.smtpUsername = o.Host, strconv.Itoa(o.Port), o.Security, o.Auth, o.Username
		in.smtpHasPassword = !o.SamePassword && o.Auth != db.OutgoingAuthNone
	}
	return in
}

// editAccountForm shows a stored account's settings. A fix chosen on the
// settings page comes as ?host=&port=&security=&interval=, filled in.
func (h *Handler) editAccountForm(w http.ResponseWriter, r *http.Request) {
	a, accounts, err := h.loadAccount(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in := storedInput(a)
	if back, failure, ok := h.signinReturn(r); ok {
		h.renderAccountForm(w, r, http.StatusOK, back, &a, accounts, signedInNotice(r, back, failure))
		return
	}
	q := r.URL.Query()
	fixed := false
	if v := strings.TrimSpace(q.Get("host")); v != "" && app.ValidHost(v) {
		in.host, fixed = v, true
	}
	if v, err := strconv.Atoi(q.Get("port")); err == nil && v > 0 && v < 65536 {
		in.port, fixed = strconv.Itoa(v), true
	}
	if sec, err := pop3client.ParseSecurity(q.Get("security")); q.Get("security") != "" && err == nil {
		in.security, fixed = sec.String(), true
	}
	if v, err := strconv.Atoi(q.Get("interval")); err == nil && validMinutes(v) {
		in.interval, fixed = v, true
	}
	h.renderAccountForm(w, r, http.StatusOK, in, &a, accounts, func(v *web.AccountFormView) {
		switch {
		case fixed && in.server() != app.ServerOf(a):
			v.Notice = i18n.T(r.Context(), "The suggested change is filled in below. Enter the password again, test the connection, then save.")
		case fixed:
			v.Notice = i18n.T(r.Context(), "The suggested change is filled in below. Test the connection, then save.")
		}
	})
}

// updateAccount tests the changed settings and saves them; when the test
// fails it shows why, with "Save anyway".
func (h *Handler) updateAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := owner(r)
	a, accounts, err := h.loadAccount(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	in := readAccountForm(r)
	h.openToken(r, &in)
	settings, errs, ok := h.validateAccount(r, in, &a)
	if !ok {
		h.renderAccountForm(w, r, http.StatusUnprocessableEntity, in, &a, accounts, func(v *web.AccountFormView) { v.Errors = errs })
		return
	}
	var offered *smtpclient.Capabilities
	if !in.force {
		var res *web.TestResultView
		if res, offered = h.testBeforeSave(r, in, settings, &a); res != nil {
			h.renderAccountForm(w, r, http.StatusUnprocessableEntity, in, &a, accounts, func(v *web.AccountFormView) { v.Result = res })
			return
		}
	}
	changed := app.ChangedFields(a, settings, in.appInput())
	if settings, err = h.accounts.Update(ctx, u.ID, a, in.appInput()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.keepOffers(r, a.ID, settings.Outgoing, offered)
	h.log.Info("account saved", "user", u.ID, "account", a.ID, "host", settings.Host, "tested", !in.force, "trusted_cert", settings.TrustedCert != "")
	if len(changed) > 0 {
		h.tellMember(r, db.ChangeChanged, a.Name, changed)
	}
	h.poller.Wake()
	redirect(w, r, scopeOf(r).done+"?done="+doneAccountSaved)
}

// deleteAccount deletes an account and its messages, once the user ticked
// the confirmation.
func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := owner(r)
	a, accounts, err := h.loadAccount(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		h.renderAccountForm(w, r, http.StatusUnprocessableEntity, storedInput(a), &a, accounts, func(v *web.AccountFormView) {
			v.DeleteError = i18n.T(ctx, "Tick the box to confirm that the account and its messages should be deleted.")
		})
		return
	}
	if err := h.db.DeleteAccount(ctx, u.ID, a.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("account deleted", "user", u.ID, "account", a.ID)
	h.tellMember(r, db.ChangeDeleted, a.Name, nil)
	redirect(w, r, scopeOf(r).done+"?done="+doneAccountDeleted)
}

// checkAccount asks the poller to check an account now.
func (h *Handler) checkAccount(w http.ResponseWriter, r *http.Request) {
	u := owner(r)
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := h.db.PollNow(r.Context(), u.ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.poller.Wake()
	if s := scopeOf(r); s.forMember {
		h.log.Info("account check asked for", "by", currentUser(r).Name, "user", u.Name, "account", id)
	}
	redirect(w, r, scopeOf(r).done+"?done="+doneCheckStarted)
}

// grantValue is the form's oauth_grant for grant ("" for none).
func grantValue(grant int64) string {
	if grant == 0 {
		return ""
	}
	return strconv.FormatInt(grant, 10)
}
