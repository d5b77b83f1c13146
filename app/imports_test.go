package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/mailfile"
)

// TestImportTakeout: a Gmail Takeout mbox goes where its labels say (a
// folder made for the user's own label, Spam in Junk, unlabelled mail in
// Archive), unread and starred as labelled; a malformed message is stored
// raw with the reason; importing the same file again stores nothing twice.
func TestImportTakeout(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	u, _ := d.CreateUser(ctx, "ana", "x", db.RoleMember)
	acc, err := d.CreateAccount(ctx, u.ID, db.AccountSettings{Name: "casa", Email: "ana@example.com", Host: "pop.example.com",
		Port: 995, Security: "tls", Username: "ana", PasswordSealed: []byte("x"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	file := "From 1@xxx Mon Dec  7 10:00:00 +0000 2026\nX-Gmail-Labels: Inbox,Unread\nSubject: new one\n\nhola\n\n" +
		"From 2@xxx Mon Dec  7 10:00:00 +0000 2026\nX-Gmail-Labels: Opened,Starred,Trabajo/2024\nSubject: labelled\n\nx\n\n" +
		"From 3@xxx Mon Dec  7 10:00:00 +0000 2026\nX-Gmail-Labels: Spam\nSubject: spam\n\nx\n\n" +
		"From 4@xxx Mon Dec  7 10:00:00 +0000 2026\nX-Gmail-Labels: Opened,Category Updates\nSubject: archived\n\nx\n\n" +
		"From 5@xxx Mon Dec  7 10:00:00 +0000 2026\nX-Gmail-Labels: Inbox\nContent-Type: multipart/mixed; boundary=\"b\"\n" +
		"Subject: =?x-unknown?Q?broken?=\n\n--b\nContent-Transfer-Encoding: base64\n\n!!!not base64\n"
	path := filepath.Join(t.TempDir(), "takeout.mbox")
	os.WriteFile(path, []byte(file), 0o600)
	imp := NewImports(d)
	res, err := imp.FromFile(ctx, u.ID, acc.ID, ImportMbox, path, nil)
	if err != nil || res.Read != 5 || res.Stored != 5 || res.Duplicates != 0 || !slices.Equal(res.Folders, []string{"Trabajo", "2024"}) {
		t.Fatalf("%+v %v", res, err)
	}
	boxes, _ := d.Mailboxes(ctx, u.ID)
	where := map[string]db.Mailbox{}
	for _, b := range boxes {
		where[b.Name] = b
	}
	for name, want := range map[string][2]int64{"Inbox": {2, 1}, "2024": {1, 0}, "Junk": {1, 0}, "Archive": {1, 0}} {
		if b := where[name]; b.Total != want[0] || b.Unread != want[1] {
			t.Errorf("%s: %d messages, %d unread; want %v", name, b.Total, b.Unread, want)
		}
	}
	if where["2024"].ParentID != where["Trabajo"].ID {
		t.Error("the nested label is not inside its parent")
	}
	if page, err := d.ListMessages(ctx, u.ID, db.ListQuery{Starred: true}); err != nil || page.Total != 1 {
		t.Errorf("starred: %+v %v", page.Total, err)
	}
	again, err := imp.FromFile(ctx, u.ID, acc.ID, ImportMbox, path, nil)
	if err != nil || again.Stored != 0 || again.Duplicates != 5 || len(again.Folders) != 0 {
		t.Errorf("the second import: %+v %v", again, err)
	}
	if _, err := imp.FromFile(ctx, u.ID+1, acc.ID, ImportMbox, path, nil); err == nil {
		t.Error("imported into another user's account")
	}
}

// TestImportPlace: folder names other programs use find the system
// mailboxes; others are folders.
func TestImportPlace(t *testing.T) {
	for _, c := range []struct {
		m      mailfile.Message
		role   db.MailboxRole
		folder string
	}{
		{mailfile.Message{}, db.MailboxInbox, ""},
		{mailfile.Message{Folder: []string{"INBOX"}}, db.MailboxInbox, ""},
		{mailfile.Message{Folder: []string{"Sent Items"}}, db.MailboxSent, ""},
		{mailfile.Message{Folder: []string{"[Gmail]", "Sent Mail"}}, db.MailboxSent, ""},
		{mailfile.Message{Folder: []string{"Papelera"}}, db.MailboxTrash, ""},
		{mailfile.Message{Folder: []string{"Junk E-mail"}}, db.MailboxJunk, ""},
		{mailfile.Message{Folder: []string{"Inbox", "Recibos"}}, "", "Recibos"},
		{mailfile.Message{Folder: []string{"Familia", "Viajes"}}, "", "Familia/Viajes"},
		{mailfile.Message{Folder: []string{"Familia"}, Trashed: true}, db.MailboxTrash, ""},
		{mailfile.Message{Labels: []string{"Sent"}}, db.MailboxSent, ""},
		{mailfile.Message{Labels: []string{"Inbox", "Trash"}}, db.MailboxTrash, ""},
		{mailfile.Message{Labels: []string{"Important", "Category Social"}}, db.MailboxArchive, ""},
	} {
		role, folder := ImportPlace(c.m)
		if role != c.role || strings.Join(folder, "/") != c.folder {
			t.Errorf("%+v: %q %q, want %q %q", c.m, role, folder, c.role, c.folder)
		}
	}
}
