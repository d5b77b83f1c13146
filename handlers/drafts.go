package handlers

import (
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

const draftsPath = "/drafts"

// saveDraft stores the composer's text fields as a draft and answers its
// id as JSON ({"id": N}), for the page's autosave. The files kept with the
// draft stay as they are; those chosen but not uploaded are named. A
// message already in the outbox (its compose key spent) is not saved:
// 409 Conflict, and the page stops saving.
func (h *Handler) saveDraft(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	in, err := readCompose(r, "")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if in.htmlTooLong {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	}
	d, _ := h.draftFromForm(in)
	id, _ := strconv.ParseInt(in.fields.Get("draft"), 10, 64)
	accountID, _ := strconv.ParseInt(in.fields.Get("account"), 10, 64)
	id, err = h.drafts.Save(r.Context(), u.ID, id, accountID, app.DraftInput{Draft: d, Lost: in.lost})
	inv, invalid := app.AsInvalid(err)
	var spent bool
	if invalid {
		_, spent = inv.On(app.FieldComposeKey)
	}
	switch {
	case err == nil:
	case errors.Is(err, db.ErrNotFound):
		w.WriteHeader(http.StatusNotFound)
		return
	case spent:
		w.WriteHeader(http.StatusConflict)
		return
	case invalid:
		w.WriteHeader(http.StatusUnprocessableEntity)
		return
	default:
		h.log.Error("saving a draft", "user", u.ID, "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	h.writeJSON(w, r, http.StatusOK, struct {
		ID int64 `json:"id"`
	}{id})
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
	boxes, err := h.db.Mailboxes(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := web.DraftsView{Chrome: h.chrome(r, i18n.T(ctx, "Drafts"), web.SectionCompose, 0, accounts), Notice: doneNotice(r)}
	v.Chrome.Sidebar = sidebar(ctx, boxes, string(db.MailboxDrafts), 0)
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
	if err := h.fillComposer(r, &v, u); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.ComposePage(v))
}

// fillComposer puts a message being written (a prefill, a draft, a message
// taken back from the outbox, a form shown again) into the composer: its
// fields, its compose key if it has one, the hidden fields that carry what it answers or forwards, and
// the files it will send, each with a Remove box.
func (h *Handler) fillComposer(r *http.Request, v *web.ComposeView, d app.Undone) error {
	v.To, v.Cc, v.Bcc, v.Subject, v.Text, v.HTML = formatList(d.To), formatList(d.Cc), formatList(d.Bcc), d.Subject, d.Text, d.HTML
	v.ShowCc = v.Cc != "" || v.Bcc != ""
	v.LostAttachments = d.AttachmentNames
	v.DraftID = d.DraftID
	if d.ComposeKey != "" {
		v.ComposeKey = d.ComposeKey
	}
	v.Hidden = append(v.Hidden, threadFields(d.Draft)...)
	files, err := h.drafts.Files(r.Context(), currentUser(r).ID, d.DraftID, d.Draft)
	if err != nil {
		return err
	}
	v.Files = composeFiles(r.Context(), files)
	return nil
}
