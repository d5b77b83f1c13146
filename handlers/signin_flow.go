package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/oauth"
	"github.com/apartado/apartado/web"
)

// Signing in with the provider from the account form (OAuth 2.0): the
// form's "Sign in with …" posts the whole form to {scope}/signin (or
// {scope}/{id}/signin for a stored account), which keeps the typed values
// in a pending sign-in and sends the browser to the provider (the code
// flow, back at /oauth/callback) or shows a code to type on another
// device (the device flow, {scope}/signin/{flow}). Either way the browser
// ends at the account form's address with ?signin={flow}, which renders
// the form from the kept values, with the new grant or what went wrong.

const (
	flowCode   = "code"
	flowDevice = "device"
	// signinQuery names the pending sign-in whose form to show.
	signinQuery = "signin"
	// flowTTL is how long a sign-in may take, from the click to the
	// form's coming back; maxFlows bounds the sign-ins under way.
	flowTTL  = 15 * time.Minute
	maxFlows = 1000
	// deviceRefresh is how often, in seconds, the device page reloads.
	deviceRefresh = 3
)

// signinFlow is one sign-in under way.
type signinFlow struct {
	id      string
	session string // the session's token hash: only its browser may use it
	by      int64  // the signed-in user who started it
	owner   int64  // the user the grant is for: the account's owner
	formURL string // the account form it returns to
	form    url.Values
	issuer  string
	name    string // the provider's name, for the pages
	kind    string // flowCode or flowDevice
	expires time.Time

	// The code flow; state is cleared once used.
	state, verifier string
	// The device flow.
	device *oauth.DeviceStart
	cancel context.CancelFunc

	// The outcome, once there is one: the grant, or failure (a message
	// key, with its argument the provider's name).
	done    bool
	grant   int64
	failure string
}

// signinFlows keeps the sign-ins under way in memory, not in the session
// cookie: the form's values, the PKCE verifier and a device sign-in's
// outcome (written by a goroutine) must not travel to the browser, and
// would not fit in a cookie next to the session. A restart loses them,
// which costs one more click on "Sign in".
type signinFlows struct {
	mu    sync.Mutex
	flows map[string]*signinFlow
}

func newSigninFlows() *signinFlows { return &signinFlows{flows: make(map[string]*signinFlow)} }

// add keeps f under a new random ID, dropping expired sign-ins first; when
// maxFlows are under way it refuses.
func (s *signinFlows) add(f *signinFlow, now time.Time) bool {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	f.id = base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, g := range s.flows {
		if now.After(g.expires) {
			s.dropLocked(id, g)
		}
	}
	if len(s.flows) >= maxFlows {
		return false
	}
	s.flows[f.id] = f
	return true
}

func (s *signinFlows) dropLocked(id string, f *signinFlow) {
	if f.cancel != nil {
		f.cancel()
	}
	delete(s.flows, id)
}

// get returns a copy of the sign-in id if it belongs to this session and
// user and has not expired.
func (s *signinFlows) get(id, session string, by int64, now time.Time) (signinFlow, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.flows[id]
	if !ok || !f.belongs(session, by) || now.After(f.expires) {
		return signinFlow{}, false
	}
	return *f, true
}

func (f *signinFlow) belongs(session string, by int64) bool {
	return subtle.ConstantTimeCompare([]byte(f.session), []byte(session)) == 1 && f.by == by
}

