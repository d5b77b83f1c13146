package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// Organizing: the mailboxes in a sidebar, the user's folders, the actions
// on messages with their Undo, and the way from one message to the next.

// Where the mail pages are, beside inboxPath, sentPath and trashPath.
const (
	archivePath = "/mail/archive"
	junkPath    = "/mail/junk"
	starredPath = "/mail/starred"
	foldersPath = "/mail/folders" // the folders page; a folder's list is foldersPath/ID
	undoPath    = "/mail/undo"
)

// listSpec is one of the message lists: a system mailbox, a folder, or
// the starred view, of every account or one.
type listSpec struct {
	role      db.MailboxRole // a system mailbox, or ""
	mailboxID int64          // a folder
	starred   bool
	accountID int64
}

// rolePaths are the system mailboxes that have a list page.
var rolePaths = map[db.MailboxRole]string{
	db.MailboxInbox: inboxPath, db.MailboxSent: sentPath, db.MailboxTrash: trashPath,
	db.MailboxArchive: archivePath, db.MailboxJunk: junkPath,
}

func (l listSpec) query() db.ListQuery {
	return db.ListQuery{Mailbox: l.role, MailboxID: l.mailboxID, Starred: l.starred, AccountID: l.accountID}
}

// key names the list in the sidebar: the role, "starred" or "folder".
func (l listSpec) key() string {
	switch {
	case l.starred:
		return "starred"
	case l.mailboxID != 0:
		return "folder"
	}
	return string(l.role)
}

// path is the list's page, without paging or account.
func (l listSpec) path() string {
	switch {
	case l.starred:
		return starredPath
	case l.mailboxID != 0:
		return foldersPath + "/" + strconv.FormatInt(l.mailboxID, 10)
	}
	return rolePaths[l.role]
}

// parseList reads the list a path (with its query) shows, such as a
// message page's way back; false for any other page.
func parseList(p string) (listSpec, bool) {
	u, err := url.Parse(p)
	if err != nil {
		return listSpec{}, false
	}
	var l listSpec
	switch {
	case u.Path == starredPath:
		l.starred = true
	case strings.HasPrefix(u.Path, foldersPath+"/"):
		id, err := strconv.ParseInt(strings.TrimPrefix(u.Path, foldersPath+"/"), 10, 64)
		if err != nil || id <= 0 {
			return listSpec{}, false
		}
		l.mailboxID = id
	default:
		found := false
		for role, path := range rolePaths {
			if path == u.Path {
				l.role, found = role, true
			}
		}
		if !found {
			return listSpec{}, false
		}
	}
	if s := u.Query().Get("account"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return listSpec{}, false
		}
		l.accountID = id
	}
	return l, true
}

// The list pages beside the inbox, Sent and the trash.
func (h *Handler) archive(w http.ResponseWriter, r *http.Request) {
	h.mailbox(w, r, listSpec{role: db.MailboxArchive})
}
func (h *Handler) junk(w http.ResponseWriter, r *http.Request) {
	h.mailbox(w, r, listSpec{role: db.MailboxJunk})
}
func (h *Handler) starred(w http.ResponseWriter, r *http.Request) {
	h.mailbox(w, r, listSpec{starred: true})
}
func (h *Handler) folder(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	h.mailbox(w, r, listSpec{mailboxID: id})
}

// mailboxLabel is a mailbox's name for people: a system one's translated.
func mailboxLabel(ctx context.Context, b db.Mailbox) string {
	switch b.Role {
	case db.MailboxInbox:
		return i18n.T(ctx, "Inbox")
	case db.MailboxSent:
		return i18n.T(ctx, "Sent mail")
	case db.MailboxDrafts:
		return i18n.T(ctx, "Drafts")
	case db.MailboxArchive:
		return i18n.T(ctx, "Archive")
	case db.MailboxJunk:
		return i18n.T(ctx, "Junk")
	case db.MailboxTrash:
		return i18n.T(ctx, "Trash")
	}
	return b.Name
}

