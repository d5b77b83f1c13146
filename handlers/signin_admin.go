package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// signInAdminPath is the administrator's page of sign-in providers, where
// Apartado is registered with the providers that sign people in (OAuth).
const signInAdminPath = "/admin/sign-in"

// signInHelp is the help's section on registering with each issuer.
var signInHelp = map[string]string{
	discover.IssuerMicrosoft:     "/help#oauth-microsoft",
	discover.IssuerMicrosoftWork: "/help#oauth-microsoft",
	discover.IssuerGoogle:        "/help#oauth-google",
	discover.IssuerYahoo:         "/help#oauth-yahoo",
	discover.IssuerAOL:           "/help#oauth-yahoo",
	discover.IssuerCustom:        "/help#oauth-other",
}

// signInPost is a provider's form sent back with its problems: what was
// typed (the secret aside) and what is wrong.
type signInPost struct {
	in           app.ClientInput
	removeSecret bool
	inv          *app.Invalid
}

func (h *Handler) signInAdmin(w http.ResponseWriter, r *http.Request) {
	v, err := h.signInView(r, nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Notice = doneNotice(r)
	h.render(w, r, http.StatusOK, web.AdminSignInPage(v))
}

// signInView builds the page; post, when not nil, is the form sent back
// with its problems, shown in its provider's card.
func (h *Handler) signInView(r *http.Request, post *signInPost) (web.AdminSignInView, error) {
	ctx := r.Context()
	regs, err := h.signIns.Registrations(ctx)
	if err != nil {
		return web.AdminSignInView{}, err
	}
	chrome, err := h.userChrome(r, i18n.T(ctx, "Sign-in providers"), web.SectionAdmin)
	if err != nil {
		return web.AdminSignInView{}, err
	}
	v := web.AdminSignInView{Chrome: chrome, RedirectURI: h.redirectURI}
	for _, reg := range regs {
		p := providerView(ctx, reg, v.RedirectURI == "")
		if post != nil && post.in.Issuer == p.Issuer {
			p.Form, p.Open = postedForm(ctx, post), true
			p.Error = i18n.T(ctx, "The registration was not saved.")
		}
		v.Providers = append(v.Providers, p)
	}
	return v, nil
}

// providerView is a provider's card, its form holding the registration.
func providerView(ctx context.Context, reg app.Registration, noPublicURL bool) web.SignInProviderView {
	is, c := reg.Issuer, reg.Custom
	p := web.SignInProviderView{
		Issuer: is.ID, Name: is.Name, Registered: reg.Registered, ClientID: reg.ClientID, HasSecret: reg.HasSecret,
		Code: is.Code(), Device: is.Device(), HelpURL: signInHelp[is.ID],
		Form: web.SignInProviderForm{ClientID: reg.ClientID, Name: c.Name, AuthURL: c.AuthURL, TokenURL: c.TokenURL,
			DeviceURL: c.DeviceAuthURL, Scopes: strings.Join(c.Scopes, " "), Hosts: strings.Join(c.Hosts, " ")},
	}
	if is.ID == discover.IssuerCustom {
		p.Custom, p.Name, p.CustomName = true, i18n.T(ctx, "Generic OAuth provider"), c.Name
	}
	p.NeedsPublicURL = noPublicURL && p.Code && !p.Device
	return p
}

// postedForm is the form as it was typed, with its problems.
func postedForm(ctx context.Context, post *signInPost) web.SignInProviderForm {
	in, inv := post.in, post.inv
	return web.SignInProviderForm{
		ClientID: in.ClientID, RemoveSecret: post.removeSecret,
		Name: in.Name, AuthURL: in.AuthURL, TokenURL: in.TokenURL, DeviceURL: in.DeviceAuthURL, Scopes: in.Scopes, Hosts: in.Hosts,
		ClientIDError:  problemOn(ctx, inv, app.FieldClientID),
		SecretError:    problemOn(ctx, inv, app.FieldClientSecret),
		NameError:      problemOn(ctx, inv, app.FieldClientName),
		AuthURLError:   problemOn(ctx, inv, app.FieldAuthURL),
		TokenURLError:  problemOn(ctx, inv, app.FieldTokenURL),
		DeviceURLError: problemOn(ctx, inv, app.FieldDeviceURL),
		ScopesError:    problemOn(ctx, inv, app.FieldScopes),
		HostsError:     problemOn(ctx, inv, app.FieldHosts),
	}
}

// clientInput is a provider's form as posted. The generic provider's
// description is read for it alone.
func clientInput(form url.Values) (app.ClientInput, bool) {
	remove := form.Get("remove_secret") == "on"
	in := app.ClientInput{
		Issuer: form.Get(app.FieldClientIssuer), ClientID: form.Get(app.FieldClientID),
		Secret: form.Get(app.FieldClientSecret), KeepSecret: !remove,
	}
	if in.Issuer == discover.IssuerCustom {
		in.Name, in.AuthURL, in.TokenURL = form.Get(app.FieldClientName), form.Get(app.FieldAuthURL), form.Get(app.FieldTokenURL)
		in.DeviceAuthURL, in.Scopes, in.Hosts = form.Get(app.FieldDeviceURL), form.Get(app.FieldScopes), form.Get(app.FieldHosts)
	}
	return in, remove
}

// saveSignIn registers Apartado with a provider, or changes its
// registration. A blank secret keeps the saved one unless the form asks
// to remove it.
func (h *Handler) saveSignIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	in, remove := clientInput(r.PostForm)
	if !discover.KnownIssuer(in.Issuer) {
		h.badRequest(w, r)
		return
	}
	err := h.signIns.SaveClient(ctx, in)
	if inv, ok := app.AsInvalid(err); ok {
		v, err := h.signInView(r, &signInPost{in: in, removeSecret: remove, inv: inv})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, web.AdminSignInPage(v))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("sign-in provider registered", "by", currentUser(r).Name, "issuer", in.Issuer)
	redirect(w, r, signInAdminPath+"?done="+doneSignInSaved+"#"+in.Issuer)
}

// removeSignIn removes the registration with a provider. Its sign-ins
// stay, but cannot be renewed until it is registered again.
func (h *Handler) removeSignIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	issuer := r.PostForm.Get(app.FieldClientIssuer)
	if !discover.KnownIssuer(issuer) {
		h.badRequest(w, r)
		return
	}
	if err := h.signIns.DeleteClient(r.Context(), issuer); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("sign-in provider removed", "by", currentUser(r).Name, "issuer", issuer)
	redirect(w, r, signInAdminPath+"?done="+doneSignInRemoved+"#"+issuer)
}
