package poller

import (
	"time"

	"github.com/apartado/apartado/db"
)

// This file is the sync's decision, kept apart from the protocol and the
// database so that it can be tested without either: what to ask the
// server for each message's header, what to download, what to match with
// stored messages, and what to delete on the server. transfer (sync.go)
// gathers the facts, calls these functions, and carries out what they say.
//
// A message is known by its key: its UIDL when the listing gives it one
// no other message has, else its header key ("hdr:" and a hash of its
// header, from TOP, and its size). A message with neither is downloaded
// every time (deduplicated by content when stored) and never deleted.

// listed is one message of a session's listing.
type listed struct {
	ID   int    // the session's message number
	Size int64  // its size in LIST
	UIDL string // its UIDL; "" when the server gave none
	// Shared: the UIDL is blank or another listed message has it too, so
	// it does not tell the message apart.
	Shared bool
}

// listing is what one session's UIDL and LIST showed.
type listing struct {
	Msgs   []listed
	NoUIDL bool // the server has no UIDL command
}

// byUIDL says whether m is known by its UIDL.
func (l listing) byUIDL(m listed) bool { return !l.NoUIDL && m.UIDL != "" && !m.Shared }

// sizes is each listed message's size, by number.
func (l listing) sizes() map[int]int64 {
	out := make(map[int]int64, len(l.Msgs))
	for _, m := range l.Msgs {
		out[m.ID] = m.Size
	}
	return out
}

// uidlSize is a message's UIDL with its size.
type uidlSize struct {
	uidl string
	size int64
}

// headerKeys says how the messages without a UIDL of their own get their
// header key: remembered (id → key) when the listing shows their UIDL and
// size as many times as the last listing did and all of those were one
// stored message (HeaderUse); else asked for with TOP (top, in listing
// order). Messages over maxSize get none: they are not downloaded.
//
// QUIRK: popa3d's UIDL is a hash of a few headers (Received, Date,
// Message-ID and the like), so every message lacking them has the same
// UIDL; without this, every poll would send TOP for each of them.
// Remembering is safe for deletion because a remembered key is checked
// with TOP before DELE (syncPlan.Verify).
func headerKeys(l listing, known map[string]db.ServerState, maxSize int64) (remembered map[int]string, top []int) {
	rows := make(map[uidlSize][]string)
	for key, st := range known {
		if st.ServerUIDL != "" && st.Listed {
			us := uidlSize{st.ServerUIDL, st.Size}
			rows[us] = append(rows[us], key)
		}
	}
	times := make(map[uidlSize]int)
	for _, m := range l.Msgs {
		times[uidlSize{m.UIDL, m.Size}]++
	}
	remembered = make(map[int]string)
	for _, m := range l.Msgs {
		if l.byUIDL(m) || m.Size > maxSize {
			continue
		}
		us := uidlSize{m.UIDL, m.Size}
		if r := rows[us]; !l.NoUIDL && m.UIDL != "" && len(r) == 1 && known[r[0]].Copies == times[us] {
			remembered[m.ID] = r[0]
			continue
		}
		top = append(top, m.ID)
	}
	return remembered, top
}

// headerUses is how this listing shows the messages known by a header key
// that have a (shared) UIDL, for the next listing's headerKeys: key → the
// UIDL and the number of listed messages with the key. A key listed under
// two UIDLs is left out.
func headerUses(l listing, keys map[int]string) map[string]db.HeaderUse {
	uses := make(map[string]db.HeaderUse)
	mixed := make(map[string]bool)
	for _, m := range l.Msgs {
		key, ok := keys[m.ID]
		if !ok || l.byUIDL(m) || l.NoUIDL || m.UIDL == "" {
			continue
		}
		u, seen := uses[key]
		if seen && u.ServerUIDL != m.UIDL {
			mixed[key] = true
		}
		uses[key] = db.HeaderUse{ServerUIDL: m.UIDL, Copies: u.Copies + 1}
	}
	for key := range mixed {
		delete(uses, key)
	}
	return uses
}

