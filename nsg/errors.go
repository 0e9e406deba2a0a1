package nsg

import (
	"errors"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
)

// Sentinel categories of input errors. Every error returned by [Compile],
// [CompileAdmin], [CompileContext] and [NewClassifier] wraps exactly one of
// them; test with [errors.Is].
var (
	ErrName      = errors.New("invalid name")
	ErrDuplicate = errors.New("duplicate")
	ErrPriority  = errors.New("invalid priority")
	ErrDirection = errors.New("invalid direction")
	ErrAccess    = errors.New("invalid access")
	ErrProtocol  = errors.New("invalid protocol")
	ErrAddress   = errors.New("invalid address")
	ErrFamily    = errors.New("mixed address families")
	ErrPort      = errors.New("invalid port")
	ErrTag       = errors.New("unknown service tag")
	ErrASG       = errors.New("invalid application security group")
	ErrLimit     = errors.New("limit exceeded")
	ErrBinding   = errors.New("invalid binding")
)

// Error is one input problem: which object (NSG, admin configuration, context
// or NIC), which rule, which field, the offending value, and what is wrong.
// It wraps one of the sentinel categories (Kind).
//
// Its message reads like
//
//	nsg "nsg-app": rule "deny-smb" (#3): destinationPortRange "0": invalid port: 0 is outside 1..65535
type Error struct {
	Object string // "nsg", "admin", "context" or "nic"
	Name   string // the NSG's (or configuration's, NIC's) name or ID
	Rule   string // the rule's name; "" for problems of the whole object
	Index  int    // the rule's position in the input (0-based); -1 if Rule is ""
	Field  string // the ARM field name, for example "sourceAddressPrefixes[2]"
	Value  string // the offending input, if any
	Kind   error  // one of the Err… sentinels
	Msg    string // what is wrong, in words
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Object)
	b.WriteString(" ")
	b.WriteString(strconv.Quote(e.Name))
	if e.Index >= 0 {
		b.WriteString(": rule ")
		b.WriteString(strconv.Quote(e.Rule))
		b.WriteString(" (#")
		b.WriteString(strconv.Itoa(e.Index))
		b.WriteString(")")
	}
	errtext.Tail(&b, e.Field, e.Value, e.Kind, e.Msg)
	return b.String()
}

// Unwrap returns the sentinel category.
func (e *Error) Unwrap() error { return e.Kind }

// errList collects the problems of one object.
type errList struct {
	object, name string
	errs         []error
}

func (l *errList) add(rule string, index int, field, value string, kind error, msg string) {
	if rule == "" && index >= 0 {
		rule = "#" + strconv.Itoa(index)
	}
	l.errs = append(l.errs, &Error{Object: l.object, Name: l.name, Rule: rule, Index: index,
		Field: field, Value: value, Kind: kind, Msg: msg})
}

func (l *errList) err() error { return errors.Join(l.errs...) }
