package compose

import (
	"fmt"
	"strings"
	"unicode"
)

// Original is what a reply needs of the message replied to: its address
// fields, as decoded for display.
type Original struct {
	From, ReplyTo, To, Cc []Address
}

// ReplyRecipients is whom a reply goes to: the original's Reply-To, or
// else its From; and when the original was sent by the user (every From
// address is one of own), its To, as Thunderbird does, so that answering
// one's own sent message continues the conversation.
func ReplyRecipients(o Original, own []string) []Address {
	if fromSelf(o, own) {
		if to := unique(nil, o.To, own); len(to) > 0 {
			return to
		}
		return unique(nil, o.From, nil)
	}
	if len(o.ReplyTo) > 0 {
		return unique(nil, o.ReplyTo, nil)
	}
	return unique(nil, o.From, nil)
}

// ReplyAllRecipients is whom a reply to all goes to: To as ReplyRecipients,
// and Cc the original's To and Cc; the user's own addresses (own) are left
// out, and every address appears once, compared case-insensitively. When
// that leaves To empty, Cc moves to To.
func ReplyAllRecipients(o Original, own []string) (to, cc []Address) {
	var all []Address
	if fromSelf(o, own) {
		to = unique(nil, o.To, own)
		all = unique(to, o.Cc, own)
	} else {
		to = unique(nil, ReplyRecipients(o, nil), own)
		all = unique(to, append(append([]Address(nil), o.To...), o.Cc...), own)
	}
	// all starts with to, with names that cc knew and to did not.
	to, cc = all[:len(to):len(to)], all[len(to):]
	if len(cc) == 0 {
		cc = nil
	}
	if len(to) == 0 {
		to, cc = cc, nil
	}
	if len(to) == 0 {
		to = ReplyRecipients(o, own)
	}
	return to, cc
}

func fromSelf(o Original, own []string) bool {
	if len(o.From) == 0 {
		return false
	}
	for _, a := range o.From {
		if !isOwn(a.Addr, own) {
			return false
		}
	}
	return true
}

func isOwn(addr string, own []string) bool {
	for _, o := range own {
		if sameAddr(o, addr) {
			return true
		}
	}
	return false
}

// unique appends to seen the addresses of add that are neither in seen
// nor in own, each once, and returns it (seen first).
func unique(seen, add []Address, own []string) []Address {
	out := append([]Address(nil), seen...)
	for _, a := range add {
		a.Addr = strings.TrimSpace(a.Addr)
		if a.Addr == "" || isOwn(a.Addr, own) {
			continue
		}
		dup := false
		for i := range out {
			if sameAddr(out[i].Addr, a.Addr) {
				dup = true
				if out[i].Name == "" {
					out[i].Name = a.Name
				}
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// Attribution formats the line above a quoted original from pattern, a
// translated fmt format with %[1]s for the date and %[2]s for the sender
// (in English "On %[1]s, %[2]s wrote:"). date is formatted by the caller
// in the writer's language; the sender is the display name, or else the
// address. Line breaks and control characters from the original become
// spaces.
func Attribution(pattern, date string, from Address) string {
	who := oneLine(from.Name)
	if who == "" {
		who = oneLine(from.Addr)
	}
	return oneLine(fmt.Sprintf(pattern, oneLine(date), who))
}

// oneLine makes s a line: control characters as spaces, white space
// collapsed.
func oneLine(s string) string {
	return cleanSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
}

// QuoteForReply is the text a reply starts from: the attribution line (if
// any), then the original text with each line quoted as format=flowed
// quotes it (RFC 3676 §4.5): "> " before a line, ">" before a line that is
// already quoted (so "> a" becomes ">> a") and alone on an empty line.
// Blank lines at the end of the original are dropped.
func QuoteForReply(text, attribution string) string {
	lines := strings.Split(strings.TrimRight(normalizeNewlines(text), " \t\n"), "\n")
	var b strings.Builder
	if a := oneLine(attribution); a != "" {
		b.WriteString(a)
		b.WriteByte('\n')
	}
	for _, l := range lines {
		switch {
		case l == "":
			b.WriteString(">")
		case strings.HasPrefix(l, ">"):
			b.WriteString(">" + l)
		default:
			b.WriteString("> " + l)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Field is a labelled line of a forwarded message's header, the label
// translated by the caller.
type Field struct {
	Label, Value string
}

// ForwardedText is the body of an inline forward as Thunderbird writes it:
// a separator line (translated by the caller, "-------- Forwarded Message
// --------" in English), the original's main header fields ("Subject:
// …"), a blank line and the original text as it is. It goes into the
// composer's text, for the writer to add to.
func ForwardedText(separator string, fields []Field, text string) string {
	var b strings.Builder
	b.WriteString(oneLine(separator))
	b.WriteByte('\n')
	for _, f := range fields {
		if v := oneLine(f.Value); v != "" {
			b.WriteString(oneLine(f.Label) + ": " + v + "\n")
		}
	}
	b.WriteByte('\n')
	b.WriteString(strings.TrimRight(normalizeNewlines(text), " \t\n"))
	b.WriteByte('\n')
	return b.String()
}
