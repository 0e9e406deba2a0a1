package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engine loads a native design and compiles it.
func engine(t *testing.T, design string, opts simulate.Options) *simulate.Engine {
	t.Helper()
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}}, Tags: tags(t), RefuseRejected: true})
	require.NoError(t, err)
	return simulate.Compile(n, opts)
}

func trace(t *testing.T, e *simulate.Engine, from, to string, port uint16) *simulate.Result {
	t.Helper()
	r, err := e.Trace(simulate.Flow{From: from, To: netip.MustParseAddr(to), Port: port})
	require.NoError(t, err)
	agree(t, e, mustNIC(t, e, from), netip.MustParseAddr(to), ipproto.TCP, port)
	return r
}

func mustNIC(t *testing.T, e *simulate.Engine, name string) simulate.NIC {
	t.Helper()
	h, err := e.NIC(name)
	require.NoError(t, err)
	return h
}

func ips(r *simulate.Result) string {
	var s []string
	for _, a := range r.EgressIPs {
		s = append(s, a.String())
	}
	return strings.Join(s, " ")
}

// one is a subnet with one VM; extra YAML is appended to its subnet line,
// to the NIC line and to the document.
func one(subnetExtra, nicExtra, doc string) string {
	return `egress: v1
location: eastus
vnets:
  - name: vnet
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet, prefix: 10.1.1.0/24` + subnetExtra + `}
nics:
  - {name: vm, subnet: vnet/snet, ip: 10.1.1.4` + nicExtra + `}
publicIps:
  - {name: pip-vm, ip: 20.0.0.1}
  - {name: pip-nat1, ip: 20.0.0.2}
  - {name: pip-nat2, ip: 20.0.0.3}
  - {name: pip-lb, ip: 20.0.0.4}
natGateways:
  - {name: nat, publicIps: [pip-nat1, pip-nat2]}
loadBalancers:
  - name: lb
    frontends: [{name: fe, publicIp: pip-lb}]
    backendPools: [pool]
    rules: [{name: web, frontend: fe, backendPool: pool, protocol: Tcp}]
` + doc
}

// Egress precedence per https://learn.microsoft.com/azure/nat-gateway/nat-overview#outbound-connectivity:
// NAT gateway > instance public IP > load balancer > default outbound access.
func TestEgressPrecedence(t *testing.T) {
	tests := []struct {
		name, subnet, nic string
		verdict           simulate.Verdict
		method            simulate.Method
		ips               string
	}{
		{"NAT gateway beats everything", ", natGateway: nat", ", publicIp: pip-vm, backendPools: [lb/pool]", simulate.Allowed, simulate.MethodNATGateway, "20.0.0.2 20.0.0.3"},
		{"instance public IP beats the load balancer", "", ", publicIp: pip-vm, backendPools: [lb/pool]", simulate.Allowed, simulate.MethodInstancePublicIP, "20.0.0.1"},
		{"load-balancer rule implicit SNAT", "", ", backendPools: [lb/pool]", simulate.Allowed, simulate.MethodLoadBalancer, "20.0.0.4"},
		{"default outbound access", "", "", simulate.Allowed, simulate.MethodDefaultOutbound, ""},
		{"private subnet: no way out", ", defaultOutboundAccess: false", "", simulate.NoEgress, simulate.MethodNone, ""},
		{"private subnet with NAT gateway", ", defaultOutboundAccess: false, natGateway: nat", "", simulate.Allowed, simulate.MethodNATGateway, "20.0.0.2 20.0.0.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine(t, one(tt.subnet, tt.nic, ""), simulate.Options{})
			r := trace(t, e, "vm", "52.1.2.3", 443)
			assert.Equal(t, tt.verdict, r.Verdict, "%s", r)
			assert.Equal(t, tt.method, r.EgressMethod)
			assert.Equal(t, tt.ips, ips(r))
		})
	}
}

