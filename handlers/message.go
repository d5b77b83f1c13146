package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/web"
)

// Policies for sender content. The body document may show inline images
// (our own URLs and data:), remote images only when the reader asked, and
// nothing else; it is sandboxed without scripts (the sandbox the frame has,
// web.BodyFrameSandbox: its same-origin access only lets the page measure
// it), and may only be framed by the app. A part served on its own is sandboxed
// with nothing allowed.
const (
	bodyCSP       = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
	bodyCSPRemote = " https: http:"
	bodyCSPTail   = "; frame-ancestors 'self'; sandbox " + web.BodyFrameSandbox
	partCSP       = "default-src 'none'; sandbox"
)

// How long a signed inline-image URL stays valid. The body document that
// carries them is never cached, so every view signs afresh, and the
// browser fetches the images as the document loads: an hour leaves room
// for a page left open, while a URL copied out of it (into a history, a
// log, a chat) is soon useless. Ending the session ends it sooner.
const partURLTTL = time.Hour

// loadMessage returns one of the user's messages and its raw bytes.
func (h *Handler) loadMessage(r *http.Request, userID int64) (db.MessageSummary, []byte, error) {
	id, ok := idParam(r, "id")
	if !ok {
		return db.MessageSummary{}, nil, db.ErrNotFound
	}
	sum, err := h.db.Message(r.Context(), userID, id)
	if err != nil {
		return sum, nil, err
	}
	raw, err := h.db.MessageRaw(r.Context(), userID, id)
	return sum, raw, err
}

