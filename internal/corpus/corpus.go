// Package corpus finds the real-world mail corpus the tests read, kept in
// the repository's testdata/mail folder with each source's NOTICE and
// LICENSE. It is for tests only: nothing in the program imports it.
package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the absolute path of testdata/mail. It fails the test when the
// folder or its MANIFEST.tsv is missing.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("corpus: cannot tell where the source is")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "mail")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.tsv")); err != nil {
		t.Fatalf("mail corpus not found at %s: %v", dir, err)
	}
	return dir
}

// File reads one file of the corpus, named by its slash-separated path
// inside testdata/mail (as MANIFEST.tsv names it).
func File(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("mail corpus: %v", err)
	}
	return b
}
