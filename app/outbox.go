package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
)

// Sending mail: "compose → outbox → sent". Send checks a draft, writes its
// exact bytes and puts them in the durable outbox, and returns at once;
// the sender (package sender) delivers them once the undo window is over.
// The rules of what the sender does with each outcome are in package
// sender; the user's decisions (undo, "it was sent", "send it again") are
// here.

// Defaults of the outbox.
const (
	// DefaultUndo is how long a sent message can be taken back before it
	// leaves.
	DefaultUndo = 5 * time.Second
	// MaxUndo bounds the undo window.
	MaxUndo = 30 * time.Second
	// DefaultMaxSendSize bounds a message's size: more than most
	// providers accept (Gmail, Outlook: 25 MB with the base64 overhead
	// counted), and what the outbox holds in one piece. An account's
	// outgoing server may accept less (SizeLimit), never more.
	DefaultMaxSendSize = 35 << 20
	// OutboxListAge is how long a sent or cancelled message stays in the
	// outbox's list.
	OutboxListAge = 7 * 24 * time.Hour
)

// Input fields of a draft, as Problem.Field names them: compose's field
// names (compose.FieldTo, …) and these.
const (
	FieldAccount  = "account"
	FieldOriginal = "original"
)

// Draft is what a person asks to send: the message (From, Date and, unless
// it keeps one, the Message-ID are set by Send from the account), the
// stored message it answers or forwards, flagged once it is sent, and the
// files it sends besides its Attachments: those kept with the draft it was
// saved as, and the original's parts or the original itself.
type Draft struct {
	compose.Draft
	Original     int64   // one of the user's messages, or 0
	OriginalFlag db.Flag // db.FlagAnswered or db.FlagForwarded, with Original
	// DraftID is the user's saved draft this is (0: none): its files are
	// sent, and it is deleted with them once the message is queued.
	DraftID int64
	// OriginalParts are parts of Original to attach, as message.Attachment
	// IDs name them (a forward keeps the original's files).
	OriginalParts []string
	// AttachOriginal attaches Original itself, as an .eml file.
	AttachOriginal bool
	// ComposeKey is the key the message is written under (NewComposeKey),
	// or "": its draft is found by it, and once the message is queued no
	// draft is saved under it, nor is it queued again. A key that
	// ParseComposeKey refuses is ignored.
	ComposeKey string
}

// SetHTML sets the formatted body of d: html sanitized by the rules mail
// is shown with (message.SanitizeAuthored), and Text the plain text said
// by it (compose.PlainText), which the message carries as its text
// alternative and the composer shows without JavaScript. HTML that shows
// neither text nor an image leaves a plain message with an empty text.
// An empty html changes nothing.
func (d *Draft) SetHTML(html string) {
	if html == "" {
		return
	}
	frag := message.SanitizeAuthored(html)
	text := compose.PlainText(frag)
	if strings.TrimSpace(text) == "" && !strings.Contains(frag, "<img") {
		d.HTML, d.Text = "", ""
		return
	}
	d.HTML, d.Text = frag, text
}

// Undone is a message taken back from the outbox, or a saved draft, to
// edit again: its fields, the draft that keeps its files (DraftID), and
// the names of the files that could not be kept, for the composer to ask
// for again.
type Undone struct {
	Draft
	AttachmentNames []string
	AccountID       int64 // the account it was to be sent from, or 0
}

// Resolution is the user's answer about a message that may have been sent.
type Resolution string

// The answers.
const (
	ResolveWasSent   Resolution = "sent"  // it arrived: store it in Sent
	ResolveSendAgain Resolution = "again" // it did not: send it again
)

// Outbox puts messages in the outbox and takes them back. Set the fields
// after NewOutbox, before use.
type Outbox struct {
	db *db.DB
	// UndoWindow is how long a message can be taken back; 0 sends at once (the command line).
	UndoWindow time.Duration
	// MaxSize bounds a message's size in octets, whatever an outgoing
	// server accepts.
	MaxSize int64
	// Notify, if set, is called when a message was queued, so that a
	// sender looks at the outbox.
	Notify func()
	Now    func() time.Time
}

