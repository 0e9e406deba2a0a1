package nsg

import (
	"errors"
	"strconv"

	"github.com/egresslab/egress/problem"
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

// Error is one input problem: the object (`nsg "nsg-app"`, `admin "cfg"`,
// `context "Context"` or `nic "vm1-nic"`), the rule (an item of List
// "securityRules" for an NSG, "rules" for admin rules, with its index in the
// input), the ARM field, the offending value and what is wrong. It is the one
// error shape of egress ([problem.Error]); its Kind is one of the Err…
// sentinels.
//
// Its message reads like
//
//	nsg "nsg-app": rule "deny-smb" (#3): destinationPortRange "0": invalid port: 0 is outside 1..65535
type Error = problem.Error

// errList collects the problems of one object.
type errList struct {
	object, name string
	list         string // the ARM list of the object's rules
	errs         problem.List
}

func (l *errList) add(rule string, index int, field, value string, kind error, msg string) {
	var items []problem.Item
	if index >= 0 {
		items = []problem.Item{{List: l.list, Kind: "rule", Name: rule, Index: index}}
	}
	l.errs.Add(&Error{Resource: l.object + " " + strconv.Quote(l.name), Items: items,
		Field: field, Value: value, Kind: kind, Detail: msg})
}

func (l *errList) err() error { return l.errs.Err() }
