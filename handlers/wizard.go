package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/web"
)

// The account wizard: its first step (address and password),
// autodiscovery, and the account form it leads to. The connection test is
// in conntest.go (the streaming page) and diagnosis.go (running it and the
// views of its outcome); the first-run "create the administrator" page,
// /setup, is in auth.go.

const (
	manualQuery     = "manual"
	discoverTimeout = 25 * time.Second
	// maxTestDuration bounds a whole connection test, whatever the server does.
	maxTestDuration = 3 * time.Minute
)

// newAccountForm is the wizard's first step: the address and the password.
// With ?manual=1 it is the full form, empty.
func (h *Handler) newAccountForm(w http.ResponseWriter, r *http.Request) {
	if in, failure, ok := h.signinReturn(r); ok {
		h.renderAccountForm(w, r, http.StatusOK, in, nil, nil, signedInNotice(r, in, failure))
		return
	}
	if r.URL.Query().Get(manualQuery) != "" {
		in := accountInput{port: strconv.Itoa(pop3client.SecurityTLS.DefaultPort()), security: pop3client.SecurityTLS.String(), interval: defaultIntervalMinutes}
		h.renderAccountForm(w, r, http.StatusOK, in, nil, nil, nil)
		return
	}
	v, err := h.accountStartView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.AccountStartPage(v))
}

// accountStartView frames the wizard's first step, for the user's own
// account or, for an administrator, a member's.
func (h *Handler) accountStartView(r *http.Request) (web.AccountStartView, error) {
	s := scopeOf(r)
	chrome, err := h.userChrome(r, i18n.T(r.Context(), "Add a mail account"), s.section)
	if err != nil {
		return web.AccountStartView{}, err
	}
	v := web.AccountStartView{Chrome: chrome, ManualURL: s.base + "/new?" + manualQuery + "=1",
		DiscoverURL: s.base + "/new/discover", CancelURL: s.done}
	if s.forMember {
		v.ForMember = s.owner.Name
	}
	return v, nil
}

// discoverAccount runs autodiscovery for the address and shows the full
// form with what it proposes, the provider's steps and its notes. The
// password goes on in a sealed token, never back into the page.
func (h *Handler) discoverAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	pw := r.PostForm.Get("password")
	name := strings.TrimSpace(r.PostForm.Get("name"))
	v, err := h.accountStartView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Name, v.Email = name, email
	if p, bad := app.CheckEmail(email); bad {
		v.EmailError = i18n.T(ctx, p.Key, p.Args...)
	}
	p, badPassword := app.CheckPOP3Password(pw)
	if badPassword && pw != "" {
		v.PasswordError = i18n.T(ctx, p.Key, p.Args...)
	}
	var res discover.Result
	if v.EmailError == "" && v.PasswordError == "" {
		dctx, cancel := context.WithTimeout(ctx, discoverTimeout)
		var err error
		res, err = discover.Discover(dctx, email, h.discoverOptions(false))
		cancel()
		if err != nil {
			v.EmailError = i18n.T(ctx, "Enter an address like name@example.com.")
		}
	}
	// No password: fine where the form will offer signing in with the
	// provider (or say who must set that up first).
	if badPassword && pw == "" && (v.EmailError != "" || !h.signInInstead(r, email, res)) {
		v.PasswordError = i18n.T(ctx, p.Key, p.Args...)
	}
	if v.EmailError != "" || v.PasswordError != "" {
		v.FormError = i18n.T(ctx, "Some fields need your attention.")
		h.render(w, r, http.StatusUnprocessableEntity, web.AccountStartPage(v))
		return
	}
	in := accountInput{name: name, email: email, password: pw, port: strconv.Itoa(pop3client.SecurityTLS.DefaultPort()), security: pop3client.SecurityTLS.String(), interval: defaultIntervalMinutes, username: res.Username}
	if in.username == "" {
		in.username = email
	}
	if len(res.Candidates) > 0 {
		c := res.Candidates[0]
		in.host, in.port, in.security = c.Host, strconv.Itoa(c.Port), c.Security.String()
	}
	if res.Provider != nil {
		in.provider = res.Provider.ID
	}
	if len(res.SMTP) > 0 {
		c := res.SMTP[0]
		in.smtpHost, in.smtpPort, in.smtpSecurity = c.Host, strconv.Itoa(c.Port), c.Security.String()
		if res.SMTPUsername != "" && res.SMTPUsername != in.username {
			in.smtpUsername = res.SMTPUsername
		}
	}
	h.log.Info("autodiscovery", "user", owner(r).ID, "domain", res.Domain, "candidates", len(res.Candidates), "provider", res.Provider != nil)
	h.renderAccountForm(w, r, http.StatusOK, in, nil, nil, func(fv *web.AccountFormView) {
		l := i18n.FromContext(ctx)
		if p := res.Provider; p != nil {
			pv := &web.ProviderView{Name: p.Name, HelpURL: p.HelpURL, NoPOP: p.NoPOP}
			for _, s := range p.Steps {
				pv.Steps = append(pv.Steps, l.T(s))
			}
			fv.Provider = pv
		}
		for _, n := range res.Notes {
			fv.Notes = append(fv.Notes, l.T(n))
		}
		for _, n := range res.SMTPNotes {
			fv.Notes = append(fv.Notes, l.T(n))
		}
		if fv.Provider == nil && len(fv.Notes) == 0 && len(res.Candidates) > 0 {
			fv.Notes = []string{i18n.T(ctx, "Apartado found these settings for %s.", res.Domain)}
		}
	})
}

