package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"flag"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
)

// serverFingerprint is the SHA-256 of the certificate the server at addr
// presents, read without verifying it.
func serverFingerprint(t *testing.T, addr string) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only to read the certificate
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sum := sha256.Sum256(c.ConnectionState().PeerCertificates[0].Raw)
	return hex.EncodeToString(sum[:])
}

// colons writes a fingerprint as the connection test shows it.
func colons(fp string) string {
	var parts []string
	for i := 0; i+1 < len(fp); i += 2 {
		parts = append(parts, strings.ToUpper(fp[i:i+2]))
	}
	return strings.Join(parts, ":")
}

// TestAccountTrustFingerprint: a Dovecot whose self-signed certificate the
// system does not trust is reached only by an account that trusts exactly
// its certificate. account add and account edit check the fingerprint
// against the server before saving: the right one (in the colon-separated
// form the connection test shows, or plain hex) is stored and the account
// syncs; a wrong one is refused, naming the server's, and changes nothing.
func TestAccountTrustFingerprint(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	box := mailgen.Mailbox{Seed: 5}
	if err := srv.AddMessages("alice", [][]byte{box.Message(0), box.Message(1), box.Message(2)}); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	// No APARTADO_EXTRA_CA_FILE: nothing vouches for the server's certificate.
	env := map[string]string{"APARTADO_DATA": data}
	if _, err := runCmd(t, env, "a good password\n", "user", "add", "ana", "--admin"); err != nil {
		t.Fatal(err)
	}
	fp := serverFingerprint(t, srv.TLSAddr)
	host, port, _ := net.SplitHostPort(srv.TLSAddr)
	add := func(extra ...string) (string, error) {
		return runCmd(t, env, "secret\n", append([]string{"account", "add", "--user", "ana", "--email", "alice@example.org", "--host", host,
			"--port", port, "--security", "tls", "--username", "alice"}, extra...)...)
	}
	wrong := strings.Repeat("0f", 32)
	_, err := add("--trust-fingerprint", wrong)
	if err == nil || !strings.Contains(err.Error(), "--trust-fingerprint: The server's certificate has the SHA-256 fingerprint "+colons(fp)+", not this one.") {
		t.Fatalf("a wrong fingerprint: %v", err)
	}
	if _, err := add("--trust-fingerprint", "AB:CD"); err == nil || !strings.Contains(err.Error(), "64 hexadecimal digits") {
		t.Fatalf("a fingerprint too short: %v", err)
	}
	if _, err := add("--trust-fingerprint", fp, "--security", "none", "--port", "110"); err == nil || !strings.Contains(err.Error(), "SSL/TLS or STARTTLS") {
		t.Fatalf("a fingerprint without encryption: %v", err)
	}
	if n := accountsOf(t, data); len(n) != 0 {
		t.Fatalf("refused accounts were stored: %+v", n)
	}

	// Without trust the account is stored, but the certificate stops it.
	if out, err := add(); err != nil || !strings.Contains(out, "added account 1") {
		t.Fatalf("account add: %q %v", out, err)
	}
	if out, err := runCmd(t, env, "", "sync", "--account", "1"); err == nil || !strings.Contains(strings.ToLower(out), "certificate") {
		t.Fatalf("sync without trust: %q %v", out, err)
	}
	// A wrong fingerprint in an edit is refused and changes nothing.
	if _, err := runCmd(t, env, "", "account", "edit", "--user", "ana", "--account", "1", "--trust-fingerprint", wrong); err == nil ||
		!strings.Contains(err.Error(), colons(fp)) {
		t.Fatalf("edit with a wrong fingerprint: %v", err)
	}
	if a := accountsOf(t, data); len(a) != 1 || a[0].TrustedCert != "" {
		t.Fatalf("after a refused edit: %+v", a)
	}
	// The right one, as plain hex, by the account's address.
	if out, err := runCmd(t, env, "", "account", "edit", "--user", "ana", "--account", "alice@example.org", "--trust-fingerprint", fp); err != nil ||
		!strings.Contains(out, "saved account 1") {
		t.Fatalf("edit with the right fingerprint: %q %v", out, err)
	}
	if out, err := runCmd(t, env, "", "sync", "--account", "1"); err != nil || !strings.Contains(out, "account 1: 3 new") {
		t.Fatalf("sync trusting the certificate: %q %v", out, err)
	}
	a := accountsOf(t, data)
	if len(a) != 1 || a[0].TrustedCert != fp || a[0].Host != host || a[0].Username != "alice" || a[0].Email != "alice@example.org" {
		t.Fatalf("the edit changed more than the trust: %+v", a)
	}

	// Added with the right one, as the connection test shows it.
	if out, err := add("--trust-fingerprint", colons(fp), "--name", "Segunda"); err != nil || !strings.Contains(out, "added account 2") {
		t.Fatalf("account add with the right fingerprint: %q %v", out, err)
	}
	if out, err := runCmd(t, env, "", "sync", "--account", "2"); err != nil || !strings.Contains(out, "account 2: 3 new") {
		t.Fatalf("sync of the second account: %q %v", out, err)
	}
	// Another name changes only the name.
	if _, err := runCmd(t, env, "", "account", "edit", "--user", "ana", "--account", "2", "--name", "Casa"); err != nil {
		t.Fatal(err)
	}
	for _, a := range accountsOf(t, data) {
		if a.ID == 2 && (a.Name != "Casa" || a.TrustedCert != fp || a.Host != host || a.Security != "tls") {
			t.Fatalf("after renaming: %+v", a)
		}
	}
	// An empty fingerprint stops trusting it.
	if _, err := runCmd(t, env, "", "account", "edit", "--user", "ana", "--account", "2", "--trust-fingerprint", ""); err != nil {
		t.Fatal(err)
	}
	for _, a := range accountsOf(t, data) {
		if a.ID == 2 && a.TrustedCert != "" {
			t.Fatalf("the trust stayed: %+v", a)
		}
	}
}

// accountsOf lists ana's accounts in the data folder.
func accountsOf(t *testing.T, data string) []db.Account {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(data, "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.UserByName(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	accs, err := store.Accounts(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return accs
}

// TestEditFlagsCoverAccountFlags: account edit can change every setting
// account add takes.
func TestEditFlagsCoverAccountFlags(t *testing.T) {
	fs := flag.NewFlagSet("account", flag.ContinueOnError)
	var in app.AccountInput
	var pw, smtpPw string
	accountFlags(fs, &in, &pw, &smtpPw)
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := editFlags[f.Name]; !ok && f.Name != "password-file" && f.Name != "smtp-password-file" {
			t.Errorf("account edit cannot change --%s", f.Name)
		}
	})
}
