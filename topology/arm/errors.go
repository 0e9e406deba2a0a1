package arm

import (
	"errors"
	"fmt"

	"github.com/egresslab/egress/problem"
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

// Error is one problem in an input file, egress's one error shape
// ([problem.Error]). Its message has the form
//
//	file:line:col: <resource id>: <field path>: category: detail
//
// where the resource and field parts are left out when unknown. Messages are
// bounded: long IDs, field paths and quoted input are shortened with "...".
// Kind is one of the sentinels above (ErrSyntax, ErrLimit, ...) or, for a
// file that could not be read, the I/O error.
//
// Errors returned by this package are *Error values or a *[problem.Errors]
// of them (see [Parse]); errors.As finds each one.
type Error = problem.Error

// errList collects problems, keeping the first [problem.Max] and counting
// the rest.
type errList struct{ l problem.List }

func (l *errList) add(e *Error) { l.l.Add(e) }

func (l *errList) addf(pos Pos, res, field string, cat error, format string, args ...any) {
	l.add(&Error{Pos: pos, Resource: res, Field: field, Detail: fmt.Sprintf(format, args...), Kind: cat})
}

func (l *errList) len() int { return l.l.Len() }

// err returns nil, the single error, or a *problem.Errors of all of them.
func (l *errList) err() error {
	err := l.l.Err()
	if es, ok := err.(*problem.Errors); ok && es.Total == 1 {
		return es.List[0]
	}
	return err
}

// merge adds the errors of err (as returned by errList.err) to l.
func (l *errList) merge(err error) { l.l.Merge(err) }
