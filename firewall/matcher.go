package firewall

import (
	"cmp"
	"math/bits"
	"net/netip"
	"slices"
	"unsafe"

	"github.com/gaissmai/bart"
)

// A matcher finds the first of n rules (in evaluation order) that matches a
// flow on its source, destination, protocol and destination port, by the
// bit-vector scheme of Lakshman and Stiliadis (1998): bit i of a set stands
// for rule i. Per dimension a lookup yields the set of rules that accept the
// flow's value there; the lowest bit of the sets' AND is the first match.
//
// Address dimensions are bart tables from each distinct prefix to the set of
// rules with a prefix containing it (its own and its supernets' rules), so
// one longest-prefix match gives the set. Ports are elementary intervals
// searched by bisection. Identical sets are stored once (see ruleSets), and
// the AND visits only the words that every set has non-empty, so a flow
// that one dimension narrows to a few rules costs the same at 100 rules as
// at 10,000.
type matcher struct {
	n int
	ruleSets

	src, dst *bart.Table[uint32]
	dns      *bart.Table[uint32] // destinations learned from DNS; nil if none
	// The set of every source, and destination, address when the table
	// holds only 0.0.0.0/0 (for instance application rules without
	// destination addresses): no lookup needed. setEmpty otherwise.
	srcAll, dstAll uint32
	proto          [4]uint32 // by protoClass
	ports          []uint16  // starts of the port segments, ascending, ports[0] == 0
	portSets       []uint32
	// Rules whose destination includes an unresolved FQDN: all of them,
	// and those of Allow and of Deny collections.
	unres, unresAllow, unresDeny uint32

	// Rules with other values unknown offline (mrule.anySrc, anyPort,
	// protosMaybe): wide is false when there is none, and then the sets
	// below are unused. srcAny and portAny are the rules that may match
	// any source, any port; protoMaybe the rules that may match each
	// protoClass (a superset of proto); maybe, maybeAllow and maybeDeny
	// the rules with any unknown value (destinations too), all of them and
	// those of Allow and of Deny collections.
	wide                         bool
	srcAny, portAny              uint32
	protoMaybe                   [4]uint32
	maybe, maybeAllow, maybeDeny uint32
}

const (
	setEmpty = 0
	setFull  = 1
)

// ruleSets holds interned sets of rules as two-level bitmaps. A set of n
// rules has words = ⌈n/64⌉ words of 64 rules, of which it stores only the
// non-empty ones, in order, in pool[offs[k]:offs[k+1]]; its summary,
// sumWords = ⌈words/64⌉ words at sums[k*sumWords:], has bit w set when word
// w is non-empty. Word w of set k is thus either 0 or
//
//	pool[offs[k] + popcount of the summary bits below w]
//
// A set with one rule costs sumWords+1 words whatever n is, and an AND
// of sets needs to look only at the words where all their summaries have
// a bit. Set setEmpty (0) is empty, set setFull (1) holds every rule.
type ruleSets struct {
	words, sumWords int
	sums            []uint64
	offs            []uint32 // len = number of sets + 1
	pool            []uint64
}

// mrule is one rule's conditions as the matcher sees them.
type mrule struct {
	src, dst, dns []netip.Prefix
	protos        uint8       // bit per protoClass
	ports         [][2]uint16 // nil: every port
	unresolved    bool
	// Values unknown offline beside the known ones above: any source, any
	// port, and the protocol classes possible (a superset of protos).
	anySrc, anyPort bool
	protosMaybe     uint8
	allow           bool // the rule's collection allows (for the outcome of an undecidable rule)
}

// protoClass maps a flow protocol to 0 TCP, 1 UDP, 2 ICMP, 3 other.
func protoClassOf(tcp, udp, icmp bool) int {
	switch {
	case tcp:
		return 0
	case udp:
		return 1
	case icmp:
		return 2
	}
	return 3
}

// setBuilder builds the sets of one ruleSets: rules are added to a dense
// scratch set, which take interns.
type setBuilder struct {
	r       *ruleSets
	n       int
	intern  map[string]uint32
	scratch []uint64 // dense, r.words long; all zero outside add…take
	dirty   []int32  // the scratch words that may be non-zero
	key     []uint64 // summary then packed words of the set being interned
}

