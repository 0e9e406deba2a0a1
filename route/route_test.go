package route_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/egresslab/egress/problem"
	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Sources cited by the tests below (short forms used in the comments):
//   - udr-overview: https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
//   - disable-private-endpoint-network-policy: https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy

var (
	pfx = netip.MustParsePrefix
	ip  = netip.MustParseAddr
)

// tags is a map-backed service-tag resolver for tests.
type tags map[string]struct {
	region   string
	prefixes []string
}

func (m tags) ServiceTag(name string) ([]netip.Prefix, string, bool) {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			ps := make([]netip.Prefix, len(v.prefixes))
			for i, s := range v.prefixes {
				ps[i] = pfx(s)
			}
			return ps, v.region, true
		}
	}
	return nil, "", false
}

func mustCompile(t testing.TB, cfg route.Config) *route.Table {
	t.Helper()
	tb, err := route.Compile(cfg)
	require.NoError(t, err)
	return tb
}

// row renders a route as "Source State Prefix NextHopType [IPs] (name)" for compact assertions.
func rows(tb *route.Table) []string {
	var out []string
	for _, r := range tb.Routes() {
		out = append(out, r.String())
	}
	return out
}

// lookup renders the decision for dst as "prefix -> type [ips]".
func lookup(t *testing.T, tb *route.Table, dst string) string {
	t.Helper()
	m, ok := tb.Lookup(ip(dst))
	require.True(t, ok, "Lookup(%s) found no route", dst)
	return m.String()
}

func udr(name, prefix, typ string, hops ...string) route.UserRoute {
	r := route.UserRoute{Name: name, AddressPrefix: prefix, NextHopType: typ}
	switch {
	case typ == "VirtualApplianceEcmp":
		r.NextHopIPAddresses = hops
	case len(hops) == 1:
		r.NextHopIPAddress = hops[0]
	}
	return r
}

func spoke(routes ...route.UserRoute) route.Config {
	cfg := route.Config{Name: "spoke/app", AddressSpace: []netip.Prefix{pfx("10.1.0.0/16")}}
	if routes != nil {
		cfg.RouteTable = &route.RouteTable{Name: "rt-app", Routes: routes}
	}
	return cfg
}

func TestDefaultSystemRoutes(t *testing.T) {
	// udr-overview#default: one VnetLocal per range, 0.0.0.0/0 → Internet, reserved ranges → None.
	tb := mustCompile(t, spoke())
	assert.Equal(t, []string{
		"Default Active 10.1.0.0/16 VnetLocal",
		"Default Active 0.0.0.0/0 Internet",
		"Default Active 10.0.0.0/8 None",
		"Default Active 172.16.0.0/12 None",
		"Default Active 192.168.0.0/16 None",
		"Default Active 100.64.0.0/10 None",
	}, rows(tb))
	assert.Equal(t, "10.1.0.0/16 -> VnetLocal", lookup(t, tb, "10.1.2.3"))
	assert.Equal(t, "10.0.0.0/8 -> None", lookup(t, tb, "10.2.0.1"))
	assert.Equal(t, "100.64.0.0/10 -> None", lookup(t, tb, "100.100.1.1"))
	assert.Equal(t, "0.0.0.0/0 -> Internet", lookup(t, tb, "52.1.2.3"))
	assert.Equal(t, "0.0.0.0/0 -> Internet", lookup(t, tb, "::ffff:52.1.2.3"), "IPv4-mapped IPv6 is looked up as IPv4")
	_, ok := tb.Lookup(ip("2001:db8::1"))
	assert.False(t, ok, "an IPv4-only network has no IPv6 route")
}

func TestReservedRangesAndAddressSpace(t *testing.T) {
	// udr-overview#default: "If the address space is the same as a reserved prefix, the None route
	// becomes VnetLocal; if it contains one, the None route is removed; if it is inside one, both exist."
	tests := []struct {
		name  string
		space string
		want  []string
	}{
		{"equal", "10.0.0.0/8", []string{"Default Active 10.0.0.0/8 VnetLocal", "Default Active 0.0.0.0/0 Internet",
			"Default Active 172.16.0.0/12 None", "Default Active 192.168.0.0/16 None", "Default Active 100.64.0.0/10 None"}},
		{"containing", "172.0.0.0/11", []string{"Default Active 172.0.0.0/11 VnetLocal", "Default Active 0.0.0.0/0 Internet",
			"Default Active 10.0.0.0/8 None", "Default Active 192.168.0.0/16 None", "Default Active 100.64.0.0/10 None"}},
		{"contained", "192.168.4.0/22", []string{"Default Active 192.168.4.0/22 VnetLocal", "Default Active 0.0.0.0/0 Internet",
			"Default Active 10.0.0.0/8 None", "Default Active 172.16.0.0/12 None", "Default Active 192.168.0.0/16 None",
			"Default Active 100.64.0.0/10 None"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := mustCompile(t, route.Config{Name: "s", AddressSpace: []netip.Prefix{pfx(tt.space)}})
			assert.Equal(t, tt.want, rows(tb))
		})
	}
	t.Run("observed profile", func(t *testing.T) {
		// Observed in real show-effective-route-table output (spec §1.2): 25.33.80.0/20, 25.41.3.0/25, 127.0.0.0/8.
		tb := mustCompile(t, route.Config{Name: "s", AddressSpace: []netip.Prefix{pfx("10.1.0.0/16")}, Reserved: route.ObservedReserved()})
		assert.Equal(t, "25.33.80.0/20 -> None", lookup(t, tb, "25.33.80.9"))
		assert.Equal(t, "127.0.0.0/8 -> None", lookup(t, tb, "127.0.0.1"))
	})
	t.Run("none reserved", func(t *testing.T) {
		tb := mustCompile(t, route.Config{Name: "s", AddressSpace: []netip.Prefix{pfx("10.1.0.0/16")}, Reserved: []netip.Prefix{}})
		assert.Equal(t, "0.0.0.0/0 -> Internet", lookup(t, tb, "10.2.0.1"))
	})
}

