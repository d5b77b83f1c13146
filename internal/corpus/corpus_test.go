package corpus

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManifest checks that every file MANIFEST.tsv lists is in the
// repository with the bytes the manifest's hash names, so a checkout that
// rewrote line ends (or lost a file) is caught before the tests that read
// the corpus give confusing failures.
func TestManifest(t *testing.T) {
	dir := Dir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 || cols[0] == "path" {
			continue
		}
		sum := sha256.Sum256(File(t, cols[0]))
		if got := hex.EncodeToString(sum[:]); got != cols[2] {
			t.Errorf("%s: sha256 %s, manifest says %s", cols[0], got, cols[2])
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 700 {
		t.Fatalf("the manifest lists only %d files", n)
	}
	for _, src := range []string{"cpython-email", "letters", "mail-mime-parser", "mimekit", "thunderbird"} {
		for _, name := range []string{"NOTICE.md", "LICENSE"} {
			if _, err := os.Stat(filepath.Join(dir, src, name)); err != nil {
				t.Errorf("%s/%s: %v", src, name, err)
			}
		}
	}
}
