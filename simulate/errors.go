package simulate

import (
	"errors"

	"github.com/egresslab/egress/topology"
)

// Errors of [Engine.NIC] and of the flows that name a NIC ([Engine.Trace],
// [Diff]). Test with [errors.Is]; an unknown or ambiguous name is a
// *[topology.LookupError] holding the candidates, a NIC that cannot be
// simulated a *[NotSimulatedError].
var (
	// ErrUnknownNIC: no NIC of the network has the name or ID.
	ErrUnknownNIC = topology.ErrUnknownNIC
	// ErrAmbiguousNIC: more than one NIC has the name; an ID picks one.
	ErrAmbiguousNIC = topology.ErrAmbiguousNIC
	// ErrNotSimulated: the NIC is in the network, but the engine cannot
	// simulate flows from it (no IP configuration, or a subnet outside the
	// input).
	ErrNotSimulated = errors.New("NIC cannot be simulated")
	// ErrInvalidFlow: a Flow given to [Engine.Trace] cannot be simulated as
	// given (TCP or UDP without a destination port, no destination, a host
	// name and no resolver); [Engine.Classify] answers such flows [Invalid].
	ErrInvalidFlow = errors.New("invalid flow")
)

// NotSimulatedError is a NIC of the network that the engine cannot simulate
// flows from, and why. It wraps [ErrNotSimulated].
type NotSimulatedError struct {
	Name   string // the NIC's name
	Detail string // why, in a sentence naming the NIC
}

// Error returns the reason.
func (e *NotSimulatedError) Error() string { return e.Detail }

// Unwrap returns [ErrNotSimulated].
func (e *NotSimulatedError) Unwrap() error { return ErrNotSimulated }