func newSetBuilder(r *ruleSets, n int) *setBuilder {
	r.words = max(1, (n+63)/64)
	r.sumWords = (r.words + 63) / 64
	r.offs = []uint32{0}
	b := &setBuilder{r: r, n: n, intern: map[string]uint32{}, scratch: make([]uint64, r.words)}
	b.take() // setEmpty
	for i := range n {
		b.add(i)
	}
	if n == 0 { // set 1 must exist even when identical to set 0
		b.r.sums = append(b.r.sums, make([]uint64, b.r.sumWords)...)
		b.r.offs = append(b.r.offs, uint32(len(b.r.pool)))
	} else {
		b.take() // setFull
	}
	return b
}

// add adds rule i to the scratch set.
func (b *setBuilder) add(i int) {
	w := i >> 6
	if b.scratch[w] == 0 {
		b.dirty = append(b.dirty, int32(w))
	}
	b.scratch[w] |= 1 << (i & 63)
}

// or adds the rules of set k to the scratch set.
func (b *setBuilder) or(k uint32) {
	r := b.r
	p := r.offs[k]
	for j, s := range r.sums[int(k)*r.sumWords : int(k+1)*r.sumWords] {
		for ; s != 0; s &= s - 1 {
			w := j*64 + bits.TrailingZeros64(s)
			if b.scratch[w] == 0 {
				b.dirty = append(b.dirty, int32(w))
			}
			b.scratch[w] |= r.pool[p]
			p++
		}
	}
}

// take interns the scratch set, clears it, and returns the set's key.
func (b *setBuilder) take() uint32 {
	r := b.r
	slices.Sort(b.dirty)
	b.key = b.key[:0]
	for range r.sumWords {
		b.key = append(b.key, 0)
	}
	prev := int32(-1)
	for _, w := range b.dirty {
		if w == prev {
			continue
		}
		prev = w
		if x := b.scratch[w]; x != 0 {
			b.key[w>>6] |= 1 << (w & 63)
			b.key = append(b.key, x)
			b.scratch[w] = 0
		}
	}
	b.dirty = b.dirty[:0]
	key := unsafe.String((*byte)(unsafe.Pointer(unsafe.SliceData(b.key))), len(b.key)*8)
	if k, ok := b.intern[key]; ok {
		return k
	}
	k := uint32(len(r.offs) - 1)
	r.sums = append(r.sums, b.key[:r.sumWords]...)
	r.pool = append(r.pool, b.key[r.sumWords:]...)
	r.offs = append(r.offs, uint32(len(r.pool)))
	b.intern[string([]byte(key))] = k
	return k
}

// list interns the set of the given rules.
func (b *setBuilder) list(rules []int32) uint32 {
	for _, i := range rules {
		b.add(int(i))
	}
	return b.take()
}

func newMatcher(rs []mrule) *matcher {
	m, _ := buildMatcher(rs)
	return m
}

