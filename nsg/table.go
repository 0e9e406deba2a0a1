package nsg

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/gaissmai/bart"
)

// The bit-vector classifier (Lakshman and Stiliadis, SIGCOMM 1998), as
// measured in perf.md §3.4: bit i of every row stands for rule i of one
// direction in priority order. Each dimension of a flow (source address,
// destination address, protocol, source port, destination port) selects one
// row: the set of rules that the flow satisfies in that dimension. The AND of
// the rows is the set of matching rules, and its lowest set bit is the first
// match. Every row of a table has the same number of words.

// Protocol classes: flows whose protocols no rule tells apart share a class.
const (
	pcOther = iota
	pcTCP
	pcUDP
	pcICMP
	pcESP
	pcAH
	numProtoClasses
)

var protoClass = func() (t [256]uint8) {
	t[ipproto.TCP] = pcTCP
	t[ipproto.UDP] = pcUDP
	t[ipproto.ICMP] = pcICMP
	t[ipproto.ICMPv6] = pcICMP
	t[ipproto.ESP] = pcESP
	t[ipproto.AH] = pcAH
	return t
}()

var protoOfClass = [numProtoClasses]ipproto.Proto{pcOther: 255, pcTCP: ipproto.TCP, pcUDP: ipproto.UDP,
	pcICMP: ipproto.ICMP, pcESP: ipproto.ESP, pcAH: ipproto.AH}

// maxWords bounds the width of a row: 1,000 user rules plus 3 default rules
// per direction fit in 16 words.
const maxWords = 16

// addrDim is one address dimension. An address a with context-tag mask m
// selects the row base[m] | extras(class(lpm(a))): base[m] holds the rules
// whose side is "*" or a context tag in m; the class's sparse extras hold
// the rules whose static side (prefixes, service tag, ASG) contains a.
type addrDim struct {
	tbl      *bart.Table[uint32] // distinct static prefixes -> class; a miss is class 0 (no extras)
	v4       *ranges4            // tbl's IPv4 part flattened (the partition's)
	base     []uint64            // ctxMasks dense rows
	baseMask [ctxMasks]uint32    // wordMask of each base row
	cls      []sparseRow         // per class
	ext      []uint64            // the non-zero words of all classes
}

// sparseRow is a class row stored as its non-zero words: word i is present
// when bit i of pres is set, and the present words are ext[off:off+popcount].
type sparseRow struct {
	pres uint32
	off  uint32
}

// portDim is one port dimension: the ports are cut into intervals with
// constant rule sets.
// Ports are bucketed by their top bits to find their interval quickly.
const (
	portShift   = 6
	portBuckets = 65536 >> portShift
)

type portDim struct {
	// smallRow is rowOf inline when the dimension has at most smallPorts
	// intervals (nearly every NSG: a few tens of named ports): the search
	// then reads only the dimension's own cache lines, not three separate
	// allocations one after the other.
	smallRow  [smallPorts]uint16
	rowOf     []uint16 // row index of each interval
	rows      []uint64 // distinct rows
	masks     []uint32 // wordMask of each row
	portIndex          // the intervals; last, so that the slice headers above share a cache line with its starts
}

// smallPorts is the most intervals a port index keeps inline (see
// portIndex.small).
const smallPorts = 32

// portIndex finds the interval holding a port among sorted interval starts
// (starts[0] == 0): bucket[b] is the index of the interval containing port
// b<<portShift (the last entry is len(starts)-1), so a search scans only the
// few intervals that start in the port's 64-port bucket.
//
// With at most smallPorts intervals the starts are also kept inline, in
// small (n of them), and a port's interval is a count of the starts at or
// below it: one cache line, no dependent load.
type portIndex struct {
	n      int
	small  [smallPorts]uint16
	starts []uint16
	bucket *[portBuckets + 1]uint16 // nil when the starts are inline: 2 KB a dimension saved, the table's hot fields closer
}

// indexPorts returns the portIndex of starts.
func indexPorts(starts []uint16) portIndex {
	x := portIndex{starts: starts, n: len(starts)}
	if x.n <= smallPorts {
		copy(x.small[:], starts)
		return x
	}
	x.bucket = new([portBuckets + 1]uint16)
	k := 0
	for b := range portBuckets {
		for k+1 < len(starts) && int(starts[k+1]) <= b<<portShift {
			k++
		}
		x.bucket[b] = uint16(k)
	}
	x.bucket[portBuckets] = uint16(len(starts) - 1)
	return x
}

