package route_test

import (
	"math/rand/v2"
	"net/netip"
	"sort"
	"testing"

	"github.com/egresslab/egress/internal/routeref"
	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/require"
)

// checkRanges4 holds Ranges4 to Lookup: the intervals start at 0, are
// sorted, differ from their neighbours, and give Lookup's selection for
// every probe and for the first and last address of every interval.
func checkRanges4(t *testing.T, tb *route.Table, probes []netip.Addr) {
	t.Helper()
	starts, sel := tb.Ranges4()
	require.Len(t, sel, len(starts))
	require.NotEmpty(t, starts)
	require.Zero(t, starts[0], "the first interval starts at 0.0.0.0")
	for i := 1; i < len(starts); i++ {
		require.Less(t, starts[i-1], starts[i], "interval %d", i)
		require.NotEqual(t, sel[i-1], sel[i], "intervals %d and %d have the same answer", i-1, i)
	}
	want := func(a uint32) int32 {
		m, ok := tb.Lookup(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}))
		if !ok {
			return -1
		}
		return int32(m.Index())
	}
	got := func(a uint32) int32 {
		return sel[sort.Search(len(starts), func(i int) bool { return starts[i] > a })-1]
	}
	for i, s := range starts {
		require.Equal(t, want(s), sel[i], "first address of interval %d", i)
		last := uint32(0xffffffff)
		if i+1 < len(starts) {
			last = starts[i+1] - 1
		}
		require.Equal(t, want(last), sel[i], "last address of interval %d", i)
	}
	for _, p := range probes {
		if p.Is4() {
			b := p.As4()
			a := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			require.Equal(t, want(a), got(a), "%v", p)
		}
	}
}

// TestRanges4 runs checkRanges4 on the reference generator's random
// tables (gateway routes, peerings, service-tag routes, IPv6) and on one
// without an IPv4 default route.
func TestRanges4(t *testing.T) {
	configs := 200
	if testing.Short() {
		configs = 40
	}
	g := &routeref.Gen{R: rand.New(rand.NewPCG(5, 6)), Routes: 300}
	for range configs {
		cfg, pfxs := g.Config()
		tb, err := route.Compile(cfg)
		require.NoError(t, err)
		var probes []netip.Addr
		for range 200 {
			probes = append(probes, g.Addr(pfxs[g.R.IntN(len(pfxs))]), g.Addr(netip.MustParsePrefix("0.0.0.0/0")))
		}
		checkRanges4(t, tb, probes)
	}
}

// FuzzRanges4 is TestRanges4 on fuzzer-chosen seeds and addresses.
func FuzzRanges4(f *testing.F) {
	f.Add(uint64(1), uint64(2), []byte{10, 1, 2, 3, 255, 255, 255, 255})
	f.Fuzz(func(t *testing.T, s1, s2 uint64, raw []byte) {
		g := &routeref.Gen{R: rand.New(rand.NewPCG(s1, s2)), Routes: 100}
		cfg, _ := g.Config()
		tb, err := route.Compile(cfg)
		require.NoError(t, err)
		var probes []netip.Addr
		for i := 0; i+4 <= len(raw) && i < 256; i += 4 {
			probes = append(probes, netip.AddrFrom4([4]byte(raw[i:i+4])))
		}
		checkRanges4(t, tb, probes)
	})
}
