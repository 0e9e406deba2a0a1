package topology_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// routesOf compiles the effective routes of a subnet ("vnet/subnet") and
// renders them as route.Route.String does.
func routesOf(t *testing.T, m *topology.Model, subnet string) []string {
	t.Helper()
	vnet, name, _ := strings.Cut(subnet, "/")
	for _, v := range m.VNets {
		if v.Name != vnet {
			continue
		}
		for _, s := range v.Subnets {
			if s.Name == name {
				tb, err := route.Compile(m.RouteConfig(s, m.Graph(), nil))
				require.NoError(t, err)
				var out []string
				for _, r := range tb.Routes() {
					out = append(out, r.String())
				}
				return out
			}
		}
	}
	t.Fatalf("no subnet %s", subnet)
	return nil
}

// The documented example of
// https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling, as
// REST GET bodies: VNet1 with Frontend (a route table sending 0.0.0.0/0 to
// Internet), Mid-tier and Backend; VNet1GW (active-standby, no bgpSettings,
// dynamic private IP) with the default site DefaultSiteHQ and four
// connections. The gateway's addresses in effective routes follow the VPN
// Gateway FAQ: an active-standby gateway shows its public IP.
func TestForcedTunnellingDefaultSiteFromARM(t *testing.T) {
	m, err := topology.LoadFiles(defaultTags(t), "testdata/forced-tunnel-default-site.json")
	require.NoError(t, err, "a VPN gateway without bgpSettings or private IP loads")
	require.Len(t, m.Gateways, 1)
	gw := m.Gateways[0]
	assert.True(t, strings.HasSuffix(string(gw.DefaultSite), "/localNetworkGateways/DefaultSiteHQ"), gw.DefaultSite)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.55.0.10")}, m.GatewayNextHops(gw))

	for _, s := range []string{"VNet1/Mid-tier", "VNet1/Backend"} {
		rs := routesOf(t, m, s)
		assert.Contains(t, rs, "VirtualNetworkGateway Active 0.0.0.0/0 VirtualNetworkGateway 20.55.0.10", s)
		assert.Contains(t, rs, "Default Invalid 0.0.0.0/0 Internet", s)
		assert.Contains(t, rs, "VirtualNetworkGateway Active 192.168.1.0/24 VirtualNetworkGateway 20.55.0.10", s)
		assert.Contains(t, rs, "VirtualNetworkGateway Active 192.168.4.0/24 VirtualNetworkGateway 20.55.0.10", s)
	}
	front := routesOf(t, m, "VNet1/Frontend")
	assert.Contains(t, front, `User Active 0.0.0.0/0 Internet (ToInternet)`)
	assert.Contains(t, front, "VirtualNetworkGateway Invalid 0.0.0.0/0 VirtualNetworkGateway 20.55.0.10")
}

func TestGatewayNextHops(t *testing.T) {
	design := func(gateway string) string {
		return `egress: v1
location: eastus
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets:
      - {name: GatewaySubnet, prefix: 10.0.255.0/27}
      - {name: app, prefix: 10.0.1.0/24}
publicIps:
  - {name: pip-gw1, ip: 20.0.0.1}
  - {name: pip-gw2, ip: 20.0.0.2}
  - {name: pip-dynamic}
localNetworkGateways:
  - {name: dc, gatewayIp: 203.0.113.1, addressPrefixes: [192.168.0.0/16]}
connections:
  - {name: c, gateway: gw, localGateway: dc}
gateways:
  - ` + gateway + "\n"
	}
	tests := []struct {
		name, gateway, want string
	}{
		{"active-standby shows its public IP", `{name: gw, vnet: hub, ips: [10.0.255.4], publicIps: [pip-gw1]}`, "20.0.0.1"},
		{"active-active shows its instances' private IPs", `{name: gw, vnet: hub, activeActive: true, ips: [10.0.255.4, 10.0.255.5], publicIps: [pip-gw1, pip-gw2]}`, "10.0.255.4 10.0.255.5"},
		{"unallocated public IP: no address, still the gateway", `{name: gw, vnet: hub, ips: [10.0.255.4], publicIps: [pip-dynamic]}`, ""},
		{"ExpressRoute: Microsoft edge routers, not in the input", `{name: gw, vnet: hub, type: ExpressRoute, ips: [10.0.255.4, 10.0.255.5]}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := topology.LoadNative("d.yaml", []byte(design(tt.gateway)), defaultTags(t))
			require.NoError(t, err)
			want := strings.TrimSpace("VirtualNetworkGateway Active 192.168.0.0/16 VirtualNetworkGateway " + tt.want)
			assert.Contains(t, routesOf(t, m, "hub/app"), want)
		})
	}
}

// list-learned-routes' nextHop is the BGP peer that advertised the route;
// effective routes show the gateway instance that learned it (localAddress)
// on an active-active gateway.
func TestAddLearnedRoutesUsesTheLearningInstance(t *testing.T) {
	m := loadDefault(t)
	err := m.AddLearnedRoutes("vpngw-hub", "learned.json", []byte(`{"value": [
  {"asPath": "65010-65020", "localAddress": "10.0.255.5", "network": "172.31.0.0/16", "nextHop": "10.0.255.30", "origin": "EBgp", "sourcePeer": "10.0.255.30", "weight": 32768}
]}`))
	require.NoError(t, err)
	rs := routesOf(t, m, "vnet-hub/snet-shared")
	assert.True(t, slices.Contains(rs, "VirtualNetworkGateway Active 172.31.0.0/16 VirtualNetworkGateway 10.0.255.5"), "%q", rs)
}

// With two useRemoteGateways peerings (which Validate rejects, but a model
// built by hand may hold), the transit hub is the peer whose ID sorts first,
// every time: map order never decides.
func TestTransitGatewayIsDeterministic(t *testing.T) {
	m, err := topology.ParseNative("d.yaml", []byte(`egress: v1
vnets:
  - name: spoke
    addressSpace: [10.1.0.0/16]
    peerings: [{remote: hub-z, useRemoteGateways: true}, {remote: hub-a, useRemoteGateways: true}]
  - name: hub-z
    addressSpace: [10.2.0.0/16]
    peerings: [{remote: spoke, allowGatewayTransit: true}]
  - name: hub-a
    addressSpace: [10.3.0.0/16]
    peerings: [{remote: spoke, allowGatewayTransit: true}]
`))
	require.NoError(t, err)
	for range 50 {
		hub, ok := m.Graph().TransitGateway(m.VNets[0])
		require.True(t, ok)
		require.Equal(t, "hub-a", hub.Name)
	}
}
