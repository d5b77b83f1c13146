package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/web"
)

// Conversations on one page: with the user's preference on, a message
// opens with its conversation (db/threads.go), unless ?single=1 asks for
// the message alone, with every header and choice.

// threadOf returns the conversation the message page shows for sum,
// opened from list, or ok false when the message is to be shown alone
// (the preference is off, ?single=1, or it is its conversation's only
// message there). Messages in the trash or junk are left out unless the
// page was opened from there, but the one opened is always shown.
func (h *Handler) threadOf(r *http.Request, u *db.User, sum db.MessageSummary, list listSpec) (db.Thread, bool, error) {
	if !u.Conversations || sum.ThreadID == 0 || r.URL.Query().Get("single") == "1" {
		return db.Thread{}, false, nil
	}
	th, err := h.db.ThreadOf(r.Context(), u.ID, sum.ID, db.ThreadQuery{Trash: list.role == db.MailboxTrash,
		Junk: list.role == db.MailboxJunk, Include: sum.ID})
	if err != nil {
		return th, false, err
	}
	return th, th.Total > 1, nil
}

// threadPage shows a conversation: every message oldest first, the
// newest, the unread and the opened one open, the others folded; the
// unread are marked read as the page shows them.
func (h *Handler) threadPage(w http.ResponseWriter, r *http.Request, u *db.User, sum db.MessageSummary, th db.Thread,
	back string, list listSpec, boxes []db.Mailbox, accounts []db.Account, section string) {
	ctx := r.Context()
	loc, tz := i18n.FromContext(ctx), state(r).tz
	canSend := false
	for _, a := range accounts {
		canSend = canSend || a.Outgoing.Configured()
	}
	self := messageURL(sum.ID, back)
	newest := th.Messages[len(th.Messages)-1]
	v := web.ThreadView{Total: th.Total, Shown: len(th.Messages), BackURL: back, Notice: doneNotice(r)}
	var unread []int64
	for i, m := range th.Messages {
		raw, err := h.db.MessageRaw(ctx, u.ID, m.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		tm, err := h.threadMessage(r, m, raw, back)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if i == len(th.Messages)-1 {
			v.Subject = subjectOrPlaceholder(r, m.Subject)
		}
		if !m.Flags.Has(db.FlagSeen) {
			unread = append(unread, m.ID)
		}
		tm.Open = m.ID == newest.ID || m.ID == sum.ID || !m.Flags.Has(db.FlagSeen)
		tm.Date = loc.Date(m.SortAt, tz)
		if len(accounts) > 1 {
			tm.Account = m.AccountName
		}
		if canSend {
			id := "/mail/" + strconv.FormatInt(m.ID, 10)
			tm.ReplyURL, tm.ReplyAllURL, tm.ForwardURL = id+"/reply", id+"/reply-all", id+"/forward"
		}
		// Its Delete comes back to the conversation, opened at the newest
		// other message still shown, or to the list.
		tm.Return = back
		for j := len(th.Messages) - 1; j >= 0; j-- {
			if o := th.Messages[j]; o.ID != m.ID && o.TrashedAt == nil {
				tm.Return = messageURL(o.ID, back)
				break
			}
		}
		v.Messages = append(v.Messages, tm)
	}
	if err := h.db.SetSeen(ctx, u.ID, unread, true); err != nil {
		h.fail(w, r, err)
		return
	}
	v.Chrome = h.chrome(r, v.Subject, section, 0, accounts)
	v.Chrome.Sidebar = sidebar(ctx, boxes, list.key(), list.mailboxID)
	var err error
	if v.Undo, err = h.undoNotice(r, u.ID, self); err != nil {
		h.fail(w, r, err)
		return
	}
	q := list.query()
	q.Conversations = true
	newer, older, err := h.messages.Neighbours(ctx, u.ID, q, sum.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.NewerURL, v.OlderURL = messageURL(newer, back), messageURL(older, back)
	h.render(w, r, http.StatusOK, web.ThreadPage(v))
}

// threadMessage renders one message of a conversation as the message
// page does: the same renderer, the HTML in the sandboxed frame of
// /mail/{id}/body, remote content as the reader chose for the sender.
func (h *Handler) threadMessage(r *http.Request, m db.MessageSummary, raw []byte, back string) (web.ThreadMessage, error) {
	id := strconv.FormatInt(m.ID, 10)
	view := message.Render(raw, message.RenderOptions{PartURL: h.partURLs(r, m.ID)})
	tm := web.ThreadMessage{ID: m.ID, From: senderName(r, m), Addr: m.FromAddr, To: webAddresses(view.To),
		Cc: webAddresses(view.Cc), Snippet: m.Snippet, Trashed: m.TrashedAt != nil,
		URL: "/mail/" + id + "?single=1&back=" + url.QueryEscape(back)}
	switch {
	case view.ParseError != "":
		tm.ParseError = true
	case view.HTML != "":
		// The message page's own choice of remote content, for a page
		// of this one message.
		mv := web.MessageView{ID: m.ID}
		if err := h.remoteChoice(r, &mv, view, back); err != nil {
			return tm, err
		}
		tm.BodyURL = mv.BodyURL
		if mv.RemoteBlocked {
			tm.RemoteBlocked = true
			tm.RemoteURL = "/mail/" + id + "?single=1&remote=1&back=" + url.QueryEscape(back)
		}
	case strings.TrimSpace(view.Text) != "":
		tm.Text = web.Linkify(view.Text)
	default:
		tm.NoBody = true
	}
	tm.Attachments = attachmentList(i18n.FromContext(r.Context()), view.Attachments, "/mail/"+id, tm.BodyURL != "")
	return tm, nil
}
