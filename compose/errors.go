package compose

import (
	"errors"
	"fmt"
	"strconv"
)

// The kinds of invalid input, for errors.Is. Every error of Check and Write
// about the draft is a *FieldError wrapping one of them.
var (
	ErrMissing          = errors.New("missing")
	ErrLineBreak        = errors.New("contains a line break")
	ErrControl          = errors.New("contains a control character")
	ErrInvalidUTF8      = errors.New("is not valid UTF-8")
	ErrInvalidAddress   = errors.New("is not a valid email address")
	ErrNeedsSMTPUTF8    = errors.New("has a non-ASCII user name, which needs a server that offers SMTPUTF8")
	ErrNoRecipients     = errors.New("no recipients")
	ErrInvalidMessageID = errors.New("is not a valid message ID")
	ErrInvalidDate      = errors.New("is not a date a message can carry")
	ErrTooLong          = errors.New("is too long")
	ErrTooLarge         = errors.New("message is larger than the server accepts")
)

// The fields a FieldError can be about.
const (
	FieldFrom       = "from"
	FieldTo         = "to"
	FieldCc         = "cc"
	FieldBcc        = "bcc"
	FieldSubject    = "subject"
	FieldText       = "text"
	FieldHTML       = "html"
	FieldAttachment = "attachment"
	FieldForwarded  = "forwarded"
	FieldInReplyTo  = "in-reply-to"
	FieldReferences = "references"
	FieldMessageID  = "message-id"
	FieldDate       = "date"
)

// FieldError is a problem with one field of a draft: Index is the position
// in a list field (To, Cc, Bcc, Attachments, References), -1 otherwise, and
// Value the offending input, for the message shown.
type FieldError struct {
	Field string
	Index int
	Value string
	Err   error
}

func (e *FieldError) Error() string {
	f := e.Field
	if e.Index >= 0 {
		f += "[" + strconv.Itoa(e.Index) + "]"
	}
	if e.Value == "" {
		return fmt.Sprintf("compose: %s: %v", f, e.Err)
	}
	return fmt.Sprintf("compose: %s %q: %v", f, e.Value, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrors lists the field errors in err (one, or several joined with
// errors.Join, as Check returns them), so a form can mark every field.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		var fe *FieldError
		switch e := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		default:
			if errors.As(err, &fe) {
				out = append(out, fe)
			}
		}
	}
	walk(err)
	return out
}

// problems collects field errors while a draft is checked.
type problems []error

func (ps *problems) add(field string, index int, value string, err error) {
	*ps = append(*ps, &FieldError{Field: field, Index: index, Value: value, Err: err})
}

func (ps problems) err() error { return errors.Join(ps...) }
