package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MessageSummary is what lists and the message page show without parsing.
type MessageSummary struct {
	ID             int64
	AccountID      int64
	AccountName    string
	ReceivedAt     time.Time
	SortAt         time.Time
	FromName       string
	FromAddr       string
	To             string
	Cc             string
	Subject        string
	MessageID      string
	Snippet        string
	HasAttachments bool
	Size           int64
	ParseError     string
	MailboxID      int64
	Flags          Flag
	TrashedAt      *time.Time // when it entered the trash; nil while it is elsewhere
	ThreadID       int64      // its conversation (migrations/0026_conversations.sql); 0: a conversation of its own
}

const summaryColumns = `m.id, m.account_id, a.name, m.received_at, m.sort_at, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs,
	m.subject, m.message_id_hdr, m.snippet, m.has_attachments, m.size, m.parse_error, m.mailbox_id, m.flags, m.trashed_at, m.thread_id`

func scanSummary(row interface{ Scan(...any) error }) (MessageSummary, error) {
	var m MessageSummary
	var received, sortAt int64
	var trashed, thread sql.NullInt64
	err := row.Scan(&m.ID, &m.AccountID, &m.AccountName, &received, &sortAt, &m.FromName, &m.FromAddr, &m.To, &m.Cc,
		&m.Subject, &m.MessageID, &m.Snippet, &m.HasAttachments, &m.Size, &m.ParseError, &m.MailboxID, &m.Flags, &trashed, &thread)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	m.ReceivedAt, m.SortAt, m.TrashedAt = time.Unix(received, 0), time.Unix(sortAt, 0), unixPtr(trashed)
	m.ThreadID = thread.Int64
	return m, err
}

