package web

import (
	"time"

	"github.com/apartado/apartado/message"
)

// BodyFrameSandbox is what the sandboxed frame of a sender's HTML allows
// (and the sandbox of the document's own policy, handlers/message.go):
// links that open in a new tab, and the app's origin, so that the page's
// script can read how tall the document is and size the frame to it. It
// never allows scripts: with nothing running inside, the origin gives the
// sender's HTML nothing (the document's policy has no script-src either).
const BodyFrameSandbox = "allow-same-origin allow-popups allow-popups-to-escape-sandbox"

// Assets are the versioned URLs of the static files.
type Assets struct {
	CSS, JS, Icon, Manifest string
	TouchIcon               string // the home screen's icon on iOS (PNG)
	Editor                  string // the composer's formatting editor, loaded on that page only
	Keys                    string // the keyboard shortcuts, loaded on signed-in pages
	Live                    string // keeps a message list up to date, loaded on the lists only
}

// Sections of the navigation, for marking the current one.
const (
	SectionInbox    = "inbox"
	SectionTrash    = "trash"
	SectionSent     = "sent"
	SectionSettings = "settings"
	SectionAdmin    = "admin"
	SectionCompose  = "compose"
	SectionOutbox   = "outbox"
)

// Chrome is what frames every page: the title and, once signed in, the
// navigation.
type Chrome struct {
	Title   string // translated
	Assets  Assets
	Nav     *Nav     // nil before sign-in (setup, login, some errors)
	Sidebar *Sidebar // the mailboxes, on the mail pages; nil elsewhere
	// Heading names the page in the header of a narrow screen when Title
	// says more than its name (a list's unread count); "" means Title.
	Heading string
	// Refresh, when not 0, reloads the page every that many seconds (a
	// page waiting for something elsewhere, without script).
	Refresh int
}

// headerTitle is the page's name in the header of a narrow screen.
func (c Chrome) headerTitle() string {
	if c.Heading != "" {
		return c.Heading
	}
	return c.Title
}

// Sidebar lists the user's mailboxes beside the mail pages (a drawer on a
// phone): the system ones, the starred view, then the user's folders.
type Sidebar struct {
	Items      []SidebarItem
	FoldersURL string // the page that manages folders
}

// SidebarItem is one mailbox (or view) in the sidebar.
type SidebarItem struct {
	Key     string // the role, "starred", or "folder" (for data-testid)
	ID      int64  // the mailbox's id; 0 for the starred view
	Label   string
	URL     string
	Unread  int64 // shown when not 0
	Nested  bool  // a folder inside another
	Current bool
}

// UndoNotice says what an action did, with a button that undoes it.
type UndoNotice struct {
	Text   string
	ID     string // the undo record, posted back to /mail/undo
	Return string // the page to come back to after undoing
}

// Nav is the signed-in user's navigation.
type Nav struct {
	UserName       string
	IsAdmin        bool
	Section        string // one of the Section constants, or ""
	CurrentAccount int64  // the account whose inbox is shown, or 0
	InboxUnread    int64
	Accounts       []NavAccount
	Query          string // the search shown, for the header's search field
	Shortcuts      bool   // the user's pages answer keyboard shortcuts
	GoTo           GoTo   // where the "g then …" shortcuts lead
	// Failing are the accounts whose mail has stopped arriving, said on
	// every page until fixed.
	Failing []FailingAccount
	// Changes are what administrators changed in the user's accounts, said
	// on every page until dismissed.
	Changes []AccountChangeNotice
	Path    string // the page shown, to come back to after dismissing them
}

// AccountChangeNotice tells users what an administrator changed in their
// accounts, and when.
type AccountChangeNotice struct {
	ID         int64
	Text, When string
}

// FailingAccount is an account whose mail has stopped arriving: what is
// wrong, in one sentence, and where to fix it.
type FailingAccount struct {
	Name, Problem, FixURL string
}

// GoTo are the lists the "g then …" shortcuts open.
type GoTo struct {
	Inbox, Starred, Sent, Drafts string
}