// buildMatcher returns the matcher and its set builder, for further sets
// over the same rules (the application rules' names).
func buildMatcher(rs []mrule) (*matcher, *setBuilder) {
	n := len(rs)
	m := &matcher{n: n}
	b := newSetBuilder(&m.ruleSets, n)
	m.src = b.prefixTable(rs, func(r *mrule) []netip.Prefix { return r.src })
	m.dst = b.prefixTable(rs, func(r *mrule) []netip.Prefix { return r.dst })
	m.srcAll, m.dstAll = onlyAll(m.src), onlyAll(m.dst)
	hasDNS := false
	for i := range rs {
		hasDNS = hasDNS || len(rs[i].dns) > 0
	}
	if hasDNS {
		m.dns = b.prefixTable(rs, func(r *mrule) []netip.Prefix { return r.dns })
	}
	for _, want := range []struct {
		k           *uint32
		allow, deny bool
	}{{&m.unres, true, true}, {&m.unresAllow, true, false}, {&m.unresDeny, false, true}} {
		for i := range rs {
			if rs[i].unresolved && (rs[i].allow && want.allow || !rs[i].allow && want.deny) {
				b.add(i)
			}
		}
		*want.k = b.take()
	}
	for c := range 4 {
		for i := range rs {
			if rs[i].protos&(1<<c) != 0 {
				b.add(i)
			}
		}
		m.proto[c] = b.take()
	}
	for i := range rs {
		m.wide = m.wide || rs[i].anySrc || rs[i].anyPort || rs[i].protosMaybe|rs[i].protos != rs[i].protos
	}
	if m.wide {
		pick := func(f func(r *mrule) bool) uint32 {
			for i := range rs {
				if f(&rs[i]) {
					b.add(i)
				}
			}
			return b.take()
		}
		m.srcAny = pick(func(r *mrule) bool { return r.anySrc })
		m.portAny = pick(func(r *mrule) bool { return r.anyPort })
		for c := range 4 {
			m.protoMaybe[c] = pick(func(r *mrule) bool { return (r.protos|r.protosMaybe)&(1<<c) != 0 })
		}
		unknown := func(r *mrule) bool {
			return r.unresolved || r.anySrc || r.anyPort || r.protosMaybe|r.protos != r.protos
		}
		m.maybe = pick(unknown)
		m.maybeAllow = pick(func(r *mrule) bool { return unknown(r) && r.allow })
		m.maybeDeny = pick(func(r *mrule) bool { return unknown(r) && !r.allow })
	}
	// Port segments.
	starts := []int{0}
	for i := range rs {
		for _, iv := range rs[i].ports {
			starts = append(starts, int(iv[0]), int(iv[1])+1)
		}
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	for _, s := range starts {
		if s > 65535 {
			continue
		}
		for i := range rs {
			in := rs[i].ports == nil
			for _, iv := range rs[i].ports {
				if int(iv[0]) <= s && s <= int(iv[1]) {
					in = true
					break
				}
			}
			if in {
				b.add(i)
			}
		}
		m.ports = append(m.ports, uint16(s))
		m.portSets = append(m.portSets, b.take())
	}
	return m, b
}

// prefixTable builds one address dimension: each distinct prefix maps to
// the rules of its own and of its supernets. Prefixes are processed
// shortest first, so that a prefix's set is its nearest supernet's set plus
// its own rules: O(words + own rules) per prefix.
func (b *setBuilder) prefixTable(rs []mrule, side func(*mrule) []netip.Prefix) *bart.Table[uint32] {
	direct := map[netip.Prefix][]int32{}
	var lens [33]bool
	for i := range rs {
		for _, p := range side(&rs[i]) {
			p = p.Masked()
			if l := direct[p]; len(l) == 0 || l[len(l)-1] != int32(i) {
				direct[p] = append(l, int32(i))
			}
			lens[p.Bits()] = true
		}
	}
	ps := make([]netip.Prefix, 0, len(direct))
	for p := range direct {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		return cmp.Or(cmp.Compare(a.Bits(), b.Bits()), a.Addr().Compare(b.Addr()))
	})
	full := make(map[netip.Prefix]uint32, len(ps))
	t := new(bart.Table[uint32])
	for _, p := range ps {
		for l := p.Bits() - 1; l >= 0; l-- {
			if !lens[l] {
				continue
			}
			if k, ok := full[netip.PrefixFrom(p.Addr(), l).Masked()]; ok {
				b.or(k)
				break
			}
		}
		k := b.list(direct[p])
		full[p] = k
		t.Insert(p, k)
	}
	return t
}

// onlyAll returns the set of 0.0.0.0/0 if t holds no other prefix, else
// setEmpty.
func onlyAll(t *bart.Table[uint32]) uint32 {
	if k, ok := t.Get(allV4); ok && t.Size() == 1 && k != setEmpty {
		return k
	}
	return setEmpty
}

// lookup returns the set of addr in t, or all when that is not setEmpty.
func lookup(t *bart.Table[uint32], all uint32, addr netip.Addr) (uint32, bool) {
	if all != setEmpty {
		return all, true
	}
	return t.Lookup(addr)
}

