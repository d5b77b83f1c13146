package main

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// A rule made on the web runs on the inbox from the command line.
func TestRulesApplyCommand(t *testing.T) {
	h := newHousehold(t)
	ctx := context.Background()
	u, err := h.db.UserByName(ctx, "root")
	if err != nil {
		t.Fatal(err)
	}
	acc, err := h.db.CreateAccount(ctx, u.ID, db.AccountSettings{Name: "Casa", Email: "root@example.com", Host: "pop.example.com",
		Port: 995, Security: "tls", Username: "root", PasswordSealed: []byte("x"), PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []db.NewMessage
	for _, subject := range []string{"Factura de enero", "FACTURA de febrero", "Hola"} {
		raw := []byte("Subject: " + subject + "\r\n\r\nx\r\n")
		sum := sha256.Sum256(raw)
		msgs = append(msgs, db.NewMessage{AccountID: acc.ID, UserID: u.ID, Raw: raw, SHA256: sum[:], ReceivedAt: time.Now(),
			SortAt: time.Now(), Subject: subject})
	}
	if _, err := h.db.StoreMessages(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	if code, body := h.post("/settings/rules", url.Values{"name": {"Facturas"}, "subject": {"factura"}, "star": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("adding the rule: %d %s", code, body)
	}
	if _, err := runCmd(t, h.env, "", "rules", "apply"); err == nil {
		t.Fatal("no --user accepted")
	}
	if _, err := runCmd(t, h.env, "", "rules", "--user", "nobody", "apply"); err == nil {
		t.Fatal("an unknown user accepted")
	}
	out, err := runCmd(t, h.env, "", "rules", "--user", "root", "apply")
	if err != nil || strings.TrimSpace(out) != "2 messages changed" {
		t.Fatalf("rules apply: %q %v", out, err)
	}
	out, err = runCmd(t, h.env, "", "rules", "--user", "root", "apply")
	if err != nil || strings.TrimSpace(out) != "0 messages changed" {
		t.Fatalf("rules apply again: %q %v", out, err)
	}
}