// discoverOptions are the configured autodiscovery options, with probes
// through the app's resolver and extra authorities. noProbe turns probing
// off, for proposing fixes quickly after a failed test.
func (h *Handler) discoverOptions(noProbe bool) *discover.Options {
	var o discover.Options
	if h.discoverOpts != nil {
		o = *h.discoverOpts
	}
	if o.DialOptions == nil {
		o.DialOptions = &pop3client.Options{Resolver: h.resolver, ExtraRootCAs: h.extraRootCAs}
	}
	if noProbe {
		o.NoProbe = true
		if o.Timeout <= 0 || o.Timeout > 10*time.Second {
			o.Timeout = 10 * time.Second
		}
	}
	return &o
}

// renderAccountForm renders the account form (new when a is nil) filled
// with in; edit adjusts the view (errors, a failed test) before rendering.
func (h *Handler) renderAccountForm(w http.ResponseWriter, r *http.Request, status int, in accountInput, a *db.Account, accounts []db.Account, edit func(*web.AccountFormView)) {
	v, err := h.accountFormView(r, in, a, accounts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if edit != nil {
		edit(&v)
	}
	allowSignInForm(w, v.SignIn)
	h.render(w, r, status, web.AccountFormPage(v))
}

// accountFormView is the account form filled with in: every field but
// the password, which, when one was typed, is carried in a sealed token.
func (h *Handler) accountFormView(r *http.Request, in accountInput, a *db.Account, accounts []db.Account) (web.AccountFormView, error) {
	var v web.AccountFormView
	if a != nil {
		v = h.editView(r, *a, accounts)
	} else {
		s := scopeOf(r)
		chrome, err := h.userChrome(r, i18n.T(r.Context(), "Add a mail account"), s.section)
		if err != nil {
			return v, err
		}
		v = web.AccountFormView{Chrome: chrome, New: true, Action: s.base + "/new", TestURL: s.base + "/test"}
	}
	if s := scopeOf(r); s.forMember {
		v.ForMember = s.owner.Name
	}
	v.CancelURL = scopeOf(r).done
	v.Name, v.Email, v.Host, v.Port = in.name, in.email, in.host, in.port
	v.Security, v.Username = in.security, in.username
	v.SMTPHost, v.SMTPPort, v.SMTPSecurity, v.SMTPAuth, v.SMTPUsername = in.smtpHost, in.smtpPort, in.smtpSecurity, in.smtpAuth, in.smtpUsername
	v.DisplayName, v.Signature = in.displayName, in.signature
	if v.SMTPSecurity == "" {
		v.SMTPSecurity = pop3client.SecurityTLS.String()
	}
	v.SMTPHasPassword = in.smtpHasPassword || (a != nil && !a.Outgoing.SamePassword && a.Outgoing.Configured())
	fillRetention(r, &v, in)
	interval := in.interval
	if !validMinutes(interval) {
		interval = defaultIntervalMinutes
	}
	v.Intervals = intervalOptions(r, interval)
	if in.password != "" {
		token, err := h.sealPassword(currentUser(r).ID, in.server(), in.password)
		if err != nil {
			return v, err
		}
		v.Token, v.PasswordKept = token, true
	}
	if in.trust != "" {
		v.Trust, v.TrustShown, v.TrustHost = in.trust, diagnose.FormatFingerprint(in.trust), in.trustHost
	}
	v.OAuthGrant, v.ProviderID = in.grant, in.provider
	box, err := h.signInBox(r, in, "")
	if err != nil {
		return v, err
	}
	v.SignIn = box
	return v, nil
}

// signedInNotice shows how a sign-in with the provider ended, on the
// account form it came back to.
func signedInNotice(r *http.Request, in accountInput, failure string) func(*web.AccountFormView) {
	return func(v *web.AccountFormView) {
		if failure != "" {
			if v.SignIn == nil {
				v.SignIn = &web.SignInBoxView{}
			}
			v.SignIn.Error = failure
			return
		}
		if in.grant != 0 {
			v.Notice = i18n.T(r.Context(), "Signed in. Test the connection, then save.")
		}
	}
}

// signInInstead reports whether the account form, for what discovery
// found, offers signing in with the provider, or is for a provider that
// accepts nothing else.
func (h *Handler) signInInstead(r *http.Request, email string, res discover.Result) bool {
	if res.Provider != nil && res.Provider.OAuthOnly {
		return true
	}
	providerID, host := "", ""
	if res.Provider != nil {
		providerID = res.Provider.ID
	}
	if len(res.Candidates) > 0 {
		host = res.Candidates[0].Host
	}
	_, ok, err := h.signIns.OfferFor(r.Context(), providerID, email, host)
	if err != nil {
		h.log.Error("looking for a sign-in provider", "err", err)
	}
	return ok
}
