package route

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
	"github.com/egresslab/egress/problem"
	"github.com/gaissmai/bart"
)

// kind is the fine-grained origin of a route definition.
type kind uint8

const (
	kindVnetLocal kind = iota
	kindInternet
	kindReserved
	kindPeering
	kindConnectedGroup
	kindServiceEndpoint
	kindPrivateEndpoint
	kindGateway
	kindUser
	kindUserTag
)

// rank orders routes for the same prefix: lower wins.
//
// Per https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#how-azure-selects-a-route
// User > BGP > system, except that the VNet, peering and service-endpoint
// system routes are preferred over BGP routes, and (2024+ wording) a service
// endpoint route cannot be overridden by a route table. Between service-tag
// routes: explicit prefix > regional tag > top-level tag > AzureCloud.<region>
// > AzureCloud (same page, "Service tags for user-defined routes").
const (
	rankServiceEndpoint uint8 = iota
	rankUser
	rankTagRegional
	rankTagGlobal
	rankTagCloudRegional
	rankTagCloud
	rankProtected // VnetLocal, VNetPeering, VNetGlobalPeering, ConnectedGroup
	rankGateway
	rankSystem // Internet, None, InterfaceEndpoint
)

// def is one configured item that produces routes: a VNet range, a peering, a
// gateway route, a user route (one per UDR, even for a tag with many prefixes).
type def struct {
	name           string // UDR name; "" for system and gateway routes
	sortName       string // lower-case name, for the tag tie-break
	origin         string // what created it: peering, gateway, endpoint, table
	tag            string // service tag the prefixes came from, if any
	source         Source
	typ            NextHopType
	kind           kind
	rank           uint8
	hasBgpOverride bool
	asPath         int
	gwOrigin       GatewayOrigin // gateway routes only
	nextHops       []netip.Addr
	pe             PrivateEndpoint // kindPrivateEndpoint only
}

// entry is one prefix of one def: the unit of selection.
type entry struct {
	prefix netip.Prefix
	def    uint32
	state  State
	reason Reason
	by     int32 // entry that invalidated this one, or -1
}

// group is the selection for one prefix: the active entries (several only for
// equal-cost gateway routes) and the union of their next hops.
type group struct {
	prefix   netip.Prefix
	typ      NextHopType
	members  []uint32 // entry indexes, listing order
	nextHops []netip.Addr
}

// Compile validates cfg and computes its effective routes.
//
// Every problem in cfg is reported in a *[problem.Errors] (at most
// [problem.Max] listed); each is an [*Error]. On error Compile returns a nil table: a partial table is never
// returned.
//
// Compile costs a few hundred nanoseconds per route plus the sort of all
// prefixes; it never modifies cfg, and the returned table shares no memory with
// it.
func Compile(cfg Config) (*Table, error) {
	cfg = unmapConfig(cfg)
	c := compiler{cfg: cfg, subnet: "subnet " + quoteName(cfg.Name)}
	c.systemRoutes()
	c.gatewayRoutes()
	c.userRoutes()
	if err := c.errs.Err(); err != nil {
		return nil, err
	}
	t := &Table{
		name:       cfg.Name,
		defs:       c.defs,
		entries:    c.entries,
		disableBgp: cfg.RouteTable != nil && cfg.RouteTable.DisableBGPRoutePropagation,
	}
	if cfg.RouteTable != nil {
		t.routeTable = cfg.RouteTable.Name
	}
	t.invalidateOverridden()
	t.selectPerPrefix()
	return t, nil
}

func quoteName(s string) string { return strconv.Quote(s) }

// ref names the item inside a resource that a problem is about. It is
// formatted only when a problem is reported, so that valid input costs nothing.
type ref struct {
	kind   string       // "route", "peering", ...; or a bare field group like "addressSpace"
	name   string       // quoted after kind, when named
	prefix netip.Prefix // a gateway route's prefix, printed after the name
	route  int          // 1 + the user route's index in RouteTable.Routes; 0 for other items
}

