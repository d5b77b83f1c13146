package compose

import (
	"io"
	"mime"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Attachment is a file to attach. Open is called once, while the message
// is written, and its content streamed: it is never held whole in memory.
type Attachment struct {
	Name        string // the file name the recipient sees
	ContentType string // a media type; empty or invalid means application/octet-stream
	Open        func() (io.ReadCloser, error)
}

// Forwarded is a message forwarded as an attachment (a .eml file): Open
// returns its raw bytes, exactly as stored. It is opened twice: once to
// check that it can be sent as message/rfc822 as it is, once to write it.
type Forwarded struct {
	Name string // the file name, such as EMLName gives
	Open func() (io.ReadCloser, error)
}

// File is an attachment read from a file when the message is written, named
// after the file unless name is given, with a media type from contentType
// or else the file's extension.
func File(path, name, contentType string) Attachment {
	if name == "" {
		name = filepath.Base(path)
	}
	if contentType == "" {
		contentType = mime.TypeByExtension(filepath.Ext(path))
	}
	return Attachment{
		Name:        name,
		ContentType: contentType,
		Open:        func() (io.ReadCloser, error) { return os.Open(path) },
	}
}

// maxName bounds a file name (in octets): far beyond what file systems keep
// (255), short of a header nobody can use.
const maxName = 1000

// EMLName makes the file name of a forwarded message from its subject:
// characters file systems refuse replaced, cut to 100 characters, and
// ".eml"; fallback (such as a translated "Forwarded message") when the
// subject leaves nothing.
func EMLName(subject, fallback string) string {
	var b strings.Builder
	n := 0
	for _, r := range cleanSpace(subject) {
		if n == 100 {
			break
		}
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	name := strings.Trim(b.String(), " .")
	if name == "" {
		name = fallback
	}
	return name + ".eml"
}

// mediaType is the type an attachment is sent as: the given type when it
// parses and is neither multipart nor message (which base64 may not carry,
// RFC 2045 §6.4), else application/octet-stream.
func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !strings.Contains(mt, "/") || strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") {
		return "application/octet-stream"
	}
	return mt
}

// plainName reports whether a file name can be sent as a quoted string as
// it is: printable ASCII with no quote, backslash or encoded word, short
// enough for one line.
func plainName(name string) bool {
	if len(name) > 50 || looksEncoded(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// nameParam is the name= parameter of Content-Type, which old clients read:
// a quoted string, or B-encoded words inside one when the name is not
// plain, as Thunderbird and Outlook write it.
func nameParam(name string) string {
	if plainName(name) {
		return `name="` + name + `"`
	}
	return `name="` + encodeWords(name, false, nameWord, nameWord) + `"`
}

// filenameParams is the filename parameter of Content-Disposition: a quoted
// string when the name is plain, else RFC 2231 §4 (the charset utf-8, no
// language, the octets as %XX) split into continuations (§3: filename*0*=,
// filename*1*=, …) of at most 60 characters, each a line once folded.
func filenameParams(name string) string {
	if plainName(name) {
		return `filename="` + name + `"`
	}
	const seg = 60
	var segs []string
	var cur strings.Builder
	cur.WriteString("utf-8''")
	for _, r := range name {
		enc := percentEncode(r)
		if cur.Len()+len(enc) > seg {
			segs = append(segs, cur.String())
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	segs = append(segs, cur.String())
	if len(segs) == 1 {
		return "filename*=" + segs[0]
	}
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = "filename*" + strconv.Itoa(i) + "*=" + s
	}
	return strings.Join(parts, "; ")
}

// percentEncode is r in RFC 2231 §7's attribute-char, or its UTF-8 octets
// as %XX.
func percentEncode(r rune) string {
	const hex = "0123456789ABCDEF"
	if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("!#$&+-.^_`|~", r)) {
		return string(r)
	}
	var b strings.Builder
	for _, c := range utf8.AppendRune(nil, r) {
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
