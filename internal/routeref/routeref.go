// Package routeref is the slow, obviously-correct twin of route.Table used by
// tests: for one destination it scans every route of a route.Config and applies
// Azure's selection rules one by one. It assumes the Config compiles.
package routeref

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/route"
)

// Answer is the routing decision for one destination.
type Answer struct {
	Prefix   netip.Prefix
	Type     route.NextHopType
	NextHops []netip.Addr // sorted, distinct
	Routes   []string     // descriptions of the routes used, sorted
}

func (a Answer) String() string {
	return fmt.Sprintf("%v %v %v %v", a.Prefix, a.Type, a.NextHops, a.Routes)
}

type kind int

const (
	vnet kind = iota
	internet
	reserved
	peering
	connected
	serviceEndpoint
	privateEndpoint
	gateway
	user
	userTag
)

type candidate struct {
	prefix   netip.Prefix
	kind     kind
	typ      route.NextHopType
	hops     []netip.Addr
	name     string // user route name
	desc     string
	tag      string
	tagTier  int
	asPath   int
	override bool
	pe       route.PrivateEndpoint
	order    int
}

// Describe names a route the way the tests compare them.
func Describe(source route.Source, name, origin string, p netip.Prefix) string {
	return fmt.Sprintf("%v/%s/%s/%v", source, name, origin, p)
}

// Candidates lists every route the config produces, before selection.
func candidates(cfg route.Config) []candidate {
	var cs []candidate
	add := func(c candidate) {
		c.order = len(cs)
		cs = append(cs, c)
	}
	sys := func(p netip.Prefix, k kind, t route.NextHopType, origin string) candidate {
		return candidate{prefix: p, kind: k, typ: t, desc: Describe(route.SourceDefault, "", origin, p)}
	}
	dual := false
	for _, p := range cfg.AddressSpace {
		add(sys(p, vnet, route.VnetLocal, cfg.Name))
		if p.Addr().Is6() {
			dual = true
		}
	}
	add(sys(netip.MustParsePrefix("0.0.0.0/0"), internet, route.Internet, cfg.Name))
	if dual {
		add(sys(netip.MustParsePrefix("::/0"), internet, route.Internet, cfg.Name))
	}
	res := cfg.Reserved
	if res == nil {
		res = route.DocumentedReserved()
	}
	for _, r := range res {
		covered := false
		for _, s := range cfg.AddressSpace {
			// Equal or containing address range: the reserved route goes away.
			if s.Bits() <= r.Bits() && s.Contains(r.Addr()) {
				covered = true
			}
		}
		if !covered {
			add(sys(r, reserved, route.None, cfg.Name))
		}
	}
	for _, p := range cfg.Peerings {
		t := route.VNetPeering
		if p.Global {
			t = route.VNetGlobalPeering
		}
		for _, pfx := range p.AddressSpace {
			add(sys(pfx, peering, t, p.Name))
		}
	}
	for _, p := range cfg.ConnectedGroups {
		for _, pfx := range p.AddressSpace {
			add(sys(pfx, connected, route.ConnectedGroup, p.Name))
		}
	}
	for _, se := range cfg.ServiceEndpoints {
		ps, _, _ := cfg.Tags.ServiceTag(se.Tag)
		for _, p := range ps {
			if p.Addr().Is4() {
				add(sys(p, serviceEndpoint, route.VirtualNetworkServiceEndpoint, se.Service))
			}
		}
	}
	for _, pe := range cfg.PrivateEndpoints {
		c := sys(netip.PrefixFrom(pe.Addr, pe.Addr.BitLen()), privateEndpoint, route.InterfaceEndpoint, pe.Name)
		c.pe = pe
		add(c)
	}
	if cfg.RouteTable == nil || !cfg.RouteTable.DisableBGPRoutePropagation {
		for _, g := range cfg.GatewayRoutes {
			add(candidate{prefix: g.Prefix, kind: gateway, typ: route.VirtualNetworkGateway, hops: g.NextHops,
				asPath: g.ASPathLength, desc: Describe(route.SourceGateway, "", g.Gateway, g.Prefix)})
		}
	}
	if cfg.RouteTable != nil {
		for _, r := range cfg.RouteTable.Routes {
			t, _ := route.ParseNextHopType(r.NextHopType)
			var hops []netip.Addr
			if r.NextHopIPAddress != "" {
				hops = append(hops, netip.MustParseAddr(r.NextHopIPAddress))
			}
			for _, s := range r.NextHopIPAddresses {
				hops = append(hops, netip.MustParseAddr(s))
			}
			c := candidate{kind: user, typ: t, hops: hops, name: r.Name, override: r.HasBgpOverride}
			if p, err := netip.ParsePrefix(r.AddressPrefix); err == nil {
				c.prefix = p
				c.desc = Describe(route.SourceUser, r.Name, cfg.RouteTable.Name, p)
				add(c)
				continue
			}
			ps, region, _ := cfg.Tags.ServiceTag(r.AddressPrefix)
			c.kind, c.tag = userTag, r.AddressPrefix
			switch {
			case strings.EqualFold(r.AddressPrefix, "AzureCloud"):
				c.tagTier = 4
			case strings.HasPrefix(strings.ToLower(r.AddressPrefix), "azurecloud."):
				c.tagTier = 3
			case region != "":
				c.tagTier = 1
			default:
				c.tagTier = 2
			}
			for _, p := range ps {
				if len(hops) > 0 && p.Addr().Is4() != hops[0].Is4() {
					continue
				}
				c.prefix = p
				c.desc = Describe(route.SourceUser, r.Name, cfg.RouteTable.Name, p)
				add(c)
			}
		}
	}
	return cs
}

