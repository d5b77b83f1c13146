package secret

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
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
	k1, narrowed, err := LoadOrCreate(path)
	if err != nil || narrowed != 0 {
		t.Fatalf("create: narrowed %04o, %v", narrowed, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", fi.Mode(), err)
	}
	k2, narrowed, err := LoadOrCreate(path)
	if err != nil || k1.String() != k2.String() || narrowed != 0 {
		t.Fatalf("reload gave another key (narrowed %04o): %v", narrowed, err)
	}
}

// TestLoadOrCreateNarrows: Apartado's own key file, found readable by the
// group, is made private again and the old mode reported; when that
// fails, it refuses, naming the file and the command that fixes it.
func TestLoadOrCreateNarrows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no group or other permission bits on Windows")
	}
	path := filepath.Join(t.TempDir(), "secret.key")
	k1, _, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	k2, narrowed, err := LoadOrCreate(path)
	if err != nil || k2.String() != k1.String() {
		t.Fatalf("a group-readable key file: %v", err)
	}
	if narrowed != 0o640 {
		t.Errorf("narrowed from %04o, want 0640", narrowed)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode after loading: %v %v", fi.Mode(), err)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	notOwner := func(*os.File, fs.FileMode) error { return fs.ErrPermission }
	_, _, err = loadOrCreate(path, notOwner)
	var exposed *ExposedError
	if !errors.As(err, &exposed) || exposed.Mode != 0o644 || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("a key file that cannot be narrowed: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, path+" can be read or written by other users (mode 0644)") ||
		!strings.HasSuffix(msg, "chmod 600 "+path) {
		t.Errorf("error %q", msg)
	}
}

// TestLoad: a key file someone else manages is read as it is, whatever its
// mode, which is returned for the caller to judge.
func TestLoad(t *testing.T) {
	k, _ := Generate()
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(k.String()+"\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	got, mode, err := Load(path)
	if err != nil || got.String() != k.String() {
		t.Fatalf("Load: %v", err)
	}
	if mode.Perm() != 0o444 || Exposed(mode) != (runtime.GOOS != "windows") {
		t.Errorf("mode %04o, exposed %v", mode.Perm(), Exposed(mode))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("Load changed the file's mode: %v %v", fi.Mode(), err)
	}
	if _, _, err := Load(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
	if Exposed(0o600) || Exposed(0o400) {
		t.Error("a private mode counted as exposed")
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
