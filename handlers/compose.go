package handlers

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// Writing mail: the composer (new, reply, reply to all, forward) posts to
// /compose as multipart/form-data; its attachments are streamed to
// temporary files, never held whole in memory, and the message goes to
// the outbox (app.Outbox), which the sender delivers once the undo window
// is over.

const (
	composePath = "/compose"
	// maxUpload bounds a composer's whole request: the outbox's size
	// bound, and room for the form's fields. It is not raised by an
	// outgoing server that advertises more: what the outbox would refuse
	// is not worth reading.
	maxUpload = app.DefaultMaxSendSize + 2<<20
	// maxComposeField bounds one text field of the composer.
	maxComposeField = 1 << 20
)

// composeForm shows an empty composer, from ?account= if it can send.
func (h *Handler) composeForm(w http.ResponseWriter, r *http.Request) {
	if id, err := strconv.ParseInt(r.URL.Query().Get("draft"), 10, 64); err == nil && id > 0 {
		h.openDraft(w, r, id)
		return
	}
	account, _ := strconv.ParseInt(r.URL.Query().Get("account"), 10, 64)
	v, sig, err := h.composeView(r, i18n.T(r.Context(), "Write"), account)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.To = strings.TrimSpace(r.URL.Query().Get("to"))
	v.Text = withSignature("", sig)
	h.render(w, r, http.StatusOK, web.ComposePage(v))
}

// replyForm shows the composer filled in to answer or forward a message.
func (h *Handler) replyForm(kind app.ReplyKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id, ok := idParam(r, "id")
		if !ok {
			h.notFound(w, r)
			return
		}
		l, tz := i18n.FromContext(ctx), state(r).tz
		p, err := h.messages.Prefill(ctx, currentUser(r).ID, id, kind, app.Wording{
			// Translated with its own verbs as arguments: the pattern,
			// in the reader's language, for compose to fill in.
			Attribution:      i18n.T(ctx, "On %[1]s, %[2]s wrote:", "%[1]s", "%[2]s"),
			ForwardSeparator: i18n.T(ctx, "-------- Forwarded message --------"),
			FromLabel:        i18n.T(ctx, "From"), DateLabel: i18n.T(ctx, "Date"), SubjectLabel: i18n.T(ctx, "Subject"),
			ToLabel: i18n.T(ctx, "To"), CcLabel: i18n.T(ctx, "Cc"),
			Date: func(t time.Time) string { return l.Date(t, tz) },
		})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		title := map[app.ReplyKind]string{app.Reply: i18n.T(ctx, "Reply"), app.ReplyAll: i18n.T(ctx, "Reply all"),
			app.Forward: i18n.T(ctx, "Forward"), app.ForwardAttached: i18n.T(ctx, "Forward as attachment")}[kind]
		v, sig, err := h.composeView(r, title, p.AccountID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d := app.Draft{Original: p.Original, OriginalFlag: p.OriginalFlag, OriginalParts: p.OriginalParts, AttachOriginal: p.AttachOriginal}
		d.To, d.Cc, d.Subject, d.Text = p.To, p.Cc, p.Subject, withSignature(p.Text, sig)
		d.InReplyTo, d.References = p.InReplyTo, p.References
		if err := h.fillComposer(r, &v, app.Undone{Draft: d}); err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusOK, web.ComposePage(v))
	}
}

// threadFields are the hidden fields that carry what a message answers or
// forwards through the composer: the original, whether it is a forward, the
// original's files it attaches (original_part) or the original itself
// (attach_original), and the threading headers. draftFromForm reads them
// back.
func threadFields(d app.Draft) []web.HiddenField {
	var out []web.HiddenField
	if d.Original > 0 {
		kind := "reply"
		if d.OriginalFlag == db.FlagForwarded {
			kind = "forward"
		}
		out = append(out, web.HiddenField{Name: "original", Value: strconv.FormatInt(d.Original, 10)}, web.HiddenField{Name: "kind", Value: kind})
		for _, p := range d.OriginalParts {
			out = append(out, web.HiddenField{Name: "original_part", Value: p})
		}
		if d.AttachOriginal {
			out = append(out, web.HiddenField{Name: "attach_original", Value: "1"})
		}
	}
	if d.InReplyTo != "" {
		out = append(out, web.HiddenField{Name: "in_reply_to", Value: d.InReplyTo},
			web.HiddenField{Name: "references", Value: strings.Join(d.References, " ")})
	}
	return out
}

