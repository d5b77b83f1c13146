package message

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf16"
)

// TNEF (Transport Neutral Encapsulation Format, [MS-OXTNEF]) is what
// Outlook and Exchange send as winmail.dat: the real attachments, and
// sometimes the only rich body, packed into one application/ms-tnef part.
// No maintained Go decoder can be had, so this is a small one that reads
// what a reader needs (file names, types and contents, and the RTF or HTML
// body) and skips everything else. Every length is checked against the
// bytes that are left, so hostile lengths cannot make it allocate or loop
// beyond the size of its input.

const tnefSignature = 0x223e9f78

// Attribute ids ([MS-OXTNEF] section 2.1.3.3), without their type in the
// upper 16 bits: writers do not agree on the types.
const (
	attBody          = 0x800c
	attAttachData    = 0x800f
	attAttachTitle   = 0x8010
	attMAPIProps     = 0x9003
	attAttachRenddat = 0x9002
	attAttachment    = 0x9005
	attOemCodepage   = 0x9007
)

// MAPI property ids ([MS-OXPROPS]).
const (
	prBody               = 0x1000
	prRTFCompressed      = 0x1009
	prBodyHTML           = 0x1013
	prDisplayName        = 0x3001
	prAttachDataBin      = 0x3701 // also PR_ATTACH_DATA_OBJ, as PT_OBJECT
	prAttachExtension    = 0x3703
	prAttachFilename     = 0x3704
	prAttachMethod       = 0x3705
	prAttachLongFilename = 0x3707
	prAttachMimeTag      = 0x370e
	prAttachContentID    = 0x3712
	prInternetCPID       = 0x3fde
	prMessageCodepage    = 0x3ffd
)

// MAPI property types ([MS-OXCDATA] section 2.11.1).
const (
	ptShort    = 0x0002
	ptLong     = 0x0003
	ptFloat    = 0x0004
	ptDouble   = 0x0005
	ptCurrency = 0x0006
	ptAppTime  = 0x0007
	ptError    = 0x000a
	ptBoolean  = 0x000b
	ptObject   = 0x000d
	ptI8       = 0x0014
	ptString8  = 0x001e
	ptUnicode  = 0x001f
	ptSysTime  = 0x0040
	ptCLSID    = 0x0048
	ptBinary   = 0x0102
	ptMV       = 0x1000
)

// Attachment methods (PR_ATTACH_METHOD).
const (
	attachEmbeddedMsg = 5
	attachOLE         = 6
)

// maxTNEFDepth bounds how deeply attached messages inside a TNEF stream
// (each a TNEF stream of its own) are unpacked.
const maxTNEFDepth = 4

// tnefFile is one file unpacked from a TNEF stream.
type tnefFile struct {
	name      string // as sent, "" when the stream names it nowhere
	mediaType string // from PR_ATTACH_MIME_TAG, lower case; "" when absent
	contentID string
	charset   string // of a text file, "" when unknown
	data      []byte
}

// tnefProp is one MAPI property: its values, raw.
type tnefProp struct {
	id, typ uint16
	vals    [][]byte
}

// tnefDecoder collects the files of one stream and of the attached
// messages inside it.
type tnefDecoder struct {
	files []tnefFile
}

// isTNEFPart says whether a leaf holds a TNEF stream, judged by its type
// or its name; decodeTNEF then checks the signature.
func isTNEFPart(p *part) bool {
	switch p.mediaType {
	case "application/ms-tnef", "application/vnd.ms-tnef", "application/x-tnef":
		return true
	}
	name := strings.ToLower(p.dispParams["filename"])
	if name == "" {
		name = strings.ToLower(p.params["name"])
	}
	return name == "winmail.dat" || strings.HasSuffix(name, ".tnef")
}

// decodeTNEF unpacks a TNEF stream into its files: the attachments, then
// the message body as body.html (PR_BODY_HTML) or else body.rtf
// (PR_RTF_COMPRESSED) when there is one. An attached Outlook message
// (itself a TNEF stream) is unpacked in its place the same way, its body
// named after it ("Untitled Attachment.rtf"). The plain-text body (PR_BODY, attBody) is not listed: Outlook sends
// the same text as the message's own text/plain part. ok is false when b
// is not a TNEF stream.
func decodeTNEF(b []byte) (files []tnefFile, ok bool) {
	d := &tnefDecoder{}
	if !d.decode(b, 0, "body") {
		return nil, false
	}
	return d.files, true
}

