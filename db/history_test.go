package db

import (
	"reflect"
	"testing"
	"time"
)

// TestSyncNotes: notes are stored as keys with their arguments and read
// back as they were; rows recorded before keys existed are read as their
// English lines.
func TestSyncNotes(t *testing.T) {
	d := openTest(t)
	u, err := d.CreateUser(ctx, "ana", "h", RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.CreateAccount(ctx, u.ID, AccountSettings{Name: "Home", Host: "pop.example.org", Port: 995, Security: "tls",
		Username: "ana", PasswordSealed: []byte("x"), PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	size := int64(2048)
	notes := []Note{
		{Key: "%s is larger than the %s limit", Args: []NoteArg{
			{Message: &NoteMessage{Subject: "Hola", Date: t0.Unix(), Size: 9000, StoredID: 7}}, {Bytes: &size}}},
		{Key: "The server refused to send %s: %s", Args: []NoteArg{{Message: &NoteMessage{UIDL: "u1", Size: 5}}, {Text: "-ERR gone"}}},
	}
	if err := d.RecordPoll(ctx, a.ID, PollResult{Started: t0, NextPoll: t0.Add(time.Hour), Notes: notes}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.sql.ExecContext(ctx, `INSERT INTO sync_history (account_id, started_at, duration_ms, new_messages, new_bytes,
		deleted, notes) VALUES (?, ?, 0, 0, 0, 0, ?)`, a.ID, t0.Add(-time.Hour).Unix(), "message 4 not deleted\nmessage 5 not deleted"); err != nil {
		t.Fatal(err)
	}
	h, err := d.SyncHistory(ctx, u.ID, a.ID, 10)
	if err != nil || len(h) != 2 {
		t.Fatalf("%d rows, %v", len(h), err)
	}
	notes[0].Args[0].Message.StoredID = 0 // not recorded
	if !reflect.DeepEqual(h[0].Notes, notes) {
		t.Errorf("notes read back as %+v", h[0].Notes)
	}
	if want := []Note{{Text: "message 4 not deleted"}, {Text: "message 5 not deleted"}}; !reflect.DeepEqual(h[1].Notes, want) {
		t.Errorf("old notes read back as %+v", h[1].Notes)
	}
}

// TestHeaderUses: what RememberHeaderUses records is what ServerStates
// reads, and StoreDownloaded leaves it alone.
func TestHeaderUses(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a, err := d.CreateAccount(ctx, u.ID, AccountSettings{Name: "Home", Host: "pop.example.org", Port: 995, Security: "tls",
		Username: "ana", PasswordSealed: []byte("x"), PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("Subject: a\r\n\r\nhi\r\n")
	m := Downloaded{NewMessage: NewMessage{AccountID: a.ID, UserID: u.ID, UIDL: "hdr:1", ServerSize: int64(len(raw)), Raw: raw,
		SHA256: []byte("0123456789abcdef0123456789abcdef"), ReceivedAt: time.Unix(1, 0), SortAt: time.Unix(1, 0)}, SizeOK: true}
	if _, _, err := d.StoreDownloaded(ctx, []Downloaded{m}); err != nil {
		t.Fatal(err)
	}
	use := HeaderUse{ServerUIDL: "d98c1dd404b2008f", Copies: 2}
	if err := d.RememberHeaderUses(ctx, a.ID, map[string]HeaderUse{"hdr:1": use, "hdr:gone": use}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.StoreDownloaded(ctx, []Downloaded{m}); err != nil {
		t.Fatal(err)
	}
	st, err := d.ServerStates(ctx, a.ID)
	if err != nil || len(st) != 1 || st["hdr:1"].HeaderUse != use {
		t.Fatalf("%+v %v", st, err)
	}
}
