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
// NSGContext), so that a mistake there shows as a disagreement.

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
	cfg.GatewayRoutes = t.gatewayRoutes(v)
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
		// A next hop known only after apply compiles as a placeholder
		// (topology.CompilableRoutes); placeRoutes notes the route.
		cfg.RouteTable = &route.RouteTable{Name: string(rt.ID), Routes: slices.Clone(topology.CompilableRoutes(rt.Routes)), DisableBGPRoutePropagation: rt.DisableBGPRoutePropagation}
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

// gatewayRoutes returns the routes that a virtual network gateway or Route
// Server propagates to VNet v: those of its own VNet or, over gateway
// transit, of the peer whose gateway it uses (v's peering sets
// useRemoteGateways and the peer's allowGatewayTransit,
// https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit).
// A gateway propagates what it learned over BGP, the address prefixes of
// the local network gateways its connections reach (static), and, for a
// VPN gateway with a default site, 0.0.0.0/0 to that site
// (https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling);
// a Route Server what its NVAs advertise.
func (t *Twin) gatewayRoutes(v *topology.VNet) []route.GatewayRoute {
	source := v
	for _, w := range t.peers(v) {
		if t.peering(v, w).UseRemoteGateways && t.peering(w, v).AllowGatewayTransit {
			source = w
			break
		}
	}
	same := func(a, b topology.Ref) bool { return strings.EqualFold(string(a), string(b)) }
	var out []route.GatewayRoute
	for _, g := range t.m.Gateways {
		if !same(g.VNet, source.ID) {
			continue
		}
		hops := t.gatewayHops(g)
		for _, r := range g.LearnedRoutes {
			// An active-active VPN gateway's route keeps the instance that
			// learned it, when the input names it.
			if !(g.Type == topology.GatewayVpn && g.ActiveActive && len(r.NextHops) > 0) {
				r.NextHops = hops
			}
			out = append(out, r)
		}
		for _, c := range t.m.Connections {
			if !same(c.Gateway, g.ID) {
				continue
			}
			for _, l := range t.m.LocalNetworkGateways {
				if same(l.ID, c.LocalGateway) {
					for _, p := range l.AddressPrefixes {
						out = append(out, route.GatewayRoute{Gateway: g.Name, Prefix: p, NextHops: hops, Origin: route.OriginStatic})
					}
				}
			}
		}
		if g.Type == topology.GatewayVpn && !g.DefaultSite.IsZero() &&
			slices.ContainsFunc(t.m.LocalNetworkGateways, func(l *topology.LocalNetworkGateway) bool { return same(l.ID, g.DefaultSite) }) {
			out = append(out, route.GatewayRoute{Gateway: g.Name, Prefix: netip.PrefixFrom(netip.IPv4Unspecified(), 0), NextHops: hops, Origin: route.OriginDefaultSite})
		}
	}
	for _, rs := range t.m.RouteServers {
		if same(rs.VNet, source.ID) {
			for _, r := range rs.Advertised {
				r.Origin = route.OriginRouteServer
				out = append(out, r)
			}
		}
	}
	return out
}

// gatewayHops returns the next hops that effective routes show for a
// gateway's routes (VPN Gateway FAQ, "Why do some environments show the
// next hop IP as the VPN gateway public IP and some as the private IP?"):
// none for ExpressRoute, the instances' private IPs for an active-active
// gateway, else its (first known) public IP.
func (t *Twin) gatewayHops(g *topology.Gateway) []netip.Addr {
	switch {
	case g.Type == topology.GatewayExpressRoute:
		return nil
	case g.ActiveActive:
		return slices.Clone(g.PrivateIPs)
	}
	for _, r := range g.PublicIPs {
		for _, p := range t.m.PublicIPs {
			if strings.EqualFold(string(p.ID), string(r)) && p.Address.IsValid() {
				return []netip.Addr{p.Address}
			}
		}
	}
	return nil
}
