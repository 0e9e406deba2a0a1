package arm

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel categories of [Error]. Test for them with errors.Is on the error
// returned by [Parse] or [ParseFiles].
var (
	// ErrSyntax: the input is not valid JSON (including truncated input).
	ErrSyntax = errors.New("invalid JSON")
	// ErrLimit: the input exceeds [MaxInputSize], [MaxDepth] or [MaxValues].
	ErrLimit = errors.New("input too large")
	// ErrFormat: valid JSON that is not an ARM resource wrapper, or a resource
	// with a missing or mistyped field (id, type, name, location), or one of
	// those or a wrapper's member given twice.
	ErrFormat = errors.New("unrecognized ARM JSON")
	// ErrID: a malformed Azure resource ID.
	ErrID = errors.New("invalid resource ID")
	// ErrExpression: an ARM template expression is invalid (a syntax
	// error, an undeclared parameter or variable, a circular reference),
	// or a template value egress needs cannot be evaluated offline (see
	// [Resource.Unresolved]).
	ErrExpression = errors.New("unresolved template expression")
	// ErrParameter: a parameters file, a parameter override or a parameter
	// value is invalid (wrong type, not in allowedValues, out of range).
	ErrParameter = errors.New("invalid template parameter")
	// ErrDuplicate: two resources with the same ID (compared
	// case-insensitively).
	ErrDuplicate = errors.New("duplicate resource")
)

// Error is one problem in an input file. Its message has the form
//
//	file:line:col: resource <id>: field <name>: problem
//
// where the resource and field parts are left out when unknown. Messages are
// bounded: long IDs, field paths and quoted input are shortened with "...". Unwrap
// returns Err, one of the sentinels above (ErrSyntax, ErrLimit, ...) or, for
// a file that could not be read, the I/O error.
//
// Errors returned by this package are *Error values, or an errors.Join of
// them (see [Parse]); use errors.As on the joined error's Unwrap() []error to
// get at each one.
type Error struct {
	Pos      Pos    // where the problem is; Line 0 when only the file is known
	Resource string // the resource ID, as written or synthesized; may be empty
	Field    string // the field path, such as "properties.subnets[0].id"; may be empty
	Msg      string // what is wrong
	Err      error  // the category
}

// Error formats the error as "file:line:col: resource <id>: field <name>: msg".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Pos.String())
	b.WriteString(": ")
	if e.Resource != "" {
		b.WriteString("resource ")
		b.WriteString(truncate(e.Resource, 1000))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(truncate(e.Field, 500))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the error's category.
func (e *Error) Unwrap() error { return e.Err }

// maxErrors caps the number of problems reported for one call; the rest are
// counted in a final "and N more problems" error.
const maxErrors = 100

// errList collects problems, keeping the first maxErrors.
type errList struct {
	errs []error
	more int
}

func (l *errList) add(e *Error) {
	if len(l.errs) >= maxErrors {
		l.more++
		return
	}
	l.errs = append(l.errs, e)
}

func (l *errList) addf(pos Pos, res, field string, cat error, format string, args ...any) {
	l.add(&Error{Pos: pos, Resource: res, Field: field, Msg: fmt.Sprintf(format, args...), Err: cat})
}

func (l *errList) len() int { return len(l.errs) + l.more }

// err returns nil, the single error, or an errors.Join of all of them.
func (l *errList) err() error {
	switch {
	case len(l.errs) == 0:
		return nil
	case len(l.errs) == 1 && l.more == 0:
		return l.errs[0]
	}
	errs := l.errs
	if l.more > 0 {
		errs = append(errs[:len(errs):len(errs)], moreErrors(l.more))
	}
	return errors.Join(errs...)
}

// merge adds the errors of err (as returned by errList.err) to l.
func (l *errList) merge(err error) {
	if err == nil {
		return
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var ae *Error
		if errors.As(e, &ae) {
			l.add(ae)
			continue
		}
		if m, ok := e.(moreErrors); ok {
			l.more += int(m)
		}
	}
}

// moreErrors is the trailer of a capped error list.
type moreErrors int

func (m moreErrors) Error() string { return fmt.Sprintf("and %d more problems", int(m)) }
