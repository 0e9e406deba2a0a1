package nsg

import (
	"math/bits"
	"slices"
	"unsafe"

	"github.com/egresslab/egress/ipproto"
	"github.com/gaissmai/bart"
)

// FlatOut is an [OutPath]'s outbound evaluation of IPv4 flows in the compact
// form of a bulk classifier (simulate's Engine.ClassifyBatch): one word of
// the address's own (its bound row) and a table of a few hundred bytes
// shared by every address under the same NSG, which holds, per port
// interval and per address class, the row word itself rather than an index
// to it, so that a verdict reads a handful of lines of one small
// allocation, searches them without a branch the data decides, and a
// network's tables stay in the caches (10,000 NICs under 1,000 NSGs of 20
// rules: about 600 KB).
//
// It covers the OutPaths of no NSG, one or two (the NIC's and the
// subnet's) without security admin rules, whose outbound tables are one
// word wide (at most 64 rules with the defaults): [FlatBuilder.Flat]
// reports the others. The context-tag class of the
// destination is the caller's: it flattens [OutPath.ScopeRanges4] together
// with its other partitions of the address space. [FlatOut.Verdict]
// answers exactly as [OutPath.Verdict] does. A FlatOut is immutable and
// safe for concurrent use; the zero FlatOut is not usable.
type FlatOut struct {
	t *flatTable
	l uint64 // the address's bound row
}

// flatTable is the one-word outbound table of one NSG, flattened.
type flatTable struct {
	v4    *ranges4 // the destination partition's IPv4 intervals -> class
	cls   []uint64 // per class: its row word (its sparse row's word 0), base excluded
	base  [ctxMasks]uint64
	proto [numProtoClasses]uint64
	deny  uint64 // bit i: rule i denies
	stage Stage
	// reason is the Reason of a verdict no rule denies: ReasonRule, or
	// ReasonNoNSG for the table of an address under no NSG (whose rows
	// are all zero: no rule, so no match).
	reason Reason
	dport  flatPorts
	sport  flatPorts
	// For a NIC under two NSGs (this table the NIC's): the subnet NSG's
	// table, evaluated after this one unless it denies, and the address's
	// bound row in it.
	sub  *flatTable
	subL uint64
}

// flatPorts is a port dimension as interval starts (starts[0] is 0) and
// the row word of each interval.
type flatPorts struct {
	starts []uint16
	rows   []uint64
}

// row returns the row word of port p.
func (f *flatPorts) row(p uint16) uint64 {
	s := f.starts
	base, n := 0, len(s)
	for n > 1 { // the largest i with s[i] <= p; s[0] is 0
		half := n >> 1
		base += half &^ ((int(p) - int(s[base+half])) >> 63) // + half if s[base+half] <= p, without a branch
		n -= half
	}
	return f.rows[base]
}

// FlatBuilder makes the [FlatOut]s of many OutPaths, one flattened table per
// NSG table and stage among them. The zero FlatBuilder is ready to use; it is not
// safe for concurrent use.
type FlatBuilder struct {
	tables map[flatKey]*flatTable
}

// flatKey names a flattened table: one NSG's table may be the NIC stage of
// one address and the subnet stage of another, and a verdict names the
// stage.
type flatKey struct {
	t  *dirTable
	st Stage
	// For a pair: the subnet NSG's table and the address's bound row in it.
	sub  *dirTable
	subL uint64
}

// Flat returns o's compact form; ok is false for an OutPath it does not
// cover (security admin rules, an outbound table wider than one word, an
// address the Classifier does not have), which the caller evaluates with
// [OutPath.Verdict].
func (b *FlatBuilder) Flat(o *OutPath) (f FlatOut, ok bool) {
	if o.t[StageAdmin] != nil {
		return FlatOut{}, false
	}
	switch o.mode {
	case outSlow:
		if o.t != [3]*dirTable{} || o.ai < 0 || int(o.ai) >= len(o.c.addrs) {
			return FlatOut{}, false // a wide table, or no such address
		}
		// No NSG: every flow is allowed, with ReasonNoNSG.
		k := flatKey{}
		ft := b.tables[k]
		if ft == nil {
			ft = &flatTable{v4: newRanges4(new(bart.Table[uint32])), cls: []uint64{0}, reason: ReasonNoNSG}
			ft.dport = flatPorts{starts: []uint16{0}, rows: []uint64{0}}
			ft.sport = ft.dport
			if b.tables == nil {
				b.tables = map[flatKey]*flatTable{}
			}
			b.tables[k] = ft
		}
		return FlatOut{t: ft}, true
	case outOne:
		st := o.one & 3
		ft := b.table(o.t[st], st)
		if ft == nil {
			return FlatOut{}, false
		}
		return FlatOut{t: ft, l: o.l[st]}, true
	case outPair:
		// The NSGs' own tables, not the pair's fused ones: each has its
		// own destination partition, and the rules' indices are the same.
		a, sb := &o.c.groups[StageNIC].tables[dirIndex(Outbound)], &o.c.groups[StageSubnet].tables[dirIndex(Outbound)]
		fa, fs := b.table(a, StageNIC), b.table(sb, StageSubnet)
		if fa == nil || fs == nil {
			return FlatOut{}, false
		}
		k := flatKey{t: a, st: StageNIC, sub: sb, subL: o.l[StageSubnet]}
		ft := b.tables[k]
		if ft == nil {
			c := *fa
			c.sub, c.subL = fs, o.l[StageSubnet]
			ft = &c
			b.tables[k] = ft
		}
		return FlatOut{t: ft, l: o.l[StageNIC]}, true
	}
	return FlatOut{}, false
}

