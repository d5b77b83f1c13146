package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// Drafts: the composer saves itself (with JavaScript, a few seconds after
// typing stops, to /compose/draft; without, with its "Save draft" button),
// and /drafts lists what is being written.

// saveDraft stores the composer's form as a draft and answers its id as
// JSON ({"id": N}), for the page's autosave.
func (h *Handler) saveDraft(w http.ResponseWriter, r *http.Request) {
	in, err := readCompose(r, "")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	id, status := h.storeDraft(r, in)
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		ID int64 `json:"id"`
	}{id})
}

// storeDraft saves the composer's form as the user's draft, and says how
// that went as an HTTP status.
func (h *Handler) storeDraft(r *http.Request, in composeInput) (int64, int) {
	u := currentUser(r)
	if in.htmlTooLong {
		return 0, http.StatusUnprocessableEntity
	}
	d, _ := h.draftFromForm(r, in)
	d.Forwarded = nil // attached again when sent
	id, _ := strconv.ParseInt(in.fields.Get("draft"), 10, 64)
	accountID, _ := strconv.ParseInt(in.fields.Get("account"), 10, 64)
	id, err := h.drafts.Save(r.Context(), u.ID, id, accountID, d)
	switch {
	case err == nil:
		return id, http.StatusOK
	case errors.Is(err, db.ErrNotFound):
		return 0, http.StatusNotFound
	default:
		if _, ok := app.AsInvalid(err); ok {
			return 0, http.StatusUnprocessableEntity
		}
		h.log.Error("saving a draft", "user", u.ID, "err", err)
		return 0, http.StatusInternalServerError
	}
}

// draftsPage lists the user's drafts.
func (h *Handler) draftsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.drafts.List(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l, tz := i18n.FromContext(ctx), state(r).tz
	v := web.DraftsView{Chrome: h.chrome(u, i18n.T(ctx, "Drafts"), web.SectionCompose, 0, accounts), Notice: doneNotice(r)}
	for _, dr := range list {
		id := strconv.FormatInt(dr.ID, 10)
		row := web.DraftRow{ID: dr.ID, Subject: dr.Subject, When: l.Date(dr.UpdatedAt, tz),
			URL: composePath + "?draft=" + id, DeleteURL: "/drafts/" + id + "/delete"}
		if row.Subject == "" {
			row.Subject = i18n.T(ctx, "(no subject)")
		}
		row.To = formatList(dr.To)
		v.Rows = append(v.Rows, row)
	}
	h.render(w, r, http.StatusOK, web.DraftsPage(v))
}

// deleteDraft throws a draft away.
func (h *Handler) deleteDraft(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := h.drafts.Delete(r.Context(), currentUser(r).ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/drafts?done="+doneDraftDeleted)
}

// openDraft fills the composer with a saved draft.
func (h *Handler) openDraft(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	u, err := h.drafts.Open(ctx, currentUser(r).ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, _, err := h.composeView(r, i18n.T(ctx, "Write"), u.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fillComposer(&v, u)
	v.DraftID = id
	h.render(w, r, http.StatusOK, web.ComposePage(v))
}

// fillComposer puts a kept draft (from the drafts or the outbox) into the
// composer.
func fillComposer(v *web.ComposeView, d app.Undone) {
	v.To, v.Cc, v.Bcc, v.Subject, v.Text, v.HTML = formatList(d.To), formatList(d.Cc), formatList(d.Bcc), d.Subject, d.Text, d.HTML
	v.ShowCc = v.Cc != "" || v.Bcc != ""
	v.LostAttachments = d.AttachmentNames
	v.Hidden = append(v.Hidden, threadFields(d.Original, d.OriginalFlag == db.FlagForwarded, d.InReplyTo, d.References)...)
}