// NavAccount is one account in the navigation, with its unread count.
type NavAccount struct {
	ID     int64
	Name   string
	Unread int64
	URL    string
}

// SetupView is the first-run "create the administrator" form.
type SetupView struct {
	Chrome
	Code          string // the one-time set-up code, as typed
	CodeError     string
	Name          string
	NameError     string
	PasswordError string
	ConfirmError  string
	FormError     string
}

// LoginView is the sign-in form.
type LoginView struct {
	Chrome
	Name   string
	Next   string // a local path to go to after signing in
	Error  string
	Notice string // what just happened (signing out)
}

// MailboxView is a page of a message list: the inbox (of every account or
// one) or the trash.
type MailboxView struct {
	Chrome
	Heading    string
	Trash      bool
	Sent       bool // the Sent mailbox: rows name the recipients
	Total      int64
	Rows       []MessageRow
	NewerURL   string // "" on the first page
	OlderURL   string // "" on the last page
	ReturnPath string // this page, for the actions form to come back to
	NoAccounts bool   // the user has not added an account yet
	Notice     string
	Undo       *UndoNotice // the last action's notice, to undo it
	Actions    ListActions
	AutoEmpty  string // how the mailbox empties itself ("" when it does not)
	// Live keeps the page up to date with JavaScript (static/live.js),
	// and has the Check mail button.
	Live *LiveView
	// Conversations: a row is a conversation, and the actions act on
	// all its messages in the list. Grouping: older mail is still being
	// put in its conversations.
	Conversations, Grouping bool
}

// LiveView is what a list page needs to keep itself up to date: where to
// ask what changed, and since when.
type LiveView struct {
	URL       string // the JSON that says what changed (handlers/live.go)
	Since     int64  // the list's count of arrivals when the page was drawn
	FirstPage bool   // new mail belongs on this page: offer to show it
	ShowURL   string // the list's first page, which shows the new mail
	Soon      bool   // a check was just asked for: ask often for a while
	Badge     int64  // the user's unread mail, for the installed app's badge
}

// ListActions are the list's bulk actions, shaped by the list shown.
type ListActions struct {
	Trash       bool     // in the trash: restore and delete for good
	Junk        bool     // in junk: "not junk" rather than "junk"
	MoveTo      []Option // the mailboxes the selection can move to
	MailboxID   int64    // the mailbox shown, for "mark all read"; 0 for a view (starred)
	AccountID   int64    // the account the list is limited to, or 0
	MarkAllRead bool     // the mailbox has unread messages
}

// MessageRow is one message in a list.
type MessageRow struct {
	ID            int64
	URL           string
	From          string // the sender's name, or address
	FromAddr      string
	Subject       string // "(no subject)" already filled in
	Snippet       string
	Date          string // short
	DateFull      string
	Account       string // the account's name, when the list spans accounts
	Unread        bool
	Starred       bool
	HasAttachment bool
	// SubjectParts and SnippetParts, when set (search results), are the
	// subject and the snippet with the words the search matched marked.
	SubjectParts []Segment
	SnippetParts []Segment
	// Count is how many messages of the list the row stands for when the
	// list shows conversations (From then names their senders); 0 or 1
	// for a message alone.
	Count int
}

// Segment is a piece of text, marked or not (a search's matched words).
type Segment struct {
	Text string
	Mark bool
}

// Address is a mailbox in a header.
type Address struct {
	Name string
	Addr string
}

// Header is one header field, decoded.
type Header struct {
	Key   string
	Value string
}

// Attachment is a downloadable part of a message.
type Attachment struct {
	Name    string
	Type    string
	Size    string
	URL     string
	Preview bool // an image the browser may show from URL
}

// TextSegment is a run of plain text, or a link when URL is set.
type TextSegment struct {
	Text string
	URL  string
}

