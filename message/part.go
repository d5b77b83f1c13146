package message

import (
	"fmt"
	"strings"
)

// Part returns the decoded bytes of the leaf part id (transfer encoding
// removed; text keeps its charset, given in Attachment.Charset) with its
// description. id may also name a file inside a part ("2.t1", "1.u1"; see
// unpack.go). It returns ErrNoPart when the message has no such part.
func Part(raw []byte, id string) (a Attachment, data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, data, err = Attachment{}, nil, fmt.Errorf("message: part %q: %s", id, internalError)
		}
	}()
	if !partIDRe.MatchString(id) {
		return Attachment{}, nil, ErrNoPart
	}
	return partOf(parse(raw), id)
}

// Parts returns the decoded bytes of several leaf parts, as Part does each,
// from one parse of raw, in the order of ids. It returns ErrNoPart when the
// message has no part of one of them.
func Parts(raw []byte, ids []string) (as []Attachment, datas [][]byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			as, datas, err = nil, nil, fmt.Errorf("message: parts: %s", internalError)
		}
	}()
	for _, id := range ids {
		if !partIDRe.MatchString(id) {
			return nil, nil, ErrNoPart
		}
	}
	ps := parse(raw)
	for _, id := range ids {
		a, data, err := partOf(ps, id)
		if err != nil {
			return nil, nil, err
		}
		as, datas = append(as, a), append(datas, data)
	}
	return as, datas, nil
}

// partOf is the part id of a parsed message.
func partOf(ps *parsed, id string) (Attachment, []byte, error) {
	leaf, kind, index, ok := splitPartID(id)
	if !ok {
		return Attachment{}, nil, ErrNoPart
	}
	p := ps.root.find(leaf)
	if p == nil {
		return Attachment{}, nil, ErrNoPart
	}
	if kind != 0 {
		var files []unpackedFile
		switch kind {
		case 't':
			files, _ = tnefFiles(p)
		case 'u':
			files = uuFiles(p, ps.fallback)
		}
		if index >= len(files) {
			return Attachment{}, nil, ErrNoPart
		}
		return describeUnpacked(p, kind, index, files[index]), files[index].data, nil
	}
	data := decodeTransfer(p.body, p.cte)
	a := describe(p, ps.fallback)
	a.Size = int64(len(data))
	if p.contentID != "" {
		a.Inline = referencedFromHTML(ps.root, p.contentID)
	}
	return a, data, nil
}

// referencedFromHTML reports whether the message's HTML body refers to the
// Content-ID cid. It is the cheap approximation of what Render finds while
// sanitizing.
func referencedFromHTML(root *part, cid string) bool {
	pl := planBody(root)
	needle := "cid:" + strings.ToLower(cid)
	for _, it := range pl.items {
		if !it.isHTML || len(it.p.body) > 4*maxRenderBytes {
			continue
		}
		if strings.Contains(strings.ToLower(string(decodeHTMLPart(it.p, 0))), needle) {
			return true
		}
	}
	return false
}

// AttachedMessage is a whole message attached to another: its part id and
// its bytes with the transfer encoding removed.
type AttachedMessage struct {
	ID  string
	Raw []byte
}

// AttachedMessages returns the messages attached to raw (the parts Render
// lists with Attachment.Message set), at most max, from one parse.
func AttachedMessages(raw []byte, max int) (out []AttachedMessage) {
	defer func() {
		if r := recover(); r != nil {
			out = nil
		}
	}()
	for _, l := range planBody(parse(raw).root).listed {
		if len(out) >= max {
			break
		}
		if isMessageType(l.p.mediaType) {
			out = append(out, AttachedMessage{ID: l.p.id, Raw: decodeTransfer(l.p.body, l.p.cte)})
		}
	}
	return out
}
