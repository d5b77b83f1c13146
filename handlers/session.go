package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
)

// The session cookie is a gorilla/sessions cookie, signed and encrypted
// with keys derived from the secret key, holding only an opaque random
// token and when the cookie was issued. The database stores the token's
// SHA-256, so a copy of the database holds no live session.
const (
	cookieToken  = "t"
	cookieIssued = "iat"
	tokenBytes   = 32
)

type sessionCookie struct {
	token     []byte
	tokenHash []byte
	issued    int64
}

// readCookie decodes the session cookie, if there is a valid one.
func (h *Handler) readCookie(r *http.Request) (sessionCookie, bool) {
	if _, err := r.Cookie(sessionCookieName); err != nil {
		return sessionCookie{}, false
	}
	s, err := h.store.New(r, sessionCookieName)
	if err != nil {
		return sessionCookie{}, false
	}
	enc, _ := s.Values[cookieToken].(string)
	issued, _ := s.Values[cookieIssued].(int64)
	token, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(token) != tokenBytes {
		return sessionCookie{}, false
	}
	sum := sha256.Sum256(token)
	return sessionCookie{token: token, tokenHash: sum[:], issued: issued}, true
}

// startSession signs the user in on this browser: a new random token,
// recorded (hashed) in the database and set in the cookie.
func (h *Handler) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, userID int64) error {
	token := make([]byte, tokenBytes)
	if _, err := rand.Read(token); err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	sum := sha256.Sum256(token)
	if err := h.db.CreateSession(ctx, userID, sum[:], sessionTTL); err != nil {
		return err
	}
	return h.writeCookie(w, r, token)
}

func (h *Handler) writeCookie(w http.ResponseWriter, r *http.Request, token []byte) error {
	s := sessions.NewSession(h.store, sessionCookieName)
	s.Values[cookieToken] = base64.RawURLEncoding.EncodeToString(token)
	s.Values[cookieIssued] = h.now().Unix()
	s.Options = h.cookieOptions(r, int(sessionTTL/time.Second))
	if err := h.store.Save(r, w, s); err != nil {
		return fmt.Errorf("session cookie: %w", err)
	}
	return nil
}

// clearCookie tells the browser to forget the session cookie.
func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, sessions.NewCookie(sessionCookieName, "", h.cookieOptions(r, -1)))
}

func (h *Handler) cookieOptions(r *http.Request, maxAge int) *sessions.Options {
	secure := false
	switch h.cookieSecure {
	case CookieSecureAlways:
		secure = true
	case CookieSecureAuto:
		secure = h.requestIsHTTPS(r)
	}
	return &sessions.Options{
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}
