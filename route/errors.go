package route

import (
	"errors"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
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

// Error is one problem in a [Config]. It names the resource (route table or
// subnet), the item inside it (route, peering, gateway route, endpoint), the
// ARM field and the offending value.
type Error struct {
	Resource string // route table or subnet: "route table rt-spoke", "subnet app"
	Item     string // "route to-fw", "peering hub", ...; empty for the resource itself
	Index    int    // the user route's position in RouteTable.Routes (0-based); -1 if the problem is not about one route
	Field    string // ARM field name, e.g. "addressPrefix"
	Value    string // the offending value, quoted in the message; may be empty
	Err      error  // one of the Err* categories
	Detail   string // what exactly is wrong, or what to do; may be empty
}

// Error formats the problem as
// `route table "rt": route "to-fw": nextHopIpAddress "10.0.0.300": invalid value: ...`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Resource)
	if e.Item != "" {
		b.WriteString(": ")
		b.WriteString(e.Item)
	}
	errtext.Tail(&b, e.Field, e.Value, e.Err, e.Detail)
	return b.String()
}

// Unwrap returns the problem's category.
func (e *Error) Unwrap() error { return e.Err }
