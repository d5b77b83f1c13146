package handlers

import (
	"net/http"
	"strconv"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/web"
)

// The list that keeps itself up to date, and "Check mail".
//
// A list page (with JavaScript: static/live.js) asks livePath every 20
// seconds, and not while its tab is hidden, what has changed: the unread
// counts of the sidebar, the navigation and the tab's title, and how many
// messages were stored in its list since it was drawn, which a bar offers
// to show. Light polling rather than server-sent events, because:
//   - what changes is in the database, and not only this process writes it
//     (`apartado sync`, `apartado import`): a stream would have to poll the
//     database itself, once per open tab, to have anything to say;
//   - an answer is a few indexed reads of maintained counts (db.Live), the
//     same at 100 and at 100,000 messages, so a request every 20 seconds per
//     open tab costs less than holding a connection, a goroutine and a
//     write timeout per tab, and it needs no bound per user nor any care at
//     shutdown: the server's graceful stop never waits on it;
//   - it passes every proxy as it is, where a stream needs buffering off.
//
// What was stored is counted per mailbox and per account's share of it
// (migrations/0025_live.sql): the page holds the count it was drawn with,
// and the difference is the number of new messages, never a COUNT(*).
const (
	livePath  = "/mail/live"
	checkPath = "/mail/check"
)

// liveCountJSON is one count a page shows: a mailbox's or an account's
// unread messages, as the page writes it.
type liveCountJSON struct {
	ID    int64  `json:"id,omitempty"`
	N     int64  `json:"n"`               // 0: the count is not shown
	Text  string `json:"text,omitempty"`  // the number, in the reader's locale
	Label string `json:"label,omitempty"` // what a screen reader says
}

// liveJSON is the answer of livePath.
type liveJSON struct {
	// Arrived counts the messages ever stored in the list asked about; New
	// is how many of them came after the page's ?since=, NewText says so.
	Arrived int64  `json:"arrived"`
	New     int64  `json:"new"`
	NewText string `json:"new_text,omitempty"`
	// Unread is the list's unread count for the tab's title (0 for a list
	// whose count is not shown), UnreadText the number as written.
	Unread     int64  `json:"unread"`
	UnreadText string `json:"unread_text,omitempty"`
	// The counts of the sidebar and of the navigation.
	Inbox     liveCountJSON   `json:"inbox"`
	Mailboxes []liveCountJSON `json:"mailboxes"`
	Accounts  []liveCountJSON `json:"accounts"`
}

// live answers what changed on the signed-in user's mail pages: the list
// named by ?mailbox= (0 or absent for a view that is no mailbox, such as
// Starred) and ?account=, since the page's ?since=.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	ids := map[string]int64{}
	for _, k := range []string{"mailbox", "account", "since"} {
		if s := q.Get(k); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				h.badRequest(w, r)
				return
			}
			ids[k] = n
		}
	}
	st, err := h.db.Live(ctx, currentUser(r).ID, ids["account"], ids["mailbox"])
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, ok := liveList(st, ids["mailbox"], ids["account"])
	if !ok {
		h.notFound(w, r)
		return
	}
	loc := i18n.FromContext(ctx)
	count := func(id, n int64) liveCountJSON {
		c := liveCountJSON{ID: id, N: n}
		if n > 0 {
			c.Text, c.Label = loc.Number(n), i18n.T(ctx, "%d unread", n)
		}
		return c
	}
	out := liveJSON{Arrived: list.Arrived, Mailboxes: []liveCountJSON{}, Accounts: []liveCountJSON{}}
	if since, ok := ids["since"]; ok && list.Arrived > since {
		out.New = list.Arrived - since
		out.NewText = i18n.T(ctx, "%d new messages", out.New)
	}
	if list.Unread > 0 {
		out.Unread, out.UnreadText = list.Unread, loc.Number(list.Unread)
	}
	for _, b := range st.Mailboxes {
		n := b.Unread
		if !unreadShown(b.Role) {
			n = 0
		}
		out.Mailboxes = append(out.Mailboxes, count(b.ID, n))
	}
	var inbox int64
	for _, a := range st.Accounts {
		inbox += a.Unread
		out.Accounts = append(out.Accounts, count(a.ID, a.Unread))
	}
	out.Inbox = count(0, inbox)
	h.writeJSON(w, r, http.StatusOK, out)
}

// liveList is the list a page shows, as LiveState counts it: its arrivals,
// and its unread messages when the list shows them (0 otherwise). A
// mailbox of 0 is a view that counts neither. ok is false when the
// mailbox or the account is not the user's.
func liveList(st db.LiveState, mailboxID, accountID int64) (list db.LiveCount, ok bool) {
	if accountID != 0 {
		found := false
		for _, a := range st.Accounts {
			found = found || a.ID == accountID
		}
		if !found {
			return list, false
		}
	}
	if mailboxID == 0 {
		return list, true
	}
	for _, b := range st.Mailboxes {
		if b.ID != mailboxID {
			continue
		}
		list = b
		if accountID != 0 {
			list.Unread, list.Arrived = st.Share.Unread, st.Share.Arrived
		}
		if !unreadShown(b.Role) {
			list.Unread = 0
		}
		return list, true
	}
	return list, false
}

// liveView is what a list page needs to keep itself up to date, and its
// title's unread count.
func (h *Handler) liveView(r *http.Request, boxID, accountID int64, firstPage bool, showURL string) (*web.LiveView, int64, error) {
	st, err := h.db.Live(r.Context(), currentUser(r).ID, accountID, boxID)
	if err != nil {
		return nil, 0, err
	}
	list, _ := liveList(st, boxID, accountID)
	url := livePath + "?mailbox=" + strconv.FormatInt(boxID, 10)
	if accountID != 0 {
		url += "&account=" + strconv.FormatInt(accountID, 10)
	}
	done := r.URL.Query().Get("done")
	var badge int64
	for _, a := range st.Accounts {
		badge += a.Unread
	}
	return &web.LiveView{
		Badge:     badge,
		URL:       url,
		Since:     list.Arrived,
		FirstPage: firstPage && boxID != 0,
		ShowURL:   showURL,
		Soon:      done == doneCheckMail || done == doneCheckPartly,
	}, list.Unread, nil
}

// checkMail asks for every one of the user's accounts to be checked now
// (no account more than once every app.CheckMailInterval), and goes back
// to the list it was pressed on, saying what it did.
func (h *Handler) checkMail(w http.ResponseWriter, r *http.Request) {
	back := localPath(r.PostFormValue("return"), inboxPath)
	running := func(id int64) bool {
		_, ok := h.poller.Progress(id)
		return ok
	}
	res, err := h.accounts.CheckAll(r.Context(), currentUser(r).ID, h.now(), running, poller.MaxAuthFailures)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res.Wake() {
		h.poller.Wake()
	}
	done := doneCheckNothing
	switch {
	case res.Started > 0 && res.Recent > 0:
		done = doneCheckPartly
	case res.Started > 0:
		done = doneCheckMail
	case res.Recent > 0:
		done = doneCheckRecent
	}
	redirect(w, r, withQuery(back, "done", done))
}
