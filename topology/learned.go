package topology

import (
	"bytes"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology/arm"
)

// AddLearnedRoutes reads the output of `az network vnet-gateway
// list-learned-routes -o json` (REST: VirtualNetworkGateways_GetLearnedRoutes)
// and adds its routes to the gateway named (by name or resource ID) as the
// routes the gateway propagates. The shape is {"value": [{"network",
// "nextHop", "asPath", "origin", "sourcePeer", "localAddress", "weight"}]},
// or the bare array; positions in errors are file:line:col.
//
// Routes whose origin is "Network" are the gateway's own VNet prefixes and
// are skipped (they are already VnetLocal routes). nextHop is the BGP peer
// that advertised the route (on-premises), not what effective routes show:
// they show the gateway's own address (see [Model.GatewayNextHops]), here the
// instance that learned the route (localAddress) for an active-active
// gateway. A route of origin RouteServer keeps its nextHop, the NVA. The
// AS-path length counts the AS numbers in asPath.
func (m *Model) AddLearnedRoutes(gateway, file string, data []byte) error {
	var p problems
	gw := findNamed(m, &p, Pos{File: file}, "virtual network gateway", gateway, m.Gateways)
	if gw == nil {
		return p.err()
	}
	v, err := arm.ParseValue(file, bytes.NewReader(data))
	if err != nil {
		return err
	}
	list := v
	if v.Kind() == arm.KindObject {
		list = v.Get("value")
	}
	if list.Kind() != arm.KindArray {
		p.add(v.Pos(), string(gw.ID), "value", "", ErrInvalid, "want the list-learned-routes output: {\"value\": [...]} or an array")
		return p.err()
	}
	for _, r := range list.Elems() {
		str := func(k string) string { s, _ := r.Get(k).Str(); return s }
		origin := str("origin")
		if strings.EqualFold(origin, "Network") {
			continue
		}
		pfx, err := netip.ParsePrefix(str("network"))
		if err != nil || pfx.Masked() != pfx {
			p.add(r.Get("network").Pos(), string(gw.ID), "network", str("network"), ErrInvalid, "not a CIDR prefix without host bits")
			continue
		}
		if msg := errtext.MappedPrefix(pfx); msg != "" {
			p.add(r.Get("network").Pos(), string(gw.ID), "network", str("network"), ErrInvalid, "%s", msg)
			continue
		}
		g := route.GatewayRoute{Gateway: gw.Name, Prefix: pfx}
		field := "localAddress"
		if strings.EqualFold(origin, "RouteServer") {
			g.Origin, field = route.OriginRouteServer, "nextHop"
		}
		if nh := str(field); nh != "" {
			a, err := netip.ParseAddr(nh)
			if err != nil {
				p.add(r.Get(field).Pos(), string(gw.ID), field, nh, ErrInvalid, "not an IP address")
				continue
			}
			if msg := errtext.MappedAddr(a); msg != "" {
				p.add(r.Get(field).Pos(), string(gw.ID), field, nh, ErrInvalid, "%s", msg)
				continue
			}
			g.NextHops = []netip.Addr{a}
		}
		g.ASPathLength = len(strings.FieldsFunc(str("asPath"), func(c rune) bool { return c == ' ' || c == ',' || c == '-' }))
		gw.LearnedRoutes = append(gw.LearnedRoutes, g)
	}
	return p.err()
}
