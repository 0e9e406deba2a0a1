package firewall

import (
	"net/netip"
	"slices"
)

// DestinationSpace is the part of one DNAT or network rule's condition that a
// flow's destination address, protocol and destination port meet: what
// [Engine.DestinationSpaces] lists for callers that partition destination
// space into classes of flows no rule tells apart (simulate's egress map).
// The source addresses are not part of it.
//
// DestinationSpace is plain data; Ports is a fresh copy, Prefixes is
// and DNS are shared with the Engine and read-only.
type DestinationSpace struct {
	// Prefixes are the destination addresses, IP groups and service tags
	// (IPv4 only: Azure Firewall is IPv4-only). "*" is 0.0.0.0/0.
	Prefixes []netip.Prefix
	// DNS are the addresses DNS gave for the rule's FQDNs (a match through
	// them is flagged [FlagDNS]), as /32s.
	DNS []netip.Prefix
	// Unresolved reports a destination FQDN that did not resolve: the rule
	// may match any destination, which makes a verdict before it
	// undecidable ([FlagUnknown]) wherever its source, protocol and port
	// match.
	Unresolved bool
	// TCP, UDP, ICMP and Other are the protocol classes the rule matches
	// (Other: every IP protocol but TCP, UDP and ICMP), or may match if
	// its protocols or ports are unknown offline
	// ([NetworkRule.ProtocolsUnknown], [NetworkRule.PortsUnknown]).
	TCP, UDP, ICMP, Other bool
	// Ports are the destination port ranges, inclusive; nil for every
	// port. For a rule whose ports are unknown offline, the known ones
	// only (possibly none): it may match any other, undecidably.
	Ports [][2]uint16
}

func spaceOf(m *mrule) DestinationSpace {
	protos := m.protos | m.protosMaybe // the classes it may match: a verdict there may be Unknown
	s := DestinationSpace{
		Prefixes:   slices.Clone(m.dst),
		DNS:        slices.Clone(m.dns),
		Unresolved: m.unresolved,
		TCP:        protos&1 != 0, UDP: protos&2 != 0, ICMP: protos&4 != 0, Other: protos&8 != 0,
		Ports: slices.Clone(m.ports),
	}
	return s
}

// DestinationSpaces returns the destination conditions of the DNAT and
// network rules, in evaluation order. Application rules are left out:
// they match only flows that name their server (TLS SNI, HTTP Host), which
// the caller partitions by name. It costs one allocation per rule.
func (e *Engine) DestinationSpaces() []DestinationSpace {
	out := make([]DestinationSpace, len(e.spaces))
	for i, s := range e.spaces {
		out[i] = DestinationSpace{Prefixes: s.Prefixes[:len(s.Prefixes):len(s.Prefixes)], DNS: s.DNS[:len(s.DNS):len(s.DNS)],
			Unresolved: s.Unresolved, TCP: s.TCP, UDP: s.UDP, ICMP: s.ICMP, Other: s.Other, Ports: slices.Clone(s.Ports)}
	}
	return out
}

// AppDestinationSpaces returns the destination conditions of the
// application rules, in evaluation order: their destination addresses
// (0.0.0.0/0 when they have none) and, as one-port ranges, the ports of
// their protocols (Http:80, Https:443, Mssql:1433, ...); TCP only. They
// match only flows that name their server; the name conditions are not
// listed. It costs one allocation per rule.
func (e *Engine) AppDestinationSpaces() []DestinationSpace {
	out := make([]DestinationSpace, len(e.appSpaces))
	for i, s := range e.appSpaces {
		out[i] = DestinationSpace{Prefixes: s.Prefixes[:len(s.Prefixes):len(s.Prefixes)], TCP: true, Ports: slices.Clone(s.Ports)}
	}
	return out
}

// SNATPrivateRanges returns the SNAT private ranges (the destinations a
// network-rule allow does not translate; [Engine.SNATs]), sorted.
func (e *Engine) SNATPrivateRanges() []netip.Prefix {
	var out []netip.Prefix
	for p := range e.private.AllSorted() {
		out = append(out, p)
	}
	return out
}

// SourceSpaces returns the source condition of every rule (DNAT, network
// and application), in evaluation order: its source addresses and IP
// groups ("*" is 0.0.0.0/0), shared and read-only. Two source addresses
// that every one of them holds alike are one to the policy (simulate's
// ReachAll shares the walks of such sources).
func (e *Engine) SourceSpaces() [][]netip.Prefix { return slices.Clone(e.sources) }
