//go:build ignore

// Command gen makes testdata/db/release.db and its manifest.json: a
// database written by the release named in testdata/db/README.md, through
// that release's own db package, holding every kind of row it stores.
// The migration tests open a copy with today's db.Open and compare every
// message with the manifest.
//
// It only builds against that release's db package: run it in a work tree
// of that commit, as the README says.
package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/apartado/apartado/db"
)

// Manifest is what the fixture holds, read back from it after writing.
type Manifest struct {
	Commit          string          `json:"commit"`
	Users           []User          `json:"users"`
	Accounts        []Account       `json:"accounts"`
	Messages        []Message       `json:"messages"`
	ServerMessages  []ServerMessage `json:"server_messages"`
	SyncHistory     int             `json:"sync_history"`
	TrustedSenders  int             `json:"trusted_senders"`
	RawParts        int             `json:"raw_parts"`
	SchemaMigration int             `json:"schema_migrations"`
}

type User struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
}

type Account struct {
	ID     int64  `json:"id"`
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
}

type Message struct {
	ID         int64  `json:"id"`
	UserID     int64  `json:"user_id"`
	AccountID  int64  `json:"account_id"`
	ReceivedAt int64  `json:"received_at"`
	SortAt     int64  `json:"sort_at"`
	Subject    string `json:"subject"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	Seen       bool   `json:"seen"`
	TrashedAt  *int64 `json:"trashed_at"`
}

type ServerMessage struct {
	AccountID   int64  `json:"account_id"`
	UIDL        string `json:"uidl"`
	MessageID   *int64 `json:"message_id"`
	Size        int64  `json:"size"`
	SizeOK      bool   `json:"size_ok"`
	FirstSeenAt int64  `json:"first_seen_at"`
}

func main() {
	out := flag.String("o", "release.db", "the database to write (must not exist)")
	manifest := flag.String("manifest", "manifest.json", "where to write what it holds")
	commit := flag.String("commit", "", "the commit this work tree is at, recorded in the manifest")
	flag.Parse()
	if err := run(context.Background(), *out, *manifest, *commit); err != nil {
		log.Fatal(err)
	}
}

var base = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func run(ctx context.Context, out, manifest, commit string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists", out)
	}
	d, err := db.Open(ctx, out)
	if err != nil {
		return err
	}
	clock := base
	d.Now = func() time.Time { return clock }
	if err := fill(ctx, d, func(dt time.Duration) { clock = clock.Add(dt) }); err != nil {
		return err
	}
	// Small enough to keep in the repository: 4 KiB pages, no WAL.
	for _, q := range []string{`PRAGMA wal_checkpoint(TRUNCATE)`, `PRAGMA journal_mode=DELETE`, `PRAGMA page_size=4096`, `VACUUM`} {
		if _, err := d.SQL().ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	m, err := read(ctx, d.SQL())
	if err != nil {
		return err
	}
	m.Commit = commit
	if err := d.Close(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(manifest, append(b, '\n'), 0o644)
}

// raw builds a message's bytes: CRLF line ends, some 8-bit text, and
// filler lines to reach at least size bytes.
func raw(i int, subject string, size int, finalCRLF bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from mx.example.org by pop.example.org; %s\r\n", base.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: Sender %d <sender%d@example.org>\r\n", i, i)
	fmt.Fprintf(&b, "To: ana@example.com\r\nSubject: %s\r\nMessage-ID: <m%d@example.org>\r\n", subject, i)
	fmt.Fprintf(&b, "Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n", base.Add(time.Duration(-i)*time.Hour).Format(time.RFC1123Z))
	b.WriteString("Ma\xf1ana, caf\xe9.\r\n")
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, "line %06d of message %d: the quick brown fox jumps over the lazy dog\r\n", n, i)
	}
	s := b.String()
	if !finalCRLF {
		s = strings.TrimSuffix(s, "\r\n")
	}
	return []byte(s)
}

func fill(ctx context.Context, d *db.DB, tick func(time.Duration)) error {
	ana, err := d.CreateFirstAdmin(ctx, "ana", "$argon2id$fixture-ana")
	if err != nil {
		return err
	}
	bob, err := d.CreateUser(ctx, "Bob", "$argon2id$fixture-bob", db.RoleMember)
	if err != nil {
		return err
	}
	carla, err := d.CreateUser(ctx, "carla", "$argon2id$fixture-carla", db.RoleMember)
	if err != nil {
		return err
	}
	if err := d.SetDisabled(ctx, carla.ID, true); err != nil {
		return err
	}
	if err := d.SetUserPreferences(ctx, ana.ID, "es", "Europe/Madrid"); err != nil {
		return err
	}
	settings := func(name, email string) db.AccountSettings {
		return db.AccountSettings{Name: name, Email: email, Host: "pop.example.org", Port: 995, Security: "tls",
			Username: email, PasswordSealed: []byte("sealed:" + email), DeleteWhenDeleted: db.DeleteTrashEmptied,
			PollInterval: 10 * time.Minute, Enabled: true}
	}
	work, err := d.CreateAccount(ctx, ana.ID, settings("Work", "ana@work.example"))
	if err != nil {
		return err
	}
	s := settings("Home", "ana@home.example")
	s.DeleteAfterDays, s.DeleteWhenDeleted = 30, db.DeleteImmediately
	home, err := d.CreateAccount(ctx, ana.ID, s)
	if err != nil {
		return err
	}
	s = settings("Bob", "bob@example.net")
	s.Security, s.Port = "starttls", 110
	bobs, err := d.CreateAccount(ctx, bob.ID, s)
	if err != nil {
		return err
	}

	type plan struct {
		account db.Account
		seen    bool
		trash   bool
		delete  bool // trashed, then deleted here: only its server row stays
		size    int
		noCRLF  bool
		attach  bool
		parse   string
	}
	var plans []plan
	// Every combination of read and trashed, in each of Ana's accounts.
	for _, a := range []db.Account{work, home} {
		for _, seen := range []bool{false, true} {
			for _, trash := range []bool{false, true} {
				plans = append(plans, plan{account: a, seen: seen, trash: trash, size: 600})
			}
		}
	}
	plans = append(plans,
		plan{account: work, attach: true, size: 1<<20 + 5000}, // stored in two pieces
		plan{account: work, seen: true, trash: true, attach: true, size: 3000},
		plan{account: home, noCRLF: true, parse: "malformed header", size: 300},
		plan{account: home, delete: true, size: 400},
		plan{account: bobs, seen: true, size: 500},
		plan{account: bobs, trash: true, size: 500},
		plan{account: bobs, seen: true, trash: true, size: 500},
		plan{account: bobs, delete: true, seen: true, size: 500},
	)
	var byAccount = map[int64][]string{}
	for i, p := range plans {
		tick(7 * time.Minute)
		subject := fmt.Sprintf("Mensaje %d: ¿qué tal? %s", i, strings.Repeat("·", i%3))
		body := raw(i, subject, p.size, !p.noCRLF)
		sum := sha256.Sum256(body)
		uidl := fmt.Sprintf("UID%04d-%s", i, hex.EncodeToString(sum[:4]))
		msg := db.Downloaded{NewMessage: db.NewMessage{AccountID: p.account.ID, UserID: p.account.UserID, UIDL: uidl,
			ServerSize: int64(len(body)), Raw: body, SHA256: sum[:], ReceivedAt: time.Unix(int64(1793600000+i*420), 0),
			SortAt: base.Add(time.Duration(-i) * time.Hour), FromName: fmt.Sprintf("Sender %d", i),
			FromAddr: fmt.Sprintf("sender%d@example.org", i), To: "ana@example.com", Subject: subject,
			MessageID: fmt.Sprintf("m%d@example.org", i), Snippet: "Mañana, café.", HasAttachments: p.attach,
			ParseError: p.parse}, SizeOK: i%5 != 4}
		ids, _, err := d.StoreDownloaded(ctx, []db.Downloaded{msg})
		if err != nil {
			return err
		}
		byAccount[p.account.ID] = append(byAccount[p.account.ID], uidl)
		if err := d.SetSeen(ctx, p.account.UserID, ids, p.seen); err != nil {
			return err
		}
		if p.trash || p.delete {
			if _, err := d.TrashMessages(ctx, p.account.UserID, ids); err != nil {
				return err
			}
		}
		if p.delete {
			if _, err := d.DeleteMessages(ctx, p.account.UserID, ids); err != nil {
				return err
			}
		}
	}
	// A message read, then marked unread again.
	if err := d.SetSeen(ctx, ana.ID, []int64{1}, true); err != nil {
		return err
	}
	if err := d.SetSeen(ctx, ana.ID, []int64{1}, false); err != nil {
		return err
	}
	// A server row with no stored message (adopted key of a gone one).
	if err := d.ForgetServerMessages(ctx, home.ID, byAccount[home.ID][:1]); err != nil {
		return err
	}
	for _, a := range []db.Account{work, home, bobs} {
		tick(time.Minute)
		if err := d.MarkListed(ctx, a.ID, byAccount[a.ID], d.Now()); err != nil {
			return err
		}
		count, bytes, expire := int64(len(byAccount[a.ID])), int64(4096), "NEVER"
		if err := d.RecordPoll(ctx, a.ID, db.PollResult{Started: d.Now(), NextPoll: d.Now().Add(10 * time.Minute),
			ServerCount: &count, ServerBytes: &bytes, ServerExpire: &expire, Duration: 1200 * time.Millisecond,
			New: len(byAccount[a.ID]), Bytes: 4096, Notes: []string{"message 3/9 not deleted: its size did not match"}}); err != nil {
			return err
		}
	}
	if err := d.RecordPoll(ctx, work.ID, db.PollResult{Started: d.Now(), NextPoll: d.Now().Add(time.Minute),
		ErrKind: "auth", ErrStep: "pass", ErrText: "-ERR [AUTH] invalid", AuthFailure: true, Duration: time.Second}); err != nil {
		return err
	}
	for _, addr := range []string{"news@example.org", "Sender3@Example.org"} {
		if err := d.TrustSender(ctx, ana.ID, addr); err != nil {
			return err
		}
	}
	if err := d.TrustSender(ctx, bob.ID, "friend@example.net"); err != nil {
		return err
	}
	return nil
}

// read takes the manifest from the database itself, with SQL of the
// release's schema.
func read(ctx context.Context, q *sql.DB) (Manifest, error) {
	var m Manifest
	rows, err := q.QueryContext(ctx, `SELECT id, name, role, disabled FROM users ORDER BY id`)
	if err != nil {
		return m, err
	}
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.Disabled); err != nil {
			return m, err
		}
		m.Users = append(m.Users, u)
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	rows, err = q.QueryContext(ctx, `SELECT id, user_id, name, email FROM accounts ORDER BY id`)
	if err != nil {
		return m, err
	}
	for rows.Next() {
		var a Account
		if err := rows.Scan(&a.ID, &a.UserID, &a.Name, &a.Email); err != nil {
			return m, err
		}
		m.Accounts = append(m.Accounts, a)
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	rows, err = q.QueryContext(ctx, `SELECT m.id, m.user_id, m.account_id, m.received_at, m.sort_at, m.subject, m.size,
		m.seen, m.trashed_at, r.raw, (SELECT group_concat(hex(data), '') FROM (SELECT data FROM message_raw_parts p
		WHERE p.message_id = m.id ORDER BY seq)) FROM messages m JOIN message_raw r ON r.message_id = m.id ORDER BY m.id`)
	if err != nil {
		return m, err
	}
	for rows.Next() {
		var msg Message
		var first []byte
		var rest sql.NullString
		var trashed sql.NullInt64
		if err := rows.Scan(&msg.ID, &msg.UserID, &msg.AccountID, &msg.ReceivedAt, &msg.SortAt, &msg.Subject, &msg.Size,
			&msg.Seen, &trashed, &first, &rest); err != nil {
			return m, err
		}
		more, err := hex.DecodeString(rest.String)
		if err != nil {
			return m, err
		}
		whole := append(first, more...)
		if int64(len(whole)) != msg.Size {
			return m, fmt.Errorf("message %d: %d bytes, size %d", msg.ID, len(whole), msg.Size)
		}
		sum := sha256.Sum256(whole)
		msg.SHA256 = hex.EncodeToString(sum[:])
		if trashed.Valid {
			msg.TrashedAt = &trashed.Int64
		}
		m.Messages = append(m.Messages, msg)
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	rows, err = q.QueryContext(ctx, `SELECT account_id, uidl, message_id, size, size_ok, first_seen_at FROM server_messages ORDER BY account_id, uidl`)
	if err != nil {
		return m, err
	}
	for rows.Next() {
		var s ServerMessage
		var id sql.NullInt64
		if err := rows.Scan(&s.AccountID, &s.UIDL, &id, &s.Size, &s.SizeOK, &s.FirstSeenAt); err != nil {
			return m, err
		}
		if id.Valid {
			s.MessageID = &id.Int64
		}
		m.ServerMessages = append(m.ServerMessages, s)
	}
	if err := rows.Err(); err != nil {
		return m, err
	}
	for q2, dst := range map[string]*int{`SELECT count(*) FROM sync_history`: &m.SyncHistory,
		`SELECT count(*) FROM trusted_senders`: &m.TrustedSenders, `SELECT count(*) FROM message_raw_parts`: &m.RawParts,
		`SELECT count(*) FROM schema_migrations`: &m.SchemaMigration} {
		if err := q.QueryRowContext(ctx, q2).Scan(dst); err != nil {
			return m, err
		}
	}
	return m, nil
}
