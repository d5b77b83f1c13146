package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Conversations (migrations/0026_conversations.sql).
//
// A message joins, as it is stored, the conversation of every message of
// its user that:
//   - it names in its In-Reply-To or References (NewMessage.References);
//   - names it there (a parent that arrives after its replies, as POP3
//     often hands them out, joins their conversation, and two
//     conversations it links become one);
//   - has the same Message-ID (a copy kept in Sent and the one received
//     through a Cc to oneself);
//   - or, as a fallback on the subject, has the same ThreadSubject (the
//     subject without "Re:", "Fwd:", "AW:"… and without regard to case or
//     spacing; never an empty one) and a sort time within ThreadWindow of
//     its own, when neither of the two has In-Reply-To or References (a
//     program that leaves them out) and at least one of them says it
//     answers (its subject begins with "Re:", "Fwd:"…: SubjectAnswers).
//     A message that has references is never joined by its subject: they
//     say where it belongs. Two that only share a subject are not a
//     conversation: a shop's "Your order has shipped" every week, a
//     school's daily "Menu" would otherwise become one conversation each,
//     chained from week to week. The rule pairs messages whatever order
//     they are stored in.
//
// Every mailbox counts, Sent included, so one's own replies are in the
// conversation. The fallback looks at the nearest maxSubjectMatches
// messages of the subject on each side in time only, read in the index's
// order, so that a subject thousands of messages share costs no more than
// a few (sorting the whole window by distance read all of it: a sixth of
// a first sync of mail whose subjects repeat).

// ThreadWindow is how far apart in time two messages with the same
// subject may be for the subject alone to put them in one conversation.
const ThreadWindow = 7 * 24 * time.Hour

// maxSubjectMatches bounds the messages the subject fallback reads on
// each side of a message's time.
const maxSubjectMatches = 10

// threading is what a message is put in its conversation by.
type threading struct {
	id, userID int64
	messageID  string
	refs       []string
	subject    string // ThreadSubject
	answers    bool   // SubjectAnswers
	sortAt     int64
}

func (m NewMessage) threading() threading {
	return threading{userID: m.UserID, messageID: m.MessageID, refs: m.References,
		subject: m.ThreadSubject, answers: m.SubjectAnswers, sortAt: m.SortAt.Unix()}
}

// links are the conversations a message joins: those with a thread id,
// and the messages not threaded yet (each a conversation of its own).
type links struct {
	threads, loose map[int64]bool
}

// target is the conversation that the linked ones become: the smallest
// id of them all, mine included (mine: 0 for a message not stored yet,
// whose id is larger than any). See the migration: a thread id is never
// a later message's id.
func (l links) target(mine int64) int64 {
	t := mine
	for _, set := range []map[int64]bool{l.threads, l.loose} {
		for k := range set {
			if t == 0 || k < t {
				t = k
			}
		}
	}
	return t
}

// findLinks returns the conversations the message t links (see the rule
// above); t.id is 0 for a message about to be stored.
func findLinks(ctx context.Context, st *txStmts, t threading) (links, error) {
	l := links{threads: map[int64]bool{}, loose: map[int64]bool{}}
	collect := func(query string, args ...any) error {
		rows, err := st.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var thread sql.NullInt64
			var id int64
			if err := rows.Scan(&thread, &id); err != nil {
				return err
			}
			if thread.Valid {
				l.threads[thread.Int64] = true
			} else {
				l.loose[id] = true
			}
		}
		return rows.Err()
	}
	// The messages it names, and those with its own Message-ID, found by
	// the index on (account_id, message_id_hdr) of each of the user's
	// accounts.
	named := slices.Clone(t.refs)
	if t.messageID != "" {
		named = append(named, t.messageID)
	}
	if len(named) > 0 {
		args := append([]any{t.userID}, stringArgs(named)...)
		args = append(args, t.id)
		if err := collect(fmt.Sprintf(threadNamedSQL, placeholders(len(named))), args...); err != nil {
			return l, err
		}
	}
	if t.messageID != "" {
		if err := collect(threadNamingSQL, t.userID, t.messageID, t.id); err != nil {
			return l, err
		}
	}
	if t.subject != "" && len(t.refs) == 0 {
		// Answers, and when it answers the others too.
		keys := []string{answerMark + t.subject}
		if t.answers {
			keys = append(keys, t.subject)
		}
		window := int64(ThreadWindow / time.Second)
		for _, k := range keys {
			if err := collect(threadSubjectSQL,
				t.userID, k, t.sortAt-window, t.sortAt, t.id, maxSubjectMatches,
				t.userID, k, t.sortAt, t.sortAt+window, t.id, maxSubjectMatches); err != nil {
				return l, err
			}
		}
	}
	return l, nil
}