// takeState finds the code flow whose state this is, if it belongs to
// this session and user, and uses the state up: a state works once. The
// comparison takes as long for every flow.
func (s *signinFlows) takeState(state, session string, by int64, now time.Time) (signinFlow, bool) {
	if state == "" {
		return signinFlow{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *signinFlow
	for _, f := range s.flows {
		if f.state != "" && subtle.ConstantTimeCompare([]byte(f.state), []byte(state)) == 1 {
			found = f
		}
	}
	if found == nil || now.After(found.expires) || !found.belongs(session, by) {
		return signinFlow{}, false
	}
	found.state = ""
	return *found, true
}

// finish records a sign-in's outcome.
func (s *signinFlows) finish(id string, grant int64, failure string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.flows[id]; ok && !f.done {
		f.done, f.grant, f.failure = true, grant, failure
	}
}

// The messages of a sign-in that did not end with a grant; %s is the
// provider's name.
var (
	failDeclined = i18n.Key("You declined to let Apartado sign in with %s. Sign in again to allow it, or use a password.")
	failExpired  = i18n.Key("The code expired before you signed in. Try again.")
	failClient   = i18n.Key("%s refused Apartado's registration. The household's administrator should check it under Admin → Sign-in providers.")
	failOther    = i18n.Key("Signing in with %s did not work. Try again.")
	failNoURL    = i18n.Key("Signing in on this page needs Apartado's public address, which is not configured. Sign in with a code on another device, or ask the household's administrator to set the public address.")
	failBusy     = i18n.Key("Too many sign-ins are under way. Try again in a few minutes.")
)

// failureOf is the message for a sign-in's error.
func failureOf(err error) string {
	switch {
	case errors.Is(err, oauth.ErrDenied):
		return failDeclined
	case errors.Is(err, oauth.ErrExpired), errors.Is(err, context.DeadlineExceeded):
		return failExpired
	case errors.Is(err, oauth.ErrClient), errors.Is(err, app.ErrNoClient):
		return failClient
	}
	return failOther
}

// startSignIn is the account form's "Sign in with …": it keeps the form
// and starts the flow asked for.
func (h *Handler) startSignIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	formURL := scopeOf(r).base + "/new"
	if chi.URLParam(r, "id") != "" {
		a, _, err := h.loadAccount(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		formURL = accountURL(r, a.ID)
	}
	in := readAccountForm(r)
	offer, ok, err := h.signIns.OfferFor(ctx, in.provider, in.email, in.host)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	kind := r.PostForm.Get("flow")
	if !ok || offer.Issuer != r.PostForm.Get("issuer") || (kind != flowCode && kind != flowDevice) {
		h.badRequest(w, r)
		return
	}
	form := keptForm(r.PostForm)
	f := &signinFlow{session: string(state(r).tokenHash), by: currentUser(r).ID, owner: owner(r).ID, formURL: formURL,
		form: form, issuer: offer.Issuer, name: offer.Name, kind: kind, expires: h.now().Add(flowTTL)}
	failed := func(failure string) {
		f.done, f.failure = true, failure
		if h.keepFlow(w, r, f) {
			redirect(w, r, formURL+"?"+signinQuery+"="+f.id)
		}
	}
	switch {
	case kind == flowCode && (!offer.Code || h.redirectURI == ""):
		failed(failNoURL)
	case kind == flowDevice && !offer.Device:
		h.badRequest(w, r)
	case kind == flowCode:
		st, err := h.signIns.StartCode(ctx, offer.Issuer, h.redirectURI, in.email)
		if err != nil {
			h.log.Warn("starting a sign-in", "user", f.by, "issuer", offer.Issuer, "err", err)
			failed(failureOf(err))
			return
		}
		f.state, f.verifier = st.State, st.Verifier
		if h.keepFlow(w, r, f) {
			redirect(w, r, st.URL)
		}
	default:
		h.startDevice(w, r, f, failed)
	}
}

// keepFlow keeps f among the sign-ins under way, or, when too many are,
// answers so and reports false.
func (h *Handler) keepFlow(w http.ResponseWriter, r *http.Request, f *signinFlow) bool {
	if h.flows.add(f, h.now()) {
		return true
	}
	ctx := r.Context()
	h.errorPage(w, r, http.StatusServiceUnavailable, i18n.T(ctx, "Try again later"), i18n.T(ctx, failBusy))
	return false
}

// startDevice asks the provider for a device code and waits for the
// person's sign-in in the background, until the code expires (or the
// program stops, or the flow is dropped).
func (h *Handler) startDevice(w http.ResponseWriter, r *http.Request, f *signinFlow, failed func(string)) {
	d, err := h.signIns.StartDevice(r.Context(), f.issuer)
	if err != nil {
		h.log.Warn("starting a sign-in with a code", "user", f.by, "issuer", f.issuer, "err", err)
		failed(failureOf(err))
		return
	}
	f.device = d
	wait := flowTTL // the provider's clock, not the handler's: a real wait
	if !d.Expiry.IsZero() && time.Until(d.Expiry) < wait {
		wait = time.Until(d.Expiry)
	}
	ctx, cancel := context.WithTimeout(h.background, wait)
	f.cancel = cancel
	if !h.keepFlow(w, r, f) {
		cancel()
		return
	}
	h.work.Add(1)
	go func(id string, owner int64, issuer string) {
		defer h.work.Done()
		defer cancel()
		g, err := h.signIns.AwaitDevice(ctx, owner, issuer, d)
		if err != nil {
			h.log.Info("a sign-in with a code ended without a grant", "user", owner, "issuer", issuer, "err", err)
			h.flows.finish(id, 0, failureOf(err))
			return
		}
		h.log.Info("signed in with a code", "user", owner, "issuer", issuer, "grant", g.ID)
		h.flows.finish(id, g.ID, "")
	}(f.id, f.owner, f.issuer)
	redirect(w, r, scopeOf(r).base+"/signin/"+f.id)
}

// keptForm is the account form's values to keep during a sign-in: all but
// the passwords (the sign-in replaces them) and the sign-in's own fields.
func keptForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		switch k {
		case "password", "smtp_password", "token", "oauth_grant", "flow", "issuer", "force":
			continue
		}
		out[k] = append([]string(nil), v...)
	}
	return out
}