// MessageView is the message page.
type MessageView struct {
	// ReplyURL, ReplyAllURL, ForwardURL and ForwardAttachedURL open the
	// composer; "" when no account can send.
	ReplyURL, ReplyAllURL, ForwardURL, ForwardAttachedURL string
	Chrome
	ID            int64
	Subject       string
	From          []Address
	To            []Address
	Cc            []Address
	ReplyTo       []Address
	Date          string
	Account       string
	Headers       []Header
	BodyURL       string        // the sanitized HTML body, for the sandboxed iframe; "" for a text body
	Text          []TextSegment // the text body, when BodyURL is ""
	NoBody        bool          // neither an HTML nor a text body
	RemoteBlocked bool
	ShowImagesURL string
	Attachments   []Attachment
	Nested        []NestedMessageView // attached messages, shown below the body
	Events        []message.Event     // calendar invitations, summarised above the body
	Zone          *time.Location      // the reader's time zone, for the invitations' times
	ParseError    bool
	Raw           string // the raw source, shown when ParseError
	Trashed       bool
	Junk          bool // in junk: "not junk" rather than "junk"
	Starred       bool
	MoveTo        []Option // the mailboxes it can move to
	NewerURL      string   // the newer message of the list it was opened from, or ""
	OlderURL      string   // the older one, or ""
	Undo          *UndoNotice
	Notice        string
	BackURL       string
	ReturnPath    string // where the actions form returns: the list it came from
	RawURL        string
	DownloadURL   string

	// Remote content: shown this once (?remote=1), or always because the
	// reader trusts Sender, the sole From address ("" when the From header
	// has several addresses or none, which cannot be trusted).
	RemoteShownOnce  bool
	SenderTrusted    bool
	Sender           string
	TrustSenderURL   string // POST: always show remote content from Sender
	UntrustSenderURL string // POST: stop trusting Sender
}

// NestedMessageView is a message attached to the one shown (message/rfc822).
type NestedMessageView struct {
	Subject     string
	From, To    []Address
	Cc          []Address
	Date        string
	BodyURL     string        // its sanitized HTML, for a sandboxed iframe; "" for text
	Text        []TextSegment // its text, when BodyURL is ""
	ParseError  bool
	DownloadURL string // the attached message as an .eml file
}

// SendersView lists the senders whose remote content always loads.
type SendersView struct {
	Chrome
	Senders []TrustedSender
	Notice  string
}

// TrustedSender is one address on the trusted senders page.
type TrustedSender struct {
	Address string
	Since   string
}

// AccountStatus is one account on the settings page.
type AccountStatus struct {
	ID           int64
	Name         string
	Email        string
	Server       string
	Security     string // translated
	Insecure     bool
	TrustedCert  string // the fingerprint of a certificate trusted whatever its issuer, formatted; "" if none
	Messages     int64
	Unread       int64
	State        string // "ok", "failing", "stopped", "pending", "disabled"
	LastSuccess  string // "" never
	Error        string // one plain sentence
	ErrorDetail  string // the server's own words
	FailingSince string
	EditURL      string
	CheckURL     string
	Retention    string // what happens to mail on the server, one short phrase
	// Diagnosis explains a failing account's last error, with links to
	// the edit form with each fix filled in.
	Diagnosis *DiagnosisView
	// Progress is set while a sync runs or has been asked for.
	Progress *SyncProgressView
	Counts   ServerCountsView
	// ExpireWarning says that the server's own retention (its EXPIRE
	// capability) overrides the account's choice; "" when it does not.
	ExpireWarning string
}

// Option is one choice of a select or a radio group.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// PasswordForm is the "change my password" form.
type PasswordForm struct {
	CurrentError string
	NewError     string
	ConfirmError string
}

// PreferencesForm is the language and time zone form.
type PreferencesForm struct {
	Languages     []Option
	AfterAction   []Option // where a message page leads after archiving, moving or deleting
	TimeZone      string
	TimeZones     []string // suggestions
	ServerZone    string
	TimeZoneError string
	// EmptyAfterDays: after how many days the Trash and Junk are emptied
	// (0 never), as typed.
	EmptyAfterDays      string
	EmptyAfterDaysError string
	Shortcuts           bool // the pages answer keyboard shortcuts
	Conversations       bool // the lists show one row per conversation
}

