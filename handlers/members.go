package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// The account pages serve two people: a user managing their own accounts
// under /settings/accounts, and an administrator helping a member under
// /admin/members/{member}/accounts (adding, testing, fixing, removing and
// checking them, never reading their mail). The handlers are the same; the
// scope says whose accounts they are, where their links lead, and whether
// the member is to be told what changed.

const settingsAccounts = "/settings/accounts"

// accountScope is whose accounts an account page manages.
type accountScope struct {
	owner *db.User
	// forMember: an administrator acting for owner, who is told of every
	// change on their pages.
	forMember bool
	base      string // the account pages' prefix: settingsAccounts, or a member's
	done      string // the page saving leads back to
	section   string // the navigation's section
}

type scopeKey struct{}

// scopeOf is the request's account scope: the signed-in user's own
// accounts unless memberAccounts set a member's.
func scopeOf(r *http.Request) accountScope {
	if s, ok := r.Context().Value(scopeKey{}).(accountScope); ok {
		return s
	}
	return accountScope{owner: currentUser(r), base: settingsAccounts, done: "/settings", section: web.SectionSettings}
}

// owner is the user whose accounts the request is about.
func owner(r *http.Request) *db.User { return scopeOf(r).owner }

// memberAccountsPath is where an administrator manages member's accounts.
func memberAccountsPath(member int64) string {
	return "/admin/members/" + strconv.FormatInt(member, 10) + "/accounts"
}

// memberAccounts scopes the account pages under it to the member named by
// the route, for an administrator (requireAdmin runs before it).
func (h *Handler) memberAccounts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := idParam(r, "member")
		if !ok {
			h.notFound(w, r)
			return
		}
		m, err := h.db.UserByID(r.Context(), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		s := accountScope{owner: &m, forMember: m.ID != currentUser(r).ID, base: memberAccountsPath(m.ID),
			done: "/admin/users", section: web.SectionAdmin}
		if !s.forMember {
			// An administrator's own accounts are theirs to manage in Settings.
			s.base, s.done, s.section = settingsAccounts, "/settings", web.SectionSettings
		}
		r = h.dialsOf(r, &m)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), scopeKey{}, s)))
	})
}

// accountURL is the page of account id in the request's scope.
func accountURL(r *http.Request, id int64) string {
	return scopeOf(r).base + "/" + strconv.FormatInt(id, 10)
}

// tellMember keeps a change an administrator made to a member's account,
// for the member to read on their pages; nothing when users change their
// own. A failure to keep it is logged: the change itself is made.
func (h *Handler) tellMember(r *http.Request, action, accountName string, fields []string) {
	s := scopeOf(r)
	if !s.forMember {
		return
	}
	c := db.AccountChange{UserID: s.owner.ID, By: currentUser(r).Name, AccountName: accountName, Action: action, Fields: fields}
	if err := h.db.RecordAccountChange(r.Context(), c); err != nil {
		h.log.Error("keeping an account change for its member", "user", s.owner.ID, "err", err)
	}
	h.log.Info("member's account changed by an administrator", "by", currentUser(r).Name, "user", s.owner.Name,
		"account", accountName, "action", action, "fields", fields)
}

// accountChangeNotices are the changes administrators made to the user's
// accounts that the user has not dismissed, as the pages say them.
func (h *Handler) accountChangeNotices(r *http.Request, userID int64) []web.AccountChangeNotice {
	ctx := r.Context()
	changes, err := h.db.UnseenAccountChanges(ctx, userID, maxChangeNotices)
	if err != nil {
		h.log.Error("reading account changes", "user", userID, "err", err)
		return nil
	}
	loc, tz := i18n.FromContext(ctx), state(r).tz
	var out []web.AccountChangeNotice
	for _, c := range changes {
		n := web.AccountChangeNotice{ID: c.ID, When: loc.Date(c.At, tz)}
		switch c.Action {
		case db.ChangeAdded:
			n.Text = i18n.T(ctx, "%s added the account %s for you.", c.By, c.AccountName)
		case db.ChangeDeleted:
			n.Text = i18n.T(ctx, "%s removed your account %s and its mail here.", c.By, c.AccountName)
		default:
			n.Text = i18n.T(ctx, "%s changed your account %s: %s.", c.By, c.AccountName, changedFieldsText(ctx, c.Fields))
		}
		out = append(out, n)
	}
	return out
}

// maxChangeNotices bounds the notices a page shows at once.
const maxChangeNotices = 5

// changedFieldsText says what a change touched, in the reader's language.
func changedFieldsText(ctx context.Context, fields []string) string {
	if len(fields) == 0 {
		return i18n.T(ctx, "its settings")
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = changedFieldName(ctx, f)
	}
	return strings.Join(names, ", ")
}

func changedFieldName(ctx context.Context, f string) string {
	if key, ok := changedFieldKeys[f]; ok {
		return i18n.T(ctx, key)
	}
	return f
}

// changedFieldKeys say each code of db.AccountChange's Fields.
var changedFieldKeys = map[string]string{
	"name":        i18n.Key("its name"),
	"email":       i18n.Key("its address"),
	"server":      i18n.Key("the incoming server"),
	"username":    i18n.Key("the user name"),
	"password":    i18n.Key("the password"),
	"signin":      i18n.Key("the sign-in with the provider"),
	"certificate": i18n.Key("the trusted certificate"),
	"retention":   i18n.Key("what happens to mail on the server"),
	"interval":    i18n.Key("how often it is checked"),
	"outgoing":    i18n.Key("the outgoing server"),
	"identity":    i18n.Key("the sender name or signature"),
}

// dismissChanges hides the notices of changes up to the one posted.
func (h *Handler) dismissChanges(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	upTo, err := strconv.ParseInt(r.PostForm.Get("up_to"), 10, 64)
	if err != nil || upTo <= 0 {
		h.badRequest(w, r)
		return
	}
	if err := h.db.DismissAccountChanges(r.Context(), currentUser(r).ID, upTo); err != nil && !errors.Is(err, db.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, localPath(r.PostForm.Get("return"), "/mail"))
}