// NewOutbox returns the outbox service with the default undo window and
// size bound.
func NewOutbox(store *db.DB) *Outbox {
	return &Outbox{db: store, UndoWindow: DefaultUndo, MaxSize: DefaultMaxSendSize, Now: time.Now}
}

// draftFields is what the outbox keeps of a draft to edit it again.
type draftFields struct {
	To, Cc, Bcc  []compose.Address `json:",omitempty"`
	Subject      string            `json:",omitempty"`
	Text         string            `json:",omitempty"`
	HTML         string            `json:",omitempty"`
	InReplyTo    string            `json:",omitempty"`
	References   []string          `json:",omitempty"`
	Attachments  []string          `json:",omitempty"` // the files' names (a draft's: the files not kept)
	Original     int64             `json:",omitempty"`
	OriginalFlag db.Flag           `json:",omitempty"`
	// OriginalParts are the original's parts to attach.
	OriginalParts []string `json:",omitempty"`
	// Forward is "eml" when the original itself is attached, "inline" when
	// it is not; a forward kept before this field existed attached it.
	Forward string `json:",omitempty"`
}

// SizeLimit is the largest message the outbox queues from acc: MaxSize,
// or the SIZE its outgoing server gave when last seen, if that is less.
func (o *Outbox) SizeLimit(acc db.Account) int64 {
	if off := acc.OutgoingOffers; off.Known() && off.MaxSize > 0 && off.MaxSize < o.MaxSize {
		return off.MaxSize
	}
	return o.MaxSize
}

// mayUTF8 reports whether a message from acc may have addresses with
// UTF-8 user names (RFC 6531): its outgoing server offered SMTPUTF8 when
// last seen, or it was never seen (then the sender finds out, and a server
// without it is a failure that says so).
func mayUTF8(acc db.Account) bool {
	return !acc.OutgoingOffers.Known() || acc.OutgoingOffers.SMTPUTF8
}

