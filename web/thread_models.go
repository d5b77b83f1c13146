package web

// ThreadView is a conversation on one page: its messages oldest first,
// the earlier ones folded to a line, each with its own actions.
type ThreadView struct {
	Chrome
	Subject  string
	Messages []ThreadMessage
	Total    int // messages in the conversation (outside the trash, unless opened from there)
	Shown    int // the newest this many are on the page
	BackURL  string
	NewerURL string // the list's newer conversation, or ""
	OlderURL string // its older one, or ""
	Notice   string
	Undo     *UndoNotice
}

// ThreadMessage is one message of a conversation's page.
type ThreadMessage struct {
	ID      int64
	Open    bool // shown unfolded: the newest, the unread and the one opened
	From    string
	Addr    string
	To      []Address
	Cc      []Address
	Date    string
	Snippet string // the folded line's text
	Account string // the account's name, when the user has several
	Trashed bool
	// Its body, as the message page shows it: the sanitized HTML in the
	// sandboxed frame (BodyURL), or the text, or neither.
	BodyURL       string
	Text          []TextSegment
	NoBody        bool
	ParseError    bool   // unreadable: its source is on its own page
	RemoteBlocked bool   // the body has remote content, blocked
	RemoteURL     string // its own page with the remote content shown once
	Attachments   []Attachment
	URL           string // its own page, with every header and choice
	// ReplyURL, ReplyAllURL and ForwardURL open the composer; "" when no
	// account can send.
	ReplyURL, ReplyAllURL, ForwardURL string
	// Return is where its Delete comes back to: the conversation without
	// it, or the list when it was the last one.
	Return string
}
