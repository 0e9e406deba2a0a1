package firewall

import (
	"errors"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
)

// Sentinel categories of input errors. Every error returned by [Compile]
// wraps exactly one of them; test with [errors.Is].
var (
	ErrName        = errors.New("invalid name")
	ErrDuplicate   = errors.New("duplicate")
	ErrPriority    = errors.New("invalid priority")
	ErrKind        = errors.New("invalid rule collection")
	ErrProtocol    = errors.New("invalid protocol")
	ErrAddress     = errors.New("invalid address")
	ErrPort        = errors.New("invalid port")
	ErrFQDN        = errors.New("invalid FQDN")
	ErrURL         = errors.New("invalid target URL")
	ErrTag         = errors.New("unknown service tag")
	ErrIPGroup     = errors.New("unknown IP group")
	ErrFQDNTag     = errors.New("unknown FQDN tag")
	ErrDNSProxy    = errors.New("DNS proxy required")
	ErrMissing     = errors.New("missing field")
	ErrInheritance = errors.New("invalid policy inheritance")
	ErrLimit       = errors.New("limit exceeded")
	ErrSNAT        = errors.New("invalid SNAT private range")
)

// Error is one input problem: the policy, rule collection group, rule
// collection and rule it is in (as far as it is in one), the ARM field, the
// offending value, and what is wrong. It wraps one sentinel category (Kind).
//
// Its message reads like
//
//	policy "child": group "rcg" (#0): collection "net" (#1): rule "web" (#2): destinationPorts[0] "0": invalid port: 0 is outside 1..65535
type Error struct {
	Policy     string
	Group      string // "" for a problem of the whole policy
	Collection string // "" for a problem of the whole group
	Rule       string // "" for a problem of the whole collection
	// Index positions of Group, Collection and Rule in their input lists
	// (0-based); -1 where the name is "".
	GroupIndex, CollectionIndex, RuleIndex int
	Field                                  string // the ARM field, for example "destinationPorts[0]"
	Value                                  string // the offending input, if any
	Kind                                   error  // one of the Err… sentinels
	Msg                                    string // what is wrong, in words
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("policy ")
	b.WriteString(strconv.Quote(e.Policy))
	part := func(what, name string, i int) {
		if i < 0 {
			return
		}
		b.WriteString(": " + what + " ")
		b.WriteString(strconv.Quote(name))
		b.WriteString(" (#" + strconv.Itoa(i) + ")")
	}
	part("group", e.Group, e.GroupIndex)
	part("collection", e.Collection, e.CollectionIndex)
	part("rule", e.Rule, e.RuleIndex)
	errtext.Tail(&b, e.Field, e.Value, e.Kind, e.Msg)
	return b.String()
}

// Unwrap returns the sentinel category.
func (e *Error) Unwrap() error { return e.Kind }

// where locates a problem; the zero-index fields are -1 when absent.
type where struct {
	policy                  string
	group, collection, rule string
	gi, ci, ri              int
}

func policyWhere(p string) where { return where{policy: p, gi: -1, ci: -1, ri: -1} }

// errList collects problems.
type errList struct{ errs []error }

func (l *errList) add(w where, field, value string, kind error, msg string) {
	l.errs = append(l.errs, &Error{Policy: w.policy, Group: w.group, Collection: w.collection, Rule: w.rule,
		GroupIndex: w.gi, CollectionIndex: w.ci, RuleIndex: w.ri, Field: field, Value: value, Kind: kind, Msg: msg})
}

func (l *errList) err() error { return errors.Join(l.errs...) }