// rank: lower wins between routes for the same prefix.
func rank(c candidate) int {
	switch c.kind {
	case serviceEndpoint:
		return 0 // not overridable even by an equal UDR (udr-overview, 2024+)
	case user:
		return 1
	case userTag:
		return 1 + c.tagTier
	case vnet, peering, connected:
		return 6 // preferred over BGP
	case gateway:
		return 7 // BGP beats the remaining system routes
	default:
		return 8
	}
}

func protects(c candidate) bool {
	return c.kind == vnet || c.kind == peering || c.kind == connected || c.kind == serviceEndpoint
}

// Table is the reference twin of route.Table: the config's routes, unsorted.
type Table struct{ cands []candidate }

// New lists the routes of cfg, which must compile.
func New(cfg route.Config) *Table { return &Table{cands: candidates(cfg)} }

// Lookup returns the decision for dst by scanning every route.
func (t *Table) Lookup(dst netip.Addr) (Answer, bool) {
	dst = dst.Unmap()
	var in []candidate
	for _, c := range t.cands {
		if c.prefix.Contains(dst) {
			in = append(in, c)
		}
	}
	var usable []candidate
	for _, c := range in {
		drop := false
		for _, o := range in {
			switch {
			case c.kind == gateway && protects(o) && o.prefix.Bits() <= c.prefix.Bits():
				drop = true // VNet/peering/SE preferred even over more specific BGP
			case c.kind == gateway && (o.kind == user || o.kind == userTag) && o.override && o.prefix.Bits() <= c.prefix.Bits():
				drop = true // hasBgpOverride
			case c.kind == privateEndpoint && c.pe.RouteTableEnabled && (o.kind == user || o.kind == userTag) &&
				o.prefix.Bits() >= c.pe.AddressSpace.Bits():
				drop = true // UDR no larger than the VNet range overrides the PE /32
			}
		}
		if !drop {
			usable = append(usable, c)
		}
	}
	if len(usable) == 0 {
		return Answer{}, false
	}
	longest := -1
	for _, c := range usable {
		longest = max(longest, c.prefix.Bits())
	}
	var best []candidate
	for _, c := range usable {
		if c.prefix.Bits() != longest {
			continue
		}
		switch {
		case len(best) == 0 || rank(c) < rank(best[0]):
			best = []candidate{c}
		case rank(c) == rank(best[0]) && c.kind == gateway:
			if c.asPath < best[0].asPath {
				best = []candidate{c}
			} else if c.asPath == best[0].asPath {
				best = append(best, c) // ECMP
			}
		case rank(c) == rank(best[0]) && strings.ToLower(c.name) < strings.ToLower(best[0].name):
			best = []candidate{c}
		}
	}
	a := Answer{Prefix: best[0].prefix, Type: best[0].typ}
	for _, c := range best {
		for _, h := range c.hops {
			if !slices.Contains(a.NextHops, h) {
				a.NextHops = append(a.NextHops, h)
			}
		}
		a.Routes = append(a.Routes, c.desc)
	}
	slices.SortFunc(a.NextHops, netip.Addr.Compare)
	slices.Sort(a.Routes)
	return a, true
}
