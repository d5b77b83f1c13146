package handlers

import (
	"net/http"

	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// offlinePath is the page the service worker shows when the network is
// gone; it keeps it from the moment it is installed.
const offlinePath = "/offline"

// serviceWorker serves the service worker at the root, so that its scope
// is the whole app. Browsers look for a new one on their own schedule; it
// is not kept for long in any cache.
func (h *Handler) serviceWorker(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("Cache-Control", "no-cache")
	w.Write(h.assets.ServiceWorker(offlinePath))
}

// offline is the page shown without a network, in the language of the
// page that installed the service worker.
func (h *Handler) offline(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, web.OfflinePage(h.bareChrome(i18n.T(r.Context(), "Offline"))))
}
