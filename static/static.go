package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed app.css app.js editor.js keys.js live.js notify.js favicon.svg manifest.webmanifest sw.js *.png
var files embed.FS

// Prefix is the URL path the assets are served under.
const Prefix = "/static/"

// Assets serves the embedded files. Each file's URL carries a short hash of
// its content (?v=…); a request with the current hash may be cached for a
// year, anything else only briefly, so a new release is picked up at once.
type Assets struct {
	files   map[string]asset
	started time.Time
}

type asset struct {
	body        []byte
	hash        string
	contentType string
}

// New reads and hashes the embedded files.
func New() (*Assets, error) {
	a := &Assets{files: make(map[string]asset), started: time.Now()}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a.files[name] = asset{body: body, hash: hex.EncodeToString(sum[:6]), contentType: contentType(name)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	return a, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".webmanifest":
		return "application/manifest+json"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// URL returns the versioned URL of an embedded file, e.g.
// "/static/app.css?v=1a2b3c4d5e6f". It panics for a name that is not
// embedded: that is a programming error caught by the first test.
func (a *Assets) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return Prefix + name + "?v=" + f.hash
}

// ServeHTTP serves a file under Prefix. The manifest is never cached for
// long, since browsers fetch it by its fixed URL.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	f, ok := a.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	if v := r.URL.Query().Get("v"); v == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	h.Set("ETag", `"`+f.hash+`"`)
	http.ServeContent(w, r, name, a.started, bytes.NewReader(f.body))
}

// ServiceWorker returns the service worker (sw.js) for this release: its
// shell is the offline page at offline, then the assets that page uses,
// by their versioned URLs; its version is a hash of that list, so that a
// release with other assets replaces the cached ones.
func (a *Assets) ServiceWorker(offline string) []byte {
	shell := []string{offline, a.URL("app.css"), a.URL("app.js"), a.URL("favicon.svg"), a.URL("icon-192.png")}
	list, _ := json.Marshal(shell)
	sum := sha256.Sum256(append(list, a.files["sw.js"].hash...))
	body := bytes.Replace(a.files["sw.js"].body, []byte("__SHELL__"), list, 1)
	return bytes.Replace(body, []byte("__VERSION__"), []byte(hex.EncodeToString(sum[:6])), 1)
}