// planInput is what the planner decides from.
type planInput struct {
	Listing listing
	// HeaderKeys are the header keys of messages without a UIDL of their
	// own, by message number: from TOP, or remembered (then also in
	// Remembered).
	HeaderKeys map[int]string
	Remembered map[int]bool
	// Known is what is durably stored: the server rows committed to the
	// database, by key.
	Known    map[string]db.ServerState
	Settings db.AccountSettings
	Now      time.Time
	MaxSize  int64 // larger messages are left on the server
}

// syncPlan is what to do in a session.
type syncPlan struct {
	Keys  map[int]string // each message's key; none: it cannot be told apart
	Fetch []int          // to download, in listing order
	// Match: unknown messages to look for among the stored ones (by
	// Message-ID and size) before downloading them, when most of the
	// listing is unknown (the server changed its UIDLs).
	Match []int
	// Delete: to delete on the server, in listing order.
	Delete []int
	// Verify: those of Delete whose key was remembered rather than read
	// with TOP in this session; their header is read before DELE.
	Verify []int
	Notes  []db.Note
	// KnownListed counts the listed messages stored before.
	KnownListed int
}

// plan decides a session: every message is downloaded unless it is
// stored already or over the size limit, and deleted on the server only
// when all of these hold:
//   - its key is stored, with a transfer whose size matched LIST
//     (SizeOK) and the size the listing shows now;
//   - no other listed message has its key (a UIDL of its own, or a header
//     key no other message shares);
//   - the account's retention rule (AccountSettings.ShouldDelete) asks for it.
//
// Messages kept on the server for a reason the user may not expect get a
// note, naming the message by what stays the same from one session to
// the next.
func plan(in planInput) syncPlan {
	l := in.Listing
	p := syncPlan{Keys: make(map[int]string, len(l.Msgs))}
	for _, m := range l.Msgs {
		if l.byUIDL(m) {
			p.Keys[m.ID] = m.UIDL
		} else if k := in.HeaderKeys[m.ID]; k != "" {
			p.Keys[m.ID] = k
		}
	}
	keyCount := make(map[string]int, len(p.Keys))
	for _, k := range p.Keys {
		keyCount[k]++
	}
	var unknown []int
	for _, m := range l.Msgs {
		if m.Size > in.MaxSize {
			p.note(noteTooLarge, m, nil, sizeArg(in.MaxSize))
			continue
		}
		if key, ok := p.Keys[m.ID]; ok {
			if _, stored := in.Known[key]; stored {
				p.KnownListed++
				continue
			}
		}
		if l.byUIDL(m) {
			unknown = append(unknown, m.ID)
		}
		p.Fetch = append(p.Fetch, m.ID)
	}
	// A wholesale change of UIDLs (a server migration) must not re-import
	// the mailbox.
	if len(in.Known) > 0 && 2*len(unknown) > len(l.Msgs) {
		p.Match = unknown
	}
	p.deletions(in, keyCount)
	return p
}

// deletions fills Delete, Verify and the notes of what stays.
func (p *syncPlan) deletions(in planInput, keyCount map[string]int) {
	s := in.Settings
	for _, m := range in.Listing.Msgs {
		if m.Size > in.MaxSize {
			continue
		}
		key, ok := p.Keys[m.ID]
		if !ok {
			if s.DeleteAfterDownload {
				p.note(noteNoKey, m, nil)
			}
			continue
		}
		st, stored := in.Known[key]
		if !stored || !s.ShouldDelete(st, in.Now) {
			continue
		}
		switch {
		case keyCount[key] != 1:
			p.note(noteAmbiguous, m, &st)
		case !st.SizeOK:
			p.note(noteTransferMismatch, m, &st)
		case st.Size != m.Size:
			p.note(noteSizeChanged, m, &st)
		default:
			p.Delete = append(p.Delete, m.ID)
			if in.Remembered[m.ID] {
				p.Verify = append(p.Verify, m.ID)
			}
		}
	}
}

// note adds a note about message m (stored as st, if it is), once.
func (p *syncPlan) note(key string, m listed, st *db.ServerState, more ...db.NoteArg) {
	p.Notes = addNote(p.Notes, db.Note{Key: key, Args: append([]db.NoteArg{messageArg(m, st)}, more...)})
}