// find returns the index of the interval holding port p.
func (x *portIndex) find(p uint16) int {
	if n := x.n; n <= smallPorts {
		// starts[0] is 0: the interval is the number of later starts at
		// or below p.
		k := 0
		for _, s := range x.small[1:n] {
			if s <= p {
				k++
			}
		}
		return k
	}
	b := p >> portShift
	lo, hi := int(x.bucket[b]), int(x.bucket[b+1])
	s := x.starts
	for lo < hi && s[lo+1] <= p {
		lo++
	}
	return lo
}

// dirTable classifies the flows of one direction of one Group.
type dirTable struct {
	words    int
	access   []Access // per rule
	src, dst addrDim
	sport    portDim
	dport    portDim
	proto    []uint64 // numProtoClasses rows
	platform []uint64 // one row: the rules whose destination is an AzurePlatform* tag
	// ps, when the source ports have few distinct rows (as when every rule
	// says "*"), holds proto[pc] & sport.rows[r] at row r*numProtoClasses+pc,
	// saving one row per word in the hot loop.
	ps        []uint64
	psMask    []uint32 // wordMask of each ps row
	protoMask [numProtoClasses]uint32
	// ctxFirst[0] and [1] are the lowest index of a rule whose source
	// (destination) is a context tag, or len(rules): a match before it needs
	// no context lookup.
	ctxFirst [2]int
}

func setBit(row []uint64, i int) { row[i>>6] |= 1 << (uint(i) & 63) }

// wordMask returns the set of non-zero words of a row: the hot loop visits
// only the words non-zero in every row, since the others cannot match.
func wordMask(row []uint64) uint32 {
	var m uint32
	for i, x := range row {
		if x != 0 {
			m |= 1 << i
		}
	}
	return m
}

func rowMasks(rows []uint64, w int) []uint32 {
	out := make([]uint32, len(rows)/w)
	for i := range out {
		out[i] = wordMask(rows[i*w : i*w+w])
	}
	return out
}

func buildDirTable(rules []rule, cache *Cache) dirTable {
	w := (len(rules) + 63) / 64
	if w == 0 {
		w = 1 // keeps slicing simple; an all-zero row matches nothing
	}
	t := dirTable{words: w, access: make([]Access, len(rules)), ctxFirst: [2]int{len(rules), len(rules)}}
	for i := range rules {
		t.access[i] = rules[i].access
	}
	t.src = buildAddrDim(rules, w, func(r *rule) *side { return &r.src }, cache)
	t.dst = buildAddrDim(rules, w, func(r *rule) *side { return &r.dst }, cache)
	t.sport = buildPortDim(rules, w, func(r *rule) []portRange { return r.sports })
	t.dport = buildPortDim(rules, w, func(r *rule) []portRange { return r.dports })
	t.proto = make([]uint64, numProtoClasses*w)
	t.platform = make([]uint64, w)
	for i := range rules {
		for pc := range numProtoClasses {
			if rules[i].proto.Matches(protoOfClass[pc]) {
				setBit(t.proto[pc*w:], i)
			}
		}
		if rules[i].dst.platform {
			setBit(t.platform, i)
		}
		if rules[i].src.kind == sideCtx {
			t.ctxFirst[0] = min(t.ctxFirst[0], i)
		}
		if rules[i].dst.kind == sideCtx {
			t.ctxFirst[1] = min(t.ctxFirst[1], i)
		}
	}
	for pc := range numProtoClasses {
		t.protoMask[pc] = wordMask(t.proto[pc*w : pc*w+w])
	}
	if n := len(t.sport.rows) / w; n <= 16 {
		t.ps = make([]uint64, n*numProtoClasses*w)
		for r := range n {
			for pc := range numProtoClasses {
				o := (r*numProtoClasses + pc) * w
				for j := range w {
					t.ps[o+j] = t.proto[pc*w+j] & t.sport.rows[r*w+j]
				}
			}
		}
		t.psMask = rowMasks(t.ps, w)
	}
	return t
}

// rowKey returns the bytes of a row, for deduplication at compile time.
func rowKey(buf []byte, row []uint64) []byte {
	buf = buf[:0]
	for _, x := range row {
		buf = binary.LittleEndian.AppendUint64(buf, x)
	}
	return buf
}