func TestLoadBalancerOutbound(t *testing.T) {
	// outbound-rules: an outbound rule gives egress even with disableOutboundSnat on the LB rule;
	// disableOutboundSnat without an outbound rule leaves the VM without LB egress.
	lb := `  - name: lb2
    frontends: [{name: fe, publicIp: pip-lb}, {name: fe-out, publicIp: pip-vm}]
    backendPools: [pool]
    rules: [{name: web, frontend: fe, backendPool: pool, protocol: Tcp, disableOutboundSnat: true}]
`
	withLB := func(lbs string) string {
		return strings.Replace(one(", defaultOutboundAccess: false", ", backendPools: [lb2/pool]", ""), "loadBalancers:\n", "loadBalancers:\n"+lbs, 1)
	}
	e := engine(t, withLB(lb), simulate.Options{})
	r := trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "%s", r)
	withOut := lb + "    outboundRules: [{name: out, frontends: [fe-out], backendPool: pool}]\n"
	e = engine(t, withLB(withOut), simulate.Options{})
	r = trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.MethodLoadBalancer, r.EgressMethod, "%s", r)
	assert.Equal(t, "20.0.0.1", ips(r))
}

func TestLoadBalancerPoolByIPAddress(t *testing.T) {
	// load-balancer-outbound-connections: a backend pool defined by IP address behaves like
	// default outbound access (known issue).
	design := strings.Replace(one("", ", backendPools: [lb/pool]", ""), "backendPools: [pool]", "backendPools: [{name: pool, byIpAddress: true}]", 1)
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.MethodDefaultOutbound, r.EgressMethod, "%s", r)
	assert.Contains(t, r.Hops[len(r.Hops)-1].Note, "backend pool pool is defined by IP address, which gives no outbound connectivity (a known issue", "the trace names the known issue")
	e = engine(t, strings.Replace(design, "{name: snet, prefix: 10.1.1.0/24", "{name: snet, prefix: 10.1.1.0/24, defaultOutboundAccess: false", 1), simulate.Options{})
	r = trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict)
	assert.Contains(t, r.Reason, "is defined by IP address")
}

// default-outbound-access: "if there are multiple network interfaces, having
// a single one with a public IP will prevent default outbound access for the
// virtual machine" — also when the public IP sits on a secondary IP
// configuration; a NIC of another VM keeps it.
func TestDefaultOutboundIsPerVM(t *testing.T) {
	design := func(nic2, secondary string) string {
		return `egress: v1
location: eastus
vnets:
  - name: vnet
    addressSpace: [10.1.0.0/16]
    subnets: [{name: snet, prefix: 10.1.1.0/24}]
nics:
  - {name: vm1-nic1, subnet: vnet/snet, ip: 10.1.1.4, vm: vm1}
  - {name: vm1-nic2, subnet: vnet/snet, ip: 10.1.1.5` + nic2 + `}
  - name: vm3-nic
    vm: vm3
    ipConfigs:
      - {name: primary, primary: true, subnet: vnet/snet, ip: 10.1.1.6}
      - {name: secondary, subnet: vnet/snet, ip: 10.1.1.7` + secondary + `}
publicIps:
  - {name: pip-a, ip: 20.0.0.1}
  - {name: pip-b, ip: 20.0.0.2}
`
	}
	e := engine(t, design(", vm: vm1, publicIp: pip-a", ""), simulate.Options{})
	r := trace(t, e, "vm1-nic1", "52.1.2.3", 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "%s", r)
	assert.Contains(t, r.Reason, "NIC vm1-nic2 of the same VM has public IP pip-a")
	r = trace(t, e, "vm1-nic2", "52.1.2.3", 443)
	assert.Equal(t, simulate.MethodInstancePublicIP, r.EgressMethod, "the NIC with the public IP uses it")
	r = trace(t, e, "vm3-nic", "52.1.2.3", 443)
	assert.Equal(t, simulate.MethodDefaultOutbound, r.EgressMethod, "another VM keeps default outbound: %s", r)

	e = engine(t, design(", publicIp: pip-a", ", publicIp: pip-b"), simulate.Options{})
	r = trace(t, e, "vm1-nic1", "52.1.2.3", 443)
	assert.Equal(t, simulate.MethodDefaultOutbound, r.EgressMethod, "vm1-nic2 is not known to be vm1's: %s", r)
	r = trace(t, e, "vm3-nic", "52.1.2.3", 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "a public IP on the NIC's secondary IP configuration: %s", r)
	assert.Contains(t, r.Reason, "the NIC's IP configuration secondary has public IP pip-b")
}

