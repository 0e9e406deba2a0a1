package nsg

import "net/netip"

// DestinationSpace is the part of one compiled rule's condition that a
// flow's destination address, protocol and destination port meet: what
// [Group.DestinationSpaces] lists for callers that partition destination
// space into classes of flows no rule tells apart (simulate's egress map).
//
// A rule's destination side is matched against the flow's destination in
// both directions (for an inbound rule the destination is the NIC's own
// side). The source side and the source ports are not part of it.
//
// DestinationSpace is plain data; Ports is a fresh copy, Prefixes is
// shared and read-only.
type DestinationSpace struct {
	// Any reports a destination of "*": every address of both families.
	Any bool
	// Context names a context tag ("VirtualNetwork", "Internet" or
	// "AzureLoadBalancer") that a [Scope] expands per NIC
	// ([Scope.Prefixes]); "" otherwise.
	Context string
	// Prefixes are the destination's static prefixes: addresses and
	// CIDRs, an expanded service tag (AzurePlatform* tags included), or the
	// members of the ASGs, unmapped. Nil with Any or Context. The
	// slice is shared with the Group (rules naming one service tag share
	// one slice): it must not be modified.
	Prefixes []netip.Prefix
	// Protocol is the rule's protocol condition.
	Protocol Protocol
	// Ports are the destination port ranges, inclusive, in the rule's order;
	// {0, 65535} for "*". They count only for TCP and UDP.
	Ports [][2]uint16
}

// DestinationSpaces returns the destination side of every rule of direction
// d, default rules included, in evaluation order. An invalid direction gives
// nil. It costs one allocation per rule: the prefixes are not copied.
func (g *Group) DestinationSpaces(d Direction) []DestinationSpace {
	if !d.IsValid() {
		return nil
	}
	rs := g.rules[dirIndex(d)]
	out := make([]DestinationSpace, len(rs))
	for i := range rs {
		r := &rs[i]
		s := DestinationSpace{Protocol: r.proto}
		switch r.dst.kind {
		case sideAny:
			s.Any = true
		case sideCtx:
			s.Context = ctxTagNames[r.dst.ctx]
		default:
			s.Prefixes = r.dst.prefixes[:len(r.dst.prefixes):len(r.dst.prefixes)]
		}
		s.Ports = make([][2]uint16, len(r.dports))
		for k, p := range r.dports {
			s.Ports[k] = [2]uint16{p.lo, p.hi}
		}
		out[i] = s
	}
	return out
}

// SourceSpace is the source side of one compiled rule: what a flow's
// source address meets (for an inbound rule the source is the remote
// side). [Group.SourceSpaces] lists them for callers that must know which
// source addresses no rule tells apart (simulate's ReachAll, which shares
// one egress map's walks between NICs whose addresses are alike).
//
// SourceSpace is plain data; Prefixes is shared and read-only.
type SourceSpace struct {
	// Any reports a source of "*".
	Any bool
	// Context names a context tag ("VirtualNetwork", "Internet" or
	// "AzureLoadBalancer") that a [Scope] expands per NIC; "" otherwise.
	Context string
	// Prefixes are the source's static prefixes (addresses and CIDRs, an
	// expanded service tag, the members of the ASGs), nil with Any or
	// Context. The slice is shared with the Group: it must not be
	// modified.
	Prefixes []netip.Prefix
}

// SourceSpaces returns the source side of every rule of direction d,
// default rules included, in evaluation order. An invalid direction gives
// nil.
func (g *Group) SourceSpaces(d Direction) []SourceSpace {
	if !d.IsValid() {
		return nil
	}
	rs := g.rules[dirIndex(d)]
	out := make([]SourceSpace, len(rs))
	for i := range rs {
		r := &rs[i]
		switch r.src.kind {
		case sideAny:
			out[i].Any = true
		case sideCtx:
			out[i].Context = ctxTagNames[r.src.ctx]
		default:
			out[i].Prefixes = r.src.prefixes[:len(r.src.prefixes):len(r.src.prefixes)]
		}
	}
	return out
}
