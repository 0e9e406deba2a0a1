package walkref

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// This file derives, by plain scans of the model, what the engines are
// configured with for a subnet: its system routes' inputs (address space,
// peerings, endpoints, route table) and the context of its NSGs' tags. It
// does not use topology's own derivation (Model.Graph, RouteConfig,
// NSGContext), so that a mistake there shows as a disagreement. Only the
// gateway routes (gateway transit, BGP, local network gateways, default
// sites) are taken from topology: their derivation is its own subject, with
// its own tests.

// peers returns the VNets of the model peered with v in both directions,
// each side's peering connected
// (https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview:
// the peering is established when both sides are), sorted by ID.
func (t *Twin) peers(v *topology.VNet) []*topology.VNet {
	var out []*topology.VNet
	for _, w := range t.m.VNets {
		if w == v || t.peering(v, w) == nil || t.peering(w, v) == nil {
			continue
		}
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b *topology.VNet) int {
		return strings.Compare(strings.ToLower(string(a.ID)), strings.ToLower(string(b.ID)))
	})
	return out
}

// peering returns v's connected peering to w, or nil.
func (t *Twin) peering(v, w *topology.VNet) *topology.Peering {
	for _, p := range v.Peerings {
		if p.Connected && strings.EqualFold(string(p.Remote), string(w.ID)) {
			return p
		}
	}
	return nil
}

// external returns v's connected peerings to VNets the model does not hold.
func (t *Twin) external(v *topology.VNet) []*topology.Peering {
	var out []*topology.Peering
	for _, p := range v.Peerings {
		if !p.Connected || p.Remote.IsZero() {
			continue
		}
		if !slices.ContainsFunc(t.m.VNets, func(w *topology.VNet) bool { return strings.EqualFold(string(w.ID), string(p.Remote)) }) {
			out = append(out, p)
		}
	}
	return out
}

// routeConfig returns the route.Config of subnet s (see the file comment).
func (t *Twin) routeConfig(s *topology.Subnet) route.Config {
	v := s.VNet
	cfg := route.Config{Name: string(s.ID), AddressSpace: slices.Clone(v.AddressSpace), Tags: t.opts.Tags}
	peers := t.peers(v)
	for _, w := range peers {
		// A global peering joins VNets of two regions.
		global := v.Location != "" && w.Location != "" && !strings.EqualFold(v.Location, w.Location)
		cfg.Peerings = append(cfg.Peerings, route.Peering{Name: w.Name, AddressSpace: slices.Clone(w.AddressSpace), Global: global})
	}
	for _, p := range t.external(v) {
		cfg.Peerings = append(cfg.Peerings, route.Peering{Name: p.Remote.Name(), AddressSpace: slices.Clone(p.RemoteAddressSpace)})
	}
	cfg.GatewayRoutes = t.m.RouteConfig(s, t.gr, t.opts.Tags).GatewayRoutes // t.gr: for the gateway transit it derives
	for _, se := range s.ServiceEndpoints {
		regions := se.Locations
		if len(regions) == 0 {
			regions = []string{s.Location} // an endpoint without locations serves the subnet's region
		}
		for _, r := range regions {
			if r == "*" {
				r = ""
			}
			tag, ok := topology.ServiceEndpointTag(se.Service, r, t.opts.Tags)
			if !ok {
				tag = se.Service
			}
			cfg.ServiceEndpoints = append(cfg.ServiceEndpoints, route.ServiceEndpoint{Service: se.Service, Tag: tag})
		}
	}
	// Private endpoints of the VNet and of its peers are /32 routes
	// (private-endpoint-overview, "a /32 route ... propagated to peered
	// virtual networks").
	for _, pe := range t.m.PrivateEndpoints {
		ps := t.subnet(pe.Subnet)
		if ps == nil || ps.VNet != v && !slices.Contains(peers, ps.VNet) {
			continue
		}
		for _, ip := range pe.IPs {
			r := route.PrivateEndpoint{Name: pe.Name, Addr: ip, RouteTableEnabled: ps.PrivateEndpointPolicies.RouteTables()}
			for _, space := range ps.VNet.AddressSpace {
				if space.Contains(ip) {
					r.AddressSpace = space
				}
			}
			cfg.PrivateEndpoints = append(cfg.PrivateEndpoints, r)
		}
	}
	if rt := t.routeTable(s.RouteTable); rt != nil {
		cfg.RouteTable = &route.RouteTable{Name: string(rt.ID), Routes: slices.Clone(rt.Routes), DisableBGPRoutePropagation: rt.DisableBGPRoutePropagation}
	}
	return cfg
}

// nsgContext returns what the VirtualNetwork tag of subnet s's NICs holds
// (service-tags-overview: "the virtual network address space, all connected
// on-premises address spaces, peered virtual networks, ... and address
// prefixes used on user-defined routes"); a peering that does not allow
// virtual network access leaves its peer out.
func (t *Twin) nsgContext(s *topology.Subnet) nsg.Context {
	v := s.VNet
	c := nsg.Context{AddressSpace: slices.Clone(v.AddressSpace)}
	for _, w := range t.peers(v) {
		if t.peering(v, w).AllowVirtualNetworkAccess {
			c.Peered = append(c.Peered, w.AddressSpace...)
		}
	}
	for _, p := range t.external(v) {
		if p.AllowVirtualNetworkAccess {
			c.Peered = append(c.Peered, p.RemoteAddressSpace...)
		}
	}
	for _, g := range t.routeConfig(s).GatewayRoutes {
		if g.Origin != route.OriginDefaultSite { // a default site's 0.0.0.0/0 is a route, not an address space
			c.Gateway = append(c.Gateway, g.Prefix)
		}
	}
	if rt := t.routeTable(s.RouteTable); rt != nil {
		for _, r := range rt.Routes {
			if p, err := netip.ParsePrefix(r.AddressPrefix); err == nil && p.Masked() == p {
				c.UDR = append(c.UDR, p)
			}
		}
	}
	return c
}

// subnet returns the model's subnet with the given ID, by a scan.
func (t *Twin) subnet(id topology.Ref) *topology.Subnet {
	for _, v := range t.m.VNets {
		for _, s := range v.Subnets {
			if strings.EqualFold(string(s.ID), string(id)) {
				return s
			}
		}
	}
	return nil
}

// routeTable returns the model's route table with the given ID, by a scan.
func (t *Twin) routeTable(id topology.Ref) *topology.RouteTable {
	if id.IsZero() {
		return nil
	}
	for _, rt := range t.m.RouteTables {
		if strings.EqualFold(string(rt.ID), string(id)) {
			return rt
		}
	}
	return nil
}
