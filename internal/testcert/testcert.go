// Package testcert makes certificates for tests: certificate authorities,
// server certificates signed by them, and self-signed ones, with the names,
// dates and CA flag a test asks for. It is only for tests.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// Spec describes a certificate.
type Spec struct {
	CommonName   string
	Organization string
	DNSNames     []string
	IPs          []net.IP
	NotBefore    time.Time // zero: an hour ago
	NotAfter     time.Time // zero: a day from now
	// IsCA marks it CA:TRUE with the certificate-signing key usage (a CA,
	// or a self-signed certificate made the way "openssl req -x509" does).
	IsCA bool
}

// Cert is a certificate with its key.
type Cert struct {
	TLS  tls.Certificate
	X509 *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// New makes the certificate s describes, signed by parent, or self-signed
// when parent is nil. A certificate that is not a CA is for TLS servers.
func New(tb testing.TB, s Spec, parent *Cert) *Cert {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		tb.Fatal(err)
	}
	if s.NotBefore.IsZero() {
		s.NotBefore = time.Now().Add(-time.Hour)
	}
	if s.NotAfter.IsZero() {
		s.NotAfter = time.Now().Add(24 * time.Hour)
	}
	subject := pkix.Name{CommonName: s.CommonName}
	if s.Organization != "" {
		subject.Organization = []string{s.Organization}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		DNSNames:              s.DNSNames,
		IPAddresses:           s.IPs,
		NotBefore:             s.NotBefore,
		NotAfter:              s.NotAfter,
		BasicConstraintsValid: true,
		IsCA:                  s.IsCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if s.IsCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.X509, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, &key.PublicKey, signerKey)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &Cert{TLS: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, X509: cert, Key: key}
}

// Pool returns a pool holding c.
func (c *Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.X509)
	return p
}
