package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// pageSize is how many messages a list page shows.
const pageSize = 50

func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) {
	h.mailbox(w, r, listSpec{role: db.MailboxInbox})
}
func (h *Handler) sent(w http.ResponseWriter, r *http.Request) {
	h.mailbox(w, r, listSpec{role: db.MailboxSent})
}
func (h *Handler) trash(w http.ResponseWriter, r *http.Request) {
	h.mailbox(w, r, listSpec{role: db.MailboxTrash})
}

// Where the mailboxes of the mail pages are.
const (
	inboxPath = "/mail"
	sentPath  = "/mail/sent"
	trashPath = "/mail/trash"
)

// mailbox shows a page of a list (a system mailbox, a folder, or the
// starred view; of every account, or one's with ?account=ID), newest
// first, paged by keyset cursors (?before= for older, ?after= for newer)
// so that every page is as fast as the first.
func (h *Handler) mailbox(w http.ResponseWriter, r *http.Request, l listSpec) {
	role := l.role
	trash, sent := role == db.MailboxTrash, role == db.MailboxSent
	ctx := r.Context()
	u := currentUser(r)
	loc := i18n.FromContext(ctx)
	query := r.URL.Query()

	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	boxes, err := h.db.Mailboxes(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var box db.Mailbox
	for _, b := range boxes {
		if (l.mailboxID != 0 && b.ID == l.mailboxID) || (l.mailboxID == 0 && role != "" && b.Role == role) {
			box = b
		}
	}
	if box.ID == 0 && !l.starred {
		h.notFound(w, r)
		return
	}
	heading := mailboxLabel(ctx, box)
	if l.starred {
		heading = i18n.T(ctx, "Starred")
	}
	var account *db.Account
	if s := query.Get("account"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		i := slices.IndexFunc(accounts, func(a db.Account) bool { return a.ID == id })
		if err != nil || i < 0 {
			h.notFound(w, r)
			return
		}
		account = &accounts[i]
		l.accountID = id
		if role == db.MailboxInbox {
			heading = account.Name
		}
	}
	q := l.query()
	q.Limit = pageSize
	q.Conversations = u.Conversations
	if !pageCursor(query, &q) {
		h.badRequest(w, r)
		return
	}

	page, err := h.db.ListMessages(ctx, u.ID, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var convs map[int64]db.Conversation
	grouping := false
	if q.Conversations {
		if convs, err = h.db.Conversations(ctx, u.ID, q, page.Messages); err != nil {
			h.fail(w, r, err)
			return
		}
		if grouping, err = h.db.ThreadingLeft(ctx); err != nil {
			h.fail(w, r, err)
			return
		}
	}

	section := map[db.MailboxRole]string{db.MailboxInbox: web.SectionInbox, db.MailboxSent: web.SectionSent,
		db.MailboxTrash: web.SectionTrash}[role]
	v := web.MailboxView{
		Chrome:        h.chrome(r, heading, section, q.AccountID, accounts),
		Heading:       heading,
		Trash:         trash,
		Total:         int64(page.Total),
		ReturnPath:    listPath(r.URL.Path, query),
		NoAccounts:    len(accounts) == 0 && role == db.MailboxInbox,
		Notice:        doneNotice(r),
		Sent:          sent,
		Conversations: q.Conversations,
		Grouping:      grouping,
		Actions: web.ListActions{Trash: trash, Junk: role == db.MailboxJunk, MailboxID: box.ID, AccountID: l.accountID,
			MarkAllRead: box.Unread > 0},
	}
	if !trash {
		v.Actions.MoveTo = moveTargets(ctx, boxes, box.ID)
	}
	v.Chrome.Sidebar = sidebar(ctx, boxes, l.key(), box.ID)
	if v.Undo, err = h.undoNotice(r, u.ID, v.ReturnPath); err != nil {
		h.fail(w, r, err)
		return
	}
	if role != db.MailboxInbox {
		v.Chrome.Nav.CurrentAccount = 0
	}
	if trash {
		if v.AutoEmpty, err = h.autoEmptyNotice(r); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	base := url.Values{}
	if account != nil {
		base.Set("account", strconv.FormatInt(account.ID, 10))
	}
	show := r.URL.Path
	if len(base) > 0 {
		show += "?" + base.Encode()
	}
	live, unread, err := h.liveView(r, box.ID, l.accountID, q.Before == nil && q.After == nil, show)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Live = live
	if unread > 0 {
		v.Chrome.Title = "(" + loc.Number(unread) + ") " + heading
		v.Chrome.Heading = heading
	}
	if page.Newer != nil {
		v.NewerURL = pageURL(r.URL.Path, base, "after", page.Newer.String())
	}
	if page.Older != nil {
		v.OlderURL = pageURL(r.URL.Path, base, "before", page.Older.String())
	}
	now := h.now()
	for _, m := range page.Messages {
		row := listRow(r, m, v.ReturnPath, sent, account == nil && len(accounts) > 1, now)
		if c, ok := convs[m.ID]; ok && c.Count > 1 {
			conversationRow(r, &row, c, sent)
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(w, r, http.StatusOK, web.MailboxPage(v))
}

// conversationRow makes a list's row stand for a conversation of several
// of its messages: its senders, oldest first, and their count ("Ana,
// Luis (3)"), unread if any of them is, starred if any is. In Sent, the
// row keeps naming the newest one's recipients.
func conversationRow(r *http.Request, row *web.MessageRow, c db.Conversation, sent bool) {
	row.Count, row.Unread, row.Starred = c.Count, c.Unread, c.Starred
	if sent {
		return
	}
	names := make([]string, 0, len(c.Senders))
	for _, s := range c.Senders {
		names = append(names, senderName(r, db.MessageSummary{FromName: s.Name, FromAddr: s.Addr}))
	}
	row.From = strings.Join(names, ", ")
}

func pageURL(path string, base url.Values, key, cursor string) string {
	q := url.Values{}
	for k, vs := range base {
		q[k] = vs
	}
	q.Set(key, cursor)
	return path + "?" + q.Encode()
}

func senderName(r *http.Request, m db.MessageSummary) string {
	switch {
	case m.FromName != "":
		return m.FromName
	case m.FromAddr != "":
		return m.FromAddr
	}
	return i18n.T(r.Context(), "(unknown sender)")
}

func subjectOrPlaceholder(r *http.Request, s string) string {
	if s == "" {
		return i18n.T(r.Context(), "(no subject)")
	}
	return s
}

// actionDone is the notice each list action leads to.
var actionDone = map[app.MessageAction]string{
	app.ActionTrash: doneTrashed, app.ActionRestore: doneRestored, app.ActionDelete: doneDeleted,
	app.ActionRead: doneRead, app.ActionUnread: doneUnread, app.ActionEmptyTrash: doneEmptied,
}

// pageCursor sets the page of q a list's URL asks for (before= or
// after=), and reports false if the cursor it gives is malformed.
func pageCursor(query url.Values, q *db.ListQuery) bool {
	for _, p := range []struct {
		name string
		to   **db.Cursor
	}{{"before", &q.Before}, {"after", &q.After}} {
		if s := query.Get(p.name); s != "" {
			c, ok := db.ParseCursor(s)
			if !ok {
				return false
			}
			*p.to = &c
			return true
		}
	}
	return true
}

// listRow is a message's row in a list that returns to returnPath: in
// Sent, named by its recipients; with the account's name when the list
// shows several accounts' mail.
func listRow(r *http.Request, m db.MessageSummary, returnPath string, sent, withAccount bool, now time.Time) web.MessageRow {
	ctx, tz := r.Context(), state(r).tz
	loc := i18n.FromContext(ctx)
	row := web.MessageRow{
		ID:            m.ID,
		URL:           messageURL(m.ID, returnPath),
		From:          senderName(r, m),
		FromAddr:      m.FromAddr,
		Subject:       subjectOrPlaceholder(r, m.Subject),
		Snippet:       m.Snippet,
		Date:          loc.ShortDate(m.SortAt, now, tz),
		DateFull:      loc.Date(m.SortAt, tz),
		Unread:        !m.Flags.Has(db.FlagSeen),
		Starred:       m.Flags.Has(db.FlagFlagged),
		HasAttachment: m.HasAttachments,
	}
	if sent {
		row.From = i18n.T(ctx, "To: %s", m.To)
		if m.To == "" {
			row.From = i18n.T(ctx, "(no recipient)")
		}
		row.FromAddr = m.To
	}
	if withAccount {
		row.Account = m.AccountName
	}
	return row
}