// troubleshoot-outbound-smtp-connectivity: Azure blocks TCP 25 to the
// internet except in Enterprise Agreement, MCA-E and exempted subscriptions;
// offline, the subscription type is an option, unknown by default.
func TestOutboundSMTP(t *testing.T) {
	design := one("", ", publicIp: pip-vm", "")
	for _, tc := range []struct {
		mode    simulate.SMTPMode
		port    uint16
		verdict simulate.Verdict
		reason  simulate.Reason
	}{
		{simulate.SMTPUnknown, 25, simulate.Unknown, simulate.ReasonInternet},
		{simulate.SMTPAllowed, 25, simulate.Allowed, simulate.ReasonInternet},
		{simulate.SMTPBlocked, 25, simulate.NoEgress, simulate.ReasonSMTPBlocked},
		{simulate.SMTPBlocked, 587, simulate.Allowed, simulate.ReasonInternet}, // authenticated submission is not restricted
	} {
		e := engine(t, design, simulate.Options{SMTP: tc.mode})
		r := trace(t, e, "vm", "52.1.2.3", tc.port)
		assert.Equal(t, tc.verdict, r.Verdict, "mode %d port %d: %s", tc.mode, tc.port, r)
		assert.Equal(t, tc.reason, r.ReasonCode, "mode %d port %d", tc.mode, tc.port)
		if tc.mode == simulate.SMTPUnknown {
			assert.Contains(t, strings.Join(r.Assumptions, "\n"), "TCP port 25")
			assert.Equal(t, simulate.MethodInstancePublicIP, r.EgressMethod, "the path if allowed")
		}
	}
	// The restriction applies to Azure Firewall egress too ("subscription
	// limitations still apply"), not to traffic tunnelled to on-premises.
	opts := simulate.Options{SMTP: simulate.SMTPBlocked, Firewall: simulate.FirewallAllow}
	r := trace(t, engine(t, hubSpokeWith("rt-fw", "true"), opts), "vm1", "52.1.2.3", 25)
	assert.Equal(t, simulate.ReasonSMTPBlocked, r.ReasonCode, "through the hub firewall: %s", r)
	assert.Contains(t, r.Reason, "otherwise it would leave through firewall")
	r = trace(t, engine(t, hubSpokeWith("rt-tunnel", "true"), opts), "vm1", "52.1.2.3", 25)
	assert.Equal(t, simulate.Allowed, r.Verdict, "forced tunnelling to on-premises: %s", r)
	assert.Equal(t, simulate.MethodGateway, r.EgressMethod)
}

func TestPrivateByDefaultOption(t *testing.T) {
	// default-outbound-access: VNets created from 2026-03-31 default to private subnets.
	e := engine(t, one("", "", ""), simulate.Options{PrivateByDefault: true})
	r := trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict)
	assert.Contains(t, r.Reason, "is private")
}

func TestICMPThroughNATGateway(t *testing.T) {
	// nat-overview: NAT gateway supports TCP and UDP only.
	e := engine(t, one(", natGateway: nat", "", ""), simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "vm", To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.ICMP})
	require.NoError(t, err)
	assert.Equal(t, simulate.NoEgress, r.Verdict)
	assert.Equal(t, simulate.ReasonICMPNotSupported, r.ReasonCode)
}

