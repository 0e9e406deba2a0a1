package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/egresstest"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defaultSiteDesign is the documented example of
// https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling: VNet1
// (10.1.0.0/16) with Frontend, Mid-tier and Backend, a route-based VPN
// gateway VNet1GW whose default site is DefaultSiteHQ, four site-to-site
// connections, and a route table on Frontend sending 0.0.0.0/0 to Internet
// ("split tunnelling"). A spoke uses VNet1GW over gateway transit.
const defaultSiteDesign = `egress: v1
location: eastus
vnets:
  - name: VNet1
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: Frontend, prefix: 10.1.0.0/24, routeTable: RouteTable1}
      - {name: Mid-tier, prefix: 10.1.1.0/24}
      - {name: Backend, prefix: 10.1.2.0/24}
      - {name: GatewaySubnet, prefix: 10.1.200.0/27}
    peerings: [{remote: spoke, allowGatewayTransit: true, allowForwardedTraffic: true}]
  - name: spoke
    addressSpace: [10.5.0.0/16]
    subnets: [{name: app, prefix: 10.5.1.0/24}]
    peerings: [{remote: VNet1, useRemoteGateways: true}]
routeTables:
  - name: RouteTable1
    routes: [{name: ToInternet, prefix: 0.0.0.0/0, nextHop: Internet}]
nics:
  - {name: vm-front, subnet: VNet1/Frontend, ip: 10.1.0.4}
  - {name: vm-mid, subnet: VNet1/Mid-tier, ip: 10.1.1.4}
  - {name: vm-back, subnet: VNet1/Backend, ip: 10.1.2.4}
  - {name: vm-spoke, subnet: spoke/app, ip: 10.5.1.4}
publicIps:
  - {name: GatewayIP, ip: 20.55.0.10}
localNetworkGateways:
  - {name: DefaultSiteHQ, gatewayIp: 111.111.111.111, addressPrefixes: [192.168.1.0/24]}
  - {name: Branch1, gatewayIp: 111.111.111.112, addressPrefixes: [192.168.2.0/24]}
  - {name: Branch2, gatewayIp: 111.111.111.113, addressPrefixes: [192.168.3.0/24]}
  - {name: Branch3, gatewayIp: 111.111.111.114, addressPrefixes: [192.168.4.0/24]}
connections:
  - {name: Connection1, gateway: VNet1GW, localGateway: DefaultSiteHQ}
  - {name: Connection2, gateway: VNet1GW, localGateway: Branch1}
  - {name: Connection3, gateway: VNet1GW, localGateway: Branch2}
  - {name: Connection4, gateway: VNet1GW, localGateway: Branch3}
gateways:
  - {name: VNet1GW, vnet: VNet1, type: Vpn, publicIps: [GatewayIP], defaultSite: DefaultSiteHQ}
`

// site-to-site-tunneling: "The Mid-tier and Backend subnets continue to have
// Internet traffic force tunneled back to the on-premises site via the VPN
// gateway because a Default Site is specified"; "The Frontend subnet is
// assigned a UDR to send Internet traffic directly to the Internet".
func TestSiteToSiteTunnelingDefaultSite(t *testing.T) {
	e := engine(t, defaultSiteDesign, simulate.Options{})
	for _, vm := range []string{"vm-mid", "vm-back", "vm-spoke"} {
		r := trace(t, e, vm, "52.1.2.3", 443)
		assert.Equal(t, simulate.Allowed, r.Verdict, "%s\n%s", vm, r)
		assert.Equal(t, simulate.MethodGateway, r.EgressMethod, vm)
		assert.Empty(t, r.EgressIPs, "%s: on-premises decides the public IP", vm)
		rt := r.Hops[0].Route
		require.NotNil(t, rt)
		assert.Equal(t, "0.0.0.0/0", rt.Prefix.String(), vm)
		assert.Equal(t, "VirtualNetworkGateway", rt.NextHopType.String(), vm)
		assert.Equal(t, "20.55.0.10", ipsOf(rt.NextHops), "%s: an active-standby gateway shows its public IP (VPN Gateway FAQ)", vm)
		last := r.Hops[len(r.Hops)-1]
		assert.Equal(t, simulate.HopGateway, last.Kind)
		assert.Equal(t, "VNet1GW", last.Name)
		assert.Contains(t, last.Note, "default site DefaultSiteHQ", vm)
		nh := e.NextHop(mustNIC(t, e, vm), r.Flow.Destination)
		assert.Equal(t, simulate.NextHopResult{NextHopType: "VirtualNetworkGateway", NextHopIPAddress: "20.55.0.10", RouteTableID: "System Route"}, nh, vm)
		egresstest.NoDirectInternet(t, e, e.NICSubnet(mustNIC(t, e, vm)).VNet.Name+"/"+e.NICSubnet(mustNIC(t, e, vm)).Name)
	}
	r := trace(t, e, "vm-front", "52.1.2.3", 443)
	assert.Equal(t, simulate.MethodDefaultOutbound, r.EgressMethod, "split tunnelling: Frontend's UDR beats the gateway's 0.0.0.0/0\n%s", r)
	assert.Equal(t, "User", r.Hops[0].Route.Source.String())
	// Branch traffic still follows the sites' prefixes.
	r = trace(t, e, "vm-front", "192.168.3.9", 445)
	assert.Equal(t, simulate.MethodGateway, r.EgressMethod)
	assert.Equal(t, "192.168.3.0/24", r.Hops[0].Route.Prefix.String())
	assert.NotContains(t, r.Hops[len(r.Hops)-1].Note, "default site")
}

func ipsOf[T interface{ String() string }](as []T) string {
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, " ")
}

// A TCP or UDP flow needs a destination port: port 0 is reserved (IANA) and
// no flow uses it, so Trace refuses it instead of answering for port 0.
func TestTraceNeedsAPort(t *testing.T) {
	e := engine(t, defaultSiteDesign, simulate.Options{})
	for _, p := range []ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.Unknown} {
		_, err := e.Trace(simulate.Flow{From: "vm-mid", To: netip.MustParseAddr("52.1.2.3"), Protocol: p})
		assert.ErrorContains(t, err, "needs a destination port", "%v", p)
	}
	r, err := e.Trace(simulate.Flow{From: "vm-mid", To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.ICMP})
	require.NoError(t, err)
	assert.Equal(t, simulate.MethodGateway, r.EgressMethod)
}
