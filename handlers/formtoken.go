package handlers

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
	"time"
)

// The account form keeps a password typed earlier (in the first step of
// the wizard, or before a test) in a sealed token instead of writing it
// back into the page: AES-GCM with the server's key, bound to the user, with
// an expiry. The token is only ever sent back to the same user in a form.
const formTokenTTL = time.Hour

func formTokenContext(userID int64) string {
	return "account-form:user:" + strconv.FormatInt(userID, 10)
}

// sealPassword makes a form token carrying password.
func (h *Handler) sealPassword(userID int64, password string) (string, error) {
	plain := make([]byte, 8, 8+len(password))
	binary.BigEndian.PutUint64(plain, uint64(h.now().Add(formTokenTTL).Unix()))
	plain = append(plain, password...)
	sealed, err := h.key.Seal(plain, formTokenContext(userID))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openPassword returns the password in a form token, or false if the
// token is not this user's, damaged or expired.
func (h *Handler) openPassword(userID int64, token string) (string, bool) {
	if token == "" || len(token) > 4096 {
		return "", false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", false
	}
	plain, err := h.key.Open(sealed, formTokenContext(userID))
	if err != nil || len(plain) < 8 {
		return "", false
	}
	if h.now().Unix() > int64(binary.BigEndian.Uint64(plain[:8])) {
		return "", false
	}
	return string(plain[8:]), true
}
