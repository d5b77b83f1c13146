package handlers

import (
	"context"
	"errors"
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
	"github.com/apartado/apartado/smtpclient"
	"github.com/apartado/apartado/web"
)

// ---- running the test ----

// testPlan is a connection test ready to run, or the reason it cannot.
type testPlan struct {
	settings diagnose.TestSettings
	opts     diagnose.TestOptions
	// unusable is set when the test cannot even start (the stored password
	// cannot be decrypted): the diagnosis to show instead.
	unusable *diagnose.Diagnosis
	// outgoing is the outgoing server's test, run once the incoming one
	// passed; nil when the account only receives.
	outgoing *testPlan
	// grant is the sign-in whose token the test sends (0: a password),
	// of the user owner.
	grant, owner int64
}

// outgoingStep marks the outgoing server's steps among the test's steps,
// so that the page names them apart from the incoming server's.
const outgoingStep = "smtp-"

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
	switch {
	case in.grant != 0 && in.password == "":
		// Signed in with the provider: its access token, for the outgoing
		// server too when it uses the same sign-in.
		p.opts.Explain.SignedIn = true
		p.grant, p.owner = in.grant, owner(r).ID
		tok, err := h.signIns.Token(r.Context(), owner(r).ID, in.grant, false)
		if err != nil {
			h.log.Info("getting an access token for a test", "user", owner(r).ID, "grant", in.grant, "err", err)
			d := signInDiagnosis(err, p.opts.Explain)
			p.unusable = &d
		}
		p.settings.Token = tok
	case p.settings.Password == "" && a != nil:
		pw, err := h.accounts.Open(*a)
		if err != nil {
			h.log.Error("opening an account's password for a test", "account", a.ID, "err", err)
			d := diagnose.Explain(fmt.Errorf("reading the account's password: %w", err), p.opts.Explain)
			p.unusable = &d
		}
		p.settings.Password = string(pw)
	}
	if s.Outgoing.Configured() {
		p.outgoing = h.planOutgoingTest(in, s, a, p.settings.Password)
		if o := p.outgoing; o.settings.Password == "" && s.Outgoing.SamePassword && s.Outgoing.Auth != db.OutgoingAuthNone && p.settings.Token != "" {
			o.settings.Token, o.opts.Explain.SignedIn = p.settings.Token, true
		}
	}
	return p
}

// signInDiagnosis explains a failure to get a sign-in's access token (see
// app.SignInFailure), or any other failure as such.
func signInDiagnosis(err error, in diagnose.Input) diagnose.Diagnosis {
	if kind, ok := app.SignInFailure(err); ok {
		return diagnose.ExplainRecorded(kind, "", err.Error(), in)
	}
	return diagnose.Explain(fmt.Errorf("getting an access token: %w", err), in)
}

// planOutgoingTest prepares the outgoing server's test: with its typed
// password, its stored one, or the incoming one (which the rules allow
// only for a server of the same provider), and no password at all when
// it needs no signing in.
func (h *Handler) planOutgoingTest(in accountInput, s db.AccountSettings, a *db.Account, incoming string) *testPlan {
	o := s.Outgoing
	sec, _ := pop3client.ParseSecurity(o.Security)
	user := o.Username
	if user == "" {
		user = s.Username
	}
	p := &testPlan{
		settings: diagnose.TestSettings{Host: o.Host, Port: o.Port, Security: sec, Username: user, TrustedFingerprint: o.TrustedCert},
		opts: diagnose.TestOptions{Resolver: h.resolver, Dialer: h.dialer, ExtraRootCAs: h.extraRootCAs, Timeout: h.outgoingTestTimeout(),
			Explain: h.explainInput(s.Email, o.Host, o.Port, o.Security, s.PollInterval)},
	}
	p.opts.Explain.Now = h.now()
	switch {
	case o.Auth == db.OutgoingAuthNone:
		p.settings.Username = ""
	case in.smtpPassword != "":
		p.settings.Password = in.smtpPassword
	case o.SamePassword:
		p.settings.Password = incoming
	case a != nil:
		pw, err := h.accounts.OutgoingPassword(*a)
		if err != nil {
			h.log.Error("opening an account's outgoing password for a test", "account", a.ID, "err", err)
			d := diagnose.Explain(fmt.Errorf("reading the account's password: %w", err), p.opts.Explain)
			p.unusable = &d
		}
		p.settings.Password = pw
	}
	return p
}

// outgoingTestTimeout bounds each step of an outgoing server's test: the
// test's own bound, or the sender's SMTP timeout when that is shorter.
func (h *Handler) outgoingTestTimeout() time.Duration {
	t := h.testTimeout
	if t <= 0 {
		t = diagnose.DefaultTestTimeout
	}
	if h.smtpTimeout > 0 && h.smtpTimeout < t {
		t = h.smtpTimeout
	}
	return t
}

// explainInput is what a diagnosis knows about an account: its settings
// and its provider.
func (h *Handler) explainInput(email, host string, port int, security string, interval time.Duration) diagnose.Input {
	return app.ExplainInput(email, host, port, security, interval, h.now())
}

