package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// fail answers a request whose handling failed, mapping the error to a
// status in this one place: the user sees a safe sentence in their
// language, the log gets the detail.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, db.ErrNotFound):
		h.notFound(w, r)
	case errors.Is(err, db.ErrConflict):
		h.errorPage(w, r, http.StatusConflict, i18n.T(r.Context(), "Already there"),
			i18n.T(r.Context(), "That already exists. Reload the page to see the current state."))
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The browser went away; there is nobody to answer.
		h.log.Debug("request canceled", "method", r.Method, "path", r.URL.Path)
	default:
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		h.serverError(w, r)
	}
}

// notFound is the answer for anything that does not exist, including
// another user's accounts and messages: they are nobody else's business.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusNotFound, i18n.T(r.Context(), "Not found"),
		i18n.T(r.Context(), "There is nothing here. The message or account may have been deleted, or the address may be mistyped."))
}

func (h *Handler) notFoundHandler(w http.ResponseWriter, r *http.Request) { h.notFound(w, r) }

func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusMethodNotAllowed, i18n.T(r.Context(), "Not allowed"),
		i18n.T(r.Context(), "This address cannot be used that way."))
}

func (h *Handler) badRequest(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusBadRequest, i18n.T(r.Context(), "Bad request"),
		i18n.T(r.Context(), "The request was not understood. Go back and try again."))
}

func (h *Handler) serverError(w http.ResponseWriter, r *http.Request) {
	h.errorPage(w, r, http.StatusInternalServerError, i18n.T(r.Context(), "Something went wrong"),
		i18n.T(r.Context(), "Apartado could not do that because of a problem on the server. Please try again; if it keeps happening, tell your administrator."))
}

// errorPage renders the error page; if even that fails, a line of text.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	v := web.ErrorView{Chrome: h.bareChrome(heading), Status: status, Heading: heading, Message: message}
	if u := state(r).user; u != nil {
		v.Chrome.Nav = &web.Nav{UserName: u.Name, IsAdmin: u.IsAdmin(), Shortcuts: u.Shortcuts, GoTo: goTo}
		v.Home = "/mail"
	} else {
		v.Home = "/"
	}
	if err := h.writePage(w, r, status, web.ErrorPage(v)); err != nil {
		h.log.Error("rendering an error page", "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(message + "\n"))
	}
}

// problemOn is inv's problem with field, translated, or "".
func problemOn(ctx context.Context, inv *app.Invalid, field string) string {
	if inv == nil {
		return ""
	}
	if p, ok := inv.On(field); ok {
		return i18n.T(ctx, p.Key, p.Args...)
	}
	return ""
}
