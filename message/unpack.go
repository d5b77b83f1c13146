package message

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Some parts hold files of their own: a winmail.dat (TNEF) part holds the
// real attachments, and a plain text part may hold uuencoded blocks. Those
// files get ids made from the id of the part they come from, a letter for
// the kind and their position, counting from 1:
//
//	"2.t1"  the first file unpacked from the TNEF stream in part 2
//	"1.u2"  the second uuencoded block in the text of part 1
//
// The ids are stable: they depend only on the stored message.

// partIDRe matches every part id that Part and the cid: placeholders
// accept.
var partIDRe = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*(\.[tu][0-9]+)?$`)

// splitPartID splits an id into the id of a MIME leaf and, for a file
// inside it, its kind ('t' or 'u') and index (from 0).
func splitPartID(id string) (leaf string, kind byte, index int, ok bool) {
	i := strings.LastIndexByte(id, '.')
	if i < 0 || i+2 > len(id) || (id[i+1] != 't' && id[i+1] != 'u') {
		return id, 0, 0, true
	}
	n, err := strconv.Atoi(id[i+2:])
	if err != nil || n < 1 || n > maxParts {
		return "", 0, 0, false
	}
	return id[:i], id[i+1], n - 1, true
}

// unpackedFile is a file found inside a part, ready to be described.
type unpackedFile struct {
	name      string // decoded, not yet made safe
	mediaType string // "" when unknown
	contentID string
	charset   string // of a text file, "" when unknown
	data      []byte
}

// tnefFiles unpacks a TNEF part. ok is false when the part is not one, or
// not a readable one: it is then listed as it is.
func tnefFiles(p *part) (files []unpackedFile, ok bool) {
	if !isTNEFPart(p) {
		return nil, false
	}
	tf, ok := decodeTNEF(decodeTransfer(p.body, p.cte))
	if !ok || len(tf) == 0 {
		return nil, false
	}
	files = make([]unpackedFile, len(tf))
	for i, f := range tf {
		files[i] = unpackedFile{name: f.name, mediaType: f.mediaType, contentID: f.contentID, charset: f.charset, data: f.data}
	}
	return files, true
}

// uuFiles decodes the uuencoded blocks in a text part.
func uuFiles(p *part, fallback string) []unpackedFile {
	if !uuCandidate(p) {
		return nil
	}
	_, uf := splitUU(decodeTransfer(p.body, p.cte), false)
	if len(uf) == 0 {
		return nil
	}
	cs := p.charset()
	if cs == "" {
		cs = fallback
	}
	files := make([]unpackedFile, len(uf))
	for i, f := range uf {
		files[i] = unpackedFile{name: decodeCharset(cs, f.name), data: f.data}
	}
	return files
}

// describeUnpacked makes the Attachment for the file at index i of kind
// 't' or 'u' inside part p.
func describeUnpacked(p *part, kind byte, i int, f unpackedFile) Attachment {
	id := p.id + "." + string(kind) + strconv.Itoa(i+1)
	mt := f.mediaType
	if mt == "" || mt == "application/octet-stream" {
		if t := typeByExtension(f.name); t != "" {
			mt = t
		}
	}
	if mt == "" {
		mt = "application/octet-stream"
	}
	name := safeFilename(f.name, 200)
	if name == "" {
		name = "attachment-" + id + extensionFor(mt)
	}
	a := Attachment{ID: id, Filename: name, ContentType: mt, Size: int64(len(f.data)), ContentID: f.contentID}
	if strings.HasPrefix(mt, "text/") {
		a.Charset = f.charset
	}
	return a
}

// unpackedAttachments describes the files inside a part of the given kind.
func unpackedAttachments(p *part, kind byte, files []unpackedFile) []Attachment {
	out := make([]Attachment, len(files))
	for i, f := range files {
		out[i] = describeUnpacked(p, kind, i, f)
	}
	return out
}

// typesByExtension gives the media type of the files that TNEF and
// uuencoded blocks name without one.
var typesByExtension = map[string]string{
	".pdf": "application/pdf", ".zip": "application/zip", ".gz": "application/gzip",
	".doc": "application/msword", ".dot": "application/msword", ".rtf": "application/rtf",
	".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".png":  "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff", ".webp": "image/webp",
	".mp3": "audio/mpeg", ".wav": "audio/wav", ".mp4": "video/mp4",
	".txt": "text/plain", ".htm": "text/html", ".html": "text/html", ".csv": "text/csv",
	".ics": "text/calendar", ".vcf": "text/vcard", ".eml": "message/rfc822",
	".xml": "application/xml", ".json": "application/json",
}

func typeByExtension(name string) string {
	return typesByExtension[strings.ToLower(path.Ext(name))]
}
