package message

import (
	"strings"
)

// bodyPlan says which parts make up the displayed body and which are
// listed as attachments. Nothing is decoded yet.
type bodyPlan struct {
	texts  []*part      // text parts whose decoded text, joined, is View.Text
	items  []htmlItem   // what the HTML view shows, in order
	listed []listedPart // parts to list as attachments, in order
}

// htmlItem is a piece of the HTML view: an HTML part, or a text part shown
// as preformatted text between HTML parts.
type htmlItem struct {
	p      *part
	isHTML bool
}

type listedPart struct {
	p        *part
	resource bool // a non-root part of a multipart/related
}

func (b *bodyPlan) hasHTML() bool {
	for _, it := range b.items {
		if it.isHTML {
			return true
		}
	}
	return false
}

// textScore ranks a plan's text for multipart/alternative: text/plain is
// preferred to other text types.
func (b *bodyPlan) textScore() int {
	if len(b.texts) == 0 {
		return 0
	}
	if b.texts[0].mediaType == "text/plain" {
		return 2
	}
	return 1
}

type leafKind int

const (
	leafAttachment leafKind = iota
	leafText
	leafHTML
	leafHidden // protocol parts: signatures, the PGP/MIME version part
)

func classifyLeaf(p *part) leafKind {
	if par := p.parent; par != nil && len(par.children) > 0 {
		first := par.children[0] == p
		switch par.mediaType {
		case "multipart/signed":
			if !first {
				return leafHidden
			}
		case "multipart/encrypted":
			if first && p.mediaType == "application/pgp-encrypted" {
				return leafHidden
			}
		}
	}
	if p.disposition == "attachment" {
		return leafAttachment
	}
	switch p.mediaType {
	case "text/html", "application/xhtml+xml":
		return leafHTML
	case "text/plain", "text/enriched", "text/richtext", "text/rfc822-headers",
		"text/markdown", "text/x-markdown", "text/x-patch", "text/x-diff",
		"message/delivery-status", "message/global-delivery-status",
		"message/disposition-notification", "message/global-disposition-notification",
		"message/feedback-report", "message/global-headers":
		return leafText
	}
	return leafAttachment
}

// planBody decides what is shown and what is listed.
func planBody(p *part) bodyPlan {
	if p == nil {
		return bodyPlan{}
	}
	if p.isLeaf() {
		switch classifyLeaf(p) {
		case leafText:
			return bodyPlan{texts: []*part{p}, items: []htmlItem{{p: p}}}
		case leafHTML:
			return bodyPlan{items: []htmlItem{{p: p, isHTML: true}}}
		case leafHidden:
			return bodyPlan{}
		}
		return bodyPlan{listed: []listedPart{{p: p}}}
	}
	switch p.mediaType {
	case "multipart/alternative":
		return planAlternative(p)
	case "multipart/related":
		if pl, ok := planRelated(p); ok {
			return pl
		}
	case "multipart/signed":
		if len(p.children) > 0 {
			pl := planBody(p.children[0])
			for _, c := range p.children[1:] {
				pl.append(planBody(c)) // hidden leaves add nothing
			}
			return pl
		}
	}
	var pl bodyPlan
	for _, c := range p.children {
		pl.append(planBody(c))
	}
	return pl
}

func (b *bodyPlan) append(o bodyPlan) {
	b.texts = append(b.texts, o.texts...)
	b.items = append(b.items, o.items...)
	b.listed = append(b.listed, o.listed...)
}

// planAlternative picks the last HTML alternative for the HTML view and
// the last (plain, if any) text alternative for the text view (RFC 2046
// section 5.1.4: the last alternative is the preferred one). Attachments
// inside any alternative are listed, as are alternatives that are neither
// (e.g. a text/calendar invitation).
func planAlternative(p *part) bodyPlan {
	subs := make([]bodyPlan, len(p.children))
	htmlIdx, textIdx, bestText := -1, -1, 0
	for i, c := range p.children {
		subs[i] = planBody(c)
		if subs[i].hasHTML() {
			htmlIdx = i
		}
		if s := subs[i].textScore(); s > 0 && s >= bestText {
			textIdx, bestText = i, s
		}
	}
	var out bodyPlan
	switch {
	case htmlIdx >= 0:
		out.items = subs[htmlIdx].items
	case textIdx >= 0:
		out.items = subs[textIdx].items
	}
	if textIdx >= 0 {
		out.texts = subs[textIdx].texts
	}
	for _, s := range subs {
		out.listed = append(out.listed, s.listed...)
	}
	return out
}

// planRelated shows the root part (the "start" parameter, or the first
// part; RFC 2387) and lists the others as its resources.
func planRelated(p *part) (bodyPlan, bool) {
	if len(p.children) == 0 {
		return bodyPlan{}, false
	}
	root := p.children[0]
	if start := cleanContentID(p.params["start"]); start != "" {
		for _, c := range p.children {
			if c.contentID == start {
				root = c
				break
			}
		}
	}
	pl := planBody(root)
	if len(pl.items) == 0 && len(pl.texts) == 0 {
		return bodyPlan{}, false
	}
	for _, c := range p.children {
		if c == root {
			continue
		}
		c.walkLeaves(func(l *part) {
			if classifyLeaf(l) != leafHidden {
				pl.listed = append(pl.listed, listedPart{p: l, resource: true})
			}
		})
	}
	return pl, true
}

// countsAsAttachment says whether a listed part makes the message one "with
// attachments" in lists: an attachment by disposition, an attached message,
// or a named or unnamed non-text part that is not an inline image.
func countsAsAttachment(l listedPart) bool {
	p := l.p
	mt := p.mediaType
	switch {
	case strings.HasPrefix(mt, "message/"):
		return true
	case p.disposition == "attachment":
		return true
	case strings.HasPrefix(mt, "text/"):
		return false
	case strings.HasPrefix(mt, "image/") && p.disposition == "inline":
		return false
	case l.resource && p.contentID != "":
		return false
	}
	return true
}
