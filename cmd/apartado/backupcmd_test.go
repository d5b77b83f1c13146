package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
)

// TestBackupDuringSyncRestored: a backup made while a sync stores mail is
// restored into an empty data folder, where it holds whole messages of
// the mailbox only, byte for byte, and the user and the account with
// their password (its key came with the backup): a sync there fetches the
// rest. Restoring over a database needs --force and keeps the old one.
func TestBackupDuringSyncRestored(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	box := mailgen.Mailbox{Seed: 5}
	const n = 400
	mailbox := map[string]bool{}
	var msgs [][]byte
	for i := range n {
		m := box.Message(i)
		msgs = append(msgs, m)
		mailbox[string(m)] = true
	}
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	env := map[string]string{"APARTADO_DATA": data, "APARTADO_EXTRA_CA_FILE": writeFile(t, "ca.pem", string(srv.CertPEM))}
	if _, err := runCmd(t, env, "a good password\n", "user", "add", "ana", "--admin"); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.TLSAddr)
	if _, err := runCmd(t, env, "secret\n", "account", "add", "--user", "ana", "--email", "alice@example.org", "--host", host,
		"--port", port, "--security", "tls", "--username", "alice"); err != nil {
		t.Fatal(err)
	}
	backupFile := filepath.Join(t.TempDir(), "ana.backup")
	var wg sync.WaitGroup
	wg.Add(1)
	var syncOut string
	var syncErr error
	go func() {
		defer wg.Done()
		syncOut, syncErr = runCmd(t, env, "", "sync", "--user", "ana")
	}()
	// The backup starts once the sync has stored some of the mail (or
	// after at most 10 s).
	watch, err := db.Open(context.Background(), filepath.Join(data, "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	stored := func() bool {
		u, err := watch.UserByName(context.Background(), "ana")
		if err != nil {
			return false
		}
		accs, err := watch.Accounts(context.Background(), u.ID)
		return err == nil && len(accs) == 1 && accs[0].MessageCount > 0
	}
	for i := 0; i < 1000 && !stored(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	watch.Close()
	out, err := runCmd(t, env, "", "backup", "--out", backupFile)
	wg.Wait()
	if err != nil || syncErr != nil || !strings.Contains(syncOut, strconv.Itoa(n)+" new") {
		t.Fatalf("backup: %q %v; sync: %q %v", out, err, syncOut, syncErr)
	}
	m := regexp.MustCompile(`^backed up (\d+) messages`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("backup said %q", out)
	}
	t.Logf("the backup holds %s of %d messages", m[1], n)
	if _, err := runCmd(t, env, "", "backup", "--out", backupFile); err == nil {
		t.Error("a backup replaced an existing file")
	}

	// Restored into an empty folder.
	restored := t.TempDir()
	env2 := map[string]string{"APARTADO_DATA": restored, "APARTADO_EXTRA_CA_FILE": env["APARTADO_EXTRA_CA_FILE"]}
	out, err = runCmd(t, env2, "", "restore", "--in", backupFile)
	if err != nil || !strings.Contains(out, "restored "+m[1]+" messages") {
		t.Fatalf("restore: %q %v", out, err)
	}
	key1, _ := os.ReadFile(filepath.Join(data, "secret.key"))
	key2, _ := os.ReadFile(filepath.Join(restored, "secret.key"))
	if len(key1) == 0 || string(key1) != string(key2) {
		t.Fatal("the key did not come back with the backup")
	}
	store, err := db.Open(context.Background(), filepath.Join(restored, "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.UserByName(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	var count int
	if err := store.EachMessage(context.Background(), u.ID, 0, func(e db.MessageExport) error {
		count++
		if !mailbox[string(e.Raw)] {
			t.Errorf("restored message %d is not one of the mailbox's, byte for byte", e.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	if strconv.Itoa(count) != m[1] {
		t.Errorf("%d messages restored, the backup said %s", count, m[1])
	}
	// The account's password opens with the restored key: a sync there
	// fetches what the backup did not hold, and nothing twice.
	out, err = runCmd(t, env2, "", "sync", "--user", "ana")
	if err != nil || !strings.Contains(out, strconv.Itoa(n-count)+" new") {
		t.Fatalf("sync after restore: %q %v", out, err)
	}

	// Over an existing database: refused, then kept aside with --force.
	if _, err := runCmd(t, env2, "", "restore", "--in", backupFile); err == nil {
		t.Fatal("a restore replaced a database without --force")
	}
	out, err = runCmd(t, env2, "", "restore", "--in", backupFile, "--force")
	if err != nil {
		t.Fatalf("restore --force: %q %v", out, err)
	}
	aside, _ := filepath.Glob(filepath.Join(restored, "apartado-replaced-*.db"))
	if len(aside) != 1 {
		t.Fatalf("the replaced database was not kept: %v", aside)
	}
	old, err := db.Open(context.Background(), aside[0])
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	ou, _ := old.UserByName(context.Background(), "ana")
	var oldCount int
	old.EachMessage(context.Background(), ou.ID, 0, func(db.MessageExport) error { oldCount++; return nil })
	if oldCount != n {
		t.Errorf("the database kept aside holds %d messages, want %d", oldCount, n)
	}
	if _, err := runCmd(t, env2, "", "restore", "--in", writeFile(t, "x.db", "not a backup, only some text")); err == nil ||
		!strings.Contains(err.Error(), "not an Apartado backup") {
		t.Errorf("a file that is not a backup: %v", err)
	}
}
