package topology

import (
	"errors"
)

// ErrExternal is the category of a reference to a resource the input does
// not contain: a VNet peered from another subscription, a route table or
// NSG exported separately, a public IP in another resource group. It is not
// an error of the model (see [Validation]).
var ErrExternal = errors.New("not in the input")

// Validation is what [Model.Check] finds, by consequence:
//
//   - Errors make the model unusable as it is (an address plan Azure would
//     refuse, a broken structure).
//   - Rejected are resources Azure would reject on their own: a route table,
//     NSG, firewall policy or firewall's classic rules that does not
//     compile. Each is unusable; the rest of the model is not, and the
//     simulator answers Unknown, naming the resource, for the flows it
//     could decide.
//   - External are references to resources the input does not contain
//     (each an *Error wrapping [ErrExternal]). What the referring resource
//     says of them is used; the simulator answers Unknown for the flows
//     whose answer depends on what is not known.
//
// Warnings are the loaders' warnings ([Model.Warnings]): short IDs,
// duplicate keys egress does not read, values it assumed.
type Validation struct {
	Errors, Rejected, External, Warnings []error
	// ErrorsExtra counts the errors past the cap of 200, not listed;
	// RejectedExtra the resources Azure would reject past it, and
	// ExternalExtra the references outside the input. (Past 200 warnings,
	// the last one counts the rest.)
	ErrorsExtra, RejectedExtra, ExternalExtra int
}

func newValidation(m *Model, p, rej *problems) *Validation {
	v := &Validation{Errors: p.errs, Rejected: rej.errs, External: p.external, ErrorsExtra: p.extra, RejectedExtra: rej.extra}
	for _, w := range m.Warnings() {
		v.Warnings = append(v.Warnings, w)
	}
	if n := len(v.External); n > maxProblems {
		v.ExternalExtra = n - maxProblems
		v.External = v.External[:maxProblems]
	}
	return v
}

// Err returns the errors and rejected resources joined (with the external
// references and the warnings too when strict), or nil.
func (v *Validation) Err(strict bool) error {
	errs := append(append([]error(nil), v.Errors...), v.Rejected...)
	if strict {
		errs = append(append(errs, v.External...), v.Warnings...)
	}
	if len(errs) == 0 {
		return nil
	}
	extra := v.ErrorsExtra + v.RejectedExtra
	if strict {
		extra += v.ExternalExtra
	}
	return &Problems{List: errs, Total: len(errs) + extra}
}

// ExternalPeerings returns v's connected peerings to VNets the model does not
// contain, in model order: what is known of such a VNet is the address space
// the peering records (Peering.RemoteAddressSpace; a peering's state is
// Connected only when both sides exist, so it is taken as effective).
func (m *Model) ExternalPeerings(v *VNet) []*Peering {
	var out []*Peering
	for _, p := range v.Peerings {
		if _, ok := m.VNet(p.Remote); !ok && p.Connected && !p.Remote.IsZero() {
			out = append(out, p)
		}
	}
	return out
}

// ExternalTransit returns the peering over which v uses the gateway of a VNet
// the model does not contain (useRemoteGateways): the routes that gateway
// propagates are unknown.
func (m *Model) ExternalTransit(v *VNet) (*Peering, bool) {
	for _, p := range m.ExternalPeerings(v) {
		if p.UseRemoteGateways {
			return p, true
		}
	}
	return nil, false
}