// answerMark begins the thread_subject of a message whose subject says it
// answers. A ThreadSubject never begins so (the prefix would have been
// cut). Mail threaded before the mark existed has none: it counts as not
// answering, so it joins later answers but not later mail that only
// shares its subject.
const answerMark = "re:"

// subjectKept is the thread_subject stored for a message: its subject for
// the fallback, marked when it answers, "" when it has references (it
// never uses the fallback).
func (t threading) subjectKept() string {
	switch {
	case len(t.refs) > 0:
		return ""
	case t.answers:
		return answerMark + t.subject
	}
	return t.subject
}

// threadNew puts a message being stored in its conversation: before its
// row is inserted, it returns the conversation for the row (nil: one of
// its own, for now) and a function to call once the row is in, with its
// id, that records its references and joins the conversations it links.
// A reply to a conversation writes nothing but its own row and
// references.
func threadNew(ctx context.Context, st *txStmts, t threading) (any, func(id int64) error, error) {
	l, err := findLinks(ctx, st, t)
	if err != nil {
		return nil, nil, err
	}
	var threadID any
	target := l.target(0)
	if target != 0 {
		threadID = target
	}
	return threadID, func(id int64) error {
		t.id = id
		if err := insertRefs(ctx, st, t); err != nil {
			return err
		}
		return join(ctx, st, l, target, t.userID)
	}, nil
}

// thread puts a message stored before conversations in its conversation
// (the background job): it records its references and subject, and joins
// its conversation, or itself, with the conversations it links.
func thread(ctx context.Context, st *txStmts, t threading) error {
	l, err := findLinks(ctx, st, t)
	if err != nil {
		return err
	}
	if err := insertRefs(ctx, st, t); err != nil {
		return err
	}
	if s := t.subjectKept(); s != "" {
		if _, err := st.exec(ctx, threadSubjectSetSQL, s, t.id); err != nil {
			return err
		}
	}
	var own sql.NullInt64
	if err := st.scan(ctx, threadOwnSQL, []any{t.id}, &own); err != nil {
		return err
	}
	if own.Valid {
		l.threads[own.Int64] = true
	} else {
		l.loose[t.id] = true
	}
	return join(ctx, st, l, l.target(t.id), t.userID)
}

func insertRefs(ctx context.Context, st *txStmts, t threading) error {
	for _, ref := range t.refs {
		if _, err := st.exec(ctx, `INSERT OR IGNORE INTO message_refs (user_id, ref, message_id) VALUES (?, ?, ?)`,
			t.userID, ref, t.id); err != nil {
			return err
		}
	}
	return nil
}

// join moves the linked conversations and messages into target: only
// those that are not in it already are written.
func join(ctx context.Context, st *txStmts, l links, target, userID int64) error {
	var threads, loose []int64
	for k := range l.threads {
		if k != target {
			threads = append(threads, k)
		}
	}
	for k := range l.loose {
		loose = append(loose, k)
	}
	if len(threads) > 0 {
		args := append(append([]any{target}, int64Args(threads)...), userID)
		if _, err := st.exec(ctx, threadJoinSQL(len(threads)), args...); err != nil {
			return err
		}
	}
	if len(loose) > 0 {
		args := append(append([]any{target}, int64Args(loose)...), userID)
		if _, err := st.exec(ctx, threadAdoptSQL(len(loose)), args...); err != nil {
			return err
		}
	}
	return nil
}

