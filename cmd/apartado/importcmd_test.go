package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestImportCommand: the corpus's mbox files, a Maildir and a zip of .eml
// files come in with the counts and bytes the files hold; what export
// writes imports back as stored already; a user with two accounts must
// say which.
func TestImportCommand(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"APARTADO_DATA": data}
	if _, err := runCmd(t, env, "a good password\n", "user", "add", "ana", "--admin"); err != nil {
		t.Fatal(err)
	}
	pw := writeFile(t, "pw", "secret\n")
	if out, err := runCmd(t, env, "", "account", "add", "--user", "ana", "--email", "ana@example.org", "--host", "pop.example.org",
		"--username", "ana", "--password-file", pw); err != nil {
		t.Fatalf("account add: %q %v", out, err)
	}
	imported := regexp.MustCompile(`imported (\d+) messages \((\d+) bytes\) into account 1; (\d+) stored already; (\d+) left out`)
	check := func(args []string, stored, dup int, bytes int64) {
		t.Helper()
		out, err := runCmd(t, env, "", append([]string{"import", "--user", "ana"}, args...)...)
		m := imported.FindStringSubmatch(out)
		if err != nil || m == nil || m[1] != strconv.Itoa(stored) || m[3] != strconv.Itoa(dup) || m[4] != "0" ||
			(bytes >= 0 && m[2] != strconv.FormatInt(bytes, 10)) {
			t.Fatalf("import %v: %q %v; want %d stored (%d bytes), %d already", args, out, err, stored, bytes, dup)
		}
	}
	corpus := filepath.Join("..", "..", "testdata", "mail")
	check([]string{"--format", "mbox", filepath.Join(corpus, "mimekit", "mbox", "content-length.mbox.txt")}, 29, 0, -1)
	check([]string{"--format", "mbox", filepath.Join(corpus, "thunderbird", "mailnews", "test", "data", "mbox_unquoted")}, 2, 0, -1)

	maildir := t.TempDir()
	var total int64
	for i, name := range []string{"new/1.a", "cur/2.b:2,S", ".Recibos/cur/3.c:2,FS"} {
		raw := "Subject: maildir " + strconv.Itoa(i) + "\r\n\r\nbody " + strconv.Itoa(i) + "\r\n"
		total += int64(len(raw))
		os.MkdirAll(filepath.Dir(filepath.Join(maildir, name)), 0o700)
		os.WriteFile(filepath.Join(maildir, name), []byte(raw), 0o600)
	}
	check([]string{"--format", "maildir", maildir}, 3, 0, total)

	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	total = 0
	for i := range 3 {
		raw := "Subject: eml " + strconv.Itoa(i) + "\r\n\r\nx\r\n"
		total += int64(len(raw))
		w, _ := zw.Create("Viajes/" + strconv.Itoa(i) + ".eml")
		w.Write([]byte(raw))
	}
	zw.Close()
	check([]string{"--format", "eml-zip", writeFile(t, "mail.zip", zb.String())}, 3, 0, total)

	// Out and in again: every message is stored already.
	mbox := filepath.Join(t.TempDir(), "all.mbox")
	out, err := runCmd(t, env, "", "export", "--user", "ana", "--format", "mbox", "--out", mbox)
	if err != nil || !strings.Contains(out, "exported 37 messages") {
		t.Fatalf("export: %q %v", out, err)
	}
	check([]string{"--format", "mbox", mbox}, 0, 37, 0)

	if _, err := runCmd(t, env, "", "account", "add", "--user", "ana", "--email", "ana2@example.org", "--host", "pop.example.org",
		"--username", "ana2", "--password-file", pw); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, env, "", "import", "--user", "ana", "--format", "mbox", mbox); err == nil ||
		!strings.Contains(err.Error(), "--account") {
		t.Errorf("two accounts and no --account: %v", err)
	}
	if _, err := runCmd(t, env, "", "import", "--user", "ana", "--format", "mbox", writeFile(t, "x", "Subject: no\n\nx\n")); err == nil ||
		!strings.Contains(err.Error(), "--account") {
		t.Errorf("%v", err)
	}
	if _, err := runCmd(t, env, "", "import", "--user", "ana", "--account", "1", "--format", "mbox", writeFile(t, "x", "Subject: no\n\nx\n")); err == nil ||
		!strings.Contains(err.Error(), "not an mbox file") {
		t.Errorf("a file that is not an mbox: %v", err)
	}
}