// SettingsView is the settings page.
type SettingsView struct {
	Chrome
	Notice      string
	Accounts    []AccountStatus
	Password    PasswordForm
	Preferences PreferencesForm
	// Alerts is an administrator's choice of mail about failing accounts
	// (nil for members).
	Alerts *AlertsForm
	// Notifications is the section on browser notifications of new mail.
	Notifications NotificationsView
}

// AlertsForm chooses the account (the administrator's own, with an
// outgoing server) that alerts about failing accounts are sent from and
// to; the first option is "no alerts".
type AlertsForm struct {
	Options []Option
}

// NotificationsView is the settings page's section on browser
// notifications: static/notify.js turns them on and off in this browser
// with the server's public key; without JavaScript the devices can still
// be removed and the accounts chosen.
type NotificationsView struct {
	Script         string // static/notify.js
	PublicKey      string // the server's VAPID public key, base64url
	SubscribeURL   string
	UnsubscribeURL string
	AccountsURL    string
	Devices        []PushDevice
	Accounts       []NotifyAccount
}

// PushDevice is a browser that gets the user's notifications.
type PushDevice struct {
	ID        int64
	Label     string // "Firefox · Android"
	Endpoint  string // for the script to tell whether it is this browser
	Added     string // when, as the reader writes dates
	RemoveURL string
}

// NotifyAccount is an account and whether its new mail is notified.
type NotifyAccount struct {
	ID   int64
	Name string
	On   bool
}

// AccountFormErrors are the account form's field errors, translated.
type AccountFormErrors struct {
	Name     string
	Email    string
	Host     string
	Port     string
	Security string
	Username string
	Password string
	Interval string
	// DeleteAfterDays is the "delete N days after downloading" number.
	DeleteAfterDays string
	WhenDeleted     string
	// The outgoing server.
	SMTPHost, SMTPPort, SMTPSecurity, SMTPAuth, SMTPUsername, SMTPPassword string
	DisplayName, Signature                                                 string
	Form                                                                   string
}

// AccountFormView is the form to add or edit a POP3 account.
type AccountFormView struct {
	Chrome
	New    bool
	Action string
	// ForMember names the member whose account an administrator edits ("":
	// the user's own); CancelURL is where Cancel leads.
	ForMember, CancelURL string
	Name                 string
	Email                string
	Host                 string
	Port                 string
	Security             string // "tls", "starttls", "none"
	Username             string
	HasPassword          bool // editing: a password is stored and kept if the field is left empty
	// The outgoing server, as in the form; SMTPHasPassword says the
	// outgoing server has a saved password of its own.
	SMTPHost, SMTPPort, SMTPSecurity, SMTPAuth, SMTPUsername string
	SMTPHasPassword                                          bool
	// The identity mail is sent with.
	DisplayName, Signature string
	DeleteAfterDownload    bool
	// Additions to keeping a copy on the server, combinable:
	// DeleteAfterDaysOn with DeleteAfterDays (as typed) deletes a message
	// on the server that many days after it was first downloaded;
	// WhenDeleted (db.DeleteWhenDeleted values, Selected marks the
	// current one) says what deleting it here does on the server.
	DeleteAfterDaysOn bool
	DeleteAfterDays   string
	WhenDeleted       []Option
	Intervals         []Option
	Errors            AccountFormErrors
	// Editing only.
	DeleteURL    string
	Messages     int64
	DeleteError  string
	CheckURL     string
	StatusDetail *AccountStatus
	History      []SyncRecordView // the last syncs, newest first

	// Set-up and the connection test.
	TestURL  string        // where "Test connection" posts
	Notice   string        // e.g. "the suggested change is filled in"
	Provider *ProviderView // what autodiscovery knows of the provider
	Notes    []string      // what autodiscovery has to say
	// Token carries the password typed earlier, sealed with the server's
	// key, so that it is never written back into the page.
	Token        string
	PasswordKept bool
	// Trust is the SHA-256 fingerprint (hex) of a certificate the user
	// chose to trust for TrustHost ("host:port"); TrustShown is it
	// formatted for people.
	Trust      string
	TrustShown string
	TrustHost  string
	// Result is the failed connection test that stopped a save.
	Result *TestResultView
	// OAuthGrant is the sign-in with the provider the account uses
	// instead of a password (0: none), carried in the form; ProviderID is
	// the provider discovery found. SignIn is the part of the form about
	// signing in with the provider; nil when it has none.
	OAuthGrant int64
	ProviderID string
	SignIn     *SignInBoxView
}