// Values of the composer's "remove" checkboxes: a file kept with the draft
// (file-ID), a file of the original (part-ID), the original itself.
const (
	removeFilePrefix = "file-"
	removePartPrefix = "part-"
	removeOriginal   = "original"
)

// composeFiles are the composer's rows of files to send.
func composeFiles(ctx context.Context, files []app.AttachedFile) []web.ComposeFile {
	l := i18n.FromContext(ctx)
	out := make([]web.ComposeFile, 0, len(files))
	for _, f := range files {
		remove := removeOriginal
		switch {
		case f.ID > 0:
			remove = removeFilePrefix + strconv.FormatInt(f.ID, 10)
		case f.Part != "":
			remove = removePartPrefix + f.Part
		}
		out = append(out, web.ComposeFile{Remove: remove, Name: f.Name, Size: l.Size(f.Size)})
	}
	return out
}

// withSignature puts the signature, under the usual "-- " line, after
// what the writer will type and before any quoted or forwarded text.
func withSignature(rest, sig string) string {
	if sig == "" {
		return rest
	}
	return "\n\n-- \n" + sig + rest
}

// composeView is the composer's frame: the accounts that can send, the
// chosen one selected, each with how much its attachments may add up to,
// and a new compose key (fillComposer keeps a message's own); signature is
// that account's (or the first one's).
func (h *Handler) composeView(r *http.Request, title string, accountID int64) (v web.ComposeView, signature string, err error) {
	u := currentUser(r)
	accounts, err := h.db.Accounts(r.Context(), u.ID)
	if err != nil {
		return web.ComposeView{}, "", err
	}
	l := i18n.FromContext(r.Context())
	v = web.ComposeView{Chrome: h.chrome(r, title, web.SectionCompose, 0, accounts), SettingsURL: "/settings",
		MaxAttachmentsHuman: l.Size(app.AttachmentsLimit(h.outbox.MaxSize)), MaxHTML: maxComposeField, ComposeKey: app.NewComposeKey()}
	for _, a := range accounts {
		if !a.Outgoing.Configured() {
			continue
		}
		limit := l.Size(app.AttachmentsLimit(h.outbox.SizeLimit(a)))
		if a.ID == accountID || len(v.Accounts) == 0 {
			signature, v.MaxAttachmentsHuman = a.Signature, limit
		}
		label := a.Email
		if a.DisplayName != "" {
			label = a.DisplayName + " <" + a.Email + ">"
		}
		v.Accounts = append(v.Accounts, web.SendingAccount{Option: web.Option{Value: strconv.FormatInt(a.ID, 10), Label: label,
			Selected: a.ID == accountID}, MaxAttachments: limit})
	}
	return v, signature, nil
}

// upload is an attachment received with the composer, in a temporary file.
type upload struct {
	name, contentType, path string
}

// composeInput is what the composer sent: its fields, its files (in
// temporary files), and the names of the files not kept (with no dir, or
// past the size bound).
type composeInput struct {
	fields  url.Values
	uploads []upload
	lost    []string
	tooBig  bool
	// htmlTooLong: the formatted text was over maxComposeField, and is not
	// in fields.
	htmlTooLong bool
}

