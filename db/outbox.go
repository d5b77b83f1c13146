package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// OutboxState is where a message of the outbox stands (see
// migrations/0012_outbox.sql).
type OutboxState string

// The states of an outbox message.
const (
	OutboxQueued    OutboxState = "queued"     // waiting for its undo window or its next attempt
	OutboxSending   OutboxState = "sending"    // claimed by a sender
	OutboxSent      OutboxState = "sent"       // accepted by the server, stored in Sent
	OutboxFailed    OutboxState = "failed"     // refused for good, or retried for a whole day
	OutboxMaybeSent OutboxState = "maybe_sent" // the connection broke after the final "."
	OutboxCancelled OutboxState = "cancelled"  // undone by the user
)

// ErrOutboxState means an outbox message is not in a state that allows
// what was asked (undoing a message already sent, resolving one that was
// not maybe sent).
var ErrOutboxState = errors.New("the message is not in a state for this")

// ErrLostClaim means a sender no longer holds the message it was sending:
// its lease ran out and another sender took the message over. It must not
// send the final ".".
var ErrLostClaim = errors.New("the sender no longer holds this message")

// NewOutbox is a message to queue.
type NewOutbox struct {
	UserID, AccountID int64
	Raw               []byte
	From              string   // the envelope sender
	Rcpts             []string // every To, Cc and Bcc address
	SMTPUTF8          bool
	MessageID         string // without angle brackets
	Subject           string
	Draft             string    // the draft's text fields as JSON, to edit it again
	NotBefore         time.Time // the end of the undo window
	FlagMessageID     int64     // the message replied to or forwarded, 0 for none
	FlagBits          Flag      // FlagAnswered or FlagForwarded
	DraftID           int64     // the user's draft this was written as, deleted with its files once queued; 0 for none
	// ComposeKey is the key the message was written under ("" for none):
	// recorded with it, so that no draft is saved under it again, and any
	// draft with it is deleted. The draft's own key, when it has one, is
	// the one recorded.
	ComposeKey string
}

// OutboxError is what went wrong at a message's last attempt.
type OutboxError struct {
	Kind, Step string
	Code       int
	Text       string
}

// OutboxMessage is a message of the outbox. Raw is only filled by
// ClaimOutbox.
type OutboxMessage struct {
	ID, UserID, AccountID int64
	Raw                   []byte
	Size                  int64
	From                  string
	Rcpts                 []string
	SMTPUTF8              bool
	MessageID             string
	Subject               string
	Draft                 string
	State                 OutboxState
	CreatedAt             time.Time
	NotBefore             time.Time
	NextAttemptAt         time.Time
	Attempts              int
	FirstAttemptAt        *time.Time
	LastAttemptAt         *time.Time
	SentAt                *time.Time
	Dot                   bool // the final "." was about to be written at the last attempt
	Err                   OutboxError
	Reply                 string // the server's reply to the final "."
	SentMessageID         *int64 // the copy in Sent
	FlagMessageID         *int64
	FlagBits              Flag
}

const outboxColumns = `id, user_id, account_id, size, env_from, env_rcpts, smtputf8, message_id_hdr, subject, draft, state,
	created_at, not_before, next_attempt_at, attempts, first_attempt_at, last_attempt_at, sent_at, dot_at IS NOT NULL,
	err_kind, err_step, err_code, err_text, reply, sent_message_id, flag_message_id, flag_bits`

func scanOutbox(row interface{ Scan(...any) error }) (OutboxMessage, error) {
	var m OutboxMessage
	var rcpts string
	var created, notBefore, next int64
	var first, last, sent, sentID, flagID sql.NullInt64
	dest := []any{&m.ID, &m.UserID, &m.AccountID, &m.Size, &m.From, &rcpts, &m.SMTPUTF8, &m.MessageID, &m.Subject, &m.Draft,
		&m.State, &created, &notBefore, &next, &m.Attempts, &first, &last, &sent, &m.Dot,
		&m.Err.Kind, &m.Err.Step, &m.Err.Code, &m.Err.Text, &m.Reply, &sentID, &flagID, &m.FlagBits}
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal([]byte(rcpts), &m.Rcpts); err != nil {
		return m, fmt.Errorf("outbox message %d: recipients: %w", m.ID, err)
	}
	m.CreatedAt, m.NotBefore, m.NextAttemptAt = time.Unix(created, 0), time.Unix(notBefore, 0), time.Unix(next, 0)
	m.FirstAttemptAt, m.LastAttemptAt, m.SentAt = unixPtr(first), unixPtr(last), unixPtr(sent)
	if sentID.Valid {
		m.SentMessageID = &sentID.Int64
	}
	if flagID.Valid {
		m.FlagMessageID = &flagID.Int64
	}
	return m, nil
}

