package nsg

import (
	"math/bits"
	"net/netip"
	"slices"
	"sync"
	"weak"

	"github.com/gaissmai/bart"

	"github.com/egresslab/egress/ipproto"
)

// The fused NIC+subnet path. An outbound flow of a NIC bound to two NSGs
// (the simulator's hot path) is matched against the NIC's NSG, then the
// subnet's. Instead of two destination lookups and two port searches, a
// pairTable holds, for the two groups' outbound tables, one refined
// partition of the destination space (every static destination prefix of
// either NSG; a longest-prefix match gives both classes at once) and merged
// port intervals (one search gives both rows). The rows themselves stay in
// the groups' tables and are shared: the pair adds only the refined bart
// table, its class pairs and the merged intervals.
//
// The evaluation is the same as the staged one, word for word: the first set
// bit of the NIC's rows decides (a Deny ends it), then the first set bit of
// the subnet's rows. pairTables are cached on the NIC's NSG per subnet NSG,
// so NICs sharing their two NSGs share one, and bind cost grows with the
// distinct pairs, not with the NICs.

// pairTable fuses the outbound tables of a NIC's NSG (a) and of its subnet's
// NSG (b).
type pairTable struct {
	a, b         dirTable            // copies of the groups' outbound tables; the rows are shared
	tbl          *bart.Table[uint32] // every static destination prefix of a and b -> index into cls; a miss is 0
	v4           *ranges4            // tbl's IPv4 part flattened
	cls          []pairClass         // cls[0] is the miss: no extras in either
	sport, dport pairPorts
}

// pairClass is one class of the refined destination partition: the class
// rows of a and b.
type pairClass struct{ a, b sparseRow }

// pairPorts is the merge of a port dimension of a and b: rows[i] holds the
// row index in a (low 16 bits) and in b (high 16 bits) of the interval
// starting at starts[i].
type pairPorts struct {
	rows      []uint32
	portIndex // last, as in portDim
}

// pairCache holds the pairTables of one NSG (as the NIC's NSG) by subnet
// NSG. It is the only mutable state of a Group: entries are added when NICs
// are bound, under mu, and never change; an entry whose subnet NSG has been
// collected is dropped at the next insertion.
type pairCache struct {
	mu sync.Mutex
	m  map[weak.Pointer[Group]]*pairTable
}

// pairWith returns the pairTable of g as the NIC's NSG and sub as the
// subnet's, building it on first use.
func (g *Group) pairWith(sub *Group) *pairTable {
	pc := g.pairs
	if pc == nil {
		return nil
	}
	key := weak.Make(sub)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if p, ok := pc.m[key]; ok {
		return p
	}
	if pc.m == nil {
		pc.m = map[weak.Pointer[Group]]*pairTable{}
	}
	for k := range pc.m {
		if k.Value() == nil {
			delete(pc.m, k)
		}
	}
	out := dirIndex(Outbound)
	p := newPairTable(&g.tables[out], &sub.tables[out])
	pc.m[key] = p
	return p
}

func newPairTable(a, b *dirTable) *pairTable {
	p := &pairTable{a: *a, b: *b, tbl: new(bart.Table[uint32]), cls: []pairClass{{}}}
	ids := map[pairClass]uint32{{}: 0} // classes with the same rows share an index
	add := func(q netip.Prefix) {
		if _, ok := p.tbl.Get(q); ok {
			return
		}
		// The longest prefix of the union containing an address is q; the
		// longest prefix of a (or b) containing it is then the longest one
		// containing q.
		ca, _ := a.dst.tbl.LookupPrefix(q)
		cb, _ := b.dst.tbl.LookupPrefix(q)
		pc := pairClass{a.dst.cls[ca], b.dst.cls[cb]}
		id, ok := ids[pc]
		if !ok {
			id = uint32(len(p.cls))
			ids[pc] = id
			p.cls = append(p.cls, pc)
		}
		p.tbl.Insert(q, id)
	}
	for q := range a.dst.tbl.All() {
		add(q)
	}
	for q := range b.dst.tbl.All() {
		add(q)
	}
	p.cls = slices.Clip(p.cls)
	p.v4 = newRanges4(p.tbl)
	p.sport = mergePorts(&a.sport, &b.sport)
	p.dport = mergePorts(&a.dport, &b.dport)
	return p
}

