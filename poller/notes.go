package poller

import (
	"context"
	"reflect"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
)

// The notes a sync records: English message keys, translated when shown
// (NoteText). The first argument of each is the message (a
// db.NoteMessage).
var (
	noteTooLarge         = i18n.Key("%s is larger than the %s limit for one message: it stays on the server.")
	noteRefused          = i18n.Key("The server refused to send %s: %s")
	noteReceivedMismatch = i18n.Key("%s arrived with %s where the server announced %s: it is stored, but never deleted on the server.")
	noteTransferMismatch = i18n.Key("%s is not deleted on the server: its transfer did not match the size the server announced.")
	noteSizeChanged      = i18n.Key("%s is not deleted on the server: its size there changed since it was stored.")
	noteAmbiguous        = i18n.Key("%s stays on the server: another message there has the same UIDL and the same header, so the two cannot be told apart.")
	noteNoKey            = i18n.Key("%s stays on the server: the server gives it no UIDL of its own and does not show its header, so it cannot be told apart from the others.")
)

// addNote appends n to notes unless it is there already (a sync of two
// sessions sees the same messages twice).
func addNote(notes []db.Note, n db.Note) []db.Note {
	if slices.ContainsFunc(notes, func(o db.Note) bool { return reflect.DeepEqual(o, n) }) {
		return notes
	}
	return append(notes, n)
}

// messageArg names listed message m in a note, by its UIDL when that is
// its own, its size, and the stored message st points to (whose subject
// and date labelNotes fills in).
func messageArg(m listed, st *db.ServerState) db.NoteArg {
	nm := &db.NoteMessage{Size: m.Size}
	if !m.Shared {
		nm.UIDL = m.UIDL
	}
	if st != nil && st.MessageID != nil {
		nm.StoredID = *st.MessageID
	}
	return db.NoteArg{Message: nm}
}

func sizeArg(n int64) db.NoteArg { return db.NoteArg{Bytes: &n} }

// maxSubject bounds the subject quoted in a note, in characters.
const maxSubject = 80

// labelNotes fills in the subject and date of the stored messages the
// notes name.
func (p *Poller) labelNotes(ctx context.Context, accountID int64, notes []db.Note) error {
	var ids []int64
	for _, n := range notes {
		for _, a := range n.Args {
			if a.Message != nil && a.Message.StoredID != 0 && a.Message.Subject == "" {
				ids = append(ids, a.Message.StoredID)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	labels, err := p.DB.MessageLabels(ctx, accountID, ids)
	if err != nil {
		return err
	}
	for _, n := range notes {
		for _, a := range n.Args {
			if a.Message == nil {
				continue
			}
			if l, ok := labels[a.Message.StoredID]; ok {
				a.Message.Subject, a.Message.Date = shorten(l.Subject), l.Date.Unix()
			}
		}
	}
	return nil
}

// shorten cuts s to maxSubject characters.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxSubject {
		return s
	}
	return string([]rune(s)[:maxSubject-1]) + "…"
}

// NoteText is a sync's note in l's language, with dates in tz. A note
// recorded before notes had keys is its English sentence as it was.
func NoteText(l *i18n.Locale, tz *time.Location, n db.Note) string {
	if n.Key == "" {
		return n.Text
	}
	args := make([]any, len(n.Args))
	for i, a := range n.Args {
		switch {
		case a.Bytes != nil:
			args[i] = l.Size(*a.Bytes)
		case a.Message != nil:
			args[i] = messageName(l, tz, *a.Message)
		default:
			args[i] = a.Text
		}
	}
	return upperFirst(l.T(n.Key, args...))
}

// messageName names a message for the reader: by its subject and date
// when stored, else by its UIDL, else by its size.
func messageName(l *i18n.Locale, tz *time.Location, m db.NoteMessage) string {
	date := time.Unix(m.Date, 0)
	switch {
	case m.Subject != "" && m.Date != 0:
		return l.T("the message “%s” of %s", m.Subject, l.Date(date, tz))
	case m.Subject != "":
		return l.T("the message “%s” (%s)", m.Subject, l.Size(m.Size))
	case m.Date != 0:
		return l.T("the message without a subject of %s", l.Date(date, tz))
	case m.UIDL != "":
		return l.T("the message with UIDL %s (%s)", m.UIDL, l.Size(m.Size))
	}
	return l.T("a message of %s", l.Size(m.Size))
}

// upperFirst capitalises a sentence that starts with a message's name.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
