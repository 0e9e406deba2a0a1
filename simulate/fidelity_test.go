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
		egresstest.NoDirectInternet(t, e, mustNIC(t, e, vm).Subnet().VNet().Name()+"/"+mustNIC(t, e, vm).Subnet().Name())
	}
	// The audit sees the forced tunnel: no direct internet and no missing
	// forced tunnel for Mid-tier, Backend and the spoke; Frontend is split.
	rep := e.Audit()
	for _, c := range []simulate.Check{simulate.CheckDirectInternet, simulate.CheckNoForcedTunnel, simulate.CheckDefaultOutbound} {
		assert.Equal(t, []string{"VNet1/Frontend"}, findings(rep, c), "%s", c)
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

// natDesign: a dual-stack VNet; subnet "own" has its own NAT gateway, the
// others take the VNet-level one (StandardV2, sourceVirtualNetwork), and
// "lb" has a load balancer with an IPv6 outbound rule.
func natDesign(ownSKU, vnetNAT string) string {
	return `egress: v1
location: eastus
vnets:
  - name: vnet
    addressSpace: [10.1.0.0/16, "fd00:1::/48"]
    subnets:
      - {name: own, prefixes: [10.1.1.0/24, "fd00:1:0:1::/64"], natGateway: nat-own}
      - {name: inherit, prefixes: [10.1.2.0/24, "fd00:1:0:2::/64"]}
      - {name: GatewaySubnet, prefix: 10.1.255.0/27}
nics:
  - name: vm-own
    ipConfigs: [{name: v4, primary: true, subnet: vnet/own, ip: 10.1.1.4}, {name: v6, subnet: vnet/own, ip: "fd00:1:0:1::4"}]
  - name: vm-inherit
    ipConfigs: [{name: v4, primary: true, subnet: vnet/inherit, ip: 10.1.2.4, backendPools: [lb/pool]}, {name: v6, subnet: vnet/inherit, ip: "fd00:1:0:2::4", backendPools: [lb/pool6]}]
publicIps:
  - {name: pip-own, ip: 20.0.0.1, sku: ` + ownSKU + `}
  - {name: pip-vnet, ip: 20.0.0.2, sku: StandardV2}
  - {name: pip-vnet6, ip: "2603:1030::2", sku: StandardV2}
  - {name: pip-lb6, ip: "2603:1030::9"}
loadBalancers:
  - name: lb
    frontends: [{name: fe6, publicIp: pip-lb6}]
    backendPools: [pool, pool6]
    outboundRules: [{name: out6, frontends: [fe6], backendPool: pool6}]
natGateways:
  - {name: nat-own, sku: ` + ownSKU + `, publicIps: [pip-own]}
` + vnetNAT
}

// https://learn.microsoft.com/azure/nat-gateway/nat-sku: Standard carries
// TCP and UDP; StandardV2 also ICMP echo, IPv6 public IPs, and attaches to a
// whole virtual network.
func TestNATGatewaySKUs(t *testing.T) {
	vnetNAT := "  - {name: nat-vnet, sku: StandardV2, vnet: vnet, publicIps: [pip-vnet, pip-vnet6]}\n"
	e := engine(t, natDesign("Standard", vnetNAT), simulate.Options{})
	ping := func(from, to string, p ipproto.Proto) *simulate.Result {
		r, err := e.Trace(simulate.Flow{From: from, To: netip.MustParseAddr(to), Protocol: p})
		require.NoError(t, err)
		agree(t, e, mustNIC(t, e, from), netip.MustParseAddr(to), p, 0)
		return r
	}
	r := ping("vm-own", "52.1.2.3", ipproto.ICMP)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "Standard: TCP and UDP only\n%s", r)
	assert.Equal(t, simulate.ReasonICMPNotSupported, r.ReasonCode)
	r = ping("vm-own", "52.1.2.3", ipproto.ESP)
	assert.Equal(t, simulate.ReasonProtocolNotSupported, r.ReasonCode, "nat-gateway-resource: other IP protocols aren't supported\n%s", r)
	r = ping("vm-inherit", "52.1.2.3", ipproto.ICMP)
	assert.Equal(t, simulate.Allowed, r.Verdict, "StandardV2 carries ping\n%s", r)
	assert.Equal(t, "20.0.0.2", ips(r), "the VNet-level gateway serves a subnet without its own")
	assert.Contains(t, r.Hops[len(r.Hops)-1].Note, "attached to VNet vnet")
	r = trace(t, e, "vm-own", "52.1.2.3", 443)
	assert.Equal(t, "20.0.0.1", ips(r), "a subnet's own NAT gateway takes precedence over its VNet's")
	r = ping("vm-inherit", "2603:1040::1", ipproto.ICMPv6)
	assert.Equal(t, simulate.Allowed, r.Verdict, "StandardV2: IPv6 ping through its IPv6 address\n%s", r)
	assert.Equal(t, "2603:1030::2", ips(r))
	r = trace(t, e, "vm-own", "2603:1040::1", 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "a Standard NAT gateway carries no IPv6 and there is no IPv6 default outbound\n%s", r)

	// The known issue: a StandardV2 NAT gateway without IPv6 addresses
	// disrupts IPv6 through load-balancer outbound rules.
	e = engine(t, natDesign("Standard", "  - {name: nat-vnet, sku: StandardV2, vnet: vnet, publicIps: [pip-vnet]}\n"), simulate.Options{})
	r = trace(t, e, "vm-inherit", "2603:1040::1", 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "%s", r)
	assert.Contains(t, r.Reason, "disrupts IPv6 through load-balancer outbound rules")
	e = engine(t, natDesign("Standard", ""), simulate.Options{})
	r = trace(t, e, "vm-inherit", "2603:1040::1", 443)
	assert.Equal(t, simulate.MethodLoadBalancer, r.EgressMethod, "without the StandardV2 gateway the outbound rule carries IPv6\n%s", r)
	assert.Equal(t, "2603:1030::9", ips(r))
}

