package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/export"
)

// exportWriteTimeout is how long writing one message of an export may take.
const exportWriteTimeout = 5 * time.Minute

// exportAccount downloads all of an account's stored mail (the trash left
// out) as an mboxrd file (?format=mbox) or a zip of .eml files
// (?format=zip). The export is streamed from the database one message at a
// time, so it has no Content-Length; if it fails before anything was sent
// the user gets an error page, and if it fails halfway the connection is
// cut, so that a browser reports a failed download rather than saving a
// silently truncated file.
func (h *Handler) exportAccount(w http.ResponseWriter, r *http.Request) {
	id, ok := idParam(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	ctx := r.Context()
	u := currentUser(r)
	a, err := h.db.Account(ctx, u.ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var write func(io.Writer, export.Source) error
	var ext, ctype string
	switch r.URL.Query().Get("format") {
	case "mbox":
		ext, ctype = ".mbox", "application/mbox"
		write = export.WriteMbox
	case "zip":
		ext, ctype = ".zip", "application/zip"
		write = export.WriteZip
	default:
		h.badRequest(w, r)
		return
	}
	// The server's WriteTimeout bounds a whole response; a large export
	// over a slow link may take longer, so each message gets a fresh
	// deadline instead (where the connection supports it).
	rc := http.NewResponseController(w)
	src := func(yield func(export.Message) error) error {
		return h.db.EachMessage(ctx, u.ID, a.ID, func(m db.MessageExport) error {
			_ = rc.SetWriteDeadline(time.Now().Add(exportWriteTimeout))
			return yield(export.Message(m))
		})
	}
	name := "apartado-" + truncateRunes(a.Name, 60) + "-" + h.now().In(state(r).tz).Format("2006-01-02") + ext
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", contentDisposition("attachment", name))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	cw := &countingWriter{w: w}
	err = write(cw, src)
	switch {
	case err == nil:
	case cw.n == 0:
		// Nothing sent yet: an error page can still be shown.
		for _, k := range []string{"Content-Type", "Content-Disposition"} {
			hd.Del(k)
		}
		h.fail(w, r, err)
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		h.log.Debug("export canceled", "account", a.ID)
		panic(http.ErrAbortHandler)
	default:
		h.log.Error("export failed", "account", a.ID, "format", ext, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// countingWriter counts what was written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
