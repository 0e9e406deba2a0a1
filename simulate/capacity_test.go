package simulate_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/snat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var internetWeb = netip.MustParseAddrPort("52.1.2.3:443")

// The embedded design: the batch subnet leaves through NAT gateway
// natgw-batch (one public IP: 50,000 connections per destination endpoint,
// https://learn.microsoft.com/azure/nat-gateway/nat-sku); the legacy subnet
// through default outbound access, whose supply is undocumented; the app
// subnet's flow is denied by the firewall and draws on no pool.
func TestCapacityDefaultDesign(t *testing.T) {
	e := defaultEngine(t)
	rep, err := e.Capacity([]simulate.Demand{
		{From: "vm-batch-01-nic", To: internetWeb, Concurrent: 45000},
		{From: "vm-batch-01-nic", To: netip.MustParseAddrPort("20.9.9.9:443"), Concurrent: 45000},
		{From: "vm-legacy-01-nic", To: internetWeb, Concurrent: 100},
		{From: "vm-app-01-nic", To: internetWeb, Concurrent: 100},
	}, 0.2)
	require.NoError(t, err)
	require.Len(t, rep.Pools, 2)
	nat := rep.Pools[0]
	assert.Equal(t, snat.NATGateway, nat.Kind)
	assert.Equal(t, "natgw-batch", nat.Name)
	assert.Equal(t, 50000, nat.Supply.PerKey)
	assert.Equal(t, 45000, nat.Peak, "a NAT gateway reuses ports across destination endpoints")
	assert.InDelta(t, 0.1, nat.Headroom, 1e-9)
	assert.Equal(t, "give NAT gateway natgw-batch 2 public IP addresses (it has 1): add 1", nat.Fix)
	assert.Equal(t, []snat.Contribution{{Source: "vm-batch-01-nic", Concurrent: 45000}}, nat.Exhausting)

	def := rep.Pools[1]
	assert.Equal(t, snat.DefaultOutbound, def.Kind)
	assert.False(t, def.HeadroomKnown, "default outbound access has no documented supply")
	assert.Contains(t, def.Supply.Why, "does not document")
	assert.Contains(t, def.Fix, "NAT gateway")

	require.Len(t, rep.Unmetered, 1)
	assert.Equal(t, "vm-app-01-nic", rep.Unmetered[0].From)
	assert.Equal(t, simulate.Denied, rep.Unmetered[0].Verdict)
}

func TestCapacityRejectsBadDemands(t *testing.T) {
	e := defaultEngine(t)
	_, err := e.Capacity([]simulate.Demand{
		{From: "no-such-nic", To: internetWeb, Concurrent: 1},
		{From: "vm-batch-01-nic", To: internetWeb, Protocol: ipproto.ICMP, Concurrent: 1},
		{From: "vm-batch-01-nic", To: netip.AddrPortFrom(internetWeb.Addr(), 0), Concurrent: 1},
		{From: "vm-batch-01-nic", To: internetWeb, Concurrent: -1},
	}, 0.2)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "demand 1:")
	assert.Contains(t, msg, "no-such-nic")
	assert.Contains(t, msg, "demand 2 (vm-batch-01-nic → 52.1.2.3:443): protocol Icmp has no SNAT ports")
	assert.Contains(t, msg, "demand 3")
	assert.Contains(t, msg, "demand 4")
}

// A load balancer outbound rule preallocates ports per backend instance
// (https://learn.microsoft.com/azure/load-balancer/outbound-rules): two NICs
// with 1,000 connections each to one endpoint fit 1,024 ports each, but not
// 1,000 more from the same NIC; with allocatedOutboundPorts 0 the default
// table gives a pool of 2 instances 1,024 ports
// (https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections).
func TestCapacityLoadBalancerPerInstance(t *testing.T) {
	for _, ports := range []int{0, 1024, 4096} {
		design := fmt.Sprintf(`egress: v1
location: eastus
vnets:
  - name: vnet-a
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-1, prefix: 10.1.1.0/24}
publicIps:
  - {name: pip-lb, ip: 20.1.0.20}
nics:
  - {name: nic-a, subnet: vnet-a/snet-1, ip: 10.1.1.4, backendPools: [lb/pool]}
  - {name: nic-b, subnet: vnet-a/snet-1, ip: 10.1.1.5, backendPools: [lb/pool]}
loadBalancers:
  - name: lb
    sku: Standard
    frontends: [{name: fe, publicIp: pip-lb}]
    backendPools: [pool]
    outboundRules: [{name: out, frontends: [fe], backendPool: pool, protocol: All, allocatedOutboundPorts: %d}]
`, ports)
		e := engine(t, design, simulate.Options{})
		rep, err := e.Capacity([]simulate.Demand{
			{From: "nic-a", To: internetWeb, Concurrent: 1000},
			{From: "nic-a", To: internetWeb, Concurrent: 1000},
			{From: "nic-b", To: internetWeb, Concurrent: 1000},
		}, 0.2)
		require.NoError(t, err)
		require.Len(t, rep.Pools, 1)
		p := rep.Pools[0]
		assert.Equal(t, snat.LoadBalancerOutbound, p.Kind)
		assert.Equal(t, "lb/out", p.Name)
		assert.Equal(t, max(ports, 1024), p.Supply.PerKey, "allocatedOutboundPorts %d", ports)
		assert.Equal(t, 2000, p.Peak, "ports are per instance: nic-a's two demands add up, nic-b's do not")
		assert.Equal(t, "nic-a", p.PeakInstance)
		if ports == 4096 {
			assert.Empty(t, p.Fix)
			continue
		}
		assert.Less(t, p.Headroom, 0.0)
		// 2,000 / 0.8 = 2,500 → 2,504 ports × 2 instances: one frontend IP.
		assert.True(t, strings.HasPrefix(p.Fix, "set allocatedOutboundPorts of outbound rule lb/out to 2,504"), p.Fix)
	}
}

// The app subnet's NTP is allowed by the hub firewall's network rule and
// SNATed to its public IPs: the firewall's pool, 2,496 ports per public IP
// per instance, two instances
// (https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway),
// every connection counted (reuse across destinations is undocumented).
func TestCapacityThroughAzureFirewall(t *testing.T) {
	e := defaultEngine(t)
	r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", To: internetWeb.Addr(), Protocol: ipproto.UDP, Port: 123})
	require.NoError(t, err)
	require.Equal(t, simulate.Allowed, r.Verdict, r.Reason)
	require.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod)
	ntp := netip.AddrPortFrom(internetWeb.Addr(), 123)
	rep, err := e.Capacity([]simulate.Demand{
		{From: "vm-app-01-nic", To: ntp, Protocol: ipproto.UDP, Concurrent: 3000},
		{From: "vm-app-02-nic", To: netip.MustParseAddrPort("52.1.2.9:123"), Protocol: ipproto.UDP, Concurrent: 3000},
	}, 0.2)
	require.NoError(t, err)
	require.Len(t, rep.Pools, 1)
	p := rep.Pools[0]
	assert.Equal(t, snat.AzureFirewall, p.Kind)
	assert.Equal(t, "Udp", p.Proto)
	ips := len(r.EgressIPs)
	assert.Equal(t, ips*2496*2, p.Supply.PerKey)
	assert.Equal(t, 6000, p.Peak, "both sources and destinations draw on one inventory")
	assert.Len(t, p.Exhausting, 2)
}
