package routeref

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/route"
)

// Tags is a map-backed service-tag resolver (keys compared case-insensitively).
type Tags map[string]Tag

// Tag is one service tag of [Tags].
type Tag struct {
	Region   string
	Prefixes []netip.Prefix
}

// ServiceTag implements route.TagResolver.
func (m Tags) ServiceTag(name string) ([]netip.Prefix, string, bool) {
	if t, ok := m[name]; ok {
		return t.Prefixes, t.Region, true
	}
	for k, t := range m {
		if strings.EqualFold(k, name) {
			return t.Prefixes, t.Region, true
		}
	}
	return nil, "", false
}

// Gen makes random, valid route configurations from a seeded source.
type Gen struct {
	R *rand.Rand
	// Routes is the approximate number of user plus gateway routes per config.
	Routes int
}

func (g *Gen) n(k int) int { return g.R.IntN(k) }

func (g *Gen) chance(p float64) bool { return g.R.Float64() < p }

// RandomPrefix returns a random masked IPv4 prefix of length lo..hi, biased
// toward the given base prefixes so that routes overlap.
func (g *Gen) randomPrefix4(bases []netip.Prefix, lo, hi int) netip.Prefix {
	bits := lo + g.n(hi-lo+1)
	if len(bases) > 0 && g.chance(0.7) {
		b := bases[g.n(len(bases))]
		return g.within4(b, max(bits, b.Bits()+g.n(33-b.Bits())))
	}
	return g.within4(netip.MustParsePrefix("0.0.0.0/0"), bits)
}

// within4 returns a random prefix of the given length inside the IPv4 prefix b
// (bits >= b.Bits()).
func (g *Gen) within4(b netip.Prefix, bits int) netip.Prefix {
	a := b.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	mask := uint32(0)
	if b.Bits() > 0 {
		mask = ^uint32(0) << (32 - b.Bits())
	}
	v = v&mask | g.R.Uint32()&^mask
	p, _ := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).Prefix(bits)
	return p
}

func (g *Gen) randomPrefix6(base netip.Prefix) netip.Prefix {
	a := base.Addr().As16()
	for i := base.Bits() / 8; i < 16; i++ {
		a[i] = byte(g.R.Uint32())
	}
	p, _ := netip.AddrFrom16(a).Prefix(base.Bits() + g.n(129-base.Bits()))
	return p
}

