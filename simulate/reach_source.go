package simulate

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrNoReach: the source has no egress map ([Engine.ReachFrom]): what
// decides its flows is not the destination address, protocol and port.
var ErrNoReach = errors.New("no egress map for this source")

// ReachFrom builds the egress map of a source of any kind ([Engine.Source]
// resolves one by name or ID), as [Engine.Reach] does for a NIC: every
// destination (IPv4 and IPv6 address × protocol × port) cut into classes
// whose flows share one outcome, each decided once by the walker
// [Engine.TraceFrom] runs, so that a flow's class has the outcome TraceFrom
// gives the flow (held by TestReachFromDifferential). The map's flows name
// no server; [Engine.ReachFromHost] maps those that name one.
//
//   - A NIC: exactly [Engine.Reach].
//   - A container group in a subnet: its flows walked from the subnet with
//     its address as source (the subnet's outbound NSG and admin rules, its
//     routes, firewalls and NVAs along every path, its NAT gateway), and
//     TCP ports 25 and 19390 Unknown where the network would let them out
//     (Learn: "aren't supported"). The boundaries are the NIC's set
//     (reach.go) with the group's own rules and address in the source's
//     place, and those two ports. A group whose subnet is not the engine's
//     has one outcome, Unknown (ReasonExternal), everywhere.
//   - A web app: its application traffic (topology.TrafficApplication:
//     the app's own calls), as its settings send it: into its integration
//     subnet (all of it when application routing is on or a perimeter
//     enforces it; else RFC 1918 destinations and the subnet's service
//     endpoints), walked from there as TraceFrom does; the rest from its
//     outbound addresses (MethodAppService: TCP and UDP, IPv4 when the
//     input lists no IPv6 address, TCP/25 never). Its configuration traffic
//     (content share, image pull, backup and restore, managed identity:
//     Flow.Traffic) is not mapped: each class of it goes one way whatever
//     its destination, and TraceFrom decides a flow of it. A map does not
//     say what enforcing a Learning-mode perimeter would do
//     (Result.WouldBeDenied): TraceFrom does.
//   - An AI services account: an error wrapping [ErrNoReach]. Its
//     outbound calls are decided by host name (allowedFqdnList, its
//     perimeter), not by a network path from an address: there are no
//     address classes to map, and TraceFrom decides a call by its name.
//
// A zero Source, or one of another engine, is an error wrapping
// [ErrUnknownSource].
func (e *Engine) ReachFrom(s Source) (*EgressMap, error) { return e.ReachFromHost(s, "") }

// ReachFromHost is [Engine.ReachFrom] for the flows that name their server
// host (TLS SNI, HTTP Host), the classes conditioned on that name: Azure
// Firewall application rules on the source's paths match on it, as
// [Engine.ReachHost] maps them for a NIC. Host "" is ReachFrom.
func (e *Engine) ReachFromHost(s Source, host string) (*EgressMap, error) {
	if s.e != e || s.e == nil {
		return nil, fmt.Errorf("%w: %v is not a source of this engine", ErrUnknownSource, s)
	}
	src := reachSrc{nic: -1, subnet: -1}
	switch s.kind {
	case SourceNIC:
		return e.ReachHost(NIC{e, s.i}, host), nil
	case SourceAIAccount:
		return nil, fmt.Errorf("%w: AI services account %s: its outbound calls are decided by host name (allowedFqdnList, its network security perimeter), from Microsoft-managed addresses past no customer route or NSG; trace a call by its name with TraceFrom", ErrNoReach, s.Name())
	case SourceWebApp:
		st := &e.apps[s.i]
		src.app = true
		src.subnet = st.subnet
		if st.subnet >= 0 {
			src.cls = st.cls
			src.own = validAddrs(st.addr, st.addr6)
		}
	case SourceContainerGroup:
		st := &e.injs[s.i]
		src.subnet, src.srcComp = st.subnet, true
		if st.subnet >= 0 {
			src.cls = st.cls
			src.own = validAddrs(st.addr, st.addr6)
		}
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnknownSource, s)
	}
	b := e.reachBoundsFrom(src, host != "")
	r := e.newReachRun(noNIC, host, &b, nil)
	r.kind, r.si = s.kind, s.i
	r.sweep()
	r.done()
	return r.mapFor(noNIC, nil), nil
}

// validAddrs returns the valid ones of as.
func validAddrs(as ...netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range as {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// Walk record events of the sources that are not NICs (see walkRecord),
// in the kinds walk.go leaves free.
const (
	// recSrcSecurity: a subnet source (bits 8–39, its index as
	// Engine.inSubnet numbers it) and direction (bits 0–7), then the
	// nsg.Verdict packed in the next word: the source's own outbound rules.
	recSrcSecurity = 9 << 56
	// recSrcPort: a destination port (bits 0–15) that a container
	// group's Trace names (Learn's unsupported ports).
	recSrcPort = 10 << 56
	// recSrcWay: which way a web app's settings send the flow (bits 0–7,
	// an appInto), which its Trace names.
	recSrcWay = 11 << 56
)
