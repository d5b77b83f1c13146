package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/mailfile"
)

// Imports moves mail in from files other programs keep: an mbox file
// (Thunderbird, mutt, Gmail Takeout), a Maildir, or a zip of .eml files,
// into one of a user's accounts. Each message is stored as the poller
// stores one (a message that cannot be parsed is kept raw with the
// reason), in the folder it was in (made if the user has none of that
// name; Gmail's labels choose it for Takeout), read and starred as the
// file says. A message already stored in the account (the same bytes) is
// not stored again, so an import that stopped is resumed by running it
// again, and importing a file twice adds nothing.
type Imports struct {
	db  *db.DB
	Now func() time.Time
}

// NewImports returns the imports service.
func NewImports(store *db.DB) *Imports { return &Imports{db: store, Now: time.Now} }

// Import formats.
const (
	ImportMbox    = "mbox"
	ImportMaildir = "maildir"
	ImportEMLZip  = "eml-zip"
)

// MaxImportedMessage is the largest message an import stores, as large as
// the poller downloads; a larger one is reported and left out.
const MaxImportedMessage = 200 << 20

// ImportProgress is what an import has done so far.
type ImportProgress struct {
	Read       int   // messages read from the file
	Stored     int   // stored now
	Duplicates int   // stored already, in this account
	Bytes      int64 // of the messages stored now
	// Skipped are the messages left out, each a sentence (too large).
	Skipped []string
	// Folders made for the import, by name.
	Folders []string
}

// importBatch bounds what an import holds before storing, as the
// poller's batches do.
const (
	importBatchMessages = 64
	importBatchBytes    = 16 << 20
)

// FromFile imports the file (or, for a Maildir, the folder) at path, of
// format, into the user's account, calling progress after each batch
// stored.
func (s *Imports) FromFile(ctx context.Context, userID, accountID int64, format, path string,
	progress func(ImportProgress)) (ImportProgress, error) {
	var out ImportProgress
	if _, err := s.db.Account(ctx, userID, accountID); err != nil {
		return out, err
	}
	skipped := func(err error) { out.Skipped = append(out.Skipped, err.Error()) }
	var src mailfile.Source
	switch format {
	case ImportMbox:
		f, err := os.Open(path)
		if err != nil {
			return out, err
		}
		defer f.Close()
		src = mailfile.Mbox(f, MaxImportedMessage, skipped)
	case ImportMaildir:
		src = mailfile.Maildir(path, MaxImportedMessage, skipped)
	case ImportEMLZip:
		f, err := os.Open(path)
		if err != nil {
			return out, err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return out, err
		}
		src = mailfile.EMLZip(f, fi.Size(), MaxImportedMessage, skipped)
	default:
		return out, fmt.Errorf("unknown import format %q: use mbox, maildir or eml-zip", format)
	}
	return s.run(ctx, userID, accountID, src, &out, progress)
}

