package handlers

import (
	"net/http"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// contactsPage lists the people the user writes to.
func (h *Handler) contactsPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.contactsView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.ContactsPage(v))
}

func (h *Handler) contactsView(r *http.Request) (web.ContactsView, error) {
	ctx := r.Context()
	u := currentUser(r)
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		return web.ContactsView{}, err
	}
	list, err := h.contacts.List(ctx, u.ID, r.URL.Query().Get("q"))
	if err != nil {
		return web.ContactsView{}, err
	}
	v := web.ContactsView{Chrome: h.chrome(r, i18n.T(ctx, "Contacts"), web.SectionCompose, 0, accounts), Notice: doneNotice(r)}
	for _, c := range list {
		v.Rows = append(v.Rows, web.ContactRow{Name: c.Name, Addr: c.Addr, Saved: c.Saved})
	}
	return v, nil
}

// saveContact records a contact's name, or adds one.
func (h *Handler) saveContact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	name, addr := r.PostForm.Get("name"), r.PostForm.Get("addr")
	err := h.contacts.Save(ctx, currentUser(r).ID, name, addr)
	if inv, ok := app.AsInvalid(err); ok {
		v, verr := h.contactsView(r)
		if verr != nil {
			h.fail(w, r, verr)
			return
		}
		v.NewName, v.NewAddr = name, addr
		v.NameError, v.AddrError = problemOn(ctx, inv, app.FieldContactName), problemOn(ctx, inv, app.FieldContactAddr)
		h.render(w, r, http.StatusUnprocessableEntity, web.ContactsPage(v))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/contacts?done="+doneContactSaved)
}

// hideContact stops proposing an address.
func (h *Handler) hideContact(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	err := h.contacts.Hide(r.Context(), currentUser(r).ID, r.PostForm.Get("addr"))
	if _, ok := app.AsInvalid(err); ok {
		h.badRequest(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/contacts?done="+doneContactHidden)
}
