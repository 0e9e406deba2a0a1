package firewall

import (
	"errors"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
)

// Sentinel categories of input errors. Every error returned by [Compile]
// and [CompileClassic] wraps exactly one of them; test with [errors.Is].
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
//
// For a firewall's classic rules ([CompileClassic]) Classic is true,
// Firewall is set instead of Policy, Group is "" and GroupIndex -1,
// CollectionType says which of the firewall's three collection lists holds
// the collection, and Field is the whole path from the firewall's
// properties, so the message reads like
//
//	firewall "fw": collection "net": rule "web": networkRuleCollections[2].rules[0].destinationPorts[1] "0": invalid port: 0 is outside 1..65535
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

	// Classic is true for a problem of a firewall's classic rules.
	Classic bool
	// Firewall names the firewall whose classic rules hold the problem; ""
	// for a problem of a policy.
	Firewall string
	// CollectionType is, for classic rules, the type of the collection list
	// (RuleTypeNat: natRuleCollections, RuleTypeNetwork:
	// networkRuleCollections, RuleTypeApplication:
	// applicationRuleCollections); RuleTypeNone otherwise.
	CollectionType RuleType
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Classic {
		b.WriteString("firewall ")
		b.WriteString(strconv.Quote(e.Firewall))
	} else {
		b.WriteString("policy ")
		b.WriteString(strconv.Quote(e.Policy))
	}
	part := func(what, name string, i int) {
		if i < 0 {
			return
		}
		b.WriteString(": " + what + " ")
		b.WriteString(strconv.Quote(name))
		if !e.Classic { // classic fields carry the indices in their path
			b.WriteString(" (#" + strconv.Itoa(i) + ")")
		}
	}
	part("group", e.Group, e.GroupIndex)
	part("collection", e.Collection, e.CollectionIndex)
	part("rule", e.Rule, e.RuleIndex)
	errtext.Tail(&b, e.Field, e.Value, e.Kind, e.Msg)
	return b.String()
}

// Unwrap returns the sentinel category.
func (e *Error) Unwrap() error { return e.Kind }

// where locates a problem; the zero-index fields are -1 when absent. For
// classic rules classic is set, firewall names the firewall and ctype the
// collection list.
type where struct {
	classic                 bool
	policy, firewall        string
	ctype                   RuleType
	group, collection, rule string
	gi, ci, ri              int
}

func policyWhere(p string) where { return where{policy: p, gi: -1, ci: -1, ri: -1} }

// errList collects problems.
type errList struct{ errs []error }

func (l *errList) add(w where, field, value string, kind error, msg string) {
	if w.classic {
		field = classicField(w, field)
	}
	l.errs = append(l.errs, &Error{Policy: w.policy, Classic: w.classic, Firewall: w.firewall, CollectionType: w.ctype, Group: w.group, Collection: w.collection, Rule: w.rule,
		GroupIndex: w.gi, CollectionIndex: w.ci, RuleIndex: w.ri, Field: field, Value: value, Kind: kind, Msg: msg})
}

func (l *errList) err() error { return errors.Join(l.errs...) }