// Config returns one random valid configuration and the prefixes worth
// probing (every prefix it routes).
func (g *Gen) Config() (route.Config, []netip.Prefix) {
	var probe []netip.Prefix
	xs := g.R.Perm(250)
	next := 0
	block := func() netip.Prefix {
		next++
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(xs[next]), 0, 0}), 16)
	}
	cfg := route.Config{Name: "subnet"}
	cfg.AddressSpace = append(cfg.AddressSpace, block())
	switch g.n(4) {
	case 0:
		cfg.AddressSpace = append(cfg.AddressSpace, netip.MustParsePrefix("192.168.0.0/16")) // equal to a reserved range
	case 1:
		cfg.AddressSpace = append(cfg.AddressSpace, netip.MustParsePrefix("100.0.0.0/9")) // contains 100.64/10
	case 2:
		cfg.AddressSpace = append(cfg.AddressSpace, block())
	}
	dual := g.chance(0.4)
	v6 := netip.MustParsePrefix("fd00:1::/48")
	if dual {
		cfg.AddressSpace = append(cfg.AddressSpace, v6)
	}
	if g.chance(0.2) {
		cfg.Reserved = route.ObservedReserved()
	}
	probe = append(probe, cfg.AddressSpace...)
	for i := range g.n(4) {
		p := route.Peering{Name: fmt.Sprintf("peer%d", i), Global: g.chance(0.3)}
		for range 1 + g.n(2) {
			p.AddressSpace = append(p.AddressSpace, block())
		}
		probe = append(probe, p.AddressSpace...)
		if g.chance(0.2) {
			cfg.ConnectedGroups = append(cfg.ConnectedGroups, p)
		} else {
			cfg.Peerings = append(cfg.Peerings, p)
		}
	}
	// Synthetic service tags whose prefixes overlap, as real ones do.
	public := []netip.Prefix{netip.MustParsePrefix("20.0.0.0/8"), netip.MustParsePrefix("52.0.0.0/8")}
	mk := func(n int, from []netip.Prefix) []netip.Prefix {
		var ps []netip.Prefix
		seen := map[netip.Prefix]bool{}
		for range n {
			var p netip.Prefix
			if len(from) > 0 && g.chance(0.5) {
				p = from[g.n(len(from))]
			} else {
				p = g.randomPrefix4(public, 12, 28)
			}
			if !seen[p] {
				seen[p] = true
				ps = append(ps, p)
			}
		}
		if g.chance(0.5) {
			ps = append(ps, g.randomPrefix6(netip.MustParsePrefix("2603:1000::/24")))
		}
		return ps
	}
	cloud := mk(60, nil)
	tags := Tags{
		"AzureCloud":              {"", cloud},
		"AzureCloud.eastus":       {"eastus", mk(30, cloud)},
		"Storage":                 {"", mk(20, cloud)},
		"Storage.EastUS":          {"eastus", mk(10, cloud)},
		"Sql.EastUS":              {"eastus", mk(10, cloud)},
		"AzureFrontDoor.Frontend": {"", mk(10, cloud)},
	}
	tagNames := []string{"AzureCloud", "azurecloud.EASTUS", "Storage", "Storage.EastUS", "Sql.EastUS", "AzureFrontDoor.Frontend"}
	cfg.Tags = tags
	probe = append(probe, cloud...)
	if g.chance(0.5) {
		cfg.ServiceEndpoints = append(cfg.ServiceEndpoints, route.ServiceEndpoint{Service: "Microsoft.Storage", Tag: "Storage.EastUS"})
	}
	local := cfg.AddressSpace[0]
	for i := range g.n(5) {
		a := g.within4(local, 32).Addr()
		cfg.PrivateEndpoints = append(cfg.PrivateEndpoints, route.PrivateEndpoint{Name: fmt.Sprintf("pe%d", i), Addr: a,
			RouteTableEnabled: g.chance(0.5), AddressSpace: local})
		probe = append(probe, netip.PrefixFrom(a, 32))
	}
	bases := []netip.Prefix{netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("0.0.0.0/0")}
	for _, p := range probe {
		if p.Addr().Is4() {
			bases = append(bases, p)
		}
	}
	hops := []netip.Addr{netip.MustParseAddr("10.255.0.4"), netip.MustParseAddr("10.255.0.5"), netip.MustParseAddr("10.255.0.6")}
	nGateway := g.n(g.Routes + 1)
	for range nGateway {
		p := g.randomPrefix4(bases, 0, 32)
		if dual && g.chance(0.1) {
			p = g.randomPrefix6(v6)
		}
		if g.chance(0.2) && len(cfg.GatewayRoutes) > 0 {
			p = cfg.GatewayRoutes[g.n(len(cfg.GatewayRoutes))].Prefix // same prefix: ECMP or AS-path tie-break
		}
		var nh []netip.Addr
		if !g.chance(0.1) { // a gateway whose addresses the input lacks (ExpressRoute, partial export)
			nh = []netip.Addr{hops[g.n(len(hops))]}
		}
		cfg.GatewayRoutes = append(cfg.GatewayRoutes, route.GatewayRoute{Gateway: "gw", Prefix: p,
			NextHops: nh, ASPathLength: g.n(3), Origin: route.GatewayOrigin(g.n(3))})
		probe = append(probe, p)
	}
	nUser := min(g.n(g.Routes+1), route.DefaultMaxRoutes)
	rt := &route.RouteTable{Name: "rt", DisableBGPRoutePropagation: g.chance(0.2)}
	used := map[string]bool{}
	nTags := 0
	types := []string{"VirtualAppliance", "VirtualApplianceEcmp", "VirtualNetworkGateway", "VnetLocal", "Internet", "None"}
	for i := range nUser {
		r := route.UserRoute{Name: fmt.Sprintf("r%d", i), NextHopType: types[g.n(len(types))], HasBgpOverride: g.chance(0.05)}
		is6 := false
		switch {
		case nTags < route.MaxServiceTagRoutes && g.chance(0.05):
			nTags++
			r.AddressPrefix = tagNames[g.n(len(tagNames))]
		case dual && g.chance(0.1):
			is6 = true
			r.AddressPrefix = g.randomPrefix6(v6).String()
		default:
			r.AddressPrefix = g.randomPrefix4(bases, 0, 32).String()
		}
		if used[r.AddressPrefix] && !strings.Contains(r.AddressPrefix, "/") {
			// Two routes may name the same tag; only explicit prefixes must be unique.
		} else if used[r.AddressPrefix] {
			continue
		}
		used[r.AddressPrefix] = true
		hop := func() string {
			if is6 {
				return fmt.Sprintf("fd00:1::%x", 4+g.n(4))
			}
			return fmt.Sprintf("10.255.1.%d", 4+g.n(4))
		}
		switch r.NextHopType {
		case "VirtualAppliance":
			r.NextHopIPAddress = hop()
		case "VirtualApplianceEcmp":
			for len(r.NextHopIPAddresses) < 2+g.n(3) {
				h := hop()
				dup := false
				for _, x := range r.NextHopIPAddresses {
					dup = dup || x == h
				}
				if !dup {
					r.NextHopIPAddresses = append(r.NextHopIPAddresses, h)
				}
			}
		}
		rt.Routes = append(rt.Routes, r)
		if p, err := netip.ParsePrefix(r.AddressPrefix); err == nil {
			probe = append(probe, p)
		}
	}
	if len(rt.Routes) > 0 || g.chance(0.5) {
		cfg.RouteTable = rt
	}
	return cfg, probe
}

// Addr returns a random address inside p.
func (g *Gen) Addr(p netip.Prefix) netip.Addr {
	if p.Addr().Is4() {
		return g.within4(p, 32).Addr()
	}
	a := p.Addr().As16()
	for i := range 16 {
		if i*8 >= p.Bits() {
			a[i] = byte(g.R.Uint32())
		} else if i*8+8 > p.Bits() {
			keep := byte(0xff << (8 - (p.Bits() - i*8)))
			a[i] = a[i]&keep | byte(g.R.Uint32())&^keep
		}
	}
	return netip.AddrFrom16(a)
}
