// Package benchl is the calibration unit of the project's benchmarks
// (../shared/spec/perf.md): L, one bart lookup on a table of 400 random IPv4
// prefixes plus 0.0.0.0/0, and the ratio of a target's cost to it measured
// in the same run. Every package's benchmarks report against this one table,
// so their "xL" figures compare.
package benchl

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/gaissmai/bart"
)

// NumProbes is the number of probe addresses [Table] returns.
const NumProbes = 16384

type calibration struct {
	tbl    *bart.Table[int]
	inside []netip.Addr // addresses inside the table's prefixes; inside[0] is the hot one
	random []netip.Addr // uniformly random addresses
}

// cal is built when the package loads (a few milliseconds), so that the
// operations below are a bare lookup, with nothing to check first.
var cal = build()

func build() *calibration {
	r := rand.New(rand.NewPCG(400, 400))
	// perf.md §6: prefix lengths weighted as in real route tables.
	weights := []struct{ bits, n int }{{8, 2}, {10, 1}, {12, 2}, {14, 2}, {16, 10}, {18, 4}, {20, 6}, {22, 8},
		{23, 4}, {24, 20}, {25, 4}, {26, 6}, {27, 6}, {28, 6}, {29, 3}, {30, 2}, {32, 4}}
	var lens []int
	for _, w := range weights {
		for range w.n {
			lens = append(lens, w.bits)
		}
	}
	c := &calibration{tbl: new(bart.Table[int])}
	c.tbl.Insert(netip.MustParsePrefix("0.0.0.0/0"), 0)
	var ps []netip.Prefix
	for c.tbl.Size() < 401 {
		p := netip.PrefixFrom(addr4(r.Uint32()), lens[r.IntN(len(lens))]).Masked()
		c.tbl.Insert(p, c.tbl.Size())
		ps = append(ps, p)
	}
	for range NumProbes {
		p := ps[r.IntN(len(ps))]
		host := uint32(0)
		if p.Bits() < 32 {
			host = r.Uint32() & (1<<(32-p.Bits()) - 1)
		}
		b := p.Addr().As4()
		c.inside = append(c.inside, addr4(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])|host))
		c.random = append(c.random, addr4(r.Uint32()))
	}
	return c
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// Table returns the calibration table, built once, and NumProbes addresses
// inside its prefixes; the first is the hot address of [Hot].
func Table() (*bart.Table[int], []netip.Addr) { return cal.tbl, cal.inside }

// Random returns NumProbes uniformly random IPv4 addresses, the addresses
// of [Rand].
func Random() []netip.Addr { return cal.random }

// Sink receives the lookups' results, so that the compiler keeps them.
var Sink int

// Hot is one L_hot: a lookup of the same address every call. Its argument
// is ignored; it has the shape of a [Ratio] operation.
func Hot(int) {
	v, _ := cal.tbl.Lookup(cal.inside[0])
	Sink += v
}

// Inside is one lookup of the i-th address inside the table's prefixes
// (cyclically).
func Inside(i int) {
	v, _ := cal.tbl.Lookup(cal.inside[i&(NumProbes-1)])
	Sink += v
}

// Rand is one L_rand: a lookup of the i-th random address (cyclically).
func Rand(i int) {
	v, _ := cal.tbl.Lookup(cal.random[i&(NumProbes-1)])
	Sink += v
}

// Ratio returns the cost of target in units of base (typically [Hot] or
// [Rand]): they run in 41 interleaved rounds of n calls each, both through
// a function value so that the call costs the same, given the call's index, and the median of the per-round ratios is returned, which
// keeps the figure honest on a shared machine whose speed drifts.
// testing.Benchmark cannot run inside a benchmark, hence this.
func Ratio(n int, target, base func(i int)) float64 {
	ratios := make([]float64, 0, 41)
	for range 41 {
		start := time.Now()
		for i := range n {
			base(i)
		}
		b := time.Since(start)
		start = time.Now()
		for i := range n {
			target(i)
		}
		ratios = append(ratios, float64(time.Since(start))/float64(b))
	}
	slices.Sort(ratios)
	return ratios[len(ratios)/2]
}

// chaseLen is the number of slots of the pointer chase of [Chase]: 16 MiB
// of uint32 indices (../shared/spec/perf.md: M, one dependent load in a
// 16 MiB random pointer chase).
const chaseLen = 16 << 20 / 4

// chase is a single random cycle through chaseLen slots (Sattolo's
// algorithm), built on first use: each load's address is the previous
// load's value, so loads cannot overlap and each misses the caches.
var chase = struct {
	next []uint32
	at   uint32
}{}

func buildChase() {
	r := rand.New(rand.NewPCG(16, 16))
	next := make([]uint32, chaseLen)
	for i := range next {
		next[i] = uint32(i)
	}
	for i := chaseLen - 1; i > 0; i-- {
		j := r.IntN(i)
		next[i], next[j] = next[j], next[i]
	}
	chase.next = next
}

// Chase is one M: a dependent load in a 16 MiB random pointer chase. Its
// argument is ignored; it has the shape of a [Ratio] operation. The first
// call builds the chase (64 ms or so); call it once before measuring.
func Chase(int) {
	if chase.next == nil {
		buildChase()
	}
	chase.at = chase.next[chase.at]
}
