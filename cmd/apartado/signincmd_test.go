package main

import (
	"strings"
	"testing"
)

func TestSignInProviderCommand(t *testing.T) {
	env := map[string]string{"APARTADO_DATA": t.TempDir()}
	secret := writeFile(t, "secret", "s3cret-value\n")
	if out, err := runCmd(t, env, "", "signin-provider", "set", "--issuer", "microsoft", "--client-id", "app-1",
		"--secret-file", secret); err != nil || !strings.Contains(out, "registered with microsoft") {
		t.Fatalf("set: %q %v", out, err)
	}
	list := func() string {
		out, err := runCmd(t, env, "", "signin-provider", "list")
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if strings.Contains(out, "s3cret") {
			t.Fatalf("the secret was printed: %q", out)
		}
		return out
	}
	if out := list(); !strings.Contains(out, "microsoft\tMicrosoft\tclient app-1\tsecret saved\tredirect, device code") ||
		!strings.Contains(out, "google\tnot registered") {
		t.Fatalf("list:\n%s", out)
	}
	// A new client ID keeps the secret; --public removes it.
	if _, err := runCmd(t, env, "", "signin-provider", "set", "--issuer", "microsoft", "--client-id", "app-2"); err != nil {
		t.Fatal(err)
	}
	if out := list(); !strings.Contains(out, "client app-2\tsecret saved") {
		t.Fatalf("kept:\n%s", out)
	}
	if _, err := runCmd(t, env, "", "signin-provider", "set", "--issuer", "microsoft", "--client-id", "app-2", "--public"); err != nil {
		t.Fatal(err)
	}
	if out := list(); !strings.Contains(out, "client app-2\tpublic client") {
		t.Fatalf("public:\n%s", out)
	}
	// The rules are the page's: a custom provider's endpoint must be https
	// (or this computer's), and nothing is stored when one is broken.
	out, err := runCmd(t, env, "", "signin-provider", "set", "--issuer", "custom", "--client-id", "c", "--name", "Home",
		"--auth-url", "http://id.example.net/auth", "--token-url", "https://id.example.net/token", "--scopes", "pop smtp",
		"--hosts", "pop.example.net")
	if err == nil || !strings.Contains(err.Error(), "https://") {
		t.Fatalf("a plain-text endpoint elsewhere: %q %v", out, err)
	}
	if out := list(); !strings.Contains(out, "custom\tnot registered") {
		t.Fatalf("stored anyway:\n%s", out)
	}
	if _, err := runCmd(t, env, "", "signin-provider", "set", "--issuer", "custom", "--client-id", "c", "--name", "Home",
		"--device-url", "https://id.example.net/device", "--token-url", "https://id.example.net/token", "--scopes", "pop smtp",
		"--hosts", "pop.example.net"); err != nil {
		t.Fatal(err)
	}
	if out := list(); !strings.Contains(out, "custom\tHome\tclient c\tpublic client\tdevice code") {
		t.Fatalf("custom:\n%s", out)
	}
	if _, err := runCmd(t, env, "", "signin-provider", "remove", "--issuer", "microsoft"); err != nil {
		t.Fatal(err)
	}
	if out := list(); !strings.Contains(out, "microsoft\tnot registered") {
		t.Fatalf("removed:\n%s", out)
	}
	if _, err := runCmd(t, env, "", "signin-provider", "set", "--client-id", "x"); err == nil {
		t.Fatal("no issuer accepted")
	}
}