func buildAddrDim(rules []rule, w int, pick func(*rule) *side, cache *Cache) addrDim {
	d := addrDim{base: make([]uint64, ctxMasks*w)}
	// Sides with the same prefixes (one service tag, one ASG list, one list
	// of CIDRs) share a set: its prefixes are expanded once, whatever the
	// number of rules naming it.
	var sets []uint64             // per set: the rules naming it
	var keys []string             // per set: its identity
	var prefixes [][]netip.Prefix // per set
	setID := map[string]int{}     // identity of a set -> id
	for i := range rules {
		s := pick(&rules[i])
		switch s.kind {
		case sideAny:
			for m := range ctxMasks {
				setBit(d.base[m*w:], i)
			}
			continue
		case sideCtx:
			for m := range ctxMasks {
				if uint8(m)&s.ctx != 0 {
					setBit(d.base[m*w:], i)
				}
			}
			continue
		}
		key := strconv.Itoa(int(s.kind)) + "\x00" + strings.Join(s.items, "\x00")
		id, ok := setID[key]
		if !ok {
			id = len(keys)
			setID[key] = id
			keys = append(keys, key)
			prefixes = append(prefixes, s.prefixes)
			sets = append(sets, make([]uint64, w)...)
		}
		setBit(sets[id*w:], i)
	}
	// The partition the sets cut depends only on the sets, not on the rules
	// naming them: it is built in the sets' canonical order (sorted by
	// identity), and shared through the cache between the groups naming the
	// same sets. The classes of this group are its combinations, each with
	// the rules of its sets; identical rows share their words.
	order := make([]int, len(keys)) // order[k]: the set whose identity sorts k-th
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	sortedKeys := make([]string, len(keys))
	sortedPrefixes := make([][]netip.Prefix, len(keys))
	for k, id := range order {
		sortedKeys[k], sortedPrefixes[k] = keys[id], prefixes[id]
	}
	part := cache.partitionOf(sortedKeys, sortedPrefixes)
	d.tbl, d.v4 = part.tbl, part.v4
	d.cls = make([]sparseRow, len(part.combos))
	dedup := map[string]sparseRow{}
	row := make([]uint64, w)
	var key []byte
	for c, combo := range part.combos {
		if len(combo) == 0 {
			continue // the miss: no extras
		}
		clear(row)
		for _, k := range combo {
			id := order[k]
			for j, x := range sets[id*w : id*w+w] {
				row[j] |= x
			}
		}
		key = rowKey(key, row)
		sr, ok := dedup[string(key)]
		if !ok {
			sr = sparseRow{off: uint32(len(d.ext))}
			for j, x := range row {
				if x != 0 {
					sr.pres |= 1 << j
					d.ext = append(d.ext, x)
				}
			}
			dedup[string(key)] = sr
		}
		d.cls[c] = sr
	}
	d.ext = slices.Clip(d.ext)
	for m := range ctxMasks {
		d.baseMask[m] = wordMask(d.base[m*w : m*w+w])
	}
	return d
}

