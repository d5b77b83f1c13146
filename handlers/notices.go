package handlers

import (
	"net/http"

	"github.com/apartado/apartado/i18n"
)

// The outcomes of forms, named in the redirect's ?done= so that the page
// it leads to says what happened (Post/Redirect/Get).
const (
	// Settings.
	doneAccountAdded   = "account-added"
	doneAccountSaved   = "account-saved"
	doneAccountDeleted = "account-deleted"
	doneCheckStarted   = "check-started"
	// Check mail, on the lists (live.go).
	doneCheckMail       = "check-mail"
	doneCheckPartly     = "check-partly"
	doneCheckRecent     = "check-recent"
	doneCheckNothing    = "check-nothing"
	donePasswordChanged = "password-changed"
	donePrefsSaved      = "preferences-saved"
	doneAlertsSaved     = "alerts-saved"
	doneNotifySaved     = "notifications-saved"
	doneDeviceRemoved   = "device-removed"
	// The administrator's users page.
	doneUserAdded    = "user-added"
	doneUserDisabled = "user-disabled"
	doneUserEnabled  = "user-enabled"
	doneUserDeleted  = "user-deleted"
	doneRoleChanged  = "role-changed"
	donePasswordSet  = "password-set"
	// The administrator's sign-in providers page.
	doneSignInSaved   = "sign-in-saved"
	doneSignInRemoved = "sign-in-removed"
	// List actions.
	doneTrashed      = "trashed"
	doneRestored     = "restored"
	doneDeleted      = "deleted"
	doneEmptied      = "emptied"
	doneRead         = "read"
	doneUnread       = "unread"
	doneNoneSelected = "none-selected"
	// Organizing.
	doneUndone         = "undone"
	doneUndoGone       = "undo-gone"
	doneBadTarget      = "bad-target"
	doneNothingChanged = "nothing-changed"
	doneFolderCreated  = "folder-created"
	doneFolderSaved    = "folder-saved"
	doneFolderDeleted  = "folder-deleted"
	// Sending.
	doneQueued   = "queued"
	doneTooLate  = "too-late"
	doneResolved = "resolved"
	// Drafts.
	doneDraftSaved   = "draft-saved"
	doneDraftDeleted = "draft-deleted"
	// Contacts.
	doneContactSaved  = "contact-saved"
	doneContactHidden = "contact-hidden"
	// Signing out (on the sign-in page).
	doneSignedOut = "signed-out"
	// Importing.
	doneImportStarted = "import-started"
)

// notices is what each outcome says, as a message key.
var notices = map[string]string{
	doneAccountAdded:   i18n.Key("The account was added. Apartado is checking it now."),
	doneAccountSaved:   i18n.Key("The account was saved. Apartado is checking it now."),
	doneAccountDeleted: i18n.Key("The account and its messages were deleted."),
	doneCheckStarted:   i18n.Key("Checking for new mail now."),

	// The interval is app.CheckMailInterval's.
	doneCheckMail:       i18n.Key("Checking your accounts for new mail now."),
	doneCheckPartly:     i18n.Key("Checking your other accounts for new mail now. Those checked in the last 30 seconds wait: an account is checked at most once every 30 seconds."),
	doneCheckRecent:     i18n.Key("Your accounts were checked in the last 30 seconds. An account is checked at most once every 30 seconds: try again in a moment."),
	doneCheckNothing:    i18n.Key("No account can be checked: add one, or see Settings for those turned off or waiting for a new password."),
	donePasswordChanged: i18n.Key("Your password was changed. Other devices were signed out."),
	donePrefsSaved:      i18n.Key("Your preferences were saved."),
	doneAlertsSaved:     i18n.Key("Your choice of alerts was saved."),
	doneNotifySaved:     i18n.Key("Your choice of notifications was saved."),
	doneDeviceRemoved:   i18n.Key("That device no longer gets notifications."),

	doneUserAdded:    i18n.Key("The user was added."),
	doneUserDisabled: i18n.Key("The user was disabled and signed out."),
	doneUserEnabled:  i18n.Key("The user was enabled."),
	doneUserDeleted:  i18n.Key("The user, their accounts and all their mail were deleted."),
	doneRoleChanged:  i18n.Key("The user's role was changed."),
	donePasswordSet:  i18n.Key("The new password was set. The user was signed out everywhere."),

	doneSignInSaved:   i18n.Key("The registration was saved. Accounts with this provider can sign in with it."),
	doneSignInRemoved: i18n.Key("The registration was removed. Accounts that signed in with it must sign in again once it is registered anew."),

	doneTrashed:      i18n.Key("Moved to the trash."),
	doneRestored:     i18n.Key("Moved back to the inbox."),
	doneDeleted:      i18n.Key("Deleted for good."),
	doneEmptied:      i18n.Key("The trash was emptied."),
	doneRead:         i18n.Key("Marked as read."),
	doneUnread:       i18n.Key("Marked as unread."),
	doneNoneSelected: i18n.Key("Select one or more messages first."),

	doneUndone:         i18n.Key("Undone: the messages are back as they were."),
	doneUndoGone:       i18n.Key("That can no longer be undone."),
	doneBadTarget:      i18n.Key("That folder is not there any more. Choose another."),
	doneNothingChanged: i18n.Key("Nothing to change: the messages were already so."),
	doneFolderCreated:  i18n.Key("The folder was created."),
	doneFolderSaved:    i18n.Key("The folder was saved."),
	doneFolderDeleted:  i18n.Key("The folder was deleted."),

	doneQueued:   i18n.Key("Your message is on its way. You can take it back for a few seconds."),
	doneTooLate:  i18n.Key("Too late: that message has already left, or has been taken back."),
	doneResolved: i18n.Key("Done. Thank you for checking."),

	doneDraftSaved:   i18n.Key("The draft was saved."),
	doneDraftDeleted: i18n.Key("The draft was deleted."),

	doneContactSaved:  i18n.Key("The contact was saved."),
	doneContactHidden: i18n.Key("That address will not be proposed any more."),

	doneSignedOut: i18n.Key("You are signed out. Sign in again to read your mail."),

	doneImportStarted: i18n.Key("The file arrived. Its mail is being imported: this page shows how far it got."),
}

// doneNotice is the sentence for the request's ?done=, translated, or ""
// for none or an unknown one.
func doneNotice(r *http.Request) string {
	key, ok := notices[r.URL.Query().Get("done")]
	if !ok {
		return ""
	}
	return i18n.T(r.Context(), key)
}
