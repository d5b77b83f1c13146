package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

var english = Wording{Attribution: "On %[1]s, %[2]s wrote:", ForwardSeparator: "-------- Forwarded Message --------",
	FromLabel: "From", DateLabel: "Date", SubjectLabel: "Subject", ToLabel: "To", CcLabel: "CC",
	Date: func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }}

func TestPrefill(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	u, err := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := NewAccounts(d, key).Create(ctx, u.ID, goodAccount()) // ana@example.net
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: Bea <bea@example.org>\r\nTo: ana@example.net, Carl <carl@example.org>\r\nCc: dan@example.org\r\n" +
		"Subject: Re: Re: Lunch\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <m2@example.org>\r\n" +
		"References: <m0@example.org> <m1@example.org>\r\nContent-Type: text/plain\r\n\r\nShall we?\r\nAt one.\r\n")
	sum := sha256.Sum256(raw)
	ids, err := d.StoreMessages(ctx, []db.NewMessage{{AccountID: acc.ID, UserID: u.ID, UIDL: "1", ServerSize: int64(len(raw)), Raw: raw,
		SHA256: sum[:], ReceivedAt: time.Now(), SortAt: time.Now(), Subject: "Re: Re: Lunch"}})
	if err != nil {
		t.Fatal(err)
	}
	s := NewMessages(d)
	p, err := s.Prefill(ctx, u.ID, ids[0], Reply, english)
	if err != nil {
		t.Fatal(err)
	}
	if p.AccountID != acc.ID || p.Subject != "Re: Lunch" || len(p.To) != 1 || p.To[0].Addr != "bea@example.org" || len(p.Cc) != 0 {
		t.Errorf("reply: %+v", p)
	}
	if p.InReplyTo != "m2@example.org" || strings.Join(p.References, " ") != "m0@example.org m1@example.org m2@example.org" {
		t.Errorf("threading: %q %q", p.InReplyTo, p.References)
	}
	if !strings.Contains(p.Text, "On 2026-12-07 10:00, Bea wrote:\n> Shall we?\n> At one.") || p.OriginalFlag != db.FlagAnswered {
		t.Errorf("quote: %q", p.Text)
	}

	p, err = s.Prefill(ctx, u.ID, ids[0], ReplyAll, english)
	if err != nil {
		t.Fatal(err)
	}
	all := func(as []compose.Address) string {
		var out []string
		for _, a := range as {
			out = append(out, a.Addr)
		}
		return strings.Join(out, ",")
	}
	if all(p.To) != "bea@example.org" || all(p.Cc) != "carl@example.org,dan@example.org" { // as Thunderbird: the others in Cc
		t.Errorf("reply all: to %s cc %s (the user's own address must not be there)", all(p.To), all(p.Cc))
	}

	p, err = s.Prefill(ctx, u.ID, ids[0], Forward, english)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Fwd: Re: Re: Lunch" || len(p.To) != 0 || p.AttachOriginal || p.OriginalFlag != db.FlagForwarded ||
		!strings.Contains(p.Text, "-------- Forwarded Message --------") || !strings.Contains(p.Text, "Shall we?") {
		t.Errorf("forward: %+v", p)
	}
	p, err = s.Prefill(ctx, u.ID, ids[0], ForwardAttached, english)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Fwd: Re: Re: Lunch" || !p.AttachOriginal || len(p.OriginalParts) != 0 || p.OriginalFlag != db.FlagForwarded ||
		strings.Contains(p.Text, "Shall we?") {
		t.Errorf("forward as attachment: %+v", p)
	}

	// Another user's message is not found.
	other, _ := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "bob", Password: "correct horse"})
	if _, err := s.Prefill(ctx, other.ID, ids[0], Reply, english); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another user's message: %v", err)
	}
}

func TestSuggestAddresses(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	u, _ := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "ana", Password: "correct horse"})
	other, _ := NewUsers(d, nil, fastParams).Create(ctx, NewUser{Name: "bob", Password: "correct horse"})
	acc, err := NewAccounts(d, key).Create(ctx, u.ID, goodAccount())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, from := range [][2]string{{"Beatriz Ruiz", "bea@example.org"}, {"", "BEA@example.org"}, {"Bernardo", "bernie@example.org"}, {"Carl", "carl@example.org"}, {"50% off", "promo_x@example.org"}} {
		raw := []byte("Subject: x\r\n\r\nbody " + from[1] + "\r\n")
		sum := sha256.Sum256(raw)
		if _, err := d.StoreMessages(ctx, []db.NewMessage{{AccountID: acc.ID, UserID: u.ID, UIDL: from[1], ServerSize: int64(len(raw)), Raw: raw,
			SHA256: sum[:], ReceivedAt: now, SortAt: now.Add(time.Duration(i) * time.Minute), FromName: from[0], FromAddr: from[1]}}); err != nil {
			t.Fatal(err)
		}
	}
	s := NewMessages(d)
	addrs := func(prefix string, user int64) string {
		got, err := s.SuggestAddresses(ctx, user, prefix)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range got {
			out = append(out, strings.ToLower(a.Addr))
		}
		return strings.Join(out, ",")
	}
	if got := addrs("be", u.ID); got != "bernie@example.org,bea@example.org" {
		t.Errorf("be: %q (newest first, each address once)", got)
	}
	if got := addrs("Ber", u.ID); got != "bernie@example.org" {
		t.Errorf("by name: %q", got)
	}
	if got := addrs("%", u.ID); got != "" {
		t.Errorf("a LIKE wildcard matched %q", got)
	}
	if got := addrs("50%", u.ID); got != "promo_x@example.org" {
		t.Errorf("a literal percent sign: %q", got)
	}
	if got := addrs("be", other.ID); got != "" {
		t.Errorf("another user's contacts: %q", got)
	}
	if got := addrs("  ", u.ID); got != "" {
		t.Errorf("nothing typed: %q", got)
	}
}
