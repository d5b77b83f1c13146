package web

import (
	"context"

	"github.com/apartado/apartado/i18n"
)

// The administrator's pages, for the tabs that lead from one to the other.
const (
	AdminTabUsers   = "users"
	AdminTabSignIns = "sign-in"
)

// AdminSignInView is the administrator's page of sign-in providers: the
// providers Apartado can be registered with (OAuth), each with its
// registration and the form that changes it.
type AdminSignInView struct {
	Chrome
	Notice string
	// RedirectURI is the address providers send the browser back to, to
	// register with them; "" when the public URL is not configured, so
	// that only the device code can work.
	RedirectURI string
	Providers   []SignInProviderView
}

// SignInProviderView is one provider's card.
type SignInProviderView struct {
	Issuer     string // its ID, the card's anchor and the form's issuer field
	Name       string // translated for the generic provider
	Custom     bool   // the generic provider: its endpoints, scopes and servers are the administrator's
	CustomName string // the generic provider's name, once registered
	Registered bool
	ClientID   string // as registered
	HasSecret  bool
	// Code and Device are the ways it offers to sign in: by redirect, and
	// with a code typed on another device.
	Code, Device bool
	// NeedsPublicURL: it signs in by redirect only, which needs the
	// public URL that is not configured.
	NeedsPublicURL bool
	HelpURL        string // the help's steps for registering with it
	Form           SignInProviderForm
	// Open shows the form: it was sent back with problems.
	Open  bool
	Error string // why the form was not saved
}

// SignInProviderForm is a provider's registration form: what is
// registered, or what was typed (never the secret); the *Error fields say
// what is wrong.
type SignInProviderForm struct {
	ClientID     string
	RemoveSecret bool
	// The generic provider's.
	Name, AuthURL, TokenURL, DeviceURL, Scopes, Hosts string

	ClientIDError, SecretError, NameError, AuthURLError, TokenURLError, DeviceURLError, ScopesError, HostsError string
}

// secretHint says what a blank client secret does.
func secretHint(ctx context.Context, saved bool) string {
	if saved {
		return i18n.T(ctx, "A secret is saved: leave this blank to keep it.")
	}
	return i18n.T(ctx, "Leave it blank if the provider gave none (a public client).")
}
