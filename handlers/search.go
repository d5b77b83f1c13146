package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

const searchPath = "/search"

// doneTooManyResults: an action on all the results of a search that finds
// more than app.MaxActOnResults.
const doneTooManyResults = "too-many-results"

// maxQueryBytes bounds a query typed in the search field.
const maxQueryBytes = 1000

// searchPage shows a page of the results of ?q=, newest first, paged by
// a keyset cursor (?before=). A query that cannot be run says why.
func (h *Handler) searchPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	st := state(r)
	l := i18n.FromContext(ctx)
	params := r.URL.Query()
	query := params.Get("q")
	if len(query) > maxQueryBytes {
		query = query[:maxQueryBytes]
	}
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := web.SearchView{
		Chrome:     h.chrome(r, i18n.T(ctx, "Search"), "", 0, accounts),
		Query:      query,
		ReturnPath: searchReturn(query, params.Get("before")),
		Notice:     doneNotice(r),
	}
	v.Chrome.Nav.Query = query
	boxes, err := h.db.Mailboxes(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Chrome.Sidebar = sidebar(ctx, boxes, "", 0)
	v.Actions.MoveTo = moveTargets(ctx, boxes, 0)
	if v.Undo, err = h.undoNotice(r, u.ID, v.ReturnPath); err != nil {
		h.fail(w, r, err)
		return
	}
	if params.Get("done") == doneTooManyResults {
		v.Notice = i18n.T(ctx, "This search finds more than %s messages: narrow it down to act on all of them.",
			l.Number(app.MaxActOnResults))
	}
	if strings.TrimSpace(query) == "" {
		h.render(w, r, http.StatusOK, web.SearchPage(v))
		return
	}
	req := app.SearchRequest{Query: query, Locale: l.Code(), Loc: st.tz, Limit: pageSize, CountLater: true}
	if s := params.Get("before"); s != "" {
		c, ok := db.ParseCursor(s)
		if !ok {
			h.badRequest(w, r)
			return
		}
		req.Before = &c
		v.FirstURL = searchPath + "?" + url.Values{"q": {query}}.Encode()
	}
	res, err := h.search.Find(ctx, u.ID, req)
	if msg, ok := app.QueryError(l, err); ok {
		v.Error = msg
		h.render(w, r, http.StatusBadRequest, web.SearchPage(v))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Total, v.More = int64(res.Total), res.More
	if !res.Counted {
		// More than a page: said at once, counted after (searchCount).
		v.Total, v.More = int64(len(res.Hits)), true
		v.CountURL = searchPath + "/count?" + url.Values{"q": {query}}.Encode()
	}
	if res.Indexing.Active {
		v.Indexing = i18n.T(ctx, "Indexing older mail: %s of %s messages are searchable so far.",
			l.Number(res.Indexing.Done), l.Number(res.Indexing.Total))
	}
	if res.Older != nil {
		v.OlderURL = searchPath + "?" + url.Values{"q": {query}, "before": {res.Older.String()}}.Encode()
	}
	now := h.now()
	for _, m := range res.Hits {
		v.Rows = append(v.Rows, web.MessageRow{
			ID:            m.ID,
			URL:           messageURL(m.ID, v.ReturnPath),
			From:          senderName(r, m.MessageSummary),
			FromAddr:      m.FromAddr,
			Subject:       subjectOrPlaceholder(r, m.Subject),
			SubjectParts:  segments(m.MarkedSubject),
			SnippetParts:  segments(m.MarkedSnippet),
			Snippet:       m.Snippet,
			Date:          l.ShortDate(m.SortAt, now, st.tz),
			DateFull:      l.Date(m.SortAt, st.tz),
			Unread:        !m.Flags.Has(db.FlagSeen),
			Starred:       m.Flags.Has(db.FlagFlagged),
			HasAttachment: m.HasAttachments,
			Account:       accountTag(m.AccountName, len(accounts)),
		})
	}
	h.render(w, r, http.StatusOK, web.SearchPage(v))
}

// searchCount counts the results of ?q= for a first page drawn without
// its count, which static/app.js then shows: counting up to
// db.SearchCountBound matches costs more than drawing the page. It
// answers the two texts that say it, {"total", "all"}, or {"error"} with
// 400 for a query that cannot be run.
func (h *Handler) searchCount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := i18n.FromContext(ctx)
	query := r.URL.Query().Get("q")
	if len(query) > maxQueryBytes {
		query = query[:maxQueryBytes]
	}
	total, more, err := h.search.Count(ctx, currentUser(r).ID, app.SearchRequest{Query: query, Locale: l.Code(), Loc: state(r).tz})
	if msg, ok := app.QueryError(l, err); ok {
		h.writeJSON(w, r, http.StatusBadRequest, map[string]string{"error": msg})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, map[string]string{
		"total": web.SearchTotal(ctx, int64(total), more),
		"all":   web.SearchAll(ctx, int64(total), more),
	})
}

// searchReturn is the way back to a page of results after an action.
func searchReturn(query, before string) string {
	q := url.Values{"q": {query}}
	if before != "" {
		q.Set("before", before)
	}
	return searchPath + "?" + q.Encode()
}

func accountTag(name string, accounts int) string {
	if accounts > 1 {
		return name
	}
	return ""
}

// segments splits text marked by the database (db.MarkStart, db.MarkEnd)
// into pieces; nil when nothing is marked, so the row shows the plain text.
func segments(marked string) []web.Segment {
	if !strings.Contains(marked, db.MarkStart) {
		return nil
	}
	var out []web.Segment
	for marked != "" {
		before, rest, found := strings.Cut(marked, db.MarkStart)
		if before != "" {
			out = append(out, web.Segment{Text: before})
		}
		if !found {
			break
		}
		word, after, _ := strings.Cut(rest, db.MarkEnd)
		if word != "" {
			out = append(out, web.Segment{Text: word, Mark: true})
		}
		marked = after
	}
	return out
}

// searchActions applies a list action to the messages selected on a
// results page, or, with all=1, to every message the search (q) finds,
// then goes back to the results.
func (h *Handler) searchActions(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	if r.PostForm.Get("all") != "1" {
		h.messageActions(w, r)
		return
	}
	ctx := r.Context()
	u := currentUser(r)
	l := i18n.FromContext(ctx)
	query := r.PostForm.Get("q")
	back := searchPath + "?" + url.Values{"q": {query}}.Encode()
	req, ok := actionForm(r)
	if !ok {
		h.badRequest(w, r)
		return
	}
	out, err := h.search.ApplyToAll(ctx, u.ID, req, app.SearchRequest{Query: query, Locale: l.Code(), Loc: state(r).tz})
	if _, ok := app.QueryError(l, err); ok {
		redirect(w, r, back)
		return
	}
	switch {
	case errors.Is(err, app.ErrTooManyResults):
		redirect(w, r, withQuery(back, "done", doneTooManyResults))
		return
	case errors.Is(err, app.ErrNoneSelected):
		redirect(w, r, withQuery(back, "done", doneNoneSelected))
		return
	case errors.Is(err, app.ErrBadTarget):
		redirect(w, r, withQuery(back, "done", doneBadTarget))
		return
	case errors.Is(err, app.ErrUnknownAction):
		h.badRequest(w, r)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.log.Debug("search action", "user", u.ID, "action", req.Action, "count", out.Count)
	redirect(w, r, withOutcome(back, out))
}