func (s *Imports) run(ctx context.Context, userID, accountID int64, src mailfile.Source, out *ImportProgress,
	progress func(ImportProgress)) (ImportProgress, error) {
	places, err := s.newPlaces(ctx, userID)
	if err != nil {
		return *out, err
	}
	var batch []db.Downloaded
	pending := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, added, err := s.db.StoreDownloaded(ctx, batch)
		if err != nil {
			return err
		}
		for i, a := range added {
			if a {
				out.Stored++
				out.Bytes += int64(len(batch[i].Raw))
			} else {
				out.Duplicates++
			}
		}
		batch, pending = batch[:0], 0
		if progress != nil {
			progress(*out)
		}
		return ctx.Err()
	}
	err = src(func(m mailfile.Message) error {
		out.Read++
		raw := append([]byte(nil), m.Raw...)
		nm := StoredMessage(s.db, userID, accountID, raw, s.Now())
		box, err := places.mailbox(ctx, m)
		if err != nil {
			return err
		}
		d := db.Downloaded{NewMessage: nm, SizeOK: true, DedupeByContent: true, MailboxID: box}
		if m.Seen {
			d.Flags |= db.FlagSeen
		}
		if m.Starred {
			d.Flags |= db.FlagFlagged
		}
		batch, pending = append(batch, d), pending+len(raw)
		if len(batch) >= importBatchMessages || pending >= importBatchBytes {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	out.Folders = places.made
	return *out, err
}

// places finds, or makes, the mailbox of an imported message.
type places struct {
	db     *db.DB
	userID int64
	roles  map[db.MailboxRole]int64
	byName map[string]int64 // "parentID/lowercased name"
	made   []string
}

func (s *Imports) newPlaces(ctx context.Context, userID int64) (*places, error) {
	boxes, err := s.db.Mailboxes(ctx, userID)
	if err != nil {
		return nil, err
	}
	p := &places{db: s.db, userID: userID, roles: map[db.MailboxRole]int64{}, byName: map[string]int64{}}
	for _, b := range boxes {
		if b.Role != "" {
			p.roles[b.Role] = b.ID
		} else {
			p.byName[nameKey(b.ParentID, b.Name)] = b.ID
		}
	}
	return p, nil
}

func nameKey(parent int64, name string) string { return fmt.Sprint(parent, "/", strings.ToLower(name)) }

// mailbox is the id of the mailbox m goes in.
func (p *places) mailbox(ctx context.Context, m mailfile.Message) (int64, error) {
	role, folder := ImportPlace(m)
	if role != "" {
		return p.roles[role], nil
	}
	var parent int64
	for i, name := range folder {
		if i == 1 && len(folder) > 2 {
			name = strings.Join(folder[1:], " / ") // folders nest one level
		}
		id, err := p.folder(ctx, parent, name)
		if err != nil {
			return 0, err
		}
		if parent != 0 {
			return id, nil
		}
		parent = id
	}
	return parent, nil
}

// folder finds or makes the folder name inside parent (0: the top level).
func (p *places) folder(ctx context.Context, parent int64, name string) (int64, error) {
	name = folderName(name)
	if id, ok := p.byName[nameKey(parent, name)]; ok {
		return id, nil
	}
	b, err := p.db.CreateMailbox(ctx, p.userID, name, parent)
	if errors.Is(err, db.ErrConflict) { // made meanwhile, in another case
		boxes, lerr := p.db.Mailboxes(ctx, p.userID)
		if lerr != nil {
			return 0, lerr
		}
		for _, bx := range boxes {
			if bx.Role == "" && bx.ParentID == parent && strings.EqualFold(bx.Name, name) {
				p.byName[nameKey(parent, name)] = bx.ID
				return bx.ID, nil
			}
		}
	}
	if err != nil {
		return 0, fmt.Errorf("making the folder %q: %w", name, err)
	}
	p.byName[nameKey(parent, name)] = b.ID
	p.made = append(p.made, name)
	return b.ID, nil
}

// folderName makes a folder's name from a file's: no control characters,
// at most MaxFolderName characters, never empty.
func folderName(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
	if utf8.RuneCountInString(s) > MaxFolderName {
		s = string([]rune(s)[:MaxFolderName])
	}
	if s == "" {
		s = "Imported"
	}
	return s
}

// ImportPlace is where an imported message goes: a system mailbox (role)
// or a folder path. With Gmail's labels (a Takeout file): Spam and Trash
// first, then the first label of the user's own ("Work/2024" nests), then
// Inbox, Sent, Drafts, and Archive for the rest (in Gmail, mail without
// the Inbox label is archived). Otherwise a Maildir message marked
// deleted goes to the trash, and a folder named like a system mailbox
// (Inbox, Sent, "Sent Items", "[Gmail]/Sent Mail", Papelera…) to that
// mailbox; other folders by their path; no folder, the inbox.
func ImportPlace(m mailfile.Message) (db.MailboxRole, []string) {
	if len(m.Labels) > 0 {
		return gmailPlace(m.Labels)
	}
	if m.Trashed {
		return db.MailboxTrash, nil
	}
	folder := m.Folder
	if len(folder) > 0 && strings.EqualFold(folder[0], "[Gmail]") || len(folder) > 0 && strings.EqualFold(folder[0], "[Google Mail]") {
		folder = folder[1:]
	}
	if len(folder) == 0 {
		return db.MailboxInbox, nil
	}
	if role, ok := systemFolders[strings.ToLower(strings.TrimSpace(folder[0]))]; ok {
		if len(folder) == 1 {
			return role, nil
		}
		folder = folder[1:] // Inbox/Work: Work, at the top level
	}
	return "", folder
}

// systemFolders are the names other programs give the system mailboxes.
var systemFolders = map[string]db.MailboxRole{
	"inbox": db.MailboxInbox, "bandeja de entrada": db.MailboxInbox, "entrada": db.MailboxInbox,
	"sent": db.MailboxSent, "sent items": db.MailboxSent, "sent mail": db.MailboxSent, "sent messages": db.MailboxSent,
	"enviados": db.MailboxSent, "elementos enviados": db.MailboxSent,
	"drafts": db.MailboxDrafts, "borradores": db.MailboxDrafts,
	"trash": db.MailboxTrash, "deleted items": db.MailboxTrash, "deleted messages": db.MailboxTrash,
	"bin": db.MailboxTrash, "papelera": db.MailboxTrash, "elementos eliminados": db.MailboxTrash,
	"junk": db.MailboxJunk, "spam": db.MailboxJunk, "junk e-mail": db.MailboxJunk, "junk email": db.MailboxJunk,
	"correo no deseado": db.MailboxJunk,
	"archive":           db.MailboxArchive, "archives": db.MailboxArchive, "archivo": db.MailboxArchive, "all mail": db.MailboxArchive,
}

// gmailLabels are Gmail's own labels, which are not folders.
var gmailLabels = map[string]bool{"Inbox": true, "Unread": true, "Opened": true, "Starred": true, "Important": true,
	"Sent": true, "Drafts": true, "Archived": true, "Chat": true, "Spam": true, "Trash": true}

func gmailPlace(labels []string) (db.MailboxRole, []string) {
	has := map[string]bool{}
	for _, l := range labels {
		has[l] = true
	}
	switch {
	case has["Spam"]:
		return db.MailboxJunk, nil
	case has["Trash"]:
		return db.MailboxTrash, nil
	}
	for _, l := range labels {
		if !gmailLabels[l] && !strings.HasPrefix(l, "Category ") {
			return "", strings.Split(l, "/")
		}
	}
	switch {
	case has["Inbox"]:
		return db.MailboxInbox, nil
	case has["Sent"]:
		return db.MailboxSent, nil
	case has["Drafts"]:
		return db.MailboxDrafts, nil
	}
	return db.MailboxArchive, nil
}
