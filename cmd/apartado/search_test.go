package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// seedSearch stores three messages for ana and one for bob.
func seedSearch(t *testing.T, data string) {
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
	var batch []db.NewMessage
	for _, u := range []string{"ana", "bob"} {
		user, err := store.CreateUser(ctx, u, "hash", db.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := store.CreateAccount(ctx, user.ID, db.AccountSettings{Name: u + " casa", Email: u + "@example.org",
			Host: "pop.example.org", Port: 995, Security: "tls", Username: u, PasswordSealed: []byte("sealed"),
			PollInterval: 10 * time.Minute, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, subject := range []string{"Canción del verano", "Factura de la luz", "La canción\tde otoño"} {
			raw := []byte("Subject: " + subject + "\r\n\r\nletra\r\n")
			sum := sha256.Sum256(raw)
			batch = append(batch, db.NewMessage{AccountID: acc.ID, UserID: user.ID, Raw: raw, SHA256: sum[:],
				ReceivedAt: time.Now(), SortAt: time.Date(2025, 6, 10+i, 9, 0, 0, 0, time.UTC), Subject: subject,
				FromName: "Zoë", FromAddr: "zoe@example.net", MessageID: u + "-" + string(rune('a'+i)) + "@example.net",
				SearchBody: "la letra"})
		}
	}
	if _, err := store.StoreMessages(ctx, batch); err != nil {
		t.Fatal(err)
	}
}

// TestSearchCommand: every match newest first, as text or JSON lines; a
// query that cannot be run exits 2 with the page's sentence.
func TestSearchCommand(t *testing.T) {
	data := t.TempDir()
	seedSearch(t, data)
	env := map[string]string{"APARTADO_DATA": data}

	out, err := runCmd(t, env, "", "search", "--user", "ana", "cancion")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "\tLa canción de otoño") || !strings.HasSuffix(lines[1], "\tCanción del verano") {
		t.Fatalf("text output:\n%s", out)
	}
	if f := strings.Split(lines[0], "\t"); len(f) != 5 || f[1] != "2025-06-12 09:00" || f[2] != "ana casa" || f[3] != "Zoë <zoe@example.net>" {
		t.Errorf("fields %q", f)
	}

	out, err = runCmd(t, env, "", "search", "--user", "ana", "--json", "--", "-factura", "letra")
	if err != nil {
		t.Fatal(err)
	}
	var hits []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var h map[string]any
		if err := json.Unmarshal([]byte(l), &h); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		hits = append(hits, h)
	}
	if len(hits) != 2 {
		t.Fatalf("%d hits:\n%s", len(hits), out)
	}
	h := hits[1]
	if h["account"] != "ana casa" || h["date"] != "2025-06-10T09:00:00Z" || h["from"] != "zoe@example.net" ||
		h["subject"] != "Canción del verano" || h["message_id"] != "ana-a@example.net" || h["id"] == nil {
		t.Errorf("json %v", h)
	}

	for lang, want := range map[string]string{"": "A quotation mark is not closed", "es_ES.UTF-8": "Unas comillas no están cerradas"} {
		env["LANG"] = lang
		_, err = runCmd(t, env, "", "search", "--user", "ana", `"sin cerrar`)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
			t.Errorf("LANG=%s: malformed query: %v (exit %d)", lang, err, exitCode(err))
		}
	}
	if _, err = runCmd(t, env, "", "search", "cancion"); exitCode(err) != 2 {
		t.Errorf("without --user: %v", err)
	}
	if _, err = runCmd(t, env, "", "search", "--user", "nadie", "cancion"); err == nil || exitCode(err) != 1 {
		t.Errorf("unknown user: %v", err)
	}
}
