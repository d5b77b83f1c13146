package handlers

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/mailfile"
	"github.com/apartado/apartado/web"
)

const (
	importPath = "/settings/import"
	// maxImportUpload bounds an uploaded file to import (a Takeout of
	// many years is tens of gigabytes; the disk is the real limit).
	maxImportUpload = 64 << 30
	// importReadWindow is how long the upload may go without a byte
	// arriving: the server's ReadTimeout bounds a whole request, which a
	// large file over a slow link outlasts.
	importReadWindow = 2 * time.Minute
)

// importPage shows the import form and the last import.
func (h *Handler) importPage(w http.ResponseWriter, r *http.Request) {
	h.renderImport(w, r, http.StatusOK, "")
}

func (h *Handler) renderImport(w http.ResponseWriter, r *http.Request, status int, problem string) {
	ctx := r.Context()
	u := currentUser(r)
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := web.ImportView{Chrome: h.chrome(r, i18n.T(ctx, "Import mail"), web.SectionSettings, 0, accounts), Error: problem,
		Notice: doneNotice(r)}
	for _, a := range accounts {
		v.Accounts = append(v.Accounts, web.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name + " (" + a.Email + ")"})
	}
	if job, ok := h.imports.Last(u.ID); ok {
		v.Job = importJobView(ctx, job)
	}
	h.render(w, r, status, web.ImportPage(v))
}

// importJobView says how an import is going, or how it ended.
func importJobView(ctx context.Context, job app.ImportJob) *web.ImportJobView {
	p := job.Progress
	counts := i18n.T(ctx, "Messages read: %d. Stored: %d. Already here: %d. Left out: %d.", p.Read, p.Stored, p.Duplicates, len(p.Skipped))
	v := &web.ImportJobView{Title: job.Name, Folders: strings.Join(p.Folders, ", "), Skipped: p.Skipped}
	switch {
	case !job.Done:
		v.Title = i18n.T(ctx, "Importing %s", job.Name)
		v.Progress = &web.SyncProgressView{URL: importPath + "/status", Running: true, Text: counts,
			DoneText: i18n.T(ctx, "The import has finished. Reload the page to see what it did.")}
	case job.Err != nil:
		v.Result = i18n.T(ctx, "The import stopped: %s What was stored is kept; upload the same file again to finish it. %s",
			importProblem(ctx, job.Err), counts)
	default:
		v.Result = i18n.T(ctx, "The import has finished. %s", counts)
	}
	return v
}

// importProblem says what was wrong with an imported file.
func importProblem(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, mailfile.ErrNotMbox):
		return i18n.T(ctx, "this is not an mbox file (it does not begin with a \"From \" line). Check the file type.")
	case errors.Is(err, mailfile.ErrNotZip):
		return i18n.T(ctx, "this is not a zip file. Check the file type.")
	}
	return i18n.T(ctx, "the file could not be read (%s).", err.Error())
}

// importStatus serves the last import's progress as JSON, as a sync's.
func (h *Handler) importStatus(w http.ResponseWriter, r *http.Request) {
	var out progressJSON
	if job, ok := h.imports.Last(currentUser(r).ID); ok && !job.Done {
		out = progressJSON{Running: true, Text: importJobView(r.Context(), job).Progress.Text}
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// importUpload receives a file to import, streamed to the data folder,
// and starts its import in the background.
func (h *Handler) importUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	in, err := h.readImport(w, r)
	defer func() {
		if in.path != "" && err != nil {
			os.Remove(in.path)
		}
	}()
	if err != nil {
		h.log.Info("reading an uploaded import", "user", u.ID, "err", err)
		h.renderImport(w, r, http.StatusBadRequest, i18n.T(ctx, "The file did not arrive whole. Try again."))
		return
	}
	if in.path == "" {
		h.renderImport(w, r, http.StatusBadRequest, i18n.T(ctx, "Choose a file to import."))
		return
	}
	format := in.fields.Get("format")
	if format != app.ImportMbox && format != app.ImportEMLZip {
		err = errors.New("unknown format")
		h.badRequest(w, r)
		return
	}
	accountID, perr := strconv.ParseInt(in.fields.Get("account"), 10, 64)
	if _, aerr := h.db.Account(ctx, u.ID, accountID); perr != nil || aerr != nil {
		err = errors.New("not the user's account")
		h.renderImport(w, r, http.StatusBadRequest, i18n.T(ctx, "Choose one of your accounts."))
		return
	}
	if err = h.imports.Start(u.ID, accountID, format, in.path, in.name); errors.Is(err, app.ErrImportRunning) {
		h.renderImport(w, r, http.StatusConflict, i18n.T(ctx, "An import is running already: wait for it to finish."))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Another URL than the form's: the page script that sent the file
	// tells a redirect by it.
	redirect(w, r, importPath+"?done="+doneImportStarted)
}

type importUpload struct {
	fields url.Values
	path   string // the file as received, in the data folder
	name   string // its name on the user's computer
}

// readImport reads the import form: its small fields, and the file
// streamed into DATA/imports, the read deadline moved on as bytes arrive.
func (h *Handler) readImport(w http.ResponseWriter, r *http.Request) (importUpload, error) {
	in := importUpload{fields: url.Values{}}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "multipart/form-data" {
		return in, errors.New("not a multipart form")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return in, err
	}
	rc := http.NewResponseController(w)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		if err != nil {
			return in, err
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, 1<<10+1))
			if err != nil || len(b) > 1<<10 {
				return in, errors.New("a field is too large")
			}
			in.fields.Add(part.FormName(), string(b))
			continue
		}
		if part.FormName() != "file" || in.path != "" {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return in, err
			}
			continue
		}
		dir := filepath.Join(h.db.Dir(), "imports")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return in, err
		}
		f, err := os.CreateTemp(dir, "upload-*")
		if err != nil {
			return in, err
		}
		in.path, in.name = f.Name(), truncateRunes(filepath.Base(part.FileName()), 200)
		_, err = io.Copy(f, &deadlineReader{r: part, rc: rc})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return in, err
		}
	}
}

// deadlineReader moves the connection's read deadline on as it reads.
type deadlineReader struct {
	r    io.Reader
	rc   *http.ResponseController
	last time.Time
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(d.last) > time.Second {
		_ = d.rc.SetReadDeadline(now.Add(importReadWindow))
		d.last = now
	}
	return d.r.Read(p)
}
