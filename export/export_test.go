package export

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var received = time.Date(2026, 11, 25, 9, 30, 5, 0, time.UTC)

// testMessages are raw messages that try every corner of mboxrd quoting.
func testMessages() []Message {
	raws := []string{
		"Return-Path: <ana@example.org>\r\nSubject: plain\r\n\r\nHello.\r\n",
		"Subject: from lines\r\n\r\nFrom the start of a line\r\n>From already quoted\r\n>>From twice\r\n From not at a line start\r\nFromage is not a From_ line\r\nFrom \r\n",
		"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\r\nSubject: starts with From\r\n\r\nbody\r\n",
		"Subject: no final line break\r\n\r\nlast line",
		"Subject: LF only\n\nFrom here\n\n\nFrom there\n",
		"Subject: blank lines at the end\r\n\r\nx\r\n\r\n\r\n",
		"Return-Path: <>\r\nSubject: bounce\r\n\r\n>From \r\n",
		"Subject: lone CR\r\n\r\na\rFrom b\r\n",
	}
	var msgs []Message
	for i, r := range raws {
		msgs = append(msgs, Message{ID: int64(i + 1), ReceivedAt: received.Add(time.Duration(i) * time.Hour), Seen: i%2 == 0,
			Subject: "Re: ¿Qué tal? / report <" + string(rune('a'+i)) + ">", Raw: []byte(r)})
	}
	return msgs
}

// mboxMessage is one message read back from an mbox.
type mboxMessage struct {
	FromLine string
	Raw      []byte
}

// readMboxrd parses an mboxrd file: a From_ line starts each message, the
// empty line before the next From_ line (or the end) is the separator, and
// one ">" is removed from every line matching ^>+From .
func readMboxrd(t *testing.T, b []byte) []mboxMessage {
	t.Helper()
	var out []mboxMessage
	var cur *mboxMessage
	finish := func() {
		if cur == nil {
			return
		}
		if !bytes.HasSuffix(cur.Raw, []byte("\n\n")) && !bytes.Equal(cur.Raw, []byte("\n")) {
			t.Fatalf("message after %q lacks the blank separator line: %q", cur.FromLine, cur.Raw)
		}
		cur.Raw = cur.Raw[:len(cur.Raw)-1]
		out = append(out, *cur)
	}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		b = b[len(line):]
		switch {
		case bytes.HasPrefix(line, []byte("From ")):
			finish()
			cur = &mboxMessage{FromLine: strings.TrimSuffix(string(line), "\n")}
		case cur == nil:
			t.Fatalf("mbox does not start with a From_ line: %q", line)
		default:
			if bytes.HasPrefix(line, []byte(">")) && bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
				line = line[1:]
			}
			cur.Raw = append(cur.Raw, line...)
		}
	}
	finish()
	return out
}

// wantRaw is what an export keeps of a message: everything, plus a line
// break if it had no final one.
func wantRaw(raw []byte) []byte {
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		if bytes.Contains(raw, []byte("\r\n")) {
			return append(append([]byte{}, raw...), '\r', '\n')
		}
		return append(append([]byte{}, raw...), '\n')
	}
	return raw
}

func TestWriteMboxRoundTrip(t *testing.T) {
	msgs := testMessages()
	var buf bytes.Buffer
	if err := WriteMbox(&buf, Slice(msgs)); err != nil {
		t.Fatal(err)
	}
	got := readMboxrd(t, buf.Bytes())
	if len(got) != len(msgs) {
		t.Fatalf("read %d messages back, wrote %d:\n%s", len(got), len(msgs), buf.String())
	}
	for i, m := range msgs {
		if !bytes.Equal(got[i].Raw, wantRaw(m.Raw)) {
			t.Errorf("message %d:\n got %q\nwant %q", m.ID, got[i].Raw, wantRaw(m.Raw))
		}
	}
	// The From_ lines: the Return-Path's address, or MAILER-DAEMON; asctime in UTC.
	if want := "From ana@example.org Wed Nov 25 09:30:05 2026"; got[0].FromLine != want {
		t.Errorf("From_ line %q, want %q", got[0].FromLine, want)
	}
	if want := "From MAILER-DAEMON Wed Nov 25 10:30:05 2026"; got[1].FromLine != want {
		t.Errorf("From_ line %q, want %q", got[1].FromLine, want)
	}
	if want := "From MAILER-DAEMON Wed Nov 25 15:30:05 2026"; got[6].FromLine != want {
		t.Errorf("empty Return-Path: From_ line %q, want %q", got[6].FromLine, want)
	}
	// The quoting itself, byte for byte.
	for _, want := range []string{"\r\n>From the start", "\r\n>>From already", "\r\n>>>From twice", "\r\n From not", "\r\nFromage",
		"\n>From MAILER-DAEMON Thu Jan", "\n>From here\n", "a\rFrom b"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("mbox lacks %q", want)
		}
	}
}

func TestWriteMboxEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMbox(&buf, Slice(nil)); err != nil || buf.Len() != 0 {
		t.Fatalf("%q %v", buf.String(), err)
	}
}

func TestSourceErrorStops(t *testing.T) {
	boom := errors.New("boom")
	src := func(yield func(Message) error) error {
		if err := yield(testMessages()[0]); err != nil {
			return err
		}
		return boom
	}
	if err := WriteMbox(io.Discard, src); !errors.Is(err, boom) {
		t.Errorf("mbox: %v", err)
	}
	if err := WriteZip(io.Discard, src); !errors.Is(err, boom) {
		t.Errorf("zip: %v", err)
	}
	if err := WriteMaildir(t.TempDir(), src); !errors.Is(err, boom) {
		t.Errorf("maildir: %v", err)
	}
}

func TestEnvelopeSender(t *testing.T) {
	for raw, want := range map[string]string{
		"Return-Path: <a@b.example>\r\n\r\n":               "a@b.example",
		"return-path:a@b.example\r\n\r\n":                  "a@b.example",
		"Return-Path: <>\r\n\r\n":                          "MAILER-DAEMON",
		"Return-Path: <a b@c>\r\n\r\n":                     "MAILER-DAEMON",
		"Subject: x\r\n\r\nReturn-Path: <a@b.example>\r\n": "MAILER-DAEMON",
		"": "MAILER-DAEMON",
	} {
		if got := envelopeSender([]byte(raw)); got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
}

func TestWriteMaildir(t *testing.T) {
	msgs := testMessages()
	dir := filepath.Join(t.TempDir(), "Mail")
	for range 2 { // again into the same Maildir: the same files
		if err := WriteMaildir(dir, Slice(msgs)); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		fi, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v", sub, fi, err)
		}
	}
	for _, sub := range []string{"new", "tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(dir, sub)); len(ents) != 0 {
			t.Errorf("%s is not empty: %v", sub, ents)
		}
	}
	ents, err := os.ReadDir(filepath.Join(dir, "cur"))
	if err != nil || len(ents) != len(msgs) {
		t.Fatalf("%d files in cur, want %d (%v)", len(ents), len(msgs), err)
	}
	for _, m := range msgs {
		name := strings.Join([]string{itoa(m.ReceivedAt.Unix()), itoa(m.ID), "apartado:2,"}, ".")
		if m.Seen {
			name += "S"
		}
		b, err := os.ReadFile(filepath.Join(dir, "cur", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, m.Raw) {
			t.Errorf("%s: %q, want %q", name, b, m.Raw)
		}
	}
	// A message read since the last export keeps one file, with the new flag.
	msgs[1].Seen = true
	if err := WriteMaildir(dir, Slice(msgs)); err != nil {
		t.Fatal(err)
	}
	var names []string
	ents, _ = os.ReadDir(filepath.Join(dir, "cur"))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) != len(msgs) || !strings.Contains(strings.Join(names, " "), "."+itoa(msgs[1].ID)+".apartado:2,S") {
		t.Errorf("after a flag change: %v", names)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestWriteZip(t *testing.T) {
	msgs := testMessages()
	var buf bytes.Buffer
	if err := WriteZip(&buf, Slice(msgs)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(msgs) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(msgs))
	}
	for i, f := range zr.File {
		if f.Name != ZipName(msgs[i]) || strings.ContainsAny(f.Name, `/\<>:?*"`) {
			t.Errorf("entry %q, want %q", f.Name, ZipName(msgs[i]))
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, msgs[i].Raw) {
			t.Errorf("%s: %q, want %q", f.Name, b, msgs[i].Raw)
		}
	}
}

func TestZipName(t *testing.T) {
	for _, c := range []struct {
		subject, want string
	}{
		{"Re: ¿Qué tal? / report <a>", "2026-11-25-7-Re_Qué_tal_report_a.eml"},
		{"", "2026-11-25-7.eml"},
		{"../../etc/passwd", "2026-11-25-7-etc_passwd.eml"},
		{"???", "2026-11-25-7.eml"},
		{strings.Repeat("x", 200), "2026-11-25-7-" + strings.Repeat("x", 60) + ".eml"},
	} {
		if got := ZipName(Message{ID: 7, ReceivedAt: received, Subject: c.subject}); got != c.want {
			t.Errorf("%q: %q, want %q", c.subject, got, c.want)
		}
	}
}
