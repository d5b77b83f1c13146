package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/apartado/apartado/internal/dovecottest"
)

// TestSmoke runs the whole benchmark at a tiny size, so that it keeps
// working as the code it measures changes.
func TestSmoke(t *testing.T) {
	if os.Getenv(dovecottest.SkipEnv) != "" {
		t.Skip(dovecottest.SkipEnv + " is set")
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-n", "60", "-requests", "4", "-c", "1,3", "-dir", t.TempDir()}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"## First sync", "## Storage", "## A poll that finds nothing new", "| inbox |",
		"| settings |", "| HTML body frame |", "| a folder |", "| search: a common word |", "| search: a rare word |",
		"| search: a phrase |", "| search: from: |", "| moving 30 messages", "c=3 p99", "| moving 30 messages |",
		"Memory of `apartado serve`"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-n", "2", "-accounts", "3"}, {"-c", "0"}, {"-c", "x"}, {"-requests", "0"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%q: exit status %d, want 2", args, code)
		}
	}
}