// run runs the test, reporting each step to report: the incoming
// server's, then, when it passed, the outgoing server's (their steps named
// with outgoingStep before them).
func (h *Handler) run(ctx context.Context, p testPlan, report func(diagnose.StepResult)) diagnose.Result {
	if p.unusable != nil {
		return diagnose.Result{Diagnosis: p.unusable}
	}
	ctx, cancel := context.WithTimeout(ctx, maxTestDuration)
	defer cancel()
	res := h.runIncoming(ctx, p, report)
	if !res.OK || p.outgoing == nil {
		return res
	}
	if p.outgoing.unusable != nil {
		return diagnose.Result{Steps: res.Steps, Diagnosis: p.outgoing.unusable}
	}
	mark := func(s diagnose.StepResult) diagnose.StepResult {
		s.Step = outgoingStep + s.Step
		return s
	}
	out := h.testSMTP(ctx, p.outgoing.settings, p.outgoing.opts, func(s diagnose.StepResult) {
		if report != nil {
			report(mark(s))
		}
	})
	for _, s := range out.Steps {
		res.Steps = append(res.Steps, mark(s))
	}
	res.SMTP = out.SMTP
	if !out.OK {
		res.OK, res.Diagnosis, res.Err = false, out.Diagnosis, out.Err
	}
	return res
}

// runIncoming runs the incoming server's test.
func (h *Handler) runIncoming(ctx context.Context, p testPlan, report func(diagnose.StepResult)) diagnose.Result {
	res := h.testConn(ctx, p.settings, p.opts, report)
	if !res.OK && p.grant != 0 && pop3client.KindOf(res.Err) == pop3client.KindAuthFailed {
		// The server refused the token: renewing it tells a sign-in the
		// provider withdrew (sign in again) from a mailbox that refuses
		// sign-ins (the diagnosis as it is). The next test sends the new one.
		if _, err := h.signIns.Token(ctx, p.owner, p.grant, true); err != nil {
			h.log.Info("renewing a refused access token for a test", "user", p.owner, "grant", p.grant, "err", err)
			if kind, ok := app.SignInFailure(err); ok && kind != diagnose.KindSignInUnavailable {
				d := signInDiagnosis(err, p.opts.Explain)
				res.Diagnosis = &d
			}
		}
		return res
	}
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
// nil when the test passed, else the test's result to show, and what the
// outgoing server offered when its test passed (for keepOffers, once the
// account is saved).
func (h *Handler) testBeforeSave(r *http.Request, in accountInput, s db.AccountSettings, a *db.Account) (*web.TestResultView, *smtpclient.Capabilities) {
	res := h.run(r.Context(), h.planTest(r, in, s, a), nil)
	if res.OK {
		return nil, res.SMTP
	}
	h.log.Info("connection test before saving failed", "user", currentUser(r).ID, "host", s.Host, "err", res.Err)
	v := &web.TestResultView{}
	for _, st := range res.Steps {
		v.Steps = append(v.Steps, h.stepView(r, st))
	}
	v.Outcome = h.outcomeView(r, res, in, a)
	v.Outcome.SaveAnyway = true
	return v, nil
}

// keepOffers keeps what the outgoing server server offered in a test
// (nil: its test did not get that far) for the user's account id, if that
// is the account's outgoing server: the outbox checks messages against it.
func (h *Handler) keepOffers(r *http.Request, id int64, server db.Outgoing, offered *smtpclient.Capabilities) {
	if offered == nil || !server.Configured() {
		return
	}
	if err := h.accounts.RecordOffers(r.Context(), owner(r).ID, id, server, *offered, h.now()); err != nil {
		h.log.Error("keeping what the outgoing server offers", "account", id, "err", err)
	}
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
	label := h.text(r, diagnose.StepLabel(s.Step))
	if step, ok := strings.CutPrefix(string(s.Step), outgoingStep); ok {
		label = i18n.T(r.Context(), "Outgoing server: %s", h.text(r, diagnose.StepLabel(diagnose.Step(step))))
	}
	return web.TestStepView{Step: string(s.Step), Label: label, OK: s.OK,
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
	action := scopeOf(r).base + "/test"
	if a != nil {
		action = accountURL(r, a.ID) + "/test"
	}
	outgoing := false
	var se *smtpclient.Error
	if errors.As(res.Err, &se) {
		outgoing = true
	}
	dv := h.diagnosisView(r, *d, func(f diagnose.Fix) web.FixView { return h.fixForm(r, in, f, action, outgoing) })
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
//
// A fix for the outgoing server changes its fields instead; trusting its
// certificate is not offered from here yet.
func (h *Handler) fixForm(r *http.Request, in accountInput, f diagnose.Fix, action string, outgoing bool) web.FixView {
	v := web.FixView{Label: h.text(r, f.Label), Warning: h.text(r, f.Warning)}
	if f.SignIn {
		// The form above is the fix: its "Sign in with …".
		v.URL = "#signin"
		return v
	}
	if f.RetypePassword {
		// The form above is the fix: its password field.
		v.URL = "#password"
		if outgoing {
			v.URL = "#smtp_password"
		}
		return v
	}
	next := in
	switch {
	case outgoing && f.TrustFingerprint != "":
		return web.FixView{}
	case outgoing:
		next.smtpHost, next.smtpPort, next.smtpSecurity = f.Host, strconv.Itoa(f.Port), f.Security.String()
	default:
		next.host, next.port, next.security = f.Host, strconv.Itoa(f.Port), f.Security.String()
	}
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
	v.Fields = append(v.Fields, next.keptFields()...)
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
	base := accountURL(r, a.ID)
	v := web.FixView{Label: h.text(r, f.Label), Warning: h.text(r, f.Warning)}
	if f.SignIn {
		v.URL = base + "#signin"
		return v
	}
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