// readCompose reads the composer's form, streaming its files into dir; with
// no dir (the autosave), only the files' names are kept.
func readCompose(r *http.Request, dir string) (composeInput, error) {
	in := composeInput{fields: url.Values{}}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return in, err
		}
		in.fields = r.PostForm
		return in, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return in, err
	}
	var total int64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		if err != nil {
			return in, err
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, maxComposeField+1))
			if err == nil && len(b) > maxComposeField && part.FormName() == "html" {
				// Its markup makes it the field most likely to grow
				// past the bound: say so by the message.
				in.htmlTooLong = true
				if _, err := io.Copy(io.Discard, part); err != nil {
					return in, err
				}
				continue
			}
			if err != nil || len(b) > maxComposeField {
				return in, errors.New("compose: a field is too large")
			}
			in.fields.Add(part.FormName(), string(b))
			continue
		}
		if part.FormName() != "attachments" {
			_, _ = io.Copy(io.Discard, part)
			continue
		}
		if dir == "" || in.tooBig { // the autosave, or past the bound: only the name is kept
			_, _ = io.Copy(io.Discard, part)
			in.lost = append(in.lost, part.FileName())
			continue
		}
		f, err := os.CreateTemp(dir, "attachment-*")
		if err != nil {
			return in, err
		}
		n, err := io.Copy(f, io.LimitReader(part, app.DefaultMaxSendSize-total+1))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return in, err
		}
		total += n
		if total > app.DefaultMaxSendSize {
			in.tooBig = true
			in.lost = append(in.lost, part.FileName())
			continue
		}
		in.uploads = append(in.uploads, upload{name: part.FileName(), contentType: part.Header.Get("Content-Type"), path: f.Name()})
	}
}

