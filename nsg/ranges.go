package nsg

import (
	"net/netip"
	"slices"

	"github.com/gaissmai/bart"
	"go4.org/netipx"
)

// ranges4 is the IPv4 part of a partition's longest-prefix-match table as
// sorted intervals of constant value, searched as scope4 is: bucket[b] is
// the interval holding the first address whose top byte is b, and a binary
// search between bucket[b] and bucket[b+1] finds an address's interval. A
// /8 with more than denseSpan intervals (Azure's service tags crowd a few)
// has a second level by the next byte, so that no search spans more than a
// few cache lines.
// On the flattened outbound path (OutPath) it replaces the bart lookup:
// a few loads of adjacent words against a walk down the trie's nodes
// through interface values, a fraction of the instructions, so that more
// lookups of different flows fit in the processor's window at once
// (Engine.ClassifyBatch). A miss in the table is value 0, as for the
// partitions' bart tables.
type ranges4 struct {
	starts []uint32 // starts[0] is 0; the intervals cover the space
	vals   []uint32 // the value of each interval
	bucket *[257]uint32
	dense  *[256]int32   // index into subs of the /8's second level, or -1
	subs   [][257]uint32 // by the second byte, as bucket
}

// denseSpan is the most intervals a /8 is searched in without a second
// level.
const denseSpan = 16

// newRanges4 flattens the IPv4 prefixes of t: the value is constant between
// two consecutive prefix boundaries, and is t's answer for the first
// address.
func newRanges4(t *bart.Table[uint32]) *ranges4 {
	cuts := []uint32{0}
	for p := range t.All4() {
		r := netipx.RangeOfPrefix(p)
		cuts = append(cuts, addr4(r.From()))
		if hi := addr4(r.To()); hi != 0xffffffff {
			cuts = append(cuts, hi+1)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	r := &ranges4{bucket: new([257]uint32)}
	for _, c := range cuts {
		v, _ := t.Lookup(netip.AddrFrom4([4]byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)}))
		if n := len(r.vals); n > 0 && r.vals[n-1] == v {
			continue
		}
		r.starts = append(r.starts, c)
		r.vals = append(r.vals, v)
	}
	r.starts, r.vals = slices.Clip(r.starts), slices.Clip(r.vals)
	k := 0
	for b := range 256 {
		for k+1 < len(r.starts) && r.starts[k+1] <= uint32(b)<<24 {
			k++
		}
		r.bucket[b] = uint32(k)
	}
	r.bucket[256] = uint32(len(r.starts) - 1)
	r.dense = new([256]int32)
	for b := range 256 {
		r.dense[b] = -1
		lo, hi := int(r.bucket[b]), int(r.bucket[b+1])
		if hi-lo <= denseSpan {
			continue
		}
		var sub [257]uint32
		k := lo
		for b2 := range 256 {
			first := uint32(b)<<24 | uint32(b2)<<16
			for k+1 <= hi && r.starts[k+1] <= first {
				k++
			}
			sub[b2] = uint32(k)
		}
		sub[256] = uint32(hi)
		r.dense[b] = int32(len(r.subs))
		r.subs = append(r.subs, sub)
	}
	return r
}

// lookup returns the value of IPv4 address a (as a big-endian uint32).
func (r *ranges4) lookup(a uint32) uint32 {
	b := a >> 24
	lo, hi := int(r.bucket[b]), int(r.bucket[b+1]) // starts[lo] <= a; a's interval is at most hi
	if i := r.dense[b]; i >= 0 {
		sub := &r.subs[i]
		b2 := a >> 16 & 0xff
		lo, hi = int(sub[b2]), int(sub[b2+1])
	}
	// The largest i in [lo, hi] with starts[i] <= a, by halving a span of
	// fixed length: the loop runs a number of times the span decides, and
	// each step is arithmetic, not a branch the address decides
	// (a mispredicted branch costs more than the whole search's loads).
	st := r.starts
	for n := hi - lo + 1; n > 1; {
		half := n >> 1
		lo += half &^ int((int64(a)-int64(st[lo+half]))>>63) // + half if starts[lo+half] <= a
		n -= half
	}
	return r.vals[lo]
}

// lookupAddr is lookup for IPv4 addresses and t's for the others.
func (r *ranges4) lookupAddr(t *bart.Table[uint32], a netip.Addr) uint32 {
	if a.Is4() {
		return r.lookup(addr4(a))
	}
	v, _ := t.Lookup(a)
	return v
}