// message shows the message page, and marks the message read.
func (h *Handler) message(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	st := state(r)
	sum, raw, err := h.loadMessage(r, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !sum.Flags.Has(db.FlagSeen) {
		if err := h.db.SetSeen(ctx, u.ID, []int64{sum.ID}, true); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}

	idStr := strconv.FormatInt(sum.ID, 10)
	self := "/mail/" + idStr

	boxes, err := h.db.Mailboxes(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in db.Mailbox
	for _, b := range boxes {
		if b.ID == sum.MailboxID {
			in = b
		}
	}
	defaultBack, section := mailboxHome(in)
	back := localPath(r.URL.Query().Get("back"), defaultBack)
	list, ok := parseList(back)
	if !ok || !strings.HasPrefix(back, "/mail") {
		back = defaultBack
		list, _ = parseList(back)
	}
	th, asThread, err := h.threadOf(r, u, sum, list)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if asThread {
		h.threadPage(w, r, u, sum, th, back, list, boxes, accounts, section)
		return
	}
	// The page does not show the HTML itself (the frame loads it from
	// /body), so it is rendered with remote content blocked: RemoteBlocked
	// then says whether the message has any.
	view := message.Render(raw, message.RenderOptions{PartURL: h.partURLs(r, sum.ID)})
	subject := view.Subject
	if subject == "" {
		subject = sum.Subject
	}
	subject = subjectOrPlaceholder(r, subject)
	v := web.MessageView{
		Chrome:      h.chrome(r, subject, section, 0, accounts),
		ID:          sum.ID,
		Subject:     subject,
		From:        webAddresses(view.From),
		To:          webAddresses(view.To),
		Cc:          webAddresses(view.Cc),
		ReplyTo:     webAddresses(view.ReplyTo),
		Account:     sum.AccountName,
		Trashed:     sum.TrashedAt != nil,
		Junk:        in.Role == db.MailboxJunk,
		Starred:     sum.Flags.Has(db.FlagFlagged),
		Notice:      doneNotice(r),
		BackURL:     back,
		ReturnPath:  back,
		RawURL:      self + "/raw",
		DownloadURL: self + "/raw?download=1",
		Events:      view.Events,
		Zone:        st.tz,
	}
	v.Chrome.Sidebar = sidebar(ctx, boxes, list.key(), list.mailboxID)
	if !v.Trashed {
		v.MoveTo = moveTargets(ctx, boxes, in.ID)
	}
	if v.Undo, err = h.undoNotice(r, u.ID, self+"?back="+url.QueryEscape(back)); err != nil {
		h.fail(w, r, err)
		return
	}
	lq := list.query()
	lq.Conversations = u.Conversations
	newer, older, err := h.messages.Neighbours(ctx, u.ID, lq, sum.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.NewerURL, v.OlderURL = messageURL(newer, back), messageURL(older, back)
	for _, a := range accounts {
		if a.Outgoing.Configured() {
			v.ReplyURL, v.ReplyAllURL, v.ForwardURL = self+"/reply", self+"/reply-all", self+"/forward"
			v.ForwardAttachedURL = self + "/forward-attached"
			break
		}
	}
	if !view.Date.IsZero() {
		v.Date = i18n.FromContext(ctx).Date(view.Date, st.tz)
	} else {
		v.Date = i18n.FromContext(ctx).Date(sum.ReceivedAt, st.tz)
	}
	if len(v.From) == 0 && (sum.FromName != "" || sum.FromAddr != "") {
		v.From = []web.Address{{Name: sum.FromName, Addr: sum.FromAddr}}
	}
	for _, hd := range view.Headers {
		v.Headers = append(v.Headers, web.Header{Key: hd.Key, Value: hd.Value})
	}
	switch {
	case view.ParseError != "":
		h.log.Debug("showing a message's source", "message", sum.ID, "reason", view.ParseError)
		v.ParseError = true
		v.Raw = strings.ToValidUTF8(string(raw), "\uFFFD")
	case view.HTML != "":
		if err := h.remoteChoice(r, &v, view, back); err != nil {
			h.fail(w, r, err)
			return
		}
	case strings.TrimSpace(view.Text) != "":
		v.Text = web.Linkify(view.Text)
	default:
		v.NoBody = true
	}
	if !v.ParseError {
		v.Nested = h.nestedMessages(r, raw, self)
	}
	v.Attachments = attachmentList(i18n.FromContext(ctx), view.Attachments, self, v.BodyURL != "")
	h.render(w, r, http.StatusOK, web.MessagePage(v))
}

// mailboxHome is the list a message of mailbox in goes back to, and the
// top bar's section for it.
func mailboxHome(in db.Mailbox) (string, string) {
	switch in.Role {
	case db.MailboxSent:
		return sentPath, web.SectionSent
	case db.MailboxTrash:
		return trashPath, web.SectionTrash
	case db.MailboxArchive:
		return archivePath, ""
	case db.MailboxJunk:
		return junkPath, ""
	case "":
		return foldersPath + "/" + strconv.FormatInt(in.ID, 10), ""
	}
	return inboxPath, web.SectionInbox
}

// attachmentList lists a message's attachments for its page. Images
// shown in the HTML body are not listed again, unless the body is not
// shown as HTML.
func attachmentList(loc *i18n.Locale, parts []message.Attachment, self string, htmlShown bool) []web.Attachment {
	var out []web.Attachment
	for _, a := range parts {
		if a.Inline && htmlShown {
			continue
		}
		out = append(out, web.Attachment{
			Name:    a.Filename,
			Type:    a.ContentType,
			Size:    loc.Size(a.Size),
			URL:     self + "/part/" + url.PathEscape(a.ID),
			Preview: inlineTypes[a.ContentType] && a.Size <= maxPreviewBytes,
		})
	}
	return out
}

// maxNestedShown bounds the attached messages shown on a message's page;
// the others are in the list of attachments.
const maxNestedShown = 5

// nestedMessages prepares the messages attached to this one for showing
// below its body. Their remote content stays blocked, and their own
// inline images and attachments are in their .eml download.
func (h *Handler) nestedMessages(r *http.Request, raw []byte, self string) []web.NestedMessageView {
	loc, tz := i18n.FromContext(r.Context()), state(r).tz
	var out []web.NestedMessageView
	for _, m := range message.AttachedMessages(raw, maxNestedShown) {
		nv := message.Render(m.Raw, message.RenderOptions{})
		n := web.NestedMessageView{
			Subject:     subjectOrPlaceholder(r, nv.Subject),
			From:        webAddresses(nv.From),
			To:          webAddresses(nv.To),
			Cc:          webAddresses(nv.Cc),
			DownloadURL: self + "/part/" + url.PathEscape(m.ID),
			ParseError:  nv.ParseError != "",
		}
		if !nv.Date.IsZero() {
			n.Date = loc.Date(nv.Date, tz)
		}
		switch {
		case nv.HTML != "":
			n.BodyURL = self + "/body?part=" + url.QueryEscape(m.ID)
		default:
			n.Text = web.Linkify(nv.Text)
		}
		out = append(out, n)
	}
	return out
}

func webAddresses(as []message.Address) []web.Address {
	out := make([]web.Address, 0, len(as))
	for _, a := range as {
		out = append(out, web.Address{Name: a.Name, Addr: a.Addr})
	}
	return out
}

// messageBody serves the sanitized HTML body as its own document, for the
// sandboxed iframe on the message page, with a policy of its own.
func (h *Handler) messageBody(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	sum, raw, err := h.loadMessage(r, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	remote := r.URL.Query().Get("remote") == "1"
	opts := message.RenderOptions{AllowRemote: remote, PartURL: h.partURLs(r, sum.ID)}
	if partID := r.URL.Query().Get("part"); partID != "" {
		// An attached message's body: remote content blocked, no inline
		// images of its own (see nestedMessages).
		a, data, err := message.Part(raw, partID)
		if err != nil || !a.Message {
			h.notFound(w, r)
			return
		}
		raw, remote, opts = data, false, message.RenderOptions{}
	}
	view := message.Render(raw, opts)
	if view.HTML == "" {
		h.notFound(w, r)
		return
	}
	csp := bodyCSP
	if remote {
		csp += bodyCSPRemote
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp+bodyCSPTail)
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(view.HTML)))
	_, _ = w.Write([]byte(view.HTML))
}

// messageRaw serves the message exactly as it was received: as text to
// read, or with ?download=1 as an .eml file named after the subject.
func (h *Handler) messageRaw(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	sum, raw, err := h.loadMessage(r, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", partCSP)
	if r.URL.Query().Get("download") == "1" {
		name := sum.Subject
		if strings.TrimSpace(name) == "" {
			name = "message-" + strconv.FormatInt(sum.ID, 10)
		}
		hd.Set("Content-Type", "message/rfc822")
		hd.Set("Content-Disposition", contentDisposition("attachment", truncateRunes(name, 100)+".eml"))
	} else {
		hd.Set("Content-Type", "text/plain; charset=utf-8")
	}
	hd.Set("Content-Length", strconv.Itoa(len(raw)))
	_, _ = w.Write(raw)
}

// inlineTypes may be shown by the browser itself; anything else is
// downloaded.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// activeType reports whether ct could run script or be rendered as a page if
// served as such; such parts are only ever served as opaque downloads.
func activeType(ct string) bool {
	switch {
	case ct == "text/html", ct == "image/svg+xml", ct == "application/xhtml+xml",
		ct == "text/xml", ct == "application/xml", ct == "text/xsl", ct == "text/javascript",
		ct == "application/javascript", ct == "application/ecmascript", ct == "text/ecmascript",
		strings.HasSuffix(ct, "+xml"), strings.HasPrefix(ct, "multipart/"):
		return true
	}
	return false
}

// maxPreviewBytes is the largest image attachment the message page shows
// a preview of.
const maxPreviewBytes = 20 << 20

// messagePart serves one part's decoded bytes: safe images inline, the
// rest as attachments, never anything a browser would run. It is reached
// with the session, or with the signed URL the HTML body's inline images
// use (a sandboxed document's requests may carry no cookies).
func (h *Handler) messagePart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	partID := chi.URLParam(r, "part")
	msgID, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	var userID int64
	if u := currentUser(r); u != nil {
		userID = u.ID
	} else if uid, sid, ok := h.checkPartToken(r.URL.Query().Get("t"), msgID, partID); ok {
		// A genuine signature, but only as good as the session it was
		// made in: logged out, expired, ended by a password change or a
		// disabled user, and it opens nothing.
		live, err := h.partSessionLive(ctx, uid, sid)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !live {
			h.notFound(w, r)
			return
		}
		userID = uid
	} else {
		redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()))
		return
	}
	raw, err := h.db.MessageRaw(ctx, userID, msgID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, data, err := message.Part(raw, partID)
	if errors.Is(err, message.ErrNoPart) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ct := a.ContentType
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	disposition := "attachment"
	switch {
	case inlineTypes[ct]:
		disposition = "inline"
	case activeType(ct):
		ct = "application/octet-stream"
	case strings.HasPrefix(ct, "text/") && a.Charset != "":
		ct = mime.FormatMediaType(ct, map[string]string{"charset": a.Charset})
		if ct == "" {
			ct = "application/octet-stream"
		}
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", partCSP)
	hd.Set("Content-Type", ct)
	hd.Set("Content-Disposition", contentDisposition(disposition, a.Filename))
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	hd.Set("Cache-Control", "private, no-store")
	_, _ = w.Write(data)
}

// contentDisposition builds a Content-Disposition value with the file
// name both as RFC 5987 UTF-8 (filename*, RFC 6266) for any language and
// as a plain ASCII fallback for old clients.
func contentDisposition(kind, name string) string {
	name = strings.Map(func(c rune) rune {
		switch {
		case c < 0x20 || c == 0x7f, c == '/', c == '\\':
			return '_'
		}
		return c
	}, strings.ToValidUTF8(name, "_"))
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		name = "attachment"
	}
	var ascii strings.Builder
	for _, c := range name {
		switch {
		case c == '"' || c == '%' || c == ';':
			ascii.WriteByte('_')
		case c < utf8.RuneSelf:
			ascii.WriteRune(c)
		default:
			ascii.WriteByte('_')
		}
	}
	return kind + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + rfc5987Escape(name)
}

// rfc5987Escape percent-encodes everything but RFC 5987's attr-char.
func rfc5987Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// partURLs returns the PartURL for rendering a message's HTML body: a URL
// for each part, signed for the request's user and session, this message
// and part, valid for partURLTTL or until the session ends. Without a
// session (which requireUser rules out) the URLs carry no signature and
// work only with the cookie.
func (h *Handler) partURLs(r *http.Request, msgID int64) func(string) string {
	prefix := "/mail/" + strconv.FormatInt(msgID, 10) + "/part/"
	st := state(r)
	if st.user == nil || st.tokenHash == nil {
		return func(partID string) string { return prefix + url.PathEscape(partID) }
	}
	exp := h.now().Add(partURLTTL).Unix()
	sid := h.partSessionID(st.tokenHash)
	return func(partID string) string {
		return prefix + url.PathEscape(partID) + "?t=" + h.partToken(st.user.ID, sid, msgID, partID, exp)
	}
}

// Sizes, in bytes, of a part URL's session id and signature: enough to
// tell a user's few sessions apart and to make forging hopeless (a
// 128-bit HMAC), while keeping the URLs short.
const (
	partSessionIDBytes = 9
	partMACBytes       = 16
)

// partSessionID names a session in a part URL: a keyed hash of the
// session's token hash, so the URL reveals neither the token (which is
// the cookie's secret) nor the row a copy of the database would show.
func (h *Handler) partSessionID(tokenHash []byte) string {
	m := hmac.New(sha256.New, h.partKey)
	m.Write([]byte("part-url session\x00"))
	m.Write(tokenHash)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:partSessionIDBytes])
}