// sendMessage saves the composer's form as a draft, its files with it,
// then puts the message in the outbox and shows the outbox, where it can be
// taken back for a few seconds; with "Save draft", it only saves. When
// something is wrong, the composer is shown again with the draft: what was
// written and uploaded is kept.
func (h *Handler) sendMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	dir, err := os.MkdirTemp("", "apartado-upload-")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer os.RemoveAll(dir)
	in, err := readCompose(r, dir)
	if err != nil {
		h.log.Info("reading a composed message", "user", u.ID, "err", err)
		h.badRequest(w, r)
		return
	}
	f := in.fields
	accountID, _ := strconv.ParseInt(f.Get("account"), 10, 64)
	d, problems := h.draftFromForm(in)
	if in.htmlTooLong {
		// Saving now would replace the draft's formatted text (as the
		// autosave last kept it) with what is left without it: say what
		// is wrong and keep the draft as it is.
		d.DraftID, _ = strconv.ParseInt(f.Get("draft"), 10, 64)
		h.renderComposeErrors(w, r, in, d, accountID, append(problems, htmlTooLong))
		return
	}
	id, saveProblems, err := h.saveComposed(r, in, d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if id != 0 {
		d.Attachments, d.DraftID = nil, id // the uploads are kept with the draft now
	} else if f.Get("action") != "draft" {
		// Not saved (too many drafts): it can still be sent as it is.
		saveProblems = slices.DeleteFunc(saveProblems, func(p app.Problem) bool { return p.Field == app.FieldDraft })
	}
	problems = append(problems, saveProblems...)
	if f.Get("action") == "draft" {
		if len(problems) > 0 || in.tooBig {
			h.renderComposeErrors(w, r, in, d, accountID, problems)
			return
		}
		redirect(w, r, "/drafts?done="+doneDraftSaved)
		return
	}
	var m db.OutboxMessage
	if len(problems) == 0 && !in.tooBig { // never without the attachments left out
		m, err = h.outbox.Send(ctx, u.ID, accountID, d)
		if inv, ok := app.AsInvalid(err); ok {
			problems, err = inv.Problems, nil
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if len(problems) > 0 || in.tooBig {
		h.renderComposeErrors(w, r, in, d, accountID, problems)
		return
	}
	h.log.Info("message queued", "user", u.ID, "account", accountID, "outbox", m.ID, "size", m.Size)
	redirect(w, r, "/outbox?done="+doneQueued)
}

// saveComposed saves the composer's form as the user's draft, with its
// uploads and without the files marked Remove, and returns the draft's id
// (0 when it could not be saved) and the problems to show. A draft that is
// gone meanwhile (deleted in another window) is saved as a new one; one
// whose message is in the outbox (its compose key spent) is not saved:
// the problem is on app.FieldComposeKey.
func (h *Handler) saveComposed(r *http.Request, in composeInput, d app.Draft) (int64, []app.Problem, error) {
	u := currentUser(r)
	f := in.fields
	id, _ := strconv.ParseInt(f.Get("draft"), 10, 64)
	accountID, _ := strconv.ParseInt(f.Get("account"), 10, 64)
	var remove []int64
	for _, v := range f["remove"] {
		if n, err := strconv.ParseInt(strings.TrimPrefix(v, removeFilePrefix), 10, 64); strings.HasPrefix(v, removeFilePrefix) && err == nil {
			remove = append(remove, n)
		}
	}
	draftIn := app.DraftInput{Draft: d, Remove: remove, Lost: in.lost}
	saved, err := h.drafts.Save(r.Context(), u.ID, id, accountID, draftIn)
	if errors.Is(err, db.ErrNotFound) && id != 0 {
		saved, err = h.drafts.Save(r.Context(), u.ID, 0, accountID, draftIn)
	}
	if inv, ok := app.AsInvalid(err); ok {
		return saved, inv.Problems, nil
	}
	return saved, nil, err
}

// draftFromForm reads the draft; the problems are addresses that do not
// parse and an original that is not a number.
func (h *Handler) draftFromForm(in composeInput) (app.Draft, []app.Problem) {
	f := in.fields
	var d app.Draft
	var problems []app.Problem
	for _, field := range []struct {
		name string
		dst  *[]compose.Address
	}{{compose.FieldTo, &d.To}, {compose.FieldCc, &d.Cc}, {compose.FieldBcc, &d.Bcc}} {
		list, err := compose.ParseList(f.Get(field.name))
		if err != nil {
			problems = append(problems, app.Problem{Field: field.name, Key: i18n.Key("Check the addresses: write each one like name@example.com, separated by commas.")})
		}
		*field.dst = list
	}
	d.ComposeKey = app.ParseComposeKey(f.Get("compose_key"))
	d.Subject = strings.TrimSpace(f.Get("subject"))
	d.Text = strings.ReplaceAll(f.Get("text"), "\r\n", "\n")
	d.SetHTML(f.Get("html")) // with formatting, the text is the HTML's
	d.InReplyTo = strings.Trim(strings.TrimSpace(f.Get("in_reply_to")), "<>")
	if refs := f.Get("references"); refs != "" {
		d.References = strings.Fields(refs)
	}
	if s := f.Get("original"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			problems = append(problems, app.Problem{Field: app.FieldOriginal, Key: i18n.Key("The message you are answering or forwarding is not known.")})
		}
		d.Original, d.OriginalFlag = id, db.FlagAnswered
		if f.Get("kind") == "forward" {
			d.OriginalFlag = db.FlagForwarded
			removed := map[string]bool{}
			for _, v := range f["remove"] {
				removed[v] = true
			}
			for _, p := range f["original_part"] {
				if !removed[removePartPrefix+p] && len(d.OriginalParts) < app.MaxDraftFiles {
					d.OriginalParts = append(d.OriginalParts, p)
				}
			}
			d.AttachOriginal = f.Get("attach_original") != "" && !removed[removeOriginal]
		}
	}
	for _, up := range in.uploads {
		path := up.path
		d.Attachments = append(d.Attachments, compose.Attachment{Name: up.name, ContentType: up.contentType,
			Open: func() (io.ReadCloser, error) { return os.Open(path) }})
	}
	return d, problems
}

// htmlTooLong is the problem of a formatted text over maxComposeField.
var htmlTooLong = app.Problem{Field: compose.FieldHTML,
	Key: i18n.Key("The formatted message is too long to send. Shorten it, or turn formatting off to send it as plain text.")}

// joinProblems puts two fields' problems in one sentence.
func joinProblems(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + " " + b
}

// renderComposeErrors shows the composer again with what was sent, the
// files kept with its draft, and the problems. A message found in the
// outbox already comes back as a new one (a new key, no draft): saving or
// sending it again is the user's choice.
func (h *Handler) renderComposeErrors(w http.ResponseWriter, r *http.Request, in composeInput, d app.Draft, accountID int64, problems []app.Problem) {
	ctx := r.Context()
	f := in.fields
	v, _, err := h.composeView(r, i18n.T(ctx, "Write"), accountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	inv := &app.Invalid{Problems: problems}
	spent, isSpent := inv.On(app.FieldComposeKey)
	if isSpent {
		d.DraftID, d.ComposeKey = 0, ""
	}
	lost := in.lost
	if d.DraftID == 0 { // not saved: the uploads are not kept
		for _, up := range in.uploads {
			lost = append(lost, up.name)
		}
		d.Attachments = nil
	}
	if err := h.fillComposer(r, &v, app.Undone{Draft: d, AttachmentNames: lost}); err != nil {
		h.fail(w, r, err)
		return
	}
	// The address fields as typed, even when they do not parse.
	v.To, v.Cc, v.Bcc, v.Subject, v.Text, v.HTML = f.Get("to"), f.Get("cc"), f.Get("bcc"), f.Get("subject"), f.Get("text"), d.HTML
	if d.HTML != "" {
		v.Text = d.Text
	}
	v.ShowCc = v.Cc != "" || v.Bcc != ""
	v.Errors = web.ComposeErrors{Account: problemOn(ctx, inv, app.FieldAccount), To: problemOn(ctx, inv, compose.FieldTo),
		Cc: problemOn(ctx, inv, compose.FieldCc), Bcc: problemOn(ctx, inv, compose.FieldBcc),
		Subject: problemOn(ctx, inv, compose.FieldSubject), Text: joinProblems(problemOn(ctx, inv, compose.FieldText), problemOn(ctx, inv, compose.FieldHTML)),
		Attachments: problemOn(ctx, inv, compose.FieldAttachment)}
	if in.tooBig {
		v.Errors.Attachments = i18n.T(ctx, "The attachments are larger than %s in all. Send fewer or smaller files.", v.MaxAttachmentsHuman)
	}
	if v.Errors == (web.ComposeErrors{}) {
		v.Errors.Form = i18n.T(ctx, "The message was not sent: %s", problemText(ctx, problems))
	} else {
		v.Errors.Form = i18n.T(ctx, "The message was not sent. The fields below say why.")
	}
	if f.Get("action") == "draft" {
		why := problemText(ctx, problems)
		if in.tooBig {
			why = v.Errors.Attachments
		}
		if d.DraftID == 0 {
			v.Errors.Form = i18n.T(ctx, "The draft was not saved: %s", why)
		} else {
			v.Errors.Form = i18n.T(ctx, "The draft was saved, but not all of it: %s", why)
		}
	}
	if isSpent {
		next := i18n.T(ctx, "To send what is here as another message, press Send again.")
		if f.Get("action") == "draft" {
			next = i18n.T(ctx, "To keep what is here as a new draft, press Save draft again.")
		}
		v.Errors.Form = i18n.T(ctx, spent.Key, spent.Args...) + " " + next
		v.OutboxURL = "/outbox"
	}
	h.render(w, r, http.StatusUnprocessableEntity, web.ComposePage(v))
}

// formatList writes addresses for an address field as people type them,
// quoting a name that has a comma or another special character, so that
// the field reads back as the same list.
func formatList(as []compose.Address) string {
	parts := make([]string, 0, len(as))
	for _, a := range as {
		name := a.Name
		if strings.ContainsAny(name, `,;<>"@()[]:\`) {
			name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
		}
		if name == "" {
			parts = append(parts, a.Addr)
		} else {
			parts = append(parts, name+" <"+a.Addr+">")
		}
	}
	return strings.Join(parts, ", ")
}

// problemText is problems in one sentence, translated.
func problemText(ctx context.Context, problems []app.Problem) string {
	texts := make([]string, 0, len(problems))
	for _, p := range problems {
		texts = append(texts, i18n.T(ctx, p.Key, p.Args...))
	}
	return strings.Join(texts, " ")
}

// suggestAddresses answers, as JSON, the addresses that start with ?q=
// among the people the user received mail from or wrote to, for the
// composer's address fields.
func (h *Handler) suggestAddresses(w http.ResponseWriter, r *http.Request) {
	found, err := h.messages.SuggestAddresses(r.Context(), currentUser(r).ID, r.URL.Query().Get("q"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type suggestion struct {
		Label string `json:"label"` // as it goes into the field
	}
	out := make([]suggestion, 0, len(found))
	for _, a := range found {
		out = append(out, suggestion{Label: formatList([]compose.Address{a})})
	}
	h.writeJSON(w, r, http.StatusOK, out)
}
