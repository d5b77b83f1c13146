package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/password"
	"github.com/apartado/apartado/web"
)

// healthz answers 200 when the database answers, for Docker's HEALTHCHECK.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := h.db.CountUsers(r.Context()); err != nil {
		h.log.Error("health check", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	redirect(w, r, "/mail")
}

// ---- first run ----

func (h *Handler) setupForm(w http.ResponseWriter, r *http.Request) {
	if ok, err := h.usersExist(r.Context()); err != nil {
		h.fail(w, r, err)
		return
	} else if ok {
		redirect(w, r, "/login")
		return
	}
	h.render(w, r, http.StatusOK, web.SetupPage(web.SetupView{Chrome: h.bareChrome(i18n.T(r.Context(), "Welcome"))}))
}

// setup creates the first administrator and signs them in. The database
// refuses it once any user exists, so two racing forms cannot both win.
func (h *Handler) setup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if ok, err := h.usersExist(ctx); err != nil {
		h.fail(w, r, err)
		return
	} else if ok {
		redirect(w, r, "/login")
		return
	}
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	v := web.SetupView{Chrome: h.bareChrome(i18n.T(ctx, "Welcome")), Name: strings.TrimSpace(r.PostForm.Get("name")),
		Code: strings.TrimSpace(r.PostForm.Get("code"))}
	// Whoever reaches the port first could otherwise claim the household:
	// the code is in the log and on the terminal, which only the person
	// who started Apartado sees. Attempts count before the code is checked.
	if ok, retry := h.setupAttempt(r); !ok {
		h.log.Warn("first-run set-up rate limited", "client", h.clientIP(r))
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		v.FormError = i18n.T(ctx, "Too many failed attempts. Wait a few minutes, then try again.")
		h.render(w, r, http.StatusTooManyRequests, web.SetupPage(v))
		return
	}
	if !h.setupCode.Matches(v.Code) {
		h.log.Warn("first-run set-up with a wrong set-up code", "client", h.clientIP(r))
		if v.Code == "" {
			v.CodeError = i18n.T(ctx, "Enter the set-up code.")
		} else {
			v.CodeError = i18n.T(ctx, "This set-up code is not right.")
		}
		h.render(w, r, http.StatusForbidden, web.SetupPage(v))
		return
	}
	h.limiter.give(setupKeys(h.clientIP(r))...)
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	in := app.NewUser{Name: v.Name, Password: pw}
	inv, _ := app.AsInvalid(in.Validate())
	v.NameError, v.PasswordError = problemOn(ctx, inv, app.FieldUserName), problemOn(ctx, inv, app.FieldPassword)
	if v.PasswordError == "" && pw != confirm {
		v.ConfirmError = i18n.T(ctx, "The two passwords do not match.")
	}
	if v.NameError != "" || v.PasswordError != "" || v.ConfirmError != "" {
		h.render(w, r, http.StatusUnprocessableEntity, web.SetupPage(v))
		return
	}
	u, err := h.users.CreateFirstAdmin(ctx, in)
	switch {
	case errors.Is(err, password.ErrBusy):
		h.busy(w, r, func() {
			v.FormError = busyMessage(ctx)
			h.render(w, r, http.StatusServiceUnavailable, web.SetupPage(v))
		})
		return
	case errors.Is(err, app.ErrAlreadySetUp):
		h.hasUsers.Store(true)
		redirect(w, r, "/login")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.hasUsers.Store(true)
	h.setupCode.Spend()
	h.adoptBrowserZone(ctx, u, r.PostForm.Get("tz"))
	h.log.Info("administrator created", "user", u.Name)
	if err := h.startSession(ctx, w, r, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/mail")
}

// ---- signing in and out ----

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"), "")
	if currentUser(r) != nil {
		redirect(w, r, localPath(next, "/mail"))
		return
	}
	h.render(w, r, http.StatusOK, web.LoginPage(web.LoginView{Chrome: h.bareChrome(i18n.T(r.Context(), "Sign in")), Next: next,
		Notice: doneNotice(r)}))
}