func named(kind, name string) ref { return ref{kind: kind, name: name} }

// userRoute names the user route at index i of the route table.
func userRoute(name string, i int) ref {
	return ref{kind: "route", name: name, route: i + 1}
}

// items returns the problem's path inside its resource.
func (r ref) items() []problem.Item {
	switch {
	case r.kind == "":
		return nil
	case r.route > 0:
		return []problem.Item{{List: "routes", Kind: r.kind, Name: r.name, Index: r.route - 1}}
	case r.kind == "gateway":
		return []problem.Item{{Kind: r.kind, Name: r.name, Index: -1}, {Kind: "route", Name: r.prefix.String(), Index: -1}}
	}
	return []problem.Item{{Kind: r.kind, Name: r.name, Index: -1}}
}

type compiler struct {
	cfg     Config
	subnet  string
	defs    []def
	entries []entry
	errs    problem.List
}

func (c *compiler) fail(resource string, item ref, field, value string, err error, detail string) {
	c.errs.Add(&Error{Resource: resource, Items: item.items(), Field: field, Value: value, Kind: err, Detail: detail})
}

// add appends a def and one entry per prefix.
func (c *compiler) add(d def, prefixes ...netip.Prefix) {
	di := uint32(len(c.defs))
	c.defs = append(c.defs, d)
	for _, p := range prefixes {
		c.entries = append(c.entries, entry{prefix: p, def: di, by: -1})
	}
}

// checkPrefix reports a zero or non-canonical system prefix.
func (c *compiler) checkPrefix(item ref, field string, p netip.Prefix) bool {
	switch {
	case !p.IsValid():
		c.fail(c.subnet, item, field, p.String(), ErrInvalidValue, "not a valid prefix")
		return false
	case p.Masked() != p:
		c.fail(c.subnet, item, field, p.String(), ErrHostBits, "did you mean "+p.Masked().String()+"?")
		return false
	}
	return true
}

