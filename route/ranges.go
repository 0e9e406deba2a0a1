package route

import (
	"net/netip"
	"slices"
)

// Ranges4 returns the table's IPv4 longest-prefix match as sorted intervals
// of constant answer, for a caller that flattens the table together with
// other partitions of the address space (simulate's Engine.ClassifyBatch
// joins it with the NSGs' context-tag intervals): starts[i] is the first
// address of interval i as a big-endian uint32, starts[0] is 0 and the
// intervals cover the IPv4 space; sel[i] is the [Match.Index] of
// [Table.Lookup]'s answer for every address of interval i ([Table.Selection]
// returns it), or -1 where no route contains the addresses (never, in a
// table with an IPv4 default route). Adjacent intervals have different
// answers. Both slices are freshly allocated.
func (t *Table) Ranges4() (starts []uint32, sel []int32) {
	cuts := []uint32{0}
	for _, g := range t.groups {
		p := g.prefix.Masked()
		if !p.Addr().Is4() {
			continue
		}
		lo := addr4(p.Addr())
		cuts = append(cuts, lo)
		if hi := lo | uint32(uint64(1)<<(32-p.Bits())-1); hi != 0xffffffff {
			cuts = append(cuts, hi+1)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	for _, c := range cuts {
		s := int32(-1)
		if m, ok := t.Lookup(netip.AddrFrom4([4]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})); ok {
			s = int32(m.Index())
		}
		if n := len(sel); n > 0 && sel[n-1] == s {
			continue
		}
		starts, sel = append(starts, c), append(sel, s)
	}
	return starts, sel
}

// addr4 is IPv4 address a as a big-endian uint32.
func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
