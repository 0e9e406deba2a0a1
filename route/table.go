package route

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/gaissmai/bart"
)

// Table is the compiled effective route table of one subnet: every route
// Azure would list for a NIC in that subnet, with its state, and a
// longest-prefix-match index over the routes in use.
//
// A Table is made by [Compile] and never changes afterwards: it is safe for
// concurrent use by any number of goroutines. It must not be copied by value
// (go vet reports copies); share the pointer.
//
// [Table.Lookup] costs one bart lookup plus a few loads and allocates nothing.
type Table struct {
	_ [0]sync.Mutex // no copies: go vet's copylocks check flags them

	name       string
	routeTable string
	disableBgp bool
	defs       []def
	entries    []entry // listing order
	groups     []group // one per prefix in use
	lpm        bart.Table[uint32]
}

// Name returns the Config's Name (the subnet).
func (t *Table) Name() string { return t.name }

// RouteTable returns the name of the associated route table, or "" if none.
func (t *Table) RouteTable() string { return t.routeTable }

// Len returns the number of routes in the listing, one per prefix per
// configured item (a service-tag route counts once per tag prefix).
func (t *Table) Len() int { return len(t.entries) }

// Route returns the i'th route of the listing, 0 <= i < Len().
func (t *Table) Route(i int) Route { return Route{t: t, i: int32(i)} }

// Routes returns every route in listing order: Default routes (VnetLocal,
// Internet, None, peerings, connected groups, service endpoints, private
// endpoints), then VirtualNetworkGateway routes, then User routes, each group
// in input order. The order is deterministic. The slice is freshly allocated.
func (t *Table) Routes() []Route {
	rs := make([]Route, len(t.entries))
	for i := range rs {
		rs[i] = Route{t: t, i: int32(i)}
	}
	return rs
}

// Lookup returns the routing decision for traffic from the subnet to dst:
// the longest prefix in use that contains dst, with the route(s) selected for
// it. IPv4-mapped IPv6 addresses are looked up as IPv4.
//
// ok is false only when no route contains dst, which cannot happen for an
// IPv4 destination (0.0.0.0/0 always exists) nor, in a dual-stack network, for
// IPv6. Lookup does not allocate.
func (t *Table) Lookup(dst netip.Addr) (m Match, ok bool) {
	g, ok := t.lpm.Lookup(dst.Unmap())
	if !ok {
		return Match{}, false
	}
	return Match{t: t, g: g}, true
}

// Match is the result of [Table.Lookup]: the prefix that matched and the
// route(s) used for it. Several routes are used together only for equal-cost
// gateway (BGP / Route Server) routes; a VirtualApplianceEcmp user route is one
// route with several next hops.
//
// A Match is a small value referring to its Table; copy it freely. The zero
// Match is invalid: only [Match.IsValid] may be called on it.
type Match struct {
	t *Table
	g uint32
}

func (m Match) group() *group { return &m.t.groups[m.g] }

// IsValid reports whether m came from a successful Lookup.
func (m Match) IsValid() bool { return m.t != nil }

// Prefix returns the matched prefix.
func (m Match) Prefix() netip.Prefix { return m.group().prefix }

// NextHopType returns where the traffic goes.
func (m Match) NextHopType() NextHopType { return m.group().typ }

// NumNextHops returns the number of distinct next-hop IP addresses: 0 for
// VnetLocal, Internet, None and the other system next hops; 1 for a
// VirtualAppliance; several for ECMP.
func (m Match) NumNextHops() int { return len(m.group().nextHops) }

// NextHop returns the i'th next-hop IP address, 0 <= i < NumNextHops().
func (m Match) NextHop(i int) netip.Addr { return m.group().nextHops[i] }

// AppendNextHops appends the next-hop IP addresses to dst and returns it.
func (m Match) AppendNextHops(dst []netip.Addr) []netip.Addr {
	return append(dst, m.group().nextHops...)
}

// NumRoutes returns the number of routes used for the prefix (1, or more for
// equal-cost gateway routes).
func (m Match) NumRoutes() int { return len(m.group().members) }

// Route returns the i'th route used, 0 <= i < NumRoutes(); Route(0) is the one
// to name when a single route must be named.
func (m Match) Route(i int) Route { return Route{t: m.t, i: int32(m.group().members[i])} }

// Index returns a dense index identifying the selection, in 0..NumSelections()-1
// of its table: callers can key per-selection data by it.
func (m Match) Index() int { return int(m.g) }

// NumSelections returns the number of distinct prefixes in use, the range of
// [Match.Index].
func (t *Table) NumSelections() int { return len(t.groups) }

// Selection returns the selection with the given index, 0 <= i <
// NumSelections(): the Match that Lookup returns for addresses whose longest
// matching prefix in use is that selection's. Selections are in no
// particular order.
func (t *Table) Selection(i int) Match { return Match{t: t, g: uint32(i)} }

// String formats the match as "10.0.0.0/8 -> VirtualAppliance 10.1.0.4".
func (m Match) String() string {
	if !m.IsValid() {
		return "invalid Match"
	}
	s := fmt.Sprintf("%v -> %v", m.Prefix(), m.NextHopType())
	for _, h := range m.group().nextHops {
		s += " " + h.String()
	}
	return s
}

// Reason says why a route is [Invalid].
type Reason uint8

