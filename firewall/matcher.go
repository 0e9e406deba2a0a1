package firewall

import (
	"iter"
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
// searched by bisection. Identical sets are stored once.
type matcher struct {
	n, words int
	sets     []uint64 // set k is sets[k*words : (k+1)*words]; set 0 is empty, set 1 full

	src, dst *bart.Table[uint32]
	dns      *bart.Table[uint32] // destinations learned from DNS; nil if none
	proto    [4]uint32           // by protoClass
	ports    []uint16            // starts of the port segments, ascending, ports[0] == 0
	portSets []uint32
	unres    uint32 // rules whose destination includes an unresolved FQDN
}

const (
	setEmpty = 0
	setFull  = 1
)

// mrule is one rule's conditions as the matcher sees them.
type mrule struct {
	src, dst, dns []netip.Prefix
	protos        uint8       // bit per protoClass
	ports         [][2]uint16 // nil: every port
	unresolved    bool
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

type setBuilder struct {
	m      *matcher
	intern map[string]uint32
}

func (b *setBuilder) add(set []uint64) uint32 {
	key := unsafe.String((*byte)(unsafe.Pointer(unsafe.SliceData(set))), len(set)*8)
	if k, ok := b.intern[key]; ok {
		return k
	}
	k := uint32(len(b.m.sets) / b.m.words)
	b.m.sets = append(b.m.sets, set...)
	b.intern[string([]byte(key))] = k
	return k
}

func newMatcher(rs []mrule) *matcher {
	n := len(rs)
	m := &matcher{n: n, words: max(1, (n+63)/64)}
	b := &setBuilder{m: m, intern: map[string]uint32{}}
	b.add(make([]uint64, m.words))
	full := make([]uint64, m.words)
	for i := range n {
		full[i/64] |= 1 << (i % 64)
	}
	if n == 0 {
		m.sets = append(m.sets, full...) // set 1 must exist even when identical to set 0
	} else {
		b.add(full)
	}
	m.src = b.prefixTable(rs, func(r *mrule) []netip.Prefix { return r.src })
	m.dst = b.prefixTable(rs, func(r *mrule) []netip.Prefix { return r.dst })
	hasDNS, unres := false, make([]uint64, m.words)
	for i := range rs {
		hasDNS = hasDNS || len(rs[i].dns) > 0
		if rs[i].unresolved {
			unres[i/64] |= 1 << (i % 64)
		}
	}
	if hasDNS {
		m.dns = b.prefixTable(rs, func(r *mrule) []netip.Prefix { return r.dns })
	}
	m.unres = b.add(unres)
	for c := range 4 {
		set := make([]uint64, m.words)
		for i := range rs {
			if rs[i].protos&(1<<c) != 0 {
				set[i/64] |= 1 << (i % 64)
			}
		}
		m.proto[c] = b.add(set)
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
		set := make([]uint64, m.words)
		for i := range rs {
			in := rs[i].ports == nil
			for _, iv := range rs[i].ports {
				if int(iv[0]) <= s && s <= int(iv[1]) {
					in = true
					break
				}
			}
			if in {
				set[i/64] |= 1 << (i % 64)
			}
		}
		m.ports = append(m.ports, uint16(s))
		m.portSets = append(m.portSets, b.add(set))
	}
	return m
}

// prefixTable builds one address dimension.
func (b *setBuilder) prefixTable(rs []mrule, side func(*mrule) []netip.Prefix) *bart.Table[uint32] {
	words := b.m.words
	direct := map[netip.Prefix][]uint64{}
	for i := range rs {
		for _, p := range side(&rs[i]) {
			s := direct[p]
			if s == nil {
				s = make([]uint64, words)
				direct[p] = s
			}
			s[i/64] |= 1 << (i % 64)
		}
	}
	t := new(bart.Table[uint32])
	set := make([]uint64, words)
	for p := range direct {
		clear(set)
		for l := 0; l <= p.Bits(); l++ {
			if s, ok := direct[netip.PrefixFrom(p.Addr(), l).Masked()]; ok {
				for w := range set {
					set[w] |= s[w]
				}
			}
		}
		t.Insert(p, b.add(set))
	}
	return t
}

func (m *matcher) set(k uint32) []uint64 {
	return m.sets[int(k)*m.words : int(k+1)*m.words]
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
	s, d, dn, p, q, u := m.set(sk), m.set(dk), m.set(nk), m.set(m.proto[class]), m.set(qk), m.set(m.unres)
	firstU := -1
	for w := range s {
		base := s[w] & p[w] & q[w]
		if base == 0 {
			continue
		}
		ms, md := base&d[w], base&dn[w]
		if firstU < 0 {
			if mu := base & u[w] &^ (d[w] | dn[w]); mu != 0 {
				firstU = w*64 + bits.TrailingZeros64(mu)
			}
		}
		if ms|md != 0 {
			i := w*64 + bits.TrailingZeros64(ms|md)
			return i, ms&(1<<(i%64)) == 0, firstU >= 0 && firstU < i
		}
	}
	return -1, false, firstU >= 0
}

// candidates returns the source and destination sets for a flow (nil if no
// rule accepts its source), for matchers whose other conditions are checked
// rule by rule.
func (m *matcher) candidates(src, dst netip.Addr) (s, d []uint64) {
	if m.n == 0 {
		return nil, nil
	}
	sk, ok := m.src.Lookup(src)
	if !ok {
		return nil, nil
	}
	dk, ok := m.dst.Lookup(dst)
	if !ok {
		return nil, nil
	}
	return m.set(sk), m.set(dk)
}

// undecidedBefore yields the rules before index before whose source,
// protocol and port match but whose destination includes an unresolved FQDN:
// rules that might match offline-unknowably. It is off the hot path.
func (m *matcher) undecidedBefore(src, dst netip.Addr, class int, port uint16, before int) iter.Seq[int] {
	return func(yield func(int) bool) {
		r, ok := m.rows(src, dst, class, port)
		if !ok {
			return
		}
		for w := range r.s {
			mu := r.s[w] & r.p[w] & r.q[w] & r.u[w] &^ (r.d[w] | r.dn[w])
			for mu != 0 {
				i := w*64 + bits.TrailingZeros64(mu)
				mu &= mu - 1
				if i >= before || !yield(i) {
					return
				}
			}
		}
	}
}

// flowRows are the rule sets one flow selects: by source, static destination,
// DNS-learned destination, protocol class and port, and the unresolved rules.
type flowRows struct{ s, d, dn, p, q, u []uint64 }

// rows looks up the sets of a flow; ok is false when no rule can match.
func (m *matcher) rows(src, dst netip.Addr, class int, port uint16) (flowRows, bool) {
	sk, dk, nk, qk, ok := m.keys(src, dst, class, port)
	if !ok {
		return flowRows{}, false
	}
	return flowRows{m.set(sk), m.set(dk), m.set(nk), m.set(m.proto[class]), m.set(qk), m.set(m.unres)}, true
}

// keys looks up the keys of a flow's rule sets (see m.set) by source, static
// destination, DNS-learned destination and port; ok is false when no rule
// can match. The keys come back in registers: returning the six rows
// themselves measured about one bart lookup slower on the hot path.
func (m *matcher) keys(src, dst netip.Addr, class int, port uint16) (sk, dk, nk, qk uint32, ok bool) {
	if m.n == 0 {
		return 0, 0, 0, 0, false
	}
	if sk, ok = m.src.Lookup(src); !ok {
		return 0, 0, 0, 0, false
	}
	if dk, ok = m.dst.Lookup(dst); !ok {
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
