//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestPrivateUmask: started under the usual umask 0022, after
// privateUmask a file asked for as 0666 and a folder as 0777 are the
// owner's alone.
func TestPrivateUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	if was := privateUmask(); was != 0o022 {
		t.Fatalf("privateUmask returned %04o, want the umask before it, 0022", was)
	}
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700, file: 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", name, got, want)
		}
	}
}
