package handlers

import (
	"net/http"

	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// help is the help page, for everyone: it explains POP3, every diagnosis
// and how to register Apartado with the providers that sign in by OAuth.
func (h *Handler) help(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	title := i18n.T(ctx, "Help")
	var v web.HelpView
	if currentUser(r) != nil {
		chrome, err := h.userChrome(r, title, "")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Chrome = chrome
	} else {
		v.Chrome = h.bareChrome(title)
	}
	for _, t := range diagnose.Topics() {
		v.Topics = append(v.Topics, web.HelpTopicView{Anchor: t.Anchor, Title: h.text(r, t.Title), Body: h.texts(r, t.Body)})
	}
	v.OAuthRedirectURI = h.redirectURI
	h.render(w, r, http.StatusOK, web.HelpPage(v))
}