func (m *matcher) portSet(port uint16) uint32 {
	lo, hi := 0, len(m.ports)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if m.ports[mid] <= port {
			lo = mid
		} else {
			hi = mid
		}
	}
	return m.portSets[lo]
}

// first returns the index of the first rule matching the flow (-1 if none),
// whether it matched only through a DNS-learned destination, and whether an
// undecidable rule (unresolved FQDN, other conditions met) comes before it.
// class is the flow's protoClass; port counts only for classes 0 and 1.
func (m *matcher) first(src, dst netip.Addr, class int, port uint16) (idx int, viaDNS, unknown bool) {
	sk, dk, nk, qk, ok := m.keys(src, dst, class, port)
	if !ok {
		return -1, false, false
	}
	pk := m.proto[class]
	idx, viaDNS = m.firstMatch(sk, pk, qk, dk, nk)
	if m.wide {
		below := idx
		if idx < 0 {
			below = m.n
		}
		unknown = m.firstMaybe(sk, pk, qk, dk, nk, class, m.maybe, below) >= 0
	} else if m.unres != setEmpty {
		below := idx
		if idx < 0 {
			below = m.n
		}
		unknown = m.firstUnresolved(sk, pk, qk, dk, nk, m.unres, below) >= 0
	}
	return idx, viaDNS, unknown
}

// firstMatch returns the first rule in s ∩ p ∩ q ∩ (d ∪ dn) and whether it
// is in dn only. It visits only the words whose summaries allow a match.
func (m *matcher) firstMatch(s, p, q, d, dn uint32) (int, bool) {
	sw := m.sumWords
	sums, pool := m.sums, m.pool
	os, op, oq, od, on := int(m.offs[s]), int(m.offs[p]), int(m.offs[q]), int(m.offs[d]), int(m.offs[dn])
	for j := range sw {
		ss, sp, sq, sd, sn := sums[int(s)*sw+j], sums[int(p)*sw+j], sums[int(q)*sw+j], sums[int(d)*sw+j], sums[int(dn)*sw+j]
		for c := ss & sp & sq & (sd | sn); c != 0; c &= c - 1 {
			b := uint(bits.TrailingZeros64(c))
			below := uint64(1)<<b - 1
			x := pool[os+bits.OnesCount64(ss&below)] & pool[op+bits.OnesCount64(sp&below)] & pool[oq+bits.OnesCount64(sq&below)]
			var md, mn uint64
			if sd>>b&1 != 0 {
				md = x & pool[od+bits.OnesCount64(sd&below)]
			}
			if sn>>b&1 != 0 {
				mn = x & pool[on+bits.OnesCount64(sn&below)]
			}
			if md|mn != 0 {
				bit := bits.TrailingZeros64(md | mn)
				return (j*64+int(b))*64 + bit, md>>bit&1 == 0
			}
		}
		os, op, oq, od, on = os+bits.OnesCount64(ss), op+bits.OnesCount64(sp), oq+bits.OnesCount64(sq), od+bits.OnesCount64(sd), on+bits.OnesCount64(sn)
	}
	return -1, false
}

// firstUnresolved returns the first rule below index below in
// s ∩ p ∩ q ∩ u but not in d ∪ dn (-1 if none): a rule that an unresolved
// FQDN might make match.
func (m *matcher) firstUnresolved(s, p, q, d, dn, u uint32, below int) int {
	sw := m.sumWords
	sums, pool := m.sums, m.pool
	os, op, oq, od, on, ou := int(m.offs[s]), int(m.offs[p]), int(m.offs[q]), int(m.offs[d]), int(m.offs[dn]), int(m.offs[u])
	for j := 0; j < sw && j*4096 < below; j++ {
		ss, sp, sq, sd, sn, su := sums[int(s)*sw+j], sums[int(p)*sw+j], sums[int(q)*sw+j], sums[int(d)*sw+j], sums[int(dn)*sw+j], sums[int(u)*sw+j]
		for c := ss & sp & sq & su; c != 0; c &= c - 1 {
			b := uint(bits.TrailingZeros64(c))
			w := j*64 + int(b)
			if w*64 >= below {
				return -1
			}
			below1 := uint64(1)<<b - 1
			x := pool[os+bits.OnesCount64(ss&below1)] & pool[op+bits.OnesCount64(sp&below1)] &
				pool[oq+bits.OnesCount64(sq&below1)] & pool[ou+bits.OnesCount64(su&below1)]
			if sd>>b&1 != 0 {
				x &^= pool[od+bits.OnesCount64(sd&below1)]
			}
			if sn>>b&1 != 0 {
				x &^= pool[on+bits.OnesCount64(sn&below1)]
			}
			if x != 0 {
				if i := w*64 + bits.TrailingZeros64(x); i < below {
					return i
				}
				return -1
			}
		}
		os, op, oq, od, on, ou = os+bits.OnesCount64(ss), op+bits.OnesCount64(sp), oq+bits.OnesCount64(sq),
			od+bits.OnesCount64(sd), on+bits.OnesCount64(sn), ou+bits.OnesCount64(su)
	}
	return -1
}

