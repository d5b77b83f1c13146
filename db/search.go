package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apartado/apartado/search"
)

// Highlight markers: highlight() and snippet() put them around the words
// a search matched. Control characters never reach the index (see
// searchable), so a marker in a result is always one of these.
const (
	MarkStart = "\x01"
	MarkEnd   = "\x02"
)

// searchable prepares a field for message_text: CJK tokenizable, and
// without the highlight markers.
func searchable(s string) string {
	if strings.ContainsAny(s, MarkStart+MarkEnd) {
		s = strings.NewReplacer(MarkStart, " ", MarkEnd, " ").Replace(s)
	}
	return search.Tokenizable(s)
}

// insertSearchText indexes a message as it is stored.
func insertSearchText(ctx context.Context, tx *sql.Tx, id int64, m NewMessage) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO message_text (message_id, subject, sender, recipients, body, attachments)
		VALUES (?, ?, ?, ?, ?, ?)`, id, searchable(m.Subject), searchable(m.FromName+" "+m.FromAddr),
		searchable(m.To+"\n"+m.Cc), searchable(m.SearchBody), searchable(m.SearchAttachments))
	return err
}

// ---- the background job that indexes mail stored before search ----

// Unindexed is a message stored before search existed, to be indexed.
type Unindexed struct {
	ID  int64
	Raw []byte
}

// Indexed is the search text extracted from an Unindexed message.
type Indexed struct {
	ID          int64
	Body        string
	Attachments string
}

// UnindexedBatch returns the next messages the indexing job is to read,
// newest first: at most limit, and no more than maxBytes of raw mail
// (always at least one). done is true when none is left.
func (d *DB) UnindexedBatch(ctx context.Context, limit int, maxBytes int64) (batch []Unindexed, done bool, err error) {
	var next int64
	err = d.sql.QueryRowContext(ctx, `SELECT next_id FROM search_backfill WHERE id = 1`).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("unindexed batch: %w", err)
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id, size FROM messages WHERE id < ? ORDER BY id DESC LIMIT ?`, next, limit)
	if err != nil {
		return nil, false, fmt.Errorf("unindexed batch: %w", err)
	}
	type idSize struct{ id, size int64 }
	var ids []idSize
	var total int64
	for rows.Next() {
		var r idSize
		if err := rows.Scan(&r.id, &r.size); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("unindexed batch: %w", err)
		}
		if len(ids) > 0 && total+r.size > maxBytes {
			break
		}
		total += r.size
		ids = append(ids, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, false, fmt.Errorf("unindexed batch: %w", err)
	}
	if len(ids) == 0 {
		if _, err := d.sql.ExecContext(ctx, `DELETE FROM search_backfill`); err != nil {
			return nil, false, fmt.Errorf("unindexed batch: %w", err)
		}
		return nil, true, nil
	}
	for _, r := range ids {
		raw, err := d.loadRaw(ctx, `SELECT m.id, r.raw, r.codec, m.size FROM message_raw r JOIN messages m ON m.id = r.message_id
			WHERE m.id = ?`, r.id)
		if errors.Is(err, ErrNotFound) {
			raw = nil // deleted meanwhile: indexed as nothing, which StoreIndexed skips
		} else if err != nil {
			return nil, false, fmt.Errorf("unindexed batch: message %d: %w", r.id, err)
		}
		batch = append(batch, Unindexed{ID: r.id, Raw: raw})
	}
	return batch, false, nil
}