// Send checks d against the account and the rules, writes its bytes and
// queues them; the message leaves once the undo window is over. What the
// account's outgoing server would refuse is refused here: a message
// larger than its SIZE (SizeLimit), an address with a UTF-8 user name when
// it does not offer SMTPUTF8. The error is an *Invalid for a draft that
// breaks a rule, db.ErrNotFound never (an account or original that is not
// the user's is an *Invalid too). A message whose ComposeKey is in the
// outbox already is not queued again: an *Invalid on FieldComposeKey.
func (o *Outbox) Send(ctx context.Context, userID, accountID int64, d Draft) (db.OutboxMessage, error) {
	if o.UndoWindow < 0 || o.UndoWindow > MaxUndo {
		return db.OutboxMessage{}, fmt.Errorf("send: undo window %v out of range", o.UndoWindow)
	}
	d.ComposeKey = ParseComposeKey(d.ComposeKey)
	spent := keySpentProblem(i18n.Key("This message is in the outbox already, so it was not sent again."))
	if ok, err := o.db.KeySpent(ctx, userID, d.ComposeKey); err != nil {
		return db.OutboxMessage{}, fmt.Errorf("send: %w", err)
	} else if ok {
		return db.OutboxMessage{}, spent
	}
	d.SetHTML(d.HTML)
	acc, err := o.db.Account(ctx, userID, accountID)
	if errors.Is(err, db.ErrNotFound) {
		return db.OutboxMessage{}, &Invalid{Problems: []Problem{{FieldAccount, i18n.Key("Choose one of your accounts to send from."), nil}}}
	}
	if err != nil {
		return db.OutboxMessage{}, fmt.Errorf("send: %w", err)
	}
	var ps problems
	if !acc.Outgoing.Configured() {
		ps.add(FieldAccount, i18n.Key("This account has no outgoing server yet. Add one in the account's settings to send from it."))
	}
	switch {
	case d.Original == 0 && d.OriginalFlag == 0:
	case d.Original <= 0 || (d.OriginalFlag != db.FlagAnswered && d.OriginalFlag != db.FlagForwarded):
		ps.add(FieldOriginal, i18n.Key("The message you are answering or forwarding is not known."))
	}
	now := o.Now()
	d.From = compose.Address{Name: acc.DisplayName, Addr: acc.Email}
	d.Date = now
	if err := o.attachFiles(ctx, userID, &d); err != nil {
		inv, ok := AsInvalid(err)
		if !ok {
			return db.OutboxMessage{}, fmt.Errorf("send: %w", err)
		}
		ps = append(ps, inv.Problems...)
	}
	lim := sizeLimit{max: o.MaxSize, limit: o.SizeLimit(acc), server: acc.Outgoing.Host}
	opts := compose.Options{MaxSize: o.MaxSize, SMTPUTF8: mayUTF8(acc)}
	if err := compose.Check(d.Draft, opts); err != nil {
		ps = append(ps, draftProblems(err, acc, lim)...)
	}
	if err := ps.err(); err != nil {
		return db.OutboxMessage{}, err
	}
	var buf bytes.Buffer
	res, err := compose.Write(&buf, d.Draft, opts)
	if err != nil {
		if fes := compose.FieldErrors(err); len(fes) > 0 || errors.Is(err, compose.ErrTooLarge) {
			return db.OutboxMessage{}, &Invalid{Problems: draftProblems(err, acc, lim)}
		}
		return db.OutboxMessage{}, fmt.Errorf("send: %w", err)
	}
	if res.Size > lim.limit {
		return db.OutboxMessage{}, &Invalid{Problems: []Problem{lim.problem(compose.FieldAttachment, res.Size)}}
	}
	fields, err := json.Marshal(fieldsOf(d))
	if err != nil {
		return db.OutboxMessage{}, fmt.Errorf("send: %w", err)
	}
	id, err := o.db.QueueOutbox(ctx, db.NewOutbox{UserID: userID, AccountID: acc.ID, Raw: buf.Bytes(),
		From: res.Envelope.From, Rcpts: res.Envelope.To, SMTPUTF8: res.Envelope.SMTPUTF8, MessageID: res.MessageID,
		Subject: d.Subject, Draft: string(fields), NotBefore: now.Add(o.UndoWindow),
		FlagMessageID: d.Original, FlagBits: d.OriginalFlag, DraftID: d.DraftID, ComposeKey: d.ComposeKey})
	if errors.Is(err, db.ErrKeySpent) {
		return db.OutboxMessage{}, spent
	}
	if errors.Is(err, db.ErrNotFound) {
		return db.OutboxMessage{}, &Invalid{Problems: []Problem{{FieldOriginal, i18n.Key("The message you are answering or forwarding is not known."), nil}}}
	}
	if err != nil {
		return db.OutboxMessage{}, fmt.Errorf("send: %w", err)
	}
	if o.Notify != nil {
		o.Notify()
	}
	return o.db.OutboxMessage(ctx, userID, id)
}

func fieldsOf(d Draft) draftFields {
	f := draftFields{To: d.To, Cc: d.Cc, Bcc: d.Bcc, Subject: d.Subject, Text: d.Text, HTML: d.HTML,
		InReplyTo: d.InReplyTo, References: d.References, Original: d.Original, OriginalFlag: d.OriginalFlag,
		OriginalParts: d.OriginalParts,
	}
	if d.OriginalFlag == db.FlagForwarded {
		f.Forward = "inline"
		if d.AttachOriginal {
			f.Forward = "eml"
		}
	}
	for _, a := range d.Attachments {
		f.Attachments = append(f.Attachments, a.Name)
	}
	for _, fw := range d.Forwarded {
		f.Attachments = append(f.Attachments, fw.Name)
	}
	return f
}

