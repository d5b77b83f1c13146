package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/apartado/apartado/app"
)

// The account form keeps a password typed earlier (in the first step of
// the wizard, or before a test) in a sealed token instead of writing it
// back into the page: AES-GCM with the server's key, bound to the user and
// to the server and user name it was typed for, with an expiry. The token
// is only ever sent back to the same user in a form, and opens only for
// the same server and user name: a password typed for one server is never
// sent to another that was typed into the form later.
const formTokenTTL = time.Hour

func formTokenContext(userID int64) string {
	return "account-form:user:" + strconv.FormatInt(userID, 10)
}

// server is where the form's password would be sent.
func (in accountInput) server() app.Server { return app.ServerOfInput(in.appInput()) }

// serverDigest binds a token to a server and user name.
func serverDigest(s app.Server) [sha256.Size]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%q %d %q %q", s.Host, s.Port, s.Security.String(), s.Username))
}

// tokenState is what opening a form token found.
type tokenState int

const (
	tokenOpened      tokenState = iota
	tokenUnusable               // not this user's, damaged or expired
	tokenOtherServer            // sealed for another server or user name
)

// sealPassword makes a form token carrying password, for server s.
func (h *Handler) sealPassword(userID int64, s app.Server, password string) (string, error) {
	d := serverDigest(s)
	plain := make([]byte, 8, 8+len(d)+len(password))
	binary.BigEndian.PutUint64(plain, uint64(h.now().Add(formTokenTTL).Unix()))
	plain = append(plain, d[:]...)
	plain = append(plain, password...)
	sealed, err := h.key.Seal(plain, formTokenContext(userID))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openPassword returns the password in a form token if it was sealed for
// this user and server s and has not expired.
func (h *Handler) openPassword(userID int64, token string, s app.Server) (string, tokenState) {
	if token == "" || len(token) > 4096 {
		return "", tokenUnusable
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return "", tokenUnusable
	}
	plain, err := h.key.Open(sealed, formTokenContext(userID))
	const head = 8 + sha256.Size
	if err != nil || len(plain) < head {
		return "", tokenUnusable
	}
	if h.now().Unix() > int64(binary.BigEndian.Uint64(plain[:8])) {
		return "", tokenUnusable
	}
	if d := serverDigest(s); subtle.ConstantTimeCompare(plain[8:head], d[:]) != 1 {
		return "", tokenOtherServer
	}
	return string(plain[head:]), tokenOpened
}