// firstMaybe returns the first rule of the set filter below index below
// that may match the flow through a value unknown offline but does not
// surely match it (-1 if none): in the rules of
//
//	(s ∪ srcAny) ∩ protoMaybe[class] ∩ (q ∪ portAny) ∩ (d ∪ dn ∪ unres)
//
// but not of s ∩ p ∩ q ∩ (d ∪ dn). It serves matchers with wide rules
// only, so the plain ones keep their one AND.
func (m *matcher) firstMaybe(s, p, q, d, dn uint32, class int, filter uint32, below int) int {
	sets := [...]uint32{s, m.srcAny, m.protoMaybe[class], q, m.portAny, d, dn, m.unres, p, filter}
	const nsets = len(sets)
	var offs [nsets]int
	for i, k := range sets {
		offs[i] = int(m.offs[k])
	}
	sw := m.sumWords
	sums, pool := m.sums, m.pool
	for j := 0; j < sw && j*4096 < below; j++ {
		var sm [nsets]uint64
		for i, k := range sets {
			sm[i] = sums[int(k)*sw+j]
		}
		for c := sm[9] & (sm[0] | sm[1]) & sm[2] & (sm[3] | sm[4]) & (sm[5] | sm[6] | sm[7]); c != 0; c &= c - 1 {
			b := uint(bits.TrailingZeros64(c))
			w := j*64 + int(b)
			if w*64 >= below {
				return -1
			}
			lo := uint64(1)<<b - 1
			var x [nsets]uint64
			for i := range sets {
				if sm[i]>>b&1 != 0 {
					x[i] = pool[offs[i]+bits.OnesCount64(sm[i]&lo)]
				}
			}
			possible := x[9] & (x[0] | x[1]) & x[2] & (x[3] | x[4]) & (x[5] | x[6] | x[7])
			sure := x[0] & x[8] & x[3] & (x[5] | x[6])
			if y := possible &^ sure; y != 0 {
				if i := w*64 + bits.TrailingZeros64(y); i < below {
					return i
				}
				return -1
			}
		}
		for i := range sets {
			offs[i] += bits.OnesCount64(sm[i])
		}
	}
	return -1
}

// undecided reports whether rules of an Allow, and of a Deny, collection
// come before index before whose source, protocol and port match but whose
// destination includes an unresolved FQDN: rules that might match
// offline-unknowably.
func (m *matcher) undecided(src, dst netip.Addr, class int, port uint16, before int) (allow, deny bool) {
	sk, dk, nk, qk, ok := m.keys(src, dst, class, port)
	if !ok {
		return false, false
	}
	pk := m.proto[class]
	if m.wide {
		allow = m.maybeAllow != setEmpty && m.firstMaybe(sk, pk, qk, dk, nk, class, m.maybeAllow, before) >= 0
		deny = m.maybeDeny != setEmpty && m.firstMaybe(sk, pk, qk, dk, nk, class, m.maybeDeny, before) >= 0
		return allow, deny
	}
	allow = m.unresAllow != setEmpty && m.firstUnresolved(sk, pk, qk, dk, nk, m.unresAllow, before) >= 0
	deny = m.unresDeny != setEmpty && m.firstUnresolved(sk, pk, qk, dk, nk, m.unresDeny, before) >= 0
	return allow, deny
}

