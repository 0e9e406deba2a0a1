package topology

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
)

// serviceEndpointTags maps a service endpoint's service name to the service
// tag whose prefixes Azure routes for it. The tags are exactly those that
// Microsoft's service-tags file marks with the "VSE" (virtual network service
// endpoint) network feature (ServiceTags_Public_20251109.json: AppService,
// AzureActiveDirectory, AzureContainerRegistry, AzureCosmosDB, AzureKeyVault,
// EventHub, ServiceBus, Sql, Storage; TestServiceEndpointTagsAreVSE keeps
// them so); the service names are those of
// https://learn.microsoft.com/azure/virtual-network/virtual-network-service-endpoints-overview.
// Another service gives route.Compile an unknown-tag error naming it. The
// regional variant "<tag>.<region>" is used when the tag file has it.
var serviceEndpointTags = map[string]string{
	"microsoft.storage":              "Storage",
	"microsoft.storage.global":       "Storage",
	"microsoft.sql":                  "Sql",
	"microsoft.azurecosmosdb":        "AzureCosmosDB",
	"microsoft.keyvault":             "AzureKeyVault",
	"microsoft.servicebus":           "ServiceBus",
	"microsoft.eventhub":             "EventHub",
	"microsoft.web":                  "AppService",
	"microsoft.containerregistry":    "AzureContainerRegistry",
	"microsoft.azureactivedirectory": "AzureActiveDirectory",
}

// ServiceEndpointTag returns the service tag for a service endpoint in a
// region: the regional tag when the resolver knows it, else the global tag.
// ok is false for a service with no known tag.
func ServiceEndpointTag(service, region string, tags route.TagResolver) (string, bool) {
	tag, ok := serviceEndpointTags[strings.ToLower(service)]
	if !ok {
		return "", false
	}
	if region != "" && !strings.Contains(tag, ".") && tags != nil {
		if _, _, ok := tags.ServiceTag(tag + "." + region); ok {
			return tag + "." + region, true
		}
	}
	return tag, true
}

// isGlobalPeering reports whether two VNets are in different regions. When a
// location is unknown the peering is taken as regional.
func isGlobalPeering(a, b *VNet) bool {
	return a.Location != "" && b.Location != "" && !strings.EqualFold(a.Location, b.Location)
}

// GatewayNextHops returns the next-hop addresses that effective routes show
// for the routes a virtual network gateway propagates (VPN Gateway FAQ,
// "Why do some environments show the next hop IP as the VPN gateway public IP
// and some as the private IP?"): an active-standby VPN gateway's public IP,
// an active-active one's instance private IPs. An ExpressRoute gateway's
// routes point at Microsoft's edge routers, whose addresses no export holds
// (MicrosoftDocs/azure-docs#121271): none. Addresses the input lacks (a
// dynamic public IP not yet allocated, no bgpSettings) are left out; the
// routes still lead to the gateway.
func (m *Model) GatewayNextHops(g *Gateway) []netip.Addr {
	switch {
	case g.Type == GatewayExpressRoute:
		return nil
	case g.ActiveActive:
		return slices.Clone(g.PrivateIPs)
	}
	for _, r := range g.PublicIPs {
		if p, ok := m.PublicIP(r); ok && p.Address.IsValid() {
			return []netip.Addr{p.Address}
		}
	}
	return nil
}

