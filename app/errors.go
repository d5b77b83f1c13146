package app

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one broken rule: the input field it is about ("" for the
// input as a whole) and what to say, as a message key and its arguments
// for the interface to translate.
type Problem struct {
	Field string
	Key   string
	Args  []any
}

// String is the problem in English.
func (p Problem) String() string {
	if len(p.Args) == 0 {
		return p.Key
	}
	return fmt.Sprintf(p.Key, p.Args...)
}

// Invalid is the error of an input that breaks one or more rules. It lists
// every problem found, so a form can mark all its fields at once.
type Invalid struct {
	Problems []Problem
}

func (e *Invalid) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// On returns the problem with field, if there is one.
func (e *Invalid) On(field string) (Problem, bool) {
	for _, p := range e.Problems {
		if p.Field == field {
			return p, true
		}
	}
	return Problem{}, false
}

// Fields lists the fields that have problems, in order, each once.
func (e *Invalid) Fields() []string {
	var out []string
	for _, p := range e.Problems {
		if len(out) == 0 || out[len(out)-1] != p.Field {
			out = append(out, p.Field)
		}
	}
	return out
}

// problems collects problems while input is checked.
type problems []Problem

func (ps *problems) add(field, key string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Key: key, Args: args})
}

// err is nil without problems, else an *Invalid.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Invalid{Problems: ps}
}

// AsInvalid returns err's *Invalid, if it is one.
func AsInvalid(err error) (*Invalid, bool) {
	var inv *Invalid
	ok := errors.As(err, &inv)
	return inv, ok
}
