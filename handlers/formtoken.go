package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/db"
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

// formServer is where a password goes: the server and the user name, as
// the account form has them, normalized as they are stored.
type formServer struct {
	host     string
	port     int
	security string
	username string
}

// server is where the form's password would be sent.
func (in accountInput) server() formServer {
	port, err := strconv.Atoi(in.port)
	if err != nil {
		port = -1
	}
	return formServer{host: strings.ToLower(strings.Trim(in.host, "[]")), port: port, security: in.security, username: in.username}
}

// storedServer is where a stored account's password goes.
func storedServer(a db.Account) formServer {
	return formServer{host: strings.ToLower(strings.Trim(a.Host, "[]")), port: a.Port, security: a.Security, username: a.Username}
}

func (s formServer) digest() [sha256.Size]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%q %d %q %q", s.host, s.port, s.security, s.username))
}

// tokenState is what opening a form token found.
type tokenState int

const (
	tokenOpened      tokenState = iota
	tokenUnusable               // not this user's, damaged or expired
	tokenOtherServer            // sealed for another server or user name
)

// sealPassword makes a form token carrying password, for server s.
func (h *Handler) sealPassword(userID int64, s formServer, password string) (string, error) {
	d := s.digest()
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
func (h *Handler) openPassword(userID int64, token string, s formServer) (string, tokenState) {
	if token == "" || len(token) > 4096 {
		return "", tokenUnusable
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token)
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
	if d := s.digest(); subtle.ConstantTimeCompare(plain[8:head], d[:]) != 1 {
		return "", tokenOtherServer
	}
	return string(plain[head:]), tokenOpened
}
