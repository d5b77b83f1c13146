package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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
	v := web.SetupView{Chrome: h.bareChrome(i18n.T(ctx, "Welcome")), Name: strings.TrimSpace(r.PostForm.Get("name"))}
	pw, confirm := r.PostForm.Get("password"), r.PostForm.Get("confirm")
	v.NameError = checkUserName(r, v.Name)
	if msg := password.Check(pw); msg != "" {
		v.PasswordError = i18n.T(ctx, msg)
	} else if pw != confirm {
		v.ConfirmError = i18n.T(ctx, "The two passwords do not match.")
	}
	if v.NameError != "" || v.PasswordError != "" || v.ConfirmError != "" {
		h.render(w, r, http.StatusUnprocessableEntity, web.SetupPage(v))
		return
	}
	hash, err := password.Hash(pw, h.pwParams)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.db.CreateFirstAdmin(ctx, v.Name, hash)
	if errors.Is(err, db.ErrConflict) {
		h.hasUsers.Store(true)
		redirect(w, r, "/login")
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.hasUsers.Store(true)
	h.log.Info("administrator created", "user", u.Name)
	if err := h.startSession(ctx, w, r, u.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/mail")
}

// maxUserName bounds a user name, in characters.
const maxUserName = 64

// checkUserName says what is wrong with a new user name, translated, or "".
func checkUserName(r *http.Request, name string) string {
	switch {
	case name == "":
		return i18n.T(r.Context(), "Enter a user name.")
	case utf8.RuneCountInString(name) > maxUserName:
		return i18n.T(r.Context(), "Use at most %d characters.", maxUserName)
	case strings.IndexFunc(name, func(c rune) bool { return unicode.IsControl(c) || c == utf8.RuneError }) >= 0:
		return i18n.T(r.Context(), "Use only letters, digits, spaces and punctuation.")
	}
	return ""
}

// ---- signing in and out ----

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"), "")
	if currentUser(r) != nil {
		redirect(w, r, localPath(next, "/mail"))
		return
	}
	h.render(w, r, http.StatusOK, web.LoginPage(web.LoginView{Chrome: h.bareChrome(i18n.T(r.Context(), "Sign in")), Next: next}))
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

	if limited, retry := h.loginLimited(r, name); limited {
		h.log.Warn("sign-in rate limited", "client", h.clientIP(r), "user", name)
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
		h.fail(w, r, err)
		return
	}
	ok, verr := password.Verify(hash, pw)
	if verr != nil && err == nil {
		h.log.Error("a stored password hash is unreadable", "user", u.Name, "err", verr)
	}
	if err != nil || !ok {
		h.loginFailed(r, name)
		h.log.Info("sign-in failed", "client", h.clientIP(r), "user", name)
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
	redirect(w, r, "/login")
}
