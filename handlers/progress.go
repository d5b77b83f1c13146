package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/web"
)

// historyShown is how many syncs the account page lists.
const historyShown = 20

// progressJSON is what the page script polls while a sync runs or is due.
type progressJSON struct {
	Running bool   `json:"running"`
	Queued  bool   `json:"queued"`
	Value   int64  `json:"value"`
	Max     int64  `json:"max"`
	Text    string `json:"text"`
}

// accountProgress serves the progress of the account's sync as JSON.
func (h *Handler) accountProgress(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	a, err := h.db.Account(r.Context(), owner(r).ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var out progressJSON
	if p := h.syncProgress(r, a); p != nil {
		out = progressJSON{Running: p.Running, Queued: !p.Running, Value: p.Value, Max: p.Max, Text: p.Text}
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// syncProgress is the progress bar of the account: nil when no sync runs
// and none is due.
func (h *Handler) syncProgress(r *http.Request, a db.Account) *web.SyncProgressView {
	ctx := r.Context()
	url := accountURL(r, a.ID) + "/progress"
	p, running := h.poller.Progress(a.ID)
	if !running {
		if !a.Due(h.now(), poller.MaxAuthFailures) {
			return nil
		}
		return &web.SyncProgressView{URL: url, Text: i18n.T(ctx, "Checking for new mail shortly…")}
	}
	return &web.SyncProgressView{URL: url, Running: true, Value: p.BytesDone, Max: p.Bytes, Text: ProgressText(r.Context(), p)}
}

// ProgressText says how a running sync is doing, in one line, in the
// language of ctx's locale (the settings page, and "apartado sync" in a
// terminal).
func ProgressText(ctx context.Context, p poller.Progress) string {
	loc := i18n.FromContext(ctx)
	switch {
	case p.Phase == poller.PhaseConnecting:
		return i18n.T(ctx, "Connecting to the server…")
	case p.Phase == poller.PhaseListing:
		return i18n.T(ctx, "Looking for new mail…")
	case p.Phase == poller.PhaseDeleting:
		return i18n.T(ctx, "Finishing: deleting on the server what your settings ask for…")
	case p.Messages == 0:
		return i18n.T(ctx, "No new mail.")
	}
	parts := []string{
		i18n.T(ctx, "%d of %d messages", p.MessagesDone, p.Messages),
		i18n.T(ctx, "%s of %s", loc.Size(p.BytesDone), loc.Size(p.Bytes)),
	}
	if rate := p.Rate(); rate > 0 {
		parts = append(parts, loc.Size(int64(rate))+"/s")
	}
	if left, ok := p.Remaining(); ok && left >= time.Second {
		parts = append(parts, i18n.T(ctx, "about %s left", loc.Duration(left.Round(time.Second))))
	}
	return strings.Join(parts, " · ")
}

// serverCounts says what the last successful sync saw on the server and
// what the account's choices will delete there.
func (h *Handler) serverCounts(r *http.Request, a db.Account) web.ServerCountsView {
	ctx := r.Context()
	loc := i18n.FromContext(ctx)
	var v web.ServerCountsView
	if a.ServerCount == nil {
		return v
	}
	size := int64(0)
	if a.ServerBytes != nil {
		size = *a.ServerBytes
	}
	v.OnServer = i18n.T(ctx, "Messages on the server at the last check: %s (%s).", loc.Number(*a.ServerCount), loc.Size(size))
	c, err := h.db.RetentionCounts(ctx, a)
	if err != nil {
		h.log.Error("counting what the server will delete", "account", a.ID, "err", err)
		return v
	}
	if c.DueNow > 0 {
		v.Deleting = append(v.Deleting, i18n.T(ctx, "Messages to be deleted on the server at the next check: %s.", loc.Number(c.DueNow)))
	}
	if c.Later > 0 {
		v.Deleting = append(v.Deleting, i18n.T(ctx, "Messages to be deleted on the server later: %s (the first on %s).",
			loc.Number(c.Later), loc.Date(c.FirstAt, state(r).tz)))
	}
	if c.Kept > 0 {
		v.Kept = i18n.T(ctx, "Messages kept on the server for good, because what arrived did not match the size the server announced: %s.", loc.Number(c.Kept))
	}
	return v
}

// expireWarning says when the server's own retention (RFC 2449 EXPIRE)
// deletes mail that the account's choice would keep there.
func expireWarning(r *http.Request, a db.Account) string {
	ctx := r.Context()
	if a.DeleteAfterDownload || a.ServerExpire == "" || a.ServerExpire == "NEVER" {
		return ""
	}
	days, err := strconv.Atoi(a.ServerExpire)
	if err != nil || days < 0 {
		return ""
	}
	if days == 0 {
		return i18n.T(ctx, "This server deletes every message once it has been downloaded (it announces EXPIRE 0), whatever you choose here: the copy in Apartado is then the only one.")
	}
	if a.DeleteAfterDays > 0 && a.DeleteAfterDays <= days {
		return ""
	}
	return i18n.T(ctx, "This server deletes downloaded messages by itself after %d days (it announces EXPIRE %s), whatever you choose here: after that, the copy in Apartado is the only one.",
		days, a.ServerExpire)
}

// historyView lists the account's last syncs for its page.
func (h *Handler) historyView(r *http.Request, a db.Account) []web.SyncRecordView {
	ctx := r.Context()
	loc, tz := i18n.FromContext(ctx), state(r).tz
	recs, err := h.db.SyncHistory(ctx, owner(r).ID, a.ID, historyShown)
	if err != nil {
		h.log.Error("reading an account's history", "account", a.ID, "err", err)
		return nil
	}
	out := make([]web.SyncRecordView, 0, len(recs))
	for _, rec := range recs {
		v := web.SyncRecordView{
			When:     loc.Date(rec.Started, tz),
			Duration: loc.Duration(rec.Duration),
			New:      loc.Number(int64(rec.New)),
			Deleted:  loc.Number(int64(rec.Deleted)),
		}
		for _, n := range rec.Notes {
			v.Notes = append(v.Notes, poller.NoteText(loc, tz, n))
		}
		if rec.New > 0 {
			v.New += " (" + loc.Size(rec.Bytes) + ")"
		}
		if rec.ServerCount != nil {
			v.OnServer = loc.Number(*rec.ServerCount)
		}
		if rec.ErrKind != "" {
			v.Error = diagnose.Sentence(rec.ErrKind, loc)
		}
		out = append(out, v)
	}
	return out
}
