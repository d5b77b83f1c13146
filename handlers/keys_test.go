package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// element returns the first element named tag.
func element(root *html.Node, tag string) *html.Node {
	var found *html.Node
	walk(root, func(n *html.Node) {
		if found == nil && n.Type == html.ElementNode && n.Data == tag {
			found = n
		}
	})
	return found
}

// keysScript reports whether the page loads static/keys.js.
func keysScript(root *html.Node) bool {
	found := false
	walk(root, func(n *html.Node) {
		found = found || n.Type == html.ElementNode && n.Data == "script" && strings.HasPrefix(attr(n, "src"), "/static/keys.js?v=")
	})
	return found
}

// shortcutLines maps each line of the shortcuts' help to its keys, as
// read ("g then i"), and its description.
func shortcutLines(t *testing.T, doc *html.Node) map[string]string {
	t.Helper()
	lines := map[string]string{}
	walk(one(t, doc, "shortcuts-help"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "dt" {
			lines[text(n)] = text(n.NextSibling)
		}
	})
	return lines
}

func TestShortcutsHelpAndSetting(t *testing.T) {
	f := newMailFixture(t)
	c := f.anaC

	// On by default: the body says so, the script is loaded and the help
	// lists every shortcut, with the pages "g then …" opens.
	doc := c.get("/mail").doc(t)
	if v := attr(element(doc, "body"), "data-shortcuts"); v != "on" {
		t.Fatalf("body data-shortcuts %q, want on", v)
	}
	if !keysScript(doc) {
		t.Error("keys.js is not loaded")
	}
	help := one(t, doc, "shortcuts-help")
	if help.Data != "dialog" || attr(help, "aria-labelledby") != "shortcuts-title" || hasAttr(help, "open") {
		t.Errorf("help is <%s> labelled by %q, open %v", help.Data, attr(help, "aria-labelledby"), hasAttr(help, "open"))
	}
	lines := shortcutLines(t, doc)
	want := map[string]string{
		"j": "Next message in the list; on a message, the older one", "k": "Previous message in the list; on a message, the newer one",
		"o": "Open the highlighted message", "Enter": "Open the highlighted message", "u": "Back to the list",
		"x": "Select or unselect the highlighted message", "e": "Move to Archive", "#": "Delete (to the trash)",
		"s": "Star, or remove the star", "Shift+I": "Mark read", "Shift+U": "Mark unread",
		"r": "Reply", "a": "Reply all", "f": "Forward", "/": "Search mail",
		"g then i": "Inbox", "g then s": "Starred", "g then t": "Sent", "g then d": "Drafts",
		"?": "Show the keyboard shortcuts", "Esc": "Close this help",
	}
	for k, v := range want {
		if lines[k] != v {
			t.Errorf("shortcut %q: %q, want %q", k, lines[k], v)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d shortcuts listed, want %d: %v", len(lines), len(want), lines)
	}
	goTo := map[string]string{}
	walk(help, func(n *html.Node) {
		if n.Type == html.ElementNode && hasAttr(n, "data-go") {
			goTo[attr(n, "data-go")] = attr(n, "data-href")
		}
	})
	for k, v := range map[string]string{"i": inboxPath, "s": starredPath, "t": sentPath, "d": draftsPath} {
		if goTo[k] != v {
			t.Errorf("g then %s leads to %q, want %q", k, goTo[k], v)
		}
	}

	// The message page marks the links the keys follow.
	f.app.withOutgoing(f.anaAcc)
	doc = c.get(msgPath(f.anaText, "?back=%2Fmail")).doc(t)
	for id, key := range map[string]string{"back": "u", "reply": "r", "reply-all": "a", "forward": "f", "message-newer": "k"} {
		if got := attr(one(t, doc, id), "data-shortcut"); got != key {
			t.Errorf("%s: data-shortcut %q, want %q", id, got, key)
		}
	}

	// In Spanish, the help and the setting are translated.
	es := f.app.login("ana", "correct horse")
	es.header.Set("Accept-Language", "es")
	doc = es.get("/mail").doc(t)
	lines = shortcutLines(t, doc)
	for k, v := range map[string]string{"Mayús+I": "Marcar como leído", "Intro": "Abrir el mensaje resaltado",
		"g y luego i": "Bandeja de entrada", "#": "Eliminar (a la papelera)", "Esc": "Cerrar esta ayuda"} {
		if lines[k] != v {
			t.Errorf("es: shortcut %q: %q, want %q", k, lines[k], v)
		}
	}
	if s := text(element(help, "h2")); s != "Keyboard shortcuts" {
		t.Errorf("en heading %q", s)
	}
	var heading string
	walk(one(t, doc, "shortcuts-help"), func(n *html.Node) {
		if heading == "" && n.Type == html.ElementNode && n.Data == "h2" {
			heading = text(n)
		}
	})
	if heading != "Atajos de teclado" {
		t.Errorf("es heading %q", heading)
	}
	box := one(t, es.get("/settings").doc(t), "field-shortcuts")
	if !hasAttr(box, "checked") {
		t.Error("the setting is not ticked by default")
	}
	if s := text(box.Parent); s != "Atajos de teclado" {
		t.Errorf("es setting label %q", s)
	}

	// Turned off (the hidden "off" alone, as an unticked box sends it):
	// saved, the body says so, and no help is rendered.
	prefs := func(shortcuts ...string) *response {
		form := url.Values{"locale": {""}, "timezone": {""}}
		if shortcuts != nil {
			form["shortcuts"] = shortcuts
		}
		return c.post("/settings/preferences", form)
	}
	wantRedirect(t, prefs("off"), "/settings?done="+donePrefsSaved)
	if u, _ := f.app.db.UserByID(t.Context(), f.ana.ID); u.Shortcuts {
		t.Fatal("shortcuts still on after saving them off")
	}
	doc = c.get("/mail").doc(t)
	if v := attr(element(doc, "body"), "data-shortcuts"); v != "off" {
		t.Errorf("body data-shortcuts %q, want off", v)
	}
	none(t, doc, "shortcuts-help")
	if hasAttr(one(t, c.get("/settings").doc(t), "field-shortcuts"), "checked") {
		t.Error("the setting is ticked after turning it off")
	}
	// A form without the field (an older page) keeps the choice.
	wantRedirect(t, prefs(), "/settings?done="+donePrefsSaved)
	if u, _ := f.app.db.UserByID(t.Context(), f.ana.ID); u.Shortcuts {
		t.Fatal("a form without the field turned the shortcuts on")
	}
	// Ticked: the hidden "off" and then the box's "on".
	wantRedirect(t, prefs("off", "on"), "/settings?done="+donePrefsSaved)
	if u, _ := f.app.db.UserByID(t.Context(), f.ana.ID); !u.Shortcuts {
		t.Fatal("shortcuts still off after ticking the box")
	}
	wantStatus(t, prefs("maybe"), http.StatusBadRequest)
	// A rejected form shows the choice that was sent.
	r := c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {"Not/AZone"}, "shortcuts": {"off"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if hasAttr(one(t, r.doc(t), "field-shortcuts"), "checked") {
		t.Error("a rejected form ticks the box that was sent unticked")
	}

	// Before signing in there are no shortcuts at all.
	doc = f.app.client().get("/login").doc(t)
	if hasAttr(element(doc, "body"), "data-shortcuts") || keysScript(doc) {
		t.Error("the login page has keyboard shortcuts")
	}
	none(t, doc, "shortcuts-help")
}
