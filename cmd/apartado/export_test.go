package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// seedExport fills a data folder with two users' mail through the db
// package: Ana has two accounts, Bob one. It returns Ana's messages' raw
// bytes per account, in id order, and her first account's id.
func seedExport(t *testing.T, data string) (map[int64][][]byte, int64) {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(data, "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	}()
	ana, err := store.CreateUser(ctx, "ana", "hash", db.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := store.CreateUser(ctx, "bob", "hash", db.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	account := func(userID int64, name string) db.Account {
		a, err := store.CreateAccount(ctx, userID, db.AccountSettings{Name: name, Email: name + "@example.org", Host: "pop.example.org",
			Port: 995, Security: "tls", Username: name, PasswordSealed: []byte("sealed"), PollInterval: 10 * time.Minute, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	accs := []db.Account{account(ana.ID, "ana1"), account(ana.ID, "ana2"), account(bob.ID, "bob1")}
	want := map[int64][][]byte{}
	base := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	var batch []db.NewMessage
	for i := 0; i < 9; i++ {
		acc := accs[i%3]
		raw := []byte(fmt.Sprintf("Return-Path: <%s@example.org>\r\nSubject: message %d\r\n\r\nFrom the %s account\r\n>From quoted\r\nbye\r\n",
			acc.Name, i, acc.Name))
		sum := sha256.Sum256(raw)
		batch = append(batch, db.NewMessage{AccountID: acc.ID, UserID: acc.UserID, Raw: raw, SHA256: sum[:],
			ReceivedAt: base.Add(time.Duration(i) * time.Minute), SortAt: base, Subject: fmt.Sprint("message ", i)})
		if acc.UserID == ana.ID {
			want[acc.ID] = append(want[acc.ID], raw)
		}
	}
	if _, err := store.StoreMessages(ctx, batch); err != nil {
		t.Fatal(err)
	}
	return want, accs[0].ID
}

// splitMbox reads an mboxrd file back into raw messages.
func splitMbox(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, part := range bytes.SplitAfter(b, []byte("\n")) {
		switch {
		case len(part) == 0:
		case bytes.HasPrefix(part, []byte("From ")):
			out = append(out, nil)
		case len(out) == 0:
			t.Fatalf("mbox does not start with a From_ line: %q", part)
		default:
			if bytes.HasPrefix(bytes.TrimLeft(part, ">"), []byte("From ")) {
				part = part[1:]
			}
			out[len(out)-1] = append(out[len(out)-1], part...)
		}
	}
	for i, m := range out {
		if !bytes.HasSuffix(m, []byte("\r\n\n")) {
			t.Fatalf("message %d lacks its separator line: %q", i, m)
		}
		out[i] = m[:len(m)-1]
	}
	return out
}

func TestExportCommand(t *testing.T) {
	data := t.TempDir()
	want, ana1 := seedExport(t, data)
	var all [][]byte // Ana's, in id order: the accounts' messages interleave
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for i := 0; i < 3; i++ {
		for _, id := range ids {
			all = append(all, want[id][i])
		}
	}
	env := map[string]string{"APARTADO_DATA": data}
	out := t.TempDir()

	t.Run("mbox", func(t *testing.T) {
		path := filepath.Join(out, "ana.mbox")
		msg, err := runCmd(t, env, "", "export", "--user", "ana", "--format", "mbox", "--out", path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, m := range all {
			size += len(m)
		}
		if wantMsg := fmt.Sprintf("exported 6 messages (%d bytes) to %s\n", size, path); msg != wantMsg {
			t.Errorf("printed %q, want %q", msg, wantMsg)
		}
		got := splitMbox(t, b)
		if len(got) != len(all) {
			t.Fatalf("%d messages in the mbox, want %d", len(got), len(all))
		}
		for i := range all {
			if !bytes.Equal(got[i], all[i]) {
				t.Errorf("message %d: %q, want %q", i, got[i], all[i])
			}
		}
		if bytes.Contains(b, []byte("bob1")) {
			t.Error("Bob's mail is in Ana's export")
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("mbox file mode: %v %v", fi, err)
		}

		// An existing file is kept unless --force.
		if _, err := runCmd(t, env, "", "export", "--user", "ana", "--account", fmt.Sprint(ana1), "--format", "mbox", "--out", path); err == nil ||
			!strings.Contains(err.Error(), "--force") {
			t.Fatalf("overwrote without --force: %v", err)
		}
		if b2, _ := os.ReadFile(path); !bytes.Equal(b2, b) {
			t.Fatal("the refused export changed the file")
		}
		// Replacing a file others could read leaves it private.
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := runCmd(t, env, "", "export", "--user", "ana", "--account", fmt.Sprint(ana1), "--format", "mbox", "--out", path, "--force"); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("mbox file mode after --force: %v %v", fi, err)
		}
		b, _ = os.ReadFile(path)
		got = splitMbox(t, b)
		if len(got) != 3 || !bytes.Equal(bytes.Join(got, nil), bytes.Join(want[ana1], nil)) {
			t.Fatalf("one account's export: %q", got)
		}
	})

	t.Run("maildir", func(t *testing.T) {
		dir := filepath.Join(out, "Maildir")
		msg, err := runCmd(t, env, "", "export", "--user", "ana", "--format", "maildir", "--out", dir)
		if err != nil || !strings.HasPrefix(msg, "exported 6 messages (") {
			t.Fatalf("%q %v", msg, err)
		}
		ents, err := os.ReadDir(filepath.Join(dir, "cur"))
		if err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".apartado:2,") {
				t.Errorf("file name %q", e.Name())
			}
			b, err := os.ReadFile(filepath.Join(dir, "cur", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		sortBytes(got)
		wantAll := append([][]byte(nil), all...)
		sortBytes(wantAll)
		if len(got) != len(wantAll) {
			t.Fatalf("%d files, want %d", len(got), len(wantAll))
		}
		for i := range got {
			if !bytes.Equal(got[i], wantAll[i]) {
				t.Errorf("file %d: %q, want %q", i, got[i], wantAll[i])
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, args := range [][]string{
			{"--user", "nobody", "--format", "mbox", "--out", filepath.Join(out, "x.mbox")},
			{"--user", "ana", "--format", "mbox"},
			{"--user", "ana", "--format", "eml", "--out", filepath.Join(out, "y")},
			{"--user", "bob", "--account", fmt.Sprint(ana1), "--format", "mbox", "--out", filepath.Join(out, "z.mbox")},
		} {
			if _, err := runCmd(t, env, "", append([]string{"export"}, args...)...); err == nil {
				t.Errorf("%v accepted", args)
			}
		}
		if _, err := os.Stat(filepath.Join(out, "z.mbox")); !os.IsNotExist(err) {
			t.Errorf("a refused export left a file: %v", err)
		}
	})
}

func sortBytes(bs [][]byte) {
	sort.Slice(bs, func(i, j int) bool { return bytes.Compare(bs[i], bs[j]) < 0 })
}