func TestPeeringRoutes(t *testing.T) {
	// udr-overview#optional-default-routes: each peer range, VNetPeering / VNetGlobalPeering.
	cfg := spoke()
	cfg.Peerings = []route.Peering{
		{Name: "hub", AddressSpace: []netip.Prefix{pfx("10.0.0.0/16"), pfx("10.100.0.0/24")}},
		{Name: "dr", AddressSpace: []netip.Prefix{pfx("10.200.0.0/16")}, Global: true},
	}
	tb := mustCompile(t, cfg)
	assert.Contains(t, rows(tb), "Default Active 10.0.0.0/16 VNetPeering")
	assert.Contains(t, rows(tb), "Default Active 10.100.0.0/24 VNetPeering")
	assert.Contains(t, rows(tb), "Default Active 10.200.0.0/16 VNetGlobalPeering")
	assert.Equal(t, "10.0.0.0/16 -> VNetPeering", lookup(t, tb, "10.0.1.4"))
	assert.Equal(t, "10.200.0.0/16 -> VNetGlobalPeering", lookup(t, tb, "10.200.9.9"))
	assert.Equal(t, "10.0.0.0/8 -> None", lookup(t, tb, "10.50.0.1"), "not transitive: other 10.x ranges are dropped")
}

func TestGatewayRoutes(t *testing.T) {
	// udr-overview#border-gateway-protocol: gateway routes have source VirtualNetworkGateway and
	// win over Default routes for the same prefix.
	cfg := spoke()
	cfg.GatewayRoutes = []route.GatewayRoute{
		{Gateway: "vpngw", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.0.255.4")}},
		{Gateway: "ergw", Prefix: pfx("0.0.0.0/0"), NextHops: []netip.Addr{ip("10.0.255.5")}},
		{Gateway: "ergw", Prefix: pfx("10.0.0.0/8"), NextHops: []netip.Addr{ip("10.0.255.5")}},
	}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "172.30.0.0/16 -> VirtualNetworkGateway 10.0.255.4", lookup(t, tb, "172.30.1.1"))
	assert.Equal(t, "0.0.0.0/0 -> VirtualNetworkGateway 10.0.255.5", lookup(t, tb, "8.8.8.8"), "forced tunnelling by BGP 0/0")
	assert.Equal(t, "10.0.0.0/8 -> VirtualNetworkGateway 10.0.255.5", lookup(t, tb, "10.9.9.9"))
	assert.Contains(t, rows(tb), "Default Invalid 0.0.0.0/0 Internet")
	assert.Contains(t, rows(tb), "Default Invalid 10.0.0.0/8 None")
	assert.Contains(t, rows(tb), "VirtualNetworkGateway Active 0.0.0.0/0 VirtualNetworkGateway 10.0.255.5")
	inet := findRoute(t, tb, route.SourceDefault, "0.0.0.0/0")
	assert.Equal(t, route.ReasonOutranked, inet.Reason())
	by, ok := inet.SupersededBy()
	require.True(t, ok)
	assert.Equal(t, route.SourceGateway, by.Source())
}

