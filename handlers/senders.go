package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/web"
)

// Remote content in sender HTML (images, CSS, fonts) is blocked unless the
// reader asks for it: once, with ?remote=1 on the message page, or always
// for a sender, by trusting the message's From address. Either way the
// page puts ?remote=1 on the body frame's URL, and the body document's
// policy follows that URL.

const sendersPath = "/settings/senders"

// soleSender returns the From address a trust decision is keyed on, in
// its stored form. A From header with several addresses, or none, names no
// one sender to trust.
func soleSender(from []message.Address) (string, bool) {
	if len(from) != 1 {
		return "", false
	}
	key, err := db.SenderKey(from[0].Addr)
	return key, err == nil
}

// remoteChoice fills in the message page's body frame and remote-content
// bar for an HTML body: blocked (show once, or always for the sender),
// shown this once, or shown because the sender is trusted.
func (h *Handler) remoteChoice(r *http.Request, v *web.MessageView, view *message.View, back string) error {
	self := "/mail/" + strconv.FormatInt(v.ID, 10)
	v.BodyURL = self + "/body"
	once := r.URL.Query().Get("remote") == "1"
	trusted := false
	if sender, ok := soleSender(view.From); ok {
		t, err := h.db.SenderTrusted(r.Context(), currentUser(r).ID, sender)
		if err != nil {
			return err
		}
		trusted = t
		v.Sender = sender
		v.TrustSenderURL = self + "/sender/trust"
		v.UntrustSenderURL = self + "/sender/untrust"
	}
	if once || trusted {
		v.BodyURL += "?remote=1"
	}
	if !view.RemoteBlocked {
		return nil // nothing remote: nothing to say
	}
	switch {
	case trusted:
		v.SenderTrusted = true
	case once:
		v.RemoteShownOnce = true
	default:
		v.RemoteBlocked = true
		v.ShowImagesURL = self + "?remote=1&back=" + url.QueryEscape(back)
	}
	return nil
}

// trustSender always shows remote content in mail from the message's sender.
func (h *Handler) trustSender(w http.ResponseWriter, r *http.Request) {
	h.setSenderTrust(w, r, true)
}

// untrustSender blocks the message's sender's remote content again.
func (h *Handler) untrustSender(w http.ResponseWriter, r *http.Request) {
	h.setSenderTrust(w, r, false)
}

// setSenderTrust trusts or stops trusting the sole From address of one of
// the user's messages (the address comes from the stored message, never
// from the form), then goes back to the message.
func (h *Handler) setSenderTrust(w http.ResponseWriter, r *http.Request, trust bool) {
	ctx := r.Context()
	u := currentUser(r)
	sum, raw, err := h.loadMessage(r, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sender, ok := soleSender(message.From(raw))
	if !ok {
		h.badRequest(w, r)
		return
	}
	if trust {
		err = h.db.TrustSender(ctx, u.ID, sender)
	} else {
		err = h.db.UntrustSender(ctx, u.ID, sender)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := localPath(r.PostFormValue("back"), "/mail")
	if !strings.HasPrefix(back, "/mail") {
		back = "/mail"
	}
	redirect(w, r, "/mail/"+strconv.FormatInt(sum.ID, 10)+"?back="+url.QueryEscape(back))
}

// senders lists the user's trusted senders, each with a button to remove it.
func (h *Handler) senders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	chrome, err := h.userChrome(r, i18n.T(ctx, "Trusted senders"), web.SectionSettings)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.db.TrustedSenders(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	loc, tz := i18n.FromContext(ctx), state(r).tz
	v := web.SendersView{Chrome: chrome}
	for _, s := range list {
		v.Senders = append(v.Senders, web.TrustedSender{Address: s.Address, Since: loc.Date(s.CreatedAt, tz)})
	}
	if r.URL.Query().Get("done") == "removed" {
		v.Notice = i18n.T(ctx, "Removed. Remote content from that sender is blocked again.")
	}
	h.render(w, r, http.StatusOK, web.SendersPage(v))
}

// removeSender removes one address from the user's trusted senders.
func (h *Handler) removeSender(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	if err := h.db.UntrustSender(r.Context(), u.ID, r.PostFormValue("address")); err != nil {
		if errors.Is(err, db.ErrBadSender) {
			h.badRequest(w, r)
			return
		}
		h.fail(w, r, err)
		return
	}
	redirect(w, r, sendersPath+"?done=removed")
}