// sidebar lists the mailboxes: Inbox, Starred, Sent, Drafts, Archive,
// Junk, Trash, then the user's folders, each followed by those inside it;
// current is the list shown (its key, and the folder's id).
func sidebar(ctx context.Context, boxes []db.Mailbox, current string, currentID int64) *web.Sidebar {
	byRole := map[db.MailboxRole]db.Mailbox{}
	for _, b := range boxes {
		if b.Role != "" {
			byRole[b.Role] = b
		}
	}
	s := &web.Sidebar{FoldersURL: foldersPath}
	add := func(key string, b db.Mailbox, url string, unread bool) {
		it := web.SidebarItem{Key: key, ID: b.ID, Label: mailboxLabel(ctx, b), URL: url, Nested: b.ParentID != 0}
		if unread {
			it.Unread = b.Unread
		}
		it.Current = key == current && (key != "folder" || b.ID == currentID)
		s.Items = append(s.Items, it)
	}
	add(string(db.MailboxInbox), byRole[db.MailboxInbox], inboxPath, unreadShown(db.MailboxInbox))
	s.Items = append(s.Items, web.SidebarItem{Key: "starred", Label: i18n.T(ctx, "Starred"), URL: starredPath,
		Current: current == "starred"})
	add(string(db.MailboxSent), byRole[db.MailboxSent], sentPath, unreadShown(db.MailboxSent))
	add(string(db.MailboxDrafts), byRole[db.MailboxDrafts], draftsPath, unreadShown(db.MailboxDrafts))
	add(string(db.MailboxArchive), byRole[db.MailboxArchive], archivePath, unreadShown(db.MailboxArchive))
	add(string(db.MailboxJunk), byRole[db.MailboxJunk], junkPath, unreadShown(db.MailboxJunk))
	add(string(db.MailboxTrash), byRole[db.MailboxTrash], trashPath, unreadShown(db.MailboxTrash))
	for _, b := range boxes {
		if b.Role == "" {
			add("folder", b, foldersPath+"/"+strconv.FormatInt(b.ID, 10), unreadShown(""))
		}
	}
	return s
}

// unreadShown says whether a mailbox of the role shows its unread count
// (the sidebar's, and the tab's title on its page): not what one wrote,
// nor what one threw away.
func unreadShown(role db.MailboxRole) bool {
	switch role {
	case db.MailboxSent, db.MailboxDrafts, db.MailboxTrash:
		return false
	}
	return true
}

// moveTargets are the mailboxes messages can be moved to from the
// mailbox from (0: none in particular): the inbox, the archive, junk and
// the folders, but not the one they are in.
func moveTargets(ctx context.Context, boxes []db.Mailbox, from int64) []web.Option {
	var out []web.Option
	for _, b := range boxes {
		switch {
		case b.ID == from, b.Role == db.MailboxSent, b.Role == db.MailboxDrafts, b.Role == db.MailboxTrash:
			continue
		}
		label := mailboxLabel(ctx, b)
		if b.ParentID != 0 {
			label = "— " + label
		}
		out = append(out, web.Option{Value: strconv.FormatInt(b.ID, 10), Label: label})
	}
	return out
}

// undoNotice is the notice of the undo record the request's ?undo= names,
// with its Undo button, or nil when there is none (or it has expired).
func (h *Handler) undoNotice(r *http.Request, userID int64, returnPath string) (*web.UndoNotice, error) {
	id := r.URL.Query().Get("undo")
	if id == "" || len(id) > 64 {
		return nil, nil
	}
	out, err := h.messages.Pending(r.Context(), userID, id)
	if errors.Is(err, app.ErrUndoGone) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &web.UndoNotice{Text: outcomeText(r.Context(), out), ID: out.Undo, Return: returnPath}, nil
}

// outcomeText says what an action did, for its notice.
func outcomeText(ctx context.Context, out app.Outcome) string {
	switch out.Action {
	case app.ActionStar:
		return i18n.T(ctx, "Starred %d messages", out.Count)
	case app.ActionUnstar:
		return i18n.T(ctx, "Removed the star from %d messages", out.Count)
	case app.ActionRead, app.ActionMarkAllRead:
		return i18n.T(ctx, "Marked %d messages as read", out.Count)
	case app.ActionUnread:
		return i18n.T(ctx, "Marked %d messages as unread", out.Count)
	case app.ActionApplyRules:
		return i18n.T(ctx, "Applied to the inbox: %d messages changed.", out.Count)
	}
	if out.Target.ID == 0 {
		return i18n.T(ctx, "Moved %d messages", out.Count)
	}
	return i18n.T(ctx, "Moved %d messages to %s", out.Count, mailboxLabel(ctx, out.Target))
}