// A gateway route without next-hop addresses (an ExpressRoute gateway's
// routes lead to Microsoft's edge routers, whose addresses an export does not
// carry; VPN gateway FAQ) is listed with no address and still routes to the
// gateway.
func TestGatewayRouteWithoutAddress(t *testing.T) {
	cfg := spoke()
	cfg.GatewayRoutes = []route.GatewayRoute{{Gateway: "ergw", Prefix: pfx("172.16.0.0/12")}}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "172.16.0.0/12 -> VirtualNetworkGateway", lookup(t, tb, "172.16.1.1"))
	m, _ := tb.Lookup(ip("172.16.1.1"))
	assert.Equal(t, 0, m.NumNextHops())
	assert.Contains(t, rows(tb), "VirtualNetworkGateway Active 172.16.0.0/12 VirtualNetworkGateway")
	b, err := json.Marshal(tb)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"addressPrefix":["172.16.0.0/12"],"nextHopType":"VirtualNetworkGateway","nextHopIpAddress":[]`)
}

func findRoute(t *testing.T, tb *route.Table, src route.Source, prefix string) route.Route {
	t.Helper()
	for _, r := range tb.Routes() {
		if r.Source() == src && r.Prefix() == pfx(prefix) {
			return r
		}
	}
	t.Fatalf("no %v route for %s in %q", src, prefix, rows(tb))
	return route.Route{}
}

func TestSystemRoutesBeatMoreSpecificBGP(t *testing.T) {
	// udr-overview#how-azure-selects-a-route: "system routes for traffic related to virtual network,
	// virtual network peerings, or virtual network service endpoints, are preferred routes, even if
	// BGP routes are more specific."
	cfg := spoke()
	cfg.Peerings = []route.Peering{{Name: "hub", AddressSpace: []netip.Prefix{pfx("10.0.0.0/16")}}}
	cfg.ServiceEndpoints = []route.ServiceEndpoint{{Service: "Microsoft.Storage", Tag: "Storage.EastUS"}}
	cfg.Tags = tags{"Storage.EastUS": {"eastus", []string{"20.38.0.0/16"}}}
	cfg.GatewayRoutes = []route.GatewayRoute{
		{Gateway: "gw", Prefix: pfx("10.1.5.0/24"), NextHops: []netip.Addr{ip("10.0.255.4")}},   // inside the VNet
		{Gateway: "gw", Prefix: pfx("10.1.0.0/16"), NextHops: []netip.Addr{ip("10.0.255.4")}},   // equal to the VNet
		{Gateway: "gw", Prefix: pfx("10.0.7.0/24"), NextHops: []netip.Addr{ip("10.0.255.4")}},   // inside the peering
		{Gateway: "gw", Prefix: pfx("20.38.12.0/24"), NextHops: []netip.Addr{ip("10.0.255.4")}}, // inside the service endpoint
		{Gateway: "gw", Prefix: pfx("10.0.0.0/8"), NextHops: []netip.Addr{ip("10.0.255.4")}},    // containing: fine
	}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "10.1.0.0/16 -> VnetLocal", lookup(t, tb, "10.1.5.9"))
	assert.Equal(t, "10.0.0.0/16 -> VNetPeering", lookup(t, tb, "10.0.7.1"))
	assert.Equal(t, "20.38.0.0/16 -> VirtualNetworkServiceEndpoint", lookup(t, tb, "20.38.12.1"))
	assert.Equal(t, "10.0.0.0/8 -> VirtualNetworkGateway 10.0.255.4", lookup(t, tb, "10.77.0.1"))
	for _, p := range []string{"10.1.5.0/24", "10.1.0.0/16", "10.0.7.0/24", "20.38.12.0/24"} {
		r := findRoute(t, tb, route.SourceGateway, p)
		assert.Equal(t, route.Invalid, r.State(), p)
		assert.Equal(t, route.ReasonSystemPreferred, r.Reason(), p)
	}
}

func TestUserRoutesOverrideSystemRoutes(t *testing.T) {
	// udr-overview#how-azure-selects-a-route: User > BGP > system for the same prefix; the article's
	// routing example overrides the VNet route with a UDR to an NVA.
	tb := mustCompile(t, spoke(
		udr("vnet-via-nva", "10.1.0.0/16", "VirtualAppliance", "10.0.2.4"),
		udr("default-via-fw", "0.0.0.0/0", "VirtualAppliance", "10.0.1.4"),
		udr("blackhole", "10.1.9.0/24", "None"),
		udr("local-carveout", "10.1.9.128/25", "VnetLocal"),
	))
	assert.Equal(t, "10.1.0.0/16 -> VirtualAppliance 10.0.2.4", lookup(t, tb, "10.1.2.3"))
	assert.Equal(t, "0.0.0.0/0 -> VirtualAppliance 10.0.1.4", lookup(t, tb, "8.8.8.8"))
	assert.Equal(t, "10.1.9.0/24 -> None", lookup(t, tb, "10.1.9.1"))
	assert.Equal(t, "10.1.9.128/25 -> VnetLocal", lookup(t, tb, "10.1.9.200"))
	assert.Contains(t, rows(tb), "Default Invalid 10.1.0.0/16 VnetLocal")
	assert.Contains(t, rows(tb), "Default Invalid 0.0.0.0/0 Internet")
	assert.Contains(t, rows(tb), "User Active 0.0.0.0/0 VirtualAppliance 10.0.1.4 (default-via-fw)")
}

func TestUserBeatsGatewayForSamePrefix(t *testing.T) {
	// udr-overview: "If multiple routes contain the same address prefix, Azure selects User > BGP > System."
	cfg := spoke(udr("to-fw", "0.0.0.0/0", "VirtualAppliance", "10.0.1.4"))
	cfg.GatewayRoutes = []route.GatewayRoute{{Gateway: "gw", Prefix: pfx("0.0.0.0/0"), NextHops: []netip.Addr{ip("10.0.255.4")}}}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "0.0.0.0/0 -> VirtualAppliance 10.0.1.4", lookup(t, tb, "1.1.1.1"))
	assert.Equal(t, route.Invalid, findRoute(t, tb, route.SourceGateway, "0.0.0.0/0").State())
}

func TestServiceEndpointRoutes(t *testing.T) {
	// udr-overview (2024+ revision): routes with next hop VirtualNetworkServiceEndpoint can't be
	// overridden, even with a route table. Choice (spec §7.3): a longer UDR still wins by LPM.
	cfg := spoke(
		udr("storage-same", "20.38.0.0/16", "VirtualAppliance", "10.0.1.4"),
		udr("storage-longer", "20.38.5.0/24", "VirtualAppliance", "10.0.1.4"),
		udr("to-fw", "0.0.0.0/0", "VirtualAppliance", "10.0.1.4"),
	)
	cfg.ServiceEndpoints = []route.ServiceEndpoint{{Service: "Microsoft.Storage", Tag: "Storage.EastUS"}}
	cfg.Tags = tags{"Storage.EastUS": {"eastus", []string{"20.38.0.0/16", "20.60.0.0/16", "2603:1030::/48"}}}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "20.38.0.0/16 -> VirtualNetworkServiceEndpoint", lookup(t, tb, "20.38.1.1"))
	assert.Equal(t, "20.60.0.0/16 -> VirtualNetworkServiceEndpoint", lookup(t, tb, "20.60.1.1"), "beats the 0/0 UDR by LPM")
	assert.Equal(t, "20.38.5.0/24 -> VirtualAppliance 10.0.1.4", lookup(t, tb, "20.38.5.1"))
	r := findRoute(t, tb, route.SourceUser, "20.38.0.0/16")
	assert.Equal(t, route.Invalid, r.State())
	assert.Equal(t, route.ReasonOutranked, r.Reason())
	// Choice: IPv6 prefixes of the tag are not routed by the endpoint.
	for _, r := range tb.Routes() {
		assert.False(t, r.NextHopType() == route.VirtualNetworkServiceEndpoint && r.Prefix().Addr().Is6(), "IPv6 service-endpoint route %v", r)
	}
	// One record holds all the endpoint's prefixes.
	var rec *route.EffectiveRoute
	for _, r := range tb.Records() {
		if r.NextHopType == route.VirtualNetworkServiceEndpoint {
			rec = &r
		}
	}
	require.NotNil(t, rec)
	assert.Equal(t, []netip.Prefix{pfx("20.38.0.0/16"), pfx("20.60.0.0/16")}, rec.AddressPrefix)
}

func TestDisableBgpRoutePropagation(t *testing.T) {
	// udr-overview#border-gateway-protocol: disabling propagation removes gateway-sourced routes,
	// not user routes whose next hop is the gateway.
	cfg := spoke(udr("onprem", "172.16.0.0/12", "VirtualNetworkGateway"))
	cfg.RouteTable.DisableBGPRoutePropagation = true
	cfg.GatewayRoutes = []route.GatewayRoute{{Gateway: "gw", Prefix: pfx("192.168.10.0/24"), NextHops: []netip.Addr{ip("10.0.255.4")}}}
	tb := mustCompile(t, cfg)
	for _, r := range tb.Routes() {
		assert.NotEqual(t, route.SourceGateway, r.Source(), "gateway route %v survived", r)
	}
	assert.Equal(t, "192.168.0.0/16 -> None", lookup(t, tb, "192.168.10.1"))
	assert.Equal(t, "172.16.0.0/12 -> VirtualNetworkGateway", lookup(t, tb, "172.20.0.1"))
	for _, rec := range tb.Records() {
		assert.True(t, rec.DisableBgpRoutePropagation)
	}
}

func TestServiceTagRouteTieBreak(t *testing.T) {
	// udr-overview#service-tags-for-user-defined-routes: for the same prefix, an explicit prefix beats a
	// tag; then regional tag > top-level tag > AzureCloud.<region> > AzureCloud.
	shared := "20.38.0.0/24"
	cfg := spoke(
		udr("cloud", "AzureCloud", "VirtualAppliance", "10.0.1.1"),
		udr("cloud-region", "AzureCloud.eastus", "VirtualAppliance", "10.0.1.2"),
		udr("storage", "Storage", "VirtualAppliance", "10.0.1.3"),
		udr("storage-region", "Storage.EastUS", "VirtualAppliance", "10.0.1.4"),
		udr("explicit", "20.38.9.0/24", "VirtualAppliance", "10.0.1.5"),
	)
	cfg.Tags = tags{
		"AzureCloud":        {"", []string{shared, "20.38.1.0/24", "20.38.2.0/24", "20.38.3.0/24", "20.38.9.0/24", "2603:1000::/40"}},
		"AzureCloud.eastus": {"eastus", []string{shared, "20.38.1.0/24", "20.38.2.0/24", "20.38.9.0/24"}},
		"Storage":           {"", []string{shared, "20.38.1.0/24", "20.38.9.0/24"}},
		"Storage.EastUS":    {"eastus", []string{shared, "20.38.9.0/24"}},
	}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "20.38.9.0/24 -> VirtualAppliance 10.0.1.5", lookup(t, tb, "20.38.9.1"), "explicit prefix")
	assert.Equal(t, "20.38.0.0/24 -> VirtualAppliance 10.0.1.4", lookup(t, tb, "20.38.0.1"), "regional tag")
	assert.Equal(t, "20.38.1.0/24 -> VirtualAppliance 10.0.1.3", lookup(t, tb, "20.38.1.1"), "top-level tag")
	assert.Equal(t, "20.38.2.0/24 -> VirtualAppliance 10.0.1.2", lookup(t, tb, "20.38.2.1"), "AzureCloud.<region>")
	assert.Equal(t, "20.38.3.0/24 -> VirtualAppliance 10.0.1.1", lookup(t, tb, "20.38.3.1"), "AzureCloud")
	m, _ := tb.Lookup(ip("20.38.0.1"))
	assert.Equal(t, "Storage.EastUS", m.Route(0).ServiceTag())
	assert.Equal(t, "storage-region", m.Route(0).Name())
	// An IPv4 appliance next hop routes only the tag's IPv4 prefixes.
	_, ok := tb.Lookup(ip("2603:1000::1"))
	assert.False(t, ok)
	// The tag route is one record per state, naming the tag.
	var found bool
	for _, rec := range tb.Records() {
		if rec.Name != nil && *rec.Name == "cloud" && rec.State == route.Active {
			found = true
			assert.Equal(t, []string{"AzureCloud"}, rec.DestinationServiceTags)
			assert.Equal(t, []netip.Prefix{pfx("20.38.3.0/24")}, rec.AddressPrefix)
		}
	}
	assert.True(t, found)
}

func TestPrivateEndpointRoutes(t *testing.T) {
	// disable-private-endpoint-network-policy: the /32 wins by LPM unless network policies for route
	// tables are enabled on the endpoint's subnet and a UDR is no larger than the VNet address space;
	// "a user-defined route default route (0.0.0.0/0) doesn't override private endpoint routes".
	pe := route.PrivateEndpoint{Name: "pe-sql", Addr: ip("10.1.3.4"), AddressSpace: pfx("10.1.0.0/16")}
	tests := []struct {
		name    string
		enabled bool
		udr     string
		want    string
	}{
		{"policies off, /16 UDR", false, "10.1.0.0/16", "10.1.3.4/32 -> InterfaceEndpoint"},
		{"policies on, /16 UDR equal to space", true, "10.1.0.0/16", "10.1.0.0/16 -> VirtualAppliance 10.0.1.4"},
		{"policies on, /24 UDR", true, "10.1.3.0/24", "10.1.3.0/24 -> VirtualAppliance 10.0.1.4"},
		{"policies on, /8 UDR larger than space", true, "10.0.0.0/8", "10.1.3.4/32 -> InterfaceEndpoint"},
		{"policies on, 0/0 UDR", true, "0.0.0.0/0", "10.1.3.4/32 -> InterfaceEndpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := spoke(udr("to-fw", tt.udr, "VirtualAppliance", "10.0.1.4"))
			p := pe
			p.RouteTableEnabled = tt.enabled
			cfg.PrivateEndpoints = []route.PrivateEndpoint{p}
			tb := mustCompile(t, cfg)
			assert.Equal(t, tt.want, lookup(t, tb, "10.1.3.4"))
			r := findRoute(t, tb, route.SourceDefault, "10.1.3.4/32")
			if strings.Contains(tt.want, "InterfaceEndpoint") {
				assert.Equal(t, route.Active, r.State())
			} else {
				assert.Equal(t, route.Invalid, r.State())
				assert.Equal(t, route.ReasonPrivateEndpointOverride, r.Reason())
			}
		})
	}
}

func TestGatewayECMP(t *testing.T) {
	// Route Server FAQ / ipspace.net observation (spec §1.5.6): equal AS-path length → several Active
	// routes used together; a shorter AS path wins outright.
	cfg := spoke()
	cfg.GatewayRoutes = []route.GatewayRoute{
		{Gateway: "rs", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.0.9.5")}, ASPathLength: 1, Origin: route.OriginRouteServer},
		{Gateway: "rs", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.0.9.4")}, ASPathLength: 1, Origin: route.OriginRouteServer},
		{Gateway: "rs", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.0.9.6")}, ASPathLength: 2, Origin: route.OriginRouteServer},
		{Gateway: "rs", Prefix: pfx("172.31.0.0/16"), NextHops: []netip.Addr{ip("10.0.9.4")}, ASPathLength: 3},
		{Gateway: "rs", Prefix: pfx("172.31.0.0/16"), NextHops: []netip.Addr{ip("10.0.9.6")}, ASPathLength: 2},
	}
	tb := mustCompile(t, cfg)
	m, ok := tb.Lookup(ip("172.30.1.1"))
	require.True(t, ok)
	assert.Equal(t, 2, m.NumRoutes())
	assert.Equal(t, []netip.Addr{ip("10.0.9.5"), ip("10.0.9.4")}, m.AppendNextHops(nil))
	assert.Equal(t, "172.31.0.0/16 -> VirtualNetworkGateway 10.0.9.6", lookup(t, tb, "172.31.0.1"))
	var invalid []string
	for _, r := range tb.Routes() {
		if r.Source() == route.SourceGateway && r.State() == route.Invalid {
			assert.Equal(t, route.ReasonLongerASPath, r.Reason())
			invalid = append(invalid, r.String())
		}
	}
	assert.Equal(t, []string{
		"VirtualNetworkGateway Invalid 172.30.0.0/16 VirtualNetworkGateway 10.0.9.6",
		"VirtualNetworkGateway Invalid 172.31.0.0/16 VirtualNetworkGateway 10.0.9.4",
	}, invalid)
}

func TestVirtualApplianceEcmp(t *testing.T) {
	// Routes - Create Or Update, api-version 2026-01-01: nextHop.nextHopIpAddresses, 2..64 addresses.
	tb := mustCompile(t, spoke(udr("to-nvas", "0.0.0.0/0", "VirtualApplianceEcmp", "10.0.1.4", "10.0.1.5", "10.0.1.6")))
	m, _ := tb.Lookup(ip("9.9.9.9"))
	assert.Equal(t, route.VirtualApplianceEcmp, m.NextHopType())
	assert.Equal(t, 3, m.NumNextHops())
	assert.Equal(t, 1, m.NumRoutes())
	assert.Equal(t, ip("10.0.1.6"), m.NextHop(2))
}

func TestHasBgpOverride(t *testing.T) {
	// Route resource, properties.hasBgpOverride: "overrides overlapping BGP routes regardless of LPM".
	r := udr("to-fw", "10.0.0.0/8", "VirtualAppliance", "10.1.0.4")
	r.HasBgpOverride = true
	cfg := spoke(r)
	cfg.GatewayRoutes = []route.GatewayRoute{{Gateway: "gw", Prefix: pfx("10.50.0.0/16"), NextHops: []netip.Addr{ip("10.0.255.4")}}}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "10.0.0.0/8 -> VirtualAppliance 10.1.0.4", lookup(t, tb, "10.50.1.1"))
	assert.Equal(t, route.ReasonBgpOverride, findRoute(t, tb, route.SourceGateway, "10.50.0.0/16").Reason())
	// Without the flag, LPM prefers the more specific BGP route.
	cfg.RouteTable.Routes[0].HasBgpOverride = false
	tb = mustCompile(t, cfg)
	assert.Equal(t, "10.50.0.0/16 -> VirtualNetworkGateway 10.0.255.4", lookup(t, tb, "10.50.1.1"))
}

func TestIPv6(t *testing.T) {
	// ipv6-overview: dual-stack VNets, IPv6 UDRs. Choice (spec §7.1): a dual-stack network gets ::/0 → Internet.
	cfg := route.Config{Name: "dual", AddressSpace: []netip.Prefix{pfx("10.1.0.0/16"), pfx("fd00:1::/48")},
		RouteTable: &route.RouteTable{Name: "rt", Routes: []route.UserRoute{
			udr("v6-to-nva", "::/0", "VirtualAppliance", "fd00:1::4"),
			udr("v6-drop", "2001:db8::/32", "None"),
		}}}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "fd00:1::/48 -> VnetLocal", lookup(t, tb, "fd00:1::99"))
	assert.Equal(t, "::/0 -> VirtualAppliance fd00:1::4", lookup(t, tb, "2606:4700::1"))
	assert.Equal(t, "2001:db8::/32 -> None", lookup(t, tb, "2001:db8::1"))
	assert.Contains(t, rows(tb), "Default Invalid ::/0 Internet")
}

func TestCompileErrors(t *testing.T) {
	long := strings.Repeat("a", 81)
	cfg := route.Config{
		Name:         "vnet/app",
		AddressSpace: []netip.Prefix{pfx("10.1.0.0/16")},
		Peerings:     []route.Peering{{Name: "bad-peer", AddressSpace: []netip.Prefix{pfx("10.1.128.0/17")}}},
		RouteTable: &route.RouteTable{Name: "rt-app", Routes: []route.UserRoute{
			udr("bad-prefix", "10.0.0.0/33", "None"),
			udr("host-bits", "10.1.2.3/16", "None"),
			udr("no-ip", "0.0.0.0/0", "VirtualAppliance"),
			udr("ip-not-allowed", "1.0.0.0/8", "Internet", "10.0.0.4"),
			udr("bad-type", "2.0.0.0/8", "Appliance"),
			udr("system-type", "3.0.0.0/8", "VNetPeering"),
			udr("bad-ip", "4.0.0.0/8", "VirtualAppliance", "10.0.0.300"),
			udr("family", "5.0.0.0/8", "VirtualAppliance", "fd00::4"),
			udr("unknown-tag", "NoSuchTag", "Internet"),
			udr("dup", "6.0.0.0/8", "None"),
			udr("DUP", "7.0.0.0/8", "None"),
			udr("same-prefix", "6.0.0.0/8", "Internet"),
			udr("ecmp-one", "8.0.0.0/8", "VirtualApplianceEcmp", "10.0.0.4"),
			udr(long, "9.0.0.0/8", "None"),
			udr("-dash", "11.0.0.0/8", "None"),
		}},
	}
	_, err := route.Compile(cfg)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`subnet "vnet/app": peering "bad-peer": addressSpace "10.1.128.0/17": invalid value: overlaps the local address space 10.1.0.0/16`,
		`route table "rt-app": route "bad-prefix" (#0): addressPrefix "10.0.0.0/33": invalid value: not a CIDR prefix`,
		`route table "rt-app": route "host-bits" (#1): addressPrefix "10.1.2.3/16": host bits set: did you mean 10.1.0.0/16?`,
		`route table "rt-app": route "no-ip" (#2): nextHopIpAddress: missing: a VirtualAppliance route needs the appliance's IP address`,
		`route table "rt-app": route "ip-not-allowed" (#3): nextHopIpAddress "10.0.0.4": not allowed`,
		`route table "rt-app": route "bad-type" (#4): nextHopType "Appliance": unknown next hop type`,
		`route table "rt-app": route "system-type" (#5): nextHopType "VNetPeering": not allowed`,
		`route table "rt-app": route "bad-ip" (#6): nextHopIpAddress "10.0.0.300": invalid value: not an IP address`,
		`route table "rt-app": route "family" (#7): nextHopIpAddress "fd00::4": IPv4/IPv6 mismatch`,
		`route table "rt-app": route "unknown-tag" (#8): addressPrefix "NoSuchTag": unknown service tag: no service-tag resolver configured`,
		`route table "rt-app": route "DUP" (#10): name "DUP": duplicate`,
		`route table "rt-app": route "same-prefix" (#11): addressPrefix "6.0.0.0/8": duplicate: also the prefix of route "dup"`,
		`route table "rt-app": route "ecmp-one" (#12): nextHopIpAddresses: over Azure's limit: 1 addresses, want 2..64`,
		`route table "rt-app": route "` + long + `" (#13): name`,
		`route table "rt-app": route "-dash" (#14): name "-dash": invalid value: must start with a letter or digit`,
	} {
		assert.Contains(t, msg, want)
	}
	assert.Equal(t, 15, len(strings.Split(msg, "\n")), "every problem reported once:\n%s", msg)
	assert.ErrorIs(t, err, route.ErrHostBits)
	assert.ErrorIs(t, err, route.ErrUnknownTag)
	var e *route.Error
	require.ErrorAs(t, err, &e)
	assert.NotEmpty(t, e.Resource)
}

