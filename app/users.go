package app

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/password"
)

// Input fields of the user rules, as Problem.Field names them.
const (
	FieldUserName = "user-name"
	FieldPassword = "user-password"
)

// MaxUserName bounds a user name, in characters.
const MaxUserName = 64

// ErrAlreadySetUp means the first administrator exists already: the
// first-run set-up is over.
var ErrAlreadySetUp = errors.New("app: the first administrator exists already")

// Users creates users and sets their passwords.
type Users struct {
	db     *db.DB
	hashes *password.Gate
	params password.Params
}

// NewUsers returns the users service. hashes bounds the password hashes
// computed at once (nil: as many as CPUs, a few more waiting); the zero
// params mean password.Default.
func NewUsers(store *db.DB, hashes *password.Gate, params password.Params) *Users {
	if hashes == nil {
		n := runtime.NumCPU()
		hashes = password.NewGate(n, 4*n, 3*time.Second)
	}
	if params == (password.Params{}) {
		params = password.Default
	}
	return &Users{db: store, hashes: hashes, params: params}
}

// Hashes is the gate every password hash of this service goes through, for
// adapters that verify passwords themselves (signing in).
func (s *Users) Hashes() *password.Gate { return s.hashes }

// NewUser is what creating a user takes.
type NewUser struct {
	Name     string // trimmed by Create
	Password string
	Admin    bool
}

// CheckUserName returns the problem with a user name (after trimming), if
// any. Names may hold spaces ("ana maria") and any letters; not control
// characters or broken UTF-8.
func CheckUserName(name string) (Problem, bool) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Problem{FieldUserName, i18n.Key("Enter a user name."), nil}, true
	case !utf8.ValidString(name) || strings.IndexFunc(name, func(c rune) bool { return unicode.IsControl(c) || c == utf8.RuneError }) >= 0:
		return Problem{FieldUserName, i18n.Key("Use only letters, digits, spaces and punctuation."), nil}, true
	case utf8.RuneCountInString(name) > MaxUserName:
		return Problem{FieldUserName, i18n.Key("Use at most %d characters."), []any{MaxUserName}}, true
	}
	return Problem{}, false
}

// CheckNewPassword returns the problem with a new password, if any.
func CheckNewPassword(pw string) (Problem, bool) {
	if msg := password.Check(pw); msg != "" {
		return Problem{FieldPassword, msg, nil}, true
	}
	return Problem{}, false
}

// Validate runs the rules of a new user: nil, or an *Invalid naming every
// problem.
func (in NewUser) Validate() error {
	var ps problems
	if p, bad := CheckUserName(in.Name); bad {
		ps = append(ps, p)
	}
	if p, bad := CheckNewPassword(in.Password); bad {
		ps = append(ps, p)
	}
	return ps.err()
}

// Create adds a user. The error is an *Invalid for a broken rule or a name
// that is taken, password.ErrBusy when too many passwords are being hashed.
func (s *Users) Create(ctx context.Context, in NewUser) (db.User, error) {
	return s.create(ctx, in, false)
}

// CreateFirstAdmin adds the first administrator, only while no user
// exists (ErrAlreadySetUp after), so two racing first-run forms cannot
// both succeed.
func (s *Users) CreateFirstAdmin(ctx context.Context, in NewUser) (db.User, error) {
	in.Admin = true
	return s.create(ctx, in, true)
}

func (s *Users) create(ctx context.Context, in NewUser, first bool) (db.User, error) {
	in.Name = strings.TrimSpace(in.Name)
	if err := in.Validate(); err != nil {
		return db.User{}, err
	}
	hash, err := s.hashes.Hash(ctx, in.Password, s.params)
	if err != nil {
		return db.User{}, err
	}
	role := db.RoleMember
	if in.Admin {
		role = db.RoleAdmin
	}
	var u db.User
	if first {
		u, err = s.db.CreateFirstAdmin(ctx, in.Name, hash)
		if errors.Is(err, db.ErrConflict) {
			return db.User{}, ErrAlreadySetUp
		}
	} else {
		u, err = s.db.CreateUser(ctx, in.Name, hash, role)
		if errors.Is(err, db.ErrConflict) {
			return db.User{}, &Invalid{[]Problem{{FieldUserName, i18n.Key("There is already a user with this name."), nil}}}
		}
	}
	return u, err
}

// SetPassword gives a user a new password; the database ends every session
// of theirs with it.
func (s *Users) SetPassword(ctx context.Context, userID int64, pw string) error {
	if p, bad := CheckNewPassword(pw); bad {
		return &Invalid{[]Problem{p}}
	}
	hash, err := s.hashes.Hash(ctx, pw, s.params)
	if err != nil {
		return err
	}
	return s.db.SetPassword(ctx, userID, hash)
}

// CheckPassword reports whether pw is u's password, through the gate.
func (s *Users) CheckPassword(ctx context.Context, u db.User, pw string) (bool, error) {
	return s.hashes.Verify(ctx, u.PasswordHash, pw)
}
