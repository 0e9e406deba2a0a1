package route_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"

	"github.com/egresslab/egress/route"
	"github.com/gaissmai/bart"
)

// benchTable builds a table of about n routes: up to 400 user routes (the
// Azure limit), the rest gateway (BGP) routes, with realistic prefix lengths.
func benchConfig(n int) route.Config {
	r := rand.New(rand.NewPCG(uint64(n), 99))
	cfg := route.Config{Name: "bench", AddressSpace: []netip.Prefix{pfx("10.1.0.0/16")}}
	prefix := func() netip.Prefix {
		// Mostly /24, some /16../23 and longer, as in a real BGP table.
		bits := []int{8, 12, 16, 19, 20, 21, 22, 23, 24, 24, 24, 24, 24, 24, 28, 32}[r.IntN(16)]
		v := r.Uint32()
		p, _ := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).Prefix(bits)
		return p
	}
	seen := map[netip.Prefix]bool{}
	rt := &route.RouteTable{Name: "rt"}
	for len(rt.Routes) < min(n, route.DefaultMaxRoutes) {
		p := prefix()
		if seen[p] {
			continue
		}
		seen[p] = true
		rt.Routes = append(rt.Routes, route.UserRoute{Name: fmt.Sprintf("r%d", len(rt.Routes)), AddressPrefix: p.String(),
			NextHopType: "VirtualAppliance", NextHopIPAddress: "10.1.0.4"})
	}
	rt.Routes = append(rt.Routes[:len(rt.Routes)-1], route.UserRoute{Name: "default", AddressPrefix: "0.0.0.0/0",
		NextHopType: "VirtualAppliance", NextHopIPAddress: "10.1.0.4"})
	cfg.RouteTable = rt
	gw := []netip.Addr{ip("10.1.255.4")}
	for len(cfg.GatewayRoutes) < n-len(rt.Routes) {
		p := prefix()
		if seen[p] {
			continue
		}
		seen[p] = true
		cfg.GatewayRoutes = append(cfg.GatewayRoutes, route.GatewayRoute{Gateway: "gw", Prefix: p, NextHops: gw})
	}
	return cfg
}

var benchTables sync.Map // size → *benchFixture

type benchFixture struct {
	table *route.Table
	raw   *bart.Table[uint32] // the same prefixes in a raw bart table: the baseline
	dsts  []netip.Addr
}

func fixture(b *testing.B, n int) *benchFixture {
	if f, ok := benchTables.Load(n); ok {
		return f.(*benchFixture)
	}
	tb, err := route.Compile(benchConfig(n))
	if err != nil {
		b.Fatal(err)
	}
	f := &benchFixture{table: tb, raw: new(bart.Table[uint32])}
	for i, r := range tb.Routes() {
		f.raw.Insert(r.Prefix(), uint32(i))
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range 4096 {
		v := r.Uint32()
		f.dsts = append(f.dsts, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}))
	}
	benchTables.Store(n, f)
	return f
}

var sinkMatch route.Match

// BenchmarkLookup measures Table.Lookup on random IPv4 destinations next to
// its baseline, a raw bart.Table.Lookup over the same prefixes and
// destinations with the same loop ("bart" sub-benchmark, run first), and
// reports the ratio of the two ("x-bart").
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 400, 10_000, 1_000_000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			if n >= 1_000_000 && testing.Short() {
				b.Skip("1M-route table skipped in -short")
			}
			f := fixture(b, n)
			var rawNs float64
			b.Run("bart", func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					sinkU32, _ = f.raw.Lookup(f.dsts[i&4095])
					i++
				}
				rawNs = float64(b.Elapsed().Nanoseconds()) / float64(i)
			})
			b.Run("route", func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					sinkMatch, _ = f.table.Lookup(f.dsts[i&4095])
					i++
				}
				if rawNs > 0 {
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i)/rawNs, "x-bart")
				}
			})
		})
	}
}

var sinkU32 uint32

// BenchmarkCompile measures building a table from a Config (target: a
// 400-route table under 1 ms).
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{10, 400, 10_000} {
		cfg := benchConfig(n)
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := route.Compile(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestNoAllocs(t *testing.T) {
	cfg := benchConfig(400)
	cfg.GatewayRoutes = append(cfg.GatewayRoutes,
		route.GatewayRoute{Gateway: "rs", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.1.9.4")}},
		route.GatewayRoute{Gateway: "rs", Prefix: pfx("172.30.0.0/16"), NextHops: []netip.Addr{ip("10.1.9.5")}})
	tb := mustCompile(t, cfg)
	dsts := []netip.Addr{ip("10.1.2.3"), ip("8.8.8.8"), ip("172.30.1.1"), ip("::ffff:1.2.3.4")}
	for _, dst := range dsts {
		allocs := testing.AllocsPerRun(1000, func() {
			m, ok := tb.Lookup(dst)
			if !ok || m.NumRoutes() == 0 || !m.NextHopType().IsValid() {
				panic("Lookup failed")
			}
			_ = m.Route(0).Prefix()
			_ = m.Prefix()
		})
		if allocs != 0 {
			t.Errorf("Lookup(%v) allocates %v times, want 0", dst, allocs)
		}
	}
}