// attachFiles adds to d the files it sends besides its own attachments:
// those kept with its draft (opened from the database as the message is
// written), then the original's parts and the original itself. A draft or
// original that is not the user's is an *Invalid.
func (o *Outbox) attachFiles(ctx context.Context, userID int64, d *Draft) error {
	if d.DraftID > 0 {
		if _, err := o.db.Draft(ctx, userID, d.DraftID); errors.Is(err, db.ErrNotFound) {
			return &Invalid{Problems: []Problem{{FieldDraft, i18n.Key("This draft is not known any more: it was sent or deleted."), nil}}}
		} else if err != nil {
			return err
		}
		kept, err := o.db.DraftAttachments(ctx, userID, d.DraftID)
		if err != nil {
			return err
		}
		for _, a := range kept {
			open := func() (io.ReadCloser, error) { return o.db.OpenDraftAttachment(ctx, userID, a.ID) }
			if a.ContentType == "message/rfc822" {
				d.Forwarded = append(d.Forwarded, compose.Forwarded{Name: a.Name, Open: open})
			} else {
				d.Attachments = append(d.Attachments, compose.Attachment{Name: a.Name, ContentType: a.ContentType, Open: open})
			}
		}
	}
	if d.Original <= 0 || len(d.OriginalParts) == 0 && !d.AttachOriginal {
		return nil
	}
	gone := &Invalid{Problems: []Problem{{FieldOriginal, i18n.Key("The message you are forwarding is not here any more, so its files cannot be attached. Remove them to send the rest."), nil}}}
	sum, err := o.db.Message(ctx, userID, d.Original)
	if errors.Is(err, db.ErrNotFound) {
		return gone
	}
	if err != nil {
		return err
	}
	raw, err := o.db.MessageRaw(ctx, userID, d.Original)
	if err != nil {
		return err
	}
	if len(d.OriginalParts) > 0 {
		as, datas, err := message.Parts(raw, d.OriginalParts)
		if errors.Is(err, message.ErrNoPart) {
			return gone
		}
		if err != nil {
			return err
		}
		for i, a := range as {
			data := datas[i]
			open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
			if a.Message {
				d.Forwarded = append(d.Forwarded, compose.Forwarded{Name: a.Filename, Open: open})
			} else {
				d.Attachments = append(d.Attachments, compose.Attachment{Name: a.Filename, ContentType: a.ContentType, Open: open})
			}
		}
	}
	if d.AttachOriginal {
		d.Forwarded = append(d.Forwarded, compose.Forwarded{Name: emlName(sum.Subject),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }})
	}
	return nil
}

// sizeLimit is how large a message from an account may be: limit, its
// outgoing server's SIZE (server) when that is less than max, the most the
// outbox takes whatever the server.
type sizeLimit struct {
	max, limit int64
	server     string
}

// problem is the problem of a message of size octets over the limit, on
// field; size 0 when it is only known to be over max (writing it stopped
// there).
func (l sizeLimit) problem(field string, size int64) Problem {
	p := Problem{Field: field}
	switch {
	case size > 0 && l.limit < l.max:
		p.Key, p.Args = i18n.Key("This message is %s; %s accepts at most %s. Send fewer or smaller attachments, or share large files as a link."),
			[]any{i18n.Bytes(size), l.server, i18n.Bytes(l.limit)}
	case l.limit < l.max:
		p.Key, p.Args = i18n.Key("This message is more than %s; %s accepts at most %s. Send fewer or smaller attachments, or share large files as a link."),
			[]any{i18n.Bytes(l.max), l.server, i18n.Bytes(l.limit)}
	default:
		p.Key, p.Args = i18n.Key("This message is more than %s, the most Apartado sends. Send fewer or smaller attachments, or share large files as a link."),
			[]any{i18n.Bytes(l.max)}
	}
	return p
}

