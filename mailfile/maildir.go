package mailfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNotMaildir is a folder that is neither a Maildir nor holds any.
var ErrNotMaildir = errors.New("not a Maildir: no cur or new folder in it or in the folders inside it")

// Maildir reads the Maildir at dir: its messages (new/ unread, cur/ with
// the flags of their names: S read, F starred, T deleted), then its
// Maildir++ folders (".Work", ".Work.2024"). A folder that is not a
// Maildir but holds some (mail/Work/cur…) is read as their parent: each
// one's name is its folder. tmp/ is never read (a message being
// delivered). Messages over max bytes are skipped, as Mbox does.
func Maildir(dir string, max int64, skipped func(error)) Source {
	return func(yield func(Message) error) error {
		boxes, err := maildirs(dir)
		if err != nil {
			return err
		}
		for _, b := range boxes {
			if err := readMaildir(filepath.Join(dir, b.rel), b.folder, b.rel, max, skipped, yield); err != nil {
				return err
			}
		}
		return nil
	}
}

type maildirBox struct {
	rel    string
	folder []string
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// maildirs lists the Maildirs to read under dir, in name order.
func maildirs(dir string) ([]maildirBox, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []maildirBox
	top := isMaildir(dir)
	if top {
		out = append(out, maildirBox{rel: "."})
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == "cur" || name == "new" || name == "tmp" || !isMaildir(filepath.Join(dir, name)) {
			continue
		}
		switch {
		case top && strings.HasPrefix(name, ".") && len(name) > 1:
			out = append(out, maildirBox{rel: name, folder: strings.Split(name[1:], ".")})
		case !top && !strings.HasPrefix(name, "."):
			out = append(out, maildirBox{rel: name, folder: []string{name}})
		}
	}
	if len(out) == 0 {
		return nil, ErrNotMaildir
	}
	return out, nil
}

// readMaildir yields the messages of one Maildir.
func readMaildir(dir string, folder []string, rel string, max int64, skipped func(error), yield func(Message) error) error {
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			where := path.Join(filepath.ToSlash(rel), sub, e.Name())
			raw, err := readFile(filepath.Join(dir, sub, e.Name()), max)
			var tl *TooLargeError
			if errors.As(err, &tl) {
				tl.Where = where
				skipped(tl)
				continue
			}
			if err != nil {
				return err
			}
			m := Message{Raw: raw, Folder: folder, Where: where}
			maildirFlags(&m, sub, e.Name())
			if err := yield(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// maildirFlags sets what a Maildir message's place and name say, which
// are the whole of its flags (its header's Status is not read): new/ is
// unread; in cur/, the flags after ":2," (S read, F starred, T deleted).
func maildirFlags(m *Message, box, name string) {
	m.Seen, m.Starred, m.Trashed = false, false, false
	if box != "cur" {
		return
	}
	if i := strings.LastIndex(name, ":2,"); i >= 0 {
		flags := name[i+3:]
		m.Seen, m.Starred, m.Trashed = strings.Contains(flags, "S"), strings.Contains(flags, "F"), strings.Contains(flags, "T")
	}
}

// readFile reads a whole file of at most max bytes.
func readFile(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAtMost(f, max)
}

func readAtMost(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, &TooLargeError{Size: max}
	}
	return b, nil
}

// EMLZip reads a zip of .eml files (any name ending ".eml", in any case)
// or of Maildirs (files in cur/ or new/ directories, flagged by their
// names as Maildir reads them), in the archive's order. A file's directory
// is its folder: for a Maildir, the directory holding cur/ and new/, a
// Maildir++ ".Work.2024" read as Work/2024 and one named Maildir as the
// top. macOS's __MACOSX entries are left out. Messages over max bytes are
// skipped, as Mbox does.
func EMLZip(r io.ReaderAt, size, max int64, skipped func(error)) Source {
	return func(yield func(Message) error) error {
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotZip, err)
		}
		for _, f := range zr.File {
			name := f.Name
			folder, box, ok := zipPlace(name)
			if f.FileInfo().IsDir() || !ok || strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(path.Base(name), ".") {
				continue
			}
			if int64(f.UncompressedSize64) > max {
				skipped(&TooLargeError{Where: name, Size: max})
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			raw, err := readAtMost(rc, max)
			rc.Close()
			var tl *TooLargeError
			if errors.As(err, &tl) {
				tl.Where = name
				skipped(tl)
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			m := Message{Raw: raw, Where: name, Folder: folder}
			if box != "" {
				maildirFlags(&m, box, path.Base(name))
			} else {
				headerFlags(raw, &m)
			}
			if err := yield(m); err != nil {
				return err
			}
		}
		return nil
	}
}

// zipPlace says whether a zip's entry is a message, the folder it is in,
// and for a Maildir's message its box (cur or new).
func zipPlace(name string) (folder []string, box string, ok bool) {
	dirs := slices.DeleteFunc(strings.Split(path.Dir(name), "/"), func(s string) bool { return s == "" || s == "." })
	if n := len(dirs); n > 0 && (dirs[n-1] == "cur" || dirs[n-1] == "new") {
		box, dirs = dirs[n-1], dirs[:n-1]
		if n := len(dirs); n > 0 {
			last := dirs[n-1]
			switch {
			case strings.HasPrefix(last, ".") && len(last) > 1:
				return strings.Split(last[1:], "."), box, true
			case strings.EqualFold(last, "Maildir"):
				return nil, box, true
			}
		}
		return dirs, box, true
	}
	if !strings.HasSuffix(strings.ToLower(name), ".eml") {
		return nil, "", false
	}
	return dirs, "", true
}
