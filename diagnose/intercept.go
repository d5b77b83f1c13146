package diagnose

import (
	"regexp"
	"strings"

	"github.com/apartado/apartado/pop3client"
)

// interceptors match the issuers of certificates made by antivirus programs
// and TLS-inspecting proxies and firewalls, which decrypt connections to
// look inside. The name is what Interceptor reports.
var interceptors = []struct {
	name string
	re   *regexp.Regexp
}{
	{"Avast", regexp.MustCompile(`(?i)\bavast\b`)},
	{"AVG", regexp.MustCompile(`(?i)\bavg\b`)},
	{"Kaspersky", regexp.MustCompile(`(?i)kaspersky`)},
	{"ESET", regexp.MustCompile(`(?i)\beset\b`)},
	{"Bitdefender", regexp.MustCompile(`(?i)bitdefender`)},
	{"Norton", regexp.MustCompile(`(?i)\bnorton\b`)},
	{"Symantec", regexp.MustCompile(`(?i)symantec`)},
	{"McAfee", regexp.MustCompile(`(?i)mcafee`)},
	{"Sophos", regexp.MustCompile(`(?i)sophos`)},
	{"Fortinet", regexp.MustCompile(`(?i)fortinet|fortigate`)},
	{"Zscaler", regexp.MustCompile(`(?i)zscaler`)},
	{"Palo Alto Networks", regexp.MustCompile(`(?i)palo\s*alto`)},
	{"Cisco Umbrella", regexp.MustCompile(`(?i)cisco\s+umbrella|opendns`)},
	{"Netskope", regexp.MustCompile(`(?i)netskope`)},
	{"Blue Coat", regexp.MustCompile(`(?i)blue\s*coat`)},
	{"Untangle", regexp.MustCompile(`(?i)untangle`)},
	{"pfSense", regexp.MustCompile(`(?i)pfsense`)},
	{"Web Shield", regexp.MustCompile(`(?i)web\s*shield`)},
	{"Mail Shield", regexp.MustCompile(`(?i)mail\s*shield`)},
	{"SSL scanning", regexp.MustCompile(`(?i)ssl[\s-]*scan`)},
}

// Interceptor returns the antivirus or proxy product that seems to have
// issued cert, or "" if its issuer looks like none of them.
func Interceptor(cert *pop3client.CertInfo) string {
	if cert == nil {
		return ""
	}
	issuer := strings.Join([]string{cert.Issuer, cert.IssuerCommonName, cert.IssuerOrganization}, " ")
	for _, ic := range interceptors {
		if ic.re.MatchString(issuer) {
			return ic.name
		}
	}
	return ""
}

// issuerName is how a certificate's issuer is named to people: its common
// name, else its organization, else the whole distinguished name.
func issuerName(c *pop3client.CertInfo) string {
	switch {
	case c.IssuerCommonName != "" && c.IssuerOrganization != "" && !strings.Contains(c.IssuerCommonName, c.IssuerOrganization):
		return c.IssuerCommonName + " (" + c.IssuerOrganization + ")"
	case c.IssuerCommonName != "":
		return c.IssuerCommonName
	case c.IssuerOrganization != "":
		return c.IssuerOrganization
	}
	return c.Issuer
}

// FormatFingerprint writes a hex SHA-256 fingerprint as colon-separated
// upper-case pairs, as certificate viewers show it.
func FormatFingerprint(fp string) string {
	fp = strings.ToUpper(pop3client.NormalizeFingerprint(fp))
	var b strings.Builder
	for i := 0; i < len(fp); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(fp[i:min(i+2, len(fp))])
	}
	return b.String()
}
