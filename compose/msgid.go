package compose

import (
	"encoding/base32"
	"fmt"
	"io"
	"strings"
)

const (
	maxMsgID = 250 // longer IDs are refused: some servers and clients cut them
	// maxReferences bounds the References field of a reply: the first ID
	// (the thread's root) and the last ones, as RFC 5322 §3.6.4 lets a
	// client do and as common clients do, so long threads keep their
	// threading without an ever-growing header.
	maxReferences = 20
)

// validMsgID reports whether id (without angle brackets) is an RFC 5322
// msg-id (§3.6.4): dot-atom-text "@" (dot-atom-text or a no-fold literal),
// in ASCII.
func validMsgID(id string) bool {
	if len(id) > maxMsgID || !isASCII(id) {
		return false
	}
	at := strings.LastIndexByte(id, '@')
	if at < 0 || !dotAtom(id[:at]) {
		return false
	}
	right := id[at+1:]
	if strings.HasPrefix(right, "[") && strings.HasSuffix(right, "]") && len(right) > 2 {
		for _, c := range right[1 : len(right)-1] {
			if c <= ' ' || c > '~' || c == '[' || c == ']' || c == '\\' {
				return false
			}
		}
		return true
	}
	return dotAtom(right)
}

// normMsgID accepts an ID with or without its angle brackets and returns it
// without them.
func normMsgID(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	return s
}

// ParseMsgIDs returns the message IDs in the value of a Message-ID,
// In-Reply-To or References field, without angle brackets, each once, in
// order; what is not a valid msg-id is skipped, so that a broken header of
// the original cannot break a reply.
func ParseMsgIDs(field string) []string {
	var out []string
	for {
		i := strings.IndexByte(field, '<')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(field[i:], '>')
		if j < 0 {
			return out
		}
		inner := field[i+1 : i+j]
		if k := strings.LastIndexByte(inner, '<'); k >= 0 {
			inner = inner[k+1:] // an unclosed "<" before: start again here
		}
		// White space inside an ID is a fold a client should not have made.
		id := strings.Join(strings.Fields(inner), "")
		field = field[i+j+1:]
		if validMsgID(id) && !containsID(out, id) {
			out = append(out, id)
		}
	}
}

func containsID(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// references is the References of a reply (RFC 5322 §3.6.4): the
// original's References followed by its Message-ID, without repeats, and
// trimmed to the first ID and the last maxReferences-1.
func references(orig []string, inReplyTo string) []string {
	var list []string
	for _, id := range append(append([]string(nil), orig...), inReplyTo) {
		if id != "" && !containsID(list, id) {
			list = append(list, id)
		}
	}
	if len(list) > maxReferences {
		list = append(list[:1], list[len(list)-(maxReferences-1):]...)
	}
	return list
}

// msgIDList formats IDs for a header, each in angle brackets.
func msgIDList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "<" + id + ">"
	}
	return strings.Join(parts, " ")
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newMessageID makes a Message-ID (without angle brackets) on domain, with
// 128 random bits on the left.
func newMessageID(rand io.Reader, domain string) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", fmt.Errorf("compose: message id: %w", err)
	}
	return idEncoding.EncodeToString(b[:]) + "@" + domain, nil
}
