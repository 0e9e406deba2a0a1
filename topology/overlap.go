package topology

import (
	"cmp"
	mathbits "math/bits"
	"net/netip"
	"slices"
)

// Overlap checks in O(n log n). Two prefixes overlap exactly when one
// contains the other, so in a list sorted by address (and, at one address,
// shortest first) the prefixes containing a prefix come before it, as a
// chain, and the prefixes it contains come right after it, as a run. The
// helpers below sweep such a sorted list once with a stack of the open
// (containing) prefixes.

// prefixOrder sorts prefixes by family and address, then shortest first, so
// that every prefix comes after the prefixes containing it.
func prefixOrder(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

// covers reports whether a contains b (equal prefixes contain each other);
// both are masked.
func covers(a, b netip.Prefix) bool { return a.Bits() <= b.Bits() && a.Contains(b.Addr()) }

// ownedPrefix is one prefix of a list whose prefixes belong to owners (the
// subnets of a VNet, say) numbered in input order.
type ownedPrefix struct {
	p     netip.Prefix
	owner int
}

// overlapFinder answers, for each prefix of a list, which prefixes of
// earlier owners overlap it: the pairs Validate reports at the later owner.
// Building it costs O(n log n) for n prefixes; count is O(1) and list costs
// O(log n) plus the chain and run it walks.
type overlapFinder struct {
	items   []ownedPrefix
	masked  []netip.Prefix // the items' prefixes, masked; invalid ones overlap nothing
	order   []int32        // item indexes sorted by prefixOrder
	rank    []int32        // item index → position in order
	parent  []int32        // position → position of the nearest containing prefix, or -1
	end     []int32        // position → the position after the run of prefixes it contains
	earlier []int          // item index → overlapping prefixes of earlier owners
}

func newOverlapFinder(items []ownedPrefix) *overlapFinder {
	n := len(items)
	f := &overlapFinder{items: items, masked: make([]netip.Prefix, n), order: make([]int32, 0, n), rank: make([]int32, n), earlier: make([]int, n)}
	owners := 0
	for i, it := range items {
		f.masked[i] = it.p.Masked()
		if f.masked[i].IsValid() {
			f.order = append(f.order, int32(i))
		}
		owners = max(owners, it.owner+1)
	}
	masked := f.masked
	slices.SortFunc(f.order, func(a, b int32) int {
		if c := prefixOrder(masked[a], masked[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	f.parent = make([]int32, len(f.order))
	f.end = make([]int32, len(f.order))
	for pos, i := range f.order {
		f.rank[i] = int32(pos)
	}
	// Containing prefixes of earlier owners: those open on the stack, counted
	// by owner in a Fenwick tree.
	open := newFenwick(owners)
	stack := make([]int32, 0, 33)
	// Contained prefixes of earlier owners: the run after a position, counted
	// offline: run(q) = seen(end-1) - seen(q) over owners < the item's owner.
	type query struct {
		at     int32 // position after whose insertion the query is answered
		item   int32
		weight int8
	}
	queries := make([]query, 0, 2*len(f.order))
	for pos, i := range f.order {
		for len(stack) > 0 && !covers(masked[f.order[stack[len(stack)-1]]], masked[i]) {
			top := stack[len(stack)-1]
			f.end[top] = int32(pos)
			open.add(items[f.order[top]].owner, -1)
			stack = stack[:len(stack)-1]
		}
		f.parent[pos] = -1
		if len(stack) > 0 {
			f.parent[pos] = stack[len(stack)-1]
		}
		f.earlier[i] = open.sum(items[i].owner)
		open.add(items[i].owner, 1)
		stack = append(stack, int32(pos))
	}
	for _, top := range stack {
		f.end[top] = int32(len(f.order))
	}
	for pos, i := range f.order {
		if f.end[pos] > int32(pos)+1 {
			queries = append(queries, query{int32(pos), i, -1}, query{f.end[pos] - 1, i, 1})
		}
	}
	slices.SortFunc(queries, func(a, b query) int { return cmp.Compare(a.at, b.at) })
	seen := newFenwick(owners)
	q := 0
	for pos, i := range f.order {
		seen.add(items[i].owner, 1)
		for ; q < len(queries) && queries[q].at == int32(pos); q++ {
			it := queries[q].item
			f.earlier[it] += int(queries[q].weight) * seen.sum(items[it].owner)
		}
	}
	return f
}

// count returns the number of prefixes of earlier owners that overlap item
// i.
func (f *overlapFinder) count(i int) int { return f.earlier[i] }

// list returns the items of earlier owners that overlap item i, in input
// order.
func (f *overlapFinder) list(i int) []int {
	if f.earlier[i] == 0 {
		return nil
	}
	out := make([]int, 0, f.earlier[i])
	owner := f.items[i].owner
	pos := f.rank[i]
	for a := f.parent[pos]; a >= 0; a = f.parent[a] {
		if j := f.order[a]; f.items[j].owner < owner {
			out = append(out, int(j))
		}
	}
	for d := pos + 1; d < f.end[pos]; d++ {
		if j := f.order[d]; f.items[j].owner < owner {
			out = append(out, int(j))
		}
	}
	slices.Sort(out)
	return out
}

// addOverlaps reports item i's overlaps with prefixes of earlier owners, one
// problem each through report, in input order; past the problem cap it only
// counts them.
func (p *problems) addOverlaps(f *overlapFinder, i int, report func(j int)) {
	n := f.count(i)
	if n == 0 {
		return
	}
	if p.full() {
		p.extra += n
		return
	}
	for k, j := range f.list(i) {
		if p.full() {
			p.extra += n - k
			return
		}
		report(j)
	}
}

// fenwick counts values in 0..n-1: add and prefix sums in O(log n).
type fenwick []int

func newFenwick(n int) fenwick { return make(fenwick, n+1) }

func (t fenwick) add(v, d int) {
	for i := v + 1; i < len(t); i += i & -i {
		t[i] += d
	}
}

// sum returns the count of values below v.
func (t fenwick) sum(v int) int {
	s := 0
	for i := v; i > 0; i -= i & -i {
		s += t[i]
	}
	return s
}

// peerOverlaps relates the address spaces of a few VNets (a VNet and the
// VNets it peers with, at most MaxPeeringsPerVNet+1): rel[x][y] lists,
// ascending, the indexes of x's address prefixes that overlap y's address
// space, for x != y. It sweeps all their prefixes once, keeping for each open
// prefix the VNets of the prefixes containing it and of those inside it as
// bit sets: O(n log n + n·v/64) for n prefixes of v VNets, plus the result.
func peerOverlaps(vnets []*VNet) map[*VNet]map[*VNet][]int {
	type entry struct {
		p    netip.Prefix
		vnet int
		ks   []int // the prefix's indexes in its VNet's address space (duplicates share an entry)
	}
	var ents []entry
	for vi, v := range vnets {
		first := map[netip.Prefix]int{}
		for k, p := range v.AddressSpace {
			p = p.Masked()
			if !p.IsValid() {
				continue
			}
			if e, ok := first[p]; ok {
				ents[e].ks = append(ents[e].ks, k)
				continue
			}
			first[p] = len(ents)
			ents = append(ents, entry{p: p, vnet: vi, ks: []int{k}})
		}
	}
	slices.SortFunc(ents, func(a, b entry) int {
		if c := prefixOrder(a.p, b.p); c != 0 {
			return c
		}
		return cmp.Compare(a.vnet, b.vnet)
	})
	words := (len(vnets) + 63) / 64
	rel := map[*VNet]map[*VNet][]int{}
	record := func(e *entry, set []uint64) {
		x := vnets[e.vnet]
		for w, bits := range set {
			for ; bits != 0; bits &= bits - 1 {
				y := w*64 + mathbits.TrailingZeros64(bits)
				if y == e.vnet {
					continue
				}
				if rel[x] == nil {
					rel[x] = map[*VNet][]int{}
				}
				rel[x][vnets[y]] = append(rel[x][vnets[y]], e.ks...)
			}
		}
	}
	type frame struct {
		e       int
		outside []uint64 // the VNets of the open prefixes, this one included
		inside  []uint64 // the VNets of the prefixes inside this one
	}
	var stack []frame
	pop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		record(&ents[top.e], top.inside)
		if len(stack) > 0 {
			in := stack[len(stack)-1].inside
			for w := range in {
				in[w] |= top.inside[w]
			}
		}
	}
	for i := range ents {
		for len(stack) > 0 && !covers(ents[stack[len(stack)-1].e].p, ents[i].p) {
			pop()
		}
		f := frame{e: i, outside: make([]uint64, words), inside: make([]uint64, words)}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			record(&ents[i], top.outside)
			copy(f.outside, top.outside)
			top.inside[ents[i].vnet/64] |= 1 << (ents[i].vnet % 64)
		}
		f.outside[ents[i].vnet/64] |= 1 << (ents[i].vnet % 64)
		stack = append(stack, f)
	}
	for len(stack) > 0 {
		pop()
	}
	for _, m := range rel {
		for y, ks := range m {
			slices.Sort(ks)
			m[y] = slices.Compact(ks)
		}
	}
	return rel
}
