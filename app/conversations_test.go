package app

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apartado/apartado/db"
)

// TestThreadSome: mail stored before conversations is put in its
// conversations by the job, from the headers of its raw mail (the
// References of a reply, the subject of a message without them), and the
// job ends.
func TestThreadSome(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "apartado.db")
	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.CreateUser(ctx, "ana", "x", db.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := d.CreateAccount(ctx, u.ID, db.AccountSettings{Name: "casa", Email: "ana@example.com", Host: "pop.example.com",
		Port: 995, Security: "tls", Username: "ana", PasswordSealed: []byte("x"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	raws := []string{
		"Message-ID: <root@x>\r\nSubject: El tejado\r\nDate: Mon, 6 Nov 2023 10:00:00 +0000\r\n\r\nhola\r\n",
		"Message-ID: <reply@x>\r\nIn-Reply-To: root@x\r\nSubject: Re: El tejado\r\nDate: Mon, 6 Nov 2023 11:00:00 +0000\r\n\r\nsí\r\n",
		"Message-ID: <late@x>\r\nSubject: RE: el  TEJADO\r\nDate: Tue, 7 Nov 2023 11:00:00 +0000\r\n\r\nsin referencias\r\n",
		"Message-ID: <other@x>\r\nSubject: Otra cosa\r\nDate: Mon, 6 Nov 2023 10:00:00 +0000\r\n\r\nnada\r\n",
	}
	var ids []int64
	for i, raw := range raws {
		// Stored as before conversations: without what they are
		// threaded by.
		m := analyzed(acc, []byte(raw), fmt.Sprint("u", i))
		stored, err := d.StoreMessages(ctx, []db.NewMessage{m})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, stored[0])
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE messages SET thread_id = NULL, thread_subject = ''; DELETE FROM message_refs;
		INSERT INTO thread_backfill (id, next_id) SELECT 1, max(id) + 1 FROM messages`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	if d, err = db.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := NewConversations(d)
	c.batch = 3
	total := 0
	for range 5 {
		n, done, err := c.ThreadSome(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		total += n
	}
	if total != len(raws) {
		t.Fatalf("threaded %d messages, want %d", total, len(raws))
	}
	if left, err := d.ThreadingLeft(ctx); err != nil || left {
		t.Fatalf("left: %v %v", left, err)
	}
	thread := func(id int64) int64 {
		m, err := d.Message(ctx, u.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return m.ThreadID
	}
	if a, b, c := thread(ids[0]), thread(ids[1]), thread(ids[2]); a == 0 || a != b || a != c {
		t.Errorf("conversations %d, %d, %d: want one", a, b, c)
	}
	if thread(ids[3]) == thread(ids[0]) {
		t.Error("a message of another subject joined the conversation")
	}
}
