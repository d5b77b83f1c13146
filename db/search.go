package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apartado/apartado/search"
)

// Highlight markers: DB.mark puts them around the words a search
// matched. Control characters never reach the index (see
// searchable), so a marker in a result is always one of these.
const (
	MarkStart = "\x01"
	MarkEnd   = "\x02"
)

// searchable prepares a field for message_text: CJK tokenizable, and
// without the highlight markers nor the characters of address tokens.
func searchable(s string) string {
	return search.Tokenizable(clean(s))
}

// clean replaces the highlight markers and the characters of address
// tokens (search.AddressToken) with spaces.
func clean(s string) string {
	if strings.IndexFunc(s, reserved) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if reserved(r) {
			return ' '
		}
		return r
	}, s)
}

func reserved(r rune) bool {
	return r == rune(MarkStart[0]) || r == rune(MarkEnd[0]) || search.IsAddressRune(r)
}

// A message's search key is the rowid of its row in message_fts: its sort
// time and its id in one integer, sort_at * 2^30 + id, so that FTS5, which
// returns matches in rowid order, returns them in the lists' order
// (sort_at DESC, id DESC) and a page reads no further than its rows. Sort
// times outside 1834–2106 count as those years' ends (the poller stores
// 1980 to two days ahead); ids reach 2^30 after a billion messages.
const (
	keyIDBits = 30
	keyIDMask = 1<<keyIDBits - 1
	keyMinAt  = -1 << 32
	keyMaxAt  = 1<<32 - 1
)

// searchKey returns a message's search key.
func searchKey(sortAt, id int64) (int64, error) {
	if id <= 0 || id > keyIDMask {
		return 0, fmt.Errorf("message id %d is outside the search index's range", id)
	}
	return min(max(sortAt, keyMinAt), keyMaxAt)<<keyIDBits | id, nil
}

// searchFields returns the indexed text of a message's sender and
// recipients: names and addresses as words, and each address also as one
// token.
func searchFields(m NewMessage) (sender, recipients string) {
	from, to := clean(m.FromName+" "+m.FromAddr), clean(m.To+"\n"+m.Cc)
	return search.Tokenizable(from) + "\n" + search.AddressTokens(from),
		search.Tokenizable(to) + "\n" + search.AddressTokens(to)
}

// SearchText is a message's text as the index takes it: made searchable,
// and the body compressed as message_text keeps it. PrepareSearch makes it
// once, on a goroutine of the caller's when it has one to spare.
type SearchText struct {
	body, attachments string
	packed            []byte
	codec             int
}

// PrepareSearch prepares a message's body and attachment names (see
// message.SearchText) for the index: the poller does it as each message
// arrives, while the batch before it is being stored, as it packs the raw
// mail (PackRaw).
func (d *DB) PrepareSearch(body, attachments string) *SearchText {
	s := &SearchText{body: searchable(body), attachments: searchable(attachments), codec: codecNone}
	s.packed = []byte(s.body)
	if len(s.body) >= minPacked {
		if z := d.codec.packText(s.packed); worthIt(len(z), len(s.packed)) {
			s.packed, s.codec = z, codecZstd
		}
	}
	return s
}

// textHead is about how much of a long body text is compressed as a zstd
// frame of its own, before the rest: a search result's snippet is the
// words around the first match, nearly always near the beginning, and
// decoding the whole text of every result was most of a search page's
// time (mark). A text is one zstd stream either way (frames one after the
// other), so everything else reads it whole as before, and texts stored
// as one frame need nothing done to them.
const textHead = 4 << 10

// packText compresses a body text, one that is longer than twice textHead
// as two frames: up to the first space at or after textHead, and the rest
// (see headFrame). A text with no space soon after textHead (CJK, base64
// someone pasted) stays one frame.
func (c *codec) packText(text []byte) []byte {
	dst := make([]byte, 0, len(text)/3)
	cut := 0
	if len(text) > 2*textHead {
		if i := bytes.IndexAny(text[textHead:min(len(text), textHead+1024)], " \t\n"); i >= 0 {
			cut = textHead + i + 1
		}
	}
	if cut == 0 {
		return c.enc.EncodeAll(text, dst)
	}
	return c.enc.EncodeAll(text[cut:], c.enc.EncodeAll(text[:cut], dst))
}

