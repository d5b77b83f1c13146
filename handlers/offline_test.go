package handlers

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/apartado/apartado/db"
)

// TestInstallable: the manifest names PNG icons of the sizes it says
// (192, 512, a maskable 512) that are served; every page links it, the
// iOS icon and a theme color for light and dark; the service worker is
// served at the root with the offline page and the assets of this
// release; the offline page needs no session, even before set-up.
func TestInstallable(t *testing.T) {
	a := newApp(t)
	c := a.client()
	wantStatus(t, c.get(offlinePath), http.StatusOK) // no user yet: not sent to /setup
	a.addUser("ana", "correct horse", db.RoleMember)

	page := a.login("ana", "correct horse").get("/mail").body
	for _, want := range []string{`rel="manifest"`, `rel="apple-touch-icon"`, `name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)"`,
		`name="theme-color" content="#1c2026" media="(prefers-color-scheme: dark)"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	var m struct {
		StartURL string `json:"start_url"`
		Display  string `json:"display"`
		Icons    []struct{ Src, Sizes, Type, Purpose string }
	}
	if err := json.Unmarshal([]byte(c.get(a.handler.assets.URL("manifest.webmanifest")).body), &m); err != nil {
		t.Fatal(err)
	}
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		if ic.Type != "image/png" {
			continue
		}
		r := c.get(ic.Src)
		img, err := png.Decode(bytes.NewReader([]byte(r.body)))
		if r.StatusCode != http.StatusOK || err != nil {
			t.Errorf("%s: %d %v", ic.Src, r.StatusCode, err)
			continue
		}
		if got := strconv.Itoa(img.Bounds().Dx()) + "x" + strconv.Itoa(img.Bounds().Dy()); got != ic.Sizes {
			t.Errorf("%s is %s, the manifest says %s", ic.Src, got, ic.Sizes)
		}
		sizes[ic.Sizes+" "+ic.Purpose] = true
	}
	for _, want := range []string{"192x192 any", "512x512 any", "512x512 maskable"} {
		if !sizes[want] {
			t.Errorf("no %s icon in the manifest", want)
		}
	}
	if m.StartURL != "/mail" || m.Display != "standalone" {
		t.Errorf("manifest: %+v", m)
	}

	sw := c.get("/sw.js")
	if sw.StatusCode != http.StatusOK || !strings.HasPrefix(sw.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("/sw.js: %d %s", sw.StatusCode, sw.Header.Get("Content-Type"))
	}
	for _, want := range []string{`"/offline"`, a.handler.assets.URL("app.css"), a.handler.assets.URL("app.js")} {
		if !strings.Contains(sw.body, want) {
			t.Errorf("the service worker's shell lacks %s", want)
		}
	}
	if strings.Contains(sw.body, "__SHELL__") || strings.Contains(sw.body, "__VERSION__") {
		t.Error("the service worker was served unfilled")
	}
	if off := c.get(offlinePath); !strings.Contains(off.body, `data-testid="offline"`) {
		t.Error("the offline page")
	}
}
