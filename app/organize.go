package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
)

// The actions that organize mail, beside the list actions of messages.go.
const (
	ActionArchive     MessageAction = "archive"       // move to the archive
	ActionMove        MessageAction = "move"          // move to the mailbox Request.To
	ActionStar        MessageAction = "star"          // add the star (db.FlagFlagged)
	ActionUnstar      MessageAction = "unstar"        // remove it
	ActionJunk        MessageAction = "junk"          // move to junk
	ActionNotJunk     MessageAction = "not-junk"      // out of junk, into the inbox
	ActionMarkAllRead MessageAction = "mark-all-read" // every message of the mailbox Request.To; takes no selection
	// ActionApplyRules is the user's rules run over the inbox on demand
	// (Rules.ApplyNow): not an action of Act, but undone like one.
	ActionApplyRules MessageAction = "apply-rules"
)

// UndoTTL is how long an action can be undone from its notice.
const UndoTTL = 15 * time.Minute

// Errors of Messages.Act and Undo.
var (
	// ErrBadTarget: a move names a mailbox messages cannot be moved into
	// (the drafts) or none of the user's.
	ErrBadTarget = errors.New("app: messages cannot be moved there")
	// ErrUndoGone: the undo has expired, was done already, or is not the
	// user's.
	ErrUndoGone = errors.New("app: this action can no longer be undone")
)

// Request is an action on messages.
type Request struct {
	Action MessageAction
	IDs    []int64 // the selection; repeats count once
	// To is the mailbox of ActionMove, and of ActionMarkAllRead (with
	// AccountID to mark only that account's part of it).
	To        int64
	AccountID int64
	// Conversations: each selected message stands for its conversation's
	// messages in the list List (a row of a list of conversations), and
	// the action acts on all of them.
	Conversations bool
	List          db.ListQuery
}

// Outcome is what an action did.
type Outcome struct {
	Action MessageAction
	Count  int64      // how many messages it changed
	Target db.Mailbox // where they went, for moves
	// Undo names the record that undoes it: "" when nothing changed or the
	// action cannot be undone (deleting for good, emptying the trash).
	Undo    string
	Expires time.Time
}

// change is what an action changes in a message's state, to know which
// messages it changes and what undoing it puts back.
type change struct {
	mailbox int64   // the mailbox it moves messages to, or 0
	add     db.Flag // the flags it adds
	remove  db.Flag // and removes
}

func (c change) changes(s db.MessageState) bool {
	return (c.mailbox != 0 && s.MailboxID != c.mailbox) || !s.Flags.Has(c.add) || s.Flags&c.remove != 0
}

// Act does an action to the user's messages and keeps what it changed, for
// Undo. Every selected id must be one of the user's messages, checked
// before anything changes; else db.ErrNotFound and nothing changes.
func (s *Messages) Act(ctx context.Context, userID int64, r Request) (Outcome, error) {
	return s.act(ctx, userID, r, MaxSelected)
}

// act is Act for a selection of at most limit messages.
func (s *Messages) act(ctx context.Context, userID int64, r Request, limit int) (Outcome, error) {
	out := Outcome{Action: r.Action}
	if r.Conversations && r.Action != ActionMarkAllRead && r.Action != ActionEmptyTrash {
		ids, err := s.owned(ctx, userID, r.IDs, limit)
		if err != nil {
			return out, err
		}
		if r.IDs, err = s.db.ExpandToThreads(ctx, userID, r.List, ids); err != nil {
			return out, err
		}
		if len(r.IDs) > limit {
			return out, ErrTooManySelected
		}
	}
	switch r.Action {
	case ActionDelete, ActionEmptyTrash:
		n, err := s.Apply(ctx, userID, r.Action, r.IDs)
		out.Count = n
		return out, err
	case ActionMarkAllRead:
		box, err := s.db.Mailbox(ctx, userID, r.To)
		if errors.Is(err, db.ErrNotFound) {
			return out, ErrBadTarget
		}
		if err != nil {
			return out, err
		}
		states, err := s.db.MarkMailboxRead(ctx, userID, box.ID, r.AccountID)
		if err != nil {
			return out, err
		}
		out.Target = box
		return s.keep(ctx, userID, out, states, change{add: db.FlagSeen})
	}
	c, target, err := s.change(ctx, userID, r)
	if err != nil {
		return out, err
	}
	ids, err := s.owned(ctx, userID, r.IDs, limit)
	if err != nil {
		return out, err
	}
	all, err := s.db.MessageStates(ctx, userID, ids)
	if err != nil {
		return out, err
	}
	var states []db.MessageState
	var changed []int64
	for _, st := range all {
		if c.changes(st) {
			states = append(states, st)
			changed = append(changed, st.ID)
		}
	}
	if c.mailbox != 0 {
		if _, err := s.db.MoveMessages(ctx, userID, changed, c.mailbox); err != nil {
			return out, err
		}
	}
	if c.add != 0 || c.remove != 0 {
		if _, err := s.db.SetFlags(ctx, userID, changed, c.add, c.remove); err != nil {
			return out, err
		}
	}
	out.Target = target
	return s.keep(ctx, userID, out, states, c)
}