// firstAnd returns the first rule in [from, below) that is in all of the
// sets a, b, c and d (-1 if none), visiting only the words whose summaries
// allow one.
func (r *ruleSets) firstAnd(a, b, c, d uint32, from, below int) int {
	if from >= below {
		return -1
	}
	sw := r.sumWords
	sums, pool := r.sums, r.pool
	oa, ob, oc, od := int(r.offs[a]), int(r.offs[b]), int(r.offs[c]), int(r.offs[d])
	j0 := from >> 12
	for j := range j0 { // offsets of the summary words skipped
		oa += bits.OnesCount64(sums[int(a)*sw+j])
		ob += bits.OnesCount64(sums[int(b)*sw+j])
		oc += bits.OnesCount64(sums[int(c)*sw+j])
		od += bits.OnesCount64(sums[int(d)*sw+j])
	}
	for j := j0; j < sw && j*4096 < below; j++ {
		sa, sb, sc, sd := sums[int(a)*sw+j], sums[int(b)*sw+j], sums[int(c)*sw+j], sums[int(d)*sw+j]
		cand := sa & sb & sc & sd
		if j == j0 {
			cand &^= uint64(1)<<(from>>6&63) - 1
		}
		for ; cand != 0; cand &= cand - 1 {
			bt := uint(bits.TrailingZeros64(cand))
			w := j*64 + int(bt)
			if w*64 >= below {
				return -1
			}
			m := uint64(1)<<bt - 1
			x := pool[oa+bits.OnesCount64(sa&m)] & pool[ob+bits.OnesCount64(sb&m)] & pool[oc+bits.OnesCount64(sc&m)] & pool[od+bits.OnesCount64(sd&m)]
			if w == from>>6 {
				x &^= uint64(1)<<(from&63) - 1
			}
			if x != 0 {
				if i := w*64 + bits.TrailingZeros64(x); i < below {
					return i
				}
				return -1
			}
		}
		oa, ob, oc, od = oa+bits.OnesCount64(sa), ob+bits.OnesCount64(sb), oc+bits.OnesCount64(sc), od+bits.OnesCount64(sd)
	}
	return -1
}

// addrKeys looks up the source and destination sets of a flow, for
// matchers whose other conditions are kept elsewhere; ok is false when no
// rule accepts its source or destination.
func (m *matcher) addrKeys(src, dst netip.Addr) (sk, dk uint32, ok bool) {
	if m.n == 0 {
		return 0, 0, false
	}
	if sk, ok = lookup(m.src, m.srcAll, src); !ok {
		if !m.wide || m.srcAny == setEmpty {
			return 0, 0, false
		}
		sk = setEmpty // only a rule whose sources are unknown may match
	}
	if dk, ok = lookup(m.dst, m.dstAll, dst); !ok {
		if m.unres == setEmpty {
			return 0, 0, false
		}
		dk = setEmpty // only a rule whose destinations are unknown may match
	}
	return sk, dk, true
}

// keys looks up the keys of a flow's rule sets by source, static
// destination, DNS-learned destination and port; ok is false when no rule
// can match. The keys come back in registers: returning the rows
// themselves measured about one bart lookup slower on the hot path.
func (m *matcher) keys(src, dst netip.Addr, class int, port uint16) (sk, dk, nk, qk uint32, ok bool) {
	if m.n == 0 {
		return 0, 0, 0, 0, false
	}
	if sk, ok = lookup(m.src, m.srcAll, src); !ok {
		if !m.wide || m.srcAny == setEmpty {
			return 0, 0, 0, 0, false
		}
		sk = setEmpty // only a rule whose sources are unknown may match
	}
	if dk, ok = lookup(m.dst, m.dstAll, dst); !ok {
		dk = setEmpty
	}
	nk = setEmpty
	if m.dns != nil {
		if k, ok := m.dns.Lookup(dst); ok {
			nk = k
		}
	}
	qk = setFull
	if class <= 1 {
		qk = m.portSet(port)
	}
	return sk, dk, nk, qk, true
}