// Cursor is a position in a message list: the sort time and id of a row.
// Keyset paging keeps every page as fast as the first at 100,000 messages.
type Cursor struct {
	SortAt int64
	ID     int64
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	return strconv.FormatInt(c.SortAt, 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor decodes Cursor.String's output.
func ParseCursor(s string) (Cursor, bool) {
	a, b, ok := strings.Cut(s, ".")
	if !ok {
		return Cursor{}, false
	}
	t, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	return Cursor{SortAt: t, ID: id}, err1 == nil && err2 == nil
}

// ListQuery selects a page of one of a user's mailboxes.
type ListQuery struct {
	Mailbox   MailboxRole // a system mailbox; "" is the inbox
	MailboxID int64       // a mailbox by id instead (such as one the user made)
	Starred   bool        // the starred messages of every mailbox but the trash, instead
	AccountID int64       // 0: every account of the user
	Before    *Cursor     // the page after this row (older)
	After     *Cursor     // the page before this row (newer)
	Limit     int         // default 50
	// Conversations: one row per conversation, its newest message in the
	// list (db/threads.go); Total still counts messages.
	Conversations bool
}

// MessagePage is one page of a list.
type MessagePage struct {
	Messages []MessageSummary
	Older    *Cursor // nil when this is the last page
	Newer    *Cursor // nil when this is the first page
	Total    int
}

// ListMessages returns a page of a user's messages, newest first.
func (d *DB) ListMessages(ctx context.Context, userID int64, q ListQuery) (MessagePage, error) {
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where, args, total, boxID, err := d.listWhere(ctx, userID, q)
	if err != nil {
		return MessagePage{}, err
	}
	// The list's maintained count, or the account's share of the mailbox
	// (migrations/0021_scale.sql): never a count of a mailbox's rows.
	page := MessagePage{Total: int(total)}
	switch {
	case q.AccountID != 0 && boxID != 0:
		if err := d.queryRow(ctx, accountShareSQL, q.AccountID, boxID).Scan(&page.Total); err != nil {
			return page, fmt.Errorf("count messages: %w", err)
		}
	case q.AccountID != 0: // one account's starred messages: few
		countSQL := `SELECT count(*) FROM messages m WHERE ` + strings.Join(where, " AND ")
		if err := d.sql.QueryRowContext(ctx, countSQL, args...).Scan(&page.Total); err != nil {
			return page, fmt.Errorf("count messages: %w", err)
		}
	}
	query, args := listSQL(where, args, q, limit)
	rows, err := d.query(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanSummary(rows)
		if err != nil {
			return page, fmt.Errorf("list messages: %w", err)
		}
		page.Messages = append(page.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("list messages: %w", err)
	}
	more := len(page.Messages) > limit
	if more {
		page.Messages = page.Messages[:limit]
	}
	if q.After != nil {
		for i, j := 0, len(page.Messages)-1; i < j; i, j = i+1, j-1 {
			page.Messages[i], page.Messages[j] = page.Messages[j], page.Messages[i]
		}
	}
	if n := len(page.Messages); n > 0 {
		first, last := page.Messages[0], page.Messages[n-1]
		if (q.After == nil && more) || q.After != nil {
			page.Older = &Cursor{SortAt: last.SortAt.Unix(), ID: last.ID}
		}
		if q.Before != nil || (q.After != nil && more) {
			page.Newer = &Cursor{SortAt: first.SortAt.Unix(), ID: first.ID}
		}
	}
	return page, nil
}

// accountShareSQL is an account's count of messages in a mailbox.
const accountShareSQL = `SELECT coalesce((SELECT total FROM account_mailbox_counts WHERE account_id = ? AND mailbox_id = ?), 0)`

// listWhere is the condition that selects q's list (without its paging),
// with its arguments, the list's maintained total (the whole list's,
// whatever q.AccountID), and its mailbox (0 for the starred view).
// ErrNotFound when q names no mailbox of the user's.
func (d *DB) listWhere(ctx context.Context, userID int64, q ListQuery) ([]string, []any, int64, int64, error) {
	var where []string
	var args []any
	var total, boxID int64
	if q.Starred {
		// flags & 2 <> 0 as the partial index messages_starred says it.
		where, args = []string{"m.user_id = ?", "m.flags & 2 <> 0", "m.trashed_at IS NULL"}, []any{userID}
		if err := d.queryRow(ctx, `SELECT starred_count FROM users WHERE id = ?`, userID).Scan(&total); err != nil {
			return nil, nil, 0, 0, fmt.Errorf("list messages: %w", err)
		}
	} else {
		var box Mailbox
		var err error
		switch {
		case q.MailboxID != 0:
			box, err = d.Mailbox(ctx, userID, q.MailboxID)
		case q.Mailbox == "":
			box, err = d.MailboxByRole(ctx, userID, MailboxInbox)
		default:
			box, err = d.MailboxByRole(ctx, userID, q.Mailbox)
		}
		if errors.Is(err, ErrNotFound) {
			return nil, nil, 0, 0, ErrNotFound
		}
		if err != nil {
			return nil, nil, 0, 0, fmt.Errorf("list messages: %w", err)
		}
		where, args, total, boxID = []string{"m.mailbox_id = ?"}, []any{box.ID}, box.Total, box.ID
	}
	if q.AccountID != 0 {
		where = append(where, "m.account_id = ?")
		args = append(args, q.AccountID)
	}
	return where, args, total, boxID, nil
}

// Neighbours returns the messages beside the position at in q's list (q's
// paging is ignored): the next newer and the next older, 0 where at is the
// list's end. Each is one step along an index from at (keyset), whatever
// the list's length, and at need not be in the list any more.
func (d *DB) Neighbours(ctx context.Context, userID int64, q ListQuery, at Cursor) (newer, older int64, err error) {
	where, args, _, _, err := d.listWhere(ctx, userID, q)
	if err != nil {
		return 0, 0, err
	}
	cond := strings.Join(where, " AND ")
	var convArgs []any
	if q.Conversations { // the next conversation's row, as listSQL shows it
		cond += ` AND NOT EXISTS (SELECT 1 FROM messages n INDEXED BY messages_thread_list WHERE n.thread_id = m.thread_id AND ` + threadCond(where) +
			` AND (n.sort_at, n.id) > (m.sort_at, m.id))`
		convArgs = args
	}
	step := func(cmp, order string) (int64, error) {
		var id int64
		stepArgs := append(append(append([]any{}, args...), convArgs...), at.SortAt, at.ID)
		err := d.queryRow(ctx, `SELECT m.id FROM messages m WHERE `+cond+` AND (m.sort_at, m.id) `+cmp+` (?, ?)
			ORDER BY m.sort_at `+order+`, m.id `+order+` LIMIT 1`, stepArgs...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return id, err
	}
	if newer, err = step(">", "ASC"); err != nil {
		return 0, 0, fmt.Errorf("neighbours: %w", err)
	}
	if older, err = step("<", "DESC"); err != nil {
		return 0, 0, fmt.Errorf("neighbours: %w", err)
	}
	return newer, older, nil
}

// listSQL is the query for a page of a list (listWhere's condition and
// arguments): limit+1 rows from q's cursor on, in the order of the index
// messages_mailbox_list (messages_account_list for one account,
// messages_starred for the starred view), so that SQLite reads just those
// rows whatever the page's depth: keyset paging, never OFFSET.
func listSQL(where []string, args []any, q ListQuery, limit int) (string, []any) {
	base, baseArgs := where, args
	where = append([]string{}, where...)
	args = append([]any{}, args...)
	order := "DESC"
	switch {
	case q.Before != nil:
		where = append(where, "(m.sort_at, m.id) < (?, ?)")
		args = append(args, q.Before.SortAt, q.Before.ID)
	case q.After != nil:
		where = append(where, "(m.sort_at, m.id) > (?, ?)")
		args = append(args, q.After.SortAt, q.After.ID)
		order = "ASC"
	}
	if q.Conversations {
		// A row is a message no newer message of whose conversation is in
		// the list: one step along messages_thread_list for each row read
		// (a message not threaded yet has no conversation to look in).
		where = append(where, `NOT EXISTS (SELECT 1 FROM messages n INDEXED BY messages_thread_list WHERE n.thread_id = m.thread_id AND `+
			threadCond(base)+` AND (n.sort_at, n.id) > (m.sort_at, m.id))`)
		args = append(args, baseArgs...)
	}
	args = append(args, limit+1)
	from := "messages m"
	if q.Starred {
		// Without statistics the planner rates messages_user_sort as good
		// as the partial index and would walk all of a user's mail to find
		// the few starred messages.
		from = "messages m INDEXED BY messages_starred"
	}
	return `SELECT ` + summaryColumns + ` FROM ` + from + ` JOIN accounts a ON a.id = m.account_id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY m.sort_at ` + order + `, m.id ` + order + ` LIMIT ?`, args
}

// Message returns one of a user's messages, or ErrNotFound.
func (d *DB) Message(ctx context.Context, userID, id int64) (MessageSummary, error) {
	m, err := scanSummary(d.queryRow(ctx, `SELECT `+summaryColumns+` FROM messages m JOIN accounts a ON a.id = m.account_id
		WHERE m.id = ? AND m.user_id = ?`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("message %d: %w", id, err)
	}
	return m, err
}

// MessageRaw returns the bytes of one of a user's messages exactly as the
// server sent them.
func (d *DB) MessageRaw(ctx context.Context, userID, id int64) ([]byte, error) {
	raw, err := d.loadRaw(ctx, `SELECT m.id, r.raw, r.codec, m.size FROM message_raw r JOIN messages m ON m.id = r.message_id
		WHERE m.id = ? AND m.user_id = ?`, id, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	return raw, nil
}

// updateMessages runs "UPDATE messages SET <set> WHERE id IN ids AND
// user_id = userID AND <cond>" and returns how many rows changed.
func (d *DB) updateMessages(ctx context.Context, userID int64, ids []int64, set string, setArgs []any, cond string, condArgs ...any) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := append(append([]any{}, setArgs...), int64Args(ids)...)
	args = append(args, userID)
	args = append(args, condArgs...)
	res, err := d.sql.ExecContext(ctx, updateByIDSQL(set, len(ids), cond), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// The statements on a selection of messages look each one up by its id.
// Without NOT INDEXED, SQLite counted a selection by reading every message
// of the user along messages_user_sort and testing each against the list:
// a sixth of moving 1,000 messages at 30,000, and growing with the
// mailbox. The updates happened to be planned by id; NOT INDEXED keeps
// every one of them so (TestSelectionPlansUseIDs).

// updateByIDSQL updates n messages of a user (their ids, then the user's,
// then cond's arguments).
func updateByIDSQL(set string, n int, cond string) string {
	q := `UPDATE messages NOT INDEXED SET ` + set + ` WHERE id IN (` + placeholders(n) + `) AND user_id = ?`
	if cond != "" {
		q += " AND " + cond
	}
	return q
}

// countOwnedSQL counts which of n messages are a user's.
func countOwnedSQL(n int) string {
	return `SELECT count(*) FROM messages NOT INDEXED WHERE id IN (` + placeholders(n) + `) AND user_id = ?`
}

// CountOwnedMessages returns how many of ids are the user's messages, in
// one query (ids must not repeat).
func (d *DB) CountOwnedMessages(ctx context.Context, userID int64, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	args := append(int64Args(ids), userID)
	err := d.sql.QueryRowContext(ctx, countOwnedSQL(len(ids)), args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count owned messages: %w", err)
	}
	return n, nil
}

// SetSeen marks a user's messages read or unread (FlagSeen).
func (d *DB) SetSeen(ctx context.Context, userID int64, ids []int64, seen bool) error {
	add, remove := FlagSeen, Flag(0)
	if !seen {
		add, remove = remove, add
	}
	if _, err := d.SetFlags(ctx, userID, ids, add, remove); err != nil {
		return fmt.Errorf("set seen: %w", err)
	}
	return nil
}

// TrashMessages moves a user's messages to the user's trash, from
// whichever mailbox they are in.
func (d *DB) TrashMessages(ctx context.Context, userID int64, ids []int64) (int64, error) {
	to, args := roleMailbox(userID, MailboxTrash)
	n, err := d.moveMessages(ctx, userID, ids, to, "trashed_at IS NULL", args...)
	if err != nil {
		return 0, fmt.Errorf("trash messages: %w", err)
	}
	return n, nil
}

// RestoreMessages takes a user's messages out of the trash, into the inbox.
func (d *DB) RestoreMessages(ctx context.Context, userID int64, ids []int64) (int64, error) {
	to, args := roleMailbox(userID, MailboxInbox)
	n, err := d.moveMessages(ctx, userID, ids, to, "trashed_at IS NOT NULL", args...)
	if err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	return n, nil
}

// DeleteMessages deletes a user's messages that are in the trash or the
// junk, for good. What the server keeps is recorded in server_messages,
// which outlives them, so they are not downloaded again.
func (d *DB) DeleteMessages(ctx context.Context, userID int64, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := append(int64Args(ids), userID)
	res, err := d.sql.ExecContext(ctx, `DELETE FROM messages WHERE id IN (`+placeholders(len(ids))+`) AND user_id = ?
		AND (trashed_at IS NOT NULL OR junked_at IS NOT NULL)`, args...)
	if err != nil {
		return 0, fmt.Errorf("delete messages: %w", err)
	}
	return res.RowsAffected()
}

// EmptyTrash deletes every message in a user's trash for good.
func (d *DB) EmptyTrash(ctx context.Context, userID int64) (int64, error) {
	res, err := d.sql.ExecContext(ctx, `DELETE FROM messages WHERE user_id = ? AND trashed_at IS NOT NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("empty trash: %w", err)
	}
	return res.RowsAffected()
}

// ---- for the poller ----

// NewMessage is a downloaded message with its parsed summary.
type NewMessage struct {
	AccountID      int64
	UserID         int64
	UIDL           string // "" when the server gave no usable UIDL
	ServerSize     int64  // the size LIST gave
	Raw            []byte
	SHA256         []byte
	ReceivedAt     time.Time
	SortAt         time.Time
	FromName       string
	FromAddr       string
	To             string
	Cc             string
	Subject        string
	MessageID      string
	Snippet        string
	HasAttachments bool
	ParseError     string
	// What the message is found by besides its summary (see
	// message.SearchText): indexed as it is stored.
	SearchBody        string
	SearchAttachments string
	// Search is SearchBody and SearchAttachments as PrepareSearch
	// prepared them, or nil: they are prepared as it is stored.
	Search *SearchText
	ListID string // the List-Id header, "" for none
	// Packed is Raw as PackRaw prepared it, or nil: it is packed as it
	// is stored.
	Packed *PackedRaw
	// What its conversation is found by (db/threads.go): the Message-IDs
	// it answers (message.References) and its subject as conversations
	// compare it (message.ThreadSubject).
	References     []string
	ThreadSubject  string
	SubjectAnswers bool // the subject begins with "Re:", "Fwd:"… (message.AnswersSubject)
}

// StoreMessages stores a batch of downloaded messages, raw bytes and
// summaries, and records their UIDLs, in one transaction: when it returns
// nil every one of them is durably on disk (synchronous=FULL). Their
// transfers are not marked as checked, so none of them is ever deleted on
// the server; the poller uses StoreDownloaded.
func (d *DB) StoreMessages(ctx context.Context, msgs []NewMessage) ([]int64, error) {
	batch := make([]Downloaded, len(msgs))
	for i, m := range msgs {
		batch[i] = Downloaded{NewMessage: m}
	}
	ids, _, err := d.StoreDownloaded(ctx, batch)
	return ids, err
}

// ServerMessage is what the poller knows of a message on the server.
type ServerMessage struct {
	UIDL      string
	MessageID *int64 // the stored message, nil if it was deleted here
	Size      int64
	FirstSeen time.Time
}

// ForgetServerMessages records that messages are gone from the server
// (deleted there by a confirmed QUIT, or no longer listed).
func (d *DB) ForgetServerMessages(ctx context.Context, accountID int64, uidls []string) error {
	if len(uidls) == 0 {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("forget server messages: %w", err)
	}
	defer tx.Rollback()
	for _, u := range uidls {
		if _, err := tx.ExecContext(ctx, `DELETE FROM server_messages WHERE account_id = ? AND uidl = ?`, accountID, u); err != nil {
			return fmt.Errorf("forget server messages: %w", err)
		}
	}
	return tx.Commit()
}