// login checks a name and password. Attempts are rate-limited per client
// and name; an unknown name costs as much time as a known one.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	pw := r.PostForm.Get("password")
	v := web.LoginView{Chrome: h.bareChrome(i18n.T(ctx, "Sign in")), Name: name, Next: localPath(r.PostForm.Get("next"), "")}

	// The attempt counts before the password is checked: attempts sent in
	// parallel cannot all get in under the limit.
	if ok, retry := h.loginAttempt(r, name); !ok {
		h.log.Warn("sign-in rate limited", "client", h.clientIP(r), "name", h.nameTag(name))
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		v.Error = i18n.T(ctx, "Too many failed attempts. Wait a few minutes, then try again.")
		h.render(w, r, http.StatusTooManyRequests, web.LoginPage(v))
		return
	}

	u, err := h.db.UserByName(ctx, name)
	hash := u.PasswordHash
	if errors.Is(err, db.ErrNotFound) {
		hash = h.dummyHash
	} else if err != nil {
		h.loginNotChecked(r, name)
		h.fail(w, r, err)
		return
	}
	ok, verr := h.users.Hashes().Verify(ctx, hash, pw)
	if errors.Is(verr, password.ErrBusy) || ctx.Err() != nil {
		h.loginNotChecked(r, name)
		h.busy(w, r, func() { v.Error = busyMessage(ctx); h.render(w, r, http.StatusServiceUnavailable, web.LoginPage(v)) })
		return
	}
	if verr != nil && err == nil {
		h.log.Error("a stored password hash is unreadable", "user", u.Name, "err", verr)
	}
	if err != nil || !ok {
		// The typed name is logged only when it is a user's: a password
		// typed into the name field must not end up in the log.
		if err == nil {
			h.log.Info("sign-in failed", "client", h.clientIP(r), "user", u.Name)
		} else {
			h.log.Info("sign-in failed: no such user", "client", h.clientIP(r), "name", h.nameTag(name))
		}
		v.Error = i18n.T(ctx, "The user name or password is not right.")
		h.render(w, r, http.StatusUnauthorized, web.LoginPage(v))
		return
	}
	if u.Disabled {
		v.Error = i18n.T(ctx, "This user is disabled. Ask your administrator to enable it.")
		h.render(w, r, http.StatusForbidden, web.LoginPage(v))
		return
	}
	h.loginSucceeded(r, name)
	// A fresh token on every sign-in; an earlier session in this browser ends.
	if old := state(r).tokenHash; old != nil {
		if err := h.db.DeleteSession(ctx, old); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.startSession(ctx, w, r, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adoptBrowserZone(ctx, u, r.PostForm.Get("tz"))
	h.log.Info("signed in", "user", u.Name, "client", h.clientIP(r))
	redirect(w, r, localPath(v.Next, "/mail"))
}

// logout ends the session: its row in the database and the cookie.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if st := state(r); st.tokenHash != nil {
		if err := h.db.DeleteSession(r.Context(), st.tokenHash); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.clearCookie(w, r)
	redirect(w, r, "/login?done="+doneSignedOut)
}

// busyMessage is what a form says when the password could not be checked
// because too many were being checked at once.
func busyMessage(ctx context.Context) string {
	return i18n.T(ctx, "Apartado is busy checking other passwords. Try again in a moment.")
}

// busy answers a request whose password work the gate turned away: 503
// with a short Retry-After, and the form rendered by render.
func (h *Handler) busy(w http.ResponseWriter, r *http.Request, render func()) {
	h.log.Warn("password check turned away: too many at once", "path", r.URL.Path, "client", h.clientIP(r))
	w.Header().Set("Retry-After", "2")
	render()
}

// nameTag stands for a typed user name in the log: a keyed hash, the same
// for the same name, so repeated attempts can be told apart and counted
// without writing down what was typed (which may be a password typed into
// the wrong field).
func (h *Handler) nameTag(name string) string {
	m := hmac.New(sha256.New, h.logKey)
	m.Write([]byte(strings.ToLower(name)))
	return hex.EncodeToString(m.Sum(nil)[:8])
}