// table returns the flattened table of t at stage st, made once; nil when
// t is not a one-word table.
func (b *FlatBuilder) table(t *dirTable, st Stage) *flatTable {
	if t == nil || t.words != 1 || len(t.access) > 64 || t.dst.v4 == nil {
		return nil
	}
	k := flatKey{t: t, st: st}
	ft := b.tables[k]
	if ft == nil {
		ft = flatten(t, st)
		if b.tables == nil {
			b.tables = map[flatKey]*flatTable{}
		}
		b.tables[k] = ft
	}
	return ft
}

// flatten is t, a one-word outbound table of stage st, as a flatTable.
func flatten(t *dirTable, st Stage) *flatTable {
	f := &flatTable{v4: t.dst.v4, stage: st, cls: make([]uint64, len(t.dst.cls)), reason: ReasonRule}
	for c, sr := range t.dst.cls {
		if sr.pres&1 != 0 {
			f.cls[c] = t.dst.ext[sr.off]
		}
	}
	copy(f.base[:], t.dst.base[:ctxMasks])
	copy(f.proto[:], t.proto[:numProtoClasses])
	for i, a := range t.access {
		if a == Deny {
			f.deny |= 1 << i
		}
	}
	f.dport, f.sport = flattenPorts(&t.dport), flattenPorts(&t.sport)
	return f
}

func flattenPorts(d *portDim) flatPorts {
	f := flatPorts{starts: d.starts, rows: make([]uint64, len(d.starts))}
	for k := range d.starts {
		f.rows[k] = d.rows[d.rowOf[k]]
	}
	return f
}

// Verdict is [OutPath.Verdict] of the OutPath f was made from, for an
// outbound flow to the IPv4 address a (big-endian; not one of the platform
// addresses 168.63.129.16 and 169.254.169.254, which OutPath.Verdict
// answers apart), whose context class ctx is the value ScopeRanges4 gives
// for a. It does not allocate.
func (f *FlatOut) Verdict(a uint32, ctx uint8, proto ipproto.Proto, sp, dp uint16) Verdict {
	return f.VerdictClass(f.Class(a), ctx, proto, sp, dp)
}

// Class returns the class of IPv4 address a (big-endian) in the NSGs'
// destination partitions, for [FlatOut.VerdictClass]: a caller verdicting
// many flows looks up every flow's class before any verdict, so that the
// searches of different flows overlap.
func (f *FlatOut) Class(a uint32) uint64 {
	c := uint64(f.t.v4.lookup(a))
	if s := f.t.sub; s != nil {
		c |= uint64(s.v4.lookup(a)) << 32
	}
	return c
}

// VerdictClass is [FlatOut.Verdict] given c = f.Class(a).
func (f *FlatOut) VerdictClass(c uint64, ctx uint8, proto ipproto.Proto, sp, dp uint16) Verdict {
	if !proto.HasPorts() {
		sp, dp = 0, 0
	}
	t := f.t
	v := Verdict{Access: Allow, Reason: t.reason, Rules: noRules}
	// t.first, by hand: the compiler does not inline it, and one NSG is
	// the common case.
	if x := f.l & (t.base[ctx&(ctxMasks-1)] | t.cls[uint32(c)]) & t.proto[protoClass[proto]] & t.sport.row(sp) & t.dport.row(dp); x != 0 {
		i := bits.TrailingZeros64(x)
		v.Rules.set(t.stage, int16(i))
		if t.deny>>i&1 != 0 {
			v.Access = Deny
			return v
		}
	}
	if t.sub != nil {
		t.sub.first(&v, t.subL, uint32(c>>32), ctx, proto, sp, dp)
	}
	return v
}

// first records in v the first rule of t an outbound flow matches, given
// the source's bound row l, the destination's class c and context class
// ctx, and reports whether it denies (v's access then Deny).
func (t *flatTable) first(v *Verdict, l uint64, c uint32, ctx uint8, proto ipproto.Proto, sp, dp uint16) bool {
	x := l & (t.base[ctx&(ctxMasks-1)] | t.cls[c]) & t.proto[protoClass[proto]] & t.sport.row(sp) & t.dport.row(dp)
	if x == 0 {
		return false
	}
	i := bits.TrailingZeros64(x)
	v.Rules.set(t.stage, int16(i))
	if t.deny>>i&1 != 0 {
		v.Access = Deny
		return true
	}
	return false
}

// Size returns the bytes of the flattened tables b has made (for the
// caller's accounting of its working set).
func (b *FlatBuilder) Size() int {
	n := 0
	for k, t := range b.tables {
		n += int(unsafe.Sizeof(*t))
		if k.sub == nil { // a pair's table shares its NIC NSG's slices
			n += 8*len(t.cls) + 8*(len(t.dport.rows)+len(t.sport.rows))
		}
	}
	return n
}

// ScopeRanges4 returns the context-tag classes of the IPv4 space for o's
// address as sorted intervals: starts[i] is the first address of interval
// i (big-endian; starts[0] is 0), ctx[i] the class [FlatOut.Verdict] takes
// for its addresses. Both slices are freshly allocated.
func (o *OutPath) ScopeRanges4() (starts []uint32, ctx []uint8) {
	s := &o.scope.v4
	return slices.Clone(s.starts), slices.Clone(s.masks)
}

// Scope returns the Scope o's context-tag classes come from: OutPaths with
// the same Scope have the same ScopeRanges4.
func (o *OutPath) Scope() *Scope { return o.scope }