// minPacked is the shortest body text worth a zstd frame (whose header
// and checksum take a dozen bytes).
const minPacked = 64

// insertSearchText keeps a message's body text in message_text as it is
// stored, and adds its row in the index to rows, for the caller to insert
// once the transaction's other writes are done (see ftsRows).
func (d *DB) insertSearchText(ctx context.Context, st *txStmts, id int64, m NewMessage, rows *ftsRows) error {
	key, err := searchKey(m.SortAt.Unix(), id)
	if err != nil {
		return err
	}
	s := m.Search
	if s == nil {
		s = d.PrepareSearch(m.SearchBody, m.SearchAttachments)
	}
	if _, err := st.exec(ctx, `INSERT INTO message_text (message_id, search_key, body, codec) VALUES (?, ?, ?, ?)`,
		id, key, s.packed, s.codec); err != nil {
		return err
	}
	rows.add(key, m, s)
	return nil
}

// ftsRows are message_fts rows (which keeps no copy of the text:
// migrations/0027_search_compact.sql) waiting for the end of their
// transaction. FTS5 holds the rows it is given in memory until the commit,
// and writes them as one new segment of the index; but it also writes
// what it holds at every savepoint, and SQLite opens one for each later
// statement of the transaction that needs a statement journal (an insert
// into messages, with its triggers and foreign keys, or into
// message_text). Inserted between those, every message became a segment of
// its own, merged again and again: a third of a first sync's storing.
type ftsRows []ftsRow

type ftsRow struct {
	key                                            int64
	subject, sender, recipients, body, attachments string
}

func (r *ftsRows) add(key int64, m NewMessage, s *SearchText) {
	sender, recipients := searchFields(m)
	*r = append(*r, ftsRow{key: key, subject: searchable(m.Subject), sender: sender, recipients: recipients,
		body: s.body, attachments: s.attachments})
}

// insert adds the rows to the index: the last writes of the transaction.
func (r ftsRows) insert(ctx context.Context, st *txStmts) error {
	for _, f := range r {
		if _, err := st.exec(ctx, `INSERT INTO message_fts (rowid, subject, sender, recipients, body, attachments) VALUES (?, ?, ?, ?, ?, ?)`,
			f.key, f.subject, f.sender, f.recipients, f.body, f.attachments); err != nil {
			return err
		}
	}
	return nil
}

// ---- the background job that indexes mail stored before search ----

// Unindexed is a message stored before search existed, to be indexed.
type Unindexed = Backfilled

// Indexed is the search text extracted from an Unindexed message, made
// ready by PrepareSearch outside StoreIndexed's transaction (nil: none).
type Indexed struct {
	ID     int64
	Search *SearchText
}

