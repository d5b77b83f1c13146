package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/web"
)

// render writes a page, rendered into a buffer first so that a failed
// render never sends half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	if err := h.writePage(w, r, status, c); err != nil {
		h.log.Error("rendering a page", "path", r.URL.Path, "err", err)
		h.serverError(w, r)
	}
}

func (h *Handler) writePage(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		// The browser went away; there is nobody to tell.
		h.log.Debug("writing a page", "path", r.URL.Path, "err", err)
	}
	return nil
}

// pageBuffers keeps the buffers pages are rendered into: a list page is
// about 80 KB, and growing a new buffer to that size for every request
// was 40% of the bytes a list page allocated (bench/scale's inbox at
// 30,000 messages), which the garbage collector then paid for again.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putPageBuffer returns a buffer to pageBuffers, unless a rare large page
// (a long message) made it big enough not to be worth keeping.
func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}

func (h *Handler) webAssets() web.Assets {
	return web.Assets{
		CSS:       h.assets.URL("app.css"),
		JS:        h.assets.URL("app.js"),
		Editor:    h.assets.URL("editor.js"),
		Keys:      h.assets.URL("keys.js"),
		Live:      h.assets.URL("live.js"),
		Icon:      h.assets.URL("favicon.svg"),
		Manifest:  h.assets.URL("manifest.webmanifest"),
		TouchIcon: h.assets.URL("apple-touch-icon.png"),
	}
}

// bareChrome frames a page without navigation.
func (h *Handler) bareChrome(title string) web.Chrome {
	return web.Chrome{Title: title, Assets: h.webAssets()}
}

// chrome frames a signed-in page: the navigation lists the user's
// accounts with their unread counts.
func (h *Handler) chrome(r *http.Request, title, section string, currentAccount int64, accounts []db.Account) web.Chrome {
	u := currentUser(r)
	nav := &web.Nav{UserName: u.Name, IsAdmin: u.IsAdmin(), Section: section, CurrentAccount: currentAccount,
		Shortcuts: u.Shortcuts, GoTo: goTo}
	for _, a := range accounts {
		nav.InboxUnread += a.UnreadCount
		nav.Accounts = append(nav.Accounts, web.NavAccount{
			ID: a.ID, Name: a.Name, Unread: a.UnreadCount, URL: "/mail?account=" + strconv.FormatInt(a.ID, 10),
		})
		if stoppedArriving(a) {
			nav.Failing = append(nav.Failing, web.FailingAccount{Name: a.Name, Problem: h.text(r, h.lastFailure(a).Title),
				FixURL: "/settings/accounts/" + strconv.FormatInt(a.ID, 10)})
		}
	}
	nav.Changes, nav.Path = h.accountChangeNotices(r, u.ID), localPath(r.URL.RequestURI(), "/mail")
	return web.Chrome{Title: title, Assets: h.webAssets(), Nav: nav}
}

// stoppedArriving says whether an account's mail has stopped arriving in
// a way its owner must hear of on every page (app.StoppedArriving).
func stoppedArriving(a db.Account) bool { return app.StoppedArriving(a) }

// goTo are the lists the "g then …" keyboard shortcuts open.
var goTo = web.GoTo{Inbox: inboxPath, Starred: starredPath, Sent: sentPath, Drafts: draftsPath}

// userChrome loads the user's accounts and frames a page with them.
func (h *Handler) userChrome(r *http.Request, title, section string) (web.Chrome, error) {
	u := currentUser(r)
	accounts, err := h.db.Accounts(r.Context(), u.ID)
	if err != nil {
		return web.Chrome{}, err
	}
	return h.chrome(r, title, section, 0, accounts), nil
}

// idParam parses a positive id from the route, or reports false.
func idParam(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	return id, err == nil && id > 0
}

// localPath returns p if it is a path on this site (so that redirecting
// to it cannot lead elsewhere), or def.
func localPath(p, def string) string {
	if p == "" || len(p) > maxLocalPath || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t") {
		return def
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return def
	}
	return p
}

// maxLocalPath bounds a path carried in a form or a query (back=, next=,
// return=): a longer one is not one this app made.
const maxLocalPath = 512

// listQueryKeys are the query parameters that say which page of which list
// is shown; listPath keeps only these.
var listQueryKeys = []string{"account", "before", "after"}

// listPath is the way back to the list page at path: its path and the
// parameters that choose the page, and nothing else the request carried,
// so a long or crafted query is not copied into every row of the page.
func listPath(path string, query url.Values) string {
	keep := url.Values{}
	for _, k := range listQueryKeys {
		if v := query.Get(k); v != "" && len(v) <= 64 {
			keep.Set(k, v)
		}
	}
	if len(keep) == 0 {
		return path
	}
	return path + "?" + keep.Encode()
}

// withQuery returns the local path p with key set to value in its query
// (or removed, when value is "").
func withQuery(p, key, value string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	q := u.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// redirect answers a form with 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// writeJSON answers v as JSON with status. A value that cannot be encoded
// is a server error, answered as one.
func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}