// undo undoes the action of the posted undo record, then goes back to the
// page the notice was on.
func (h *Handler) undo(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	back := localPath(r.PostForm.Get("return"), inboxPath)
	back = withQuery(back, "undo", "")
	_, err := h.messages.Undo(r.Context(), u.ID, r.PostForm.Get("undo"))
	switch {
	case errors.Is(err, app.ErrUndoGone):
		redirect(w, r, withQuery(back, "done", doneUndoGone))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	redirect(w, r, withQuery(back, "done", doneUndone))
}

// actionForm is a posted action: the action and its selection, or one
// message's own button ("one": "star:ID"), and where to.
func actionForm(r *http.Request) (app.Request, bool) {
	f := r.PostForm
	req := app.Request{Action: app.MessageAction(f.Get("action"))}
	selected := append(f["ids"], f["ids[]"]...)
	if one := f.Get("one"); one != "" {
		action, id, ok := strings.Cut(one, ":")
		if !ok {
			return req, false
		}
		req.Action, selected = app.MessageAction(action), []string{id}
	}
	if len(selected) > 2*app.MaxSelected { // before parsing a flood of them
		return req, false
	}
	for _, s := range selected {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return req, false
		}
		req.IDs = append(req.IDs, id)
	}
	for key, dst := range map[string]*int64{"to": &req.To, "account": &req.AccountID} {
		if s := f.Get(key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return req, false
			}
			*dst = n
		}
	}
	if req.Action == app.ActionMarkAllRead {
		n, err := strconv.ParseInt(f.Get("mailbox"), 10, 64)
		if err != nil || n <= 0 {
			return req, false
		}
		req.To = n
	}
	return req, true
}

// messageActions does an action to the selected messages, all of which
// must be the user's (else 404, and nothing changes), then goes back to
// the list it came from with a notice that can undo it. From a message's
// page, an action that takes the message out of the list opens the next
// message of that list (unless the user prefers the list), and starring
// stays on the message.
func (h *Handler) messageActions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	back := localPath(r.PostForm.Get("return"), inboxPath)
	req, ok := actionForm(r)
	if !ok {
		h.badRequest(w, r)
		return
	}
	// A list of conversations: each selected row stands for its
	// conversation's messages in the list it came from.
	if r.PostForm.Get("conversations") == "1" {
		if l, ok := parseList(back); ok {
			req.Conversations, req.List = true, l.query()
		}
	}
	fromMessage := r.PostForm.Get("from") == "message" && len(req.IDs) == 1
	var next int64
	if fromMessage && app.Leaves(req.Action) && u.AfterAction != db.AfterList {
		if l, ok := parseList(back); ok {
			lq := l.query()
			lq.Conversations = u.Conversations
			n, err := h.messages.NextAfter(ctx, u.ID, lq, req.IDs[0])
			if err != nil && !errors.Is(err, db.ErrNotFound) {
				h.fail(w, r, err)
				return
			}
			next = n
		}
	}
	out, err := h.messages.Act(ctx, u.ID, req)
	switch {
	case errors.Is(err, app.ErrNoneSelected):
		redirect(w, r, withQuery(back, "done", doneNoneSelected))
		return
	case errors.Is(err, app.ErrBadTarget):
		redirect(w, r, withQuery(back, "done", doneBadTarget))
		return
	case errors.Is(err, app.ErrUnknownAction), errors.Is(err, app.ErrTooManySelected):
		h.badRequest(w, r)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.log.Debug("message action", "user", u.ID, "action", req.Action, "count", out.Count)
	dest := back
	if fromMessage {
		self := messageURL(req.IDs[0], back)
		switch {
		case app.Leaves(req.Action) && next != 0:
			dest = messageURL(next, back)
		case req.Action == app.ActionStar || req.Action == app.ActionUnstar:
			dest = self
		}
	}
	redirect(w, r, withOutcome(dest, out))
}

// withOutcome is dest with the notice of what an action did: the record
// that undoes it, or, for what cannot be undone or changed nothing, what
// happened.
func withOutcome(dest string, out app.Outcome) string {
	switch {
	case out.Undo != "":
		return withQuery(dest, "undo", out.Undo)
	case out.Action == app.ActionDelete || out.Action == app.ActionEmptyTrash:
		return withQuery(dest, "done", actionDone[out.Action])
	default:
		return withQuery(dest, "done", doneNothingChanged)
	}
}

// ---- the folders page ----

func (h *Handler) foldersPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.foldersView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.FoldersPage(v))
}

