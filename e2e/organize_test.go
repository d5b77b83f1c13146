package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/apartado/apartado/internal/dovecottest"
)

// organizeText is what the organizing pages say in one language.
type organizeText struct {
	lang       string
	archived   string // the notice after archiving one message
	moved      string // after moving one to the folder
	starred    string
	undone     string
	folderName string
}

// TestOrganize stars a message, archives one and undoes it, moves one to
// a new folder and undoes that, and walks the messages with next and
// previous: at a desktop's width in English, and at a phone's in Spanish,
// where the mailboxes are a drawer opened by its button.
func TestOrganize(t *testing.T) {
	for _, vp := range []struct {
		name   string
		w, h   int
		mobile bool
		text   organizeText
	}{
		{"desktop-en", 1280, 900, false, organizeText{"en", "Moved 1 message to Archive", "Moved 1 message to Trips",
			"Starred 1 message", "Undone: the messages are back as they were.", "Trips"}},
		{"phone-es", 360, 740, true, organizeText{"es", "1 mensaje movido a Archivo", "1 mensaje movido a Viajes",
			"1 mensaje destacado", "Deshecho: los mensajes vuelven a estar como estaban.", "Viajes"}},
	} {
		t.Run(vp.name, func(t *testing.T) {
			srv := dovecottest.Start(t, dovecottest.Options{})
			if err := srv.AddMessages("alice", testMessages); err != nil {
				t.Fatal(err)
			}
			ca := caFile(t, srv.CertPEM)
			a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
			ctx := browser(t, vp.w, vp.h, vp.mobile)
			tx := vp.text
			setUpAccount(t, ctx, a, "Home", srv)
			run(t, ctx, "choose the language "+tx.lang,
				chromedp.Navigate(a.URL+"/settings"),
				chromedp.WaitVisible(tid("preferences-form")),
				chromedp.SetValue(`#locale`, tx.lang),
				chromedp.Click(tid("preferences-submit")),
				chromedp.WaitVisible(`html[lang="`+tx.lang+`"] [data-testid="notice"]`),
			)
			waitRows(t, ctx, a, len(testMessages))

			// The mailboxes: beside the list on a desktop; on a phone, in a
			// drawer its button opens.
			sidebarShown := func() bool {
				return eval[bool](t, ctx, `(() => { const s = document.querySelector('[data-testid="sidebar"]');
					return !!s && s.getBoundingClientRect().width > 0 })()`)
			}
			openSidebar := func() {
				t.Helper()
				if vp.mobile {
					if sidebarShown() {
						t.Fatal("the drawer is open before its button is pressed")
					}
					run(t, ctx, "open the drawer", chromedp.Click(tid("drawer-button")), chromedp.WaitVisible(tid("sidebar")))
				}
				if !sidebarShown() {
					t.Fatal("the mailboxes are not shown")
				}
			}
			openSidebar()
			noHorizontalScroll(t, ctx, "inbox with the mailboxes")
			screenshot(t, ctx, "organize-"+vp.name+"-sidebar")
			if vp.mobile {
				// The drawer lies over the list: Escape closes it.
				run(t, ctx, "close the drawer", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(tid("sidebar")))
			}

			// Star one from its row; the starred view lists it.
			row := func(subject string) string {
				return `//li[@data-testid="message-row"][.//span[@data-testid="message-subject"][contains(., "` + subject + `")]]`
			}
			run(t, ctx, "star a message from the list",
				chromedp.Click(row("Holiday photos")+`//button[@data-testid="star-toggle"]`),
				chromedp.WaitVisible(tid("undo")),
			)
			wantNotice(t, ctx, tx.starred)
			openSidebar()
			run(t, ctx, "open Starred", chromedp.Click(tid("box-starred")), chromedp.WaitVisible(tid("mailbox-heading")))
			if n, _ := countRows(ctx); n != 1 {
				t.Fatalf("%d starred messages", n)
			}
			noHorizontalScroll(t, ctx, "starred")

			// Archive one from the list, then undo it.
			run(t, ctx, "archive a message",
				chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")),
				chromedp.Click(row("Your order has shipped")+`//input[@data-testid="message-select"]`),
				chromedp.Click(tid("action-archive")),
				chromedp.WaitVisible(tid("undo")),
			)
			wantNotice(t, ctx, tx.archived)
			if n, _ := countRows(ctx); n != len(testMessages)-1 {
				t.Fatalf("%d messages in the inbox after archiving one", n)
			}
			noHorizontalScroll(t, ctx, "the notice with Undo")
			screenshot(t, ctx, "organize-"+vp.name+"-undo")
			run(t, ctx, "undo the archive", chromedp.Click(tid("undo")), chromedp.WaitNotPresent(tid("undo")), chromedp.WaitVisible(tid("notice")))
			wantNotice(t, ctx, tx.undone)
			if n, _ := countRows(ctx); n != len(testMessages) {
				t.Fatalf("%d messages in the inbox after the undo", n)
			}

			// A new folder, and a message moved into it.
			openSidebar()
			run(t, ctx, "create a folder",
				chromedp.Click(tid("manage-folders")),
				chromedp.WaitVisible(tid("new-folder-form")),
				chromedp.SendKeys(`#new-name`, tx.folderName),
				chromedp.Click(tid("folder-create")),
				chromedp.WaitVisible(tid("folder")),
			)
			noHorizontalScroll(t, ctx, "folders")
			run(t, ctx, "back to the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
			folder := eval[string](t, ctx, `Array.from(document.querySelector('[data-testid="move-to"]').options)
				.find(o => o.text === `+jsString(tx.folderName)+`).value`)
			run(t, ctx, "move a message to the folder",
				chromedp.Click(row("Café mañana")+`//input[@data-testid="message-select"]`),
				chromedp.SetValue(tid("move-to"), folder),
				chromedp.Click(tid("action-move")),
				chromedp.WaitVisible(tid("undo")),
			)
			wantNotice(t, ctx, tx.moved)
			withUndo := get(t, ctx, "location", chromedp.Location())
			openSidebar()
			unread := eval[string](t, ctx, `(document.querySelector('[data-testid="box-folder"][data-mailbox-id="`+folder+`"] [data-testid="box-unread"]') || {}).innerText || ""`)
			if unread != "1" {
				t.Errorf("the folder's unread count %q, want 1", unread)
			}
			run(t, ctx, "open the folder",
				chromedp.Click(`[data-testid="box-folder"][data-mailbox-id="`+folder+`"]`),
				chromedp.WaitVisible(tid("mailbox-heading")),
			)
			if n, _ := countRows(ctx); n != 1 {
				t.Fatalf("%d messages in the folder", n)
			}
			// Undo the move from the inbox's notice, still there a while later.
			run(t, ctx, "back to the notice", chromedp.Navigate(withUndo), chromedp.WaitVisible(tid("undo")))
			run(t, ctx, "undo the move", chromedp.Click(tid("undo")), chromedp.WaitNotPresent(tid("undo")), chromedp.WaitVisible(tid("notice")))
			wantNotice(t, ctx, tx.undone)
			if n, _ := countRows(ctx); n != len(testMessages) {
				t.Fatalf("%d messages in the inbox after undoing the move", n)
			}

			// Next and previous, from the newest message to the oldest and back.
			subjects := []string{"Holiday photos", "Your order has shipped", "Café mañana"}
			run(t, ctx, "open the newest message",
				chromedp.Click(row(subjects[0])+`//a[@data-testid="message-link"]`),
				chromedp.WaitVisible(tid("message")),
			)
			subjectIs := func(want string) {
				t.Helper()
				if got := get(t, ctx, "subject", chromedp.Text(`h1[data-testid="message-subject"]`)); got != want {
					t.Fatalf("on %q, want %q", got, want)
				}
			}
			subjectIs(subjects[0])
			if eval[bool](t, ctx, `!!document.querySelector('[data-testid="message-newer"]')`) {
				t.Error("the newest message has a newer one")
			}
			if !eval[bool](t, ctx, `!!document.querySelector('[data-testid="action-unstar"]')`) {
				t.Error("the starred message does not show its star")
			}
			noHorizontalScroll(t, ctx, "message with its actions")
			screenshot(t, ctx, "organize-"+vp.name+"-message")
			for _, s := range subjects[1:] {
				run(t, ctx, "older", chromedp.Click(tid("message-older")), chromedp.WaitVisible(tid("message")))
				subjectIs(s)
			}
			if eval[bool](t, ctx, `!!document.querySelector('[data-testid="message-older"]')`) {
				t.Error("the oldest message has an older one")
			}
			run(t, ctx, "newer", chromedp.Click(tid("message-newer")), chromedp.WaitVisible(tid("message")))
			subjectIs(subjects[1])
			// Archiving from the message opens the next one of the list.
			run(t, ctx, "archive from the message", chromedp.Click(tid("action-archive")), chromedp.WaitVisible(tid("undo")))
			subjectIs(subjects[2])
			wantNotice(t, ctx, tx.archived)
		})
	}
}

// waitRows opens the inbox until it lists n messages.
func waitRows(t *testing.T, ctx context.Context, a *app, n int) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("mailbox-heading")))
		got, err := countRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages arrived", got, n)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// wantNotice checks the page's notice.
func wantNotice(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	got := strings.TrimSpace(eval[string](t, ctx, `(document.querySelector('[data-testid="notice-text"]') || document.querySelector('[data-testid="notice"]')).innerText`))
	if got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
}
