package route

import (
	"net/netip"
	"slices"

	"github.com/egresslab/egress/internal/errtext"
)

// IPv4-mapped IPv6 follows one rule in every engine (internal/errtext): a
// route's addressPrefix or next-hop address written as ::ffff:a.b.c.d is an
// error naming the IPv4 form; the netip values of a Config (address spaces,
// peerings, gateway routes, private endpoints, reserved ranges) and the
// service-tag prefixes a resolver returns are unmapped, as Lookup unmaps the
// destination.

// unmapConfig returns cfg with every IPv4-mapped prefix and address
// unmapped. It copies only what it changes: cfg is never modified.
func unmapConfig(cfg Config) Config {
	cfg.AddressSpace = unmapPrefixes(cfg.AddressSpace)
	cfg.Reserved = unmapPrefixes(cfg.Reserved)
	cfg.Peerings = unmapPeerings(cfg.Peerings)
	cfg.ConnectedGroups = unmapPeerings(cfg.ConnectedGroups)
	if slices.ContainsFunc(cfg.GatewayRoutes, func(g GatewayRoute) bool {
		return g.Prefix.Addr().Is4In6() || slices.ContainsFunc(g.NextHops, netip.Addr.Is4In6)
	}) {
		gws := slices.Clone(cfg.GatewayRoutes)
		for i := range gws {
			gws[i].Prefix = errtext.Unmap(gws[i].Prefix)
			gws[i].NextHops = unmapAddrs(gws[i].NextHops)
		}
		cfg.GatewayRoutes = gws
	}
	if slices.ContainsFunc(cfg.PrivateEndpoints, func(pe PrivateEndpoint) bool {
		return pe.Addr.Is4In6() || pe.AddressSpace.Addr().Is4In6()
	}) {
		pes := slices.Clone(cfg.PrivateEndpoints)
		for i := range pes {
			pes[i].Addr = pes[i].Addr.Unmap()
			pes[i].AddressSpace = errtext.Unmap(pes[i].AddressSpace)
		}
		cfg.PrivateEndpoints = pes
	}
	return cfg
}

func unmapPeerings(ps []Peering) []Peering {
	if !slices.ContainsFunc(ps, func(p Peering) bool { return slices.ContainsFunc(p.AddressSpace, isMapped) }) {
		return ps
	}
	ps = slices.Clone(ps)
	for i := range ps {
		ps[i].AddressSpace = unmapPrefixes(ps[i].AddressSpace)
	}
	return ps
}

// unmapPrefixes returns ps, or a copy with its IPv4-mapped prefixes unmapped.
func unmapPrefixes(ps []netip.Prefix) []netip.Prefix {
	if !slices.ContainsFunc(ps, isMapped) {
		return ps
	}
	out := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		out[i] = errtext.Unmap(p)
	}
	return out
}

func unmapAddrs(as []netip.Addr) []netip.Addr {
	if !slices.ContainsFunc(as, netip.Addr.Is4In6) {
		return as
	}
	out := make([]netip.Addr, len(as))
	for i, a := range as {
		out[i] = a.Unmap()
	}
	return out
}

func isMapped(p netip.Prefix) bool { return p.Addr().Is4In6() }