// defaultOutboundAccess has three states
// (https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access):
// true, false, and unset, which inputs from API versions before 2025-07-01
// carry; results say which one applied.
func TestDefaultOutboundAccessStates(t *testing.T) {
	tests := []struct {
		subnet       string
		private      bool
		verdict      simulate.Verdict
		reason, want string
	}{
		{"", false, simulate.Allowed, "does not set defaultOutboundAccess", "taken as a subnet with default outbound access"},
		{"", true, simulate.NoEgress, "does not set defaultOutboundAccess", "taken as private, as in VNets created with API version 2025-07-01 or later"},
		{", defaultOutboundAccess: true", true, simulate.Allowed, "sets defaultOutboundAccess true", ""},
		{", defaultOutboundAccess: false", false, simulate.NoEgress, "sets defaultOutboundAccess false", ""},
	}
	for _, tt := range tests {
		e := engine(t, one(tt.subnet, "", ""), simulate.Options{PrivateByDefault: tt.private})
		r := trace(t, e, "vm", "52.1.2.3", 443)
		assert.Equal(t, tt.verdict, r.Verdict, "%q private-by-default=%v\n%s", tt.subnet, tt.private, r)
		text := r.Reason + " " + r.Hops[len(r.Hops)-1].Note
		assert.Contains(t, text, tt.reason, "%q", tt.subnet)
		found := false
		for _, a := range r.Assumptions {
			found = found || strings.Contains(a, "defaultOutboundAccess")
			if tt.want != "" {
				assert.Contains(t, a+strings.Join(r.Assumptions, "|"), tt.want)
			}
		}
		assert.Equal(t, tt.want != "", found, "an assumption is stated only when the subnet does not say: %q", r.Assumptions)
	}
}

// neverSNATPolicy is a policy for the hubSpoke firewall whose SNAT private
// ranges are 0.0.0.0/0 (never SNAT), with an NTP network rule and an
// application rule.
const neverSNATPolicy = `firewallPolicies:
  - name: fwpol
    snatPrivateRanges: [0.0.0.0/0]
    ruleCollectionGroups:
      - name: rcg
        priority: 200
        collections:
          - name: net
            priority: 100
            action: Allow
            rules:
              - {name: ntp, type: NetworkRule, protocols: [UDP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["123"]}
          - name: app
            priority: 200
            action: Allow
            rules:
              - {name: web, type: ApplicationRule, protocols: ["Https:443"], sourceAddresses: ["*"], targetFqdns: [www.example.com]}
`

// https://learn.microsoft.com/azure/firewall/snat-private-range: "To
// configure Azure Firewall to never SNAT regardless of the destination IP
// address, use 0.0.0.0/0 as your private IP address range. With this
// configuration, Azure Firewall can never route traffic directly to the
// Internet." Forced tunnelling from AzureFirewallSubnet still carries it.
func TestFirewallNeverSNAT(t *testing.T) {
	design := withFirewallPolicy(hubSpokeWith("rt-fw", "true"), neverSNATPolicy)
	e := engine(t, design, simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.UDP, Port: 123})
	require.NoError(t, err)
	agree(t, e, mustNIC(t, e, "vm1"), netip.MustParseAddr("52.1.2.3"), ipproto.UDP, 123)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonFirewallNoSNAT, r.ReasonCode)
	assert.Contains(t, r.Hops[1].Translation, "no SNAT")
	// Application rules always SNAT (transparent proxy), whatever the ranges.
	r, err = e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("52.1.2.3"), Host: "www.example.com", Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, "SNAT to the firewall's public IP (20.0.1.1)", r.Hops[1].Translation)

	// Forced tunnelling: AzureFirewallSubnet sends 0.0.0.0/0 to the gateway.
	tunnelled := strings.Replace(design, "{name: AzureFirewallSubnet, prefix: 10.0.1.0/26}", "{name: AzureFirewallSubnet, prefix: 10.0.1.0/26, routeTable: rt-tunnel}", 1)
	e = engine(t, tunnelled, simulate.Options{})
	r, err = e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.UDP, Port: 123})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodGateway, r.EgressMethod)
	assert.Contains(t, r.Hops[len(r.Hops)-1].Note, "source stays 10.1.1.4", "not SNATed: on-premises sees the VM's address")
}