// StoreIndexed stores the search text of a batch from UnindexedBatch and
// moves the job's cursor past it, in one transaction. A message indexed
// already (stored while the job ran) or deleted meanwhile is skipped.
func (d *DB) StoreIndexed(ctx context.Context, batch []Indexed) error {
	if len(batch) == 0 {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store indexed: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO message_text (message_id, subject, sender, recipients, body, attachments)
		SELECT id, ?, ?, ?, ?, ? FROM messages WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("store indexed: %w", err)
	}
	defer stmt.Close()
	low := batch[0].ID
	for _, b := range batch {
		var m NewMessage
		err := tx.QueryRowContext(ctx, `SELECT subject, from_name, from_addr, to_addrs, cc_addrs FROM messages WHERE id = ?`, b.ID).
			Scan(&m.Subject, &m.FromName, &m.FromAddr, &m.To, &m.Cc)
		low = min(low, b.ID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store indexed: %w", err)
		}
		if _, err := stmt.ExecContext(ctx, searchable(m.Subject), searchable(m.FromName+" "+m.FromAddr),
			searchable(m.To+"\n"+m.Cc), searchable(b.Body), searchable(b.Attachments), b.ID); err != nil {
			return fmt.Errorf("store indexed: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE search_backfill SET next_id = min(next_id, ?)`, low); err != nil {
		return fmt.Errorf("store indexed: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("store indexed: %w", err)
	}
	return tx.Commit()
}

// IndexProgress is how far the indexing of a user's older mail is: Done
// of Total messages; Active is false once all of it is searchable.
type IndexProgress struct {
	Active      bool
	Done, Total int64
}

// IndexProgress returns the indexing job's progress over a user's mail.
// While it runs, it counts the user's messages still to be indexed.
func (d *DB) IndexProgress(ctx context.Context, userID int64) (IndexProgress, error) {
	var p IndexProgress
	var next int64
	err := d.sql.QueryRowContext(ctx, `SELECT next_id FROM search_backfill WHERE id = 1`).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("index progress: %w", err)
	}
	var left int64
	err = d.sql.QueryRowContext(ctx, `SELECT (SELECT coalesce(sum(total), 0) FROM mailboxes WHERE user_id = ?),
		(SELECT count(*) FROM messages WHERE user_id = ? AND id < ?)`, userID, userID, next).Scan(&p.Total, &left)
	if err != nil {
		return p, fmt.Errorf("index progress: %w", err)
	}
	p.Active, p.Done = left > 0, max(0, p.Total-left)
	return p, nil
}

// ---- searching ----

// SearchOptions are the reader's settings and the page a search wants.
type SearchOptions struct {
	Loc    *time.Location // the reader's time zone, for before: and after:
	Before *Cursor        // the page after this row (older)
	Limit  int            // default 50
}

// SearchHit is a message a search found, with its subject and a snippet
// of its text, the matched words between MarkStart and MarkEnd.
type SearchHit struct {
	MessageSummary
	MarkedSubject string
	MarkedSnippet string
}

// SearchPage is one page of results, newest first.
type SearchPage struct {
	Hits  []SearchHit
	Older *Cursor // nil on the last page
	Total int     // every match, not only this page's
}

// SearchMessages runs a parsed query over a user's mail.
func (d *DB) SearchMessages(ctx context.Context, userID int64, q search.Query, opts SearchOptions) (SearchPage, error) {
	limit := opts.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args := compileQuery(userID, q, opts.Loc)
	var page SearchPage
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM messages m WHERE `+where, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("search: %w", err)
	}
	if opts.Before != nil {
		where += " AND (m.sort_at, m.id) < (?, ?)"
		args = append(args, opts.Before.SortAt, opts.Before.ID)
	}
	// The page's ids are picked from the matches by their sort key alone,
	// then only those rows are read whole: sorting every match's full row
	// would cost several times more for a common word.
	rows, err := d.sql.QueryContext(ctx, `SELECT `+summaryColumns+` FROM messages m JOIN accounts a ON a.id = m.account_id
		WHERE m.id IN (SELECT m.id FROM messages m WHERE `+where+` ORDER BY m.sort_at DESC, m.id DESC LIMIT ?)
		ORDER BY m.sort_at DESC, m.id DESC`, append(args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanSummary(rows)
		if err != nil {
			return page, fmt.Errorf("search: %w", err)
		}
		page.Hits = append(page.Hits, SearchHit{MessageSummary: m, MarkedSubject: m.Subject, MarkedSnippet: m.Snippet})
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("search: %w", err)
	}
	if len(page.Hits) > limit {
		page.Hits = page.Hits[:limit]
		last := page.Hits[limit-1]
		page.Older = &Cursor{SortAt: last.SortAt.Unix(), ID: last.ID}
	}
	if err := d.highlight(ctx, q, page.Hits); err != nil {
		return page, fmt.Errorf("search: %w", err)
	}
	return page, nil
}

// SearchIDs returns the ids of every message a query matches, newest
// first, at most max of them; more says there were more.
func (d *DB) SearchIDs(ctx context.Context, userID int64, q search.Query, loc *time.Location, max int) (ids []int64, more bool, err error) {
	where, args := compileQuery(userID, q, loc)
	rows, err := d.sql.QueryContext(ctx, `SELECT m.id FROM messages m WHERE `+where+` ORDER BY m.sort_at DESC, m.id DESC LIMIT ?`,
		append(args, max+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("search ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, false, fmt.Errorf("search ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("search ids: %w", err)
	}
	if len(ids) > max {
		return ids[:max], true, nil
	}
	return ids, false, nil
}

// highlight marks the words each hit matched in its subject and gives it
// a snippet of its text around them, from one FTS5 query over the page.
func (d *DB) highlight(ctx context.Context, q search.Query, hits []SearchHit) error {
	var terms []string
	for _, c := range q.Clauses {
		for _, t := range c {
			if !t.Neg && ftsColumn(t.Op) != "-" {
				terms = append(terms, ftsTerm(t))
			}
		}
	}
	if len(terms) == 0 || len(hits) == 0 {
		return nil
	}
	byID := make(map[int64]*SearchHit, len(hits))
	ids := make([]int64, len(hits))
	for i := range hits {
		byID[hits[i].ID], ids[i] = &hits[i], hits[i].ID
	}
	args := append([]any{MarkStart, MarkEnd, MarkStart, MarkEnd, strings.Join(terms, " OR ")}, int64Args(ids)...)
	rows, err := d.sql.QueryContext(ctx, `SELECT rowid, highlight(message_fts, 0, ?, ?), snippet(message_fts, 3, ?, ?, '…', 24)
		FROM message_fts WHERE message_fts MATCH ? AND rowid IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var subject, snippet string
		if err := rows.Scan(&id, &subject, &snippet); err != nil {
			return err
		}
		h := byID[id]
		if strings.Contains(subject, MarkStart) {
			h.MarkedSubject = search.Untokenize(subject, MarkStart+MarkEnd)
		}
		if strings.Contains(snippet, MarkStart) {
			h.MarkedSnippet = strings.Join(strings.Fields(search.Untokenize(snippet, MarkStart+MarkEnd)), " ")
		}
	}
	return rows.Err()
}

// ftsColumn is the message_fts column an operator searches ("" for all of
// them), or "-" for an operator that is not full-text.
func ftsColumn(op search.Op) string {
	switch op {
	case search.OpText:
		return ""
	case search.OpFrom:
		return "sender"
	case search.OpTo:
		return "recipients"
	case search.OpSubject:
		return "subject"
	}
	return "-"
}

// ftsTerm writes a full-text term in FTS5's query syntax: its text as one
// string (tokenized like the index, so a word with punctuation, an
// address or a CJK run is a phrase), a prefix query for the word being
// typed, limited to the operator's column.
func ftsTerm(t search.Term) string {
	s := `"` + strings.ReplaceAll(searchable(t.Text), `"`, `""`) + `"`
	if t.Prefix {
		s += "*"
	}
	if col := ftsColumn(t.Op); col != "" {
		s = col + " : " + s
	}
	return s
}

// compileQuery turns a parsed query into a WHERE clause over messages m,
// scoped to the user's mailboxes. The clauses that are only full-text
// words become one FTS5 MATCH; the rest are SQL conditions. Without an
// in: term, the trash and junk are left out, as in Gmail.
func compileQuery(userID int64, q search.Query, loc *time.Location) (string, []any) {
	if loc == nil {
		loc = time.Local
	}
	var match []string
	var conds []string
	var args []any
	scoped := false
	for _, c := range q.Clauses {
		allText := true
		for _, t := range c {
			if t.Neg || ftsColumn(t.Op) == "-" {
				allText = false
			}
			if t.Op == search.OpIn && !t.Neg && len(c) == 1 {
				scoped = true
			}
		}
		if allText {
			parts := make([]string, len(c))
			for i, t := range c {
				parts[i] = ftsTerm(t)
			}
			match = append(match, "("+strings.Join(parts, " OR ")+")")
			continue
		}
		ors := make([]string, len(c))
		for i, t := range c {
			cond, a := termCond(userID, t, loc)
			if t.Neg {
				cond = "NOT (" + cond + ")"
			}
			ors[i], args = cond, append(args, a...)
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
	}
	box := `m.mailbox_id IN (SELECT id FROM mailboxes WHERE user_id = ?)`
	if !scoped {
		box = `m.mailbox_id IN (SELECT id FROM mailboxes WHERE user_id = ? AND role IS NOT 'trash' AND role IS NOT 'junk')`
	}
	where := []string{"m.user_id = ?", box}
	head := []any{userID, userID}
	if len(match) > 0 {
		where = append(where, `m.id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?)`)
		head = append(head, strings.Join(match, " AND "))
	}
	return strings.Join(append(where, conds...), " AND "), append(head, args...)
}

// termCond is one term as an SQL condition over messages m.
func termCond(userID int64, t search.Term, loc *time.Location) (string, []any) {
	switch t.Op {
	case search.OpHas:
		return "m.has_attachments <> 0", nil
	case search.OpIs:
		switch t.Text {
		case search.IsUnread:
			return "m.flags & ? = 0", []any{int64(FlagSeen)}
		case search.IsRead:
			return "m.flags & ? <> 0", []any{int64(FlagSeen)}
		default:
			return "m.flags & ? <> 0", []any{int64(FlagFlagged)}
		}
	case search.OpIn:
		if t.Role {
			return "m.mailbox_id IN (SELECT id FROM mailboxes WHERE user_id = ? AND role = ?)", []any{userID, t.Text}
		}
		return "m.mailbox_id IN (SELECT id FROM mailboxes WHERE user_id = ? AND role IS NULL AND name = ?)", []any{userID, t.Text}
	case search.OpAccount:
		return "m.account_id IN (SELECT id FROM accounts WHERE user_id = ? AND (name = ? COLLATE NOCASE OR email = ? COLLATE NOCASE))",
			[]any{userID, t.Text, t.Text}
	case search.OpBefore:
		return "m.sort_at < ?", []any{t.Date.In(loc).Unix()}
	case search.OpAfter:
		return "m.sort_at >= ?", []any{t.Date.In(loc).Unix()}
	case search.OpLarger:
		return "m.size > ?", []any{t.Size}
	case search.OpSmaller:
		return "m.size < ?", []any{t.Size}
	}
	return "m.id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?)", []any{ftsTerm(t)}
}
