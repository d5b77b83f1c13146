package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
)

// FieldDraft names a problem with the draft as a whole.
const FieldDraft = "draft"

// maxDraftBytes bounds a saved draft's fields (its text, mostly).
const maxDraftBytes = 1 << 20

// Drafts keeps the messages a user is writing, saved as they type, so
// that closing the browser loses nothing. A draft keeps its text fields;
// its attachments are named, to be attached again.
type Drafts struct {
	db *db.DB
}

// NewDrafts returns the drafts service.
func NewDrafts(store *db.DB) *Drafts { return &Drafts{db: store} }

// Save stores d as the user's draft id (0: a new one) to be sent from
// accountID (0: none chosen yet), and returns its id. Its HTML is kept
// sanitized, with the text it says (see Draft.SetHTML).
func (s *Drafts) Save(ctx context.Context, userID, id, accountID int64, d Draft) (int64, error) {
	d.SetHTML(d.HTML)
	fields, err := json.Marshal(fieldsOf(d))
	if err != nil {
		return 0, fmt.Errorf("save draft: %w", err)
	}
	if len(fields) > maxDraftBytes {
		return 0, &Invalid{Problems: []Problem{{FieldDraft, i18n.Key("This draft is too long to save."), nil}}}
	}
	id, err = s.db.SaveDraft(ctx, userID, id, accountID, d.Subject, string(fields))
	if errors.Is(err, db.ErrTooManyDrafts) {
		return 0, &Invalid{Problems: []Problem{{FieldDraft, i18n.Key("You have %d drafts already: send or delete some to save more."), []any{db.MaxDrafts}}}}
	}
	return id, err
}

// Open returns one of the user's drafts to edit, with the account it is
// to be sent from (0: none).
func (s *Drafts) Open(ctx context.Context, userID, id int64) (Undone, error) {
	dr, err := s.db.Draft(ctx, userID, id)
	if err != nil {
		return Undone{}, err
	}
	return draftOf(dr)
}

func draftOf(dr db.Draft) (Undone, error) {
	u, err := undoneFrom(dr.Fields)
	if err != nil {
		return Undone{}, fmt.Errorf("draft %d: %w", dr.ID, err)
	}
	u.AccountID = dr.AccountID
	return u, nil
}

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
// away).
func (s *Drafts) Delete(ctx context.Context, userID, id int64) error {
	return s.db.DeleteDraft(ctx, userID, id)
}