// TestErrorIndex: a problem with a user route carries the route's index in
// RouteTable.Routes (duplicates and case-insensitive duplicates each at their
// own index), so that callers find its position in O(1); other problems
// carry -1.
func TestErrorIndex(t *testing.T) {
	cfg := spoke(udr("ok", "1.0.0.0/8", "None"), udr("a", "10.0.0.0/33", "None"), udr("dup", "2.0.0.0/8", "None"),
		udr("dup", "3.0.0.0/8", "None"), udr("DUP", "4.0.0.0/8", "None"))
	cfg.Peerings = []route.Peering{{Name: "bad-peer", AddressSpace: []netip.Prefix{pfx("10.1.0.0/24")}}}
	_, err := route.Compile(cfg)
	require.Error(t, err)
	got := map[string]int{}
	for _, re := range problem.All(err) {
		it := re.Items[len(re.Items)-1]
		got[it.Kind+" "+strconv.Quote(it.Name)+" "+re.Field] = re.Index("routes")
	}
	assert.Equal(t, map[string]int{`route "a" addressPrefix`: 1, `route "dup" name`: 3, `route "DUP" name`: 4, `peering "bad-peer" addressSpace`: -1}, got)
}

func TestCompileLimits(t *testing.T) {
	// Azure limits: 400 routes per route table, 25 service-tag routes per table
	// (azure-subscription-service-limits; udr-overview#service-tags-for-user-defined-routes).
	var routes []route.UserRoute
	for i := range 401 {
		routes = append(routes, udr(fmt.Sprintf("r%d", i), fmt.Sprintf("20.%d.%d.0/24", i/256, i%256), "None"))
	}
	_, err := route.Compile(spoke(routes...))
	require.ErrorIs(t, err, route.ErrLimit)
	assert.Contains(t, err.Error(), "401 routes, at most 400 per route table")
	cfg := spoke(routes...)
	cfg.MaxRoutes = 1000
	_, err = route.Compile(cfg)
	assert.NoError(t, err, "MaxRoutes raises the limit")

	routes = nil
	tg := tags{}
	for i := range 26 {
		name := fmt.Sprintf("Tag%d", i)
		tg[name] = struct {
			region   string
			prefixes []string
		}{"", []string{fmt.Sprintf("30.%d.0.0/16", i)}}
		routes = append(routes, udr(fmt.Sprintf("t%d", i), name, "Internet"))
	}
	cfg = spoke(routes...)
	cfg.Tags = tg
	_, err = route.Compile(cfg)
	require.ErrorIs(t, err, route.ErrLimit)
	assert.Contains(t, err.Error(), "26 service-tag routes, at most 25")

	_, err = route.Compile(route.Config{Name: "empty"})
	require.ErrorIs(t, err, route.ErrMissing)
	var hops []string
	for i := range 65 {
		hops = append(hops, fmt.Sprintf("10.0.1.%d", i+1))
	}
	_, err = route.Compile(spoke(udr("many", "0.0.0.0/0", "VirtualApplianceEcmp", hops...)))
	assert.ErrorContains(t, err, "65 addresses, want 2..64")
}

