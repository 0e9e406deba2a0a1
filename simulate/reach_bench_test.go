package simulate_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

// reachTags are real service tags the benchmark's rules and routes name.
var reachTags = []string{"AzureCloud", "Storage", "Sql", "AzureMonitor", "AppService", "EventHub", "AzureActiveDirectory",
	"AzureKeyVault", "AzureCloud.eastus", "Storage.EastUS"}

// reachNSG is bigNSG with a service tag as destination in every 50th rule
// (the tags' prefixes, thousands, are then boundaries with port cuts).
func reachNSG(name string, n int) *topology.NSG {
	g := bigNSG(name, n)
	for i := range g.Rules {
		if i%50 == 0 {
			g.Rules[i].DestinationAddressPrefix = reachTags[i/50%len(reachTags)]
		}
	}
	return g
}

// reachBenchWorld is the benchmark network of issue 14: one NIC behind two
// 1,000-rule NSGs (a NIC NSG and a subnet NSG, in 100.64/10 and on service
// tags) and a 1,000-route table (UDRs to the internet, to None and to the
// hub firewall, /16 to /28, and service-tag routes), compiled with the full
// embedded service-tag file, in a hub-and-spoke network with a firewall.
var reachBenchWorld = sync.OnceValues(func() (*simulate.Engine, error) {
	r := rand.New(rand.NewPCG(14, 14))
	m := genNetwork(r, 4, 2)
	big1, big2 := reachNSG("big1", 1000), reachNSG("big2", 1000)
	m.NSGs = append(m.NSGs, big1, big2)
	// 399 UDRs and a default route (Azure's limit is 400 per route table),
	// ten of them to service tags, plus 600 BGP routes the hub's gateway
	// learned, which spoke0 gets over gateway transit: 1,000 routes that are
	// not system routes.
	rt := &topology.RouteTable{Meta: topology.Meta{ID: "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/routeTables/rt-reach-bench", Name: "rt-reach-bench"}}
	pfx := func(i int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(40 + i%60), byte(i / 60 % 256), byte(i * 7 % 256), 0}), 16+i%13).Masked()
	}
	for i := range 399 {
		ur := route.UserRoute{Name: fmt.Sprintf("r%d", i), AddressPrefix: pfx(i).String()}
		switch i % 3 {
		case 0:
			ur.NextHopType = "Internet"
		case 1:
			ur.NextHopType = "None"
		default:
			ur.NextHopType, ur.NextHopIPAddress = "VirtualAppliance", "10.0.1.4"
		}
		if i < len(reachTags) {
			ur.AddressPrefix = reachTags[i]
		}
		rt.Routes = append(rt.Routes, ur)
	}
	rt.Routes = append(rt.Routes, route.UserRoute{Name: "default", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"})
	for _, g := range m.Gateways {
		for i := range 600 {
			g.LearnedRoutes = append(g.LearnedRoutes, route.GatewayRoute{Gateway: g.Name, Prefix: pfx(1000 + i), NextHops: []netip.Addr{g.PrivateIPs[0]}})
		}
	}
	m.RouteTables = append(m.RouteTables, rt)
	for _, v := range m.VNets {
		if v.Name == "spoke0" {
			v.Subnets[0].NSG, v.Subnets[0].RouteTable = big2.ID, rt.ID
			v.Peerings[0].UseRemoteGateways = true
		}
	}
	for _, n := range m.NICs {
		if n.Name == "nic-0-0-0" {
			n.NSG = big1.ID
		}
	}
	v := m.Check(defaultTagsMust())
	if len(v.Errors) > 0 {
		return nil, fmt.Errorf("%v", v.Errors)
	}
	return compile(m, defaultTagsMust(), simulate.Options{})
})

// BenchmarkReach builds the egress map of the benchmark NIC (reachBenchWorld),
// reporting the classes, the atomic classes walked, and the cost as a ratio
// to L_hot measured in the same run (x-L: a median of interleaved rounds).
func BenchmarkReach(b *testing.B) {
	e, err := reachBenchWorld()
	require.NoError(b, err)
	h, err := e.NIC("nic-0-0-0")
	require.NoError(b, err)
	var m *simulate.EgressMap
	b.ReportAllocs()
	for b.Loop() {
		m = e.Reach(h)
	}
	b.ReportMetric(float64(len(m.Classes)), "classes")
	b.ReportMetric(float64(m.Atomic), "atomic")
	b.ReportMetric(float64(m.Walks), "walks")
	b.ReportMetric(float64(m.Boundaries), "boundaries")
	b.ReportMetric(reachRatio(func() { e.Reach(h) }), "x-L")
}

// reachRatio is the cost of op in units of L_hot: 7 rounds, each timing op
// once and 1,000,000 L_hot lookups, the median of the ratios.
func reachRatio(op func()) float64 {
	const n = 1_000_000
	var ratios []float64
	for range 7 {
		start := time.Now()
		for i := range n {
			benchl.Hot(i)
		}
		l := float64(time.Since(start)) / n
		start = time.Now()
		op()
		ratios = append(ratios, float64(time.Since(start))/l)
	}
	slices.Sort(ratios)
	return ratios[len(ratios)/2]
}

// TestReachBenchWorld checks that the benchmark's network is what it says:
// the NIC's egress map meets both 1,000-rule NSGs, its 1,000 routes and the
// service tags (their rules deny on their ports, inside the tags).
func TestReachBenchWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the benchmark network")
	}
	e, err := reachBenchWorld()
	require.NoError(t, err)
	h, err := e.NIC("nic-0-0-0")
	require.NoError(t, err)
	require.Empty(t, e.Unknowns(), "the benchmark network is all known")
	require.True(t, strings.HasSuffix(h.Routes().RouteTable(), "/rt-reach-bench"), h.Routes().RouteTable())
	users, bgp := 0, 0
	for _, rt := range h.Routes().Routes() {
		switch rt.Source() {
		case route.SourceUser:
			users++
		case route.SourceGateway:
			bgp++
		}
	}
	require.GreaterOrEqual(t, users+bgp, 1000, "UDRs (one per tag prefix) and BGP routes")
	require.Equal(t, 503, h.Classifier().Group(nsg.StageNIC).Len(nsg.Outbound), "500 outbound rules and the 3 defaults")
	require.Equal(t, 503, h.Classifier().Group(nsg.StageSubnet).Len(nsg.Outbound))
	m := e.Reach(h)
	t.Logf("%d classes, %d atomic, %d boundaries", len(m.Classes), m.Atomic, m.Boundaries)
	denied := m.Where(func(c *simulate.ReachClass) bool { return c.Decision.Verdict == simulate.Denied })
	require.NotEmpty(t, denied)
	// The rows reused by signature are those a walk of every class gives.
	every := simulate.ReachHostEvery(e, h, "")
	require.Less(t, m.Walks, every.Walks/10)
	m.Walks = every.Walks
	require.Equal(t, every, m)
}