func buildPortDim(rules []rule, w int, pick func(*rule) []portRange) portDim {
	cuts := []uint16{0}
	for i := range rules {
		for _, r := range pick(&rules[i]) {
			cuts = append(cuts, r.lo)
			if r.hi < 65535 {
				cuts = append(cuts, r.hi+1)
			}
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	n := len(cuts)
	flat := make([]uint64, n*w) // one row per elementary interval
	for i := range rules {
		for _, r := range pick(&rules[i]) {
			a, _ := slices.BinarySearch(cuts, r.lo)
			for k := a; k < n && cuts[k] <= r.hi; k++ {
				setBit(flat[k*w:], i)
			}
		}
	}
	// Merge neighbours with equal rows, then share equal rows.
	var d portDim
	var starts []uint16
	dedup := map[string]uint16{}
	var key []byte
	for k := range n {
		row := flat[k*w : k*w+w]
		if k > 0 && slices.Equal(row, flat[(k-1)*w:k*w]) {
			continue
		}
		key = rowKey(key, row)
		ri, ok := dedup[string(key)]
		if !ok {
			ri = uint16(len(d.rows) / w)
			dedup[string(key)] = ri
			d.rows = append(d.rows, row...)
		}
		starts = append(starts, cuts[k])
		d.rowOf = append(d.rowOf, ri)
	}
	d.rows = slices.Clip(d.rows)
	d.portIndex = indexPorts(starts)
	d.masks = rowMasks(d.rows, w)
	if d.n <= smallPorts {
		copy(d.smallRow[:], d.rowOf)
	}
	return d
}

// rowIndex returns the row index of port p.
func (d *portDim) rowIndex(p uint16) int {
	if d.n <= smallPorts {
		return int(d.smallRow[d.find(p)&(smallPorts-1)])
	}
	return int(d.rowOf[d.find(p)])
}

// row writes the row of address a, whose context-tag mask is mask, into dst.
func (d *addrDim) row(dst *[maxWords]uint64, a netip.Addr, mask uint8, w int) {
	c, _ := d.tbl.Lookup(a)
	off := int(mask&(ctxMasks-1)) * w
	copy(dst[:w], d.base[off:off+w])
	sr := d.cls[c]
	ext := d.ext[sr.off:]
	for p := sr.pres; p != 0; p &= p - 1 {
		dst[bits.TrailingZeros32(p)&(maxWords-1)] |= ext[0]
		ext = ext[1:]
	}
}

// first returns the index of the lowest rule set in l, the remote row
// (base | the sparse class row sr) and the rows a and b (and c if not nil),
// or -1. m is the AND of the rows' word masks: only its words are visited.
func first(m uint32, l, base []uint64, sr sparseRow, ext []uint64, a, b, c []uint64) int {
	for ; m != 0; m &= m - 1 {
		i := bits.TrailingZeros32(m) & (maxWords - 1)
		r := base[i]
		if bit := uint32(1) << i; sr.pres&bit != 0 {
			r |= ext[int(sr.off)+bits.OnesCount32(sr.pres&(bit-1))]
		}
		x := l[i] & r & a[i] & b[i]
		if c != nil {
			x &= c[i]
		}
		if x != 0 {
			return i<<6 + bits.TrailingZeros64(x)
		}
	}
	return -1
}

// match returns the first rule of t matching a flow, given the row of the
// local side (and its word mask), the remote address (and its context mask
// when known), the protocol class and ports; -1 if none. remote is the
// destination when outbound. *rmask < 0 means "not looked up yet": match
// looks it up in scope only if a context-tag rule could come before the
// first match.
func (t *dirTable) match(rdim *addrDim, rdimIdx int, l []uint64, lm uint32, remote netip.Addr, rmask *int, scope *Scope,
	pc int, sp, dp uint16, platform bool) int {
	w := t.words
	var a, b, c []uint64
	m := lm
	if t.ps != nil {
		k := t.sport.rowIndex(sp)*numProtoClasses + pc
		a = t.ps[k*w : k*w+w]
		m &= t.psMask[k]
	} else {
		a = t.proto[pc*w : pc*w+w]
		k := t.sport.rowIndex(sp)
		c = t.sport.rows[k*w : k*w+w]
		m &= t.protoMask[pc] & t.sport.masks[k]
	}
	k := t.dport.rowIndex(dp)
	b = t.dport.rows[k*w : k*w+w]
	m &= t.dport.masks[k]
	if platform {
		return t.matchPlatform(rdim, l, remote, rmask, scope, a, b, c)
	}
	cls, _ := rdim.tbl.Lookup(remote)
	sr := rdim.cls[cls]
	cm := max(*rmask, 0)
	i := first(m&(sr.pres|rdim.baseMask[cm]), l, rdim.base[cm*w:cm*w+w], sr, rdim.ext, a, b, c)
	if *rmask >= 0 || (i >= 0 && i < t.ctxFirst[rdimIdx]) || t.ctxFirst[rdimIdx] >= len(t.access) {
		return i
	}
	*rmask = int(scope.mask(remote))
	if *rmask == 0 {
		return i
	}
	cm = *rmask
	return first(m&(sr.pres|rdim.baseMask[cm]), l, rdim.base[cm*w:cm*w+w], sr, rdim.ext, a, b, c)
}

// matchPlatform is match for platform traffic: only the rules whose
// destination is an AzurePlatform* tag take part. It is off the common path.
func (t *dirTable) matchPlatform(rdim *addrDim, l []uint64, remote netip.Addr, rmask *int, scope *Scope, a, b, c []uint64) int {
	w := t.words
	if *rmask < 0 {
		*rmask = int(scope.mask(remote))
	}
	var r [maxWords]uint64
	rdim.row(&r, remote, uint8(*rmask), w)
	for j, x := range t.platform[:w] {
		r[j&(maxWords-1)] &= x
	}
	for i := range w {
		x := l[i] & r[i&(maxWords-1)] & a[i] & b[i]
		if c != nil {
			x &= c[i]
		}
		if x != 0 {
			return i<<6 + bits.TrailingZeros64(x)
		}
	}
	return -1
}