func (d *tnefDecoder) add(f tnefFile) {
	if len(d.files) < maxParts {
		d.files = append(d.files, f)
	}
}

// tnefReader reads little-endian values, remembering when it ran out.
type tnefReader struct {
	b   []byte
	bad bool
}

func (r *tnefReader) left() int { return len(r.b) }

func (r *tnefReader) next(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *tnefReader) u8() byte {
	if v := r.next(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *tnefReader) u16() uint16 {
	if v := r.next(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (r *tnefReader) u32() uint32 {
	if v := r.next(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

// tnefAttach is an attachment being collected.
type tnefAttach struct {
	title, long, short, display string
	mime, cid                   string
	method                      uint32
	data                        []byte
	hasData                     bool
	nested                      []byte // the TNEF stream of an attached message
}

// decode reads one stream ([MS-OXTNEF] section 2.1.3.1): signature,
// legacy key, then attributes (level, id, length, data, checksum). It
// stops at the first damaged attribute, keeping what came before:
// garbage after the last attribute is common.
func (d *tnefDecoder) decode(b []byte, depth int, bodyName string) bool {
	r := &tnefReader{b: b}
	if r.u32() != tnefSignature {
		return false
	}
	r.u16() // legacy key
	cs := "windows-1252"
	var cur *tnefAttach
	var html, rtf []byte
	htmlCS := ""
	flush := func() {
		if cur == nil {
			return
		}
		if f, ok := cur.file(); ok {
			d.add(f)
		}
		if cur.nested != nil && depth+1 < maxTNEFDepth {
			d.decode(cur.nested, depth+1, cur.name())
		}
		cur = nil
	}
	attach := func() *tnefAttach {
		if cur == nil {
			cur = &tnefAttach{}
		}
		return cur
	}
	for r.left() >= 9 && !r.bad {
		level := r.u8()
		id := r.u32() & 0xffff
		n := r.u32()
		data := r.next(uint64(n))
		if r.bad || (level != 1 && level != 2) {
			break
		}
		r.u16() // checksum: not checked, as Outlook's readers do not either
		switch id {
		case attOemCodepage:
			if len(data) >= 4 {
				if c := codepageCharset(binary.LittleEndian.Uint32(data)); c != "" {
					cs = c
				}
			}
		case attMAPIProps:
			props := parseMAPIProps(data)
			for _, p := range props {
				if p.id == prInternetCPID || p.id == prMessageCodepage {
					if v := p.uint32(); v != 0 {
						if c := codepageCharset(v); c != "" {
							cs = c
						}
					}
				}
			}
			var unicode bool
			html, rtf, unicode = messageBody(props)
			if unicode {
				htmlCS = "utf-8"
			}
		case attAttachRenddat:
			flush()
			attach()
		case attAttachTitle:
			attach().title = cString(data, cs)
		case attAttachData:
			a := attach()
			a.data, a.hasData = data, true
		case attAttachment:
			attach().props(parseMAPIProps(data), cs)
		}
	}
	flush()
	if bodyName == "" {
		bodyName = "attached message"
	}
	switch {
	case len(html) > 0:
		if htmlCS == "" {
			htmlCS = cs
		}
		d.add(tnefFile{name: bodyName + ".html", mediaType: "text/html", charset: htmlCS, data: html})
	case len(rtf) > 0:
		d.add(tnefFile{name: bodyName + ".rtf", mediaType: "application/rtf", data: rtf})
	}
	return true
}

// messageBody reads the HTML and the RTF body from a message's MAPI
// properties. unicode says the HTML was UTF-16 and is now UTF-8;
// otherwise it is in the message's code page.
func messageBody(props []tnefProp) (html, rtf []byte, unicode bool) {
	for _, p := range props {
		if len(p.vals) == 0 {
			continue
		}
		switch p.id {
		case prBodyHTML:
			if p.typ == ptBinary || p.typ == ptString8 || p.typ == ptUnicode {
				v := p.vals[0]
				if p.typ == ptUnicode {
					v, unicode = []byte(utf16String(v)), true
				}
				html = bytes.TrimRight(v, "\x00")
			}
		case prRTFCompressed:
			if p.typ == ptBinary {
				rtf = decompressRTF(p.vals[0])
			}
		}
	}
	return html, rtf, unicode
}

// props takes what matters from an attachment's MAPI properties.
func (a *tnefAttach) props(props []tnefProp, cs string) {
	for _, p := range props {
		if len(p.vals) == 0 {
			continue
		}
		switch p.id {
		case prAttachMethod:
			a.method = p.uint32()
		case prAttachLongFilename:
			a.long = p.str(cs)
		case prAttachFilename:
			a.short = p.str(cs)
		case prDisplayName:
			a.display = p.str(cs)
		case prAttachMimeTag:
			a.mime = p.str(cs)
		case prAttachContentID:
			a.cid = p.str(cs)
		case prAttachDataBin:
			v := p.vals[0]
			switch p.typ {
			case ptBinary:
				a.data, a.hasData = v, true
			case ptObject:
				// An interface id (16 bytes), then the object: a TNEF
				// stream for an attached message, an OLE storage (or
				// the file itself) otherwise.
				if len(v) < 16 {
					continue
				}
				v = v[16:]
				if a.method == attachEmbeddedMsg || bytes.HasPrefix(v, []byte{0x78, 0x9f, 0x3e, 0x22}) {
					a.nested = v
					continue
				}
				a.data, a.hasData = v, true
			}
		}
	}
}

// name is the attachment's file name: the long one, else the 8.3 one,
// else its title or display name.
func (a *tnefAttach) name() string {
	name := a.long
	for _, n := range []string{a.short, a.title, a.display} {
		if strings.TrimSpace(name) == "" {
			name = n
		}
	}
	return strings.TrimSpace(name)
}

// file makes the collected attachment a file, when it carries data. The
// attAttachData of an attached message is only a notice ("This
// attachment is a MAPI 1.0 embedded message and is not supported by this
// mail system."); its content is the nested stream.
func (a *tnefAttach) file() (tnefFile, bool) {
	if !a.hasData || a.method == attachEmbeddedMsg {
		return tnefFile{}, false
	}
	name := a.name()
	mt := strings.ToLower(strings.TrimSpace(a.mime))
	if mt != "" {
		mt = normalizeMediaType(mt)
	}
	return tnefFile{name: name, mediaType: mt, contentID: cleanContentID(a.cid), data: a.data}, true
}

// parseMAPIProps reads a MAPI property list ([MS-OXTNEF] section
// 2.1.3.4). It stops at the first property it cannot read, keeping the
// ones before it.
func parseMAPIProps(b []byte) []tnefProp {
	r := &tnefReader{b: b}
	count := r.u32()
	var props []tnefProp
	for i := uint32(0); i < count && !r.bad && r.left() > 0; i++ {
		typ := r.u16()
		id := r.u16()
		if id >= 0x8000 { // a named property: GUID, kind, id or name
			r.next(16)
			switch r.u32() {
			case 0:
				r.u32()
			case 1:
				n := r.u32()
				r.next(pad4(uint64(n)))
			default:
				return props
			}
		}
		base := typ &^ ptMV
		variable := base == ptString8 || base == ptUnicode || base == ptBinary || base == ptObject
		n := uint32(1)
		if typ&ptMV != 0 || variable {
			n = r.u32()
		}
		p := tnefProp{id: id, typ: base}
		for j := uint32(0); j < n && !r.bad; j++ {
			if variable {
				size := r.u32()
				v := r.next(uint64(size))
				if r.bad {
					break
				}
				// Values are padded to 4 bytes; tolerate a missing pad
				// at the very end.
				if pad := pad4(uint64(size)) - uint64(size); pad <= uint64(r.left()) {
					r.next(pad)
				}
				p.vals = append(p.vals, v)
				continue
			}
			size := fixedSize(base)
			if size == 0 {
				return props // unknown type: its size is unknown too
			}
			v := r.next(uint64(size))
			if !r.bad {
				p.vals = append(p.vals, v)
			}
		}
		if r.bad {
			break
		}
		props = append(props, p)
	}
	return props
}

// fixedSize is the size in a TNEF stream of a fixed-size value (PT_SHORT
// and PT_BOOLEAN are padded to 4 bytes), 0 for unknown types.
func fixedSize(t uint16) int {
	switch t {
	case ptShort, ptLong, ptFloat, ptError, ptBoolean, 0x0001: // 0x0001: PT_NULL
		return 4
	case ptDouble, ptCurrency, ptAppTime, ptI8, ptSysTime:
		return 8
	case ptCLSID:
		return 16
	}
	return 0
}

func pad4(n uint64) uint64 { return (n + 3) &^ 3 }

func (p tnefProp) uint32() uint32 {
	if len(p.vals) == 0 || len(p.vals[0]) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(p.vals[0])
}

// str reads a string property: PT_UNICODE is UTF-16LE, PT_STRING8 (and,
// leniently, PT_BINARY) is in the stream's code page.
func (p tnefProp) str(cs string) string {
	if len(p.vals) == 0 {
		return ""
	}
	if p.typ == ptUnicode {
		return utf16String(p.vals[0])
	}
	return cString(p.vals[0], cs)
}

// cString decodes a NUL-terminated 8-bit string.
func cString(b []byte, cs string) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return decodeCharset(cs, b)
}

// utf16String decodes NUL-terminated UTF-16LE.
func utf16String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// codepageCharset names the charset of a Windows code page, "" when it is
// not one mail uses.
func codepageCharset(cp uint32) string {
	switch {
	case cp >= 1250 && cp <= 1258:
		return "windows-" + strconv.Itoa(int(cp))
	case cp >= 28591 && cp <= 28605:
		return "iso-8859-" + strconv.Itoa(int(cp-28590))
	}
	switch cp {
	case 65001:
		return "utf-8"
	case 874:
		return "windows-874"
	case 932:
		return "shift_jis"
	case 936:
		return "gbk"
	case 949:
		return "euc-kr"
	case 950:
		return "big5"
	case 20866:
		return "koi8-r"
	case 21866:
		return "koi8-u"
	case 50220, 50221, 50222:
		return "iso-2022-jp"
	case 51932:
		return "euc-jp"
	case 54936:
		return "gb18030"
	case 437, 850, 852, 866:
		return "ibm" + strconv.Itoa(int(cp))
	}
	return ""
}

// rtfPrebuf is the dictionary compressed RTF starts with ([MS-OXRTFCP]
// section 3.1.3.1).
const rtfPrebuf = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

// decompressRTF decodes PR_RTF_COMPRESSED ([MS-OXRTFCP]): a header (sizes,
// "LZFu" or "MELA", CRC) and LZ77 data with a 4096-byte ring dictionary.
// The output is bounded by the declared size, by maxRenderBytes, and by
// what the input can produce. It returns nil for anything unreadable.
func decompressRTF(b []byte) []byte {
	r := &tnefReader{b: b}
	compSize := r.u32()
	rawSize := r.u32()
	magic := r.u32()
	r.u32() // CRC: not checked
	if r.bad {
		return nil
	}
	in := r.b
	if uint64(compSize) >= 12 && uint64(compSize)-12 < uint64(len(in)) {
		in = in[:compSize-12]
	}
	limit := min(uint64(rawSize), maxRenderBytes)
	switch magic {
	case 0x414c454d: // "MELA": not compressed
		if uint64(len(in)) > limit {
			in = in[:limit]
		}
		return bytes.Clone(in)
	case 0x75465a4c: // "LZFu"
	default:
		return nil
	}
	var dict [4096]byte
	copy(dict[:], rtfPrebuf)
	wpos := len(rtfPrebuf)
	out := make([]byte, 0, min(limit, uint64(len(in))*8))
	put := func(c byte) {
		out = append(out, c)
		dict[wpos] = c
		wpos = (wpos + 1) & 4095
	}
	for i := 0; i < len(in); {
		ctrl := in[i]
		i++
		for bit := 0; bit < 8 && i < len(in); bit++ {
			if uint64(len(out)) >= limit {
				return out
			}
			if ctrl&(1<<bit) == 0 {
				put(in[i])
				i++
				continue
			}
			if i+1 >= len(in) {
				return out
			}
			ref := int(in[i])<<8 | int(in[i+1])
			i += 2
			off, n := ref>>4, ref&15+2
			if off == wpos {
				return out // the end marker
			}
			for k := 0; k < n && uint64(len(out)) < limit; k++ {
				put(dict[(off+k)&4095])
			}
		}
	}
	return out
}