// ceilUnix is t in whole seconds, rounded up: a message is never due
// before its undo window ends.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.After(time.Unix(s, 0)) {
		s++
	}
	return s
}

// QueueOutbox stores a message in the outbox, queued, and returns its id,
// deleting in the same transaction the draft it was written as (by id and
// by key). The message flagged on success must be one of the user's. A
// message whose key is in the outbox already is ErrKeySpent: it is not
// queued twice.
func (d *DB) QueueOutbox(ctx context.Context, m NewOutbox) (int64, error) {
	rcpts, err := json.Marshal(m.Rcpts)
	if err != nil {
		return 0, fmt.Errorf("queue outbox: %w", err)
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("queue outbox: %w", err)
	}
	defer tx.Rollback()
	var flagID any
	if m.FlagMessageID != 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE id = ? AND user_id = ?`,
			m.FlagMessageID, m.UserID).Scan(&n); err != nil {
			return 0, fmt.Errorf("queue outbox: %w", err)
		}
		if n == 0 {
			return 0, ErrNotFound
		}
		flagID = m.FlagMessageID
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE id = ? AND user_id = ?`,
		m.AccountID, m.UserID).Scan(&n); err != nil {
		return 0, fmt.Errorf("queue outbox: %w", err)
	}
	if n == 0 {
		return 0, ErrNotFound
	}
	key := m.ComposeKey
	if m.DraftID != 0 {
		var own sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT compose_key FROM drafts WHERE id = ? AND user_id = ?`, m.DraftID, m.UserID).Scan(&own)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("queue outbox: %w", err)
		}
		if own.Valid {
			key = own.String
		}
	}
	for _, k := range []string{key, m.ComposeKey} {
		if k == "" {
			continue
		}
		if spent, err := keySpent(ctx, tx, m.UserID, k); err != nil {
			return 0, fmt.Errorf("queue outbox: %w", err)
		} else if spent {
			return 0, ErrKeySpent
		}
	}
	now, notBefore := d.now(), ceilUnix(m.NotBefore)
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox (user_id, account_id, raw, size, env_from, env_rcpts, smtputf8,
		message_id_hdr, subject, draft, created_at, not_before, next_attempt_at, flag_message_id, flag_bits, compose_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.UserID, m.AccountID, m.Raw, len(m.Raw), m.From, string(rcpts), boolInt(m.SMTPUTF8), m.MessageID, m.Subject,
		m.Draft, now, notBefore, notBefore, flagID, int64(m.FlagBits), nullString(key))
	if isUniqueViolation(err) {
		return 0, ErrKeySpent
	}
	if err != nil {
		return 0, fmt.Errorf("queue outbox: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("queue outbox: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM drafts WHERE user_id = ? AND (id = ? OR compose_key IN (?, ?))`,
		m.UserID, m.DraftID, key, m.ComposeKey); err != nil {
		return 0, fmt.Errorf("queue outbox: %w", err)
	}
	return id, tx.Commit()
}

