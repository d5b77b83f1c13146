package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
)

// InputOf is a stored account as the input that would store it again,
// which an edit changes only where asked: its password "" (kept while the
// server and user name stay), its trusted certificate bound to its server.
func InputOf(a db.Account) AccountInput {
	in := AccountInput{
		Name: a.Name, Email: a.Email, Host: a.Host, Port: a.Port, Security: a.Security, Username: a.Username,
		DeleteAfterDownload: a.DeleteAfterDownload, DeleteAfterDays: a.DeleteAfterDays, WhenDeleted: string(a.DeleteWhenDeleted),
		Interval: a.PollInterval, DisplayName: a.DisplayName, Signature: a.Signature, OAuthGrant: a.OAuthGrant,
	}
	if a.TrustedCert != "" {
		in.TrustedCert, in.TrustedFor = a.TrustedCert, HostPort(a.Host, a.Port)
	}
	if o := a.Outgoing; o.Configured() {
		in.Outgoing = OutgoingInput{Host: o.Host, Port: o.Port, Security: o.Security, Auth: o.Auth, Username: o.Username}
	}
	return in
}

// CheckTrustedCert connects to the server of validated settings (see
// AccountSettings) as a check does, up to its TLS handshake, and reports
// whether the certificate it presents is the one they trust: a Problem on
// FieldTrust naming the server's own fingerprint when it is another, an
// error when the server could not be asked. Nothing is sent but QUIT.
// Settings that trust no certificate pass.
func CheckTrustedCert(ctx context.Context, s db.AccountSettings, opts pop3client.Options) error {
	want := pop3client.NormalizeFingerprint(s.TrustedCert)
	if want == "" {
		return nil
	}
	sec, bad := parseSecurityWord(s.Security)
	if bad || sec == pop3client.SecurityNone {
		return (problems{{Field: FieldTrust, Key: i18n.Key("Only a connection with SSL/TLS or STARTTLS has a certificate to trust.")}}).err()
	}
	addr := HostPort(s.Host, s.Port)
	opts.Security = sec
	opts.TrustedFingerprints = []string{want}
	c, err := pop3client.Dial(ctx, addr, &opts)
	var pe *pop3client.Error
	if errors.As(err, &pe) && pe.Cert != nil && pe.Cert.SHA256 != "" && pe.Cert.SHA256 != want {
		return mismatch(pe.Cert.SHA256)
	}
	if err != nil {
		return fmt.Errorf("checking the certificate of %s: %w", addr, err)
	}
	got := ""
	if st, ok := c.TLSConnectionState(); ok && len(st.PeerCertificates) > 0 {
		got = pop3client.NewCertInfo(st.PeerCertificates[0]).SHA256
	}
	if qerr := c.Quit(ctx); qerr != nil && got == "" {
		return fmt.Errorf("checking the certificate of %s: %w", addr, qerr)
	}
	if got != want {
		return mismatch(got)
	}
	return nil
}

// mismatch is the problem of a fingerprint that is not the server's.
func mismatch(server string) error {
	return (problems{{Field: FieldTrust, Key: i18n.Key("The server's certificate has the SHA-256 fingerprint %s, not this one. Check that you copied the right one, from a connection you trust."),
		Args: []any{diagnose.FormatFingerprint(server)}}}).err()
}
