package handlers

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/corpus"
)

// TestCorpusPages stores every message of the mail corpus and opens
// its page, its HTML body and its attachments: none may fail.
func TestCorpusPages(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus takes a while")
	}
	dir := corpus.Dir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var paths []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 4 && cols[3] == "message" {
			paths = append(paths, cols[0])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(paths) < 100 {
		t.Fatalf("only %d corpus messages", len(paths))
	}

	app := newApp(t)
	u := app.addUser("ana", "correct horse", "member")
	acc := app.addAccount(u.ID, "Corpus")
	c := app.login("ana", "correct horse")
	nested := 0 // attached messages shown
	for i, p := range paths {
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		id := app.addRaw(acc, raw, app.clock.Now().Add(-time.Duration(i)*time.Minute))
		r := c.get(msgPath(id, ""))
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: message page status %d", p, r.StatusCode)
			continue
		}
		doc := r.doc(t)
		if frames := byTestID(doc, "message-body-frame"); len(frames) == 1 {
			if b := c.get(attr(frames[0], "src")); b.StatusCode != http.StatusOK {
				t.Errorf("%s: body status %d", p, b.StatusCode)
			}
		}
		// Attached messages' bodies too.
		for _, f := range byTestID(doc, "nested-body-frame") {
			nested++
			if b := c.get(attr(f, "src")); b.StatusCode != http.StatusOK {
				t.Errorf("%s: attached message's body %s status %d", p, attr(f, "src"), b.StatusCode)
			}
		}
		nested += len(byTestID(doc, "nested-body-text"))
		for _, a := range byTestID(doc, "attachment-link") {
			if r := c.get(attr(a, "href")); r.StatusCode != http.StatusOK {
				t.Errorf("%s: attachment %s status %d", p, attr(a, "href"), r.StatusCode)
			} else if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") || strings.HasPrefix(ct, "image/svg") {
				t.Errorf("%s: attachment served as %s", p, ct)
			}
		}
	}
	t.Logf("%d attached messages shown inline", nested)
	if nested < 20 {
		t.Errorf("only %d attached messages shown inline across the corpus", nested)
	}
	// The list pages of it all render too.
	next := "/mail"
	for pages := 0; next != ""; pages++ {
		r := c.get(next)
		wantStatus(t, r, http.StatusOK)
		next = ""
		if l := byTestID(r.doc(t), "page-older"); len(l) == 1 {
			next = attr(l[0], "href")
		}
		if pages > len(paths)/pageSize+1 {
			t.Fatal("paging does not end")
		}
	}
}