func TestSystemInputErrors(t *testing.T) {
	cfg := spoke()
	cfg.AddressSpace = append(cfg.AddressSpace, pfx("10.1.0.0/16"), netip.PrefixFrom(ip("10.2.0.1"), 16))
	cfg.GatewayRoutes = []route.GatewayRoute{
		{Gateway: "gw", Prefix: netip.PrefixFrom(ip("172.16.0.1"), 12), NextHops: []netip.Addr{ip("10.0.0.1")}},
	}
	cfg.PrivateEndpoints = []route.PrivateEndpoint{
		{Name: "pe1", Addr: ip("10.1.0.5")}, {Name: "pe2", Addr: ip("10.1.0.5")},
		{Name: "pe3", Addr: ip("10.1.0.6"), RouteTableEnabled: true, AddressSpace: pfx("10.9.0.0/16")},
	}
	cfg.ServiceEndpoints = []route.ServiceEndpoint{{Service: "Microsoft.Sql", Tag: "Sql.EastUS"}}
	cfg.Tags = tags{}
	_, err := route.Compile(cfg)
	require.Error(t, err)
	for _, want := range []string{
		`subnet "spoke/app": addressSpace: addressPrefixes "10.1.0.0/16": duplicate`,
		`subnet "spoke/app": addressSpace: addressPrefixes "10.2.0.1/16": host bits set`,
		`gateway "gw": route "172.16.0.1/12": network "172.16.0.1/12": host bits set`,
		`private endpoint "pe2": privateIPAddress "10.1.0.5": duplicate: also the address of private endpoint "pe1"`,
		`private endpoint "pe3": addressSpace "10.9.0.0/16": invalid value: does not contain the endpoint's address 10.1.0.6`,
		`service endpoint "Microsoft.Sql": service "Sql.EastUS": unknown service tag`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestEnumsText(t *testing.T) {
	for typ := route.VnetLocal; typ <= route.ConnectedGroup; typ++ {
		b, err := typ.MarshalText()
		require.NoError(t, err)
		var back route.NextHopType
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, typ, back)
	}
	for alias, want := range map[string]route.NextHopType{"Virtual network": route.VnetLocal, "VPNGateway": route.VirtualNetworkGateway, "Null": route.None, "vnetlocal": route.VnetLocal} {
		got, err := route.ParseNextHopType(alias)
		require.NoError(t, err)
		assert.Equal(t, want, got, alias)
	}
	_, err := route.NextHopInvalid.MarshalText()
	assert.Error(t, err)
	for _, s := range []route.Source{route.SourceUnknown, route.SourceDefault, route.SourceUser, route.SourceGateway} {
		b, _ := s.MarshalText()
		var back route.Source
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, s, back)
	}
	var st route.State
	require.NoError(t, st.UnmarshalText([]byte("Invalid")))
	assert.Equal(t, route.Invalid, st)
	assert.Error(t, st.UnmarshalText([]byte("Sleeping")))
}

