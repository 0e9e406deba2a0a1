package snat

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	web  = netip.MustParseAddrPort("52.1.2.3:443")
	web2 = netip.MustParseAddrPort("52.1.2.3:8443")
	api  = netip.MustParseAddrPort("20.9.9.9:443")
)

// https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections,
// "Default port allocation table": every row and both edges of each.
func TestDefaultPortAllocationTable(t *testing.T) {
	for n, want := range map[int]int{1: 1024, 50: 1024, 51: 512, 100: 512, 101: 256, 200: 256, 201: 128, 400: 128, 401: 64, 800: 64, 801: 32, 1000: 32} {
		got, ok := DefaultPorts(n)
		assert.True(t, ok, n)
		assert.Equal(t, want, got, "pool of %d", n)
	}
	for _, n := range []int{0, -1, 1001} {
		_, ok := DefaultPorts(n)
		assert.False(t, ok, n)
	}
}

// https://learn.microsoft.com/azure/load-balancer/outbound-rules, "Modify
// SNAT port allocation": "if you give 10,000 ports per VM and seven VMs in a
// backend pool share a single public IP, the configuration is rejected";
// two VMs get at most 32,000 each; values not divisible by 8 are rejected;
// 0 reverts to the default allocation.
func TestOutboundRulePortAllocationWorkedExamples(t *testing.T) {
	assert.Contains(t, CheckAllocation(10000, 1, 7), "70,000 ports, more than the 64,000 of 1 frontend IP address")
	assert.Empty(t, CheckAllocation(10000, 2, 7), "a second frontend IP makes room")
	assert.Empty(t, CheckAllocation(32000, 1, 2))
	assert.NotEmpty(t, CheckAllocation(32008, 1, 2))
	assert.Contains(t, CheckAllocation(1001, 1, 1), "not a multiple of 8")
	assert.Contains(t, CheckAllocation(64008, 2, 1), "more than the 64,000")
	assert.Empty(t, CheckAllocation(0, 1, 1000), "0 is the default allocation")
	assert.Contains(t, CheckAllocation(-8, 1, 1), "negative")
}

// https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource (SNAT
// ports: 64,512 per public IP, shared by every subnet; the same port serves
// different destination endpoints) and nat-sku (50,000 connections per IP
// per destination, 2 million in all).
func TestNATGatewaySharedPerDestinationEndpoint(t *testing.T) {
	pools := []Pool{{Kind: NATGateway, ID: "ng", Name: "ng", IPs: 2}}
	s := pools[0].Supply(true)
	require.True(t, s.Known)
	assert.Equal(t, 100000, s.PerKey, "the per-destination connection limit binds before 2 × 64,512 ports")
	assert.Equal(t, ScopePool, s.Scope)

	r, err := Evaluate(pools, []Demand{
		{Pool: 0, Source: "vm-a", Dst: web, TCP: true, Concurrent: 30000},
		{Pool: 0, Source: "vm-b", Dst: web, TCP: true, Concurrent: 40000},
		{Pool: 0, Source: "vm-a", Dst: api, TCP: true, Concurrent: 50000}, // another endpoint: the same ports again
	}, 0.2)
	require.NoError(t, err)
	require.Len(t, r.Pools, 1)
	p := r.Pools[0]
	assert.Equal(t, 70000, p.Peak, "sources behind one NAT gateway share its ports")
	assert.Equal(t, "52.1.2.3:443", p.PeakKey)
	assert.Equal(t, 120000, p.Total)
	assert.InDelta(t, 0.30, p.Headroom, 1e-9)
	assert.Equal(t, []Contribution{{"vm-b", 40000}, {"vm-a", 30000}}, p.Exhausting)
	assert.Empty(t, p.Fix, "30 % headroom meets a 20 % target")

	r, err = Evaluate(pools, []Demand{{Pool: 0, Source: "vm-a", Dst: web, TCP: true, Concurrent: 95000}}, 0.2)
	require.NoError(t, err)
	assert.InDelta(t, 0.05, r.Pools[0].Headroom, 1e-9)
	// 95,000 / 0.8 = 118,750 connections: 3 IPs of 50,000.
	assert.Equal(t, "give NAT gateway ng 3 public IP addresses (it has 2): add 1", r.Pools[0].Fix)

	r, err = Evaluate(pools, []Demand{{Pool: 0, Source: "vm-a", Dst: web, TCP: true, Concurrent: 700000}}, 0.2)
	require.NoError(t, err)
	assert.Less(t, r.Pools[0].Headroom, 0.0)
	assert.Contains(t, r.Pools[0].Fix, "more than a NAT gateway's 16")
}

