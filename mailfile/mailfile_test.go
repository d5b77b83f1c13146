package mailfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/export"
)

func collect(t *testing.T, src Source) []Message {
	t.Helper()
	var out []Message
	if err := src(func(m Message) error {
		m.Raw = bytes.Clone(m.Raw)
		out = append(out, m)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func mboxFile(t *testing.T, name string, max int64) ([]Message, []error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "mail", name))
	if err != nil {
		t.Fatal(err)
	}
	var skipped []error
	return collect(t, Mbox(bytes.NewReader(b), max, func(err error) { skipped = append(skipped, err) })), skipped
}

// TestMboxCorpus: the mbox files of other projects' suites give the
// messages their own tests expect, with an unquoted or space-quoted
// "From " inside a body left in it.
func TestMboxCorpus(t *testing.T) {
	for _, c := range []struct {
		file     string
		n        int
		contains string // in the first message
	}{
		{"thunderbird/mailnews/test/data/mbox_mboxrd", 2, "\nFrom (should be escaped).\nThere are 3 lines.\n"},
		{"thunderbird/mailnews/test/data/mbox_modern", 2, "\n From - Fri Aug 24 11:55:47 2018\n"},
		{"thunderbird/mailnews/test/data/mbox_unquoted", 2, "like this:\nFrom \nThis could cause problems"},
		{"mimekit/mbox/content-length.mbox.txt", 29, "Subject: Re: mailusr1@navstar1 3.0b6gold #1"},
		{"mimekit/mbox/simple.mbox.txt", 3, ""},
		{"mimekit/mbox/issue1189.mbox.txt", 4, ""},
		{"cpython-email/mailbox_01.mbox", 1, ""},
	} {
		msgs, skipped := mboxFile(t, c.file, 1<<20)
		if len(msgs) != c.n || len(skipped) != 0 {
			t.Errorf("%s: %d messages (%d skipped), want %d", c.file, len(msgs), len(skipped), c.n)
			continue
		}
		if !strings.Contains(string(msgs[0].Raw), c.contains) {
			t.Errorf("%s: the first message lacks %q:\n%s", c.file, c.contains, msgs[0].Raw)
		}
		for _, m := range msgs {
			if bytes.HasPrefix(m.Raw, []byte("From ")) || bytes.HasSuffix(m.Raw, []byte("\n\n")) {
				t.Errorf("%s, %s: the From_ line or the separator was kept", c.file, m.Where)
			}
		}
	}
}

// TestMboxRoundTrip: what export.WriteMbox writes reads back byte for
// byte, CRLF or LF, with "From " and ">From " lines in the bodies.
func TestMboxRoundTrip(t *testing.T) {
	raws := [][]byte{
		[]byte("Subject: one\r\n\r\nFrom here on\r\n>From there\r\n>>From afar\r\n"),
		[]byte("Subject: two\n\nplain LF\n\n\nwith empty lines at the end\n\n"),
		[]byte("Subject: three\r\n\r\n\r\n"),
	}
	var in []export.Message
	for i, r := range raws {
		in = append(in, export.Message{ID: int64(i + 1), ReceivedAt: time.Unix(1_700_000_000, 0), Raw: r})
	}
	var file bytes.Buffer
	if err := export.WriteMbox(&file, export.Slice(in)); err != nil {
		t.Fatal(err)
	}
	got := collect(t, Mbox(&file, 1<<20, func(err error) { t.Error(err) }))
	if len(got) != len(raws) {
		t.Fatalf("%d messages", len(got))
	}
	for i := range raws {
		if !bytes.Equal(got[i].Raw, raws[i]) {
			t.Errorf("message %d:\n%q\nwant\n%q", i+1, got[i].Raw, raws[i])
		}
	}
}

// TestMboxFlagsAndLabels: Status, X-Status, X-Mozilla-Status and Gmail's
// labels say what was read and starred; nothing said means read.
func TestMboxFlagsAndLabels(t *testing.T) {
	file := "From a@example.com Mon Dec  7 10:00:00 2026\nStatus: O\nX-Status: F\nSubject: unread, starred\n\nx\n\n" +
		"From b@example.com Mon Dec  7 10:00:00 2026\nX-Mozilla-Status: 0001\nSubject: read\n\nx\n\n" +
		"From 1234@xxx Mon Dec  7 10:00:00 2026\nX-GM-THRID: 1\nX-Gmail-Labels: Inbox,Unread,\"Work, 2024\",Starred,Category Updates\nSubject: g\n\nx\n\n" +
		"From c@example.com Mon Dec  7 10:00:00 2026\nSubject: nothing said\n\nx\n"
	got := collect(t, Mbox(strings.NewReader(file), 1<<20, func(err error) { t.Error(err) }))
	want := []struct {
		seen, starred bool
		labels        []string
	}{{false, true, nil}, {true, false, nil}, {false, true, []string{"Inbox", "Unread", "Work, 2024", "Starred", "Category Updates"}}, {true, false, nil}}
	if len(got) != len(want) {
		t.Fatalf("%d messages", len(got))
	}
	for i, w := range want {
		if got[i].Seen != w.seen || got[i].Starred != w.starred || !slices.Equal(got[i].Labels, w.labels) {
			t.Errorf("message %d: seen %v starred %v labels %q, want %+v", i+1, got[i].Seen, got[i].Starred, got[i].Labels, w)
		}
	}
}

// TestMboxRefusesOtherFiles and skips a message too large, going on.
func TestMboxLimits(t *testing.T) {
	err := Mbox(strings.NewReader("Subject: not an mbox\n\nx\n"), 1<<20, nil)(func(Message) error { return nil })
	if !errors.Is(err, ErrNotMbox) {
		t.Errorf("not an mbox: %v", err)
	}
	file := "From a@x\nSubject: small\n\nx\n\nFrom b@x\nSubject: big\n\n" + strings.Repeat("y", 5000) + "\n\nFrom c@x\nSubject: small too\n\nz\n"
	var skipped []error
	got := collect(t, Mbox(strings.NewReader(file), 1000, func(err error) { skipped = append(skipped, err) }))
	var tl *TooLargeError
	if len(got) != 2 || len(skipped) != 1 || !errors.As(skipped[0], &tl) || tl.Where != "message 2" {
		t.Fatalf("%d messages, skipped %v", len(got), skipped)
	}
	if !strings.Contains(string(got[1].Raw), "small too") {
		t.Errorf("the message after the large one: %q", got[1].Raw)
	}
}

func writeMail(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestMaildir: new/ is unread, cur/ flags from the name, Maildir++
// folders and a folder of Maildirs, tmp/ never read.
func TestMaildir(t *testing.T) {
	dir := t.TempDir()
	writeMail(t, dir, "new/1.a", "Subject: new\r\n\r\nx\r\n")
	writeMail(t, dir, "cur/2.b:2,FS", "Subject: read starred\r\n\r\nx\r\n")
	writeMail(t, dir, "cur/3.c:2,T", "Subject: deleted\r\n\r\nx\r\n")
	writeMail(t, dir, "tmp/4.d", "Subject: being delivered\r\n\r\nx\r\n")
	writeMail(t, dir, ".Work.2024/cur/5.e:2,S", "Subject: in a folder\r\n\r\nx\r\n")
	os.MkdirAll(filepath.Join(dir, ".Work.2024", "new"), 0o700)
	got := collect(t, Maildir(dir, 1<<20, func(err error) { t.Error(err) }))
	type row struct {
		subject                string
		folder                 string
		seen, starred, trashed bool
	}
	var rows []row
	for _, m := range got {
		rows = append(rows, row{strings.TrimSpace(strings.SplitN(string(m.Raw), "\r\n", 2)[0]), strings.Join(m.Folder, "/"), m.Seen, m.Starred, m.Trashed})
	}
	want := []row{{"Subject: new", "", false, false, false}, {"Subject: read starred", "", true, true, false},
		{"Subject: deleted", "", false, false, true}, {"Subject: in a folder", "Work/2024", true, false, false}}
	if !slices.Equal(rows, want) {
		t.Errorf("got %+v\nwant %+v", rows, want)
	}

	parent := t.TempDir()
	writeMail(t, parent, "Inbox/cur/1.a:2,S", "Subject: a\n\nx\n")
	writeMail(t, parent, "Sent/new/2.b", "Subject: b\n\nx\n")
	got = collect(t, Maildir(parent, 1<<20, nil))
	if len(got) != 2 || !slices.Equal(got[0].Folder, []string{"Inbox"}) || !slices.Equal(got[1].Folder, []string{"Sent"}) {
		t.Errorf("a folder of Maildirs: %+v", got)
	}
	if err := Maildir(t.TempDir(), 1<<20, nil)(func(Message) error { return nil }); !errors.Is(err, ErrNotMaildir) {
		t.Errorf("an empty folder: %v", err)
	}
}

// TestEMLZip: every .eml file, its directory its folder; other files and
// macOS's resource forks left out; a large one skipped.
func TestEMLZip(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range map[string]string{"a.eml": "Subject: a\r\n\r\nx\r\n", "Work/b.EML": "Subject: b\r\n\r\nx\r\n",
		"notes.txt": "no", "__MACOSX/Work/._b.EML": "fork", "big.eml": strings.Repeat("z", 3000)} {
		w, _ := zw.Create(name)
		w.Write([]byte(content))
	}
	zw.Close()
	var skipped []error
	got := collect(t, EMLZip(bytes.NewReader(b.Bytes()), int64(b.Len()), 1000, func(err error) { skipped = append(skipped, err) }))
	folders := map[string]string{}
	for _, m := range got {
		folders[m.Where] = strings.Join(m.Folder, "/")
	}
	if len(got) != 2 || folders["a.eml"] != "" || folders["Work/b.EML"] != "Work" || len(skipped) != 1 {
		t.Errorf("got %v, skipped %v", folders, skipped)
	}
	// A zipped Maildir, with a Maildir++ folder.
	b.Reset()
	zw = zip.NewWriter(&b)
	for _, name := range []string{"Maildir/cur/1.a:2,S", "Maildir/new/2.b", "Maildir/tmp/3.c", "Maildir/.Work.2024/cur/4.d:2,FS"} {
		w, _ := zw.Create(name)
		w.Write([]byte("Subject: " + name + "\r\n\r\nx\r\n"))
	}
	zw.Close()
	got = collect(t, EMLZip(bytes.NewReader(b.Bytes()), int64(b.Len()), 1000, nil))
	var rows []string
	for _, m := range got {
		rows = append(rows, fmt.Sprintf("%s %s %v %v", m.Where, strings.Join(m.Folder, "/"), m.Seen, m.Starred))
	}
	if want := []string{"Maildir/cur/1.a:2,S  true false", "Maildir/new/2.b  false false", "Maildir/.Work.2024/cur/4.d:2,FS Work/2024 true true"}; !slices.Equal(rows, want) {
		t.Errorf("a zipped Maildir: %q", rows)
	}
	if err := EMLZip(strings.NewReader("not a zip"), 9, 1000, nil)(func(Message) error { return nil }); !errors.Is(err, ErrNotZip) {
		t.Errorf("not a zip: %v", err)
	}
}