func mergePorts(a, b *portDim) pairPorts {
	var m pairPorts
	cuts := slices.Concat(a.starts, b.starts)
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var starts []uint16
	ia, ib := 0, 0
	for _, s := range cuts {
		for ia+1 < len(a.starts) && a.starts[ia+1] <= s {
			ia++
		}
		for ib+1 < len(b.starts) && b.starts[ib+1] <= s {
			ib++
		}
		r := uint32(a.rowOf[ia]) | uint32(b.rowOf[ib])<<16
		if n := len(m.rows); n > 0 && m.rows[n-1] == r {
			continue
		}
		starts = append(starts, s)
		m.rows = append(m.rows, r)
	}
	m.portIndex = indexPorts(starts)
	return m
}

// row returns the packed row indices of port p (see portDim.rowIndex).
func (m *pairPorts) row(p uint16) uint32 { return m.rows[m.find(p)] }

// firstOut returns the first rule of the outbound table t matching a flow
// whose destination has the class row sr and the context mask cm (known), given the
// source ports' row index sk, the destination ports' dk, the protocol class
// pc and the bound source row l (with its word mask); -1 if none. It is
// match without the lookups.
func (t *dirTable) firstOut(sr sparseRow, sk, dk, pc int, l []uint64, lm uint32, cm int) int {
	w := t.words
	d := &t.dst
	cm &= ctxMasks - 1
	m := lm & t.dport.masks[dk] & (sr.pres | d.baseMask[cm])
	b := t.dport.rows[dk*w : dk*w+w]
	base := d.base[cm*w : cm*w+w]
	if t.ps != nil {
		k := sk*numProtoClasses + pc
		a := t.ps[k*w : k*w+w]
		for m &= t.psMask[k]; m != 0; m &= m - 1 {
			i := bits.TrailingZeros32(m) & (maxWords - 1)
			r := base[i]
			if bit := uint32(1) << i; sr.pres&bit != 0 {
				r |= d.ext[int(sr.off)+bits.OnesCount32(sr.pres&(bit-1))]
			}
			if x := l[i] & r & a[i] & b[i]; x != 0 {
				return i<<6 + bits.TrailingZeros64(x)
			}
		}
		return -1
	}
	a := t.proto[pc*w : pc*w+w]
	c := t.sport.rows[sk*w : sk*w+w]
	m &= t.protoMask[pc] & t.sport.masks[sk]
	return first(m, l, base, sr, d.ext, a, b, c)
}

// verdictOut is Verdict for an outbound flow of a Classifier with one or
// two NSGs (c.fast). It reports false, and leaves the flow to the staged
// path, for platform traffic and for a source address that is not one of
// the NIC's.
func (c *Classifier) verdictOut(f Flow) (Verdict, bool) {
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	ai := slices.Index(c.addrs, src)
	if ai < 0 || isPlatform(dst) {
		return Verdict{}, false
	}
	return c.outbound(ai, dst, f.Proto, f.SrcPort, f.DstPort), true
}

// Outbound is [Classifier.Verdict] for an outbound flow from the NIC's
// address Addrs[ai] (as given to [NewClassifier]; ai must index it) to dst.
// It is the hot path of a caller that knows its NIC's address: the flow is
// passed in registers rather than built as a [Flow], and the source address
// is not searched for.
func (c *Classifier) Outbound(ai int, dst netip.Addr, proto ipproto.Proto, sport, dport uint16) Verdict {
	dst = dst.Unmap()
	if !c.fast || isPlatform(dst) {
		return c.Verdict(Flow{Direction: Outbound, Proto: proto, Src: c.addrs[ai], Dst: dst, SrcPort: sport, DstPort: dport})
	}
	return c.outbound(ai, dst, proto, sport, dport)
}