// draftProblems turns compose's errors into problems to show, one per
// field error. A message too large is the attachments' problem: the
// text fields are too small to make one.
func draftProblems(err error, acc db.Account, lim sizeLimit) []Problem {
	var ps problems
	if errors.Is(err, compose.ErrTooLarge) && len(compose.FieldErrors(err)) == 0 {
		return []Problem{lim.problem(compose.FieldAttachment, 0)}
	}
	for _, fe := range compose.FieldErrors(err) {
		switch {
		case errors.Is(fe, compose.ErrNoRecipients):
			ps.add(compose.FieldTo, i18n.Key("Add at least one recipient."))
		case errors.Is(fe, compose.ErrInvalidAddress):
			ps.add(fe.Field, i18n.Key("%q is not an e-mail address. Write addresses like name@example.com, separated by commas."), fe.Value)
		case errors.Is(fe, compose.ErrNeedsSMTPUTF8) && fe.Field == compose.FieldFrom:
			ps.add(FieldAccount, i18n.Key("This account's address, %s, has letters beyond plain ASCII before the @, and its outgoing server, %s, does not accept such addresses (SMTPUTF8): mail cannot be sent from it there."),
				fe.Value, acc.Outgoing.Host)
		case errors.Is(fe, compose.ErrNeedsSMTPUTF8):
			ps.add(fe.Field, i18n.Key("%q has letters beyond plain ASCII before the @, and %s, this account's outgoing server, does not accept such addresses (SMTPUTF8). Use another address for this person."),
				fe.Value, acc.Outgoing.Host)
		case errors.Is(fe, compose.ErrTooLong):
			ps.add(fe.Field, i18n.Key("This is too long."))
		case errors.Is(fe, compose.ErrTooLarge):
			ps = append(ps, lim.problem(fe.Field, 0))
		case errors.Is(fe, compose.ErrLineBreak), errors.Is(fe, compose.ErrControl), errors.Is(fe, compose.ErrInvalidUTF8):
			ps.add(fe.Field, i18n.Key("This contains characters that cannot be sent. Remove them and try again."))
		case errors.Is(fe, compose.ErrMissing):
			ps.add(fe.Field, i18n.Key("This is required."))
		default:
			ps.add(fe.Field, i18n.Key("This cannot be sent as it is: %s"), fe.Err.Error())
		}
	}
	return ps
}

// outboxStateProblem is the problem of a message that is not in a state
// for what was asked.
func outboxStateProblem(key string) error {
	return &Invalid{Problems: []Problem{{"", key, nil}}}
}

// Undo takes back one of the user's messages that has not left: in its
// undo window, waiting to be tried again, or failed. It keeps it as a new
// draft, under a new compose key (the message's own stays spent), with its
// files read back from the bytes that were to be sent, and returns that
// draft to edit again. A message being sent or sent is an
// *Invalid (too late); one that is not the user's is db.ErrNotFound.
func (o *Outbox) Undo(ctx context.Context, userID, id int64) (Undone, error) {
	m, err := o.db.OutboxMessage(ctx, userID, id)
	if err != nil {
		return Undone{}, err
	}
	err = o.db.CancelOutbox(ctx, userID, id)
	if errors.Is(err, db.ErrOutboxState) {
		return Undone{}, outboxStateProblem(i18n.Key("Too late to undo: the message is being sent or was sent."))
	}
	if err != nil {
		return Undone{}, err
	}
	u, err := undoneFrom(m.Draft)
	if err != nil {
		return Undone{}, fmt.Errorf("undo: %w", err)
	}
	u.AccountID = m.AccountID
	// Whatever was attached is in the bytes, read back into the draft.
	u.OriginalParts, u.AttachOriginal = nil, false
	raw, err := o.db.OutboxRaw(ctx, userID, id)
	if err != nil {
		return Undone{}, fmt.Errorf("undo: %w", err)
	}
	u.ComposeKey = NewComposeKey()
	draftID, lost, err := keepAsDraft(ctx, o.db, userID, m.AccountID, u, raw)
	if errors.Is(err, db.ErrTooManyDrafts) {
		return u, nil // the text comes back; the files are named
	}
	if err != nil {
		return Undone{}, fmt.Errorf("undo: %w", err)
	}
	u.DraftID, u.AttachmentNames = draftID, lost
	return u, nil
}