// TCP and UDP are separate inventories (nat-gateway-resource): UDP demand
// is its own row and does not use TCP's ports.
func TestTCPAndUDPAreSeparateInventories(t *testing.T) {
	r, err := Evaluate([]Pool{{Kind: NATGateway, Name: "ng", IPs: 1}}, []Demand{
		{Pool: 0, Source: "vm", Dst: web, TCP: true, Concurrent: 40000},
		{Pool: 0, Source: "vm", Dst: web, TCP: false, Concurrent: 40000},
	}, 0)
	require.NoError(t, err)
	require.Len(t, r.Pools, 2)
	assert.Equal(t, "Tcp", r.Pools[0].Proto)
	assert.Equal(t, "Udp", r.Pools[1].Proto)
	assert.Equal(t, 40000, r.Pools[0].Peak)
	assert.Equal(t, 40000, r.Pools[1].Peak)
}

// https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections,
// "Exhausting ports": a TCP SNAT port serves each destination IP and port;
// UDP uses port-restricted cone NAT, "one SNAT port per destination IP
// whatever the destination port"; ports are preallocated per instance.
func TestLoadBalancerPerInstanceAndUDPPerAddress(t *testing.T) {
	pools := []Pool{{Kind: LoadBalancerOutbound, Name: "obr", IPs: 1, Backends: 60}} // default table: 512
	d := []Demand{
		{Pool: 0, Source: "vm-a", Dst: web, TCP: true, Concurrent: 300},
		{Pool: 0, Source: "vm-a", Dst: web2, TCP: true, Concurrent: 300},
		{Pool: 0, Source: "vm-b", Dst: web, TCP: true, Concurrent: 300},
		{Pool: 0, Source: "vm-a", Dst: web, TCP: false, Concurrent: 300},
		{Pool: 0, Source: "vm-a", Dst: web2, TCP: false, Concurrent: 300},
	}
	r, err := Evaluate(pools, d, 0.2)
	require.NoError(t, err)
	require.Len(t, r.Pools, 2)
	tcp, udp := r.Pools[0], r.Pools[1]
	assert.Equal(t, 512, tcp.Supply.PerKey)
	assert.Equal(t, 300, tcp.Peak, "TCP: another destination port, or another instance, has its own ports")
	assert.InDelta(t, (512.0-300)/512, tcp.Headroom, 1e-9)
	assert.Equal(t, 600, udp.Peak, "UDP: both destination ports of one IP share the instance's ports")
	assert.Equal(t, "52.1.2.3", udp.PeakKey)
	assert.Equal(t, "vm-a", udp.PeakInstance)
	// 600 / 0.8 = 750 → 752 (multiple of 8); 752 × 60 = 45,120 ports: 1 frontend IP.
	assert.Equal(t, "set allocatedOutboundPorts of outbound rule obr to 752 (for 60 backend instances that needs 1 frontend IP address, it has 1), or attach a NAT gateway to the subnet", udp.Fix)

	explicit := []Pool{{Kind: LoadBalancerOutbound, Name: "obr", IPs: 2, Allocated: 10000, Backends: 7}}
	s := explicit[0].Supply(true)
	assert.Equal(t, 10000, s.PerKey)
	assert.Equal(t, ScopeInstance, s.Scope)
}

