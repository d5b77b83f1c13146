package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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

// Setting up an account: the wizard's first step (address and password),
// autodiscovery, the account form with its connection test, and the
// diagnosis of a failure. The test page itself streams (conntest.go).

const (
	newAccountPath  = "/settings/accounts/new"
	newAccountTest  = "/settings/accounts/test"
	discoverPath    = "/settings/accounts/new/discover"
	manualQuery     = "manual"
	discoverTimeout = 25 * time.Second
	// maxTestDuration bounds a whole connection test, whatever the server does.
	maxTestDuration = 3 * time.Minute
)

// newAccountForm is the wizard's first step: the address and the password.
// With ?manual=1 it is the full form, empty.
func (h *Handler) newAccountForm(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get(manualQuery) != "" {
		in := accountInput{port: "995", security: "tls", interval: defaultIntervalMinutes}
		h.renderAccountForm(w, r, http.StatusOK, in, nil, nil, nil)
		return
	}
	chrome, err := h.userChrome(r, i18n.T(r.Context(), "Add a mail account"), web.SectionSettings)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.AccountStartPage(web.AccountStartView{Chrome: chrome, ManualURL: newAccountPath + "?" + manualQuery + "=1"}))
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
	v := web.AccountStartView{Name: name, Email: email, ManualURL: newAccountPath + "?" + manualQuery + "=1"}
	if p, bad := app.CheckEmail(email); bad {
		v.EmailError = i18n.T(ctx, p.Key, p.Args...)
	}
	if p, bad := app.CheckPOP3Password(pw); bad {
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
	if v.EmailError != "" || v.PasswordError != "" {
		chrome, err := h.userChrome(r, i18n.T(ctx, "Add a mail account"), web.SectionSettings)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Chrome = chrome
		v.FormError = i18n.T(ctx, "Some fields need your attention.")
		h.render(w, r, http.StatusUnprocessableEntity, web.AccountStartPage(v))
		return
	}
	in := accountInput{name: name, email: email, password: pw, port: "995", security: "tls", interval: defaultIntervalMinutes, username: res.Username}
	if in.username == "" {
		in.username = email
	}
	if len(res.Candidates) > 0 {
		c := res.Candidates[0]
		in.host, in.port, in.security = c.Host, strconv.Itoa(c.Port), c.Security.String()
	}
	h.log.Info("autodiscovery", "user", currentUser(r).ID, "domain", res.Domain, "candidates", len(res.Candidates), "provider", res.Provider != nil)
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
	h.render(w, r, status, web.AccountFormPage(v))
}

// accountFormView is the account form filled with in: every field but
// the password, which, when one was typed, is carried in a sealed token.
func (h *Handler) accountFormView(r *http.Request, in accountInput, a *db.Account, accounts []db.Account) (web.AccountFormView, error) {
	var v web.AccountFormView
	if a != nil {
		v = h.editView(r, *a, accounts)
	} else {
		chrome, err := h.userChrome(r, i18n.T(r.Context(), "Add a mail account"), web.SectionSettings)
		if err != nil {
			return v, err
		}
		v = web.AccountFormView{Chrome: chrome, New: true, Action: newAccountPath, TestURL: newAccountTest}
	}
	v.Name, v.Email, v.Host, v.Port = in.name, in.email, in.host, in.port
	v.Security, v.Username = in.security, in.username
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
	return v, nil
}

// ---- running the test ----

// testPlan is a connection test ready to run, or the reason it cannot.
type testPlan struct {
	settings diagnose.TestSettings
	opts     diagnose.TestOptions
	// unusable is set when the test cannot even start (the stored password
	// cannot be decrypted): the diagnosis to show instead.
	unusable *diagnose.Diagnosis
}

// planTest prepares a test of validated settings. For a stored account
// without a newly typed password, the stored one is used.
func (h *Handler) planTest(r *http.Request, in accountInput, s db.AccountSettings, a *db.Account) testPlan {
	sec, _ := pop3client.ParseSecurity(s.Security)
	p := testPlan{
		settings: diagnose.TestSettings{Host: s.Host, Port: s.Port, Security: sec, Username: s.Username,
			Password: in.password, TrustedFingerprint: s.TrustedCert},
		opts: diagnose.TestOptions{Resolver: h.resolver, Dialer: h.dialer, ExtraRootCAs: h.extraRootCAs, Timeout: h.testTimeout,
			Explain: h.explainInput(s.Email, s.Host, s.Port, s.Security, s.PollInterval)},
	}
	p.opts.Explain.Now = h.now()
	if p.settings.Password == "" && a != nil {
		pw, err := h.accounts.Open(*a)
		if err != nil {
			h.log.Error("opening an account's password for a test", "account", a.ID, "err", err)
			d := diagnose.Explain(fmt.Errorf("reading the account's password: %w", err), p.opts.Explain)
			p.unusable = &d
		}
		p.settings.Password = string(pw)
	}
	return p
}