// OutboxMessage returns one of a user's outbox messages, without its bytes.
func (d *DB) OutboxMessage(ctx context.Context, userID, id int64) (OutboxMessage, error) {
	m, err := scanOutbox(d.sql.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ? AND user_id = ?`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("outbox message %d: %w", id, err)
	}
	return m, err
}

// OutboxList returns a user's outbox, newest first, without the bytes:
// every message not yet sent or cancelled, and those sent or cancelled
// since since.
func (d *DB) OutboxList(ctx context.Context, userID int64, since time.Time) ([]OutboxMessage, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE user_id = ?
		AND (state NOT IN ('sent', 'cancelled') OR created_at >= ?) ORDER BY created_at DESC, id DESC`, userID, since.Unix())
	if err != nil {
		return nil, fmt.Errorf("outbox list: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("outbox list: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox list: %w", err)
	}
	return out, nil
}

// userOutboxUpdate runs an update of one of a user's outbox messages that
// is in one of the states from: ErrNotFound when it is not the user's,
// ErrOutboxState when it is in another state.
func (d *DB) userOutboxUpdate(ctx context.Context, userID, id int64, set string, args []any, from ...OutboxState) error {
	q := `UPDATE outbox SET ` + set + ` WHERE id = ? AND user_id = ? AND state IN (` + placeholders(len(from)) + `)`
	args = append(args, id, userID)
	for _, s := range from {
		args = append(args, string(s))
	}
	res, err := d.sql.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := d.OutboxMessage(ctx, userID, id); err != nil {
		return err
	}
	return ErrOutboxState
}

// CancelOutbox takes back one of a user's messages that is queued (in its
// undo window, or waiting to be tried again) or failed.
func (d *DB) CancelOutbox(ctx context.Context, userID, id int64) error {
	if err := d.userOutboxUpdate(ctx, userID, id, `state = 'cancelled'`, nil, OutboxQueued, OutboxFailed); err != nil {
		return fmt.Errorf("cancel outbox message %d: %w", id, err)
	}
	return nil
}

// RetryOutbox queues again, as new, one of a user's messages that may have
// been sent or that failed: the user decided to send it (again).
func (d *DB) RetryOutbox(ctx context.Context, userID, id int64) error {
	now := d.now()
	err := d.userOutboxUpdate(ctx, userID, id, `state = 'queued', next_attempt_at = ?, not_before = min(not_before, ?),
		dot_at = NULL, first_attempt_at = NULL, attempts = 0`, []any{now, now}, OutboxMaybeSent, OutboxFailed)
	if err != nil {
		return fmt.Errorf("retry outbox message %d: %w", id, err)
	}
	return nil
}

// ResolveOutboxSent records that one of a user's messages that may have
// been sent was: its copy stored in Sent, the original flagged, as
// CompleteOutbox does.
func (d *DB) ResolveOutboxSent(ctx context.Context, userID, id int64, copy NewMessage) error {
	err := d.completeOutbox(ctx, copy, "", `id = ? AND user_id = ? AND state = 'maybe_sent'`, id, userID)
	if errors.Is(err, ErrLostClaim) {
		if _, err := d.OutboxMessage(ctx, userID, id); err != nil {
			return err
		}
		return fmt.Errorf("resolve outbox message %d: %w", id, ErrOutboxState)
	}
	return err
}

// ---- for the sender: not scoped by user ----

// DueOutbox returns the ids of queued messages whose undo window is over
// and whose next attempt is due, oldest first.
func (d *DB) DueOutbox(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= ?
		AND not_before <= ? ORDER BY next_attempt_at, id LIMIT ?`, now.Unix(), now.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("due outbox: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due outbox: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ClaimOutbox marks a due queued message as being sent by owner until
// leaseUntil, counting the attempt, and returns it with its bytes. ok is
// false when it is not (or no longer) queued and due: cancelled, or
// claimed by another sender.
func (d *DB) ClaimOutbox(ctx context.Context, id int64, owner string, now, leaseUntil time.Time) (m OutboxMessage, ok bool, err error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return m, false, fmt.Errorf("claim outbox: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sending', owner = ?, lease_until = ?, dot_at = NULL,
		attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, ?), last_attempt_at = ?
		WHERE id = ? AND state = 'queued' AND next_attempt_at <= ? AND not_before <= ?`,
		owner, leaseUntil.Unix(), now.Unix(), now.Unix(), id, now.Unix(), now.Unix())
	if err != nil {
		return m, false, fmt.Errorf("claim outbox: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return m, false, err
	}
	m, err = scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if err != nil {
		return m, false, fmt.Errorf("claim outbox: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT raw FROM outbox WHERE id = ?`, id).Scan(&m.Raw); err != nil {
		return m, false, fmt.Errorf("claim outbox: %w", err)
	}
	return m, true, tx.Commit()
}

// ownerUpdate changes a message owner is sending; ErrLostClaim when owner
// no longer holds it.
func (d *DB) ownerUpdate(ctx context.Context, id int64, owner, set string, args ...any) error {
	args = append(args, id, owner)
	res, err := d.sql.ExecContext(ctx, `UPDATE outbox SET `+set+` WHERE id = ? AND owner = ? AND state = 'sending'`, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = ErrLostClaim
	}
	return err
}

// ExtendOutboxLease keeps a message owner is sending its own until until.
func (d *DB) ExtendOutboxLease(ctx context.Context, id int64, owner string, until time.Time) error {
	if err := d.ownerUpdate(ctx, id, owner, `lease_until = ?`, until.Unix()); err != nil {
		return fmt.Errorf("extend outbox lease: %w", err)
	}
	return nil
}

// MarkOutboxDot records, durably, that owner is about to write the final
// "." of a message: from now on it may be sent. ErrLostClaim (the "."
// must not be written) when owner no longer holds the message.
func (d *DB) MarkOutboxDot(ctx context.Context, id int64, owner string, now time.Time) error {
	if err := d.ownerUpdate(ctx, id, owner, `dot_at = ?`, now.Unix()); err != nil {
		return fmt.Errorf("mark outbox dot: %w", err)
	}
	return nil
}

// RequeueOutbox puts back a message owner was sending, not sent, to be
// tried again at next, with what went wrong.
func (d *DB) RequeueOutbox(ctx context.Context, id int64, owner string, next time.Time, e OutboxError) error {
	err := d.ownerUpdate(ctx, id, owner, `state = 'queued', owner = '', lease_until = NULL, dot_at = NULL,
		next_attempt_at = ?, err_kind = ?, err_step = ?, err_code = ?, err_text = ?`, next.Unix(), e.Kind, e.Step, e.Code, e.Text)
	if err != nil {
		return fmt.Errorf("requeue outbox: %w", err)
	}
	return nil
}

// StopOutbox ends the attempts at a message owner was sending: state is
// OutboxFailed or OutboxMaybeSent.
func (d *DB) StopOutbox(ctx context.Context, id int64, owner string, state OutboxState, e OutboxError) error {
	if state != OutboxFailed && state != OutboxMaybeSent {
		return fmt.Errorf("stop outbox: %q is not a final state", state)
	}
	err := d.ownerUpdate(ctx, id, owner, `state = ?, owner = '', lease_until = NULL,
		err_kind = ?, err_step = ?, err_code = ?, err_text = ?`, string(state), e.Kind, e.Step, e.Code, e.Text)
	if err != nil {
		return fmt.Errorf("stop outbox: %w", err)
	}
	return nil
}

// RecoverOutbox takes back the messages whose sender's lease ran out
// before now (it was killed, or stalled): one whose final "." may have
// been written becomes maybe_sent, never to be sent again without asking;
// the others are queued again, due at once.
func (d *DB) RecoverOutbox(ctx context.Context, now time.Time) (requeued, maybeSent int64, err error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("recover outbox: %w", err)
	}
	defer tx.Rollback()
	// The owner is kept: a sender that was only slow may still learn that
	// the server accepted the message, and complete it.
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'maybe_sent', lease_until = NULL,
		err_kind = 'maybe-sent', err_step = 'dot', err_code = 0, err_text = ''
		WHERE state = 'sending' AND lease_until < ? AND dot_at IS NOT NULL`, now.Unix())
	if err != nil {
		return 0, 0, fmt.Errorf("recover outbox: %w", err)
	}
	if maybeSent, err = res.RowsAffected(); err != nil {
		return 0, 0, err
	}
	res, err = tx.ExecContext(ctx, `UPDATE outbox SET state = 'queued', owner = '', lease_until = NULL, next_attempt_at = ?
		WHERE state = 'sending' AND lease_until < ? AND dot_at IS NULL`, now.Unix(), now.Unix())
	if err != nil {
		return 0, 0, fmt.Errorf("recover outbox: %w", err)
	}
	if requeued, err = res.RowsAffected(); err != nil {
		return 0, 0, err
	}
	return requeued, maybeSent, tx.Commit()
}

// CompleteOutbox records that the server accepted a message owner was
// sending (or that recovery marked maybe sent meanwhile), in one
// transaction: copy (its bytes as they went out) stored in the user's Sent
// mailbox, read; the original message flagged; the message sent, with the
// server's reply. ErrLostClaim when owner no longer holds it.
func (d *DB) CompleteOutbox(ctx context.Context, id int64, owner string, copy NewMessage, reply string) error {
	return d.completeOutbox(ctx, copy, reply, `id = ? AND owner = ? AND state IN ('sending', 'maybe_sent')`, id, owner)
}

func (d *DB) completeOutbox(ctx context.Context, copy NewMessage, reply, where string, args ...any) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("complete outbox: %w", err)
	}
	defer tx.Rollback()
	var id, userID int64
	var flagID sql.NullInt64
	var flags Flag
	err = tx.QueryRowContext(ctx, `SELECT id, user_id, flag_message_id, flag_bits FROM outbox WHERE `+where, args...).
		Scan(&id, &userID, &flagID, &flags)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("complete outbox: %w", ErrLostClaim)
	}
	if err != nil {
		return fmt.Errorf("complete outbox: %w", err)
	}
	if copy.UserID != userID {
		return fmt.Errorf("complete outbox %d: the copy is not the user's", id)
	}
	msgID, err := d.storeIn(ctx, tx, copy, MailboxSent, FlagSeen)
	if err != nil {
		return fmt.Errorf("complete outbox: %w", err)
	}
	if flagID.Valid && flags != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET flags = flags | ? WHERE id = ? AND user_id = ?`,
			int64(flags&AllFlags), flagID.Int64, userID); err != nil {
			return fmt.Errorf("complete outbox: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sent', owner = '', lease_until = NULL, sent_at = ?,
		reply = ?, sent_message_id = ?, err_kind = '', err_step = '', err_code = 0, err_text = '' WHERE id = ?`,
		d.now(), reply, msgID, id); err != nil {
		return fmt.Errorf("complete outbox: %w", err)
	}
	return tx.Commit()
}

// StoreInMailbox stores a message in its user's system mailbox role with
// flags (a message sent, in Sent and read), and returns its id. It has no
// server row: it was not downloaded.
func (d *DB) StoreInMailbox(ctx context.Context, m NewMessage, role MailboxRole, flags Flag) (int64, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store in %s: %w", role, err)
	}
	defer tx.Rollback()
	id, err := d.storeIn(ctx, tx, m, role, flags)
	if err != nil {
		return 0, fmt.Errorf("store in %s: %w", role, err)
	}
	return id, tx.Commit()
}

// storeIn inserts a message and its raw bytes into the user's mailbox of
// role; the count triggers keep the mailbox's totals.
func (d *DB) storeIn(ctx context.Context, tx *sql.Tx, m NewMessage, role MailboxRole, flags Flag) (int64, error) {
	if flags&^AllFlags != 0 {
		return 0, fmt.Errorf("unknown flags %v", flags)
	}
	st := newTxStmts(tx)
	th := m.threading()
	threadID, joined, err := threadNew(ctx, st, th)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (user_id, account_id, mailbox_id, received_at, sort_at, from_name,
		from_addr, to_addrs, cc_addrs, subject, message_id_hdr, snippet, has_attachments, size, sha256, parse_error, flags,
		thread_id, thread_subject)
		SELECT ?, a.id, b.id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		FROM accounts a JOIN mailboxes b ON b.user_id = a.user_id AND b.role = ? WHERE a.id = ? AND a.user_id = ?`,
		m.UserID, m.ReceivedAt.Unix(), m.SortAt.Unix(), m.FromName, m.FromAddr, m.To, m.Cc, m.Subject, m.MessageID,
		m.Snippet, boolInt(m.HasAttachments), len(m.Raw), m.SHA256, m.ParseError, int64(flags), threadID, th.subjectKept(),
		string(role), m.AccountID, m.UserID)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if n == 0 {
		return 0, ErrNotFound
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if err := d.insertRaw(ctx, st, id, m.Raw, m.Packed); err != nil {
		return 0, err
	}
	var fts ftsRows
	if err := d.insertSearchText(ctx, st, id, m, &fts); err != nil {
		return 0, err
	}
	if err := joined(id); err != nil {
		return 0, err
	}
	return id, fts.insert(ctx, st)
}

// OutboxRaw returns the bytes of one of a user's outbox messages.
func (d *DB) OutboxRaw(ctx context.Context, userID, id int64) ([]byte, error) {
	var raw []byte
	err := d.sql.QueryRowContext(ctx, `SELECT raw FROM outbox WHERE id = ? AND user_id = ?`, id, userID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("outbox message %d: %w", id, err)
	}
	return raw, nil
}

// NextOutboxDue is when the next queued message falls due; ok is false
// when none is queued.
func (d *DB) NextOutboxDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var t sql.NullInt64
	err = d.sql.QueryRowContext(ctx, `SELECT min(max(next_attempt_at, not_before)) FROM outbox WHERE state = 'queued'`).Scan(&t)
	if err != nil || !t.Valid {
		return time.Time{}, false, err
	}
	return time.Unix(t.Int64, 0), true, nil
}