const hubSpoke = `egress: v1
location: eastus
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets:
      - {name: AzureFirewallSubnet, prefix: 10.0.1.0/26}
      - {name: GatewaySubnet, prefix: 10.0.255.0/27}
      - {name: nva, prefix: 10.0.2.0/24}
    peerings:
      - {remote: spoke1, allowGatewayTransit: true, allowForwardedTraffic: true}
      - {remote: spoke2, allowGatewayTransit: true, allowForwardedTraffic: true}
  - name: spoke1
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: app, prefix: 10.1.1.0/24, routeTable: SPOKE1_RT}
    peerings: [{remote: hub, useRemoteGateways: true, allowForwardedTraffic: true}]
  - name: spoke2
    addressSpace: [10.2.0.0/16]
    subnets:
      - {name: app, prefix: 10.2.1.0/24, routeTable: rt-spoke2}
    peerings: [{remote: hub, useRemoteGateways: true, allowForwardedTraffic: SPOKE2_FWD}]
routeTables:
  - name: rt-fw
    routes:
      - {name: default, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.1.4}
      - {name: east-west, prefix: 10.0.0.0/8, nextHop: VirtualAppliance, ip: 10.0.1.4}
  - name: rt-nva
    routes:
      - {name: default, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.2.4}
      - {name: east-west, prefix: 10.0.0.0/8, nextHop: VirtualAppliance, ip: 10.0.2.4}
  - name: rt-nva-off
    routes:
      - {name: default, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.2.5}
  - name: rt-tunnel
    routes:
      - {name: default, prefix: 0.0.0.0/0, nextHop: VirtualNetworkGateway}
  - name: rt-spoke2
    routes:
      - {name: east-west, prefix: 10.0.0.0/8, nextHop: VirtualAppliance, ip: 10.0.1.4}
nics:
  - {name: vm1, subnet: spoke1/app, ip: 10.1.1.4}
  - {name: vm2, subnet: spoke2/app, ip: 10.2.1.4}
  - {name: nva-on, subnet: hub/nva, ip: 10.0.2.4, ipForwarding: true, publicIp: pip-nva}
  - {name: nva-off, subnet: hub/nva, ip: 10.0.2.5}
publicIps:
  - {name: pip-fw, ip: 20.0.1.1}
  - {name: pip-nva, ip: 20.0.2.1}
firewalls:
  - {name: fw, vnet: hub, privateIp: 10.0.1.4, publicIps: [pip-fw]}
gateways:
  - name: vpngw
    vnet: hub
    ips: [10.0.255.4]
    learnedRoutes: [{prefix: 192.168.0.0/16, nextHop: 10.0.255.4, asPath: "65001"}]
`

// withFirewallPolicy attaches the policy named fwpol, defined by policy, to
// the hub firewall of a hubSpoke design.
func withFirewallPolicy(design, policy string) string {
	return strings.Replace(design, "{name: fw, vnet: hub, privateIp: 10.0.1.4, publicIps: [pip-fw]}",
		"{name: fw, vnet: hub, privateIp: 10.0.1.4, publicIps: [pip-fw], policy: fwpol}", 1) + policy
}

func hubSpokeWith(spoke1RT, spoke2Fwd string) string {
	return strings.NewReplacer("SPOKE1_RT", spoke1RT, "SPOKE2_FWD", spoke2Fwd).Replace(hubSpoke)
}

func TestHubFirewall(t *testing.T) {
	// Forced egress through a hub Azure Firewall: the egress IP is the firewall's.
	e := engine(t, hubSpokeWith("rt-fw", "true"), simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "the firewall has no policy in the model\n%s", r)
	assert.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod)
	assert.Equal(t, "20.0.1.1", ips(r))
	assert.Equal(t, simulate.HopFirewall, r.Hops[1].Kind)
	assert.NotEmpty(t, r.Assumptions)

	e = engine(t, hubSpokeWith("rt-fw", "true"), simulate.Options{Firewall: simulate.FirewallAllow})
	r = trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict)
	assert.Contains(t, r.Assumptions[0], "allows the flow")
}

func TestForcedTunnelling(t *testing.T) {
	// A UDR 0/0 to the VPN gateway: traffic leaves at on-premises; no Azure egress IP.
	e := engine(t, hubSpokeWith("rt-tunnel", "true"), simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict)
	assert.Equal(t, simulate.MethodGateway, r.EgressMethod)
	assert.Empty(t, r.EgressIPs)
}

