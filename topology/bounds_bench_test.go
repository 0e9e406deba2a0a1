package topology_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// hostileRoutes is a route table of n routes, each with a problem of its own
// (an appliance address out of range), as a generated file may have.
func hostileRoutes(n int) *topology.Model {
	rt := &topology.RouteTable{Meta: topology.Meta{ID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/routeTables/rt", Name: "rt"}}
	for i := range n {
		rt.Routes = append(rt.Routes, route.UserRoute{Name: fmt.Sprintf("r%d", i), AddressPrefix: fmt.Sprintf("10.%d.%d.0/24", i>>8&255, i&255),
			NextHopType: "VirtualAppliance", NextHopIPAddress: fmt.Sprintf("10.0.0.%d", 256+i)})
		rt.RoutePos = append(rt.RoutePos, topology.Pos{File: "rt.yaml", Line: 4 + i, Col: 9})
	}
	return &topology.Model{RouteTables: []*topology.RouteTable{rt}}
}

// manySubnets is one VNet of n /29 subnets that do not overlap.
func manySubnets(n int) *topology.Model {
	v := &topology.VNet{Meta: topology.Meta{ID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v", Name: "v"},
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for i := range n {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 13), byte(i >> 5), byte(i << 3)})
		v.Subnets = append(v.Subnets, &topology.Subnet{Meta: topology.Meta{ID: topology.Ref(fmt.Sprintf("%s/subnets/s%d", v.ID, i)), Name: fmt.Sprintf("s%d", i)},
			VNet: v, Prefixes: []netip.Prefix{netip.PrefixFrom(a, 29)}})
	}
	return &topology.Model{VNets: []*topology.VNet{v}}
}

// reportPerItem reports the time per item, and per item in units of L_hot
// measured in the same run (internal/benchl).
func reportPerItem(b *testing.B, items int, unit string) {
	const calls = 1 << 20
	start := time.Now()
	for range calls {
		benchl.Hot(0)
	}
	l := float64(time.Since(start).Nanoseconds()) / calls
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(items)
	b.ReportMetric(per, "ns/"+unit)
	b.ReportMetric(per/l, "x-L/"+unit)
}

// BenchmarkValidateHostileRoutes validates a route table of 20,000 routes
// that all have a problem: each problem's position is found by its route's
// index (it was a search over all routes, 96 s). Target: under 1 s.
func BenchmarkValidateHostileRoutes(b *testing.B) {
	n := 20000
	m := hostileRoutes(n)
	for b.Loop() {
		if err := m.Validate(nil); err == nil {
			b.Fatal("no problems")
		}
	}
	reportPerItem(b, n, "route")
}

// BenchmarkValidateSubnets validates one VNet of 100,000 subnets (over
// Azure's 3,000, which is reported): the overlap check sorts the prefixes
// once (it compared every pair and did not finish in 120 s). Target: under
// 2 s.
func BenchmarkValidateSubnets(b *testing.B) {
	n := 100000
	m := manySubnets(n)
	for b.Loop() {
		if err := m.Validate(nil); err == nil {
			b.Fatal("no problems")
		}
	}
	reportPerItem(b, n, "subnet")
}