// gatewayRoutes returns the routes a VNet's own gateway or Route Server, or
// its transit hub's, propagates to it: every learned route, the address
// prefixes of the local network gateways connected to the gateway (static),
// and 0.0.0.0/0 when the gateway has a default site (forced tunnelling,
// https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling). A
// gateway's routes carry the addresses [Model.GatewayNextHops] gives; an
// active-active gateway's learned route keeps the instance that learned it
// when the input says so. Route Server routes keep their NVA's address.
func (m *Model) gatewayRoutes(gr *Graph, v *VNet) []route.GatewayRoute {
	source := v
	if hub, ok := gr.TransitGateway(v); ok {
		source = hub
	}
	var out []route.GatewayRoute
	for _, g := range m.Gateways {
		if g.VNet.Key() != source.ID.Key() {
			continue
		}
		hops := m.GatewayNextHops(g)
		for _, r := range g.LearnedRoutes {
			if !(g.Type == GatewayVpn && g.ActiveActive && len(r.NextHops) > 0) {
				r.NextHops = hops
			}
			out = append(out, r)
		}
		for _, c := range m.Connections {
			if c.Gateway.Key() != g.ID.Key() {
				continue
			}
			for _, l := range m.LocalNetworkGateways {
				if l.ID.Key() == c.LocalGateway.Key() {
					for _, p := range l.AddressPrefixes {
						out = append(out, route.GatewayRoute{Gateway: g.Name, Prefix: p, NextHops: hops, Origin: route.OriginStatic})
					}
				}
			}
		}
		if g.Type == GatewayVpn && !g.DefaultSite.IsZero() {
			if _, ok := lookup[*LocalNetworkGateway](m, g.DefaultSite); ok {
				out = append(out, route.GatewayRoute{Gateway: g.Name, Prefix: netip.PrefixFrom(netip.IPv4Unspecified(), 0),
					NextHops: hops, Origin: route.OriginDefaultSite})
			}
		}
	}
	for _, rs := range m.RouteServers {
		if rs.VNet.Key() == source.ID.Key() {
			for _, r := range rs.Advertised {
				r.Origin = route.OriginRouteServer // whatever the input called it: an NVA advertised it
				out = append(out, r)
			}
		}
	}
	return out
}

