package topology

import (
	"errors"
	"fmt"

	"github.com/egresslab/egress/problem"
)

// Categories of problems found while loading or validating a model. Every
// error from this package wraps one of them (or an error of package route or
// nsg), so callers can test with [errors.Is].
var (
	ErrSyntax       = errors.New("syntax error")
	ErrUnknownField = errors.New("unknown field")
	ErrInvalid      = errors.New("invalid value")
	ErrMissing      = errors.New("missing")
	ErrDangling     = errors.New("dangling reference")
	ErrDuplicate    = errors.New("duplicate")
	ErrOverlap      = errors.New("overlapping addresses")
	ErrNotAllowed   = errors.New("not allowed")
	ErrLimit        = errors.New("over Azure's limit")
	ErrTooLarge     = errors.New("input too large")
)

// Error is one problem in a model: where it is (file:line:col when loaded
// from a file), which resource (its ID, or kind and name), the items inside
// it (a route, an NSG rule, a rule collection, with their indices), which
// field, the offending value, and what is wrong. It is egress's one error
// shape ([problem.Error]); its Kind is a category above or a sentinel of the
// engine (route, nsg, firewall) that refused the resource.
type Error = problem.Error

// problems collects the errors of one load, capped so hostile input cannot
// make the error list itself unbounded.
type problems struct {
	errs     []error
	extra    int
	external []error // references to resources outside the input (checkRef)
}

const maxProblems = problem.Max

func (p *problems) add(pos Pos, resource, field, value string, err error, detail string, args ...any) {
	if p.full() {
		p.extra++
		return
	}
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	p.errs = append(p.errs, &Error{Pos: pos, Resource: resource, Field: field, Value: value, Kind: err, Detail: detail})
}

// addError records e as it is.
func (p *problems) addError(e *Error) {
	if p.full() {
		p.extra++
		return
	}
	p.errs = append(p.errs, e)
}

// full reports whether the cap is reached: further problems are only
// counted.
func (p *problems) full() bool { return len(p.errs) >= maxProblems }

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	errs := p.errs
	if p.extra > 0 {
		errs = append(errs[:len(errs):len(errs)], fmt.Errorf("... and %d more problems", p.extra))
	}
	return errors.Join(errs...)
}

// Problems is the error [Model.Validate] returns: the problems of a model
// that was read and built, the first ones listed and all of them counted. A
// loader's error for input it could not read or parse is never a
// *Problems, so errors.As tells "the input is broken" from "the network has
// problems".
type Problems struct {
	List  []error // the problems listed, at most 200, each an *Error
	Total int     // every problem found, listed or not
}

// Error lists the problems one a line, as errors.Join does, and ends with
// "... and N more problems" for those not listed.
func (e *Problems) Error() string {
	s := errors.Join(e.List...).Error()
	if e.Total > len(e.List) {
		s += fmt.Sprintf("\n... and %d more problems", e.Total-len(e.List))
	}
	return s
}

// Unwrap returns the listed problems, for errors.Is and errors.As.
func (e *Problems) Unwrap() []error { return e.List }

// posString formats a position as "file:line:col", leaving out what is
// unknown, and "" for the zero position.
func posString(p Pos) string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}
