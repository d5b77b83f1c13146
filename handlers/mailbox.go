package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// pageSize is how many messages a list page shows.
const pageSize = 50

func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) { h.mailbox(w, r, db.MailboxInbox) }
func (h *Handler) sent(w http.ResponseWriter, r *http.Request)  { h.mailbox(w, r, db.MailboxSent) }
func (h *Handler) trash(w http.ResponseWriter, r *http.Request) { h.mailbox(w, r, db.MailboxTrash) }

// Where the mailboxes of the mail pages are.
const (
	inboxPath = "/mail"
	sentPath  = "/mail/sent"
	trashPath = "/mail/trash"
)

// mailboxTabs is the row of mailboxes above a list: Inbox, Sent, Drafts,
// Trash, current marking the one shown ("drafts" for the drafts list).
func mailboxTabs(ctx context.Context, current string) []web.MailboxTab {
	tabs := []web.MailboxTab{
		{Key: string(db.MailboxInbox), Label: i18n.T(ctx, "Inbox"), URL: inboxPath},
		{Key: string(db.MailboxSent), Label: i18n.T(ctx, "Sent mail"), URL: sentPath},
		{Key: string(db.MailboxDrafts), Label: i18n.T(ctx, "Drafts"), URL: draftsPath},
		{Key: string(db.MailboxTrash), Label: i18n.T(ctx, "Trash"), URL: trashPath},
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Key == current
	}
	return tabs
}

// mailbox shows a page of the inbox (every account's, or one's with
// ?account=ID), of Sent or of the trash, newest first, paged by keyset
// cursors (?before= for older, ?after= for newer) so that every page is as
// fast as the first.
func (h *Handler) mailbox(w http.ResponseWriter, r *http.Request, role db.MailboxRole) {
	trash, sent := role == db.MailboxTrash, role == db.MailboxSent
	ctx := r.Context()
	u := currentUser(r)
	st := state(r)
	loc := i18n.FromContext(ctx)
	query := r.URL.Query()

	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := db.ListQuery{Mailbox: role, Limit: pageSize}
	heading := map[db.MailboxRole]string{db.MailboxInbox: i18n.T(ctx, "Inbox"), db.MailboxSent: i18n.T(ctx, "Sent mail"),
		db.MailboxTrash: i18n.T(ctx, "Trash")}[role]
	var account *db.Account
	if s := query.Get("account"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		i := slices.IndexFunc(accounts, func(a db.Account) bool { return a.ID == id })
		if err != nil || i < 0 {
			h.notFound(w, r)
			return
		}
		account = &accounts[i]
		q.AccountID = id
		if role == db.MailboxInbox {
			heading = account.Name
		}
	}
	if s := query.Get("before"); s != "" {
		c, ok := db.ParseCursor(s)
		if !ok {
			h.badRequest(w, r)
			return
		}
		q.Before = &c
	} else if s := query.Get("after"); s != "" {
		c, ok := db.ParseCursor(s)
		if !ok {
			h.badRequest(w, r)
			return
		}
		q.After = &c
	}

	page, err := h.db.ListMessages(ctx, u.ID, q)
	if err != nil {
		h.fail(w, r, err)
		return
	}

	section := map[db.MailboxRole]string{db.MailboxInbox: web.SectionInbox, db.MailboxSent: web.SectionSent,
		db.MailboxTrash: web.SectionTrash}[role]
	v := web.MailboxView{
		Chrome:     h.chrome(u, heading, section, q.AccountID, accounts),
		Heading:    heading,
		Trash:      trash,
		Total:      int64(page.Total),
		ReturnPath: listPath(r.URL.Path, query),
		NoAccounts: len(accounts) == 0 && role == db.MailboxInbox,
		Notice:     doneNotice(r),
		Tabs:       mailboxTabs(ctx, string(role)),
		Sent:       sent,
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
	if page.Newer != nil {
		v.NewerURL = pageURL(r.URL.Path, base, "after", page.Newer.String())
	}
	if page.Older != nil {
		v.OlderURL = pageURL(r.URL.Path, base, "before", page.Older.String())
	}
	now := h.now()
	for _, m := range page.Messages {
		row := web.MessageRow{
			ID:            m.ID,
			URL:           "/mail/" + strconv.FormatInt(m.ID, 10) + "?back=" + url.QueryEscape(v.ReturnPath),
			From:          senderName(r, m),
			FromAddr:      m.FromAddr,
			Subject:       subjectOrPlaceholder(r, m.Subject),
			Snippet:       m.Snippet,
			Date:          loc.ShortDate(m.SortAt, now, st.tz),
			DateFull:      loc.Date(m.SortAt, st.tz),
			Unread:        !m.Flags.Has(db.FlagSeen),
			HasAttachment: m.HasAttachments,
		}
		if sent {
			row.From = i18n.T(ctx, "To: %s", m.To)
			if m.To == "" {
				row.From = i18n.T(ctx, "(no recipient)")
			}
			row.FromAddr = m.To
		}
		if account == nil && len(accounts) > 1 {
			row.Account = m.AccountName
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(w, r, http.StatusOK, web.MailboxPage(v))
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

// messageActions applies a list action to the selected messages, all of
// which must be the user's (else 404, and nothing changes), then goes back
// to the list it came from. Deleting for good only works in the trash.
func (h *Handler) messageActions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	back := localPath(r.PostForm.Get("return"), "/mail")
	action := app.MessageAction(r.PostForm.Get("action"))
	selected := append(r.PostForm["ids"], r.PostForm["ids[]"]...)
	if len(selected) > 2*app.MaxSelected { // before parsing a flood of them
		h.badRequest(w, r)
		return
	}
	ids := make([]int64, 0, len(selected))
	for _, s := range selected {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			h.badRequest(w, r)
			return
		}
		ids = append(ids, id)
	}
	_, err := h.messages.Apply(ctx, u.ID, action, ids)
	switch {
	case errors.Is(err, app.ErrNoneSelected):
		redirect(w, r, withQuery(back, "done", doneNoneSelected))
		return
	case errors.Is(err, app.ErrUnknownAction), errors.Is(err, app.ErrTooManySelected):
		h.badRequest(w, r)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	done := actionDone[action]
	h.log.Debug("message action", "user", u.ID, "action", action, "count", len(ids))
	redirect(w, r, withQuery(back, "done", done))
}
