package simulate_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"testing"

	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

// bigNSG returns n outbound rules that do not match the benchmark flow
// (destinations in 100.64/10), then the defaults decide.
func bigNSG(name string, n int) *topology.NSG {
	g := &topology.NSG{Meta: topology.Meta{ID: topology.Ref("/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/networkSecurityGroups/" + name), Name: name}}
	for i := range n {
		dir := nsg.Outbound
		if i%2 == 1 {
			dir = nsg.Inbound
		}
		var p nsg.Protocol
		_ = p.UnmarshalText([]byte("Tcp"))
		g.Rules = append(g.Rules, nsg.Rule{Name: fmt.Sprintf("r%d", i), Priority: 100 + i, Direction: dir, Access: nsg.Deny, Protocol: p,
			SourceAddressPrefix: "*", SourcePortRange: "*",
			DestinationAddressPrefix: fmt.Sprintf("100.%d.%d.0/24", 64+i/256%64, i%256), DestinationPortRange: fmt.Sprint(1000 + i%1000)})
	}
	return g
}

var benchWorld = sync.OnceValues(func() (*simulate.Engine, error) {
	r := rand.New(rand.NewPCG(42, 42))
	m := genNetwork(r, 50, 100) // 10,000 NICs in 100 subnets
	big1, big2 := bigNSG("big1", 1000), bigNSG("big2", 1000)
	m.NSGs = append(m.NSGs, big1, big2)
	// One spoke NIC behind two 1,000-rule NSGs, routed straight out.
	for _, v := range m.VNets {
		if v.Name == "spoke0" {
			v.Subnets[0].NSG, v.Subnets[0].RouteTable, v.Subnets[0].NATGateway = big2.ID, "", ""
		}
		if v.Name == "spoke1" { // a spoke forced through the hub firewall
			v.Subnets[0].RouteTable = "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/routeTables/rt-fw-bench"
		}
	}
	m.RouteTables = append(m.RouteTables, &topology.RouteTable{Meta: topology.Meta{ID: "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/routeTables/rt-fw-bench"},
		Routes: []route.UserRoute{{Name: "default", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"}}})
	for _, n := range m.NICs {
		if n.Name == "nic-0-0-0" {
			n.NSG = big1.ID
			n.IPConfigs[0].PublicIP = ""
		}
	}
	if err := m.Validate(defaultTagsMust()); err != nil {
		return nil, err
	}
	return compile(m, defaultTagsMust(), simulate.Options{Firewall: simulate.FirewallAllow})
})

func defaultTagsMust() *servicetag.Set {
	s, err := defaultTags()
	if err != nil {
		panic(err)
	}
	return s
}

var sinkDecision simulate.Decision

// BenchmarkClassify reports each case as a ratio to L measured in the same
// run ("x-L"): L_hot (the same address) for the warm cases, L_rand for the
// random ones.
func BenchmarkClassify(b *testing.B) {
	e, err := benchWorld()
	require.NoError(b, err)
	dsts := benchl.Random() // the flows' destinations are L_rand's addresses
	hot := netip.MustParseAddr("52.1.2.3")
	b.Run("L_hot", func(b *testing.B) {
		for b.Loop() {
			benchl.Hot(0)
		}
	})
	b.Run("L_rand", func(b *testing.B) {
		i := 0
		for b.Loop() {
			benchl.Rand(i)
			i++
		}
	})
	// report adds x-L, the target's cost in units of its baseline, measured
	// in interleaved rounds so that the machine's drift cancels out.
	report := func(b *testing.B, target, base func(i int)) {
		b.ReportMetric(benchl.Ratio(20000, target, base), "x-L")
	}
	oneHop, _ := e.NIC("nic-0-0-0")
	b.Run("one-hop-internet-two-1000-rule-NSGs", func(b *testing.B) {
		b.ReportAllocs()
		op := func(int) { sinkDecision = e.Classify(oneHop, hot, ipproto.TCP, 443) }
		for b.Loop() {
			op(0)
		}
		report(b, op, benchl.Hot)
	})
	fw, _ := e.NIC("nic-1-0-0")
	b.Run("three-hop-spoke-hub-firewall-internet", func(b *testing.B) {
		b.ReportAllocs()
		op := func(int) { sinkDecision = e.Classify(fw, hot, ipproto.TCP, 443) }
		for b.Loop() {
			op(0)
		}
		report(b, op, benchl.Hot)
	})
	b.Run("random-flows-10k-NICs", func(b *testing.B) {
		b.ReportAllocs()
		r := rand.New(rand.NewPCG(1, 2))
		nics := make([]simulate.NIC, 4096)
		for i := range nics {
			nics[i] = e.NICAt(r.IntN(e.NumNICs()))
		}
		op := func(i int) { sinkDecision = e.Classify(nics[i&4095], dsts[(i*7)&4095], ipproto.TCP, 443) }
		i := 0
		for b.Loop() {
			op(i)
			i++
		}
		report(b, op, benchl.Rand)
	})
	b.Run("Trace-full-explanation", func(b *testing.B) {
		b.ReportAllocs()
		f := simulate.Flow{From: "nic-1-0-0", To: hot, Port: 443}
		for b.Loop() {
			if _, err := e.Trace(f); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCompile compiles the engine of the 10,000-NIC / 100-subnet
// network, built once (its route tables, NSGs and scopes compiled by
// topology): what simulate.Compile itself costs, and the heap the engine
// adds per NIC.
func BenchmarkCompile(b *testing.B) {
	r := rand.New(rand.NewPCG(42, 42))
	m := genNetwork(r, 50, 100)
	n, err := m.Network(defaultTagsMust())
	require.NoError(b, err)
	b.ReportAllocs()
	var e *simulate.Engine
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		e = simulate.Compile(n, simulate.Options{})
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(e.NumNICs()), "ns/NIC")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(e.NumNICs()), "heap-B/NIC")
	runtime.KeepAlive(e)
}

func TestNoAllocs(t *testing.T) {
	e := defaultEngine(t)
	for _, tc := range []struct {
		from, to string
		want     simulate.Verdict
	}{
		{"vm-batch-01-nic", "52.1.2.3", simulate.Allowed},    // NAT gateway
		{"vm-app-01-nic", "52.1.2.3", simulate.Denied},       // through the firewall, its policy denies
		{"vm-app-01-nic", "10.1.2.4", simulate.Allowed},      // VNet-local, inbound NSG
		{"vm-data-01-nic", "52.1.2.3", simulate.Denied},      // NSG deny
		{"vm-partner-01-nic", "10.1.1.4", simulate.Dropped},  // None route
		{"vm-app-01-nic", "168.63.129.16", simulate.Allowed}, // platform
	} {
		h, err := e.NIC(tc.from)
		require.NoError(t, err)
		dst := netip.MustParseAddr(tc.to)
		allocs := testing.AllocsPerRun(1000, func() {
			if d := e.Classify(h, dst, ipproto.TCP, 443); d.Verdict != tc.want {
				panic(fmt.Sprintf("%s -> %s: %v", tc.from, tc.to, d.Verdict))
			}
		})
		if allocs != 0 {
			t.Errorf("Classify(%s -> %s) allocates %v times, want 0", tc.from, tc.to, allocs)
		}
	}
	// Through an NVA in the hub and on into a peered spoke that accepts
	// forwarded traffic (the peering check happens on this path).
	fe := engine(t, nvaIntoPeerDesign, simulate.Options{})
	hf, err := fe.NIC("vm-a")
	require.NoError(t, err)
	dstB := netip.MustParseAddr("10.9.1.4")
	if d := fe.Classify(hf, dstB, ipproto.TCP, 443); d.Verdict != simulate.Allowed || d.Hops != 1 {
		t.Fatalf("vm-a -> vm-b: %s", fe.Explain(d))
	}
	if allocs := testing.AllocsPerRun(1000, func() { sinkDecision = fe.Classify(hf, dstB, ipproto.TCP, 443) }); allocs != 0 {
		t.Errorf("Classify(NVA -> peered VNet) allocates %v times, want 0", allocs)
	}
	// The paths issue 9 added: forced tunnelling to a default site, a
	// StandardV2 NAT gateway carrying ping, and a firewall that never SNATs.
	for _, tc := range []struct {
		design, from, to string
		proto            ipproto.Proto
		want             simulate.Reason
	}{
		{defaultSiteDesign, "vm-mid", "52.1.2.3", ipproto.TCP, simulate.ReasonGateway},
		{natDesign("Standard", "  - {name: nat-vnet, sku: StandardV2, vnet: vnet, publicIps: [pip-vnet, pip-vnet6]}\n"), "vm-inherit", "52.1.2.3", ipproto.ICMP, simulate.ReasonInternet},
		{natDesign("Standard", ""), "vm-own", "52.1.2.3", ipproto.ESP, simulate.ReasonProtocolNotSupported},
		{withFirewallPolicy(hubSpokeWith("rt-fw", "true"), neverSNATPolicy), "vm1", "52.1.2.3", ipproto.UDP, simulate.ReasonFirewallNoSNAT},
	} {
		e := engine(t, tc.design, simulate.Options{})
		h, err := e.NIC(tc.from)
		require.NoError(t, err)
		dst := netip.MustParseAddr(tc.to)
		port := uint16(123)
		if d := e.Classify(h, dst, tc.proto, port); d.Reason != tc.want {
			t.Fatalf("%s -> %s %v: %s, want %v", tc.from, tc.to, tc.proto, e.Explain(d), tc.want)
		}
		if allocs := testing.AllocsPerRun(1000, func() { sinkDecision = e.Classify(h, dst, tc.proto, port) }); allocs != 0 {
			t.Errorf("Classify(%s -> %s %v) allocates %v times, want 0", tc.from, tc.to, tc.proto, allocs)
		}
	}
	// Through the firewall, matched by an application rule on the host name.
	h, _ := e.NIC("vm-app-01-nic")
	dst := netip.MustParseAddr("52.1.2.3")
	allocs := testing.AllocsPerRun(1000, func() {
		if d := e.ClassifyHost(h, dst, ipproto.TCP, 443, "api.partner.example"); d.Method != simulate.MethodAzureFirewall {
			panic(e.Explain(d))
		}
	})
	if allocs != 0 {
		t.Errorf("ClassifyHost allocates %v times, want 0", allocs)
	}
}

// nvaIntoPeerDesign: spoke-a sends 10.9.0.0/16 to an NVA in the hub, which
// reaches spoke-b over its peering; spoke-b accepts forwarded traffic.
const nvaIntoPeerDesign = `egress: v1
location: eastus
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets: [{name: nva, prefix: 10.0.2.0/24}]
    peerings: [{remote: spoke-a, allowForwardedTraffic: true}, {remote: spoke-b, allowForwardedTraffic: true}]
  - name: spoke-a
    addressSpace: [10.8.0.0/16]
    subnets: [{name: s, prefix: 10.8.1.0/24, routeTable: rt-a}]
    peerings: [{remote: hub, allowForwardedTraffic: true}]
  - name: spoke-b
    addressSpace: [10.9.0.0/16]
    subnets: [{name: s, prefix: 10.9.1.0/24}]
    peerings: [{remote: hub, allowForwardedTraffic: true}]
routeTables:
  - name: rt-a
    routes: [{name: to-b, prefix: 10.9.0.0/16, nextHop: VirtualAppliance, ip: 10.0.2.4}]
nics:
  - {name: nva, subnet: hub/nva, ip: 10.0.2.4, ipForwarding: true}
  - {name: vm-a, subnet: spoke-a/s, ip: 10.8.1.4}
  - {name: vm-b, subnet: spoke-b/s, ip: 10.9.1.4}
`