// SignInBoxView is the account form's sign-in with the provider.
type SignInBoxView struct {
	Name string // the provider's, "Microsoft"
	// Issuer and Action: "Sign in with Name" posts the form to Action with
	// issuer=Issuer and flow=Flow (code or device; "" offers no button);
	// AlsoDevice adds "Sign in with a code on another device".
	Issuer, Action, Flow string
	AlsoDevice           bool
	// SignedIn: the form carries a sign-in, as Login; Failed: the
	// provider no longer accepts it.
	SignedIn, Failed bool
	Login            string
	// Error is how the last sign-in ended, when it ended without one.
	Error string
	// NotRegistered: the provider accepts no password and nobody
	// registered Apartado with it; HelpURL says how, AdminURL (for an
	// administrator) is where.
	NotRegistered     bool
	HelpURL, AdminURL string
	// ProviderOrigin is where "Sign in with Name" leads (the provider's
	// scheme://host), which the page's Content-Security-Policy must allow
	// as a form's destination; "" for a code on another device.
	ProviderOrigin string
}

// DeviceSignInView is the page of a sign-in with a code typed on another
// device: the code, where to type it, and a way back.
type DeviceSignInView struct {
	Chrome
	Name                         string
	UserCode                     string
	VerificationURI, CompleteURI string
	CancelURL                    string
}

// AdminUserRow is one user on the admin page.
type AdminUserRow struct {
	ID            int64
	Name          string
	Role          string // translated
	Disabled      bool
	Self          bool
	Created       string
	DisableURL    string
	EnableURL     string
	ResetURL      string
	ResetError    string
	ResetSelected bool
	// The household: when they last signed in ("" never), the mail their
	// accounts hold, and how each account fares.
	LastSignIn    string
	Storage       string
	Messages      int64
	AddAccountURL string
	Accounts      []HouseholdAccount
	// Changing the role, deleting (DeleteSelected: its form open, after a
	// mistyped confirmation).
	IsAdmin            bool
	RoleURL, DeleteURL string
	DeleteSelected     bool
}

// HouseholdAccount is a member's account as the administrator sees it:
// its state, never its mail.
type HouseholdAccount struct {
	Name, Email string
	State       string // "ok", "failing", "stopped", "pending", "disabled"
	StateLabel  string // translated
	LastCheck   string // the last successful one; "" never
	NextCheck   string // when it is due; "" when none is (disabled, stopped)
	Problem     string // what is wrong, when failing
	Since       string // failing since
	Messages    int64
	Storage     string
	CheckURL    string // asks for a check now
	EditURL     string // the administrator's form to test, fix or remove it
}

// CreateUserForm is the admin's "add a user" form.
type CreateUserForm struct {
	Name          string
	Admin         bool
	NameError     string
	PasswordError string
}

// AdminUsersView is the admin page.
type AdminUsersView struct {
	Chrome
	Notice string
	Error  string
	Users  []AdminUserRow
	Create CreateUserForm
}

// ErrorView is an error page.
type ErrorView struct {
	Chrome
	Status  int
	Heading string
	Message string
	Home    string // where "go back" leads
}

// ComposeView is the form to write a message: new, a reply or a forward.
type ComposeView struct {
	Chrome
	// Accounts are the accounts that can send (Value: the id; Label: the
	// name and address), Selected marking the From; empty when none has
	// an outgoing server yet.
	Accounts    []SendingAccount
	To, Cc, Bcc string
	Subject     string
	Text        string
	HTML        string // the formatted text (sanitized), or "": the composer starts in formatting mode with it
	MaxHTML     int    // the bound of the HTML field, in octets
	ShowCc      bool   // Cc or Bcc has something: show those fields open
	Hidden      []HiddenField
	// Files are what the message sends besides new uploads: files kept
	// with the draft, the original's files, the original itself.
	Files []ComposeFile
	// LostAttachments names files that could not be kept, to attach again.
	LostAttachments     []string
	Errors              ComposeErrors
	SettingsURL         string // where to set up an outgoing server
	MaxAttachmentsHuman string // how much the From account's attachments may add up to, for people
	DraftID             int64  // the saved draft this is, or 0
	// ComposeKey is the key of the message being written (app.NewComposeKey),
	// posted with every save of it.
	ComposeKey string
	// OutboxURL, when set, links to the outbox under the form's error: the
	// message was found there already.
	OutboxURL string
}

