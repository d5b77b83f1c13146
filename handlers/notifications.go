package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// Browser notifications of new mail (the push package sends them). The
// settings page's Notifications section turns them on in a browser
// (static/notify.js subscribes with the service worker's push manager and
// posts the subscription here), lists the devices they are on, and says
// which accounts' mail they are for. Every route here changes only the
// signed-in user's own devices and accounts; another user's are not found.
const (
	notificationsPath = "/settings/notifications"
	subscribePath     = notificationsPath + "/subscribe"
	unsubscribePath   = notificationsPath + "/unsubscribe"

	notificationsAnchor = "#notifications"
)

// notificationsView is the settings page's section on notifications.
func (h *Handler) notificationsView(r *http.Request, accounts []db.Account) (web.NotificationsView, error) {
	ctx := r.Context()
	u := currentUser(r)
	keys, err := h.notes.VAPID(ctx)
	if err != nil {
		return web.NotificationsView{}, err
	}
	devices, err := h.notes.Devices(ctx, u.ID)
	if err != nil {
		return web.NotificationsView{}, err
	}
	on, err := h.notes.Accounts(ctx, u.ID)
	if err != nil {
		return web.NotificationsView{}, err
	}
	v := web.NotificationsView{Script: h.assets.URL("notify.js"), PublicKey: keys.Public,
		SubscribeURL: subscribePath, UnsubscribeURL: unsubscribePath, AccountsURL: notificationsPath}
	loc, tz := i18n.FromContext(ctx), state(r).tz
	for _, d := range devices {
		label := d.Label
		if label == "" {
			label = i18n.T(ctx, "A browser")
		}
		v.Devices = append(v.Devices, web.PushDevice{ID: d.ID, Label: label, Endpoint: d.Endpoint,
			Added: loc.Date(d.Created, tz), RemoveURL: notificationsPath + "/devices/" + strconv.FormatInt(d.ID, 10) + "/delete"})
	}
	for _, a := range accounts {
		v.Accounts = append(v.Accounts, web.NotifyAccount{ID: a.ID, Name: a.Name, On: on[a.ID]})
	}
	return v, nil
}

// pushAnswer is the JSON answer of subscribe and unsubscribe.
type pushAnswer struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"` // in the reader's language
}

// subscribePush stores the browser's push subscription (the endpoint, and
// its p256dh and auth keys) for the signed-in user, labelled with the
// browser's name and the language it asks for.
func (h *Handler) subscribePush(w http.ResponseWriter, r *http.Request) {
	in := app.Subscription{
		Endpoint: r.PostFormValue("endpoint"),
		P256dh:   r.PostFormValue("p256dh"),
		Auth:     r.PostFormValue("auth"),
		Label:    deviceLabel(r.UserAgent()),
		Locale:   i18n.Match("", r.Header.Get("Accept-Language")).Code(),
	}
	_, err := h.notes.Subscribe(r.Context(), currentUser(r).ID, in)
	var inv *app.Invalid
	if errors.As(err, &inv) {
		p := inv.Problems[0]
		h.writeJSON(w, r, http.StatusBadRequest, pushAnswer{Error: i18n.T(r.Context(), p.Key, p.Args...)})
		return
	}
	if err != nil {
		h.log.Error("saving a push subscription", "err", err)
		h.writeJSON(w, r, http.StatusInternalServerError, pushAnswer{Error: i18n.T(r.Context(), "Apartado could not do that because of a problem on the server. Please try again; if it keeps happening, tell your administrator.")})
		return
	}
	h.writeJSON(w, r, http.StatusOK, pushAnswer{OK: true})
}

// unsubscribePush forgets the signed-in user's subscription at ?endpoint=
// (the browser turning notifications off); 404 when the user has none
// there.
func (h *Handler) unsubscribePush(w http.ResponseWriter, r *http.Request) {
	err := h.notes.Unsubscribe(r.Context(), currentUser(r).ID, r.PostFormValue("endpoint"))
	switch {
	case errors.Is(err, db.ErrNotFound):
		h.writeJSON(w, r, http.StatusNotFound, pushAnswer{Error: i18n.T(r.Context(), "Not found")})
	case err != nil:
		h.log.Error("deleting a push subscription", "err", err)
		h.writeJSON(w, r, http.StatusInternalServerError, pushAnswer{Error: i18n.T(r.Context(), "Apartado could not do that because of a problem on the server. Please try again; if it keeps happening, tell your administrator.")})
	default:
		h.writeJSON(w, r, http.StatusOK, pushAnswer{OK: true})
	}
}

// removePushDevice stops notifications on one of the user's devices,
// from the list (a lost phone, a browser no longer used).
func (h *Handler) removePushDevice(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := h.notes.RemoveDevice(r.Context(), currentUser(r).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/settings?done="+doneDeviceRemoved+notificationsAnchor)
}

// saveNotifyAccounts sets which of the user's accounts notify: those
// checked (account=ID, repeated).
func (h *Handler) saveNotifyAccounts(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	on := map[int64]bool{}
	for _, s := range r.PostForm["account"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			h.badRequest(w, r)
			return
		}
		on[id] = true
	}
	if err := h.notes.SetAccounts(r.Context(), currentUser(r).ID, on); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/settings?done="+doneNotifySaved+notificationsAnchor)
}

// deviceLabel names a device by its browser's User-Agent, as the list of
// devices shows it: "Firefox · Android". "" when it says nothing known.
func deviceLabel(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"}, {"Firefox/", "Firefox"},
		{"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " · " + system
	case browser != "":
		return browser
	}
	return system
}
