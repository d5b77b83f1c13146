package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/password"
	"github.com/apartado/apartado/web"
)

// adminView builds the users page.
func (h *Handler) adminView(r *http.Request) (web.AdminUsersView, error) {
	ctx := r.Context()
	me := currentUser(r)
	accounts, err := h.db.Accounts(ctx, me.ID)
	if err != nil {
		return web.AdminUsersView{}, err
	}
	users, err := h.db.Users(ctx)
	if err != nil {
		return web.AdminUsersView{}, err
	}
	v := web.AdminUsersView{Chrome: h.chrome(r, i18n.T(ctx, "Users"), web.SectionAdmin, 0, accounts)}
	loc, tz := i18n.FromContext(ctx), state(r).tz
	household, err := h.household(r)
	if err != nil {
		return web.AdminUsersView{}, err
	}
	for _, u := range users {
		id := "/admin/users/" + strconv.FormatInt(u.ID, 10)
		role := i18n.T(ctx, "Member")
		if u.IsAdmin() {
			role = i18n.T(ctx, "Administrator")
		}
		v.Users = append(v.Users, web.AdminUserRow{
			ID: u.ID, Name: u.Name, Role: role, Disabled: u.Disabled, Self: u.ID == me.ID,
			Created:    loc.Date(u.CreatedAt, tz),
			DisableURL: id + "/disable", EnableURL: id + "/enable", ResetURL: id + "/reset-password",
		})
		row := &v.Users[len(v.Users)-1]
		row.Accounts, row.Storage = household.accounts[u.ID], loc.Size(household.bytes[u.ID])
		row.IsAdmin, row.RoleURL, row.DeleteURL = u.IsAdmin(), id+"/role", id+"/delete"
		row.AddAccountURL = memberAccountsPath(u.ID) + "/new"
		for _, a := range row.Accounts {
			row.Messages += a.Messages
		}
		if at, ok := household.signIns[u.ID]; ok {
			row.LastSignIn = loc.Date(at, tz)
		}
	}
	return v, nil
}

// householdData is every member's accounts as the household page shows
// them, the bytes their mail takes, and when they last signed in.
type householdData struct {
	accounts map[int64][]web.HouseholdAccount
	bytes    map[int64]int64
	signIns  map[int64]time.Time
}

func (h *Handler) household(r *http.Request) (householdData, error) {
	ctx := r.Context()
	loc := i18n.FromContext(ctx)
	out := householdData{accounts: map[int64][]web.HouseholdAccount{}, bytes: map[int64]int64{}}
	all, err := h.db.AllAccounts(ctx)
	if err != nil {
		return out, err
	}
	stored, err := h.db.StoredBytes(ctx)
	if err != nil {
		return out, err
	}
	if out.signIns, err = h.db.LastSignIns(ctx); err != nil {
		return out, err
	}
	for _, a := range all {
		var s web.AccountStatus // its state only: not the settings page's progress and server counts
		h.accountHealth(r, a, &s)
		ha := web.HouseholdAccount{Name: a.Name, Email: a.Email, State: s.State, LastCheck: s.LastSuccess,
			Since: s.FailingSince, Messages: a.MessageCount, Storage: loc.Size(stored[a.ID]),
			EditURL: memberAccountsPath(a.UserID) + "/" + strconv.FormatInt(a.ID, 10)}
		ha.CheckURL = ha.EditURL + "/check"
		if s.State != "disabled" && s.State != "stopped" {
			ha.NextCheck = i18n.T(ctx, "shortly")
			if a.NextPoll.After(h.now()) {
				ha.NextCheck = loc.Date(a.NextPoll, state(r).tz)
			}
		}
		switch s.State {
		case "ok":
			ha.StateLabel = i18n.T(ctx, "Working")
		case "failing":
			ha.StateLabel = i18n.T(ctx, "Failing")
		case "stopped":
			ha.StateLabel = i18n.T(ctx, "Stopped")
		case "pending":
			ha.StateLabel = i18n.T(ctx, "Waiting")
		default:
			ha.StateLabel = i18n.T(ctx, "Paused")
		}
		if s.Diagnosis != nil {
			ha.Problem = s.Diagnosis.Title
		}
		out.accounts[a.UserID] = append(out.accounts[a.UserID], ha)
		out.bytes[a.UserID] += stored[a.ID]
	}
	return out, nil
}

func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request) {
	v, err := h.adminView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Notice = doneNotice(r)
	h.render(w, r, http.StatusOK, web.AdminUsersPage(v))
}

// adminError shows the users page again with an error about an action.
func (h *Handler) adminError(w http.ResponseWriter, r *http.Request, status int, msg string, edit func(*web.AdminUsersView)) {
	v, err := h.adminView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Error = msg
	if edit != nil {
		edit(&v)
	}
	h.render(w, r, status, web.AdminUsersPage(v))
}

// createUser adds a member or an administrator with an initial password.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	form := web.CreateUserForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Admin: r.PostForm.Get("role") == "admin"}
	u, err := h.users.Create(ctx, app.NewUser{Name: form.Name, Password: r.PostForm.Get("password"), Admin: form.Admin})
	if inv, ok := app.AsInvalid(err); ok {
		form.NameError, form.PasswordError = problemOn(ctx, inv, app.FieldUserName), problemOn(ctx, inv, app.FieldPassword)
	} else if errors.Is(err, password.ErrBusy) {
		h.busy(w, r, func() {
			h.adminError(w, r, http.StatusServiceUnavailable, busyMessage(ctx), func(v *web.AdminUsersView) { v.Create = form })
		})
		return
	} else if err != nil {
		h.fail(w, r, err)
		return
	} else {
		h.log.Info("user added", "by", currentUser(r).Name, "user", u.Name, "role", u.Role)
		redirect(w, r, "/admin/users?done="+doneUserAdded)
		return
	}
	h.adminError(w, r, http.StatusUnprocessableEntity, i18n.T(ctx, "The user was not added."), func(v *web.AdminUsersView) {
		v.Create = form
	})
}

