package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apartado/apartado/db"
)

// TestImportUpload: an mbox uploaded on the import page is imported in
// the background into the chosen account; the page and its JSON say how
// it went; the upload leaves no file behind; another user's account, an
// unknown format and a missing file are refused; a file of the wrong type
// says so in the user's language.
func TestImportUpload(t *testing.T) {
	a := newApp(t)
	ana := a.addUser("ana", "correct horse", db.RoleMember)
	acc := a.addAccount(ana.ID, "casa")
	bea := a.addUser("bea", "battery staple", db.RoleMember)
	beaAcc := a.addAccount(bea.ID, "suya")
	c := a.login("ana", "correct horse")
	wantStatus(t, c.get(importPath), http.StatusOK)

	mbox := "From a@example.com Mon Dec  7 10:00:00 2026\nSubject: uno\n\nhola\n\n" +
		"From b@example.com Mon Dec  7 10:00:00 2026\nX-Gmail-Labels: Viajes,Unread\nSubject: dos\n\nadiós\n"
	fields := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "format": {"mbox"}}
	wantRedirect(t, c.postFiles(importPath, fields, "file", map[string]string{"takeout.mbox": mbox}), importPath+"?done=import-started")
	a.handler.imports.Wait()
	page := c.get(importPath).body
	if !strings.Contains(page, "Messages read: 2. Stored: 2. Already here: 0. Left out: 0.") || !strings.Contains(page, "Folders made: Viajes.") {
		t.Errorf("the page after the import:\n%s", page)
	}
	var st progressJSON
	if err := json.Unmarshal([]byte(c.get(importPath+"/status").body), &st); err != nil || st.Running {
		t.Errorf("status: %+v %v", st, err)
	}
	if left, _ := filepath.Glob(filepath.Join(a.db.Dir(), "imports", "*")); len(left) != 0 {
		t.Errorf("uploads left behind: %v", left)
	}
	if page, _ := a.db.ListMessages(t.Context(), ana.ID, db.ListQuery{}); page.Total != 1 {
		t.Errorf("%d messages in the inbox, want 1 (the other in Viajes)", page.Total)
	}

	// Once more: nothing stored twice.
	wantRedirect(t, c.postFiles(importPath, fields, "file", map[string]string{"takeout.mbox": mbox}), importPath+"?done=import-started")
	a.handler.imports.Wait()
	if page := c.get(importPath).body; !strings.Contains(page, "Stored: 0. Already here: 2.") {
		t.Errorf("the second import:\n%s", page)
	}

	// Refused.
	other := url.Values{"account": {strconv.FormatInt(beaAcc.ID, 10)}, "format": {"mbox"}}
	wantStatus(t, c.postFiles(importPath, other, "file", map[string]string{"x.mbox": mbox}), http.StatusBadRequest)
	bad := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "format": {"pst"}}
	wantStatus(t, c.postFiles(importPath, bad, "file", map[string]string{"x.pst": mbox}), http.StatusBadRequest)
	wantStatus(t, c.postFiles(importPath, fields, "file", nil), http.StatusBadRequest)
	if left, _ := os.ReadDir(filepath.Join(a.db.Dir(), "imports")); len(left) != 0 {
		t.Errorf("refused uploads left behind: %d files", len(left))
	}

	// The wrong type, in Spanish.
	c.header = http.Header{"Accept-Language": {"es"}}
	zip := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "format": {"eml-zip"}}
	wantRedirect(t, c.postFiles(importPath, zip, "file", map[string]string{"takeout.mbox": mbox}), importPath+"?done=import-started")
	a.handler.imports.Wait()
	if page := c.get(importPath).body; !strings.Contains(page, "no es un archivo zip") {
		t.Errorf("a wrong file type:\n%s", page)
	}
}