func (c *compiler) systemRoutes() {
	cfg := c.cfg
	if len(cfg.AddressSpace) == 0 {
		c.fail(c.subnet, ref{}, "addressSpace", "", ErrMissing, "a virtual network needs at least one address range")
	}
	seen := map[netip.Prefix]bool{}
	has6 := false
	// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#default:
	// one VnetLocal route per address range.
	for _, p := range cfg.AddressSpace {
		if !c.checkPrefix(ref{kind: "addressSpace"}, "addressPrefixes", p) {
			continue
		}
		if seen[p] {
			c.fail(c.subnet, ref{kind: "addressSpace"}, "addressPrefixes", p.String(), ErrDuplicate, "listed twice")
			continue
		}
		seen[p] = true
		c.add(def{origin: cfg.Name, source: SourceDefault, typ: VnetLocal, kind: kindVnetLocal, rank: rankProtected}, p)
		has6 = has6 || p.Addr().Is6()
	}
	c.add(def{origin: cfg.Name, source: SourceDefault, typ: Internet, kind: kindInternet, rank: rankSystem},
		netip.MustParsePrefix("0.0.0.0/0"))
	// Choice (spec §7.1, undocumented): a dual-stack network also gets ::/0 → Internet.
	if has6 {
		c.add(def{origin: cfg.Name, source: SourceDefault, typ: Internet, kind: kindInternet, rank: rankSystem},
			netip.MustParsePrefix("::/0"))
	}
	// Reserved ranges: equal to or inside an address range → the range's VnetLocal
	// route replaces them; containing an address range → both are kept.
	reserved := cfg.Reserved
	if reserved == nil {
		reserved = DocumentedReserved()
	}
	for _, r := range reserved {
		if !c.checkPrefix(ref{kind: "reserved"}, "addressPrefix", r) {
			continue
		}
		if slices.ContainsFunc(cfg.AddressSpace, func(s netip.Prefix) bool { return s.IsValid() && contains(s, r) }) {
			continue
		}
		c.add(def{origin: cfg.Name, source: SourceDefault, typ: None, kind: kindReserved, rank: rankSystem}, r)
	}
	for _, p := range cfg.Peerings {
		c.peering(p, kindPeering)
	}
	for _, p := range cfg.ConnectedGroups {
		c.peering(p, kindConnectedGroup)
	}
	for _, se := range cfg.ServiceEndpoints {
		item := named("service endpoint", se.Service)
		prefixes, _, ok := c.resolve(c.subnet, item, "service", se.Tag)
		if !ok {
			continue
		}
		// Choice: service endpoints are IPv4 only, as the service-endpoints
		// overview describes them; the tag's IPv6 prefixes are not routed.
		v4 := slices.DeleteFunc(slices.Clone(prefixes), func(p netip.Prefix) bool { return !p.Addr().Is4() })
		c.add(def{origin: se.Service, tag: se.Tag, source: SourceDefault, typ: VirtualNetworkServiceEndpoint,
			kind: kindServiceEndpoint, rank: rankServiceEndpoint}, v4...)
	}
	pes := map[netip.Addr]string{}
	for _, pe := range cfg.PrivateEndpoints {
		item := named("private endpoint", pe.Name)
		if !pe.Addr.IsValid() {
			c.fail(c.subnet, item, "privateIPAddress", "", ErrMissing, "")
			continue
		}
		if prev, ok := pes[pe.Addr]; ok {
			c.fail(c.subnet, item, "privateIPAddress", pe.Addr.String(), ErrDuplicate, "also the address of private endpoint "+quoteName(prev))
			continue
		}
		pes[pe.Addr] = pe.Name
		if pe.RouteTableEnabled {
			if !c.checkPrefix(item, "addressSpace", pe.AddressSpace) {
				continue
			}
			if !pe.AddressSpace.Contains(pe.Addr) {
				c.fail(c.subnet, item, "addressSpace", pe.AddressSpace.String(), ErrInvalidValue,
					"does not contain the endpoint's address "+pe.Addr.String())
				continue
			}
		}
		c.add(def{origin: pe.Name, source: SourceDefault, typ: InterfaceEndpoint, kind: kindPrivateEndpoint, rank: rankSystem, pe: pe},
			netip.PrefixFrom(pe.Addr, pe.Addr.BitLen()))
	}
}

func (c *compiler) peering(p Peering, k kind) {
	typ, what := VNetPeering, "peering"
	if k == kindConnectedGroup {
		typ, what = ConnectedGroup, "connected group member"
	} else if p.Global {
		typ = VNetGlobalPeering
	}
	item := named(what, p.Name)
	if len(p.AddressSpace) == 0 {
		c.fail(c.subnet, item, "addressSpace", "", ErrMissing, "")
		return
	}
	var ok []netip.Prefix
	for _, pfx := range p.AddressSpace {
		if !c.checkPrefix(item, "addressSpace", pfx) {
			continue
		}
		if i := slices.IndexFunc(c.cfg.AddressSpace, func(s netip.Prefix) bool { return s.IsValid() && s.Overlaps(pfx) }); i >= 0 {
			c.fail(c.subnet, item, "addressSpace", pfx.String(), ErrInvalidValue,
				"overlaps the local address space "+c.cfg.AddressSpace[i].String()+"; Azure does not peer overlapping networks")
			continue
		}
		ok = append(ok, pfx)
	}
	for _, pfx := range ok {
		// One route per remote range, as one VnetLocal route per local range.
		c.add(def{origin: p.Name, source: SourceDefault, typ: typ, kind: k, rank: rankProtected}, pfx)
	}
}