// deviceSignIn is the device flow's page: the code to type at the
// provider, until the sign-in ends; then the account form.
func (h *Handler) deviceSignIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, ok := h.flows.get(chi.URLParam(r, "flow"), string(state(r).tokenHash), currentUser(r).ID, h.now())
	if !ok || f.kind != flowDevice || f.owner != owner(r).ID {
		h.signinGone(w, r)
		return
	}
	if f.done {
		redirect(w, r, f.formURL+"?"+signinQuery+"="+f.id)
		return
	}
	chrome, err := h.userChrome(r, i18n.T(ctx, "Sign in with %s", f.name), scopeOf(r).section)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	chrome.Refresh = deviceRefresh
	v := web.DeviceSignInView{Chrome: chrome, Name: f.name, UserCode: f.device.UserCode,
		VerificationURI: f.device.VerificationURI, CompleteURI: f.device.VerificationURIComplete, CancelURL: f.formURL}
	h.render(w, r, http.StatusOK, web.DeviceSignInPage(v))
}

// signinGone answers for a sign-in that is not (or no longer) there.
func (h *Handler) signinGone(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	h.errorPage(w, r, http.StatusBadRequest, i18n.T(ctx, "This sign-in is no longer valid"),
		i18n.T(ctx, "It was used already, it took too long, or it was started in another browser. Open the account form and sign in again."))
}

// oauthCallback is where the provider sends the browser back in the code
// flow: it trades the code for a grant and goes back to the form.
func (h *Handler) oauthCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f, ok := h.flows.takeState(q.Get("state"), string(state(r).tokenHash), currentUser(r).ID, h.now())
	if !ok {
		h.log.Warn("a sign-in came back with an unknown state", "user", currentUser(r).ID)
		h.signinGone(w, r)
		return
	}
	back := f.formURL + "?" + signinQuery + "=" + f.id
	if e := q.Get("error"); e != "" {
		failure := failOther
		if e == "access_denied" {
			failure = failDeclined
		}
		h.log.Info("the provider sent a sign-in back without a code", "user", f.by, "issuer", f.issuer, "error", e)
		h.flows.finish(f.id, 0, failure)
		redirect(w, r, back)
		return
	}
	code := q.Get("code")
	if code == "" {
		h.flows.finish(f.id, 0, failOther)
		redirect(w, r, back)
		return
	}
	g, err := h.signIns.FinishCode(ctx, f.owner, f.issuer, h.redirectURI, code, f.verifier)
	if err != nil {
		h.log.Warn("finishing a sign-in", "user", f.by, "issuer", f.issuer, "err", err)
		h.flows.finish(f.id, 0, failureOf(err))
		redirect(w, r, back)
		return
	}
	h.log.Info("signed in with the provider", "user", f.owner, "by", f.by, "issuer", f.issuer, "grant", g.ID)
	h.flows.finish(f.id, g.ID, "")
	redirect(w, r, back)
}

