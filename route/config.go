package route

import "net/netip"

// Config describes everything that shapes the effective routes of one subnet:
// the virtual network's address space, the optional system routes its
// features create, and the route table associated with the subnet.
//
// A Config is plain input: [Compile] validates it and never modifies it.
// The zero value is not usable: AddressSpace must hold at least one range.
type Config struct {
	// Name identifies the subnet in errors and listings, e.g. its resource ID.
	Name string

	// AddressSpace is the virtual network's address ranges. Each gets a
	// Default VnetLocal route.
	AddressSpace []netip.Prefix

	// Reserved is the set of ranges with a Default route to None. Nil means
	// [DocumentedReserved]; [ObservedReserved] adds the ranges seen in real
	// tables. An empty non-nil slice means none.
	Reserved []netip.Prefix

	// Peerings are the virtual networks peered with this one. Each address
	// range of each peer gets a Default VNetPeering (or VNetGlobalPeering)
	// route. Peerings are not transitive: list only direct peers.
	Peerings []Peering

	// ConnectedGroups are Azure Virtual Network Manager connectivity
	// configurations: other members' ranges get Default ConnectedGroup routes.
	ConnectedGroups []Peering

	// GatewayRoutes are the routes a virtual network gateway or Route Server
	// propagates to the subnet: local network gateway prefixes, BGP-learned
	// prefixes, and, over a peering with gateway transit, the hub gateway's.
	// They are dropped when the route table disables BGP route propagation.
	GatewayRoutes []GatewayRoute

	// ServiceEndpoints are the service endpoints enabled on this subnet.
	ServiceEndpoints []ServiceEndpoint

	// PrivateEndpoints are the private endpoints in this virtual network and
	// in its peered virtual networks; each adds a /32 (or /128)
	// InterfaceEndpoint route.
	PrivateEndpoints []PrivateEndpoint

	// RouteTable is the route table associated with the subnet, or nil.
	RouteTable *RouteTable

	// Tags resolves service tags named by user routes and service endpoints.
	// It may be nil when no route or endpoint names a tag.
	Tags TagResolver

	// MaxRoutes is the routes-per-table limit enforced on RouteTable; zero
	// means [DefaultMaxRoutes], the documented Azure limit.
	MaxRoutes int
}

// TagResolver resolves a service tag name, such as "Storage.EastUS", to its
// address prefixes and its region ("" for a global tag). Names compare
// case-insensitively. The returned slice must not be modified.
//
// *servicetag.Set implements it.
type TagResolver interface {
	ServiceTag(name string) (prefixes []netip.Prefix, region string, ok bool)
}

// Peering is a peered virtual network (or a connected-group member) as seen
// from this one.
type Peering struct {
	// Name identifies the peering or remote network in listings and errors.
	Name string
	// AddressSpace is the remote virtual network's address ranges.
	AddressSpace []netip.Prefix
	// Global is true when the remote network is in another region: its
	// routes are listed as VNetGlobalPeering.
	Global bool
}

// GatewayOrigin says how a gateway route was learned.
type GatewayOrigin uint8

// Gateway route origins.
const (
	// OriginBGP is a prefix learned over BGP by a VPN or ExpressRoute gateway.
	OriginBGP GatewayOrigin = iota
	// OriginStatic is a local network gateway's configured address prefix.
	OriginStatic
	// OriginRouteServer is a prefix advertised to Azure Route Server by an NVA.
	OriginRouteServer
	// OriginDefaultSite is the 0.0.0.0/0 route of a VPN gateway with a
	// default site (gatewayDefaultSite): forced tunnelling of internet-bound
	// traffic to that on-premises site
	// (https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling).
	OriginDefaultSite
)

// String returns "BGP", "Static", "RouteServer" or "DefaultSite".
func (o GatewayOrigin) String() string {
	switch o {
	case OriginBGP:
		return "BGP"
	case OriginStatic:
		return "Static"
	case OriginRouteServer:
		return "RouteServer"
	case OriginDefaultSite:
		return "DefaultSite"
	}
	return "GatewayOrigin(?)"
}

