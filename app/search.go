package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/search"
)

// MaxActOnResults bounds how many results "select all N results" acts on
// at once: enough for a year of a busy mailbox, and a bound on one
// request's work. A search that finds more asks to be narrowed.
const MaxActOnResults = 10000

// ErrTooManyResults is an action on every result of a search that finds
// more than MaxActOnResults.
var ErrTooManyResults = errors.New("app: too many search results to act on")

// Search finds a user's mail with the query language of package search,
// and indexes the mail stored before search existed.
type Search struct {
	db       *db.DB
	messages *Messages
	batch    int // messages indexed per transaction by IndexSome
}

// NewSearch returns the search service.
func NewSearch(store *db.DB) *Search {
	return &Search{db: store, messages: NewMessages(store), batch: indexBatch}
}

// SearchRequest is a search as a person typed it, with how they write
// dates and their time zone.
type SearchRequest struct {
	Query  string
	Locale string         // the reader's language ("es", "en"): dd/mm or mm/dd dates
	Loc    *time.Location // the reader's time zone; nil: the server's
	Before *db.Cursor     // the page after this row
	Limit  int
	// CountLater: a first page that does not show every result is not
	// counted (SearchPage.Counted false); Count counts it after.
	CountLater bool
}

// DateOrder is how a reader of the locale writes a numeric date.
func DateOrder(locale string) search.DateOrder {
	if strings.HasPrefix(locale, "en") {
		return search.MonthFirst
	}
	return search.DayFirst
}

// SearchResults is a page of results and how far indexing is.
type SearchResults struct {
	db.SearchPage
	Indexing db.IndexProgress
}

// ParseQuery parses a query as the reader of locale writes it. A malformed
// query is a *search.Error, whose Key the interface translates.
func ParseQuery(query, locale string) (search.Query, error) {
	return search.Parse(query, DateOrder(locale))
}

// Find returns a page of the messages a query matches, newest first.
func (s *Search) Find(ctx context.Context, userID int64, req SearchRequest) (SearchResults, error) {
	q, err := ParseQuery(req.Query, req.Locale)
	if err != nil {
		return SearchResults{}, err
	}
	var res SearchResults
	res.SearchPage, err = s.db.SearchMessages(ctx, userID, q,
		db.SearchOptions{Loc: req.Loc, Before: req.Before, Limit: req.Limit, CountLater: req.CountLater})
	if err != nil {
		return res, err
	}
	res.Indexing, err = s.db.IndexProgress(ctx, userID)
	return res, err
}

// Count counts the results of a query up to db.SearchCountBound; more
// says there are more than that. A malformed query is a *search.Error.
func (s *Search) Count(ctx context.Context, userID int64, req SearchRequest) (total int, more bool, err error) {
	q, err := ParseQuery(req.Query, req.Locale)
	if err != nil {
		return 0, false, err
	}
	return s.db.CountSearch(ctx, userID, q, req.Loc)
}

// Each calls fn with every message a query matches, newest first, a page
// at a time (for the command line, which prints them all), without counts
// or marks (db.SearchOptions.Bare).
func (s *Search) Each(ctx context.Context, userID int64, req SearchRequest, fn func(db.SearchHit) error) error {
	q, err := ParseQuery(req.Query, req.Locale)
	if err != nil {
		return err
	}
	opts := db.SearchOptions{Loc: req.Loc, Limit: 500, Bare: true}
	for {
		page, err := s.db.SearchMessages(ctx, userID, q, opts)
		if err != nil {
			return err
		}
		for _, h := range page.Hits {
			if err := fn(h); err != nil {
				return err
			}
		}
		if page.Older == nil {
			return nil
		}
		opts.Before = page.Older
	}
}

// ApplyToAll does an action to every message a query matches (not only
// the page shown), as Messages.Act does to a selection: one action, with
// one record to undo it all. r names the action (and the mailbox of a
// move); its IDs are the matches. More than MaxActOnResults matches is
// ErrTooManyResults, and nothing changes. Deleting for good and the
// actions on a whole mailbox are not for search results (ErrUnknownAction).
func (s *Search) ApplyToAll(ctx context.Context, userID int64, r Request, req SearchRequest) (Outcome, error) {
	switch r.Action {
	case ActionDelete, ActionEmptyTrash, ActionMarkAllRead:
		return Outcome{}, ErrUnknownAction
	}
	q, err := ParseQuery(req.Query, req.Locale)
	if err != nil {
		return Outcome{}, err
	}
	for attempt := 0; ; attempt++ {
		ids, more, err := s.db.SearchIDs(ctx, userID, q, req.Loc, MaxActOnResults)
		if err != nil {
			return Outcome{}, err
		}
		if more {
			return Outcome{}, ErrTooManyResults
		}
		if len(ids) == 0 {
			return Outcome{}, ErrNoneSelected
		}
		r.IDs = ids
		out, err := s.messages.act(ctx, userID, r, MaxActOnResults)
		// A match deleted between the search and the action: search again,
		// once.
		if errors.Is(err, db.ErrNotFound) && attempt == 0 {
			continue
		}
		return out, err
	}
}

// QueryError is the sentence to show for a query that could not be
// parsed, translated; ok is false for any other error.
func QueryError(l *i18n.Locale, err error) (msg string, ok bool) {
	var pe *search.Error
	if !errors.As(err, &pe) {
		return "", false
	}
	return l.T(pe.Key, pe.Args...), true
}

// The indexing job's bounds: messages and raw bytes read per transaction.
const (
	indexBatch      = 200
	indexBatchBytes = 16 << 20
)

// IndexSome indexes one batch of the mail stored before search existed,
// newest first, and returns how many messages it read; done is true when
// nothing is left. Each batch is one transaction that also moves the
// job's cursor, so a stop loses at most the batch under way.
func (s *Search) IndexSome(ctx context.Context) (n int, done bool, err error) {
	batch, done, err := s.db.UnindexedBatch(ctx, s.batch, indexBatchBytes)
	if err != nil || done {
		return 0, done, err
	}
	out := make([]db.Indexed, len(batch))
	for i, m := range batch {
		_, st := message.Analyze(m.Raw)
		out[i] = db.Indexed{ID: m.ID, Search: s.db.PrepareSearch(st.Body, st.Attachments)}
	}
	if err := s.db.StoreIndexed(ctx, out); err != nil {
		return 0, false, err
	}
	return len(batch), false, nil
}

// RunIndexer indexes the older mail until it is all searchable or ctx is
// done (the server stopping), pausing after a failure.
func (s *Search) RunIndexer(ctx context.Context, log *slog.Logger) {
	runBackfill(ctx, log, "search: older mail indexed", "search: indexing older mail", s.IndexSome)
}