// signinReturn is the account form coming back from a sign-in (the
// ?signin= of the form's address): the kept values with the grant, or
// with what went wrong. ok is false when there is no such sign-in (or it
// has not ended), and the form is shown as usual.
func (h *Handler) signinReturn(r *http.Request) (accountInput, string, bool) {
	id := r.URL.Query().Get(signinQuery)
	if id == "" {
		return accountInput{}, "", false
	}
	f, ok := h.flows.get(id, string(state(r).tokenHash), currentUser(r).ID, h.now())
	if !ok || !f.done || f.owner != owner(r).ID || f.formURL != r.URL.Path {
		return accountInput{}, "", false
	}
	in := readAccountValues(f.form)
	in.grant = f.grant
	failure := ""
	if f.failure != "" {
		failure = i18n.T(r.Context(), f.failure)
		if strings.Contains(f.failure, "%s") {
			failure = i18n.T(r.Context(), f.failure, f.name)
		}
	}
	return in, failure, true
}

// grantID reads the form's oauth_grant.
func grantID(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// signInBox is the account form's part about signing in with the
// provider: the "Sign in with …" buttons when a registered provider
// offers it, what the account is signed in with, or, for a provider that
// accepts nothing else and that nobody registered Apartado with, who must
// do that first. nil when none of it applies.
func (h *Handler) signInBox(r *http.Request, in accountInput, failure string) (*web.SignInBoxView, error) {
	ctx := r.Context()
	offer, offered, err := h.signIns.OfferFor(ctx, in.provider, in.email, in.host)
	if err != nil {
		return nil, err
	}
	b := &web.SignInBoxView{Error: failure}
	if in.grant != 0 {
		g, err := h.signIns.Grant(ctx, owner(r).ID, in.grant)
		if err == nil {
			b.SignedIn, b.Failed, b.Login = true, g.FailedAt != nil, g.Login
			if b.Login == "" {
				b.Login = in.email
			}
			if b.Name, err = h.signIns.IssuerName(ctx, g.Issuer); err != nil {
				return nil, err
			}
		}
	}
	if offered {
		b.Name, b.Issuer = offer.Name, offer.Issuer
		b.Action = scopeOf(r).base + "/signin"
		if m := accountPath(r); m != "" {
			b.Action = m + "/signin"
		}
		switch {
		case offer.Code && h.redirectURI != "":
			b.Flow, b.AlsoDevice, b.ProviderOrigin = flowCode, offer.Device, originOf(offer.AuthURL)
		case offer.Device:
			b.Flow = flowDevice
		}
	}
	if !offered && !b.SignedIn {
		p, _ := discover.ProviderFor(in.email, in.provider)
		if p == nil || !p.OAuthOnly {
			if failure == "" {
				return nil, nil
			}
			return b, nil
		}
		b.Name, b.NotRegistered, b.HelpURL = p.Name, true, signInHelp[p.OAuth]
		if currentUser(r).IsAdmin() {
			b.AdminURL = signInAdminPath
		}
	}
	return b, nil
}

// originOf is an address's scheme://host, "" when it has none.
func originOf(address string) string {
	u, err := url.Parse(address)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// allowSignInForm lets the page's form be sent on to the provider of its
// sign-in box (see appPolicy): only that provider's origin, and only on
// the pages that offer it.
func allowSignInForm(w http.ResponseWriter, b *web.SignInBoxView) {
	if b == nil || b.ProviderOrigin == "" || strings.ContainsAny(b.ProviderOrigin, " ;,'\"") {
		return
	}
	w.Header().Set("Content-Security-Policy", appPolicy(b.ProviderOrigin))
}

// accountPath is the stored account's form address the request is
// under ("" on the new account's pages).
func accountPath(r *http.Request) string {
	id, ok := idParam(r, "id")
	if !ok {
		return ""
	}
	return accountURL(r, id)
}