// The statements of thread, each along an index whatever the mailbox's
// size (TestThreadingPlans).
const (
	threadNamedSQL = `SELECT m.thread_id, m.id FROM accounts a JOIN messages m ON m.account_id = a.id
		WHERE a.user_id = ? AND m.message_id_hdr IN (%s) AND m.id <> ?`
	threadNamingSQL = `SELECT m.thread_id, m.id FROM message_refs r JOIN messages m ON m.id = r.message_id
		WHERE r.user_id = ? AND r.ref = ? AND m.id <> ?`
	threadSubjectSQL = `SELECT thread_id, id FROM (SELECT m.thread_id, m.id FROM messages m INDEXED BY messages_thread_subject
			WHERE m.user_id = ? AND m.thread_subject = ? AND m.thread_subject <> '' AND m.sort_at >= ? AND m.sort_at <= ? AND m.id <> ?
			ORDER BY m.sort_at DESC LIMIT ?)
		UNION ALL
		SELECT thread_id, id FROM (SELECT m.thread_id, m.id FROM messages m INDEXED BY messages_thread_subject
			WHERE m.user_id = ? AND m.thread_subject = ? AND m.thread_subject <> '' AND m.sort_at > ? AND m.sort_at <= ? AND m.id <> ?
			ORDER BY m.sort_at LIMIT ?)`
	threadOwnSQL        = `SELECT thread_id FROM messages NOT INDEXED WHERE id = ?`
	threadSubjectSetSQL = `UPDATE messages NOT INDEXED SET thread_subject = ? WHERE id = ?`
)

// threadJoinSQL moves the messages of n conversations into the first
// argument's; threadAdoptSQL moves there those of n messages not
// threaded yet.
func threadJoinSQL(n int) string {
	return `UPDATE messages INDEXED BY messages_thread_list SET thread_id = ? WHERE thread_id IN (` + placeholders(n) + `)
		AND user_id = ?`
}

func threadAdoptSQL(n int) string {
	return `UPDATE messages NOT INDEXED SET thread_id = ? WHERE id IN (` + placeholders(n) + `) AND thread_id IS NULL
		AND user_id = ?`
}

func stringArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// ---- a conversation's messages ----

// ThreadQuery selects the messages of a conversation shown on its page.
type ThreadQuery struct {
	Trash bool // the conversation was opened from the trash: its messages in the trash are shown too
	Junk  bool // likewise from junk
	Limit int  // the newest this many; default MaxThreadShown
	// Include is a message shown wherever it is: the one the page was
	// opened for.
	Include int64
}

// MaxThreadShown bounds the messages a conversation's page shows: the
// newest ones of a longer conversation.
const MaxThreadShown = 50

// Thread is a conversation's messages, oldest first: the newest
// Limit of them, and how many there are in all.
type Thread struct {
	Messages []MessageSummary
	Total    int
}

