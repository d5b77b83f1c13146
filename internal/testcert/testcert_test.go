package testcert

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestChainAndSelfSigned(t *testing.T) {
	ca := New(t, Spec{CommonName: "Test CA", Organization: "Org", IsCA: true}, nil)
	leaf := New(t, Spec{CommonName: "pop.test", DNSNames: []string{"pop.test"}}, ca)
	if _, err := leaf.X509.Verify(x509.VerifyOptions{DNSName: "pop.test", Roots: ca.Pool()}); err != nil {
		t.Fatalf("leaf does not verify against its CA: %v", err)
	}
	if leaf.X509.Issuer.CommonName != "Test CA" || leaf.X509.IsCA {
		t.Fatalf("issuer %q, IsCA %v", leaf.X509.Issuer.CommonName, leaf.X509.IsCA)
	}
	old := New(t, Spec{CommonName: "old", DNSNames: []string{"old"}, NotBefore: time.Now().Add(-48 * time.Hour),
		NotAfter: time.Now().Add(-24 * time.Hour)}, nil)
	if old.X509.CheckSignatureFrom(old.X509) == nil {
		t.Fatal("a non-CA self-signed certificate passed CheckSignatureFrom itself")
	}
	if old.X509.CheckSignature(old.X509.SignatureAlgorithm, old.X509.RawTBSCertificate, old.X509.Signature) != nil {
		t.Fatal("self-signed signature does not check")
	}
	if !time.Now().After(old.X509.NotAfter) {
		t.Fatal("dates not applied")
	}
}
