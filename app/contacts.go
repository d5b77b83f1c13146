package app

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
)

// Input fields of a contact.
const (
	FieldContactName = "contact_name"
	FieldContactAddr = "contact_addr"
)

// maxContactsListed bounds the contacts page.
const maxContactsListed = 500

// Contacts is the people a user writes to: found in mail, and edited by
// the user (a name to show, or never to propose an address).
type Contacts struct {
	db *db.DB
}

// NewContacts returns the contacts service.
func NewContacts(store *db.DB) *Contacts { return &Contacts{db: store} }

// List returns the user's contacts whose address or name starts with
// prefix ("" for all), the saved ones first, then the most recent.
func (s *Contacts) List(ctx context.Context, userID int64, prefix string) ([]db.Contact, error) {
	return s.db.Contacts(ctx, userID, strings.TrimSpace(prefix), maxContactsListed)
}

// contactAddr checks one address as typed for a contact.
func contactAddr(addr string, ps *problems) string {
	addr = strings.TrimSpace(addr)
	list, err := compose.ParseList(addr)
	if err != nil || len(list) != 1 || list[0].Name != "" {
		ps.add(FieldContactAddr, i18n.Key("Enter one address, like name@example.com."))
		return ""
	}
	return list[0].Addr
}

// Save records the name to show for an address (and proposes it again if
// it was hidden).
func (s *Contacts) Save(ctx context.Context, userID int64, name, addr string) error {
	var ps problems
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxDisplayName || strings.ContainsAny(name, "\r\n\x00") || !utf8.ValidString(name) {
		ps.add(FieldContactName, i18n.Key("Use at most %d characters, on one line."), MaxDisplayName)
	}
	addr = contactAddr(addr, &ps)
	if err := ps.err(); err != nil {
		return err
	}
	return s.db.SaveContact(ctx, userID, name, addr)
}

// Hide stops proposing an address, wherever it was found.
func (s *Contacts) Hide(ctx context.Context, userID int64, addr string) error {
	var ps problems
	addr = contactAddr(addr, &ps)
	if err := ps.err(); err != nil {
		return err
	}
	return s.db.HideContact(ctx, userID, addr)
}