// adminDecides records security admin rule i, of access a, as the match
// of an outbound flow's admin stage in v, and reports whether it decides
// the flow (a Deny or an AlwaysAllow), setting v's access and reason; an
// Allow rule lets the flow on to the NSGs. Classifier.outbound and
// OutPath.Verdict share it (it is inlined).
func adminDecides(v *Verdict, a Access, i int) bool {
	v.Rules.Admin = int16(i)
	switch a {
	case Deny:
		v.Access, v.Reason = Deny, ReasonAdmin
		return true
	case AlwaysAllow:
		v.Access, v.Reason = Allow, ReasonAdmin
		return true
	}
	return false
}

// outbound is the unrolled outbound path of a Classifier with one or two
// NSGs, for the NIC's address ai and an unmapped, non-platform dst: the
// stages are unrolled, and with two NSGs their pairTable gives both
// destination classes and both port rows in one lookup each.
func (c *Classifier) outbound(ai int, dst netip.Addr, proto ipproto.Proto, sp, dp uint16) Verdict {
	if testHookFast != nil {
		testHookFast()
	}
	if !proto.HasPorts() {
		sp, dp = 0, 0
	}
	pc := int(protoClass[proto])
	rmask := -1 // dst's context mask, once looked up
	v := Verdict{Rules: noRules}
	out := dirIndex(Outbound)
	if g := c.groups[StageAdmin]; g != nil {
		t := &g.tables[out]
		w := t.words
		l, lm := c.bound[StageAdmin][out][ai*w:ai*w+w], c.boundM[StageAdmin][out][ai]
		if i := t.match(&t.dst, 1, l, lm, dst, &rmask, c.scope, pc, sp, dp, false); i >= 0 && adminDecides(&v, t.access[i], i) {
			return v
		}
	}
	v.Access, v.Reason = Allow, ReasonRule
	if rmask < 0 {
		// Every NSG has default rules naming VirtualNetwork and Internet,
		// so the mask is nearly always needed; for IPv4 it costs two loads.
		rmask = int(c.scope.mask(dst))
	}
	p := c.pair
	if p == nil { // one NSG
		st := c.oneStage
		t := &c.groups[st].tables[out]
		w := t.words
		l, lm := c.bound[st][out][ai*w:ai*w+w], c.boundM[st][out][ai]
		sk, dk := t.sport.rowIndex(sp), t.dport.rowIndex(dp)
		sr := t.dst.cls[t.dst.v4.lookupAddr(t.dst.tbl, dst)]
		i := t.firstOut(sr, sk, dk, pc, l, lm, rmask)
		if i >= 0 {
			v.Rules.set(st, int16(i))
			if t.access[i] == Deny {
				v.Access = Deny
			}
		}
		return v
	}
	ks, kd := p.sport.row(sp), p.dport.row(dp)
	cl := &p.cls[p.v4.lookupAddr(p.tbl, dst)]
	wa := p.a.words
	la, lma := c.bound[StageNIC][out][ai*wa:ai*wa+wa], c.boundM[StageNIC][out][ai]
	i := p.a.firstOut(cl.a, int(ks&0xffff), int(kd&0xffff), pc, la, lma, rmask)
	if i >= 0 {
		v.Rules.NIC = int16(i)
		if p.a.access[i] == Deny {
			v.Access = Deny
			return v
		}
	}
	wb := p.b.words
	lb, lmb := c.bound[StageSubnet][out][ai*wb:ai*wb+wb], c.boundM[StageSubnet][out][ai]
	i = p.b.firstOut(cl.b, int(ks>>16), int(kd>>16), pc, lb, lmb, rmask)
	if i >= 0 {
		v.Rules.Subnet = int16(i)
		if p.b.access[i] == Deny {
			v.Access = Deny
		}
	}
	return v
}
