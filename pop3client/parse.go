package pop3client

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"time"
)

// reply is a parsed status line (RFC 1939 §3): "+OK" or "-ERR", an optional
// RFC 2449 §8 response code in brackets, and free text.
type reply struct {
	ok   bool
	code string // upper case, without brackets; "" when absent
	text string // the text after the status indicator and code
}

var errNotStatus = errors.New("not a POP3 status line")

// parseReply parses a status line without its line ending. It accepts what
// real servers send: a bare "+OK" or "-ERR", lower case indicators, several
// spaces, and lines of any length (the reader bounds that).
func parseReply(line []byte) (reply, error) {
	var r reply
	var rest []byte
	switch {
	case hasPrefixFold(line, "+OK"):
		r.ok, rest = true, line[3:]
	case hasPrefixFold(line, "-ERR"):
		rest = line[4:]
	default:
		return r, errNotStatus
	}
	// The indicator must end the line or be followed by a space (RFC 1939 §3).
	// QUIRK: a few servers glue text to it ("+OKHello") or use a tab; accept
	// anything that is not a letter, so "+OKAY" is still rejected.
	if len(rest) > 0 && isLetter(rest[0]) {
		return r, errNotStatus
	}
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) > 0 && rest[0] == '[' {
		if end := bytes.IndexByte(rest, ']'); end > 0 {
			r.code = strings.ToUpper(string(bytes.TrimSpace(rest[1:end])))
			rest = bytes.TrimLeft(rest[end+1:], " \t")
		}
	}
	r.text = string(bytes.TrimRight(rest, " \t"))
	return r, nil
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// Capabilities holds a server's RFC 2449 CAPA answer: each capability name in
// upper case, mapped to its arguments.
type Capabilities map[string][]string

func parseCapaLine(caps Capabilities, line []byte) {
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return
	}
	name := strings.ToUpper(fields[0])
	if name == "IMPLEMENTATION" {
		// Its argument is free text with spaces.
		caps[name] = []string{strings.TrimSpace(string(line)[len(fields[0]):])}
		return
	}
	caps[name] = append(caps[name], fields[1:]...)
}

// Has reports whether the server advertised the capability name.
func (c Capabilities) Has(name string) bool {
	_, ok := c[strings.ToUpper(name)]
	return ok
}

// SASL lists the advertised RFC 5034 SASL mechanisms, upper case.
func (c Capabilities) SASL() []string {
	out := make([]string, 0, len(c["SASL"]))
	for _, m := range c["SASL"] {
		out = append(out, strings.ToUpper(m))
	}
	return out
}

// HasSASL reports whether mechanism mech was advertised.
func (c Capabilities) HasSASL(mech string) bool {
	for _, m := range c["SASL"] {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// Pipelining reports whether the server allows several commands in flight (RFC 2449 §6.6).
func (c Capabilities) Pipelining() bool { return c.Has("PIPELINING") }

// Implementation returns the server's self-description, if any (RFC 2449 §6.9).
func (c Capabilities) Implementation() string {
	if v := c["IMPLEMENTATION"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// LoginDelay returns the minimum time between logins the server enforces
// (RFC 2449 §6.5). Before authentication a server may add "USER" to say the
// delay depends on the user; ok is false when no number was given.
func (c Capabilities) LoginDelay() (d time.Duration, ok bool) {
	v := c["LOGIN-DELAY"]
	if len(v) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// Expire returns the server's retention policy (RFC 2449 §6.7): never is true
// for "EXPIRE NEVER"; otherwise days is how long the server keeps a message
// after it was retrieved (0: it deletes retrieved mail at the end of the
// session even without DELE). ok is false when not advertised or not a number
// (for example "EXPIRE 30 USER" is fine, "EXPIRE USER" is not).
func (c Capabilities) Expire() (days int, never bool, ok bool) {
	v := c["EXPIRE"]
	if len(v) == 0 {
		return 0, false, false
	}
	if strings.EqualFold(v[0], "NEVER") {
		return 0, true, true
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return 0, false, false
	}
	return n, false, true
}

// MessageInfo is one line of a LIST answer.
type MessageInfo struct {
	ID   int   // message number in this session
	Size int64 // size in octets as the server reports it (with CRLF line ends, before dot-stuffing)
}

// UID is one line of a UIDL answer.
type UID struct {
	ID  int    // message number in this session
	UID string // the unique-id exactly as the server sent it (may be empty, contain spaces or 8-bit bytes)
	// Duplicate is true when another message in the same listing has the
	// same UID. Such a UID does not identify a message: never delete by it.
	Duplicate bool
}

var errBadListing = errors.New("malformed listing line")

// splitListing splits "n rest" where any run of spaces or tabs separates the
// fields. rest is everything after the separator, to the end of the line.
func splitListing(line []byte) (id int, rest []byte, err error) {
	line = bytes.TrimLeft(line, " \t")
	i := bytes.IndexAny(line, " \t")
	num := line
	if i >= 0 {
		num, rest = line[:i], bytes.TrimLeft(line[i:], " \t")
	}
	id, err = strconv.Atoi(string(num))
	if err != nil || id <= 0 || len(num) > 10 {
		return 0, nil, errBadListing
	}
	return id, rest, nil
}

// parseListLine parses "n size" (RFC 1939 §5 LIST). Anything after the size
// is ignored (RFC 1939 allows it for future use).
func parseListLine(line []byte) (MessageInfo, error) {
	id, rest, err := splitListing(line)
	if err != nil {
		return MessageInfo{}, err
	}
	sizeField := rest
	if i := bytes.IndexAny(rest, " \t"); i >= 0 {
		sizeField = rest[:i]
	}
	size, err := strconv.ParseInt(string(sizeField), 10, 64)
	if err != nil || size < 0 {
		return MessageInfo{}, errBadListing
	}
	return MessageInfo{ID: id, Size: size}, nil
}

// parseUIDLine parses "n uid" (RFC 1939 §7 UIDL). The UID is the rest of
// the line without trailing white space: QUIRK: some servers put spaces in
// UIDs or send none at all, and RFC 1939's 70-octet, printable-ASCII limit is
// not respected everywhere; all of that is kept as sent.
func parseUIDLine(line []byte) (UID, error) {
	id, rest, err := splitListing(line)
	if err != nil {
		return UID{}, err
	}
	return UID{ID: id, UID: string(bytes.TrimRight(rest, " \t"))}, nil
}

// markDuplicates sets Duplicate on every UID that appears more than once.
func markDuplicates(uids []UID) {
	seen := make(map[string]int, len(uids))
	for i := range uids {
		if j, ok := seen[uids[i].UID]; ok {
			uids[i].Duplicate = true
			uids[j].Duplicate = true
			continue
		}
		seen[uids[i].UID] = i
	}
}