// A private endpoint is named by the endpoint, not its interface; with
// network policies Disabled (the default) NSGs do not apply to it, and the
// trace says so
// (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
func TestPrivateEndpointHop(t *testing.T) {
	design := `egress: v1
location: eastus
vnets:
  - name: vnet
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: app, prefix: 10.1.1.0/24}
      - {name: data, prefix: 10.1.2.0/24, nsg: nsg-data}
nsgs:
  - name: nsg-data
    rules: [{name: deny-all-in, priority: 100, direction: Inbound, access: Deny, protocol: "*"}]
nics:
  - {name: vm, subnet: vnet/app, ip: 10.1.1.4}
privateEndpoints:
  - {name: pe-sql, subnet: vnet/data, ip: 10.1.2.10, service: /subscriptions/0/resourceGroups/rg/providers/Microsoft.Sql/servers/sql1, groupId: sqlServer}
`
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm", "10.1.2.10", 1433)
	assert.Equal(t, simulate.Allowed, r.Verdict, "the subnet NSG's deny does not apply\n%s", r)
	last := r.Hops[len(r.Hops)-1]
	assert.Equal(t, simulate.HopPrivateEndpoint, last.Kind)
	assert.Equal(t, "pe-sql", last.Name)
	assert.True(t, strings.HasSuffix(last.ID, "/privateEndpoints/pe-sql"), last.ID)
	assert.Contains(t, last.Note, "NSGs not applied: subnet data has privateEndpointNetworkPolicies Disabled")

	e = engine(t, strings.Replace(design, "nsg: nsg-data}", "nsg: nsg-data, privateEndpointNetworkPolicies: Enabled}", 1), simulate.Options{})
	r = trace(t, e, "vm", "10.1.2.10", 1433)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	assert.NotContains(t, r.Hops[len(r.Hops)-1].Note, "not applied")
}

// Every result names what decided it: for an allowed flow the rule that
// allowed it at each stage, the firewall's policy under its own key; JSON is
// not HTML-escaped by the CLI (cmd/egress tests that).
func TestDecidedByAllowed(t *testing.T) {
	design := withFirewallPolicy(hubSpokeWith("rt-fw", "true"), `firewallPolicies:
  - name: fwpol
    ruleCollectionGroups:
      - name: rcg
        priority: 200
        collections:
          - {name: net, priority: 100, action: Allow, rules: [{name: ntp, type: NetworkRule, protocols: [UDP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["123"]}]}
`)
	e := engine(t, design, simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.UDP, Port: 123})
	require.NoError(t, err)
	assert.Equal(t, "AzureFirewall fw: fwpol/rcg/net/ntp", r.DecidedBy)
	step := r.Hops[1].Security[0]
	assert.Equal(t, "fwpol", step.Policy)
	assert.Empty(t, step.Group, "a firewall policy is not an NSG")
	e = engine(t, one(", natGateway: nat", "", ""), simulate.Options{})
	r = trace(t, e, "vm", "10.200.0.1", 443) // the reserved 10.0.0.0/8 route
	assert.Equal(t, simulate.Dropped, r.Verdict, "%s", r)
	assert.Equal(t, "route 10.0.0.0/8 -> None (Default)", r.DecidedBy)
	r = trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, "no NSG, admin rule or firewall on the path: allowed by default", r.DecidedBy)
}

// https://learn.microsoft.com/azure/route-server/route-server-faq: routes an
// NVA advertises to Route Server are programmed with the NVA as next hop;
// effective routes list them as VirtualNetworkGateway, but the traffic goes
// to the NVA, not on-premises.
func TestRouteServerRoutesLeadToTheNVA(t *testing.T) {
	design := `egress: v1
location: eastus
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets:
      - {name: RouteServerSubnet, prefix: 10.0.3.0/27}
      - {name: nva, prefix: 10.0.2.0/24, routeTable: rt-nva}
      - {name: app, prefix: 10.0.4.0/24}
routeTables:
  - name: rt-nva
    disableBgpRoutePropagation: true
    routes: [{name: out, prefix: 0.0.0.0/0, nextHop: Internet}]
nics:
  - {name: sdwan, subnet: hub/nva, ip: 10.0.2.10, ipForwarding: true, publicIp: pip-nva}
  - {name: vm, subnet: hub/app, ip: 10.0.4.4}
publicIps:
  - {name: pip-nva, ip: 20.0.9.9}
routeServers:
  - {name: rs, vnet: hub, advertised: [{prefix: 0.0.0.0/0, nextHop: 10.0.2.10, asPath: "65100"}]}
`
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, "VirtualNetworkGateway", r.Hops[0].Route.NextHopType.String(), "listed as effective routes list it")
	assert.Equal(t, simulate.HopAppliance, r.Hops[1].Kind)
	assert.Equal(t, "sdwan", r.Hops[1].Name)
	assert.Equal(t, simulate.MethodInstancePublicIP, r.EgressMethod)
	assert.Equal(t, "20.0.9.9", ips(r))
}
