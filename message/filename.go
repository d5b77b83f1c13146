package message

import (
	"strings"
	"unicode/utf8"
)

// extensions for fallback file names.
var extensions = map[string]string{
	"application/pdf":          ".pdf",
	"application/zip":          ".zip",
	"application/gzip":         ".gz",
	"application/x-gzip":       ".gz",
	"application/json":         ".json",
	"application/xml":          ".xml",
	"application/msword":       ".doc",
	"application/rtf":          ".rtf",
	"application/ms-tnef":      ".dat",
	"application/vnd.ms-tnef":  ".dat",
	"application/vnd.ms-excel": ".xls",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/pgp-signature":                                                 ".asc",
	"application/pgp-encrypted":                                                 ".asc",
	"application/pgp-keys":                                                      ".asc",
	"application/pkcs7-signature":                                               ".p7s",
	"application/x-pkcs7-signature":                                             ".p7s",
	"application/pkcs7-mime":                                                    ".p7m",
	"application/x-pkcs7-mime":                                                  ".p7m",
	"application/octet-stream":                                                  ".bin",
	"image/png":                                                                 ".png",
	"image/jpeg":                                                                ".jpg",
	"image/jpg":                                                                 ".jpg",
	"image/pjpeg":                                                               ".jpg",
	"image/gif":                                                                 ".gif",
	"image/webp":                                                                ".webp",
	"image/bmp":                                                                 ".bmp",
	"image/tiff":                                                                ".tif",
	"image/svg+xml":                                                             ".svg",
	"audio/mpeg":                                                                ".mp3",
	"audio/ogg":                                                                 ".ogg",
	"audio/wav":                                                                 ".wav",
	"video/mp4":                                                                 ".mp4",
	"text/plain":                                                                ".txt",
	"text/html":                                                                 ".html",
	"text/calendar":                                                             ".ics",
	"text/vcard":                                                                ".vcf",
	"text/x-vcard":                                                              ".vcf",
	"text/csv":                                                                  ".csv",
	"text/rfc822-headers":                                                       ".txt",
	"message/rfc822":                                                            ".eml",
	"message/global":                                                            ".eml",
	"message/delivery-status":                                                   ".txt",
}

func extensionFor(mediaType string) string {
	if e, ok := extensions[mediaType]; ok {
		return e
	}
	switch {
	case strings.HasPrefix(mediaType, "text/"):
		return ".txt"
	case strings.HasPrefix(mediaType, "message/"):
		return ".eml"
	}
	return ".bin"
}

// isMessageType reports whether a part holds a whole message.
func isMessageType(mt string) bool {
	return mt == "message/rfc822" || mt == "message/global" || mt == "message/news"
}

// filenameFor returns the part's file name, decoded and made safe, or a
// name made from its id and type.
func filenameFor(p *part, fallback string) string {
	name := p.dispParams["filename"]
	if name == "" {
		name = p.params["name"]
	}
	if name == "" {
		name = p.dispParams["name"]
	}
	if isMessageType(p.mediaType) {
		if subj := embeddedSubject(p, fallback); subj != "" {
			// A subject is not a path: its slashes are kept as "_".
			subj = strings.NewReplacer("/", "_", "\\", "_").Replace(subj)
			if n := safeFilename(subj, 120); n != "" {
				return n + ".eml"
			}
		}
	}
	if n := safeFilename(name, 200); n != "" {
		return n
	}
	base := "attachment-"
	if isMessageType(p.mediaType) {
		base = "message-"
	}
	return base + p.id + extensionFor(p.mediaType)
}

// embeddedSubject reads the Subject of a message/rfc822 part.
func embeddedSubject(p *part, fallback string) string {
	body := p.body
	if p.cte != "" {
		// Only the header is needed; decode a bounded prefix.
		lim := body
		if len(lim) > 2*maxSnippetInput {
			lim = lim[:2*maxSnippetInput]
		}
		body = decodeTransfer(lim, p.cte)
	}
	h, _, _ := parseHeader(body)
	return decodeText(h.get("subject"), fallback)
}

// safeFilename makes a name safe to offer for download: the last path
// component only, no control or bidirectional-override characters, none
// of the characters Windows forbids, no leading dots, bounded length
// (keeping the extension). It returns "" when nothing usable is left.
func safeFilename(name string, maxBytes int) string {
	name = strings.TrimRight(strings.ToValidUTF8(name, "_"), "/\\ ")
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return ' '
		case r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') ||
			(r >= '\u2066' && r <= '\u2069') || r == '\ufeff' || r == '\u061c':
			return -1
		case strings.ContainsRune(`/\:*?"<>|`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if len(name) > maxBytes {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		keep := maxBytes - len(ext)
		for keep > 0 && !utf8.RuneStart(name[keep]) {
			keep--
		}
		name = strings.TrimRight(name[:keep], ". ") + ext
	}
	return name
}
