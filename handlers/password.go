package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/password"
	"github.com/apartado/apartado/web"
)

// changePassword changes the user's password. The database ends all of the
// user's sessions with it; this browser gets a new one, so the user stays
// signed in here.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	current, next, confirm := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("confirm")
	var form web.PasswordForm
	status := http.StatusUnprocessableEntity
	// Checking the current password is a sign-in attempt, counted before
	// the check like one.
	if ok, retry := h.loginAttempt(r, u.Name); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		form.CurrentError = i18n.T(ctx, "Too many failed attempts. Wait a few minutes, then try again.")
		status = http.StatusTooManyRequests
	} else if ok, err := h.users.CheckPassword(ctx, *u, current); errors.Is(err, password.ErrBusy) || ctx.Err() != nil {
		h.loginNotChecked(r, u.Name)
		w.Header().Set("Retry-After", "2")
		form.CurrentError = busyMessage(ctx)
		status = http.StatusServiceUnavailable
	} else if err != nil || !ok {
		form.CurrentError = i18n.T(ctx, "This is not your current password.")
	} else {
		h.loginSucceeded(r, u.Name)
	}
	if p, bad := app.CheckNewPassword(next); bad {
		form.NewError = i18n.T(ctx, p.Key, p.Args...)
	} else if next != confirm {
		form.ConfirmError = i18n.T(ctx, "The two new passwords do not match.")
	}
	if form != (web.PasswordForm{}) {
		v, err := h.settingsView(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Password = form
		h.render(w, r, status, web.SettingsPage(v))
		return
	}
	err := h.users.SetPassword(ctx, u.ID, next)
	if errors.Is(err, password.ErrBusy) {
		h.busy(w, r, func() {
			v, verr := h.settingsView(r)
			if verr != nil {
				h.fail(w, r, verr)
				return
			}
			v.Password.NewError = busyMessage(ctx)
			h.render(w, r, http.StatusServiceUnavailable, web.SettingsPage(v))
		})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.startSession(ctx, w, r, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("password changed", "user", u.Name)
	redirect(w, r, "/settings?done="+donePasswordChanged)
}
