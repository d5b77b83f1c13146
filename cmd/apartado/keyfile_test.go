package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/apartado/apartado/internal/secret"
)

var nopLog = slog.New(slog.DiscardHandler)

// TestKeyFilePermissions: DATA/secret.key, Apartado's own, is made private
// again when found readable by the group, with a warning; a
// --secret-key-file (a Docker secret, say) is read as it is, with a
// warning when others may read it and none when they may not.
func TestKeyFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no group or other permission bits on Windows")
	}
	data := t.TempDir()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	cfg := &config{Data: data}
	k1, err := cfg.key(log)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, "secret.key")
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if k2, err := cfg.key(log); err != nil || k2.String() != k1.String() {
		t.Fatalf("a group-readable DATA/secret.key: %v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("DATA/secret.key mode after start: %v %v", fi.Mode(), err)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "file="+path) || !strings.Contains(l, "was=0640") {
		t.Errorf("no warning that the key file was narrowed:\n%s", l)
	}

	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o444, true}, {0o640, true}, {0o400, false}, {0o600, false}} {
		logs.Reset()
		file := writeFile(t, "docker-secret", k1.String()+"\n")
		if err := os.Chmod(file, tt.mode); err != nil {
			t.Fatal(err)
		}
		k, err := (&config{Data: t.TempDir(), SecretKeyFile: file}).key(log)
		if err != nil || k.String() != k1.String() {
			t.Fatalf("--secret-key-file of mode %04o: %v", tt.mode, err)
		}
		if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != tt.mode {
			t.Errorf("--secret-key-file's mode changed from %04o: %v %v", tt.mode, fi.Mode(), err)
		}
		warned := strings.Contains(logs.String(), "chmod 600 "+file)
		if warned != tt.warn {
			t.Errorf("--secret-key-file of mode %04o: warned %v, want %v:\n%s", tt.mode, warned, tt.warn, logs.String())
		}
	}
}

// TestKeyFileOfAnotherUser: a DATA/secret.key that others may read and
// that cannot be made private stops the start, naming the fix.
func TestKeyFileOfAnotherUser(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a file this user does not own and cannot chmod; root can chmod anything")
	}
	// /etc/hostname or /etc/passwd: root's, readable by all.
	for _, name := range []string{"/etc/hostname", "/etc/passwd"} {
		fi, err := os.Stat(name)
		if err != nil || fi.Mode().Perm()&0o004 == 0 {
			continue
		}
		data := t.TempDir()
		if err := os.Symlink(name, filepath.Join(data, "secret.key")); err != nil {
			t.Fatal(err)
		}
		_, err = (&config{Data: data}).key(nopLog)
		var exposed *secret.ExposedError
		if !errors.As(err, &exposed) || !strings.Contains(err.Error(), "chmod 600 "+filepath.Join(data, "secret.key")) {
			t.Fatalf("a key file that cannot be made private: %v", err)
		}
		return
	}
	t.Skip("no file readable by all and owned by another user")
}

// TestOpenLogsNarrowedDatabase: the command line's database opening says
// which of the database's files it had to make private.
func TestOpenLogsNarrowedDatabase(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no group or other permission bits on Windows")
	}
	data := t.TempDir()
	cfg := &config{Data: data}
	store, err := cfg.openDB(context.Background(), nopLog)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(data, "apartado.db")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	store, err = cfg.openDB(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "file="+path) || !strings.Contains(l, "was=0644 now=0600") {
		t.Errorf("no warning that the database file was narrowed:\n%s", l)
	}
}
