package pop3client

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"time"
)

// This file holds what smtpclient shares with this package, so that both
// protocols check certificates and name network and certificate failures
// the same way: one pinning rule, one set of kinds for diagnose to explain.

// ClassifyNetError maps an error from resolving, dialing, reading or
// writing to a Kind (host not found, refused, timeout, …). It knows nothing
// of TLS or of any protocol.
func ClassifyNetError(err error) Kind { return classifyNetErr(err) }

// VerifyingTLSConfig returns a TLS client configuration, based on a clone
// of base (which may be nil), that verifies the server's certificate for
// serverName (unless base names one) against the system roots (or
// base.RootCAs) plus extraRoots, and accepts a certificate whose SHA-256
// fingerprint is among pins whatever its issuer, name or dates. TLS 1.2 is
// the minimum. A failed verification is reported so that ClassifyTLSError
// finds the certificate.
func VerifyingTLSConfig(base *tls.Config, serverName string, extraRoots []*x509.Certificate, pins []string) *tls.Config {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	roots := cfg.RootCAs
	if roots == nil {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
	} else if len(extraRoots) > 0 {
		roots = roots.Clone()
	}
	for _, ca := range extraRoots {
		roots.AddCert(ca)
	}
	pinned := make(map[string]bool, len(pins))
	for _, fp := range pins {
		pinned[NormalizeFingerprint(fp)] = true
	}
	name := cfg.ServerName
	// Verification is done here rather than by crypto/tls so that a pinned
	// certificate can be accepted and so that the x509 error (with the
	// certificate) reaches ClassifyTLSError unchanged.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("tls: server sent no certificate")
		}
		leaf := cs.PeerCertificates[0]
		sum := sha256.Sum256(leaf.Raw)
		if pinned[hex.EncodeToString(sum[:])] {
			return nil
		}
		inter := x509.NewCertPool()
		for _, cert := range cs.PeerCertificates[1:] {
			inter.AddCert(cert)
		}
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter})
		if err != nil {
			return &certError{cert: leaf, err: err}
		}
		return nil
	}
	return cfg
}

// ClassifyTLSError names the cause of a failed TLS handshake made with a
// VerifyingTLSConfig: a certificate problem (with the certificate), a TLS
// version older than 1.2, a timeout or cancellation, or else
// KindTLSHandshake. Bytes that were not TLS at all (a tls.RecordHeaderError)
// are the caller's to interpret: they come out as KindTLSHandshake here.
func ClassifyTLSError(err error) (Kind, *CertInfo) {
	var (
		ce       *certError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		opErr    *net.OpError
		info     *CertInfo
	)
	if errors.As(err, &ce) {
		info = NewCertInfo(ce.cert)
	}
	orCert := func(c *x509.Certificate) *CertInfo {
		if info != nil {
			return info
		}
		return NewCertInfo(c)
	}
	switch {
	case errors.As(err, &unknown):
		return KindUnknownAuthority, orCert(unknown.Cert)
	case errors.As(err, &hostname):
		return KindCertificateName, orCert(hostname.Certificate)
	case errors.As(err, &invalid):
		if invalid.Reason == x509.Expired && invalid.Cert != nil && time.Now().After(invalid.Cert.NotAfter) {
			return KindCertificateExpired, orCert(invalid.Cert)
		}
		return KindCertificateInvalid, orCert(invalid.Cert)
	case strings.Contains(err.Error(), "unsupported protocol version"),
		errors.As(err, &opErr) && opErr.Op == "remote error" && strings.Contains(opErr.Err.Error(), "protocol version"):
		// Go reports "tls: server selected unsupported protocol version 301"
		// when the server answers with TLS 1.0/1.1, and a remote
		// protocol_version alert when it cannot answer at all.
		return KindTLSVersion, info
	}
	if k := classifyNetErr(err); k == KindTimeout || k == KindCanceled {
		return k, info
	}
	return KindTLSHandshake, info
}
