package route

import (
	"errors"

	"github.com/egresslab/egress/problem"
)

// Categories of input problems. Every error returned by [Compile] wraps one of
// them, so callers can test with [errors.Is].
var (
	ErrInvalidValue   = errors.New("invalid value")
	ErrHostBits       = errors.New("host bits set")
	ErrFamily         = errors.New("IPv4/IPv6 mismatch")
	ErrNotAllowed     = errors.New("not allowed")
	ErrMissing        = errors.New("missing")
	ErrUnknownTag     = errors.New("unknown service tag")
	ErrDuplicate      = errors.New("duplicate")
	ErrLimit          = errors.New("over Azure's limit")
	ErrUnknownNextHop = errors.New("unknown next hop type")
)

// Error is one problem in a [Config]: the resource (`route table "rt"` or
// `subnet "app"`), the item inside it (a route, with its index in
// RouteTable.Routes and List "routes"; a peering, a gateway route, an
// endpoint), the ARM field and the offending value. It is the one error
// shape of egress ([problem.Error]); its Kind is one of the Err* categories.
type Error = problem.Error