func (h *Handler) foldersView(r *http.Request) (web.FoldersView, error) {
	ctx := r.Context()
	u := currentUser(r)
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		return web.FoldersView{}, err
	}
	boxes, err := h.db.Mailboxes(ctx, u.ID)
	if err != nil {
		return web.FoldersView{}, err
	}
	v := web.FoldersView{Chrome: h.chrome(r, i18n.T(ctx, "Folders"), "", 0, accounts), Notice: doneNotice(r)}
	v.Chrome.Sidebar = sidebar(ctx, boxes, "", 0)
	parents := func(except int64) []web.Option {
		out := []web.Option{{Value: "0", Label: i18n.T(ctx, "(top level)")}}
		for _, b := range boxes {
			if b.Role == "" && b.ParentID == 0 && b.ID != except {
				out = append(out, web.Option{Value: strconv.FormatInt(b.ID, 10), Label: b.Name})
			}
		}
		return out
	}
	v.Parents = parents(0)
	v.NewParent = "0"
	for _, b := range boxes {
		if b.Role != "" {
			continue
		}
		id := strconv.FormatInt(b.ID, 10)
		v.Folders = append(v.Folders, web.FolderRow{ID: b.ID, Name: b.Name, Parent: b.ParentID, Nested: b.ParentID != 0,
			Total: b.Total, URL: foldersPath + "/" + id, UpdateURL: foldersPath + "/" + id,
			DeleteURL: foldersPath + "/" + id + "/delete", Parents: parents(b.ID)})
	}
	return v, nil
}

// folderInput reads the name and placement of a folder form.
func folderInput(r *http.Request) (app.FolderInput, bool) {
	in := app.FolderInput{Name: r.PostForm.Get("name")}
	if len(in.Name) > 4*app.MaxFolderName+64 {
		in.Name = in.Name[:4*app.MaxFolderName+64]
	}
	if s := r.PostForm.Get("parent"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return in, false
		}
		in.Parent = n
	}
	return in, true
}

// folderFailed shows the folders page again with a form's problems, what
// was typed kept; id is the folder whose form it was (0: a new folder).
// (typed is false for the delete form, which has no name to keep.)
func (h *Handler) folderFailed(w http.ResponseWriter, r *http.Request, id int64, in app.FolderInput, typed bool, inv *app.Invalid) {
	ctx := r.Context()
	v, err := h.foldersView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	listed := false
	for _, f := range v.Folders {
		listed = listed || f.ID == id
	}
	if id != 0 && !listed { // a system mailbox: the error shows on the page's first form
		id, typed = 0, false
	}
	v.ErrorFolder = id
	if id == 0 && typed {
		v.NewName, v.NewParent = in.Name, strconv.FormatInt(in.Parent, 10)
	} else if typed {
		for i := range v.Folders {
			if v.Folders[i].ID == id {
				v.Folders[i].Name, v.Folders[i].Parent = in.Name, in.Parent
			}
		}
	}
	v.NameError, v.ParentError = problemOn(ctx, inv, "name"), problemOn(ctx, inv, "parent")
	v.FormError = problemOn(ctx, inv, "")
	if v.FormError == "" {
		v.FormError = problemOn(ctx, inv, "to")
	}
	h.render(w, r, http.StatusUnprocessableEntity, web.FoldersPage(v))
}

func (h *Handler) createFolder(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	in, ok := folderInput(r)
	if !ok {
		h.badRequest(w, r)
		return
	}
	_, err := h.folders.Create(r.Context(), u.ID, in)
	if inv, ok := app.AsInvalid(err); ok {
		h.folderFailed(w, r, 0, in, true, inv)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, foldersPath+"?done="+doneFolderCreated)
}

func (h *Handler) updateFolder(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	id, ok := idParam(r, "id")
	if err := r.ParseForm(); err != nil || !ok {
		h.badRequest(w, r)
		return
	}
	in, ok := folderInput(r)
	if !ok {
		h.badRequest(w, r)
		return
	}
	_, err := h.folders.Update(r.Context(), u.ID, id, in)
	if inv, ok := app.AsInvalid(err); ok {
		h.folderFailed(w, r, id, in, true, inv)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, foldersPath+"?done="+doneFolderSaved)
}

func (h *Handler) deleteFolder(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	id, ok := idParam(r, "id")
	if err := r.ParseForm(); err != nil || !ok {
		h.badRequest(w, r)
		return
	}
	_, err := h.folders.Delete(r.Context(), u.ID, id, db.MailboxRole(r.PostForm.Get("to")))
	if inv, ok := app.AsInvalid(err); ok {
		h.folderFailed(w, r, id, app.FolderInput{}, false, inv)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, foldersPath+"?done="+doneFolderDeleted)
}
