package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
)

// runCmd runs the program in-process with env as its whole environment.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	if testing.Verbose() && errOut.Len() > 0 {
		t.Logf("stderr of %v:\n%s", args, errOut.String())
	}
	return out.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfig(t *testing.T) {
	env := map[string]string{"APARTADO_ADDR": "0.0.0.0:9000", "APARTADO_POLL_CONCURRENCY": "5"}
	get := func(k string) string { return env[k] }
	cfg, _, err := parseConfig("serve", []string{"--data", "/tmp/x"}, get, &bytes.Buffer{}, nil)
	if err != nil || cfg.Addr != "0.0.0.0:9000" || cfg.Data != "/tmp/x" || cfg.PollConcurrency != 5 || cfg.CookieSecure != "auto" {
		t.Fatalf("%+v %v", cfg, err)
	}
	// A flag wins over its variable.
	if cfg, _, _ := parseConfig("serve", []string{"--addr", "127.0.0.1:1"}, get, &bytes.Buffer{}, nil); cfg.Addr != "127.0.0.1:1" {
		t.Fatalf("flag did not win: %s", cfg.Addr)
	}
	for _, bad := range [][]string{{"--cookie-secure", "maybe"}, {"--log-format", "xml"}, {"--poll-concurrency", "0"},
		{"--poll-timeout", "1ms"}, {"--dns-server", "127.0.0.1"}, {"--log-level", "loud"}, {"--trust-proxy", "perhaps"}, {"--data", ""},
		{"--member-private-servers", "lan"}, {"--undo-window", "31s"}, {"--undo-window", "-1s"}, {"--undo-window", "soon"},
		{"--smtp-timeout", "500ms"}, {"--smtp-timeout", "1h"}, {"--smtp-timeout", "slow"}} {
		if _, _, err := parseConfig("serve", bad, get, &bytes.Buffer{}, nil); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// The SMTP timeout is its own setting, 60 seconds (what sending used,
	// through --poll-timeout) unless set.
	if cfg.SMTPTimeout != 60*time.Second {
		t.Errorf("default SMTP timeout %v", cfg.SMTPTimeout)
	}
	if cfg, _, err := parseConfig("serve", []string{"--smtp-timeout", "2m", "--poll-timeout", "5s"}, get, &bytes.Buffer{}, nil); err != nil ||
		cfg.SMTPTimeout != 2*time.Minute || cfg.PollTimeout != 5*time.Second {
		t.Errorf("--smtp-timeout 2m: %+v, %v", cfg, err)
	}
	// Members reach private servers only when asked for.
	if cfg.MemberPrivateServers {
		t.Error("members may use private servers by default")
	}
	env["APARTADO_MEMBER_PRIVATE_SERVERS"] = "true"
	if cfg, _, err := parseConfig("serve", nil, get, &bytes.Buffer{}, nil); err != nil || !cfg.MemberPrivateServers {
		t.Errorf("APARTADO_MEMBER_PRIVATE_SERVERS=true: %+v, %v", cfg, err)
	}
	if cfg, _, err := parseConfig("serve", []string{"--member-private-servers=false"}, get, &bytes.Buffer{}, nil); err != nil || cfg.MemberPrivateServers {
		t.Errorf("--member-private-servers=false did not win: %+v, %v", cfg, err)
	}
	table := settingsTable()
	for _, s := range settings {
		if !strings.Contains(table, s.env) {
			t.Errorf("settings table lacks %s", s.env)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), table) {
		t.Errorf("README.md's settings table is out of date; it should contain:\n%s", table)
	}
}

func TestSecretKeySources(t *testing.T) {
	data := t.TempDir()
	cfg := &config{Data: data}
	k1, err := cfg.key(nopLog)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(data, "secret.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v %v", fi, err)
	}
	cfg2 := &config{Data: t.TempDir(), SecretKeyFile: writeFile(t, "k", k1.String()+"\n")}
	if k2, err := cfg2.key(nopLog); err != nil || k2.String() != k1.String() {
		t.Fatalf("key file: %v", err)
	}
	if k3, err := (&config{SecretKey: k1.String()}).key(nopLog); err != nil || k3.String() != k1.String() {
		t.Fatalf("key variable: %v", err)
	}
	if _, err := (&config{SecretKey: "nope"}).key(nopLog); err == nil {
		t.Fatal("a bad key was accepted")
	}
}

