package compose

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// ReadPart is a file read back from a message: its name, its media type
// (message/rfc822 for a forwarded message) and its bytes with the transfer
// encoding removed, as they were attached.
type ReadPart struct {
	Name        string
	ContentType string
	Body        io.Reader // valid until each returns
}

// maxReadDepth bounds how deep multiparts nest in a message read back.
const maxReadDepth = 20

// ReadAttachments reads a message, such as Write wrote, in one pass and
// calls each with every part that is not its text: attachments, forwarded
// messages and inline images, in order, streamed. The text itself (the
// text/plain and text/html parts that are not attachments) is skipped.
// Text files keep their charset: their bytes are not converted.
func ReadAttachments(r io.Reader, each func(ReadPart) error) error {
	br := bufio.NewReader(r)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return fmt.Errorf("read attachments: %w", err)
	}
	return readEntity(h, br, 0, each)
}

func readEntity(h textproto.Header, body io.Reader, depth int, each func(ReadPart) error) error {
	mh := gomessage.Header{Header: h}
	mt, params, err := mh.ContentType()
	if err != nil || mt == "" {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxReadDepth {
			return errors.New("read attachments: multiparts nested too deep")
		}
		mr := textproto.NewMultipartReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read attachments: %w", err)
			}
			if err := readEntity(p.Header, p, depth+1, each); err != nil {
				return err
			}
		}
	}
	disp, _, _ := mh.ContentDisposition()
	name, _ := (&mail.AttachmentHeader{Header: mh}).Filename()
	if disp != "attachment" && name == "" && (mt == "text/plain" || mt == "text/html") {
		return nil // the text
	}
	if name == "" {
		name = "part" + extensionOf(mt)
	}
	dec, err := transferDecoder(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return fmt.Errorf("read attachments: %q: %w", name, err)
	}
	return each(ReadPart{Name: name, ContentType: mt, Body: dec})
}

// transferDecoder removes a part's transfer encoding (RFC 2045 §6).
func transferDecoder(cte string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return r, nil
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r), nil
	case "quoted-printable":
		return quotedprintable.NewReader(r), nil
	}
	return nil, fmt.Errorf("unknown transfer encoding %q", cte)
}

// extensionOf is the usual file extension of a media type, or "".
func extensionOf(mt string) string {
	if mt == "message/rfc822" {
		return ".eml"
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ""
}
