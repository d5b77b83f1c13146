package secret

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := k.Seal([]byte("hunter2"), "account:1")
	s2, _ := k.Seal([]byte("hunter2"), "account:1")
	if bytes.Equal(s1, s2) || bytes.Contains(s1, []byte("hunter2")) {
		t.Fatal("sealing is not randomised or leaks the plaintext")
	}
	if got, err := k.Open(s1, "account:1"); err != nil || string(got) != "hunter2" {
		t.Fatalf("Open = %q %v", got, err)
	}
	if _, err := k.Open(s1, "account:2"); err != ErrOpen {
		t.Fatalf("opened with another context: %v", err)
	}
	s1[len(s1)-1] ^= 1
	if _, err := k.Open(s1, "account:1"); err != ErrOpen {
		t.Fatal("opened a damaged value")
	}
	other, _ := Generate()
	if _, err := other.Open(s2, "account:1"); err != ErrOpen {
		t.Fatal("opened with another key")
	}
	if _, err := k.Open([]byte("short"), "x"); err != ErrOpen {
		t.Fatal("short input")
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	k1, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreate(path)
	if err != nil || k1.String() != k2.String() {
		t.Fatalf("reload gave another key: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreate(path); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

func TestParse(t *testing.T) {
	k, _ := Generate()
	hex := ""
	for _, b := range k.raw {
		hex += string("0123456789abcdef"[b>>4]) + string("0123456789abcdef"[b&15])
	}
	for _, text := range []string{k.String(), " " + k.String() + "\n", hex} {
		got, err := Parse(text)
		if err != nil || got.String() != k.String() {
			t.Fatalf("Parse(%q): %v", text, err)
		}
	}
	for _, bad := range []string{"", "short", k.String()[:20]} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if bytes.Equal(k.Derive("a", 32), k.Derive("b", 32)) || len(k.Derive("a", 64)) != 64 {
		t.Fatal("Derive")
	}
}
