package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
)

// FieldDraft names a problem with the draft as a whole.
const FieldDraft = "draft"

// maxDraftBytes bounds a saved draft's fields (its text, mostly).
const maxDraftBytes = 1 << 20

// Bounds of the files kept with one draft.
const (
	// MaxAttachmentsTotal is what a message's files may weigh in all:
	// AttachmentsLimit of DefaultMaxSendSize.
	MaxAttachmentsTotal = DefaultMaxSendSize / base64Growth * 3
	// MaxDraftFiles is how many files one draft keeps.
	MaxDraftFiles = 100
)

// base64Growth: base64 writes 3 octets as 4.
const base64Growth = 4

// AttachmentsLimit is how much files may add up to in a message of at most
// size octets: written in base64, they grow by a third.
func AttachmentsLimit(size int64) int64 { return size / base64Growth * 3 }

var draftLimits = db.AttachmentLimits{MaxTotal: MaxAttachmentsTotal, MaxFiles: MaxDraftFiles}

// Drafts keeps the messages a user is writing, saved as they type, so
// that closing the browser loses nothing: their text fields, and the files
// uploaded with them, kept in the database until the message is queued or
// the draft deleted.
type Drafts struct {
	db *db.DB
}

// NewDrafts returns the drafts service.
func NewDrafts(store *db.DB) *Drafts { return &Drafts{db: store} }

// DraftInput is a draft to save: its fields; its Attachments, new files to
// keep with it (each opened once and streamed into the database); the kept
// files to remove; and the names of files chosen but not uploaded (the
// autosave sends text only), for the composer to ask for again.
type DraftInput struct {
	Draft
	Remove []int64
	Lost   []string
}

// Save stores in as the user's draft id (0: none known) to be sent from
// accountID (0: none chosen yet), and returns its id. A draft is found by
// its id, else by in.ComposeKey (so that saves without the id, sent
// before the first one's answer, change the draft it made), else it is a
// new one; an id that names no draft, found by neither, is
// db.ErrNotFound. A message whose key is in the outbox already is not
// saved: an *Invalid on FieldComposeKey. Its HTML is kept
// sanitized, with the text it says (see Draft.SetHTML). Its text and the
// files that fit are saved even when some file does not: the error is then
// an *Invalid naming those files (on compose.FieldAttachment), with the
// draft's id returned all the same.
func (s *Drafts) Save(ctx context.Context, userID, id, accountID int64, in DraftInput) (int64, error) {
	in.SetHTML(in.HTML)
	f := fieldsOf(in.Draft)
	f.Attachments = in.Lost
	fields, err := json.Marshal(f)
	if err != nil {
		return 0, fmt.Errorf("save draft: %w", err)
	}
	if len(fields) > maxDraftBytes {
		return 0, &Invalid{Problems: []Problem{{FieldDraft, i18n.Key("This draft is too long to save."), nil}}}
	}
	id, err = s.db.SaveDraft(ctx, userID, db.DraftSave{ID: id, Key: ParseComposeKey(in.ComposeKey), AccountID: accountID,
		Subject: in.Subject, Fields: string(fields)})
	if errors.Is(err, db.ErrKeySpent) {
		return 0, keySpentProblem(i18n.Key("This message is in the outbox already, so it was not saved as a draft again."))
	}
	if errors.Is(err, db.ErrTooManyDrafts) {
		return 0, &Invalid{Problems: []Problem{{FieldDraft, i18n.Key("You have %d drafts already: send or delete some to save more."), []any{db.MaxDrafts}}}}
	}
	if err != nil {
		return 0, err
	}
	if err := s.db.RemoveDraftAttachments(ctx, userID, id, in.Remove); err != nil {
		return id, err
	}
	var ps problems
	for _, a := range in.Attachments {
		err := s.keep(ctx, userID, id, a)
		switch {
		case errors.Is(err, db.ErrAttachmentsTooLarge):
			ps.add(compose.FieldAttachment, i18n.Key("%s was not attached: the files would be larger than %d MB in all."), a.Name, MaxAttachmentsTotal>>20)
		case errors.Is(err, db.ErrTooManyAttachments):
			ps.add(compose.FieldAttachment, i18n.Key("%s was not attached: a message takes at most %d files."), a.Name, MaxDraftFiles)
		case err != nil:
			return id, err
		}
	}
	return id, ps.err()
}

// keep streams one file into the draft.
func (s *Drafts) keep(ctx context.Context, userID, draftID int64, a compose.Attachment) error {
	if a.Open == nil {
		return fmt.Errorf("keep %q: nothing to read", a.Name)
	}
	rc, err := a.Open()
	if err != nil {
		return fmt.Errorf("keep %q: %w", a.Name, err)
	}
	_, err = s.db.AddDraftAttachment(ctx, userID, draftID, a.Name, a.ContentType, rc, draftLimits)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("keep %q: %w", a.Name, cerr)
	}
	return err
}

