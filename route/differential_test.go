package route_test

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/egresslab/egress/internal/routeref"
	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/require"
)

// answer converts a compiled Lookup into the reference's terms.
func answer(m route.Match) routeref.Answer {
	a := routeref.Answer{Prefix: m.Prefix(), Type: m.NextHopType(), NextHops: m.AppendNextHops(nil)}
	for i := range m.NumRoutes() {
		r := m.Route(i)
		a.Routes = append(a.Routes, routeref.Describe(r.Source(), r.Name(), r.Origin(), r.Prefix()))
	}
	slices.SortFunc(a.NextHops, netip.Addr.Compare)
	slices.Sort(a.Routes)
	return a
}

// checkAgainstReference compares Lookup with the linear-scan twin for every
// probe address and asserts that the routes used are Active.
func checkAgainstReference(t *testing.T, cfg route.Config, dsts []netip.Addr) {
	t.Helper()
	tb, err := route.Compile(cfg)
	require.NoError(t, err)
	ref := routeref.New(cfg)
	for _, dst := range dsts {
		want, wok := ref.Lookup(dst)
		m, ok := tb.Lookup(dst)
		require.Equal(t, wok, ok, "Lookup(%v) found", dst)
		if !ok {
			continue
		}
		got := answer(m)
		require.Equal(t, want.String(), got.String(), "Lookup(%v)", dst)
		for i := range m.NumRoutes() {
			require.Equal(t, route.Active, m.Route(i).State(), "route used for %v is listed Invalid", dst)
		}
	}
}

func TestDifferentialRandom(t *testing.T) {
	configs, probes, routes := 300, 300, 600
	if testing.Short() {
		configs, probes, routes = 60, 100, 300
	}
	g := &routeref.Gen{R: rand.New(rand.NewPCG(1, 2)), Routes: routes}
	for range configs {
		cfg, pfxs := g.Config()
		dsts := make([]netip.Addr, 0, probes)
		for range probes {
			if g.R.IntN(5) == 0 {
				dsts = append(dsts, g.Addr(netip.MustParsePrefix("0.0.0.0/0")))
				continue
			}
			p := pfxs[g.R.IntN(len(pfxs))]
			dsts = append(dsts, g.Addr(p), p.Addr()) // inside, and the first address
		}
		checkAgainstReference(t, cfg, dsts)
	}
}

// TestDifferentialBigTables runs a few tables with thousands of gateway routes.
func TestDifferentialBigTables(t *testing.T) {
	n, probes := 5000, 5000
	if testing.Short() {
		n, probes = 2000, 1000
	}
	g := &routeref.Gen{R: rand.New(rand.NewPCG(3, 4)), Routes: n}
	for range 3 {
		cfg, pfxs := g.Config()
		var dsts []netip.Addr
		for range probes {
			dsts = append(dsts, g.Addr(pfxs[g.R.IntN(len(pfxs))]))
		}
		checkAgainstReference(t, cfg, dsts)
	}
}

// FuzzLookup drives the random generator from the fuzzer's seed and compares
// the compiled table with the reference on fuzzer-chosen addresses.
func FuzzLookup(f *testing.F) {
	f.Add(uint64(1), uint64(2), []byte{10, 1, 2, 3})
	f.Add(uint64(7), uint64(9), []byte{20, 38, 0, 1, 0xfd, 0, 0, 1})
	f.Add(uint64(42), uint64(0), []byte{})
	f.Fuzz(func(t *testing.T, s1, s2 uint64, raw []byte) {
		g := &routeref.Gen{R: rand.New(rand.NewPCG(s1, s2)), Routes: 200}
		cfg, pfxs := g.Config()
		var dsts []netip.Addr
		for i := 0; i+4 <= len(raw) && i < 64; i += 4 {
			dsts = append(dsts, netip.AddrFrom4([4]byte(raw[i:i+4])))
		}
		if len(raw) >= 16 {
			dsts = append(dsts, netip.AddrFrom16([16]byte(raw[:16])))
		}
		for _, p := range pfxs[:min(len(pfxs), 50)] {
			dsts = append(dsts, g.Addr(p))
		}
		checkAgainstReference(t, cfg, dsts)
	})
}
