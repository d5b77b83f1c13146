package export

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one stored message to export.
type Message struct {
	ID         int64
	ReceivedAt time.Time
	Seen       bool
	Subject    string
	Raw        []byte // exactly as the server sent it
}

// Source yields messages one at a time, so that at most one raw message is
// in memory; it stops and returns the first error yield returns.
type Source func(yield func(Message) error) error

// Slice is a Source over messages already in memory (for tests and small
// exports).
func Slice(msgs []Message) Source {
	return func(yield func(Message) error) error {
		for _, m := range msgs {
			if err := yield(m); err != nil {
				return err
			}
		}
		return nil
	}
}

// ---- mboxrd ----

// WriteMbox writes the messages to w as an mboxrd file
// (https://www.loc.gov/preservation/digital/formats/fdd/fdd000385.shtml).
//
// Each message starts with a From_ line, "From SENDER DATE", where SENDER is
// the address of the message's Return-Path header (MAILER-DAEMON when it has
// none, or an empty or unusable one) and DATE is the received time in UTC in
// asctime format. Every line of the message that matches ^>*From  gets one
// more ">", which readers remove. Otherwise the message's bytes are written
// exactly: line endings are kept as the server sent them (CRLF), which
// Thunderbird, mutt and Python's mailbox module read fine, rather than
// rewritten to the LF of mbox tradition. A message that does not end with a
// line break gets one (CRLF if it contains any CRLF, else LF), and each
// message is followed by an empty line ("\n"), the separator mbox readers
// expect before the next From_ line.
func WriteMbox(w io.Writer, src Source) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	err := src(func(m Message) error {
		if _, err := fmt.Fprintf(bw, "From %s %s\n", envelopeSender(m.Raw), m.ReceivedAt.UTC().Format(time.ANSIC)); err != nil {
			return err
		}
		if err := writeQuoted(bw, m.Raw); err != nil {
			return err
		}
		if n := len(m.Raw); n > 0 && m.Raw[n-1] != '\n' {
			eol := "\n"
			if bytes.Contains(m.Raw, []byte("\r\n")) {
				eol = "\r\n"
			}
			if _, err := bw.WriteString(eol); err != nil {
				return err
			}
		}
		return bw.WriteByte('\n')
	})
	if err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write mbox: %w", err)
	}
	return nil
}

// writeQuoted writes raw line by line, adding a ">" before every line that
// matches ^>*From .
func writeQuoted(w *bufio.Writer, raw []byte) error {
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		if needsQuote(line) {
			if err := w.WriteByte('>'); err != nil {
				return err
			}
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// needsQuote reports whether line matches ^>*From .
func needsQuote(line []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From "))
}

// envelopeSender is the address of the first Return-Path header in raw's
// header section, or MAILER-DAEMON.
func envelopeSender(raw []byte) string {
	const fallback = "MAILER-DAEMON"
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break // end of the header section
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !strings.EqualFold(string(name), "Return-Path") {
			continue
		}
		addr := strings.TrimSpace(string(value))
		addr = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">"))
		if addr == "" || len(addr) > 254 || !utf8.ValidString(addr) || strings.ContainsFunc(addr, func(r rune) bool {
			return r <= ' ' || r == 0x7f || r == '<' || r == '>'
		}) {
			return fallback
		}
		return addr
	}
	return fallback
}

// ---- Maildir ----

// WriteMaildir writes each message's raw bytes, unchanged, as a file in
// dir/cur, creating dir, dir/cur, dir/new and dir/tmp (0700) as needed.
// A message's file is named "<received unix>.<id>.apartado:2,S" when it has
// been read and "…:2," otherwise: the same message always gets the same
// name, so exporting again into the same Maildir replaces files rather than
// duplicating them (the copy with the other flag is removed). Each file is
// written and synced in dir/tmp, then renamed into dir/cur.
func WriteMaildir(dir string, src Source) error {
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("write maildir: %w", err)
		}
	}
	err := src(func(m Message) error {
		base := strconv.FormatInt(m.ReceivedAt.Unix(), 10) + "." + strconv.FormatInt(m.ID, 10) + ".apartado"
		name, other := base+":2,", base+":2,S"
		if m.Seen {
			name, other = other, name
		}
		tmp := filepath.Join(dir, "tmp", base)
		if err := writeFileSync(tmp, m.Raw); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, "cur", name)); err != nil {
			return errors.Join(err, os.Remove(tmp))
		}
		if err := os.Remove(filepath.Join(dir, "cur", other)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write maildir: %w", err)
	}
	return syncDir(filepath.Join(dir, "cur"))
}

func writeFileSync(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(err, os.Remove(name))
	}
	return nil
}

// syncDir makes the renames into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write maildir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write maildir: %w", err)
	}
	return nil
}

// ---- zip of .eml ----

// WriteZip writes the messages to w as a zip archive with one deflated
// .eml file per message, its raw bytes unchanged, named by ZipName.
func WriteZip(w io.Writer, src Source) error {
	zw := zip.NewWriter(w)
	err := src(func(m Message) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: ZipName(m), Method: zip.Deflate, Modified: m.ReceivedAt.UTC()})
		if err != nil {
			return err
		}
		_, err = f.Write(m.Raw)
		return err
	})
	if err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write zip: %w", err)
	}
	return nil
}

// ZipName is a message's file name in a zip export:
// "<received date>-<id>-<subject>.eml", the subject reduced to letters,
// digits and a few safe marks, at most 60 characters ("<date>-<id>.eml"
// without one). The id makes every name unique.
func ZipName(m Message) string {
	name := m.ReceivedAt.UTC().Format("2006-01-02") + "-" + strconv.FormatInt(m.ID, 10)
	if s := sanitize(m.Subject, 60); s != "" {
		name += "-" + s
	}
	return name + ".eml"
}

// sanitize keeps letters, digits, "-", "_", "." and "+" of s, turning runs
// of anything else into one "_", and trims the result to max runes.
func sanitize(s string, max int) string {
	var b strings.Builder
	n, gap := 0, false
	for _, r := range s {
		if n >= max {
			break
		}
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.+", r)
		if !ok {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('_')
			n++
		}
		gap = false
		b.WriteRune(r)
		n++
	}
	return strings.Trim(b.String(), "._")
}
