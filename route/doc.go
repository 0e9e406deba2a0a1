// Package route computes Azure effective route tables and answers, on a hot
// path, which route a packet leaving a subnet takes.
//
// A [Config] describes one subnet: its virtual network's address space, the
// optional system routes its features create (peerings, gateways and Route
// Server, service endpoints, private endpoints, AVNM connected groups) and its
// route table of user-defined routes. [Compile] validates the whole Config
// once, reporting every problem, and produces an immutable [*Table]:
//
//   - [Table.Routes] and [Table.Records] list every route with its source
//     (Default, User, VirtualNetworkGateway), state (Active, Invalid) and next
//     hop, as `az network nic show-effective-route-table` does; [Table]
//     marshals to that command's exact JSON shape.
//   - [Table.Lookup] returns the route used for a destination address in one
//     longest-prefix-match lookup (github.com/gaissmai/bart) with no
//     allocation.
//
// The package knows nothing of how the network was described: service tags
// come in through the small [TagResolver] interface, and the caller decides
// which peerings, gateway routes and endpoints apply to the subnet.
//
// # Selection
//
// Azure's rules, from
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
// (sections "How Azure selects a route", "Service tags for user-defined
// routes", "Border gateway protocol"):
//
//   - Longest prefix match.
//   - For the same prefix: User, then VirtualNetworkGateway, then Default.
//   - The VnetLocal, VNetPeering and service-endpoint system routes are
//     preferred over BGP routes even when the BGP route is more specific: a
//     gateway route inside one of them is Invalid.
//   - A service-endpoint route is not overridden by a user route for the same
//     prefix (2024+ wording: "can't be overridden even with a route table").
//   - Between user routes for the same prefix: an explicit prefix, then a
//     regional service tag, then a top-level tag, then AzureCloud.<region>,
//     then AzureCloud.
//   - Among gateway routes for the same prefix, the shortest AS path wins; all
//     routes with that length are used together (ECMP).
//   - A private endpoint's /32 is Invalid when its subnet enables route-table
//     network policies and a user route containing it is no larger than the
//     endpoint's VNet address range; 0.0.0.0/0 never qualifies
//     (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
//   - Disabling BGP route propagation removes all VirtualNetworkGateway-sourced
//     routes.
//   - Reserved ranges route to None, except where an address range equals or
//     contains them; the set is data ([DocumentedReserved],
//     [ObservedReserved]).
//
// # Choices where Azure is silent
//
// The spec (shared/spec/azure-semantics.md §7) lists what is not documented;
// this package decides as follows, and the tests pin each choice:
//
//   - A dual-stack network gets a Default ::/0 → Internet route; IPv6 has no
//     reserved None ranges.
//   - A user route with a longer prefix than a service-endpoint route wins by
//     longest prefix match (only the same prefix is protected).
//   - The AVNM ConnectedGroup routes are protected from more specific BGP
//     routes like peering routes.
//   - A user route with hasBgpOverride makes every gateway route inside it
//     Invalid.
//   - Two service-tag routes of the same tier for the same prefix: the route
//     whose name sorts first (case-insensitively) wins.
//   - Service endpoints route only their tag's IPv4 prefixes; a service-tag
//     user route to an appliance routes only the prefixes of the appliance
//     address's family.
//   - A static (local network gateway) route competes with BGP routes for the
//     same prefix with the AS-path length its caller gives (0 by convention).
//   - Two user routes with the same explicit prefix are an error.
//   - A route whose next hop does not exist (no gateway, no appliance) is still
//     Active here: whether the target exists is the caller's concern.
//   - IPv4-mapped IPv6 (::ffff:10.0.0.0/104): Azure documents prefixes and
//     next hops as IPv4 or IPv6, never in the mapped form. A route that writes
//     one is an error naming the IPv4 form to write; the netip values of a
//     [Config] and the prefixes a [TagResolver] returns are unmapped, as
//     [Table.Lookup] unmaps the destination. Packages nsg and firewall, and
//     the loaders of package topology, follow the same rule.
//
// # Concurrency and cost
//
// A Table never changes after Compile and is safe for concurrent use. Lookup
// costs one bart lookup plus a few loads; Compile costs a few microseconds per
// route plus a sort of all prefixes.
package route