// Open returns one of the user's drafts to edit, with the account it is
// to be sent from (0: none) and its compose key: a draft saved before keys
// is given one now, so that every composer it is opened in saves it under
// the same key.
func (s *Drafts) Open(ctx context.Context, userID, id int64) (Undone, error) {
	dr, err := s.db.Draft(ctx, userID, id)
	if err != nil {
		return Undone{}, err
	}
	u, err := draftOf(dr)
	if err != nil {
		return Undone{}, err
	}
	u.DraftID, u.ComposeKey = id, dr.Key
	if u.ComposeKey == "" {
		if u.ComposeKey, err = s.db.KeyDraft(ctx, userID, id, NewComposeKey()); err != nil {
			return Undone{}, err
		}
	}
	return u, nil
}

func draftOf(dr db.Draft) (Undone, error) {
	u, err := undoneFrom(dr.Fields)
	if err != nil {
		return Undone{}, fmt.Errorf("draft %d: %w", dr.ID, err)
	}
	u.AccountID = dr.AccountID
	return u, nil
}

// AttachedFile is a file a draft will send, as the composer lists it: a
// file kept with the draft (ID), a part of the original being forwarded
// (Part), or the original itself as an .eml file (Original).
type AttachedFile struct {
	ID       int64
	Part     string
	Original bool
	Name     string
	Size     int64
}

// Files lists what the user's draft d (kept as draftID, or 0) will send:
// the files kept with it, then the original's parts and the original
// itself when d forwards them. An original that is gone is left out: Send
// says so.
func (s *Drafts) Files(ctx context.Context, userID, draftID int64, d Draft) ([]AttachedFile, error) {
	var out []AttachedFile
	if draftID > 0 {
		kept, err := s.db.DraftAttachments(ctx, userID, draftID)
		if err != nil {
			return nil, err
		}
		for _, a := range kept {
			out = append(out, AttachedFile{ID: a.ID, Name: a.Name, Size: a.Size})
		}
	}
	if d.Original <= 0 || len(d.OriginalParts) == 0 && !d.AttachOriginal {
		return out, nil
	}
	sum, err := s.db.Message(ctx, userID, d.Original)
	if errors.Is(err, db.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	if len(d.OriginalParts) > 0 {
		raw, err := s.db.MessageRaw(ctx, userID, d.Original)
		if err != nil {
			return nil, err
		}
		listed := map[string]message.Attachment{}
		for _, a := range message.Render(raw, message.RenderOptions{}).Attachments {
			listed[a.ID] = a
		}
		for _, id := range d.OriginalParts {
			if a, ok := listed[id]; ok {
				out = append(out, AttachedFile{Part: id, Name: a.Filename, Size: a.Size})
			}
		}
	}
	if d.AttachOriginal {
		out = append(out, AttachedFile{Original: true, Name: emlName(sum.Subject), Size: sum.Size})
	}
	return out, nil
}

// emlName is the file name of a forwarded original.
func emlName(subject string) string { return compose.EMLName(subject, "message") }

// DraftSummary is a draft as the list shows it.
type DraftSummary struct {
	db.Draft
	To []compose.Address
}

// List returns the user's drafts, the last changed first, read in one
// query.
func (s *Drafts) List(ctx context.Context, userID int64) ([]DraftSummary, error) {
	list, err := s.db.Drafts(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]DraftSummary, 0, len(list))
	for _, dr := range list {
		sum := DraftSummary{Draft: dr}
		if u, err := draftOf(dr); err == nil {
			sum.To = u.To
		}
		out = append(out, sum)
	}
	return out, nil
}

// Delete deletes one of the user's drafts (once it is sent, or thrown
// away), with its files.
func (s *Drafts) Delete(ctx context.Context, userID, id int64) error {
	return s.db.DeleteDraft(ctx, userID, id)
}

// keepAsDraft makes a new draft of a message taken back from the outbox,
// under u.ComposeKey: its fields, and its files read back from raw, the
// bytes that were to be sent. It returns the draft's id and the names of
// the files that could not be read back or kept.
func keepAsDraft(ctx context.Context, store *db.DB, userID, accountID int64, u Undone, raw []byte) (int64, []string, error) {
	f := fieldsOf(u.Draft)
	f.Attachments = nil
	fields, err := json.Marshal(f)
	if err != nil {
		return 0, nil, fmt.Errorf("keep as draft: %w", err)
	}
	id, err := store.SaveDraft(ctx, userID, db.DraftSave{Key: u.ComposeKey, AccountID: accountID, Subject: u.Subject, Fields: string(fields)})
	if err != nil {
		return 0, nil, err
	}
	lost := append([]string(nil), u.AttachmentNames...)
	var storeErr error
	// A message that cannot be read back (it is Apartado's own, so this
	// is unlikely) keeps what was read: the rest is named as lost.
	_ = compose.ReadAttachments(bytes.NewReader(raw), func(p compose.ReadPart) error {
		_, err := store.AddDraftAttachment(ctx, userID, id, p.Name, p.ContentType, p.Body, draftLimits)
		if errors.Is(err, db.ErrAttachmentsTooLarge) || errors.Is(err, db.ErrTooManyAttachments) {
			return nil // named as lost
		}
		if err != nil {
			storeErr = err
			return err
		}
		for i, name := range lost {
			if name == p.Name {
				lost = append(lost[:i], lost[i+1:]...)
				break
			}
		}
		return nil
	})
	return id, lost, storeErr
}
