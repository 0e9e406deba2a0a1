package nsg

import (
	"net/netip"

	"github.com/egresslab/egress/ipproto"
)

// OutPath is the outbound evaluation of one of a [Classifier]'s addresses,
// flattened into a small value that a caller keeps inline in its own
// per-NIC state: the outbound tables of the stages, the NIC's Scope, the
// fused NIC+subnet table and the address's bound rows are read from it
// directly, not through the Classifier. On a network with thousands of NICs
// (a working set far beyond the caches) that saves a dependent memory miss
// per flow, the Classifier's, and another for the bound rows, which for
// tables of at most 64 rules per direction are held here.
//
// [OutPath.Verdict] answers exactly as [Classifier.Outbound] does for the
// same address. The zero OutPath is not usable; get one from
// [Classifier.OutPath]. It refers to the Classifier, which must outlive it;
// it is immutable and safe for concurrent use.
type OutPath struct {
	t     [3]*dirTable // the outbound table by Stage, nil for none
	l     [3]uint64    // the address's bound row by Stage (one-word tables)
	scope *Scope
	pair  *pairTable
	c     *Classifier // for the paths not flattened
	ai    int32
	mode  uint8 // outSlow, outOne or outPair
	one   Stage // outOne: the stage of the only NSG
}

const (
	outSlow = iota // Classifier.Outbound answers: no NSG, or a table wider than one word
	outOne         // one NSG (NIC or subnet), admin rules or not
	outPair        // both NSGs, through their pairTable
)

// OutPath returns the flattened outbound evaluation of address Addrs[ai]
// (as given to [NewClassifier]). For an ai that indexes no address it
// returns an OutPath whose Verdict is Outbound's for that ai: a caller that
// holds one for a NIC without addresses must not ask it.
func (c *Classifier) OutPath(ai int) OutPath {
	o := OutPath{scope: c.scope, pair: c.pair, c: c, ai: int32(ai), mode: outSlow}
	if ai < 0 || ai >= len(c.addrs) {
		return o // no such address: Verdict answers as Outbound would
	}
	out := dirIndex(Outbound)
	narrow := true
	for st, g := range c.groups {
		if g == nil {
			continue
		}
		t := &g.tables[out]
		o.t[st] = t
		if t.words != 1 {
			narrow = false
			continue
		}
		o.l[st] = c.bound[st][out][ai]
	}
	switch {
	case !c.fast || !narrow:
	case c.pair != nil:
		o.mode, o.t[StageNIC], o.t[StageSubnet] = outPair, &c.pair.a, &c.pair.b
	default:
		o.mode, o.one = outOne, c.oneStage
	}
	return o
}

// Verdict is [Classifier.Outbound] for the OutPath's address: an outbound
// flow from it to dst. It does not allocate.
func (o *OutPath) Verdict(dst netip.Addr, proto ipproto.Proto, sp, dp uint16) Verdict {
	dst = dst.Unmap()
	if o.mode == outSlow || isPlatform(dst) {
		return o.c.Outbound(int(o.ai), dst, proto, sp, dp)
	}
	if testHookFast != nil {
		testHookFast()
	}
	if !proto.HasPorts() {
		sp, dp = 0, 0
	}
	pc := int(protoClass[proto])
	rmask := -1
	v := Verdict{Rules: noRules}
	if t := o.t[StageAdmin]; t != nil {
		l := o.l[StageAdmin : StageAdmin+1]
		if i := t.match(&t.dst, 1, l, mask1(l[0]), dst, &rmask, o.scope, pc, sp, dp, false); i >= 0 && adminDecides(&v, t.access[i], i) {
			return v
		}
	}
	if rmask < 0 {
		rmask = int(o.scope.mask(dst))
	}
	k := o.key(dst, pc, sp, dp)
	k.mask = uint8(rmask)
	return o.decide(v, k)
}

// key looks up everything but the context mask of an outbound flow's
// outKey: dst's class in the NSGs' partition (the pair's when fused) and
// the port rows.
func (o *OutPath) key(dst netip.Addr, pc int, sp, dp uint16) outKey {
	k := outKey{pc: uint8(pc)}
	if o.mode == outOne {
		t := o.t[o.one&3]
		k.cls = t.dst.v4.lookupAddr(t.dst.tbl, dst)
		k.sk, k.dk = uint32(t.sport.rowIndex(sp)), uint32(t.dport.rowIndex(dp))
		return k
	}
	p := o.pair
	k.cls = p.v4.lookupAddr(p.tbl, dst)
	k.sk, k.dk = p.sport.row(sp), p.dport.row(dp)
	return k
}

// decide finishes Verdict once the admin rules have let the flow on (v
// holds their match) and the flow's key is looked up.
func (o *OutPath) decide(v Verdict, k outKey) Verdict {
	v.Access, v.Reason = Allow, ReasonRule
	pc, rmask := int(k.pc), int(k.mask)
	if o.mode == outOne {
		st := o.one
		t := o.t[st&3]
		l := o.l[st&3 : st&3+1]
		if i := t.firstOut(t.dst.cls[k.cls], int(k.sk), int(k.dk), pc, l, mask1(l[0]), rmask); i >= 0 {
			v.Rules.set(st, int16(i))
			if t.access[i] == Deny {
				v.Access = Deny
			}
		}
		return v
	}
	p := o.pair
	cl := &p.cls[k.cls]
	la := o.l[StageNIC : StageNIC+1]
	if i := p.a.firstOut(cl.a, int(k.sk&0xffff), int(k.dk&0xffff), pc, la, mask1(la[0]), rmask); i >= 0 {
		v.Rules.NIC = int16(i)
		if p.a.access[i] == Deny {
			v.Access = Deny
			return v
		}
	}
	lb := o.l[StageSubnet : StageSubnet+1]
	if i := p.b.firstOut(cl.b, int(k.sk>>16), int(k.dk>>16), pc, lb, mask1(lb[0]), rmask); i >= 0 {
		v.Rules.Subnet = int16(i)
		if p.b.access[i] == Deny {
			v.Access = Deny
		}
	}
	return v
}

// outKey is what remains of an outbound flow once its lookups are done:
// the destination's class in the NSGs' address partition and its
// context-tag mask, the protocol class and the port rows.
type outKey struct {
	cls, sk, dk uint32
	pc, mask    uint8
}

// mask1 is the word mask of a one-word row.
func mask1(x uint64) uint32 {
	if x != 0 {
		return 1
	}
	return 0
}