// undoneFrom reads a kept draft's fields back.
func undoneFrom(kept string) (Undone, error) {
	var f draftFields
	if err := json.Unmarshal([]byte(kept), &f); err != nil {
		return Undone{}, fmt.Errorf("the kept draft: %w", err)
	}
	u := Undone{AttachmentNames: f.Attachments}
	u.To, u.Cc, u.Bcc, u.Subject, u.Text, u.HTML = f.To, f.Cc, f.Bcc, f.Subject, f.Text, f.HTML
	u.InReplyTo, u.References, u.Original, u.OriginalFlag = f.InReplyTo, f.References, f.Original, f.OriginalFlag
	u.OriginalParts = f.OriginalParts
	u.AttachOriginal = f.Forward == "eml" || f.Forward == "" && f.OriginalFlag == db.FlagForwarded
	return u, nil
}

// Resolve records the user's answer about a message that may have been
// sent: ResolveWasSent stores it in Sent and flags the original, as a
// delivery would; ResolveSendAgain queues it again (also for a message
// that failed). Any other state is an *Invalid.
func (o *Outbox) Resolve(ctx context.Context, userID, id int64, r Resolution) error {
	m, err := o.db.OutboxMessage(ctx, userID, id)
	if err != nil {
		return err
	}
	switch r {
	case ResolveWasSent:
		raw, err := o.db.OutboxRaw(ctx, userID, id)
		if err != nil {
			return err
		}
		err = o.db.ResolveOutboxSent(ctx, userID, id, SentCopy(m, raw, o.Now()))
		if errors.Is(err, db.ErrOutboxState) {
			return outboxStateProblem(i18n.Key("This message is not waiting for your answer any more."))
		}
		return err
	case ResolveSendAgain:
		err := o.db.RetryOutbox(ctx, userID, id)
		if errors.Is(err, db.ErrOutboxState) {
			return outboxStateProblem(i18n.Key("This message is not waiting for your answer any more."))
		}
		if err == nil && o.Notify != nil {
			o.Notify()
		}
		return err
	}
	return outboxStateProblem(i18n.Key("Choose whether the message arrived or should be sent again."))
}

// List returns the user's outbox, newest first: every message not sent
// yet, and those sent or cancelled in the last OutboxListAge.
func (o *Outbox) List(ctx context.Context, userID int64) ([]db.OutboxMessage, error) {
	return o.db.OutboxList(ctx, userID, o.Now().Add(-OutboxListAge))
}

// Message returns one of the user's outbox messages (to follow it).
func (o *Outbox) Message(ctx context.Context, userID, id int64) (db.OutboxMessage, error) {
	return o.db.OutboxMessage(ctx, userID, id)
}

// SentCopy is the copy of an outbox message stored in Sent: its bytes as
// they went out, summarized and indexed like received mail.
func SentCopy(m db.OutboxMessage, raw []byte, now time.Time) db.NewMessage {
	sum := sha256.Sum256(raw)
	s, st := message.Analyze(raw)
	sortAt := now
	if !s.Date.IsZero() && s.Date.Before(now.Add(48*time.Hour)) {
		sortAt = s.Date
	}
	return db.NewMessage{AccountID: m.AccountID, UserID: m.UserID, Raw: raw, SHA256: sum[:], ReceivedAt: now, SortAt: sortAt,
		FromName: s.FromName, FromAddr: s.FromAddr, To: s.To, Cc: s.Cc, Subject: s.Subject, MessageID: s.MessageID,
		Snippet: s.Snippet, HasAttachments: s.HasAttachments, ParseError: s.ParseError,
		SearchBody: st.Body, SearchAttachments: st.Attachments,
		References: s.References, ThreadSubject: message.ThreadSubject(s.Subject), SubjectAnswers: message.AnswersSubject(s.Subject)}
}