// ComposeFile is a file the composer will send, with a checkbox to
// remove it.
type ComposeFile struct {
	Remove string // the value of the "remove" checkbox
	Name   string
	Size   string // for people
}

// SendingAccount is an account the composer can send from.
type SendingAccount struct {
	Option
	// MaxAttachments is how much its attachments may add up to, for
	// people: its outgoing server's limit, when smaller than Apartado's.
	MaxAttachments string
}

// DraftsView lists the drafts.
type DraftsView struct {
	Chrome
	Rows   []DraftRow
	Notice string
}

// DraftRow is one draft.
type DraftRow struct {
	ID        int64
	Subject   string
	To        string
	When      string
	URL       string // opens it in the composer
	DeleteURL string
}

// ComposeErrors are the composer's field errors, translated.
type ComposeErrors struct {
	Account, To, Cc, Bcc, Subject, Text, Attachments, Form string
}

// OutboxView lists the messages on their way out.
type OutboxView struct {
	Chrome
	Rows   []OutboxRow
	Notice string
}

// OutboxRow is one message in the outbox.
type OutboxRow struct {
	ID          int64
	Subject     string
	To          string
	State       string // the db.OutboxState, for data-state
	StateText   string
	When        string
	Detail      string // the diagnosis of a failure, or ""
	Explanation string // its cause and what to do
	UndoURL     string // while it can still be taken back
	EditURL     string // a message that failed: take it back to edit
	UndoUntil   string // RFC 3339, for the page's countdown
	ResolveURL  string // for a message that may have been sent
}

// ContactsView is the list of people the user writes to.
type ContactsView struct {
	Chrome
	Rows      []ContactRow
	Notice    string
	Query     string
	NewName   string
	NewAddr   string
	NameError string
	AddrError string
}

// ContactRow is one contact.
type ContactRow struct {
	Name, Addr string
	Saved      bool
}

// FoldersView is the page that manages the user's folders.
type FoldersView struct {
	Chrome
	Folders []FolderRow
	Parents []Option // the top-level folders a folder can go inside ("" for the top level)
	Notice  string
	// The "new folder" form, as typed, with its errors.
	NewName, NewParent string
	NameError          string
	ParentError        string
	FormError          string
	// ErrorFolder is the folder whose rename or delete form the errors are
	// about (0: the new folder form).
	ErrorFolder int64
}

// FolderRow is one folder on the folders page with its forms.
type FolderRow struct {
	ID        int64
	Name      string
	Parent    int64
	Nested    bool
	Total     int64
	URL       string // its list
	UpdateURL string // POST: rename and place
	DeleteURL string // POST: delete, its messages to the inbox or the trash
	Parents   []Option
}

// NameErrorFor is the name's error of the form of folder id (0: the new
// folder form), or "".
func (v FoldersView) NameErrorFor(id int64) string {
	if v.ErrorFolder != id {
		return ""
	}
	return v.NameError
}

// ParentErrorFor is the placement's error of the form of folder id.
func (v FoldersView) ParentErrorFor(id int64) string {
	if v.ErrorFolder != id {
		return ""
	}
	return v.ParentError
}

// ImportView is the import page.
type ImportView struct {
	Chrome
	Notice, Error string
	Accounts      []Option // the user's accounts, by id
	Job           *ImportJobView
}

// ImportJobView is the last import: running (Progress) or ended (Result).
type ImportJobView struct {
	Title    string // "Importing takeout.mbox", "takeout.mbox"
	Progress *SyncProgressView
	Result   string
	Folders  string // the folders made, by name, comma-separated
	Skipped  []string
}
