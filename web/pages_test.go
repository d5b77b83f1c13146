package web

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/text/language"

	"github.com/apartado/apartado/i18n"
)

// TestPagesRender renders every page from zero-value and filled models:
// none may fail, leave a formatting artifact, or carry inline script or
// style (the app's CSP forbids both).
func TestPagesRender(t *testing.T) {
	nav := &Nav{UserName: "ana", IsAdmin: true, Section: SectionInbox, InboxUnread: 3,
		Accounts: []NavAccount{{ID: 1, Name: "Home", Unread: 3, URL: "/mail?account=1"}}}
	chrome := Chrome{Title: "T", Assets: Assets{CSS: "/static/app.css?v=1", JS: "/static/app.js?v=1", Icon: "/i", Manifest: "/m"}, Nav: nav}
	diagnosis := DiagnosisView{Kind: "k", Title: "T", Explanation: "E", Hints: []string{"h"}, Provider: "P", ProviderSteps: []string{"s"},
		ProviderURL: "https://example.org/", Detail: "-ERR <b>", Cert: []string{"c"}, HelpURL: "/help#error-k", FailingSince: "today",
		Fixes: []FixView{{Label: "L", Warning: "W", Action: "/t#results", Fields: []HiddenField{{Name: "host", Value: "h"}}}, {Label: "L2", URL: "/settings/accounts/1?port=110"}}}
	status := AccountStatus{ID: 1, Name: "Home", State: "failing", Error: "The server rejected the user name or password.", ErrorDetail: "[AUTH] no"}
	pages := map[string]templ.Component{
		"setup zero":    SetupPage(SetupView{}),
		"setup":         SetupPage(SetupView{Chrome: chrome, Code: "ABCDE", CodeError: "c", Name: "ana", NameError: "x", PasswordError: "y", ConfirmError: "z", FormError: "w"}),
		"login zero":    LoginPage(LoginView{}),
		"login":         LoginPage(LoginView{Chrome: chrome, Name: "ana", Next: "/mail", Error: "e"}),
		"mailbox zero":  MailboxPage(MailboxView{}),
		"mailbox":       MailboxPage(MailboxView{Chrome: chrome, Heading: "Inbox", Total: 1, Rows: []MessageRow{{ID: 1, URL: "/mail/1", From: "Zoë", Subject: "Hi", Snippet: "s", Unread: true, HasAttachment: true, Account: "Home"}}, NewerURL: "/mail?after=1.1", OlderURL: "/mail?before=1.1", Notice: "n"}),
		"trash":         MailboxPage(MailboxView{Chrome: chrome, Trash: true, Rows: []MessageRow{{ID: 2}}}),
		"no accounts":   MailboxPage(MailboxView{Chrome: chrome, NoAccounts: true}),
		"message zero":  MessagePage(MessageView{}),
		"message text":  MessagePage(MessageView{Chrome: chrome, ID: 1, Subject: "Hi", From: []Address{{Name: "Zoë", Addr: "z@example.org"}}, To: []Address{{Addr: "a@example.org"}}, Headers: []Header{{Key: "X", Value: "y"}}, Text: Linkify("see https://example.org/"), Attachments: []Attachment{{Name: "a.pdf", Type: "application/pdf", Size: "1 KB", URL: "/mail/1/part/2"}}}),
		"message html":  MessagePage(MessageView{Chrome: chrome, ID: 1, BodyURL: "/mail/1/body", RemoteBlocked: true, ShowImagesURL: "/mail/1?remote=1", Trashed: true}),
		"message raw":   MessagePage(MessageView{Chrome: chrome, ID: 1, ParseError: true, Raw: "From: x\r\n\r\n<b>"}),
		"message empty": MessagePage(MessageView{Chrome: chrome, ID: 1, NoBody: true}),
		"settings zero": SettingsPage(SettingsView{}),
		"settings":      SettingsPage(SettingsView{Chrome: chrome, Accounts: []AccountStatus{status, {State: "ok", LastSuccess: "today", Insecure: true}, {State: "pending"}, {State: "disabled"}, {State: "stopped", Messages: 1}}, Password: PasswordForm{CurrentError: "c"}, Preferences: PreferencesForm{Languages: []Option{{Value: "", Label: "Auto", Selected: true}}, TimeZones: []string{"UTC"}}}),
		"account zero":  AccountFormPage(AccountFormView{}),
		"account new":   AccountFormPage(AccountFormView{Chrome: chrome, New: true, Security: "tls", Intervals: []Option{{Value: "10", Label: "10", Selected: true}}, Errors: AccountFormErrors{Name: "n", Email: "e", Host: "h", Port: "p", Security: "s", Username: "u", Password: "pw", Interval: "i", Form: "f"}}),
		"account edit":  AccountFormPage(AccountFormView{Chrome: chrome, HasPassword: true, Security: "none", StatusDetail: &status, DeleteError: "d", Messages: 5}),
		"admin zero":    AdminUsersPage(AdminUsersView{}),
		"admin":         AdminUsersPage(AdminUsersView{Chrome: chrome, Users: []AdminUserRow{{ID: 1, Name: "ana", Self: true}, {ID: 2, Name: "bea", Disabled: true, ResetError: "r", ResetSelected: true}}, Create: CreateUserForm{Name: "x", Admin: true, NameError: "n"}}),
		"error zero":    ErrorPage(ErrorView{}),
		"sign-in zero":  AdminSignInPage(AdminSignInView{}),
		"sign-in": AdminSignInPage(AdminSignInView{Chrome: chrome, Notice: "n", RedirectURI: "https://mail.example.net/oauth/callback", Providers: []SignInProviderView{
			{Issuer: "microsoft", Name: "Microsoft", Registered: true, ClientID: "id", HasSecret: true, Code: true, Device: true, HelpURL: "/help#oauth-microsoft"},
			{Issuer: "google", Name: "Google", Code: true, NeedsPublicURL: true, HelpURL: "/help#oauth-google"},
			{Issuer: "custom", Name: "Generic", Custom: true, CustomName: "Example", Registered: true, Open: true, Error: "e", HelpURL: "/help#oauth-other",
				Form: SignInProviderForm{ClientID: "c", RemoveSecret: true, Name: "Example", AuthURL: "https://a", ClientIDError: "c", AuthURLError: "a", HostsError: "h"}},
		}}),
		"sign-in no public url": AdminSignInPage(AdminSignInView{Chrome: chrome, Providers: []SignInProviderView{{Issuer: "custom", Custom: true, HelpURL: "/help#oauth-other"}}}),
		"account start":         AccountStartPage(AccountStartView{Chrome: chrome, Email: "a@b", EmailError: "e", PasswordError: "p", FormError: "f", ManualURL: "/settings/accounts/new?manual=1"}),
		"account start zero":    AccountStartPage(AccountStartView{}),
		"account proposed": AccountFormPage(AccountFormView{Chrome: chrome, New: true, TestURL: "/settings/accounts/test", Token: "tok", PasswordKept: true,
			Provider: &ProviderView{Name: "Gmail", Steps: []string{"Enable POP"}, HelpURL: "https://support.google.com/"}, Notes: []string{"n"},
			Trust: "ab", TrustShown: "AB", TrustHost: "h:995"}),
		"account failed save": AccountFormPage(AccountFormView{Chrome: chrome, New: true, TestURL: "/t", Result: &TestResultView{
			Steps:   []TestStepView{{Step: "resolve", Label: "Look up", OK: true, Facts: []string{"f"}}, {Step: "connect", Label: "Connect", Warnings: []string{"w"}}},
			Outcome: TestOutcomeView{SaveAnyway: true, Diagnosis: &diagnosis}}}),
		"test page":          TestPage(AccountFormView{Chrome: chrome, TestURL: "/t"}, TestStepItem(TestStepView{Step: "resolve", Label: "L", OK: true}), TestOutcome(TestOutcomeView{OK: true, Summary: "s", Warnings: []string{"w"}})),
		"settings diagnosis": SettingsPage(SettingsView{Chrome: chrome, Accounts: []AccountStatus{{State: "failing", TrustedCert: "AB:CD", Diagnosis: &diagnosis}}}),
		"help":               HelpPage(HelpView{Chrome: chrome, Topics: []HelpTopicView{{Anchor: "error-x", Title: "T", Body: []string{"b"}}}}),
		"help zero":          HelpPage(HelpView{}),
		"help public url":    HelpPage(HelpView{Chrome: chrome, OAuthRedirectURI: "https://mail.example.net/oauth/callback"}),
		"error":              ErrorPage(ErrorView{Chrome: chrome, Status: 404, Heading: "Not found", Message: "m", Home: "/mail"}),
	}
	for _, lang := range []language.Tag{language.English, language.Spanish} {
		ctx := i18n.WithLocale(context.Background(), i18n.New(lang))
		for name, page := range pages {
			var buf bytes.Buffer
			if err := page.Render(ctx, &buf); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out := buf.String()
			if !strings.Contains(out, `<html lang="`+i18n.New(lang).Code()+`"`) {
				t.Errorf("%s: no html lang %s", name, lang)
			}
			for _, bad := range []string{"%!", "style=", "<style", "<script>", " onclick", "javascript:"} {
				if strings.Contains(out, bad) {
					t.Errorf("%s (%s): output contains %q", name, lang, bad)
				}
			}
		}
	}
}