// TestCommandLineSetupAndSync is the headless household setup: add a user
// and an account from the command line, then sync against a real Dovecot,
// first keeping a copy, then deleting after download.
func TestCommandLineSetupAndSync(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	box := mailgen.Mailbox{Seed: 11}
	var msgs [][]byte
	for i := 0; i < 25; i++ {
		msgs = append(msgs, box.Message(i))
	}
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	env := map[string]string{"APARTADO_DATA": data, "APARTADO_EXTRA_CA_FILE": writeFile(t, "ca.pem", string(srv.CertPEM))}

	if _, err := runCmd(t, env, "short\n", "user", "add", "ana"); err == nil {
		t.Fatal("a too-short password was accepted")
	}
	out, err := runCmd(t, env, "a good password\n", "user", "add", "ana", "--admin")
	if err != nil || !strings.Contains(out, `added admin "ana"`) {
		t.Fatalf("user add: %q %v", out, err)
	}
	if _, err := runCmd(t, env, "another password\n", "user", "add", "ANA"); err == nil {
		t.Fatal("a duplicate user was accepted")
	}
	host, port, _ := net.SplitHostPort(srv.TLSAddr)
	pwFile := writeFile(t, "pw", "secret\n")
	out, err = runCmd(t, env, "", "account", "add", "--user", "ana", "--email", "alice@example.org", "--host", host,
		"--port", port, "--security", "tls", "--username", "alice", "--password-file", pwFile)
	if err != nil || !strings.Contains(out, "added account 1") {
		t.Fatalf("account add: %q %v", out, err)
	}
	out, err = runCmd(t, env, "", "sync", "--user", "ana")
	if err != nil || !strings.Contains(out, "account 1: 25 new") {
		t.Fatalf("sync: %q %v", out, err)
	}
	if left, _ := srv.Messages("alice"); len(left) != 25 {
		t.Fatalf("keep a copy: %d left", len(left))
	}
	// Every message in the database is byte-identical to its Maildir file.
	store, err := db.Open(context.Background(), filepath.Join(data, "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := store.UserByName(context.Background(), "ana")
	page, _ := store.ListMessages(context.Background(), u.ID, db.ListQuery{Limit: 100})
	got := map[string]bool{}
	for _, m := range page.Messages {
		raw, err := store.MessageRaw(context.Background(), u.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		got[string(raw)] = true
	}
	store.Close()
	for i, m := range msgs {
		if !got[string(m)] {
			t.Fatalf("message %d is not stored byte for byte", i)
		}
	}

	// A second account on the same mailbox that deletes after download:
	// it finds the same 25 as new for itself, stores them, and empties the server.
	out, err = runCmd(t, env, "secret\n", "account", "add", "--user", "ana", "--email", "alice@example.org", "--host", host,
		"--port", port, "--username", "alice", "--delete-after-download")
	if err != nil {
		t.Fatalf("account add: %q %v", out, err)
	}
	out, err = runCmd(t, env, "", "sync", "--account", "2")
	if err != nil || !strings.Contains(out, "account 2: 25 new") || !strings.Contains(out, "25 deleted on the server") {
		t.Fatalf("sync: %q %v", out, err)
	}
	if left, _ := srv.Messages("alice"); len(left) != 0 {
		t.Fatalf("delete after download left %d", len(left))
	}

	// A wrong password is reported per account and makes the command fail.
	if _, err := runCmd(t, env, "wrong\n", "account", "add", "--user", "ana", "--email", "bob@example.org", "--host", host,
		"--port", port, "--username", "alice"); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, env, "", "sync", "--account", "3")
	if err == nil || !strings.Contains(out, "auth-failed") || !strings.Contains(out, "The server rejected the user name or password") {
		t.Fatalf("sync with a wrong password: %q %v", out, err)
	}
	env["LANG"] = "es_ES.UTF-8"
	if out, _ = runCmd(t, env, "", "sync", "--account", "3"); !strings.Contains(out, "contraseña") {
		t.Fatalf("the diagnosis is not in the terminal's language: %q", out)
	}
	if _, err := runCmd(t, env, "", "sync", "--user", "nobody"); err == nil {
		t.Fatal("sync for an unknown user succeeded")
	}
}