// UnindexedBatch returns the next messages the indexing job is to read
// (see backfillBatch).
func (d *DB) UnindexedBatch(ctx context.Context, limit int, maxBytes int64) (batch []Unindexed, done bool, err error) {
	batch, done, err = d.backfillBatch(ctx, "search_backfill", limit, maxBytes)
	if err != nil {
		err = fmt.Errorf("unindexed batch: %w", err)
	}
	return batch, done, err
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
	st := newTxStmts(tx)
	low := batch[0].ID
	var fts ftsRows
	for _, b := range batch {
		var m NewMessage
		var sortAt int64
		err := st.scan(ctx, `SELECT sort_at, subject, from_name, from_addr, to_addrs, cc_addrs FROM messages WHERE id = ?`, []any{b.ID},
			&sortAt, &m.Subject, &m.FromName, &m.FromAddr, &m.To, &m.Cc)
		low = min(low, b.ID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store indexed: %w", err)
		}
		key, err := searchKey(sortAt, b.ID)
		if err != nil {
			return fmt.Errorf("store indexed: %w", err)
		}
		s := b.Search
		if s == nil {
			s = d.PrepareSearch("", "")
		}
		res, err := st.exec(ctx, `INSERT OR IGNORE INTO message_text (message_id, search_key, body, codec) VALUES (?, ?, ?, ?)`,
			b.ID, key, s.packed, s.codec)
		if err != nil {
			return fmt.Errorf("store indexed: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store indexed: %w", err)
		} else if n == 0 {
			continue // stored since, and indexed then
		}
		fts.add(key, m, s)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE search_backfill SET next_id = min(next_id, ?)`, low); err != nil {
		return fmt.Errorf("store indexed: %w", err)
	}
	if err := fts.insert(ctx, st); err != nil {
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
	// CountLater leaves a first page that does not show every match
	// uncounted (SearchPage.Counted false), for CountSearch to count
	// after: counting up to SearchCountBound matches cost more than the
	// page itself (a phrase or a from: checks each one).
	CountLater bool
	// Bare gives the matches alone, neither counted nor marked, for a
	// listing that shows neither (apartado search): counting again for
	// every page after the first, and decoding every match's text for a
	// snippet, were most of what it did.
	Bare bool
}

// SearchHit is a message a search found, with its subject and a snippet
// of its text, the matched words between MarkStart and MarkEnd.
type SearchHit struct {
	MessageSummary
	MarkedSubject string
	MarkedSnippet string
}

// SearchCountBound is as far as a search page counts its matches: past
// it, the page says "more than" that many. Counting every match of a
// common word would cost more than the page itself, and grow with the
// mailbox.
const SearchCountBound = 1000

// SearchPage is one page of results, newest first.
type SearchPage struct {
	Hits    []SearchHit
	Older   *Cursor // nil on the last page
	Total   int     // every match, not only this page's, up to SearchCountBound
	More    bool    // there are more than Total (which is SearchCountBound)
	Counted bool    // Total and More are set (see SearchOptions.CountLater)
}

// SearchMessages runs a parsed query over a user's mail. One statement
// reads the page, newest first, with its rows' subjects marked and
// snippets made; the matches are counted (up to SearchCountBound) only
// when the page does not show them all.
func (d *DB) SearchMessages(ctx context.Context, userID int64, q search.Query, opts SearchOptions) (SearchPage, error) {
	limit := opts.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	// The first page of the default size is what typedWord's probe asks
	// for: when the probe decides, its rows are the page's.
	firstPage := opts.Before == nil && limit+1 == wholeEnough
	q, hits, err := d.typedWord(ctx, userID, q, opts.Loc, firstPage)
	if err != nil {
		return SearchPage{}, fmt.Errorf("search: %w", err)
	}
	c := compileQuery(userID, q, opts.Loc)
	var page SearchPage
	if hits == nil {
		if hits, err = d.searchHits(ctx, c, opts.Before, limit+1); err != nil {
			return page, fmt.Errorf("search: %w", err)
		}
	}
	if len(hits) > limit {
		hits = hits[:limit]
		last := hits[limit-1]
		page.Older = &Cursor{SortAt: last.SortAt.Unix(), ID: last.ID}
	}
	page.Hits = hits
	switch {
	case opts.Bare:
		return page, nil
	case opts.Before == nil && page.Older == nil:
		page.Total, page.Counted = len(hits), true
	case !opts.CountLater || opts.Before != nil:
		if page.Total, page.More, err = d.countMatches(ctx, c); err != nil {
			return page, fmt.Errorf("search: %w", err)
		}
		page.Counted = true
	}
	if err := d.mark(ctx, q, page.Hits); err != nil {
		return page, fmt.Errorf("search: %w", err)
	}
	return page, nil
}

// wholeEnough is how many messages holding the word being typed whole
// make it a whole word (see typedWord): a page's worth.
const wholeEnough = 51

// prefixIndexed is the prefix length message_fts indexes (prefix = '3'
// in migrations/0027_search_compact.sql): a prefix that long is one list
// of the index; a shorter one would merge the lists of a good part of the
// dictionary, for words that match most of the mailbox anyway, so a word
// being typed shorter than that is matched whole.
const prefixIndexed = 3

// typedWord decides how the word being typed (a term with Prefix) is
// matched. FTS5 matches a prefix longer than its prefix indexes by
// merging the lists of every word that begins with it, all of them,
// before it returns the first row: for a word in nearly every message
// that is the whole mailbox's occurrences of it, in memory (at 100,000
// messages, 52 ms and tens of megabytes for "invoice", against 2.6 ms for
// the inbox; bench/scale). So when the query finds at least a page of
// messages (wholeEnough) with the word whole, it is matched whole: the
// page is full of it, and the longer words it begins are what was not
// typed. Otherwise (a word cut short, or a rare one, whose words' lists
// are short) it stays a prefix. The page and an action on every result
// (SearchIDs) decide alike. With hits, the probe reads the first page's
// rows (wholeEnough of them, newest first), and returns them when it
// decides for the whole word, so that the page needs no second query.
func (d *DB) typedWord(ctx context.Context, userID int64, q search.Query, loc *time.Location, hits bool) (search.Query, []SearchHit, error) {
	ci, ti, short := -1, -1, false
	for i, c := range q.Clauses {
		for j, t := range c {
			if !t.Prefix || t.Neg || ftsColumn(t.Op) == "-" {
				continue
			}
			address := (t.Op == search.OpFrom || t.Op == search.OpTo) && !t.Phrase && search.IsAddress(t.Text) // one token
			w := search.Words(t.Text)
			switch {
			case address || len(w) == 1 && utf8.RuneCountInString(w[0]) > prefixIndexed:
				ci, ti, short = i, j, false
			case len(w) > 0 && utf8.RuneCountInString(w[len(w)-1]) < prefixIndexed:
				ci, ti, short = i, j, true
			}
		}
	}
	if ci < 0 {
		return q, nil, nil
	}
	whole := search.Query{Clauses: make([]search.Clause, len(q.Clauses))}
	for i, c := range q.Clauses {
		whole.Clauses[i] = slices.Clone(c)
	}
	whole.Clauses[ci][ti].Prefix = false
	if short {
		return whole, nil, nil
	}
	c := compileQuery(userID, whole, loc)
	if hits {
		page, err := d.searchHits(ctx, c, nil, wholeEnough)
		if err != nil || len(page) < wholeEnough {
			return q, nil, err
		}
		return whole, page, nil
	}
	ids, err := d.searchIDs(ctx, c, nil, wholeEnough)
	if err != nil || len(ids) < wholeEnough {
		return q, nil, err
	}
	return whole, nil, nil
}

// searchHits returns the first n matches older than before, newest first.
func (d *DB) searchHits(ctx context.Context, c compiled, before *Cursor, n int) ([]SearchHit, error) {
	query, args := c.hitsQuery(before, n)
	rows, err := d.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hits []SearchHit
	for rows.Next() {
		m, err := scanSummary(rows)
		if err != nil {
			return nil, err
		}
		hits = append(hits, SearchHit{MessageSummary: m, MarkedSubject: m.Subject, MarkedSnippet: m.Snippet})
	}
	return hits, rows.Err()
}

// CountSearch counts the messages a query matches, up to
// SearchCountBound; more says there are more than that. The word being
// typed is decided as SearchMessages decides it.
func (d *DB) CountSearch(ctx context.Context, userID int64, q search.Query, loc *time.Location) (total int, more bool, err error) {
	if q, _, err = d.typedWord(ctx, userID, q, loc, false); err != nil {
		return 0, false, fmt.Errorf("count search: %w", err)
	}
	if total, more, err = d.countMatches(ctx, compileQuery(userID, q, loc)); err != nil {
		return 0, false, fmt.Errorf("count search: %w", err)
	}
	return total, more, nil
}

// countMatches counts a compiled query's matches up to SearchCountBound.
func (d *DB) countMatches(ctx context.Context, c compiled) (total int, more bool, err error) {
	from, where, args := c.matches(nil)
	if err := d.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+from+` WHERE `+where+` LIMIT ?)`,
		append(args, SearchCountBound+1)...).Scan(&total); err != nil {
		return 0, false, err
	}
	if total > SearchCountBound {
		return SearchCountBound, true, nil
	}
	return total, false, nil
}

// SearchIDs returns the ids of every message a query matches, newest
// first, at most max of them; more says there were more.
func (d *DB) SearchIDs(ctx context.Context, userID int64, q search.Query, loc *time.Location, max int) (ids []int64, more bool, err error) {
	if q, _, err = d.typedWord(ctx, userID, q, loc, false); err != nil {
		return nil, false, fmt.Errorf("search ids: %w", err)
	}
	ids, err = d.searchIDs(ctx, compileQuery(userID, q, loc), nil, max+1)
	if err != nil {
		return nil, false, fmt.Errorf("search ids: %w", err)
	}
	if len(ids) > max {
		return ids[:max], true, nil
	}
	return ids, false, nil
}

// searchIDs returns the ids of the first n matches older than before
// (all of them when nil), newest first. With words to match, FTS5 hands
// out the matches in search key order, which is the lists' order;
// without, the user's mail is walked newest first on messages_user_sort.
// Either way no match past the n-th is read, and nothing is sorted.
func (d *DB) searchIDs(ctx context.Context, c compiled, before *Cursor, n int) ([]int64, error) {
	query, args := c.idsQuery(before, n)
	rows, err := d.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// snippetWords is about how many words a result's snippet has.
const snippetWords = 24

// mark marks the words of a query in its hits' subjects, and gives each
// hit whose text has them a snippet of that text around them (the others
// keep the beginning of the message). search.Marker says why this is not
// FTS5's highlight() and snippet().
func (d *DB) mark(ctx context.Context, q search.Query, hits []SearchHit) error {
	var inSubject, inText []search.Term
	for _, c := range q.Clauses {
		for _, t := range c {
			if !marked(t) {
				continue
			}
			inSubject = append(inSubject, t)
			if ftsColumn(t.Op) == "" {
				inText = append(inText, t)
			}
		}
	}
	if len(inSubject) == 0 || len(hits) == 0 {
		return nil
	}
	subjects, texts := search.NewMarker(inSubject), search.NewMarker(inText)
	for i := range hits {
		if s, ok := subjects.Mark(clean(hits[i].Subject), MarkStart, MarkEnd); ok {
			hits[i].MarkedSubject = s
		}
	}
	if texts.Empty() {
		return nil
	}
	ids := make([]any, len(hits))
	byID := make(map[int64]*SearchHit, len(hits))
	for i := range hits {
		ids[i], byID[hits[i].ID] = hits[i].ID, &hits[i]
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT message_id, body, codec FROM message_text WHERE message_id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var buf []byte // one buffer for every hit's text
	for rows.Next() {
		var id int64
		var packed []byte
		var codec int
		if err := rows.Scan(&id, &packed, &codec); err != nil {
			return err
		}
		s, ok, err := d.snippet(texts, packed, codec, &buf)
		if err != nil {
			return fmt.Errorf("message %d's text: %w", id, err)
		}
		if ok {
			byID[id].MarkedSnippet = strings.Join(strings.Fields(search.Untokenize(s, MarkStart+MarkEnd)), " ")
		}
	}
	return rows.Err()
}

// snippet returns a hit's snippet (see search.Marker.Snippet) from its
// packed text, reading only the text's first frame when the snippet is
// in it (packText), else the rest after it, into *buf.
func (d *DB) snippet(texts *search.Marker, packed []byte, codec int, buf *[]byte) (string, bool, error) {
	text, rest := (*buf)[:0], packed
	if codec == codecZstd {
		if n, ok := headFrame(packed); ok && n < len(packed) {
			head, err := d.codec.decode(text, packed[:n], codec)
			if err != nil {
				return "", false, err
			}
			*buf = head
			if s, ok, decided := texts.SnippetOfPrefix(string(head), snippetWords, MarkStart, MarkEnd); decided {
				return s, ok, nil
			}
			text, rest = head, packed[n:]
		}
	}
	text, err := d.codec.decode(text, rest, codec)
	if err != nil {
		return "", false, err
	}
	*buf = text
	s, ok := texts.Snippet(string(text), snippetWords, MarkStart, MarkEnd)
	return s, ok, nil
}

// marked reports whether a term's words are marked in the results: only
// the subject and the body are shown marked, so a from: or to: has
// nothing to mark, and would only make FTS5 read.
func marked(t search.Term) bool {
	col := ftsColumn(t.Op)
	return !t.Neg && (col == "" || col == "subject")
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
// string (tokenized like the index, so a word with punctuation or a CJK
// run is a phrase; the address of a from: or to: is its one token), a
// prefix query for the word being typed, limited to the operator's
// column.
func ftsTerm(t search.Term) string {
	text := searchable(t.Text)
	if (t.Op == search.OpFrom || t.Op == search.OpTo) && !t.Phrase && search.IsAddress(t.Text) {
		text = search.AddressToken(clean(t.Text))
	}
	s := `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
	if t.Prefix {
		s += "*"
	}
	if col := ftsColumn(t.Op); col != "" {
		s = col + " : " + s
	}
	return s
}

