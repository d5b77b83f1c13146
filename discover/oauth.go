package discover

import (
	"slices"

	"github.com/apartado/apartado/oauth"
)

// The issuers of the providers that let mail programs sign in on their
// own page (OAuth 2.0) instead of with a password. Provider.OAuth names
// one. Sources, checked in 2026: Microsoft identity platform
// (learn.microsoft.com "Authenticate an IMAP, POP or SMTP connection using
// OAuth"), Google (developers.google.com/gmail/imap/xoauth2-protocol, "OAuth
// 2.0 for TV and Limited-Input Device Applications": the mail scope is not
// among those the device flow allows), and the Thunderbird OAuth2Providers
// table for Yahoo and AOL.
const (
	IssuerMicrosoft     = "microsoft"      // personal accounts: Outlook.com, Hotmail, Live
	IssuerMicrosoftWork = "microsoft-work" // work or school accounts: Microsoft 365
	IssuerGoogle        = "google"
	IssuerYahoo         = "yahoo"
	IssuerAOL           = "aol"
	// IssuerCustom is a provider the administrator describes: its
	// endpoints, scopes and mail servers are stored with its client.
	IssuerCustom = "custom"
)

// Microsoft's scopes for POP3 and SMTP, offline_access for a refresh
// token, and openid with profile for an ID token naming who signed in
// (preferred_username); Microsoft's own libraries ask for these three
// with every request.
var microsoftScopes = []string{
	"https://outlook.office.com/POP.AccessAsUser.All",
	"https://outlook.office.com/SMTP.Send",
	"offline_access", "openid", "profile",
}

func microsoft(id, name, tenant string) oauth.Issuer {
	base := "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/"
	return oauth.Issuer{ID: id, Name: name, AuthURL: base + "authorize", TokenURL: base + "token",
		DeviceAuthURL: base + "devicecode", Scopes: microsoftScopes}
}

var issuers = []oauth.Issuer{
	microsoft(IssuerMicrosoft, "Microsoft", "consumers"),
	microsoft(IssuerMicrosoftWork, "Microsoft 365", "organizations"),
	{
		ID: IssuerGoogle, Name: "Google",
		AuthURL:  "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL: "https://oauth2.googleapis.com/token",
		// openid and email: an ID token naming the address signed in.
		Scopes: []string{"https://mail.google.com/", "openid", "email"},
		// A refresh token only with access_type=offline, and again on a
		// second sign-in only with prompt=consent.
		AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
	},
	{
		ID: IssuerYahoo, Name: "Yahoo",
		AuthURL:  "https://api.login.yahoo.com/oauth2/request_auth",
		TokenURL: "https://api.login.yahoo.com/oauth2/get_token",
		Scopes:   []string{"mail-w"},
	},
	{
		ID: IssuerAOL, Name: "AOL",
		AuthURL:  "https://api.login.aol.com/oauth2/request_auth",
		TokenURL: "https://api.login.aol.com/oauth2/get_token",
		Scopes:   []string{"mail-w"},
	},
}

// Issuers lists the known issuers (not IssuerCustom), as copies.
func Issuers() []oauth.Issuer {
	out := make([]oauth.Issuer, len(issuers))
	for i, is := range issuers {
		out[i] = copyIssuer(is)
	}
	return out
}

// LookupIssuer is the known issuer with that ID.
func LookupIssuer(id string) (oauth.Issuer, bool) {
	i := slices.IndexFunc(issuers, func(is oauth.Issuer) bool { return is.ID == id })
	if i < 0 {
		return oauth.Issuer{}, false
	}
	return copyIssuer(issuers[i]), true
}

// KnownIssuer reports whether Apartado can be registered with issuer: one
// of the table's, or IssuerCustom.
func KnownIssuer(id string) bool {
	_, ok := LookupIssuer(id)
	return ok || id == IssuerCustom
}

func copyIssuer(is oauth.Issuer) oauth.Issuer {
	is.Scopes = slices.Clone(is.Scopes)
	if is.AuthParams != nil {
		m := make(map[string]string, len(is.AuthParams))
		for k, v := range is.AuthParams {
			m[k] = v
		}
		is.AuthParams = m
	}
	return is
}