// A user route to VirtualNetworkGateway needs a VPN gateway, the VNet's own
// or its hub's over gateway transit (udr-overview); without one the
// simulator drops the traffic and says why (behaviour undocumented, spec §7.2).
func TestUserRouteToMissingGateway(t *testing.T) {
	design := strings.Replace(hubSpokeWith("rt-tunnel", "true"), "peerings: [{remote: hub, useRemoteGateways: true, allowForwardedTraffic: true}]",
		"peerings: [{remote: hub, allowForwardedTraffic: true}]", 1)
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Dropped, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonNoGateway, r.ReasonCode)
	// With gateway transit the same route reaches on-premises.
	e = engine(t, hubSpokeWith("rt-tunnel", "true"), simulate.Options{})
	assert.Equal(t, simulate.MethodGateway, trace(t, e, "vm1", "52.1.2.3", 443).EgressMethod)
}

func TestGatewayTransit(t *testing.T) {
	// virtual-network-peering-overview: with useRemoteGateways the spoke learns the hub gateway's routes.
	e := engine(t, hubSpokeWith("rt-fw", "true"), simulate.Options{})
	r := trace(t, e, "vm2", "192.168.7.7", 22)
	assert.Equal(t, simulate.MethodGateway, r.EgressMethod, "%s", r)
	assert.Equal(t, "vpngw", r.Hops[len(r.Hops)-1].Name)
}

func TestNVAWithAndWithoutIPForwarding(t *testing.T) {
	// udr-overview: the NVA's NIC must have IP forwarding enabled to forward traffic not addressed to it.
	e := engine(t, hubSpokeWith("rt-nva", "true"), simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodInstancePublicIP, r.EgressMethod, "egress from the NVA's own public IP")
	assert.Equal(t, "20.0.2.1", ips(r))
	assert.Contains(t, r.Assumptions[0], "forwards all traffic")

	e = engine(t, hubSpokeWith("rt-nva", "true"), simulate.Options{NVA: simulate.NVAUnknown})
	assert.Equal(t, simulate.Unknown, trace(t, e, "vm1", "52.1.2.3", 443).Verdict)

	e = engine(t, hubSpokeWith("rt-nva-off", "true"), simulate.Options{})
	r = trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Dropped, r.Verdict)
	assert.Equal(t, simulate.ReasonNoForwarding, r.ReasonCode)
}

func TestPeeringWithoutForwardedTraffic(t *testing.T) {
	// virtual-network-manage-peering: traffic forwarded by an appliance into a VNet needs the
	// receiving VNet's peering to allow forwarded traffic.
	e := engine(t, hubSpokeWith("rt-nva", "true"), simulate.Options{})
	r := trace(t, e, "vm1", "10.2.1.4", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	e = engine(t, hubSpokeWith("rt-nva", "false"), simulate.Options{})
	r = trace(t, e, "vm1", "10.2.1.4", 443)
	assert.Equal(t, simulate.Dropped, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonForwardedPeering, r.ReasonCode)
	// Direct (not forwarded) traffic from the hub NVA's own address still arrives.
	r = trace(t, e, "nva-on", "10.2.1.4", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
}

func TestRoutingLoop(t *testing.T) {
	// Two appliances routing to each other end as a loop, never a hang.
	design := strings.Replace(hubSpokeWith("rt-nva", "true"), "nics:\n", "nics:\n  - {name: nva-b, subnet: hub/nva, ip: 10.0.2.6, ipForwarding: true}\n", 1)
	design = strings.Replace(design, "      - {name: nva, prefix: 10.0.2.0/24}", "      - {name: nva, prefix: 10.0.2.0/24, routeTable: rt-pingpong}", 1)
	design = strings.Replace(design, "routeTables:\n", `routeTables:
  - name: rt-pingpong
    routes:
      - {name: to-b, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.2.6}
`, 1)
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Dropped, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonLoop, r.ReasonCode)
}

func TestServiceEndpointAndPrivateEndpoint(t *testing.T) {
	// virtual-network-service-endpoints-overview: service traffic keeps the private source IP;
	// a private endpoint never leaves the VNet.
	design := one(", serviceEndpoints: [Microsoft.Storage], routeTable: rt, defaultOutboundAccess: false", "", `routeTables:
  - name: rt
    routes: [{name: default, prefix: 0.0.0.0/0, nextHop: None}]
privateEndpoints:
  - {name: pe, subnet: vnet/snet, ip: 10.1.1.50}
`)
	e := engine(t, design, simulate.Options{})
	storage := tags(t)
	ps, _, ok := storage.ServiceTag("Storage.EastUS")
	require.True(t, ok)
	r := trace(t, e, "vm", ps[0].Addr().Next().String(), 443)
	assert.Equal(t, simulate.MethodServiceEndpoint, r.EgressMethod, "%s", r)
	assert.Equal(t, simulate.Allowed, r.Verdict)
	r = trace(t, e, "vm", "10.1.1.50", 443)
	assert.Equal(t, simulate.MethodPrivateEndpoint, r.EgressMethod, "%s", r)
	r = trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.Dropped, r.Verdict, "the 0/0 None route drops the rest")
}