// RouteConfig returns the input of route.Compile for a subnet: its VNet's
// address space, its peers' (bidirectionally connected peerings only), the
// gateway and Route Server routes it receives (its own VNet's, or over
// gateway transit), its service endpoints, the private endpoints of its VNet
// and peered VNets, and its route table.
func (m *Model) RouteConfig(s *Subnet, gr *Graph, tags route.TagResolver) route.Config {
	v := s.VNet
	cfg := route.Config{Name: string(s.ID), AddressSpace: slices.Clone(v.AddressSpace), Tags: tags}
	peers := gr.Peers(v)
	for _, p := range peers {
		cfg.Peerings = append(cfg.Peerings, route.Peering{Name: p.Name, AddressSpace: slices.Clone(p.AddressSpace), Global: isGlobalPeering(v, p)})
	}
	for _, p := range m.ExternalPeerings(v) {
		// The remote VNet is not in the input: the space the peering
		// records. Its region is unknown: listed as a regional peering.
		cfg.Peerings = append(cfg.Peerings, route.Peering{Name: p.Remote.Name(), AddressSpace: slices.Clone(p.RemoteAddressSpace)})
	}
	cfg.GatewayRoutes = m.gatewayRoutes(gr, v)
	for _, se := range s.ServiceEndpoints {
		regions := se.Locations
		if len(regions) == 0 {
			regions = []string{s.Location}
		}
		for _, r := range regions {
			if r == "*" {
				r = ""
			}
			tag, ok := ServiceEndpointTag(se.Service, r, tags)
			if !ok {
				tag = se.Service // route.Compile reports it as an unknown tag, naming the service
			}
			cfg.ServiceEndpoints = append(cfg.ServiceEndpoints, route.ServiceEndpoint{Service: se.Service, Tag: tag})
		}
	}
	inScope := append([]*VNet{v}, peers...)
	for _, pe := range m.PrivateEndpoints {
		ps, ok := m.Subnet(pe.Subnet)
		if !ok || !slices.Contains(inScope, ps.VNet) {
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
	if rt, ok := m.RouteTable(s.RouteTable); ok {
		cfg.RouteTable = &route.RouteTable{Name: string(rt.ID), Routes: CompilableRoutes(rt.Routes), DisableBGPRoutePropagation: rt.DisableBGPRoutePropagation}
	}
	return cfg
}

// NSGContext returns what package nsg needs to expand the context-dependent
// service tags for NICs in a subnet
// (https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags,
// VirtualNetwork: "the virtual network address space, all connected
// on-premises address spaces, peered virtual networks, virtual networks
// connected to a virtual network gateway, the virtual IP address of the host,
// and address prefixes used on user-defined routes").
func (m *Model) NSGContext(s *Subnet, gr *Graph) nsg.Context {
	v := s.VNet
	c := nsg.Context{AddressSpace: slices.Clone(v.AddressSpace)}
	for _, p := range gr.Peers(v) {
		if pe, ok := gr.Peering(v, p); ok && !pe.AllowVirtualNetworkAccess {
			continue // "allowVirtualNetworkAccess: false" removes the peer from the VirtualNetwork tag
		}
		c.Peered = append(c.Peered, p.AddressSpace...)
	}
	for _, p := range m.ExternalPeerings(v) {
		if p.AllowVirtualNetworkAccess {
			c.Peered = append(c.Peered, p.RemoteAddressSpace...)
		}
	}
	for _, g := range m.gatewayRoutes(gr, v) {
		// The tag holds "all connected on-premises address spaces"; a
		// default site's 0.0.0.0/0 is a route to the site, not its address
		// space (egress's reading: the site's prefixes come in as static
		// routes).
		if g.Origin != route.OriginDefaultSite {
			c.Gateway = append(c.Gateway, g.Prefix)
		}
	}
	if rt, ok := m.RouteTable(s.RouteTable); ok {
		for _, r := range rt.Routes {
			if p, err := netip.ParsePrefix(r.AddressPrefix); err == nil && p.Masked() == p {
				c.UDR = append(c.UDR, p)
			}
		}
	}
	return c
}

// asgResolver resolves ASG IDs to the private addresses of their member IP
// configurations in the model.
type asgResolver struct{ m *Model }

// ApplicationSecurityGroup implements nsg.ASGResolver.
func (a asgResolver) ApplicationSecurityGroup(id string) ([]netip.Addr, string, bool) {
	if _, ok := lookup[*ASG](a.m, Ref(id)); !ok {
		return nil, "", false
	}
	var members []netip.Addr
	vnet := ""
	for _, n := range a.m.NICs {
		for _, c := range n.IPConfigs {
			for _, g := range c.ASGs {
				if g.Key() != strings.ToLower(id) || !c.PrivateIP.IsValid() {
					continue
				}
				members = append(members, c.PrivateIP)
				if s, ok := a.m.Subnet(c.Subnet); ok && vnet == "" {
					vnet = string(s.VNet.ID)
				}
			}
		}
	}
	slices.SortFunc(members, netip.Addr.Compare)
	return members, vnet, true
}

// asgIndex is asgResolver computed once for every ASG of the model: what
// validation and a Network compile NSGs with, so that resolving an ASG does
// not scan every NIC.
type asgIndex map[string]asgMembers

type asgMembers struct {
	members []netip.Addr
	vnet    string
}

func newASGIndex(m *Model) asgIndex {
	x := asgIndex{}
	for _, a := range m.ASGs {
		x[a.ID.Key()] = asgMembers{}
	}
	for _, n := range m.NICs {
		for _, c := range n.IPConfigs {
			if !c.PrivateIP.IsValid() {
				continue
			}
			for _, g := range c.ASGs {
				am, ok := x[g.Key()]
				if !ok {
					continue
				}
				am.members = append(am.members, c.PrivateIP)
				if s, ok := m.Subnet(c.Subnet); ok && am.vnet == "" {
					am.vnet = string(s.VNet.ID)
				}
				x[g.Key()] = am
			}
		}
	}
	for k, am := range x {
		slices.SortFunc(am.members, netip.Addr.Compare)
		x[k] = am
	}
	return x
}

// ApplicationSecurityGroup implements nsg.ASGResolver.
func (x asgIndex) ApplicationSecurityGroup(id string) ([]netip.Addr, string, bool) {
	am, ok := x[strings.ToLower(id)]
	return am.members, am.vnet, ok
}

// Resolvers returns the service-tag and ASG resolvers package nsg needs for
// this model.
func (m *Model) Resolvers(tags route.TagResolver) nsg.Resolvers {
	return nsg.Resolvers{Tags: tags, ASGs: asgResolver{m}}
}
