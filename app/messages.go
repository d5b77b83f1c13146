package app

import (
	"context"
	"errors"

	"github.com/apartado/apartado/db"
)

// MessageAction is what a list action does to the selected messages.
type MessageAction string

// The list actions.
const (
	ActionTrash      MessageAction = "trash"       // move to the trash
	ActionRestore    MessageAction = "restore"     // out of the trash, into the inbox
	ActionDelete     MessageAction = "delete"      // delete for good; only messages in the trash
	ActionRead       MessageAction = "read"        // mark read
	ActionUnread     MessageAction = "unread"      // mark unread
	ActionEmptyTrash MessageAction = "empty-trash" // delete everything in the trash; takes no selection
)

// MaxSelected bounds how many messages one action touches.
const MaxSelected = 1000

// Errors of Messages.Apply. A selection naming a message that is not the
// user's is db.ErrNotFound, as if it did not exist.
var (
	ErrUnknownAction   = errors.New("app: unknown message action")
	ErrTooManySelected = errors.New("app: too many messages selected")
	ErrNoneSelected    = errors.New("app: no message selected")
)

// Messages acts on a user's stored mail.
type Messages struct {
	db *db.DB
}

// NewMessages returns the messages service.
func NewMessages(store *db.DB) *Messages { return &Messages{db: store} }

// Apply does action to the user's messages ids (repeats count once) and
// returns how many changed. Every id must be one of the user's messages,
// checked in one query before anything changes; else db.ErrNotFound and
// nothing changes.
func (s *Messages) Apply(ctx context.Context, userID int64, action MessageAction, ids []int64) (int64, error) {
	switch action {
	case ActionTrash, ActionRestore, ActionDelete, ActionRead, ActionUnread, ActionEmptyTrash:
	default:
		return 0, ErrUnknownAction
	}
	if action == ActionEmptyTrash {
		return s.db.EmptyTrash(ctx, userID)
	}
	uniq, err := s.owned(ctx, userID, ids, MaxSelected)
	if err != nil {
		return 0, err
	}
	switch action {
	case ActionTrash:
		return s.db.TrashMessages(ctx, userID, uniq)
	case ActionRestore:
		return s.db.RestoreMessages(ctx, userID, uniq)
	case ActionDelete:
		return s.db.DeleteMessages(ctx, userID, uniq)
	case ActionRead, ActionUnread:
		return int64(len(uniq)), s.db.SetSeen(ctx, userID, uniq, action == ActionRead)
	}
	return 0, ErrUnknownAction
}
