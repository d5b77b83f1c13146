package handlers

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// readMbox parses an mboxrd download back into raw messages: a From_ line
// starts each, the line before the next is the empty separator, and one
// ">" comes off every line matching ^>+From .
func readMbox(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		switch {
		case len(line) == 0:
		case bytes.HasPrefix(line, []byte("From ")):
			out = append(out, []byte{})
		case len(out) == 0:
			t.Fatalf("mbox does not start with a From_ line: %q", line)
		default:
			if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
				line = line[1:]
			}
			out[len(out)-1] = append(out[len(out)-1], line...)
		}
	}
	for i, m := range out {
		if !bytes.HasSuffix(m, []byte("\n\n")) {
			t.Fatalf("message %d lacks its separator line: %q", i, m)
		}
		out[i] = m[:len(m)-1]
	}
	return out
}

func TestExportAccount(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	bob := app.addUser("bob", "battery staple", db.RoleMember)
	home := app.addAccount(ana.ID, "Casa Ñ")
	work := app.addAccount(ana.ID, "Work")
	bobs := app.addAccount(bob.ID, "Bob")
	sortAt := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var want [][]byte
	for i, raw := range []string{
		"Return-Path: <a@example.org>\nSubject: first\n\nFrom the top of a line\n>From quoted\nbye\n",
		"Subject: ¿segundo?\n\nFrom \n>>From\nno final line break",
		"From someone at the very start\nSubject: third\n\nx\n",
	} {
		id := app.addMessage(home, raw, sortAt.Add(time.Duration(i)*time.Hour))
		b, err := app.db.MessageRaw(context.Background(), ana.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, b)
	}
	trashed := app.addMessage(home, "Subject: thrown away\n\nbin\n", sortAt)
	if _, err := app.db.TrashMessages(context.Background(), ana.ID, []int64{trashed}); err != nil {
		t.Fatal(err)
	}
	app.addMessage(work, "Subject: other account\n\nwork\n", sortAt)
	app.addMessage(bobs, "Subject: bob's\n\nbob\n", sortAt)
	c := app.login("ana", "correct horse")
	base := fmt.Sprintf("/settings/accounts/%d/export", home.ID)

	t.Run("links", func(t *testing.T) {
		r := c.get("/settings")
		wantStatus(t, r, http.StatusOK)
		doc := r.doc(t)
		links := map[string]bool{}
		for _, id := range []string{"account-export-mbox", "account-export-zip"} {
			for _, n := range byTestID(doc, id) {
				links[attr(n, "href")] = true
			}
		}
		for _, href := range []string{base + "?format=mbox", base + "?format=zip"} {
			if !links[href] {
				t.Errorf("no link to %s in %v", href, links)
			}
		}
	})

	checkHeaders := func(t *testing.T, r *response, ctype, ext string) {
		t.Helper()
		wantStatus(t, r, http.StatusOK)
		if got := r.Header.Get("Content-Type"); got != ctype {
			t.Errorf("Content-Type %q, want %q", got, ctype)
		}
		wantCD := `attachment; filename="apartado-Casa _-2026-03-14` + ext + `"; filename*=UTF-8''apartado-Casa%20%C3%91-2026-03-14` + ext
		if got := r.Header.Get("Content-Disposition"); got != wantCD {
			t.Errorf("Content-Disposition %q, want %q", got, wantCD)
		}
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options %q", got)
		}
		if got := r.Header.Get("Content-Length"); got != "" {
			t.Errorf("Content-Length %q: the export should be streamed", got)
		}
	}

	t.Run("mbox", func(t *testing.T) {
		r := c.get(base + "?format=mbox")
		checkHeaders(t, r, "application/mbox", ".mbox")
		got := readMbox(t, []byte(r.body))
		if len(got) != len(want) {
			t.Fatalf("%d messages, want %d:\n%s", len(got), len(want), r.body)
		}
		for i := range want {
			w := want[i]
			if !bytes.HasSuffix(w, []byte("\n")) {
				w = append(append([]byte{}, w...), '\r', '\n') // mbox ends every message with a line break
			}
			if !bytes.Equal(got[i], w) {
				t.Errorf("message %d: %q, want %q", i, got[i], w)
			}
		}
		if !strings.HasPrefix(r.body, "From a@example.org ") {
			t.Errorf("From_ line: %q", strings.SplitN(r.body, "\n", 2)[0])
		}
	})

	t.Run("zip", func(t *testing.T) {
		r := c.get(base + "?format=zip")
		checkHeaders(t, r, "application/zip", ".zip")
		zr, err := zip.NewReader(strings.NewReader(r.body), int64(len(r.body)))
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != len(want) {
			t.Fatalf("%d entries, want %d", len(zr.File), len(want))
		}
		for i, f := range zr.File {
			if !strings.HasSuffix(f.Name, ".eml") || strings.ContainsAny(f.Name, `/\`) {
				t.Errorf("entry name %q", f.Name)
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if err := rc.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want[i]) {
				t.Errorf("%s: %q, want %q", f.Name, b, want[i])
			}
		}
	})

	t.Run("refused", func(t *testing.T) {
		// Another user's account does not exist for Ana.
		wantStatus(t, c.get(fmt.Sprintf("/settings/accounts/%d/export?format=mbox", bobs.ID)), http.StatusNotFound)
		wantStatus(t, c.get("/settings/accounts/999999/export?format=zip"), http.StatusNotFound)
		wantStatus(t, c.get(base+"?format=pdf"), http.StatusBadRequest)
		wantStatus(t, c.get(base), http.StatusBadRequest)
		// Signed out: to the login page.
		r := app.client().get(base + "?format=mbox")
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("signed out: %d %q", r.StatusCode, r.Header.Get("Location"))
		}
	})
}
