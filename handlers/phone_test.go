package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// inside reports whether n is within an element with data-testid id.
func inside(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && attr(p, "data-testid") == id {
			return true
		}
	}
	return false
}

// TestPhoneChrome: a list's page carries what a narrow screen needs and
// works without JavaScript: the menu's checkbox and its label for the
// navigation's drawer, the page's name (without the unread count of the
// tab's title) as the label of the mailboxes' drawer, Write; the actions
// on a selection in the bar with its count's text, and Mark all read,
// which needs no selection, outside it.
func TestPhoneChrome(t *testing.T) {
	f := newMailFixture(t)
	r := f.anaC.get("/mail")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)

	toggle := one(t, doc, "menu-toggle")
	if attr(toggle, "type") != "checkbox" || attr(toggle, "id") != "menu-toggle" || attr(toggle, "aria-controls") != "nav" || attr(toggle, "aria-label") == "" {
		t.Errorf("the menu's checkbox: %v", toggle.Attr)
	}
	button := one(t, doc, "menu-button")
	if button.Data != "label" || attr(button, "for") != "menu-toggle" || attr(button, "data-disclosure") != "nav" || text(button) != "Menu" {
		t.Errorf("the menu's button: <%s> %v %q", button.Data, button.Attr, text(button))
	}
	if nav := one(t, doc, "nav"); attr(nav, "id") != "nav" {
		t.Errorf("the navigation's id is %q, which the menu does not control", attr(nav, "id"))
	}
	title := one(t, doc, "drawer-button")
	if title.Data != "label" || attr(title, "for") != "drawer" || attr(title, "data-disclosure") != "sidebar" {
		t.Errorf("the mailboxes' button: <%s> %v", title.Data, title.Attr)
	}
	if got := text(one(t, title, "top-title")); got != "Inbox" {
		t.Errorf("the header names the page %q, want Inbox", got)
	}
	if got := attr(one(t, doc, "top-compose"), "href"); got != "/compose" {
		t.Errorf("Write in the header leads to %q", got)
	}

	bar := one(t, doc, "bulk-bar")
	if got := attr(one(t, bar, "bulk-count"), "data-selected-text"); got != "%s selected" {
		t.Errorf("the count's text %q", got)
	}
	for _, id := range []string{"select-all", "action-archive", "action-trash", "action-junk", "action-read", "action-unread", "action-star", "action-move"} {
		if !inside(one(t, doc, id), "bulk-bar") {
			t.Errorf("%s is not in the bar of actions", id)
		}
	}
	if inside(one(t, doc, "action-mark-all-read"), "bulk-bar") {
		t.Error("Mark all read, which needs no selection, is in the bar that shows only with one")
	}
	if !inside(bar, "list-form") {
		t.Error("the bar of actions is outside the list's form: its buttons would not post the ticked messages")
	}

	// In Spanish the count reads "Seleccionados: N".
	req := httptest.NewRequest(http.MethodGet, "http://apartado.test/mail", nil)
	req.Header.Set("Accept-Language", "es")
	r = f.anaC.do(req)
	if got := attr(one(t, r.doc(t), "bulk-count"), "data-selected-text"); !strings.HasPrefix(got, "Seleccionados: %s") {
		t.Errorf("the count's text in Spanish: %q", got)
	}
}
