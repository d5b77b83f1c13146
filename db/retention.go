package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Downloaded is a message the poller received, with what it checked of
// the transfer. NewMessage.UIDL is the key the server row is recorded
// under: the message's unique UIDL, a "hdr:" key (a hash of its headers
// and size) when the server gave none usable, or "" for no server row.
type Downloaded struct {
	NewMessage
	// SizeOK: the bytes received matched the size LIST announced. Only
	// such messages are ever deleted on the server.
	SizeOK bool
	// DedupeByContent: when a message of the account with the same SHA256
	// is stored already, record the key against it rather than storing a
	// second copy.
	DedupeByContent bool
	// MailboxID is the mailbox the user's rules chose (0: the inbox); one
	// that is not the user's (deleted since) means the inbox too. Flags
	// are the flags they set.
	MailboxID int64
	Flags     Flag
}

// StoreDownloaded stores a batch of downloaded messages, unread in their
// user's inbox or where and as their rules said (Downloaded.MailboxID,
// Flags), and their server rows in one transaction, like
// StoreMessages, recording SizeOK. It
// returns, for each message, the id of the stored message and whether it
// was stored now (false: deduplicated against one stored before).
func (d *DB) StoreDownloaded(ctx context.Context, msgs []Downloaded) (ids []int64, added []bool, err error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("store downloaded: %w", err)
	}
	defer tx.Rollback()
	st := newTxStmts(tx)
	boxes := make(placements)
	var fts ftsRows
	for _, m := range msgs {
		var id int64
		isNew := true
		if m.DedupeByContent {
			err := st.scan(ctx, `SELECT id FROM messages WHERE account_id = ? AND sha256 = ? ORDER BY id LIMIT 1`,
				[]any{m.AccountID, m.SHA256}, &id)
			switch {
			case err == nil:
				isNew = false
			case !errors.Is(err, sql.ErrNoRows):
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
		}
		if isNew {
			box, err := boxes.mailbox(ctx, tx, m.UserID, m.MailboxID)
			if err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
			th := m.threading()
			threadID, joined, err := threadNew(ctx, st, th)
			if err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
			res, err := st.exec(ctx, `INSERT INTO messages (user_id, account_id, mailbox_id, received_at, sort_at, from_name,
				from_addr, to_addrs, cc_addrs, subject, message_id_hdr, snippet, has_attachments, size, sha256, parse_error,
				list_id, flags, trashed_at, junked_at, thread_id, thread_subject)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				m.UserID, m.AccountID, box.id, m.ReceivedAt.Unix(), m.SortAt.Unix(), m.FromName, m.FromAddr, m.To, m.Cc, m.Subject,
				m.MessageID, m.Snippet, boolInt(m.HasAttachments), len(m.Raw), m.SHA256, m.ParseError,
				m.ListID, int64(m.Flags&AllFlags), box.since(MailboxTrash, m.ReceivedAt), box.since(MailboxJunk, m.ReceivedAt),
				threadID, th.subjectKept())
			if err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
			if id, err = res.LastInsertId(); err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
			if err := d.insertRaw(ctx, st, id, m.Raw, m.Packed); err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
			if err := d.insertSearchText(ctx, st, id, m.NewMessage, &fts); err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
			if err := joined(id); err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
		}
		if m.UIDL != "" {
			if _, err := st.exec(ctx, `INSERT INTO server_messages (account_id, uidl, message_id, size, first_seen_at, size_ok)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, uidl) DO UPDATE SET message_id = excluded.message_id,
				size = excluded.size, size_ok = excluded.size_ok`,
				m.AccountID, m.UIDL, id, m.ServerSize, m.ReceivedAt.Unix(), boolInt(m.SizeOK)); err != nil {
				return nil, nil, fmt.Errorf("store downloaded: %w", err)
			}
		}
		ids, added = append(ids, id), append(added, isNew)
	}
	if err := fts.insert(ctx, st); err != nil {
		return nil, nil, fmt.Errorf("store downloaded: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, fmt.Errorf("store downloaded: %w", err)
	}
	return ids, added, nil
}

// ServerState is what the poller knows of a message on the server, with
// what retention needs.
type ServerState struct {
	ServerMessage
	SizeOK  bool // the transfer looked right when it was stored
	Trashed bool // the stored message is in the trash
	// Listed: the account's last stamped listing showed it (MarkListed).
	Listed bool
	// HeaderUse: for a row keyed by a header key, how the last listing
	// showed it (RememberHeaderUses); zero when unknown.
	HeaderUse
}

// HeaderUse is how a listing showed a message known by its header key:
// the UIDL the server gave it (not its own) and how many listed messages
// had the key.
type HeaderUse struct {
	ServerUIDL string
	Copies     int
}

// ServerStates returns what is known of an account's server messages, by
// key (UIDL or "hdr:" key).
func (d *DB) ServerStates(ctx context.Context, accountID int64) (map[string]ServerState, error) {
	out := make(map[string]ServerState)
	err := d.eachServerState(ctx, accountID, func(st ServerState) { out[st.UIDL] = st })
	if err != nil {
		return nil, fmt.Errorf("server states: %w", err)
	}
	return out, nil
}

// eachServerState calls fn with each of an account's server rows.
func (d *DB) eachServerState(ctx context.Context, accountID int64, fn func(ServerState)) error {
	rows, err := d.sql.QueryContext(ctx, `SELECT s.uidl, s.message_id, s.size, s.first_seen_at, s.size_ok,
		m.trashed_at IS NOT NULL, coalesce(s.listed_at = a.listed_at, 0), coalesce(s.server_uidl, ''),
		s.server_copies
		FROM server_messages s JOIN accounts a ON a.id = s.account_id LEFT JOIN messages m ON m.id = s.message_id
		WHERE s.account_id = ?`, accountID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var st ServerState
		var msgID sql.NullInt64
		var first int64
		if err := rows.Scan(&st.UIDL, &msgID, &st.Size, &first, &st.SizeOK, &st.Trashed, &st.Listed, &st.ServerUIDL, &st.Copies); err != nil {
			return err
		}
		if msgID.Valid {
			st.MessageID = &msgID.Int64
		}
		st.FirstSeen = time.Unix(first, 0)
		fn(st)
	}
	return rows.Err()
}

// RememberHeaderUses records how a listing showed messages of account
// accountID known by their header key (key → use), for the next listing
// to recognise them without TOP.
func (d *DB) RememberHeaderUses(ctx context.Context, accountID int64, uses map[string]HeaderUse) error {
	if len(uses) == 0 {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remember header uses: %w", err)
	}
	defer tx.Rollback()
	for key, u := range uses {
		if _, err := tx.ExecContext(ctx, `UPDATE server_messages SET server_uidl = ?, server_copies = ? WHERE account_id = ? AND uidl = ?`,
			nullString(u.ServerUIDL), u.Copies, accountID, key); err != nil {
			return fmt.Errorf("remember header uses: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("remember header uses: %w", err)
	}
	return nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ShouldDelete says whether the account's retention choices ask for the
// stored message st to go from the server at time now. The poller deletes
// by it, and RetentionCounts counts by it.
func (a AccountSettings) ShouldDelete(st ServerState, now time.Time) bool {
	if a.DeleteAfterDownload {
		return true
	}
	if a.DeleteAfterDays > 0 && !now.Before(st.FirstSeen.AddDate(0, 0, a.DeleteAfterDays)) {
		return true
	}
	switch a.DeleteWhenDeleted {
	case DeleteImmediately:
		return st.MessageID == nil || st.Trashed
	case DeleteTrashEmptied:
		return st.MessageID == nil
	}
	return false
}

// MatchStored finds the one stored message of an account with the
// Message-ID header msgID whose bytes are listSize long (or two more,
// ending in CRLF, as when the server appended a final line break). ok is
// false when there is none or more than one.
func (d *DB) MatchStored(ctx context.Context, accountID int64, msgID string, listSize int64) (id int64, ok bool, err error) {
	if msgID == "" {
		return 0, false, nil
	}
	// The candidates by Message-ID and size; the final CRLF of those two
	// bytes longer is looked for in their last piece, decompressed.
	rows, err := d.sql.QueryContext(ctx, `SELECT m.id, m.size FROM messages m
		WHERE m.account_id = ? AND m.message_id_hdr = ? AND m.size IN (?, ? + 2)`, accountID, msgID, listSize, listSize)
	if err != nil {
		return 0, false, fmt.Errorf("match stored: %w", err)
	}
	type candidate struct{ id, size int64 }
	var cands []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.size); err != nil {
			rows.Close()
			return 0, false, fmt.Errorf("match stored: %w", err)
		}
		cands = append(cands, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, false, fmt.Errorf("match stored: %w", err)
	}
	n := 0
	for _, c := range cands {
		if c.size != listSize {
			crlf, err := d.endsInCRLF(ctx, c.id)
			if errors.Is(err, ErrNotFound) {
				continue // deleted meanwhile
			}
			if err != nil {
				return 0, false, fmt.Errorf("match stored: %w", err)
			}
			if !crlf {
				continue
			}
		}
		if id, n = c.id, n+1; n > 1 {
			break
		}
	}
	return id, n == 1, nil
}

// AdoptServerMessage records that the server now lists the stored message
// messageID under a new key (after a change of UIDLs), with the size check
// passed. Its first-seen time is carried over from the message's earliest
// server row, so "delete after N days" keeps counting from the first
// download.
func (d *DB) AdoptServerMessage(ctx context.Context, accountID int64, uidl string, messageID, size int64) (ServerState, error) {
	now := d.now()
	var first int64
	err := d.sql.QueryRowContext(ctx, `INSERT INTO server_messages (account_id, uidl, message_id, size, first_seen_at, size_ok)
		VALUES (?, ?, ?, ?, COALESCE((SELECT min(first_seen_at) FROM server_messages WHERE account_id = ? AND message_id = ?), ?), 1)
		ON CONFLICT (account_id, uidl) DO UPDATE SET message_id = excluded.message_id, size = excluded.size, size_ok = 1
		RETURNING first_seen_at`,
		accountID, uidl, messageID, size, accountID, messageID, now).Scan(&first)
	if err != nil {
		return ServerState{}, fmt.Errorf("adopt server message: %w", err)
	}
	st := ServerState{ServerMessage: ServerMessage{UIDL: uidl, MessageID: &messageID, Size: size, FirstSeen: time.Unix(first, 0)}, SizeOK: true}
	return st, nil
}
