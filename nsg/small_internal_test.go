package nsg

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/gaissmai/bart"
	"github.com/stretchr/testify/require"
)

// TestPortIndexSmallAndBucketed holds the inline search of a small port
// index (at most smallPorts intervals) and the bucketed one to a scan, on
// both sides of the threshold.
func TestPortIndexSmallAndBucketed(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{1, 2, 5, smallPorts - 1, smallPorts, smallPorts + 1, 200} {
		set := map[uint16]bool{0: true}
		for len(set) < n {
			set[uint16(r.IntN(65536))] = true
		}
		var starts []uint16
		for s := range set {
			starts = append(starts, s)
		}
		slices.Sort(starts)
		x := indexPorts(starts)
		for p := range 65536 {
			want := 0
			for i, s := range starts {
				if int(s) <= p {
					want = i
				}
			}
			require.Equal(t, want, x.find(uint16(p)), "n=%d port %d", n, p)
		}
	}
}

// TestScope4SmallAndBucketed holds the inline search of a small IPv4 scope
// and the bucketed one to the bart table they are built from.
func TestScope4SmallAndBucketed(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{0, 1, 3, 8, 12, 40, 300} {
		tbl := new(bart.Table[uint8])
		for range n {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), 0}), 8+r.IntN(17)).Masked()
			if _, ok := tbl.LookupPrefix(p); ok {
				continue // keep the prefixes disjoint, as a Scope's are
			}
			overlaps := false
			for q := range tbl.All4() {
				overlaps = overlaps || q.Overlaps(p)
			}
			if !overlaps {
				tbl.Insert(p, uint8(1+r.IntN(7)))
			}
		}
		s := newScope4(tbl)
		require.Equal(t, len(s.starts) <= smallScope, s.n <= smallScope)
		for range 20000 {
			a := netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
			want, _ := tbl.Lookup(a)
			require.Equal(t, want, s.mask(addr4(a)), "%d prefixes, %v", n, a)
		}
	}
}

// TestRanges4: the flattened IPv4 intervals answer as the bart table they
// come from, for nested random prefixes (a miss is 0), at the boundaries
// and between them.
func TestRanges4(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for round := range 50 {
		tbl := new(bart.Table[uint32])
		n := 1 + r.IntN(2000)
		if round%5 == 0 {
			n = r.IntN(4) // tiny tables, the empty one included
		}
		for range n {
			a := r.Uint32()
			if r.IntN(3) == 0 {
				a &= 0xff0fffff // crowd some /8s and /12s
			}
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), r.IntN(33)).Masked()
			tbl.Insert(p, uint32(1+r.IntN(5)))
		}
		rg := newRanges4(tbl)
		var probes []uint32
		for p := range tbl.All4() {
			lo := addr4(p.Addr())
			hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
			probes = append(probes, lo, lo-1, hi, hi+1)
		}
		for range 2000 {
			probes = append(probes, r.Uint32())
		}
		for _, a := range probes {
			addr := netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
			want, _ := tbl.Lookup(addr)
			if got := rg.lookup(a); got != want {
				t.Fatalf("round %d: %v: ranges4 %d, bart %d", round, addr, got, want)
			}
		}
	}
}
