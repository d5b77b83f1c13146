package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/apartado/apartado/internal/dovecottest"
)

// TestSmoke runs the whole benchmark at a tiny size, so that it keeps
// working as the code it measures changes (it once stopped when accounts
// of members were kept off this computer).
func TestSmoke(t *testing.T) {
	if os.Getenv(dovecottest.SkipEnv) != "" {
		t.Skip(dovecottest.SkipEnv + " is set")
	}
	if _, err := exec.LookPath("mpop"); err != nil {
		t.Fatal("mpop is needed (Debian's mpop package, as .ci/run installs it):", err)
	}
	var stdout bytes.Buffer
	code := run([]string{"-n", "40", "-runs", "1", "-big", "0", "-phases=false", "-dir", t.TempDir()}, &stdout)
	if code != 0 {
		t.Fatalf("exit status %d\n%s", code, stdout.String())
	}
	for _, want := range []string{"Apartado", "mpop"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "0"}, {"-runs", "0"}, {"-big", "-1"}, {"-env", "NOEQUALS"}, {"-nosuch"}} {
		var out bytes.Buffer
		if code := run(args, &out); code != 2 {
			t.Errorf("%q: exit status %d, want 2", args, code)
		}
	}
}