func TestPlatformAddresses(t *testing.T) {
	// what-is-ip-address-168-63-129-16: host-local, not routed, not subject to NSG rules by default.
	e := engine(t, one(", routeTable: rt", "", `routeTables:
  - name: rt
    routes: [{name: default, prefix: 0.0.0.0/0, nextHop: None}]
`), simulate.Options{})
	for _, a := range []string{"168.63.129.16", "169.254.169.254"} {
		r := trace(t, e, "vm", a, 80)
		assert.Equal(t, simulate.Allowed, r.Verdict, a)
		assert.Equal(t, simulate.MethodPlatform, r.EgressMethod)
	}
}

func TestDeniedNamesTheRule(t *testing.T) {
	e := engine(t, one(", nsg: nsg", "", `nsgs:
  - name: nsg
    rules:
      - {name: deny-web, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: Internet, destinationPorts: "443"}
`), simulate.Options{})
	r := trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.Denied, r.Verdict)
	assert.Equal(t, "SubnetNSG nsg: securityRules/deny-web", r.DecidedBy)
	assert.Equal(t, simulate.Allowed, trace(t, e, "vm", "52.1.2.3", 80).Verdict)
}

func TestFQDNDestination(t *testing.T) {
	e0 := engine(t, one("", "", ""), simulate.Options{})
	_, err := e0.Trace(simulate.Flow{From: "vm", ToFQDN: "example.com", Port: 443})
	assert.ErrorContains(t, err, "no resolver")
	m, err := topology.LoadNative("d.yaml", []byte(one("", "", "")), tags(t))
	require.NoError(t, err)
	e, err := compile(m, nil, simulate.Options{Resolver: simulate.StaticResolver{"example.com": {netip.MustParseAddr("93.184.215.14")}}})
	require.NoError(t, err)
	r, err := e.Trace(simulate.Flow{From: "vm", ToFQDN: "Example.com.", Port: 443})
	require.NoError(t, err)
	assert.Equal(t, "93.184.215.14", r.Flow.Destination.String())
	assert.Contains(t, r.Assumptions[0], "depends on DNS")
}