// resolve looks up a service tag for a user route or service endpoint.
func (c *compiler) resolve(resource string, item ref, field, tag string) ([]netip.Prefix, string, bool) {
	if tag == "" {
		c.fail(resource, item, field, "", ErrMissing, "")
		return nil, "", false
	}
	if c.cfg.Tags == nil {
		c.fail(resource, item, field, tag, ErrUnknownTag, "no service-tag resolver configured")
		return nil, "", false
	}
	prefixes, region, ok := c.cfg.Tags.ServiceTag(tag)
	if !ok {
		c.fail(resource, item, field, tag, ErrUnknownTag, "")
		return nil, "", false
	}
	return unmapPrefixes(prefixes), region, true
}

func (c *compiler) gatewayRoutes() {
	if c.cfg.RouteTable != nil && c.cfg.RouteTable.DisableBGPRoutePropagation {
		// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#border-gateway-protocol:
		// disabling propagation removes every gateway-sourced route from the subnet.
		return
	}
	for _, g := range c.cfg.GatewayRoutes {
		item := ref{kind: "gateway", name: g.Gateway, prefix: g.Prefix}
		if !c.checkPrefix(item, "network", g.Prefix) {
			continue
		}
		// A gateway route may come without next-hop addresses: an
		// ExpressRoute gateway's routes point at the Microsoft edge routers,
		// and an export may lack a VPN gateway's addresses. The route is
		// still listed and still leads to the gateway.
		okHops := true
		for _, h := range g.NextHops {
			if !h.IsValid() {
				c.fail(c.subnet, item, "nextHop", "", ErrInvalidValue, "")
				okHops = false
			}
		}
		if !okHops {
			continue
		}
		if g.ASPathLength < 0 {
			c.fail(c.subnet, item, "asPath", fmt.Sprint(g.ASPathLength), ErrInvalidValue, "AS-path length is negative")
			continue
		}
		c.add(def{origin: g.Gateway, source: SourceGateway, typ: VirtualNetworkGateway, kind: kindGateway, rank: rankGateway,
			asPath: g.ASPathLength, gwOrigin: g.Origin, nextHops: slices.Clone(g.NextHops)}, g.Prefix)
	}
}

