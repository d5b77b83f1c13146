// Package mailfile reads mail out of the files other programs keep it in,
// for importing: an mbox file (mboxrd and mboxo, as Thunderbird, mutt and
// Gmail Takeout write them), a Maildir (with Maildir++ folders, or a
// folder of Maildirs) and a zip of .eml files. It gives each message's
// bytes as the file holds them (an mbox's From_ line and ">From " quoting
// taken away), the folder it was in, and whether it was read or starred
// when the file says so. It knows nothing of the database, HTTP or MIME
// beyond the few header fields it looks at, and never parses a body: a
// malformed message is given like any other, for the caller to store raw.
package mailfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
)

// Message is one message read from a file.
type Message struct {
	Raw []byte
	// Folder is the path of the folder it was in, outermost first: a
	// Maildir++ folder ".Work.2024" gives ["Work", "2024"], a zip's
	// directory likewise; nil at the top level. Labels are Gmail's
	// (X-Gmail-Labels in a Takeout mbox), as written.
	Folder []string
	Labels []string
	// Seen and Starred are what the file says; a message it says nothing
	// of is Seen (imported mail is old mail).
	Seen, Starred bool
	// Trashed: a Maildir message marked for deletion (flag T).
	Trashed bool
	// Where names the message in the file for a person: "message 12",
	// "cur/1700000000.x:2,S", "Inbox/a.eml".
	Where string
}

// Source gives the messages of a file to yield one at a time, in the
// file's order, and stops at the first error yield returns. The bytes of
// a message are only valid until yield returns.
type Source func(yield func(Message) error) error

// TooLargeError is a message larger than the reader's limit; the reader
// goes on with the next one.
type TooLargeError struct {
	Where string
	Size  int64 // at least this many bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes", e.Where, e.Size)
}

// ErrNotZip is a file a zip reader cannot open.
var ErrNotZip = errors.New("not a zip file")

// ErrNotMbox is a file that does not start as an mbox file does.
var ErrNotMbox = errors.New("not an mbox file: it does not begin with a \"From \" line")

// headerFlags reads what a message's own header says of it: Status and
// X-Status (mutt, Thunderbird, Evolution), X-Mozilla-Status
// (Thunderbird) and X-Gmail-Labels (Gmail Takeout). A header that cannot
// be read says nothing.
func headerFlags(raw []byte, m *Message) {
	m.Seen = true
	end := bytes.Index(raw, []byte("\n\n"))
	if crlf := bytes.Index(raw, []byte("\r\n\r\n")); crlf >= 0 && (end < 0 || crlf < end) {
		end = crlf + 2
	}
	if end < 0 {
		end = len(raw)
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(raw[:end:end], '\n', '\n')))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return
	}
	if s, ok := h["Status"]; ok && len(s) > 0 {
		m.Seen = strings.Contains(s[0], "R")
	}
	if s := h.Get("X-Status"); strings.Contains(s, "F") {
		m.Starred = true
	}
	if s := h.Get("X-Mozilla-Status"); s != "" {
		if v, err := strconv.ParseUint(strings.TrimSpace(s), 16, 32); err == nil {
			m.Seen, m.Starred = v&0x1 != 0, m.Starred || v&0x4 != 0
		}
	}
	if s := h.Get("X-Gmail-Labels"); s != "" {
		m.Labels = splitLabels(s)
		for _, l := range m.Labels {
			switch l {
			case "Unread":
				m.Seen = false
			case "Starred":
				m.Starred = true
			}
		}
	}
}

// splitLabels splits X-Gmail-Labels at its commas; a label holding a comma
// is written in double quotes.
func splitLabels(s string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ',' && !quoted:
			if l := strings.TrimSpace(b.String()); l != "" {
				out = append(out, l)
			}
			b.Reset()
		default:
			b.WriteRune(r)
		}
	}
	if l := strings.TrimSpace(b.String()); l != "" {
		out = append(out, l)
	}
	return out
}
