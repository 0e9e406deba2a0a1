package nsg

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"go4.org/netipx"
)

// TestScope4 holds the IPv4 interval index of a Scope equal to its bart
// table (the slow twin) on random contexts, at every interval boundary and
// its neighbours and at random addresses; some contexts crowd thousands of
// prefixes into one /8 so that the in-bucket binary search is exercised.
func TestScope4(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	randPrefix := func(top int) netip.Prefix {
		v := r.Uint32()
		if top >= 0 {
			v = v&0x00ffffff | uint32(top)<<24
		}
		bits := 8 + r.IntN(25)
		p, _ := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).Prefix(bits)
		return p
	}
	for round := range rounds {
		var c Context
		n := r.IntN(20)
		if round%10 == 0 {
			n = 3000
		}
		top := -1
		if round%2 == 0 {
			top = 10
		}
		for range n {
			switch r.IntN(4) {
			case 0:
				c.AddressSpace = append(c.AddressSpace, randPrefix(top))
			case 1:
				c.Peered = append(c.Peered, randPrefix(top))
			case 2:
				c.Gateway = append(c.Gateway, randPrefix(top))
			default:
				c.UDR = append(c.UDR, randPrefix(-1))
			}
		}
		s, err := CompileContext(c)
		require.NoError(t, err)
		check := func(v uint32) {
			a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
			want, _ := s.tbl.Lookup(a)
			if got := s.mask(a); got != want {
				t.Fatalf("round %d: mask(%v) = %d, bart says %d", round, a, got, want)
			}
			// The partition is membership in the three tags' sets.
			var member uint8
			for k, set := range []*netipx.IPSet{s.vnet, s.internet, s.lb} {
				if set.Contains(a) {
					member |= 1 << k
				}
			}
			if want != member {
				t.Fatalf("round %d: %v is in the tags %03b, the partition says %03b", round, a, member, want)
			}
		}
		for _, st := range s.v4.starts {
			check(st)
			check(st - 1)
			check(st + 1)
		}
		for range 2000 {
			check(r.Uint32())
			check(r.Uint32()&0x00ffffff | 10<<24)
		}
	}
}

// FuzzScope4 holds the IPv4 interval index equal to the bart table for
// contexts and addresses built from fuzzed bytes: each 5-byte group is a
// prefix (4 address bytes, then the length and the Context field).
func FuzzScope4(f *testing.F) {
	f.Add([]byte{10, 1, 0, 0, 16, 10, 2, 0, 0, 0x58}, uint32(0x0a010203))
	f.Add([]byte{0, 0, 0, 0, 0x40}, uint32(0x08080808))
	f.Fuzz(func(t *testing.T, data []byte, probe uint32) {
		var c Context
		for ; len(data) >= 5; data = data[5:] {
			bitsField := int(data[4] & 0x3f)
			if bitsField > 32 {
				bitsField -= 32
			}
			p, err := netip.AddrFrom4([4]byte(data[:4])).Prefix(bitsField)
			if err != nil {
				continue
			}
			switch data[4] >> 6 {
			case 0:
				c.AddressSpace = append(c.AddressSpace, p)
			case 1:
				c.Peered = append(c.Peered, p)
			case 2:
				c.Gateway = append(c.Gateway, p)
			default:
				c.UDR = append(c.UDR, p)
			}
		}
		s, err := CompileContext(c)
		if err != nil {
			t.Fatal(err) // masked prefixes always compile
		}
		probes := []uint32{probe, probe - 1, probe + 1}
		for _, st := range s.v4.starts {
			probes = append(probes, st, st-1)
		}
		for _, v := range probes {
			a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
			want, _ := s.tbl.Lookup(a)
			if got := s.mask(a); got != want {
				t.Fatalf("mask(%v) = %d, bart says %d", a, got, want)
			}
		}
	})
}

// TestScopeContext: a Scope gives back the VirtualNetwork tag's prefixes by
// origin (service-tags-overview: "address prefixes used on user-defined
// routes"; issue #22178), unmapped, as fresh copies.
func TestScopeContext(t *testing.T) {
	c := Context{
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		Peered:       []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")},
		Gateway:      []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")},
		UDR:          []netip.Prefix{netip.MustParsePrefix("::ffff:0.0.0.0/96")},
	}
	s, err := CompileContext(c)
	require.NoError(t, err)
	got := s.Context()
	require.Equal(t, c.AddressSpace, got.AddressSpace)
	require.Equal(t, c.Peered, got.Peered)
	require.Equal(t, c.Gateway, got.Gateway)
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, got.UDR, "IPv4-mapped prefixes are unmapped")
	got.Gateway[0] = netip.MustParsePrefix("1.0.0.0/8")
	require.Equal(t, c.Gateway, s.Context().Gateway, "a fresh copy")
	require.True(t, s.Contains("VirtualNetwork", netip.MustParseAddr("52.0.0.1")), "the UDR 0/0 widened the tag")
	var zero Context
	z, err := CompileContext(zero)
	require.NoError(t, err)
	require.Equal(t, zero, z.Context())
}