func (c *compiler) userRoutes() {
	rt := c.cfg.RouteTable
	if rt == nil {
		return
	}
	table := "route table " + quoteName(rt.Name)
	maxRoutes := c.cfg.MaxRoutes
	if maxRoutes <= 0 {
		maxRoutes = DefaultMaxRoutes
	}
	if len(rt.Routes) > maxRoutes {
		c.fail(table, ref{}, "routes", "", ErrLimit, fmt.Sprintf("%d routes, at most %d per route table", len(rt.Routes), maxRoutes))
	}
	names := map[string]string{}
	prefixes := map[netip.Prefix]string{}
	tagRoutes := 0
	for i, r := range rt.Routes {
		item := userRoute(r.Name, i)
		if problem := checkRouteName(r.Name); problem != "" {
			c.fail(table, item, "name", r.Name, ErrInvalidValue, problem)
		} else if prev, ok := names[strings.ToLower(r.Name)]; ok {
			c.fail(table, item, "name", r.Name, ErrDuplicate, "route names are case-insensitive; also "+quoteName(prev))
		} else {
			names[strings.ToLower(r.Name)] = r.Name
		}
		typ, err := ParseNextHopType(r.NextHopType)
		switch {
		case r.NextHopType == "":
			c.fail(table, item, "nextHopType", "", ErrMissing, "")
			continue
		case err != nil:
			c.fail(table, item, "nextHopType", r.NextHopType, ErrUnknownNextHop,
				"want VirtualAppliance, VirtualApplianceEcmp, VirtualNetworkGateway, VnetLocal, Internet or None")
			continue
		case !typ.IsUserSettable():
			c.fail(table, item, "nextHopType", r.NextHopType, ErrNotAllowed, "system routes only; a user route cannot use it")
			continue
		}
		hops, ok := c.nextHops(table, item, typ, r)
		if !ok {
			continue
		}
		d := def{name: r.Name, sortName: strings.ToLower(r.Name), origin: rt.Name, source: SourceUser, typ: typ, kind: kindUser, rank: rankUser,
			hasBgpOverride: r.HasBgpOverride, nextHops: hops}
		if r.AddressPrefix == "" {
			c.fail(table, item, "addressPrefix", "", ErrMissing, "")
			continue
		}
		if looksLikePrefix(r.AddressPrefix) {
			p, err := netip.ParsePrefix(r.AddressPrefix)
			switch {
			case err != nil:
				c.fail(table, item, "addressPrefix", r.AddressPrefix, ErrInvalidValue, "not a CIDR prefix")
				continue
			case p.Masked() != p:
				c.fail(table, item, "addressPrefix", r.AddressPrefix, ErrHostBits, "did you mean "+p.Masked().String()+"?")
				continue
			case errtext.MappedPrefix(p) != "":
				c.fail(table, item, "addressPrefix", r.AddressPrefix, ErrInvalidValue, errtext.MappedPrefix(p))
				continue
			case len(hops) > 0 && hops[0].Is4() != p.Addr().Is4():
				c.fail(table, item, "nextHopIpAddress", hops[0].String(), ErrFamily, "the prefix is "+family(p.Addr())+", the next hop "+family(hops[0]))
				continue
			}
			if prev, dup := prefixes[p]; dup {
				c.fail(table, item, "addressPrefix", r.AddressPrefix, ErrDuplicate, "also the prefix of route "+quoteName(prev))
				continue
			}
			prefixes[p] = r.Name
			c.add(d, p)
			continue
		}
		// A service tag: https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#service-tags-for-user-defined-routes
		tagRoutes++
		tagPrefixes, region, ok := c.resolve(table, item, "addressPrefix", r.AddressPrefix)
		if !ok {
			continue
		}
		d.kind, d.tag, d.rank = kindUserTag, r.AddressPrefix, tagRank(r.AddressPrefix, region)
		if len(hops) > 0 {
			// An appliance next hop has one family; the tag routes only its prefixes of that family.
			v4 := hops[0].Is4()
			tagPrefixes = slices.DeleteFunc(slices.Clone(tagPrefixes), func(p netip.Prefix) bool { return p.Addr().Is4() != v4 })
		}
		c.add(d, tagPrefixes...)
	}
	if tagRoutes > MaxServiceTagRoutes {
		c.fail(table, ref{}, "routes", "", ErrLimit, fmt.Sprintf("%d service-tag routes, at most %d per route table", tagRoutes, MaxServiceTagRoutes))
	}
}

// nextHops validates the next-hop IP fields of a user route against its type.
func (c *compiler) nextHops(table string, item ref, typ NextHopType, r UserRoute) ([]netip.Addr, bool) {
	switch typ {
	case VirtualAppliance:
		if len(r.NextHopIPAddresses) > 0 {
			c.fail(table, item, "nextHopIpAddresses", strings.Join(r.NextHopIPAddresses, ","), ErrNotAllowed,
				"only for VirtualApplianceEcmp; VirtualAppliance takes one nextHopIpAddress")
			return nil, false
		}
		if r.NextHopIPAddress == "" {
			c.fail(table, item, "nextHopIpAddress", "", ErrMissing, "a VirtualAppliance route needs the appliance's IP address")
			return nil, false
		}
		a, ok := c.parseHop(table, item, "nextHopIpAddress", r.NextHopIPAddress)
		return []netip.Addr{a}, ok
	case VirtualApplianceEcmp:
		if r.NextHopIPAddress != "" {
			c.fail(table, item, "nextHopIpAddress", r.NextHopIPAddress, ErrNotAllowed, "a VirtualApplianceEcmp route takes nextHopIpAddresses")
			return nil, false
		}
		n := len(r.NextHopIPAddresses)
		if n < MinEcmpNextHops || n > MaxEcmpNextHops {
			c.fail(table, item, "nextHopIpAddresses", "", ErrLimit, fmt.Sprintf("%d addresses, want %d..%d", n, MinEcmpNextHops, MaxEcmpNextHops))
			return nil, false
		}
		hops := make([]netip.Addr, 0, n)
		ok := true
		for _, s := range r.NextHopIPAddresses {
			a, good := c.parseHop(table, item, "nextHopIpAddresses", s)
			switch {
			case !good:
				ok = false
			case slices.Contains(hops, a):
				c.fail(table, item, "nextHopIpAddresses", s, ErrDuplicate, "")
				ok = false
			case len(hops) > 0 && hops[0].Is4() != a.Is4():
				c.fail(table, item, "nextHopIpAddresses", s, ErrFamily, "all next hops must be of one family")
				ok = false
			default:
				hops = append(hops, a)
			}
		}
		return hops, ok
	default:
		if r.NextHopIPAddress != "" || len(r.NextHopIPAddresses) > 0 {
			c.fail(table, item, "nextHopIpAddress", r.NextHopIPAddress+strings.Join(r.NextHopIPAddresses, ","), ErrNotAllowed,
				"next-hop IP addresses are only allowed for VirtualAppliance and VirtualApplianceEcmp")
			return nil, false
		}
		return nil, true
	}
}

