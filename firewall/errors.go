package firewall

import (
	"errors"
	"strconv"
	"strings"

	"github.com/egresslab/egress/problem"
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

// Error is one input problem: the policy (`policy "child"`) or, for a
// firewall's classic rules ([CompileClassic]), the firewall (`firewall
// "fw"`); the items it is in, outermost first, each with its index in its
// input list (a group of List "ruleCollectionGroups", a collection of
// "ruleCollections", a rule of "rules"; for classic rules a collection of
// "natRuleCollections", "networkRuleCollections" or
// "applicationRuleCollections", then a rule of "rules"); the ARM field, the
// offending value and what is wrong. It is the one error shape of egress
// ([problem.Error]); its Kind is one of the Err… sentinels.
//
// Its message reads like
//
//	policy "child": group "rcg" (#0): collection "net" (#1): rule "web" (#2): destinationPorts[0] "0": invalid port: 0 is outside 1..65535
//	firewall "fw": network rule collection "net" (#2): rule "web" (#0): destinationPorts[1] "0": invalid port: 0 is outside 1..65535
type Error = problem.Error

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
type errList struct{ errs problem.List }

func (l *errList) add(w where, field, value string, kind error, msg string) {
	e := &Error{Field: field, Value: value, Kind: kind, Detail: msg}
	if w.classic {
		e.Resource = "firewall " + strconv.Quote(w.firewall)
		if w.ci >= 0 {
			e.Items = append(e.Items, problem.Item{List: classicLists[w.ctype], Kind: classicKinds[w.ctype], Name: w.collection, Index: w.ci})
		}
		if w.ri >= 0 {
			if rest, ok := strings.CutPrefix(field, "ipProtocols"); ok {
				e.Field = "protocols" + rest // classic network and NAT rules call the list "protocols"
			}
		}
	} else {
		e.Resource = "policy " + strconv.Quote(w.policy)
		if w.gi >= 0 {
			e.Items = append(e.Items, problem.Item{List: "ruleCollectionGroups", Kind: "group", Name: w.group, Index: w.gi})
		}
		if w.ci >= 0 {
			e.Items = append(e.Items, problem.Item{List: "ruleCollections", Kind: "collection", Name: w.collection, Index: w.ci})
		}
	}
	if w.ri >= 0 {
		e.Items = append(e.Items, problem.Item{List: "rules", Kind: "rule", Name: w.rule, Index: w.ri})
	}
	l.errs.Add(e)
}

func (l *errList) err() error { return l.errs.Err() }
