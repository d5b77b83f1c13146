package dovecottest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Maildir returns the path of user's Maildir (its cur/, new/ and tmp/
// directories and Dovecot's index and uidlist files live in it).
func (s *Server) Maildir(user string) string {
	return filepath.Join(s.Dir, "home", user, "Maildir")
}

// nextName returns a new message file name. Dovecot gives the files it
// finds new in one scan UIDs in the order of the "<secs>.M<usecs>" time in
// their names (then by name), so the times here strictly increase from one
// added message to the next, even when the clock does not move or goes
// back. That makes POP3 message numbers follow the order of AddMessage
// calls.
func (s *Server) nextName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := time.Now().Truncate(time.Microsecond)
	if !t.After(s.lastTime) {
		t = s.lastTime.Add(time.Microsecond)
	}
	s.lastTime = t
	s.seq++
	return fmt.Sprintf("%d.M%06dP%dQ%d.dovecottest", t.Unix(), t.Nanosecond()/1000, os.Getpid(), s.seq)
}

// AddMessage delivers raw, byte for byte, as one message file in user's
// Maildir: it writes it to tmp/ and renames it into new/. It returns the
// path in new/ (Dovecot moves the file to cur/ once a session has seen it).
// Messages added one after another get POP3 message numbers in that order.
// It is safe to call concurrently, with the order then being that in which
// the calls pick their file names.
func (s *Server) AddMessage(user string, raw []byte) (string, error) {
	if _, ok := s.users[user]; !ok {
		return "", fmt.Errorf("dovecottest: AddMessage: unknown user %q", user)
	}
	md := s.Maildir(user)
	name := s.nextName()
	tmp := filepath.Join(md, "tmp", name)
	dst := filepath.Join(md, "new", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("dovecottest: AddMessage: %w", err)
	}
	_, err = f.Write(raw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.chownMail(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("dovecottest: AddMessage: %w", err)
	}
	return dst, nil
}

// AddMessages adds raws in order with AddMessage.
func (s *Server) AddMessages(user string, raws [][]byte) error {
	for i, raw := range raws {
		if _, err := s.AddMessage(user, raw); err != nil {
			return fmt.Errorf("message %d of %d: %w", i+1, len(raws), err)
		}
	}
	return nil
}

// Messages returns the raw bytes of every message file now in user's
// Maildir (new/ and cur/), in POP3 order: by the UID Dovecot gave the file
// (from dovecot-uidlist), and files Dovecot has not seen yet after those,
// in the order Dovecot will number them. Use it to check what a client
// left behind after DELE and QUIT.
func (s *Server) Messages(user string) ([][]byte, error) {
	if _, ok := s.users[user]; !ok {
		return nil, fmt.Errorf("dovecottest: Messages: unknown user %q", user)
	}
	md := s.Maildir(user)
	uids, err := readUIDList(filepath.Join(md, "dovecot-uidlist"))
	if err != nil {
		return nil, fmt.Errorf("dovecottest: Messages: %w", err)
	}
	type file struct {
		path, base string
		uid        uint64 // 0: not in dovecot-uidlist yet
	}
	names, err := listStable(md)
	if err != nil {
		return nil, fmt.Errorf("dovecottest: Messages: %w", err)
	}
	var files []file
	for base, path := range names {
		files = append(files, file{path: path, base: base, uid: uids[base]})
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, b := files[i], files[j]
		switch {
		case a.uid != 0 && b.uid != 0:
			return a.uid < b.uid
		case a.uid != 0 || b.uid != 0:
			return a.uid != 0
		default:
			return maildirSortCmp(a.base, b.base) < 0
		}
	})
	out := make([][]byte, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if errors.Is(err, os.ErrNotExist) {
			// Renamed by Dovecot (new/ to cur/, or a flag change)
			// between ReadDir and now: look for it again.
			data, err = readMoved(md, f.base)
		}
		if err != nil {
			return nil, fmt.Errorf("dovecottest: Messages: %w", err)
		}
		if data != nil {
			out = append(out, data)
		}
	}
	return out, nil
}