// compiled is a query as SQL: the FTS5 query of its clauses that are
// only words ("" when none is) and the conditions over messages m.
type compiled struct {
	match string
	where string
	args  []any
}

// matches returns the FROM and WHERE of the query's matches older than
// before (nil: all), with their arguments. Words to match put message_fts
// (f) first, messages found by the id in each search key.
func (c compiled) matches(before *Cursor) (from, where string, args []any) {
	where, args = c.where, c.args
	if c.match == "" {
		if before != nil {
			where += " AND (m.sort_at, m.id) < (?, ?)"
			args = append(args[:len(args):len(args)], before.SortAt, before.ID)
		}
		return "messages m", where, args
	}
	head, match := []any{keyIDMask, c.match}, "message_fts MATCH ?"
	if before != nil {
		key, err := searchKey(before.SortAt, before.ID)
		if err != nil { // not a message's: the rows older than its time
			key = min(max(before.SortAt, keyMinAt), keyMaxAt) << keyIDBits
		}
		head, match = append(head, key), match+" AND f.rowid < ?"
	}
	return "message_fts f CROSS JOIN messages m ON m.id = f.rowid & ?", match + " AND " + where, append(head, args...)
}

// order is the ORDER BY that reads the matches newest first without
// sorting them.
func (c compiled) order() string {
	if c.match != "" {
		return " ORDER BY f.rowid DESC"
	}
	return " ORDER BY m.sort_at DESC, m.id DESC"
}

