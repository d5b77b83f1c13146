package app

import (
	"crypto/rand"
	"encoding/base64"
)

// Compose keys: the server gives each message being written a key when it
// first shows a composer (NewComposeKey), which every save of that
// message carries, so that the saves find one draft whatever order they
// arrive in, and no save brings the draft back once the message is in the
// outbox (see migrations/0018_compose_keys.sql).

// composeKeyBytes is a compose key's length before encoding: 128 random
// bits.
const composeKeyBytes = 16

// FieldComposeKey names the problem of a message whose key is spent: it
// is in the outbox already, so it is neither saved as a draft nor sent
// again under that key.
const FieldComposeKey = "compose_key"

// NewComposeKey returns a new compose key: 128 random bits, in base64url
// without padding (22 characters).
func NewComposeKey() string {
	var b [composeKeyBytes]byte
	_, _ = rand.Read(b[:]) // never fails: it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ParseComposeKey returns s when it is a compose key as NewComposeKey
// writes them, else "": a key of another length or alphabet is ignored,
// as if there were none.
func ParseComposeKey(s string) string {
	if len(s) != base64.RawURLEncoding.EncodedLen(composeKeyBytes) {
		return ""
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != composeKeyBytes {
		return ""
	}
	return s
}

// keySpentProblem is the problem of a message whose key is spent; key is
// what to say.
func keySpentProblem(key string) error {
	return &Invalid{Problems: []Problem{{FieldComposeKey, key, nil}}}
}