// explainInput is what a diagnosis knows about an account: its settings
// and its provider.
func (h *Handler) explainInput(email, host string, port int, security string, interval time.Duration) diagnose.Input {
	sec, _ := pop3client.ParseSecurity(security)
	in := diagnose.Input{Host: host, Port: port, Security: sec, Email: email, Interval: interval, Now: h.now()}
	if p, ok := discover.LookupProvider(email); ok {
		in.Provider = p
	}
	return in
}

// run runs the test, reporting each step to report.
func (h *Handler) run(ctx context.Context, p testPlan, report func(diagnose.StepResult)) diagnose.Result {
	if p.unusable != nil {
		return diagnose.Result{Diagnosis: p.unusable}
	}
	ctx, cancel := context.WithTimeout(ctx, maxTestDuration)
	defer cancel()
	res := h.testConn(ctx, p.settings, p.opts, report)
	if !res.OK && res.Diagnosis != nil && res.Err != nil {
		// For a wrong name or port, what autodiscovery finds is the fix.
		switch pop3client.KindOf(res.Err) {
		case pop3client.KindHostNotFound, pop3client.KindConnectionRefused, pop3client.KindTimeout, pop3client.KindNotPOP3:
			if p.opts.Explain.Email != "" {
				if found, err := discover.Discover(ctx, p.opts.Explain.Email, h.discoverOptions(true)); err == nil {
					in := p.opts.Explain
					in.Host, in.Port, in.Security = p.settings.Host, p.settings.Port, p.settings.Security
					in.Discovered = found.Candidates
					if in.Provider == nil {
						in.Provider = found.Provider
					}
					d := diagnose.Explain(res.Err, in)
					res.Diagnosis = &d
				}
			}
		}
	}
	return res
}

// testBeforeSave tests validated settings before saving them; it returns
// nil when the test passed, else the test's result to show.
func (h *Handler) testBeforeSave(r *http.Request, in accountInput, s db.AccountSettings, a *db.Account) *web.TestResultView {
	res := h.run(r.Context(), h.planTest(r, in, s, a), nil)
	if res.OK {
		return nil
	}
	h.log.Info("connection test before saving failed", "user", currentUser(r).ID, "host", s.Host, "err", res.Err)
	v := &web.TestResultView{}
	for _, st := range res.Steps {
		v.Steps = append(v.Steps, h.stepView(r, st))
	}
	v.Outcome = h.outcomeView(r, res, in, a)
	v.Outcome.SaveAnyway = true
	return v
}

// ---- views of a test and a diagnosis ----

func (h *Handler) text(r *http.Request, m diagnose.Message) string {
	return m.Text(i18n.FromContext(r.Context()), state(r).tz)
}

func (h *Handler) texts(r *http.Request, ms []diagnose.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, h.text(r, m))
	}
	return out
}

func (h *Handler) stepView(r *http.Request, s diagnose.StepResult) web.TestStepView {
	return web.TestStepView{Step: string(s.Step), Label: h.text(r, s.Step.Label()), OK: s.OK,
		Facts: h.texts(r, s.Facts), Warnings: h.texts(r, s.Warnings)}
}

// outcomeView ends a test: a summary, or the diagnosis with fixes that
// re-run the test with the account form's fields changed.
func (h *Handler) outcomeView(r *http.Request, res diagnose.Result, in accountInput, a *db.Account) web.TestOutcomeView {
	ctx := r.Context()
	if res.OK {
		o := web.TestOutcomeView{OK: true, Warnings: h.texts(r, res.Warnings())}
		o.Summary = i18n.T(ctx, "Everything works. Save the account to start receiving mail.")
		if a != nil {
			o.Summary = i18n.T(ctx, "Everything works. Save to keep these settings.")
		}
		return o
	}
	d := res.Diagnosis
	if d == nil {
		internal := diagnose.Explain(res.Err, diagnose.Input{})
		d = &internal
	}
	action := newAccountTest
	if a != nil {
		action = "/settings/accounts/" + strconv.FormatInt(a.ID, 10) + "/test"
	}
	dv := h.diagnosisView(r, *d, func(f diagnose.Fix) web.FixView { return h.fixForm(r, in, f, action) })
	return web.TestOutcomeView{Diagnosis: &dv}
}