// GatewayRoute is one route propagated by a gateway or Route Server, as
// `az network vnet-gateway list-learned-routes` reports it. All gateway routes
// are listed with source and next-hop type VirtualNetworkGateway.
type GatewayRoute struct {
	// Gateway identifies the gateway (or Route Server) in listings and errors.
	Gateway string
	// Prefix is the destination.
	Prefix netip.Prefix
	// NextHops are the next-hop IP addresses as effective routes list them:
	// a VPN gateway's public IP (active-standby) or its instances' private
	// IPs (active-active), the advertising NVA's IP for Route Server. It may
	// be empty when the addresses are not known (an ExpressRoute gateway's
	// routes point at Microsoft's edge routers; an export may lack them):
	// the route is listed without an address and still leads to the
	// gateway.
	NextHops []netip.Addr
	// ASPathLength is the BGP AS-path length. Among gateway routes for the same
	// prefix only those with the shortest AS path are used; several such routes
	// are used together (ECMP). Static routes should use 0.
	ASPathLength int
	// Origin is how the route was learned.
	Origin GatewayOrigin
}

// ServiceEndpoint is a service endpoint enabled on the subnet.
type ServiceEndpoint struct {
	// Service is the endpoint's service name, e.g. "Microsoft.Storage".
	Service string
	// Tag is the service tag whose prefixes the endpoint routes, e.g.
	// "Storage.EastUS" or "Storage".
	Tag string
}

// PrivateEndpoint is a private endpoint's network interface address.
type PrivateEndpoint struct {
	// Name identifies the private endpoint in listings and errors.
	Name string
	// Addr is the private endpoint's private IP address.
	Addr netip.Addr
	// RouteTableEnabled is true when the private endpoint's subnet has
	// privateEndpointNetworkPolicies set to Enabled or RouteTableEnabled.
	RouteTableEnabled bool
	// AddressSpace is the range of the private endpoint's virtual network that
	// holds Addr. It is needed only when RouteTableEnabled is true.
	AddressSpace netip.Prefix
}

// RouteTable is a route table resource: user-defined routes plus the
// propagation switch. Fields mirror the ARM resource so that problems can be
// reported in the user's own terms.
type RouteTable struct {
	// Name identifies the route table in errors, e.g. its resource ID.
	Name string
	// Routes are the user-defined routes.
	Routes []UserRoute
	// DisableBGPRoutePropagation removes every route whose source is
	// VirtualNetworkGateway from the subnets the table is associated with.
	DisableBGPRoutePropagation bool
}

// UserRoute is one user-defined route, with the ARM resource's field values.
type UserRoute struct {
	// Name is the route's name, unique (case-insensitively) in its table.
	Name string
	// AddressPrefix is a CIDR prefix such as "10.1.0.0/16" or a service tag
	// name such as "Storage.EastUS".
	AddressPrefix string
	// NextHopType is the ARM spelling: "VirtualAppliance",
	// "VirtualApplianceEcmp", "VirtualNetworkGateway", "VnetLocal",
	// "Internet" or "None".
	NextHopType string
	// NextHopIPAddress is the appliance IP address of a VirtualAppliance route
	// (ARM properties.nextHopIpAddress); empty for every other type.
	NextHopIPAddress string
	// NextHopIPAddresses are the 2..64 appliance IP addresses of a
	// VirtualApplianceEcmp route (ARM properties.nextHop.nextHopIpAddresses).
	NextHopIPAddresses []string
	// HasBgpOverride is ARM's read-only flag: the route overrides overlapping
	// BGP routes regardless of prefix length.
	HasBgpOverride bool
}

// Azure's limits on route tables, from
// https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-resource-manager-virtual-networking-limits
// and https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#service-tags-for-user-defined-routes
const (
	DefaultMaxRoutes    = 400 // routes per route table
	MaxServiceTagRoutes = 25  // routes per route table whose prefix is a service tag
	MinEcmpNextHops     = 2   // next hops of a VirtualApplianceEcmp route, at least
	MaxEcmpNextHops     = 64  // and at most
	maxRouteNameLength  = 80
)

// DocumentedReserved is the default set of ranges with a Default route to None
// (RFC 1918 and RFC 6598), per
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#default
func DocumentedReserved() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("100.64.0.0/10"),
	}
}

// ObservedReserved is [DocumentedReserved] plus the ranges that real
// `az network nic show-effective-route-table` output also lists as
// Default/None (25.33.80.0/20, 25.41.3.0/25, 127.0.0.0/8): observed in
// MicrosoftDocs/azure-docs issue threads and Azure/azure-powershell issue
// #23091, not documented.
func ObservedReserved() []netip.Prefix {
	return append(DocumentedReserved(),
		netip.MustParsePrefix("25.33.80.0/20"),
		netip.MustParsePrefix("25.41.3.0/25"),
		netip.MustParsePrefix("127.0.0.0/8"),
	)
}