// https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway:
// 2,496 ports per public IP per instance, two instances at least, 250 IPs:
// "1,248,000 available SNAT ports".
func TestAzureFirewallSupply(t *testing.T) {
	s := Pool{Kind: AzureFirewall, Name: "fw", IPs: 250}.Supply(true)
	require.True(t, s.Known)
	assert.Equal(t, 1248000, s.PerKey)
	assert.Equal(t, KeyNone, s.Key)

	r, err := Evaluate([]Pool{{Kind: AzureFirewall, Name: "fw", IPs: 1}}, []Demand{
		{Pool: 0, Source: "vm-a", Dst: web, TCP: true, Concurrent: 3000},
		{Pool: 0, Source: "vm-b", Dst: api, TCP: true, Concurrent: 3000},
	}, 0.2)
	require.NoError(t, err)
	p := r.Pools[0]
	assert.Equal(t, 6000, p.Peak, "reuse across destinations is undocumented: every connection counts")
	assert.InDelta(t, (4992.0-6000)/4992, p.Headroom, 1e-9)
	// 6,000 / 0.8 = 7,500 ports; 4,992 per IP (two instances): 2 IPs.
	assert.Equal(t, "give Azure Firewall fw 2 public IP addresses (it has 1), or associate a NAT gateway with AzureFirewallSubnet", p.Fix)
}

func TestUnknownAndUnlimitedSupplies(t *testing.T) {
	for _, p := range []Pool{
		{Kind: DefaultOutbound, Name: "snet"},
		{Kind: AppService, Name: "app"},
		{Kind: NATGateway, Name: "ng", IPs: 1, IPsUnknown: true},
		{Kind: LoadBalancerOutbound, Name: "obr", IPs: 1, Backends: 1001},
	} {
		s := p.Supply(true)
		assert.False(t, s.Known, p.Kind)
		assert.NotEmpty(t, s.Why, p.Kind)
		r, err := Evaluate([]Pool{p}, []Demand{{Pool: 0, Source: "x", Dst: web, TCP: true, Concurrent: 1}}, 0.2)
		require.NoError(t, err)
		assert.False(t, r.Pools[0].HeadroomKnown, "an unknown supply never reads as headroom: %v", p.Kind)
	}
	s := Pool{Kind: InstancePublicIP, Name: "pip"}.Supply(true)
	assert.True(t, s.Known && s.Unlimited)
	r, err := Evaluate([]Pool{{Kind: InstancePublicIP, Name: "pip"}}, []Demand{{Pool: 0, Source: "x", Dst: web, TCP: true, Concurrent: 100000}}, 0.2)
	require.NoError(t, err)
	assert.False(t, r.Pools[0].HeadroomKnown)
	assert.Empty(t, r.Pools[0].Fix)
}

func TestEvaluateRejectsBadInput(t *testing.T) {
	_, err := Evaluate(nil, []Demand{{Pool: 0, Source: "x"}}, 0.2)
	assert.ErrorContains(t, err, "names pool 0 of 0")
	_, err = Evaluate([]Pool{{Kind: NATGateway, IPs: 1}}, []Demand{{Pool: 0, Source: "x", Concurrent: -1}}, 0.2)
	assert.ErrorContains(t, err, "negative")
	_, err = Evaluate(nil, nil, 1)
	assert.ErrorContains(t, err, "target headroom")
}

// Output is deterministic: the same demands in another order give the same report.
func TestEvaluateDeterministic(t *testing.T) {
	pools := []Pool{{Kind: NATGateway, Name: "ng", IPs: 1}}
	d := []Demand{
		{Pool: 0, Source: "b", Dst: web, TCP: true, Concurrent: 10},
		{Pool: 0, Source: "a", Dst: api, TCP: true, Concurrent: 10},
		{Pool: 0, Source: "a", Dst: web, TCP: true, Concurrent: 5},
	}
	r1, err := Evaluate(pools, d, 0.2)
	require.NoError(t, err)
	rev := []Demand{d[2], d[1], d[0]}
	r2, err := Evaluate(pools, rev, 0.2)
	require.NoError(t, err)
	assert.Equal(t, r1, r2)
	assert.Equal(t, 15, r1.Pools[0].Peak)
}