// ThreadOf returns the conversation of one of a user's messages, as
// ThreadQuery says: its messages outside the trash and junk (unless q
// asks for them, or it is q.Include), the newest q.Limit of them, oldest
// first. A message not
// threaded yet is a conversation of its own. ErrNotFound when id is not
// the user's.
func (d *DB) ThreadOf(ctx context.Context, userID, id int64, q ThreadQuery) (Thread, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxThreadShown {
		limit = MaxThreadShown
	}
	var threadID sql.NullInt64
	err := d.sql.QueryRowContext(ctx, `SELECT thread_id FROM messages WHERE id = ? AND user_id = ?`, id, userID).Scan(&threadID)
	if errors.Is(err, sql.ErrNoRows) {
		return Thread{}, ErrNotFound
	}
	if err != nil {
		return Thread{}, fmt.Errorf("thread of %d: %w", id, err)
	}
	where := []string{"m.user_id = ?"}
	args := []any{userID}
	if threadID.Valid {
		where, args = append(where, "m.thread_id = ?"), append(args, threadID.Int64)
	} else {
		where, args = append(where, "m.id = ?"), append(args, id)
	}
	if !q.Trash {
		where, args = append(where, "(m.trashed_at IS NULL OR m.id = ?)"), append(args, q.Include)
	}
	if !q.Junk {
		where, args = append(where, "(m.junked_at IS NULL OR m.id = ?)"), append(args, q.Include)
	}
	cond := strings.Join(where, " AND ")
	from := "messages m NOT INDEXED" // by rowid: the message alone
	if threadID.Valid {
		from = "messages m INDEXED BY messages_thread_list"
	}
	var t Thread
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM `+from+` WHERE `+cond, args...).Scan(&t.Total); err != nil {
		return t, fmt.Errorf("thread of %d: %w", id, err)
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT `+summaryColumns+` FROM `+from+` JOIN accounts a ON a.id = m.account_id
		WHERE `+cond+` ORDER BY m.sort_at DESC, m.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return t, fmt.Errorf("thread of %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanSummary(rows)
		if err != nil {
			return t, fmt.Errorf("thread of %d: %w", id, err)
		}
		t.Messages = append(t.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("thread of %d: %w", id, err)
	}
	slices.Reverse(t.Messages)
	return t, nil
}

// ---- lists of conversations ----

// Conversation is what a list shows of a conversation beside its newest
// message in the list: how many of its messages the list holds, whether
// any of them is unread or starred, and who wrote them, oldest first.
type Conversation struct {
	Count   int
	Unread  bool
	Starred bool
	Senders []Sender // each once, at most maxConversationSenders
}

// Sender is who wrote a message of a conversation.
type Sender struct{ Name, Addr string }

// maxConversationSenders bounds the senders a conversation's row names.
const maxConversationSenders = 4

// threadCond is listWhere's condition for the list's messages, written
// for the alias n instead of m.
func threadCond(where []string) string {
	return strings.ReplaceAll(strings.Join(where, " AND "), "m.", "n.")
}

// Conversations returns, for each message of a page of q's list shown as
// conversations (ListQuery.Conversations), what its conversation has in
// that list, by the message's id. It reads the page's conversations'
// messages in the list, through the index on thread_id.
func (d *DB) Conversations(ctx context.Context, userID int64, q ListQuery, page []MessageSummary) (map[int64]Conversation, error) {
	out := make(map[int64]Conversation, len(page))
	var threads []int64
	for _, m := range page {
		if m.ThreadID == 0 { // not threaded yet: a conversation of its own
			out[m.ID] = Conversation{Count: 1, Unread: !m.Flags.Has(FlagSeen), Starred: m.Flags.Has(FlagFlagged),
				Senders: []Sender{{Name: m.FromName, Addr: m.FromAddr}}}
		} else if !slices.Contains(threads, m.ThreadID) {
			threads = append(threads, m.ThreadID)
		}
	}
	if len(threads) == 0 {
		return out, nil
	}
	q.Before, q.After = nil, nil
	where, args, _, _, err := d.listWhere(ctx, userID, q)
	if err != nil {
		return nil, err
	}
	qargs := append(int64Args(threads), userID)
	qargs = append(qargs, args...)
	rows, err := d.sql.QueryContext(ctx, conversationsSQL(len(threads), where), qargs...)
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	defer rows.Close()
	byThread := make(map[int64]Conversation, len(threads))
	for rows.Next() {
		var id int64
		var s Sender
		var flags Flag
		if err := rows.Scan(&id, &s.Name, &s.Addr, &flags); err != nil {
			return nil, fmt.Errorf("conversations: %w", err)
		}
		c := byThread[id]
		c.Count++
		c.Unread = c.Unread || !flags.Has(FlagSeen)
		c.Starred = c.Starred || flags.Has(FlagFlagged)
		if len(c.Senders) < maxConversationSenders && !slices.ContainsFunc(c.Senders, func(o Sender) bool {
			return strings.EqualFold(o.Addr, s.Addr) && (s.Addr != "" || o.Name == s.Name)
		}) {
			c.Senders = append(c.Senders, s)
		}
		byThread[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	for _, m := range page {
		if m.ThreadID != 0 {
			out[m.ID] = byThread[m.ThreadID]
		}
	}
	return out, nil
}

// conversationsSQL reads the messages of n conversations in a list
// (listWhere's condition), along messages_thread_list.
func conversationsSQL(n int, where []string) string {
	return `SELECT n.thread_id, n.from_name, n.from_addr, n.flags FROM messages n INDEXED BY messages_thread_list
		WHERE n.thread_id IN (` + placeholders(n) + `) AND n.user_id = ? AND ` + threadCond(where) + `
		ORDER BY n.thread_id, n.sort_at, n.id`
}

// expandSQL reads the messages in a list of the conversations of n
// messages, along messages_thread_list.
func expandSQL(n int, where []string) string {
	return `SELECT n.id FROM messages p JOIN messages n INDEXED BY messages_thread_list ON n.thread_id = p.thread_id
		WHERE p.id IN (` + placeholders(n) + `) AND p.user_id = ? AND p.thread_id IS NOT NULL AND ` + threadCond(where)
}

// ExpandToThreads returns ids with the messages of their conversations
// that are in q's list added (each once): what an action on a list's
// conversation rows acts on. Only the user's messages are added; ids are
// returned as given whether or not they are the user's (the caller checks
// those, in one query).
func (d *DB) ExpandToThreads(ctx context.Context, userID int64, q ListQuery, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q.Before, q.After = nil, nil
	where, args, _, _, err := d.listWhere(ctx, userID, q)
	if err != nil {
		return nil, err
	}
	qargs := append(int64Args(ids), userID)
	qargs = append(qargs, args...)
	rows, err := d.sql.QueryContext(ctx, expandSQL(len(ids), where), qargs...)
	if err != nil {
		return nil, fmt.Errorf("expand to conversations: %w", err)
	}
	defer rows.Close()
	out := slices.Clone(ids)
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		seen[id] = true
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("expand to conversations: %w", err)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expand to conversations: %w", err)
	}
	return out, nil
}

// ---- the background job that threads mail stored before conversations ----

// Unthreaded is a message stored before conversations existed, to be put
// in its conversation: its raw mail, for its references, and its subject.
type Unthreaded = Backfilled

// Threaded is what the job read of an Unthreaded message.
type Threaded struct {
	ID             int64
	References     []string
	ThreadSubject  string
	SubjectAnswers bool
}

// UnthreadedBatch returns the next messages the threading job is to read
// (see backfillBatch).
func (d *DB) UnthreadedBatch(ctx context.Context, limit int, maxBytes int64) (batch []Unthreaded, done bool, err error) {
	batch, done, err = d.backfillBatch(ctx, "thread_backfill", limit, maxBytes)
	if err != nil {
		err = fmt.Errorf("unthreaded batch: %w", err)
	}
	return batch, done, err
}

// StoreThreaded puts a batch from UnthreadedBatch in their conversations
// and moves the job's cursor past it, in one transaction. A message
// deleted meanwhile is skipped.
func (d *DB) StoreThreaded(ctx context.Context, batch []Threaded) error {
	if len(batch) == 0 {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store threaded: %w", err)
	}
	defer tx.Rollback()
	st := newTxStmts(tx)
	low := batch[0].ID
	for _, b := range batch {
		low = min(low, b.ID)
		t := threading{id: b.ID, refs: b.References, subject: b.ThreadSubject, answers: b.SubjectAnswers}
		err := st.scan(ctx, `SELECT user_id, message_id_hdr, sort_at FROM messages WHERE id = ?`, []any{b.ID},
			&t.userID, &t.messageID, &t.sortAt)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("store threaded: %w", err)
		}
		if err := thread(ctx, st, t); err != nil {
			return fmt.Errorf("store threaded: message %d: %w", b.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE thread_backfill SET next_id = min(next_id, ?)`, low); err != nil {
		return fmt.Errorf("store threaded: %w", err)
	}
	return tx.Commit()
}

// ThreadingLeft says whether mail stored before conversations is still
// being put in its conversations.
func (d *DB) ThreadingLeft(ctx context.Context) (bool, error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM thread_backfill`).Scan(&n); err != nil {
		return false, fmt.Errorf("threading left: %w", err)
	}
	return n > 0, nil
}

// SetConversations stores whether a user's lists show one row per
// conversation.
func (d *DB) SetConversations(ctx context.Context, userID int64, on bool) error {
	res, err := d.sql.ExecContext(ctx, `UPDATE users SET conversations = ?, updated_at = ? WHERE id = ?`, on, d.now(), userID)
	if err != nil {
		return fmt.Errorf("set conversations: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