// The hub firewall's policy decides (package firewall): network rules by
// address and port, application rules by the host name the client sends;
// nothing else passes (https://learn.microsoft.com/azure/firewall/rule-processing).
func TestHubFirewallPolicy(t *testing.T) {
	design := withFirewallPolicy(hubSpokeWith("rt-fw", "true"), `firewallPolicies:
  - name: fwpol
    ruleCollectionGroups:
      - name: rcg
        priority: 200
        collections:
          - name: net
            priority: 100
            action: Allow
            rules:
              - {name: ntp, type: NetworkRule, protocols: [UDP], sourceAddresses: [10.0.0.0/8], destinationAddresses: ["*"], destinationPorts: ["123"]}
              - {name: spoke-to-spoke-sql, type: NetworkRule, protocols: [TCP], sourceAddresses: [10.1.0.0/16], destinationAddresses: [10.2.0.0/16], destinationPorts: ["1433"]}
          - name: deny-net
            priority: 150
            action: Deny
            rules:
              - {name: no-smb, type: NetworkRule, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["445"]}
          - name: app
            priority: 200
            action: Allow
            rules:
              - {name: github, type: ApplicationRule, protocols: ["Https:443"], sourceAddresses: [10.1.0.0/16], targetFqdns: ["*.github.com"]}
`)
	e := engine(t, design, simulate.Options{})
	// Network rule: allowed, SNAT to the firewall, out through its public IP.
	r, err := e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.UDP, Port: 123})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod)
	assert.Equal(t, "fwpol/rcg/net/ntp", r.Hops[1].Security[0].Rule)
	// snat-private-range: internet traffic is translated to a public IP, not the private one.
	assert.Equal(t, "SNAT to the firewall's public IP (20.0.1.1)", r.Hops[1].Translation)
	// Application rule, on the SNI.
	r, err = e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("140.82.112.3"), Host: "api.github.com", Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	h := mustNIC(t, e, "vm1")
	d := e.ClassifyHost(h, netip.MustParseAddr("140.82.112.3"), ipproto.TCP, 443, "api.github.com")
	assert.Equal(t, simulate.Allowed, d.Verdict)
	// "*.github.com" does not match github.com itself (firewall-faq).
	assert.Equal(t, simulate.Denied, e.ClassifyHost(h, netip.MustParseAddr("140.82.112.3"), ipproto.TCP, 443, "github.com").Verdict)
	// Default deny, named.
	r = trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Denied, r.Verdict)
	assert.Equal(t, "AzureFirewall fw: no rule matched (default deny)", r.DecidedBy)
	// A deny rule, named.
	r = trace(t, e, "vm1", "52.1.2.3", 445)
	assert.Equal(t, "AzureFirewall fw: fwpol/rcg/deny-net/no-smb", r.DecidedBy)
	// East-west through the firewall: private destination, no SNAT.
	r = trace(t, e, "vm1", "10.2.1.4", 1433)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Contains(t, r.Hops[1].Translation, "no SNAT", "network rules do not SNAT private destinations")
	assert.Equal(t, simulate.MethodPrivate, r.EgressMethod)
}

// AVNM security admin rules from an ARM export apply before the NSGs
// (concept-security-admins): a Deny ends evaluation.
func TestAdminRulesFromExport(t *testing.T) {
	m, err := topology.LoadFiles(tags(t), "../topology/testdata/avnm.json")
	require.NoError(t, err)
	e, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err)
	r, err := e.Trace(simulate.Flow{From: "n1", To: netip.MustParseAddr("10.1.1.5"), Port: 445})
	require.NoError(t, err)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	assert.Equal(t, "AdminRules org: securityAdminRules/deny-smb", r.DecidedBy)
	r, err = e.Trace(simulate.Flow{From: "n1", To: netip.MustParseAddr("10.1.1.5"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict)
}

// TestModeText: the assumption modes read and write the CLI's spellings, in
// any letter case, and reject anything else without changing the value.
func TestModeText(t *testing.T) {
	var n simulate.NVAMode
	require.NoError(t, n.UnmarshalText([]byte("Unknown")))
	assert.Equal(t, simulate.NVAUnknown, n)
	var f simulate.FirewallMode
	require.NoError(t, f.UnmarshalText([]byte("allow")))
	assert.Equal(t, simulate.FirewallAllow, f)
	s := simulate.SMTPBlocked
	assert.EqualError(t, s.UnmarshalText([]byte("maybe")), `unknown SMTP mode "maybe": want unknown, allowed or blocked`)
	assert.Equal(t, simulate.SMTPBlocked, s, "unchanged on error")
	for _, m := range []simulate.SMTPMode{simulate.SMTPUnknown, simulate.SMTPAllowed, simulate.SMTPBlocked} {
		var back simulate.SMTPMode
		require.NoError(t, back.UnmarshalText([]byte(m.String())))
		assert.Equal(t, m, back)
	}
	assert.Equal(t, "SMTPMode(7)", simulate.SMTPMode(7).String())
}