// idsQuery is the statement of searchIDs.
func (c compiled) idsQuery(before *Cursor, n int) (string, []any) {
	from, where, args := c.matches(before)
	return `SELECT m.id FROM ` + from + ` WHERE ` + where + c.order() + ` LIMIT ?`, append(args, n)
}

// hitsQuery is the statement of searchHits.
func (c compiled) hitsQuery(before *Cursor, n int) (string, []any) {
	from, where, args := c.matches(before)
	return `SELECT ` + summaryColumns + ` FROM ` + from + ` CROSS JOIN accounts a ON a.id = m.account_id
		WHERE ` + where + c.order() + ` LIMIT ?`, append(args, n)
}

// compileQuery turns a parsed query into SQL over a user's mailboxes. The
// clauses that are only full-text words become one FTS5 query; the rest
// are SQL conditions. Without an in: term, the trash and junk are left
// out, as in Gmail.
func compileQuery(userID int64, q search.Query, loc *time.Location) compiled {
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
	return compiled{match: strings.Join(match, " AND "), where: strings.Join(append(where, conds...), " AND "),
		args: append([]any{userID, userID}, args...)}
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
	return "m.id IN (SELECT rowid & ? FROM message_fts WHERE message_fts MATCH ?)", []any{keyIDMask, ftsTerm(t)}
}
