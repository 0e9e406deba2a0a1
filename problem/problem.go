// Package problem is the one shape of an input error in egress: the value
// every engine (route, nsg, firewall), the service-tags parser and the
// loaders (topology, topology/arm) return for input they refuse, as
// go/scanner's Error is the one shape of a Go syntax error.
//
// An [Error] says where the problem is (file position, resource, the items
// inside it with their indices, the field), what the offending value is, its
// category (a sentinel of the package that found it, for [errors.Is]) and
// what exactly is wrong. Each package aliases it (type Error = problem.Error),
// so callers write route.Error or nsg.Error and get the same fields.
//
// A [List] collects the problems of one call, keeping the first [Max] and
// counting the rest; its Err is what the call returns.
package problem

import (
	"errors"
	"strconv"
	"strings"
)

// Pos is a position in an input file: the file name as given, a 1-based line
// and a 1-based column counting bytes (as go/token and the Go toolchain do).
//
// The zero value is the unknown position. A Pos with a file but Line 0 names a
// whole file (for example one that could not be opened). Pos is a small
// comparable value; copy it freely.
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether p names a line in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "file:line:col", "file:line" when p has no column, "file"
// when it has no line, "line:col" when it has no file (input read from a
// reader without a name), and "-" for the zero Pos.
func (p Pos) String() string {
	if p.Line <= 0 {
		if p.File == "" {
			return "-"
		}
		return p.File
	}
	b := make([]byte, 0, len(p.File)+16)
	if p.File != "" {
		b = append(b, p.File...)
		b = append(b, ':')
	}
	b = strconv.AppendInt(b, int64(p.Line), 10)
	if p.Col <= 0 {
		return string(b)
	}
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(p.Col), 10)
	return string(b)
}

// Item is one level inside a resource that a problem is in: a route of a
// route table, a rule of an NSG, a rule collection group, collection and rule
// of a firewall policy.
type Item struct {
	// List is the ARM property that holds the item, such as "routes",
	// "securityRules", "ruleCollectionGroups", "ruleCollections", "rules",
	// "natRuleCollections"; callers map Index back to a position with it.
	List string
	// Kind is the word the message uses: "route", "rule", "group",
	// "collection", "peering", "tag".
	Kind string
	// Name is the item's name as written; it is quoted in the message,
	// and left out with its quotes when empty and Index is -1 (a group of
	// fields such as "addressSpace").
	Name string
	// Index is the item's position in List (0-based), or -1 when the item
	// has no position (a peering of the graph, a generated route).
	Index int
}

// Error is one input problem. Its message reads
//
//	file:line:col: resource: kind "name" (#i): field "value": category: detail
//
// leaving out each part that is empty (the position when there is no file,
// an index of -1, the value, the detail). Long names and values are
// shortened, so hostile input cannot make a message unbounded.
type Error struct {
	Pos      Pos    // where in its file; the zero Pos when the input was not a file
	Resource string // the resource: its ID, or its kind and name (`nsg "nsg-app"`)
	Items    []Item // the items inside the resource that hold the problem, outermost first
	Field    string // the field, as ARM spells it, relative to the innermost item ("destinationPorts[0]")
	Value    string // the offending value; may be empty
	Kind     error  // the category: a sentinel of the package that found the problem
	Detail   string // what exactly is wrong, or what to write instead; may be empty
	Cause    error  // the error of the function that refused the value (netip.ParsePrefix's), if any
}

// Error formats the problem as shown in the type's documentation.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos != (Pos{}) {
		b.WriteString(e.Pos.String())
		b.WriteString(": ")
	}
	if e.Resource != "" {
		b.WriteString(Shorten(e.Resource, 1000))
		b.WriteString(": ")
	}
	for _, it := range e.Items {
		b.WriteString(it.Kind)
		if it.Name != "" || it.Index >= 0 {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(Shorten(it.Name, 200)))
		}
		if it.Index >= 0 {
			b.WriteString(" (#")
			b.WriteString(strconv.Itoa(it.Index))
			b.WriteByte(')')
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(Shorten(e.Field, 500))
		if e.Value != "" {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(Shorten(e.Value, 500)))
		}
		b.WriteString(": ")
	}
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("invalid input")
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the category, for [errors.Is] and [errors.As]; when there
// is a cause, it returns the two of them, so that both match. It returns a
// single error, never a list: code that flattens errors.Join lists does not
// take one problem apart.
func (e *Error) Unwrap() error {
	if e.Cause == nil {
		return e.Kind
	}
	return kindAndCause{e.Kind, e.Cause}
}

// kindAndCause lets errors.Is and errors.As see both a problem's category
// and its cause.
type kindAndCause [2]error

func (k kindAndCause) Error() string   { return k[1].Error() }
func (k kindAndCause) Unwrap() []error { return k[:] }

// Index returns the index of the item of the given list ("routes",
// "securityRules", ...), or -1 when the problem is not inside one.
func (e *Error) Index(list string) int {
	for _, it := range e.Items {
		if it.List == list {
			return it.Index
		}
	}
	return -1
}

// Shorten cuts s to at most n bytes (n ≥ 3), ending in "..." when cut, and
// never inside a UTF-8 sequence.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - 3
	for i > 0 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "..."
}

// Max is the number of problems one call reports; a [List] counts the rest
// and its error ends with "... and N more problems".
const Max = 200

// List collects the problems of one call, keeping the first [Max]. The zero
// value is an empty list ready to use.
type List struct {
	errs  []error
	total int
}

// Add records e.
func (l *List) Add(e *Error) { l.add(e) }

// Merge records every problem err holds: the *Error values of a *[Errors],
// of an errors.Join or err itself, counting the problems an *Errors counted
// but did not list. An err that holds no *Error is recorded as is.
func (l *List) Merge(err error) {
	if err == nil {
		return
	}
	var es *Errors
	if errors.As(err, &es) {
		for _, e := range es.List {
			l.add(e)
		}
		l.total += es.Total - len(es.List)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok { // an errors.Join
		for _, e := range j.Unwrap() {
			l.Merge(e)
		}
		return
	}
	l.add(err)
}

func (l *List) add(err error) {
	l.total++
	if len(l.errs) < Max {
		l.errs = append(l.errs, err)
	}
}

// Len returns the number of problems recorded, listed or counted.
func (l *List) Len() int { return l.total }

// Full reports whether the list holds [Max] problems, so that further ones
// are only counted: a caller may stop looking.
func (l *List) Full() bool { return len(l.errs) >= Max }

// Err returns nil for an empty list and otherwise an *[Errors] of the
// problems listed.
func (l *List) Err() error {
	if l.total == 0 {
		return nil
	}
	return &Errors{List: l.errs[:len(l.errs):len(l.errs)], Total: l.total}
}

// Errors is the error of a call that found problems: the first [Max] of them
// (*Error values, or the errors of readers such as os.Open) and the count of
// all of them.
type Errors struct {
	List  []error // the problems listed, at most Max
	Total int     // every problem found, listed or not
}

// Error lists the problems one a line, as errors.Join does, and ends with
// "... and N more problems" for those not listed.
func (e *Errors) Error() string {
	s := errors.Join(e.List...).Error()
	if e.Total > len(e.List) {
		s += "\n... and " + strconv.Itoa(e.Total-len(e.List)) + " more problems"
	}
	return s
}

// Unwrap returns the problems listed, for errors.Is and errors.As.
func (e *Errors) Unwrap() []error { return e.List }

// All returns the *Error values err holds (in an *Errors, an errors.Join or
// err itself), in order.
func All(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		switch x := err.(type) {
		case nil:
		case *Error:
			out = append(out, x)
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}
