package app

import (
	"strings"

	"github.com/apartado/apartado/db"
)

// ChangedFields says what saving in over the stored account changes, as
// the account's owner is told when an administrator saved it: codes of
// db.AccountChange's Fields, in the order of the form. settings are what
// AccountSettings made of in.
func ChangedFields(stored db.Account, settings db.AccountSettings, in AccountInput) []string {
	var out []string
	add := func(changed bool, code string) {
		if changed {
			out = append(out, code)
		}
	}
	add(settings.Name != stored.Name, "name")
	add(settings.Email != stored.Email, "email")
	add(!strings.EqualFold(settings.Host, stored.Host) || settings.Port != stored.Port || settings.Security != stored.Security, "server")
	add(settings.Username != stored.Username, "username")
	add(in.Password != "", "password")
	add(settings.OAuthGrant != stored.OAuthGrant && settings.OAuthGrant != 0, "signin")
	add(settings.TrustedCert != stored.TrustedCert, "certificate")
	add(settings.DeleteAfterDownload != stored.DeleteAfterDownload || settings.DeleteAfterDays != stored.DeleteAfterDays ||
		settings.DeleteWhenDeleted != stored.DeleteWhenDeleted, "retention")
	add(settings.PollInterval != stored.PollInterval, "interval")
	so, o := stored.Outgoing, settings.Outgoing
	outgoing := o.Host != so.Host
	if o.Configured() && so.Configured() {
		outgoing = outgoing || o.Port != so.Port || o.Security != so.Security || o.Auth != so.Auth || o.Username != so.Username ||
			o.SamePassword != so.SamePassword || o.TrustedCert != so.TrustedCert || in.Outgoing.Password != ""
	}
	add(outgoing, "outgoing")
	add(strings.TrimSpace(in.DisplayName) != stored.DisplayName || cleanSignature(in.Signature) != stored.Signature, "identity")
	return out
}