// listStable maps the base name of every message file in md's new/ and
// cur/ to its path. A Dovecot session may be moving files from new/ to
// cur/ (or renaming them for a flag change) while the directories are
// read, so new/ is read before cur/ (a file moved in between is then seen
// in both, and counted once) and the listing is repeated until two in a
// row agree on the set of messages.
func listStable(md string) (map[string]string, error) {
	list := func() (map[string]string, error) {
		m := map[string]string{}
		for _, sub := range []string{"new", "cur"} {
			entries, err := os.ReadDir(filepath.Join(md, sub))
			if err != nil {
				return nil, err
			}
			for _, e := range entries {
				if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
					continue
				}
				m[baseName(e.Name())] = filepath.Join(md, sub, e.Name())
			}
		}
		return m, nil
	}
	prev, err := list()
	if err != nil {
		return nil, err
	}
	for range 100 {
		cur, err := list()
		if err != nil {
			return nil, err
		}
		same := len(cur) == len(prev)
		for base := range cur {
			if _, ok := prev[base]; !ok {
				same = false
				break
			}
		}
		if same {
			return cur, nil
		}
		prev = cur
		time.Sleep(10 * time.Millisecond)
	}
	return nil, fmt.Errorf("%s keeps changing", md)
}

// readMoved reads the file with base name base from cur/ or new/; it
// returns nil, nil if the message is gone.
func readMoved(md, base string) ([]byte, error) {
	for _, sub := range []string{"cur", "new"} {
		matches, _ := filepath.Glob(filepath.Join(md, sub, base+"*"))
		for _, m := range matches {
			if baseName(filepath.Base(m)) != base {
				continue
			}
			data, err := os.ReadFile(m)
			if err == nil || !errors.Is(err, os.ErrNotExist) {
				return data, err
			}
		}
	}
	return nil, nil
}

// baseName strips the ":2,<flags>" info part off a Maildir file name.
func baseName(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[:i]
	}
	return name
}

// readUIDList maps base file names to UIDs from a dovecot-uidlist file
// (version 3: a header line, then "<uid> [<key><value> ...] :<filename>").
// A missing file gives an empty map.
func readUIDList(path string) (map[string]uint64, error) {
	m := map[string]uint64{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if !strings.HasPrefix(line, "3 ") {
				return nil, fmt.Errorf("%s: unsupported header %q", path, line)
			}
			continue
		}
		sp := strings.IndexByte(line, ' ')
		colon := strings.Index(line, " :")
		if sp <= 0 || colon < 0 {
			continue
		}
		uid, err := strconv.ParseUint(line[:sp], 10, 32)
		if err != nil {
			continue
		}
		m[baseName(line[colon+2:])] = uid
	}
	return m, sc.Err()
}

// maildirSortCmp orders Maildir base names the way Dovecot orders newly
// found files before giving them UIDs (maildir_filename_sort_cmp): by the
// leading seconds, then by the microseconds after "M" in the uniqueness
// part, then bytewise.
func maildirSortCmp(a, b string) int {
	secsA, restA := leadingNumber(a)
	secsB, restB := leadingNumber(b)
	if secsA != secsB {
		if secsA < secsB {
			return -1
		}
		return 1
	}
	ua, okA := usecs(restA)
	ub, okB := usecs(restB)
	if okA && okB && ua != ub {
		if ua < ub {
			return -1
		}
		return 1
	}
	return strings.Compare(restA, restB)
}

func leadingNumber(s string) (uint64, string) {
	var n uint64
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + uint64(s[i]-'0')
		i++
	}
	return n, s[i:]
}

// usecs finds "M<digits>" in the ".<uniqueness>." part that follows the
// seconds.
func usecs(rest string) (uint64, bool) {
	if !strings.HasPrefix(rest, ".") {
		return 0, false
	}
	for i := 1; i < len(rest) && rest[i] != '.' && rest[i] != ':'; i++ {
		if rest[i] == 'M' {
			n, _ := leadingNumber(rest[i+1:])
			return n, true
		}
	}
	return 0, false
}