// Reasons for a route to be Invalid.
const (
	// ReasonNone: the route is Active.
	ReasonNone Reason = iota
	// ReasonOutranked: another route for the same prefix takes precedence
	// (User > VirtualNetworkGateway > Default, with the documented exceptions,
	// and the service-tag tie-break).
	ReasonOutranked
	// ReasonLongerASPath: a gateway route for the same prefix has a shorter
	// AS path.
	ReasonLongerASPath
	// ReasonSystemPreferred: a gateway route inside a VNet, peering,
	// connected-group or service-endpoint system route, which Azure prefers
	// over BGP even when the BGP route is more specific.
	ReasonSystemPreferred
	// ReasonBgpOverride: a gateway route inside a user route with
	// hasBgpOverride.
	ReasonBgpOverride
	// ReasonPrivateEndpointOverride: a private endpoint's /32 overridden by a
	// user route, as the endpoint's subnet enables route-table network
	// policies.
	ReasonPrivateEndpointOverride
)

var reasonText = [...]string{
	ReasonNone:                    "active",
	ReasonOutranked:               "another route for the same prefix takes precedence",
	ReasonLongerASPath:            "a gateway route for the same prefix has a shorter AS path",
	ReasonSystemPreferred:         "VNet, peering and service-endpoint routes are preferred over more specific BGP routes",
	ReasonBgpOverride:             "a user route with hasBgpOverride covers it",
	ReasonPrivateEndpointOverride: "a user route overrides the private endpoint route (network policies for route tables are enabled)",
}

// String explains the reason in a sentence fragment.
func (r Reason) String() string {
	if int(r) < len(reasonText) {
		return reasonText[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Route is one route of a [Table]'s listing: one prefix of one configured
// item, with its source, state and next hop.
//
// A Route is a small value referring to its Table; copy it freely. The zero
// Route is invalid: only [Route.IsValid] may be called on it.
type Route struct {
	t *Table
	i int32
}

func (r Route) e() *entry { return &r.t.entries[r.i] }
func (r Route) d() *def   { return &r.t.defs[r.t.entries[r.i].def] }

// IsValid reports whether r refers to a route.
func (r Route) IsValid() bool { return r.t != nil }

// Index returns the route's position in its table's listing.
func (r Route) Index() int { return int(r.i) }

// Prefix returns the destination prefix.
func (r Route) Prefix() netip.Prefix { return r.e().prefix }

// Item returns the index, in its table, of the configured item the route
// comes from: a user route, a VNet range, a peering, a gateway route, a
// service endpoint, a private endpoint. The routes of one item (the prefixes
// of a service-tag user route or of a service endpoint) share it, and share
// everything but their prefix and state.
func (r Route) Item() int { return int(r.t.entries[r.i].def) }

// Source returns Default, User or VirtualNetworkGateway.
func (r Route) Source() Source { return r.d().source }

// State returns Active or Invalid.
func (r Route) State() State { return r.e().state }

// Reason returns why the route is Invalid, or ReasonNone.
func (r Route) Reason() Reason { return r.e().reason }

// SupersededBy returns the route that made r Invalid; ok is false for an
// Active route.
func (r Route) SupersededBy() (by Route, ok bool) {
	if b := r.e().by; b >= 0 {
		return Route{t: r.t, i: b}, true
	}
	return Route{}, false
}

// NextHopType returns where the route sends traffic.
func (r Route) NextHopType() NextHopType { return r.d().typ }

// NumNextHops returns the number of next-hop IP addresses.
func (r Route) NumNextHops() int { return len(r.d().nextHops) }

// NextHop returns the i'th next-hop IP address, 0 <= i < NumNextHops().
func (r Route) NextHop(i int) netip.Addr { return r.d().nextHops[i] }

// AppendNextHops appends the next-hop IP addresses to dst and returns it.
func (r Route) AppendNextHops(dst []netip.Addr) []netip.Addr { return append(dst, r.d().nextHops...) }

// Name returns the user route's name, or "" for system and gateway routes
// (the API's null).
func (r Route) Name() string { return r.d().name }

// Origin names what created the route: the route table of a user route, the
// peering, the gateway, the service endpoint's service, the private endpoint,
// or the subnet for the default routes.
func (r Route) Origin() string { return r.d().origin }

// ServiceTag returns the service tag whose prefix this is (a tag user route,
// or a service endpoint), or "".
func (r Route) ServiceTag() string { return r.d().tag }

// GatewayOrigin returns how a gateway route (source VirtualNetworkGateway)
// was learned; it is [OriginBGP] for every other route.
func (r Route) GatewayOrigin() GatewayOrigin { return r.d().gwOrigin }

// HasBgpOverride reports the user route's hasBgpOverride flag.
func (r Route) HasBgpOverride() bool { return r.d().hasBgpOverride }

// String formats the route as a row of `az network nic
// show-effective-route-table -o table`: source, state, prefix, next-hop type,
// next-hop IPs, and the name of a user route.
func (r Route) String() string {
	if !r.IsValid() {
		return "invalid Route"
	}
	s := fmt.Sprintf("%v %v %v %v", r.Source(), r.State(), r.Prefix(), r.NextHopType())
	for _, h := range r.d().nextHops {
		s += " " + h.String()
	}
	if n := r.Name(); n != "" {
		s += " (" + n + ")"
	}
	return s
}
