package message

// ListID returns a message's List-Id header (RFC 2919), decoded and with
// its whitespace folded, such as "Go Nuts <golang-nuts.googlegroups.com>";
// "" when it has none. It reads only the header, and never fails: a header
// that cannot be read has no List-Id.
func ListID(raw []byte) (id string) {
	defer func() {
		if r := recover(); r != nil {
			id = ""
		}
	}()
	h, _, _, fallback := parseTop(raw)
	return decodeText(h.get("list-id"), fallback)
}