func (c *compiler) parseHop(table string, item ref, field, s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		c.fail(table, item, field, s, ErrInvalidValue, "not an IP address")
		return netip.Addr{}, false
	}
	if msg := errtext.MappedAddr(a); msg != "" {
		c.fail(table, item, field, s, ErrInvalidValue, msg)
		return netip.Addr{}, false
	}
	if a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		c.fail(table, item, field, s, ErrInvalidValue, "not a usable appliance address")
		return netip.Addr{}, false
	}
	return a, true
}

// looksLikePrefix tells a CIDR from a service tag name: tag names never
// contain '/' (spec §5: names are letters, digits and dots).
func looksLikePrefix(s string) bool { return strings.Contains(s, "/") }

// tagRank places a service tag in the documented tie-break order.
func tagRank(name, region string) uint8 {
	switch {
	case strings.EqualFold(name, "AzureCloud"):
		return rankTagCloud
	case len(name) > len("AzureCloud.") && strings.EqualFold(name[:len("AzureCloud.")], "AzureCloud."):
		return rankTagCloudRegional
	case region != "":
		return rankTagRegional
	default:
		return rankTagGlobal
	}
}

// checkRouteName applies ARM's naming rule for routes: 1..80 characters,
// letters, digits, underscores, periods and hyphens; starting with a letter or
// digit; ending with a letter, digit or underscore.
func checkRouteName(s string) string {
	switch {
	case s == "":
		return "a route needs a name"
	case len(s) > maxRouteNameLength:
		return fmt.Sprintf("%d characters, at most %d", len(s), maxRouteNameLength)
	case !isAlnum(s[0]):
		return "must start with a letter or digit"
	case !isAlnum(s[len(s)-1]) && s[len(s)-1] != '_':
		return "must end with a letter, digit or underscore"
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; !isAlnum(b) && b != '_' && b != '.' && b != '-' {
			return fmt.Sprintf("character %q not allowed (letters, digits, '_', '.', '-')", b)
		}
	}
	return ""
}

func isAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// contains reports whether outer contains inner (equal counts).
func contains(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

// invalidateOverridden applies the cross-prefix exceptions before longest-prefix
// selection:
//   - a gateway route inside a VnetLocal, peering, connected-group or
//     service-endpoint route is never used ("preferred over BGP routes, even if
//     the BGP route is more specific", udr-overview);
//   - a gateway route inside a user route with hasBgpOverride is never used;
//   - a private endpoint's /32 is invalidated by a user route that contains it
//     and is no larger than the endpoint's VNet address range, when the
//     endpoint's subnet has route-table network policies
//     (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
func (t *Table) invalidateOverridden() {
	var protected, override, user bart.Table[int32]
	var needProtected, needOverride, needUser bool
	for _, d := range t.defs {
		needProtected = needProtected || d.kind == kindGateway
		needOverride = needOverride || d.hasBgpOverride
		needUser = needUser || d.pe.RouteTableEnabled
	}
	needOverride = needOverride && needProtected // only gateway routes can be overridden
	for i, e := range t.entries {
		d := &t.defs[e.def]
		switch {
		case d.rank == rankProtected || d.kind == kindServiceEndpoint:
			if needProtected {
				protected.Insert(e.prefix, int32(i))
			}
		case d.source == SourceUser:
			if needUser {
				user.Insert(e.prefix, int32(i))
			}
			if needOverride && d.hasBgpOverride {
				override.Insert(e.prefix, int32(i))
			}
		}
	}
	for i := range t.entries {
		e := &t.entries[i]
		d := &t.defs[e.def]
		switch d.kind {
		case kindGateway:
			if by, ok := protected.LookupPrefix(e.prefix); ok {
				e.state, e.reason, e.by = Invalid, ReasonSystemPreferred, by
			} else if by, ok := override.LookupPrefix(e.prefix); ok {
				e.state, e.reason, e.by = Invalid, ReasonBgpOverride, by
			}
		case kindPrivateEndpoint:
			if !d.pe.RouteTableEnabled {
				continue
			}
			if p, by, ok := user.LookupPrefixLPM(e.prefix); ok && p.Bits() >= d.pe.AddressSpace.Bits() {
				e.state, e.reason, e.by = Invalid, ReasonPrivateEndpointOverride, by
			}
		}
	}
}

// selectPerPrefix picks, for every prefix, the route(s) used for it, marks the
// others Invalid, and builds the longest-prefix-match table over the winners.
func (t *Table) selectPerPrefix() {
	order := make([]uint32, 0, len(t.entries))
	for i, e := range t.entries {
		if e.state == Active {
			order = append(order, uint32(i))
		}
	}
	slices.SortFunc(order, func(a, b uint32) int {
		ea, eb := &t.entries[a], &t.entries[b]
		if c := ea.prefix.Compare(eb.prefix); c != 0 {
			return c
		}
		da, db := &t.defs[ea.def], &t.defs[eb.def]
		if da.rank != db.rank {
			return cmp.Compare(da.rank, db.rank)
		}
		if da.asPath != db.asPath {
			return cmp.Compare(da.asPath, db.asPath)
		}
		// Choice (undocumented): between tag routes of the same tier, the
		// route whose name sorts first (case-insensitively) wins, whatever
		// the input order.
		if c := strings.Compare(da.sortName, db.sortName); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && t.entries[order[end]].prefix == t.entries[order[start]].prefix {
			end++
		}
		t.selectGroup(order[start:end])
		start = end
	}
}

// selectGroup handles all candidates for one prefix, best first.
func (t *Table) selectGroup(cands []uint32) {
	best := &t.defs[t.entries[cands[0]].def]
	n := 1
	if best.kind == kindGateway {
		// Equal-cost gateway routes: every route with the shortest AS path is used.
		for n < len(cands) {
			d := &t.defs[t.entries[cands[n]].def]
			if d.kind != kindGateway || d.asPath != best.asPath {
				break
			}
			n++
		}
	}
	for _, i := range cands[n:] {
		e := &t.entries[i]
		e.state, e.by = Invalid, int32(cands[0])
		e.reason = ReasonOutranked
		if d := &t.defs[e.def]; d.kind == kindGateway && best.kind == kindGateway {
			e.reason = ReasonLongerASPath
		}
	}
	members := slices.Clone(cands[:n])
	slices.Sort(members)
	g := group{prefix: t.entries[cands[0]].prefix, typ: best.typ, members: members}
	for _, m := range members {
		for _, h := range t.defs[t.entries[m].def].nextHops {
			if !slices.Contains(g.nextHops, h) {
				g.nextHops = append(g.nextHops, h)
			}
		}
	}
	t.lpm.Insert(g.prefix, uint32(len(t.groups)))
	t.groups = append(t.groups, g)
}
