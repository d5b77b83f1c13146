package db

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSenderKey(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"news@Shop.Example", "news@shop.example", true},
		{"  Zoë@Example.NET ", "zoë@example.net", true},
		{`"odd@local"@example.org`, `"odd@local"@example.org`, true},
		{"", "", false},
		{"no-at-sign", "", false},
		{"@example.org", "", false},
		{"someone@", "", false},
		{"two words@example.org", "", false},
		{"tab\t@example.org", "", false},
		{"nul\x00@example.org", "", false},
		{"bad\ufffd@example.org", "", false},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 256), "", false},
	} {
		got, err := SenderKey(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("SenderKey(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, ErrBadSender) {
			t.Errorf("SenderKey(%q) = %q, %v; want ErrBadSender", tc.in, got, err)
		}
	}
}

func TestTrustedSendersScopedByUser(t *testing.T) {
	d := openTest(t)
	now := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	ana, err := d.CreateUser(ctx, "ana", "x", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	bea, err := d.CreateUser(ctx, "bea", "x", RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	trusted := func(userID int64, addr string) bool {
		t.Helper()
		ok, err := d.SenderTrusted(ctx, userID, addr)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	list := func(userID int64) []string {
		t.Helper()
		ss, err := d.TrustedSenders(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range ss {
			out = append(out, s.Address)
		}
		return out
	}

	if trusted(ana.ID, "news@shop.example") {
		t.Fatal("trusted before anyone said so")
	}
	// Stored lower-cased, found in any case; trusting twice is one row.
	for _, a := range []string{"News@Shop.Example", "news@shop.example", "zoe@example.net"} {
		if err := d.TrustSender(ctx, ana.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	if !trusted(ana.ID, "NEWS@shop.example") || !trusted(ana.ID, " news@shop.example") {
		t.Error("the sender is not trusted in another case")
	}
	if got := strings.Join(list(ana.ID), " "); got != "news@shop.example zoe@example.net" {
		t.Errorf("ana's list %q", got)
	}
	ss, _ := d.TrustedSenders(ctx, ana.ID)
	if len(ss) == 0 || !ss[0].CreatedAt.Equal(now) {
		t.Errorf("created at %v, want %v", ss, now)
	}
	var stored string
	if err := d.sql.QueryRow(`SELECT address FROM trusted_senders WHERE user_id = ? ORDER BY address LIMIT 1`, ana.ID).Scan(&stored); err != nil || stored != "news@shop.example" {
		t.Errorf("stored %q, %v", stored, err)
	}

	// Another user's list is their own.
	if trusted(bea.ID, "news@shop.example") || len(list(bea.ID)) != 0 {
		t.Error("ana's trust applies to bea")
	}
	if err := d.TrustSender(ctx, bea.ID, "news@shop.example"); err != nil {
		t.Fatal(err)
	}
	if err := d.UntrustSender(ctx, bea.ID, "NEWS@SHOP.EXAMPLE"); err != nil {
		t.Fatal(err)
	}
	if trusted(bea.ID, "news@shop.example") || !trusted(ana.ID, "news@shop.example") {
		t.Error("bea's untrusting changed the wrong list")
	}
	// Untrusting what is not trusted does nothing, without an error.
	if err := d.UntrustSender(ctx, bea.ID, "news@shop.example"); err != nil {
		t.Errorf("untrusting twice: %v", err)
	}

	// Addresses that cannot be senders are refused, and trusted by nobody.
	for _, bad := range []string{"", "undisclosed-recipients", "a b@example.org"} {
		if err := d.TrustSender(ctx, ana.ID, bad); !errors.Is(err, ErrBadSender) {
			t.Errorf("TrustSender(%q): %v, want ErrBadSender", bad, err)
		}
		if trusted(ana.ID, bad) {
			t.Errorf("%q is trusted", bad)
		}
	}
	// A user that does not exist has no list to add to.
	if err := d.TrustSender(ctx, 999999, "news@shop.example"); err == nil {
		t.Error("trusted a sender for a user that does not exist")
	}
	// The database itself refuses an address that is not lower case.
	if _, err := d.sql.Exec(`INSERT INTO trusted_senders (user_id, address, created_at) VALUES (?, 'Upper@Example.org', 0)`, ana.ID); err == nil {
		t.Error("the table took an address in upper case")
	}

	// The list goes with the user.
	if _, err := d.sql.Exec(`DELETE FROM users WHERE id = ?`, ana.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.sql.QueryRow(`SELECT count(*) FROM trusted_senders WHERE user_id = ?`, ana.ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d trusted senders left after the user was deleted (%v)", n, err)
	}
}