// change is what r does, and the mailbox it moves messages to.
func (s *Messages) change(ctx context.Context, userID int64, r Request) (change, db.Mailbox, error) {
	role := map[MessageAction]db.MailboxRole{ActionArchive: db.MailboxArchive, ActionJunk: db.MailboxJunk,
		ActionNotJunk: db.MailboxInbox, ActionTrash: db.MailboxTrash, ActionRestore: db.MailboxInbox}[r.Action]
	switch r.Action {
	case ActionStar:
		return change{add: db.FlagFlagged}, db.Mailbox{}, nil
	case ActionUnstar:
		return change{remove: db.FlagFlagged}, db.Mailbox{}, nil
	case ActionRead:
		return change{add: db.FlagSeen}, db.Mailbox{}, nil
	case ActionUnread:
		return change{remove: db.FlagSeen}, db.Mailbox{}, nil
	case ActionMove:
		box, err := s.db.Mailbox(ctx, userID, r.To)
		if errors.Is(err, db.ErrNotFound) || (err == nil && box.Role == db.MailboxDrafts) {
			return change{}, db.Mailbox{}, ErrBadTarget
		}
		if err != nil {
			return change{}, db.Mailbox{}, err
		}
		return change{mailbox: box.ID}, box, nil
	case ActionArchive, ActionJunk, ActionNotJunk, ActionTrash, ActionRestore:
		box, err := s.db.MailboxByRole(ctx, userID, role)
		if err != nil {
			return change{}, db.Mailbox{}, err
		}
		return change{mailbox: box.ID}, box, nil
	}
	return change{}, db.Mailbox{}, ErrUnknownAction
}

// owned checks a selection as Apply does and returns it without repeats.
func (s *Messages) owned(ctx context.Context, userID int64, ids []int64, limit int) ([]int64, error) {
	uniq := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, db.ErrNotFound
		}
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
		if len(uniq) > limit {
			return nil, ErrTooManySelected
		}
	}
	if len(uniq) == 0 {
		return nil, ErrNoneSelected
	}
	n, err := s.db.CountOwnedMessages(ctx, userID, uniq)
	if err != nil {
		return nil, err
	}
	if n != len(uniq) {
		return nil, db.ErrNotFound
	}
	return uniq, nil
}

// keep records what an action changed (the states before it), for Undo.
func (s *Messages) keep(ctx context.Context, userID int64, out Outcome, states []db.MessageState, c change) (Outcome, error) {
	return keepUndo(ctx, s.db, userID, out, states)
}

// keepUndo records the states of the messages an action changed, before
// it, under a new undo id, and returns the outcome with that id and the
// count.
func keepUndo(ctx context.Context, store *db.DB, userID int64, out Outcome, states []db.MessageState) (Outcome, error) {
	out.Count = int64(len(states))
	if len(states) == 0 {
		return out, nil
	}
	id, err := undoID()
	if err != nil {
		return out, err
	}
	out.Undo, out.Expires = id, store.Now().Add(UndoTTL)
	err = store.SaveUndo(ctx, db.UndoRecord{ID: id, UserID: userID, Action: string(out.Action), Count: out.Count,
		Target: out.Target.ID, Items: states, Expires: out.Expires})
	if err != nil {
		return Outcome{}, fmt.Errorf("keep undo: %w", err)
	}
	return out, nil
}

func undoID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("undo id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// undoes says what undoing action puts back: the mailbox, and which flags.
func undoes(action MessageAction) (mailbox bool, flags db.Flag) {
	switch action {
	case ActionStar, ActionUnstar:
		return false, db.FlagFlagged
	case ActionRead, ActionUnread, ActionMarkAllRead:
		return false, db.FlagSeen
	case ActionApplyRules:
		// The flags a rule can add, with the mailbox it moved to.
		return true, db.FlagSeen | db.FlagFlagged
	}
	return true, 0
}

// Undo puts back what the action recorded under id changed, once: each
// message's previous mailbox, or the flags the action set, leaving what
// later actions changed otherwise. The outcome is the undone action's,
// with the count of messages put back. ErrUndoGone when id has expired,
// was undone already or is not the user's.
func (s *Messages) Undo(ctx context.Context, userID int64, id string) (Outcome, error) {
	rec, err := s.db.TakeUndo(ctx, userID, id)
	if errors.Is(err, db.ErrNotFound) {
		return Outcome{}, ErrUndoGone
	}
	if err != nil {
		return Outcome{}, err
	}
	mailbox, flags := undoes(MessageAction(rec.Action))
	n, err := s.db.RestoreMessageStates(ctx, userID, rec.Items, mailbox, flags)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Action: MessageAction(rec.Action), Count: n}, nil
}

