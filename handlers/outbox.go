package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/web"
)

// outboxPage lists the user's messages on their way out.
func (h *Handler) outboxPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msgs, err := h.outbox.List(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := web.OutboxView{Chrome: h.chrome(r, i18n.T(ctx, "Outbox"), web.SectionOutbox, 0, accounts), Notice: doneNotice(r)}
	byID := make(map[int64]db.Account, len(accounts))
	for _, a := range accounts {
		byID[a.ID] = a
	}
	now := h.now()
	for _, m := range msgs {
		v.Rows = append(v.Rows, h.outboxRow(r, m, byID[m.AccountID], now))
	}
	h.render(w, r, http.StatusOK, web.OutboxPage(v))
}

// outboxRow is one message's line: where it is, what went wrong (with the
// server of acc, its account) and what can be done.
func (h *Handler) outboxRow(r *http.Request, m db.OutboxMessage, acc db.Account, now time.Time) web.OutboxRow {
	ctx := r.Context()
	l, tz := i18n.FromContext(ctx), state(r).tz
	id := "/outbox/" + strconv.FormatInt(m.ID, 10)
	row := web.OutboxRow{ID: m.ID, Subject: m.Subject, State: string(m.State), When: l.Date(m.CreatedAt, tz)}
	if row.Subject == "" {
		row.Subject = i18n.T(ctx, "(no subject)")
	}
	for i, rc := range m.Rcpts {
		if i > 0 {
			row.To += ", "
		}
		row.To += rc
	}
	switch m.State {
	case db.OutboxQueued:
		if m.NotBefore.After(now) {
			row.StateText = i18n.T(ctx, "Leaving in a few seconds")
			row.UndoURL, row.UndoUntil = id+"/undo", m.NotBefore.UTC().Format(time.RFC3339)
		} else if m.Attempts > 0 {
			row.StateText = i18n.T(ctx, "Waiting to try again at %s", l.Date(m.NextAttemptAt, tz))
		} else {
			row.StateText = i18n.T(ctx, "Sending")
		}
	case db.OutboxSending:
		row.StateText = i18n.T(ctx, "Sending")
	case db.OutboxSent:
		row.StateText = i18n.T(ctx, "Sent")
		if m.SentAt != nil {
			row.When = l.Date(*m.SentAt, tz)
		}
	case db.OutboxCancelled:
		row.StateText = i18n.T(ctx, "Not sent: taken back")
	case db.OutboxFailed:
		row.StateText = i18n.T(ctx, "Not sent")
		row.EditURL = id + "/undo"
	case db.OutboxMaybeSent:
		row.StateText = i18n.T(ctx, "It may have been sent")
		row.ResolveURL = id + "/resolve"
	}
	if m.Err.Kind != "" && m.State != db.OutboxSent {
		sec, _ := pop3client.ParseSecurity(acc.Outgoing.Security)
		d := diagnose.ExplainRecordedSMTP(m.Err.Kind, m.Err.Step, m.Err.Text,
			diagnose.Input{Host: acc.Outgoing.Host, Port: acc.Outgoing.Port, Security: sec, Email: acc.Email,
				SignedIn: acc.OAuthGrant != 0 && acc.Outgoing.SamePassword})
		row.Detail, row.Explanation = h.text(r, d.Title), h.text(r, d.Explanation)
	}
	return row
}

// undoSend takes a message back while it has not left, and opens it in the
// composer again.
func (h *Handler) undoSend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	undone, err := h.outbox.Undo(ctx, u.ID, id)
	if _, ok := app.AsInvalid(err); ok {
		redirect(w, r, "/outbox?done="+doneTooLate)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v, _, err := h.composeView(r, i18n.T(ctx, "Write"), undone.AccountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.fillComposer(r, &v, undone); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("message taken back", "user", u.ID, "outbox", id)
	h.render(w, r, http.StatusOK, web.ComposePage(v))
}

// resolveSend records the user's answer about a message that may have been
// sent: it arrived, or send it again.
func (h *Handler) resolveSend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	answer := app.Resolution(r.PostForm.Get("answer"))
	if answer != app.ResolveWasSent && answer != app.ResolveSendAgain {
		h.badRequest(w, r)
		return
	}
	err := h.outbox.Resolve(ctx, currentUser(r).ID, id, answer)
	if _, ok := app.AsInvalid(err); ok || errors.Is(err, db.ErrConflict) {
		redirect(w, r, "/outbox?done="+doneTooLate)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, "/outbox?done="+doneResolved)
}