// partToken is "<user>.<session>.<expiry>.<HMAC-SHA256 of user, session,
// message, part, expiry>", the HMAC cut to partMACBytes.
func (h *Handler) partToken(userID int64, sid string, msgID int64, partID string, exp int64) string {
	u, e := strconv.FormatInt(userID, 10), strconv.FormatInt(exp, 10)
	mac := h.partMAC(u, sid, strconv.FormatInt(msgID, 10), partID, e)
	return u + "." + sid + "." + e + "." + base64.RawURLEncoding.EncodeToString(mac)
}

func (h *Handler) partMAC(user, sid, msg, part, exp string) []byte {
	m := hmac.New(sha256.New, h.partKey)
	m.Write([]byte("part-url\x00" + user + "\x00" + sid + "\x00" + msg + "\x00" + part + "\x00" + exp))
	return m.Sum(nil)[:partMACBytes]
}

// checkPartToken returns the user and session a valid, unexpired token
// was signed for. It reads no database: whether the session still lives
// is partSessionLive's question, asked only of genuine signatures.
func (h *Handler) checkPartToken(token string, msgID int64, partID string) (int64, string, bool) {
	fields := strings.Split(token, ".")
	if len(fields) != 4 {
		return 0, "", false
	}
	user, sid, exp, sig := fields[0], fields[1], fields[2], fields[3]
	uid, err1 := strconv.ParseInt(user, 10, 64)
	e, err2 := strconv.ParseInt(exp, 10, 64)
	got, err3 := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err1 != nil || err2 != nil || err3 != nil || uid <= 0 || h.now().Unix() > e {
		return 0, "", false
	}
	want := h.partMAC(user, sid, strconv.FormatInt(msgID, 10), partID, exp)
	if !hmac.Equal(got, want) {
		return 0, "", false
	}
	return uid, sid, true
}

// partSessionLive reports whether the session a part URL names is still
// one of the user's live sessions (and the user is enabled).
func (h *Handler) partSessionLive(ctx context.Context, userID int64, sid string) (bool, error) {
	hashes, err := h.db.LiveSessions(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, th := range hashes {
		if hmac.Equal([]byte(h.partSessionID(th)), []byte(sid)) {
			return true, nil
		}
	}
	return false, nil
}

// messageURL is the page of message id, with the way back to back; "" for
// no message (id 0).
func messageURL(id int64, back string) string {
	if id == 0 {
		return ""
	}
	return "/mail/" + strconv.FormatInt(id, 10) + "?back=" + url.QueryEscape(back)
}
