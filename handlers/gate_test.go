package handlers

import (
	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/internal/password"
)

// useHashGate makes every password hash of h go through g.
func (h *Handler) useHashGate(g *password.Gate) {
	h.users = app.NewUsers(h.db, g, h.pwParams)
}
