package simulate

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"go4.org/netipx"
)

// TestAppendRangePrefixes holds the IPv4 fast path to netipx on random and
// edge ranges.
func TestAppendRangePrefixes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 4))
	edges := []uint32{0, 1, 2, 255, 256, 1 << 24, 1<<32 - 2, 1<<32 - 1}
	for i := range 20000 {
		var a, b uint32
		if i < len(edges)*len(edges) {
			a, b = edges[i/len(edges)], edges[i%len(edges)]
		} else {
			a, b = r.Uint32(), r.Uint32()
			if i%3 == 0 {
				b = a + r.Uint32N(1000)
			}
		}
		if a > b {
			a, b = b, a
		}
		x := netipx.IPRangeFrom(v4addr(a), v4addr(b))
		require.Equal(t, x.Prefixes(), appendRangePrefixes(nil, x), "%v", x)
		require.Equal(t, len(x.Prefixes()), countRangePrefixes(x), "%v", x)
	}
	x := netipx.IPRangeFrom(netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::ff"))
	require.Equal(t, x.Prefixes(), appendRangePrefixes(nil, x))
}