// diagnosisView translates a diagnosis; fix makes each fix's form or link.
func (h *Handler) diagnosisView(r *http.Request, d diagnose.Diagnosis, fix func(diagnose.Fix) web.FixView) web.DiagnosisView {
	v := web.DiagnosisView{
		Kind:          d.Kind,
		Title:         h.text(r, d.Title),
		Explanation:   h.text(r, d.Explanation),
		Hints:         h.texts(r, d.Hints),
		Provider:      d.Provider,
		ProviderSteps: h.texts(r, d.ProviderSteps),
		ProviderURL:   d.ProviderURL,
		Detail:        d.Detail,
		Cert:          h.texts(r, diagnose.CertFacts(d.Cert)),
		HelpURL:       "/help#" + d.HelpAnchor,
		Retry:         d.Retry,
	}
	for _, f := range d.Fixes {
		if fv := fix(f); fv.Action != "" || fv.URL != "" {
			v.Fixes = append(v.Fixes, fv)
		}
	}
	return v
}

// fixForm is a fix on the test page: a form carrying the whole account
// form with the fix applied, which tests again at once. The password is
// carried sealed in the token, never in the page.
func (h *Handler) fixForm(r *http.Request, in accountInput, f diagnose.Fix, action string) web.FixView {
	v := web.FixView{Label: h.text(r, f.Label), Warning: h.text(r, f.Warning)}
	if f.RetypePassword {
		// The form above is the fix: its password field.
		v.URL = "#password"
		return v
	}
	next := in
	next.host, next.port, next.security = f.Host, strconv.Itoa(f.Port), f.Security.String()
	if f.TrustFingerprint != "" {
		next.trust, next.trustHost = f.TrustFingerprint, app.HostPort(f.Host, f.Port)
	}
	if f.Interval > 0 {
		next.interval = snapInterval(f.Interval)
	}
	retention := "keep"
	if next.deleteAfterDownload {
		retention = "delete"
	}
	v.Action = action + "#results"
	v.Fields = []web.HiddenField{
		{Name: "name", Value: next.name}, {Name: "email", Value: next.email}, {Name: "host", Value: next.host},
		{Name: "port", Value: next.port}, {Name: "security", Value: next.security}, {Name: "username", Value: next.username},
		{Name: "retention", Value: retention}, {Name: "interval", Value: strconv.Itoa(next.interval)},
	}
	v.Fields = append(v.Fields, next.retentionFields()...)
	if next.password != "" {
		token, err := h.sealPassword(currentUser(r).ID, next.server(), next.password)
		if err != nil {
			h.log.Error("sealing a form token", "err", err)
			return web.FixView{}
		}
		v.Fields = append(v.Fields, web.HiddenField{Name: "token", Value: token})
	}
	if trust := next.trustFor(next.host, f.Port); trust != "" {
		v.Fields = append(v.Fields, web.HiddenField{Name: "trust", Value: trust}, web.HiddenField{Name: "trusthost", Value: next.trustHost})
	}
	return v
}

// fixLink is a fix on the settings page: a link to the account's form with
// the change filled in.
func (h *Handler) fixLink(r *http.Request, a db.Account, f diagnose.Fix) web.FixView {
	base := "/settings/accounts/" + strconv.FormatInt(a.ID, 10)
	v := web.FixView{Label: h.text(r, f.Label), Warning: h.text(r, f.Warning)}
	if f.RetypePassword {
		v.URL = base + "#password"
		return v
	}
	if f.TrustFingerprint != "" {
		// Only the test can show the certificate: test from the form.
		return web.FixView{}
	}
	q := url.Values{}
	if f.Host != a.Host {
		q.Set("host", f.Host)
	}
	if f.Port != a.Port {
		q.Set("port", strconv.Itoa(f.Port))
	}
	if s := f.Security.String(); s != a.Security {
		q.Set("security", s)
	}
	if f.Interval > 0 {
		q.Set("interval", strconv.Itoa(snapInterval(f.Interval)))
	}
	if len(q) == 0 {
		return web.FixView{}
	}
	v.URL = base + "?" + q.Encode()
	return v
}

// snapInterval is the shortest offered check interval, in minutes, of at
// least d (the longest when none is long enough).
func snapInterval(d time.Duration) int {
	for _, m := range app.StandardIntervals { // in increasing order
		if m >= d {
			return int(m / time.Minute)
		}
	}
	return int(app.StandardIntervals[len(app.StandardIntervals)-1] / time.Minute)
}

// ---- help ----

// help is the help page, for everyone: it explains POP3 and every
// diagnosis.
func (h *Handler) help(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	title := i18n.T(ctx, "Help")
	var v web.HelpView
	if currentUser(r) != nil {
		chrome, err := h.userChrome(r, title, "")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Chrome = chrome
	} else {
		v.Chrome = h.bareChrome(title)
	}
	for _, t := range diagnose.Topics() {
		v.Topics = append(v.Topics, web.HelpTopicView{Anchor: t.Anchor, Title: h.text(r, t.Title), Body: h.texts(r, t.Body)})
	}
	h.render(w, r, http.StatusOK, web.HelpPage(v))
}
