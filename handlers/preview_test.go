package handlers

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// TestImageAttachmentPreview: an attached photo is previewed on the
// message page from its part URL, which serves it inline as an image.
func TestImageAttachmentPreview(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	raw := `From: Jörg <joerg@example.de>
To: ana@example.com
Subject: Photo
Date: Mon, 09 Mar 2026 08:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See the photo.
--b
Content-Type: image/png; name="beach.png"
Content-Disposition: attachment; filename="beach.png"
Content-Transfer-Encoding: base64

` + pngPixel + `
--b--
`
	id := app.addMessage(acc, raw, time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC))
	c := app.login("ana", "correct horse")
	doc := c.get("/mail/" + strconv.FormatInt(id, 10)).doc(t)
	img := one(t, one(t, doc, "attachment"), "attachment-preview")
	src := attr(img, "src")
	if src != attr(one(t, doc, "attachment-link"), "href") {
		t.Errorf("preview src %q is not the attachment's URL", src)
	}
	r := c.get(src)
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("preview served as %q, nosniff %q", r.Header.Get("Content-Type"), r.Header.Get("X-Content-Type-Options"))
	}
}
