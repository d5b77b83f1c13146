package app

import (
	"context"
	"strings"
	"time"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/message"
)

// ReplyKind is how a new message answers a stored one.
type ReplyKind string

// The ways to answer.
const (
	Reply    ReplyKind = "reply"     // to the sender (or Reply-To)
	ReplyAll ReplyKind = "reply-all" // to the sender and every other recipient but oneself
	Forward  ReplyKind = "forward"   // to someone new, the original's text quoted and its files attached
	// ForwardAttached forwards the original itself, attached as an .eml file.
	ForwardAttached ReplyKind = "forward-attached"
)

// Prefill is a composer filled in from a stored message: from the account
// it came to, to whom the answer goes, the subject without stacked
// prefixes, the quoted or forwarded text, and the threading headers.
type Prefill struct {
	AccountID      int64
	To, Cc         []compose.Address
	Subject, Text  string
	InReplyTo      string   // the original's Message-ID, for a reply
	References     []string // the original's References and its Message-ID
	Original       int64
	OriginalFlag   db.Flag  // FlagAnswered or FlagForwarded once sent
	OriginalParts  []string // the original's files to attach (Forward)
	AttachOriginal bool     // attach the original itself, as an .eml (ForwardAttached)
}

// Wording is the translated text a prefill needs, which app cannot
// translate itself: the attribution line's pattern ("On %[1]s, %[2]s
// wrote:"), the forward's separator and field labels, and how dates are
// written for the reader.
type Wording struct {
	Attribution                        string
	ForwardSeparator                   string
	FromLabel, DateLabel, SubjectLabel string
	ToLabel, CcLabel                   string
	Date                               func(time.Time) string
}

// Prefill fills a composer to answer the user's message msgID. The
// original is named as the user's; another user's message is
// db.ErrNotFound.
func (s *Messages) Prefill(ctx context.Context, userID, msgID int64, kind ReplyKind, w Wording) (Prefill, error) {
	sum, err := s.db.Message(ctx, userID, msgID)
	if err != nil {
		return Prefill{}, err
	}
	raw, err := s.db.MessageRaw(ctx, userID, msgID)
	if err != nil {
		return Prefill{}, err
	}
	accounts, err := s.db.Accounts(ctx, userID)
	if err != nil {
		return Prefill{}, err
	}
	own := make([]string, 0, len(accounts))
	for _, a := range accounts {
		own = append(own, a.Email)
	}
	v := message.Render(raw, message.RenderOptions{})
	orig := compose.Original{From: addresses(v.From), ReplyTo: addresses(v.ReplyTo), To: addresses(v.To), Cc: addresses(v.Cc)}
	p := Prefill{AccountID: sum.AccountID, Original: msgID}
	date := ""
	if !v.Date.IsZero() && w.Date != nil {
		date = w.Date(v.Date)
	}
	text := message.QuotableText(v)
	switch kind {
	case Reply, ReplyAll:
		p.OriginalFlag = db.FlagAnswered
		p.Subject = compose.ReplySubject(v.Subject)
		if kind == ReplyAll {
			p.To, p.Cc = compose.ReplyAllRecipients(orig, own)
		} else {
			p.To = compose.ReplyRecipients(orig, own)
		}
		var from compose.Address
		if len(orig.From) > 0 {
			from = orig.From[0]
		}
		p.Text = "\n\n" + compose.QuoteForReply(text, compose.Attribution(w.Attribution, date, from))
		if v.MessageID != "" {
			p.InReplyTo = v.MessageID
			p.References = append(compose.ParseMsgIDs(headerValue(v, "References")), v.MessageID)
		}
	case Forward, ForwardAttached:
		p.OriginalFlag = db.FlagForwarded
		p.Subject = compose.ForwardSubject(v.Subject)
		if kind == ForwardAttached {
			// The original goes as it is; the text is the writer's own.
			p.AttachOriginal = true
			break
		}
		for _, a := range v.Attachments {
			p.OriginalParts = append(p.OriginalParts, a.ID)
		}
		fields := []compose.Field{{Label: w.SubjectLabel, Value: v.Subject}, {Label: w.DateLabel, Value: date},
			{Label: w.FromLabel, Value: addressList(v.From)}, {Label: w.ToLabel, Value: addressList(v.To)}}
		if len(v.Cc) > 0 {
			fields = append(fields, compose.Field{Label: w.CcLabel, Value: addressList(v.Cc)})
		}
		p.Text = "\n\n" + compose.ForwardedText(w.ForwardSeparator, fields, text)
	default:
		return Prefill{}, ErrUnknownAction
	}
	return p, nil
}

// headerValue is the first header field called name, decoded.
func headerValue(v *message.View, name string) string {
	for _, h := range v.Headers {
		if strings.EqualFold(h.Key, name) {
			return h.Value
		}
	}
	return ""
}

func addresses(in []message.Address) []compose.Address {
	out := make([]compose.Address, 0, len(in))
	for _, a := range in {
		if a.Addr != "" {
			out = append(out, compose.Address{Name: a.Name, Addr: a.Addr})
		}
	}
	return out
}

func addressList(in []message.Address) string {
	parts := make([]string, 0, len(in))
	for _, a := range in {
		switch {
		case a.Name != "" && a.Addr != "":
			parts = append(parts, a.Name+" <"+a.Addr+">")
		case a.Addr != "":
			parts = append(parts, a.Addr)
		default:
			parts = append(parts, a.Name)
		}
	}
	return strings.Join(parts, ", ")
}

// maxSuggestions bounds the addresses suggested while one is typed.
const maxSuggestions = 8

// SuggestAddresses proposes addresses for what is being typed in an
// address field: people the user received mail from or wrote to whose
// address or name starts with prefix, the most recent first.
func (s *Messages) SuggestAddresses(ctx context.Context, userID int64, prefix string) ([]compose.Address, error) {
	prefix = strings.TrimSpace(prefix)
	if prefix == "" || len(prefix) > 100 {
		return nil, nil
	}
	found, err := s.db.Contacts(ctx, userID, prefix, maxSuggestions)
	if err != nil {
		return nil, err
	}
	out := make([]compose.Address, 0, len(found))
	for _, c := range found {
		out = append(out, compose.Address{Name: c.Name, Addr: c.Addr})
	}
	return out, nil
}