func TestMarshalJSONShape(t *testing.T) {
	// The exact shape of `az network nic show-effective-route-table -o json` (spec §6.1).
	cfg := route.Config{Name: "s", AddressSpace: []netip.Prefix{pfx("10.20.0.0/16")}, Reserved: []netip.Prefix{},
		RouteTable: &route.RouteTable{Name: "rt", Routes: []route.UserRoute{udr("to-fw", "0.0.0.0/0", "VirtualAppliance", "10.20.9.4")}},
		GatewayRoutes: []route.GatewayRoute{
			{Gateway: "rs", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.20.255.4")}},
			{Gateway: "rs", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.20.255.5")}},
		}}
	tb := mustCompile(t, cfg)
	got, err := json.MarshalIndent(tb, "", "  ")
	require.NoError(t, err)
	want := `{
  "nextLink": null,
  "value": [
    {"name": null, "source": "Default", "state": "Active", "addressPrefix": ["10.20.0.0/16"],
     "nextHopType": "VnetLocal", "nextHopIpAddress": [], "disableBgpRoutePropagation": false,
     "hasBgpOverride": false, "destinationServiceTags": [], "tagMap": {}},
    {"name": null, "source": "Default", "state": "Invalid", "addressPrefix": ["0.0.0.0/0"],
     "nextHopType": "Internet", "nextHopIpAddress": [], "disableBgpRoutePropagation": false,
     "hasBgpOverride": false, "destinationServiceTags": [], "tagMap": {}},
    {"name": null, "source": "VirtualNetworkGateway", "state": "Active",
     "addressPrefix": ["172.30.0.0/16"], "nextHopType": "VirtualNetworkGateway",
     "nextHopIpAddress": ["10.20.255.4"], "disableBgpRoutePropagation": false,
     "hasBgpOverride": false, "destinationServiceTags": [], "tagMap": {}},
    {"name": null, "source": "VirtualNetworkGateway", "state": "Active",
     "addressPrefix": ["172.30.0.0/16"], "nextHopType": "VirtualNetworkGateway",
     "nextHopIpAddress": ["10.20.255.5"], "disableBgpRoutePropagation": false,
     "hasBgpOverride": false, "destinationServiceTags": [], "tagMap": {}},
    {"name": "to-fw", "source": "User", "state": "Active", "addressPrefix": ["0.0.0.0/0"],
     "nextHopType": "VirtualAppliance", "nextHopIpAddress": ["10.20.9.4"],
     "disableBgpRoutePropagation": false, "hasBgpOverride": false,
     "destinationServiceTags": [], "tagMap": {}}
  ]
}`
	assert.JSONEq(t, want, string(got))
	// Azure's own output decodes into the same records.
	var list route.EffectiveRouteList
	require.NoError(t, json.Unmarshal([]byte(want), &list))
	assert.Equal(t, tb.Records(), list.Value)
	// Deterministic: same input, same bytes.
	again, _ := json.MarshalIndent(mustCompile(t, cfg), "", "  ")
	assert.Equal(t, string(got), string(again))
}

func TestErrorIsCategory(t *testing.T) {
	_, err := route.Compile(spoke(udr("x", "10.0.0.1/8", "None")))
	var e *route.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, `route table "rt-app"`, e.Resource)
	assert.Equal(t, []problem.Item{{List: "routes", Kind: "route", Name: "x", Index: 0}}, e.Items)
	assert.Equal(t, "addressPrefix", e.Field)
	assert.Equal(t, "10.0.0.1/8", e.Value)
	assert.ErrorIs(t, e, route.ErrHostBits)
}

func TestSelections(t *testing.T) {
	tb := mustCompile(t, spoke(udr("a", "10.0.0.0/8", "None"), udr("b", "10.0.0.0/16", "Internet")))
	seen := map[netip.Prefix]bool{}
	for i := range tb.NumSelections() {
		m := tb.Selection(i)
		assert.Equal(t, i, m.Index())
		seen[m.Prefix()] = true
		got, ok := tb.Lookup(m.Prefix().Addr())
		require.True(t, ok)
		assert.Equal(t, m.Prefix().Bits() <= got.Prefix().Bits(), true, "a selection's first address matches it or a longer one")
	}
	assert.True(t, seen[pfx("10.0.0.0/8")] && seen[pfx("10.0.0.0/16")] && seen[pfx("0.0.0.0/0")])
}