// Pending returns the outcome an unexpired undo record describes, for its
// notice, or ErrUndoGone. Target is the mailbox the messages went to (its
// zero value when there was none, or it has been deleted since).
func (s *Messages) Pending(ctx context.Context, userID int64, id string) (Outcome, error) {
	rec, err := s.db.Undo(ctx, userID, id)
	if errors.Is(err, db.ErrNotFound) {
		return Outcome{}, ErrUndoGone
	}
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{Action: MessageAction(rec.Action), Count: rec.Count, Undo: rec.ID, Expires: rec.Expires}
	if rec.Target != 0 {
		if out.Target, err = s.db.Mailbox(ctx, userID, rec.Target); err != nil && !errors.Is(err, db.ErrNotFound) {
			return Outcome{}, err
		}
	}
	return out, nil
}

// ---- folders ----

// MaxFolderName bounds a folder's name, in characters.
const MaxFolderName = 100

// Folders are the mailboxes a user makes, beside the system ones: one
// level of nesting, unique names among siblings whatever their case.
type Folders struct {
	db *db.DB
}

// NewFolders returns the folders service.
func NewFolders(store *db.DB) *Folders { return &Folders{db: store} }

// FolderInput is a folder's name and where it sits (Parent 0: the top
// level).
type FolderInput struct {
	Name   string
	Parent int64
}

// checkName returns the name as stored (trimmed), with its problems.
func (in FolderInput) check() (string, problems) {
	var ps problems
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		ps.add("name", i18n.Key("Give the folder a name."))
	case utf8.RuneCountInString(name) > MaxFolderName:
		ps.add("name", i18n.Key("Use at most %d characters."), MaxFolderName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		ps.add("name", i18n.Key("A folder's name cannot contain line breaks or tabs."))
	}
	return name, ps
}

// folderError turns the store's refusals into problems a person can fix.
func folderError(err error) error {
	var ps problems
	switch {
	case errors.Is(err, db.ErrConflict):
		ps.add("name", i18n.Key("There is already a folder with this name there."))
	case errors.Is(err, db.ErrMailboxNesting):
		ps.add("parent", i18n.Key("Folders nest one level only: choose a folder at the top level, not one inside another."))
	case errors.Is(err, db.ErrSystemMailbox):
		ps.add("", i18n.Key("This mailbox is one of Apartado's own: it cannot be renamed or deleted."))
	default:
		return err
	}
	return ps.err()
}

// Create adds a folder.
func (s *Folders) Create(ctx context.Context, userID int64, in FolderInput) (db.Mailbox, error) {
	name, ps := in.check()
	if err := ps.err(); err != nil {
		return db.Mailbox{}, err
	}
	b, err := s.db.CreateMailbox(ctx, userID, name, in.Parent)
	if err != nil {
		return db.Mailbox{}, folderError(err)
	}
	return b, nil
}

// Update renames a folder and sets where it sits.
func (s *Folders) Update(ctx context.Context, userID, id int64, in FolderInput) (db.Mailbox, error) {
	name, ps := in.check()
	if err := ps.err(); err != nil {
		return db.Mailbox{}, err
	}
	b, err := s.db.UpdateMailbox(ctx, userID, id, name, in.Parent)
	if err != nil {
		return db.Mailbox{}, folderError(err)
	}
	return b, nil
}

// Delete deletes a folder and the folders inside it; their messages go to
// the inbox, or to the trash (to), as the user chose. It returns how many
// messages moved.
func (s *Folders) Delete(ctx context.Context, userID, id int64, to db.MailboxRole) (int64, error) {
	if to != db.MailboxInbox && to != db.MailboxTrash {
		var ps problems
		ps.add("to", i18n.Key("Choose where the folder's messages go: the inbox or the trash."))
		return 0, ps.err()
	}
	n, err := s.db.DeleteMailboxInto(ctx, userID, id, to)
	if err != nil {
		return 0, folderError(err)
	}
	return n, nil
}

// Neighbours returns the messages beside the user's message id in the list
// q (its paging ignored): the next newer and the next older, 0 at the
// list's ends. ErrNotFound when id is not the user's.
func (s *Messages) Neighbours(ctx context.Context, userID int64, q db.ListQuery, id int64) (newer, older int64, err error) {
	m, err := s.db.Message(ctx, userID, id)
	if err != nil {
		return 0, 0, err
	}
	return s.db.Neighbours(ctx, userID, q, db.Cursor{SortAt: m.SortAt.Unix(), ID: m.ID})
}

// Leaves reports whether action takes a message out of the list it is in,
// so that its page should lead elsewhere afterwards.
func Leaves(action MessageAction) bool {
	switch action {
	case ActionArchive, ActionMove, ActionJunk, ActionNotJunk, ActionTrash, ActionRestore, ActionDelete:
		return true
	}
	return false
}

// NextAfter is the message to open after the user's message id leaves the
// list q: the next older one, or at the list's end the next newer one; 0
// when it was the list's only message.
func (s *Messages) NextAfter(ctx context.Context, userID int64, q db.ListQuery, id int64) (int64, error) {
	newer, older, err := s.Neighbours(ctx, userID, q, id)
	if err != nil {
		return 0, err
	}
	if older != 0 {
		return older, nil
	}
	return newer, nil
}