// targetUser returns the user named by the route.
func (h *Handler) targetUser(r *http.Request) (db.User, error) {
	id, ok := idParam(r, "id")
	if !ok {
		return db.User{}, db.ErrNotFound
	}
	return h.db.UserByID(r.Context(), id)
}

// otherUser is the user an administrator's action is about, with the
// action's form parsed; not the administrator (then self says why, on the
// users page). ok is false when the answer was written.
func (h *Handler) otherUser(w http.ResponseWriter, r *http.Request, self string) (db.User, bool) {
	u, err := h.targetUser(r)
	if err != nil {
		h.fail(w, r, err)
		return u, false
	}
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return u, false
	}
	if u.ID == currentUser(r).ID {
		h.adminError(w, r, http.StatusConflict, self, nil)
		return u, false
	}
	return u, true
}

// adminDone ends an administrator's change to a user: err as the store
// answered it (ErrLastAdmin said with lastAdmin on the users page), else
// the change logged (msg, args) and the users page with its notice done.
func (h *Handler) adminDone(w http.ResponseWriter, r *http.Request, err error, lastAdmin, done, msg string, args ...any) {
	if errors.Is(err, db.ErrLastAdmin) {
		h.adminError(w, r, http.StatusConflict, lastAdmin, nil)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info(msg, args...)
	redirect(w, r, "/admin/users?done="+done)
}

// disableUser disables a user and ends their sessions. Nobody can disable
// themselves, and the last enabled administrator stays.
func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	me := currentUser(r)
	u, ok := h.otherUser(w, r, i18n.T(ctx, "You cannot disable yourself."))
	if !ok {
		return
	}
	h.adminDone(w, r, h.db.SetDisabled(ctx, u.ID, true), i18n.T(ctx, "The last administrator cannot be disabled."),
		doneUserDisabled, "user disabled", "by", me.Name, "user", u.Name)
}

func (h *Handler) enableUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.targetUser(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.db.SetDisabled(r.Context(), u.ID, false); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("user enabled", "by", currentUser(r).Name, "user", u.Name)
	redirect(w, r, "/admin/users?done="+doneUserEnabled)
}

// resetPassword sets a new password for another user, which signs them
// out everywhere. Administrators change their own in Settings.
func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	me := currentUser(r)
	u, ok := h.otherUser(w, r, i18n.T(ctx, "Change your own password in Settings."))
	if !ok {
		return
	}
	err := h.users.SetPassword(ctx, u.ID, r.PostForm.Get("password"))
	if inv, ok := app.AsInvalid(err); ok {
		h.adminError(w, r, http.StatusUnprocessableEntity, i18n.T(ctx, "The password was not changed."), func(v *web.AdminUsersView) {
			for i := range v.Users {
				if v.Users[i].ID == u.ID {
					v.Users[i].ResetError, v.Users[i].ResetSelected = problemOn(ctx, inv, app.FieldPassword), true
				}
			}
		})
		return
	}
	if errors.Is(err, password.ErrBusy) {
		h.busy(w, r, func() { h.adminError(w, r, http.StatusServiceUnavailable, busyMessage(ctx), nil) })
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("password reset", "by", me.Name, "user", u.Name)
	redirect(w, r, "/admin/users?done="+donePasswordSet)
}

// deleteUser deletes a member with their accounts and mail, once their
// name is typed to confirm. Nobody deletes themselves, and the last
// enabled administrator stays.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	me := currentUser(r)
	u, ok := h.otherUser(w, r, i18n.T(ctx, "You cannot delete yourself."))
	if !ok {
		return
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != u.Name {
		h.adminError(w, r, http.StatusUnprocessableEntity, i18n.T(ctx, "Type %s exactly to delete them.", u.Name), func(v *web.AdminUsersView) {
			for i := range v.Users {
				v.Users[i].DeleteSelected = v.Users[i].ID == u.ID
			}
		})
		return
	}
	h.adminDone(w, r, h.db.DeleteUser(ctx, u.ID), i18n.T(ctx, "The last administrator cannot be deleted."),
		doneUserDeleted, "user deleted", "by", me.Name, "user", u.Name)
}

// changeRole makes a user an administrator or a member. An administrator
// cannot change their own role (another does), and the last enabled
// administrator stays one.
func (h *Handler) changeRole(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	me := currentUser(r)
	u, ok := h.otherUser(w, r, i18n.T(ctx, "Another administrator can change your role; you cannot."))
	if !ok {
		return
	}
	role := db.Role(r.PostForm.Get("role"))
	if role != db.RoleAdmin && role != db.RoleMember {
		h.badRequest(w, r)
		return
	}
	h.adminDone(w, r, h.db.SetRole(ctx, u.ID, role), i18n.T(ctx, "The last administrator must stay one."),
		doneRoleChanged, "user role changed", "by", me.Name, "user", u.Name, "role", role)
}
