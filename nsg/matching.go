package nsg

import "math/bits"

// Matching calls fn with every rule whose conditions flow f satisfies:
// stage by stage in f's evaluation order (admin rules, then the NSGs in
// the order of [Classifier.Verdict]), and within a stage in priority
// order; i is the rule's index for f's direction ([Group.Rule]).
//
// Unlike Verdict it does not stop at a stage's first match, nor at a
// stage that decides: the rules of the stages a Deny (or an AlwaysAllow
// admin rule) keeps f from reaching are reported too, so that a caller can
// tell the rules that match a flow but do not decide it. For every stage
// Verdict evaluates, the first rule Matching reports is the one Verdict
// records ([Verdict.Rules]). For platform traffic (outbound to
// 168.63.129.16 or 169.254.169.254) only the rules whose destination is an
// AzurePlatform* tag take part, as in Verdict. A stage with no group
// reports nothing, and so does an invalid direction.
//
// Matching does not allocate (when fn does not escape, its closure stays
// on the caller's stack).
func (c *Classifier) Matching(f Flow, fn func(st Stage, i int)) {
	if !f.Direction.IsValid() {
		return
	}
	di := dirIndex(f.Direction)
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	local, remote := src, dst
	if f.Direction == Inbound {
		local, remote = dst, src
	}
	sp, dp := f.SrcPort, f.DstPort
	if !f.Proto.HasPorts() {
		sp, dp = 0, 0
	}
	ai := -1
	for i, a := range c.addrs {
		if a == local {
			ai = i
			break
		}
	}
	platform := f.Direction == Outbound && isPlatform(dst)
	pc := int(protoClass[f.Proto])
	lmask, rmask := uint8(0), c.scope.mask(remote)
	if ai < 0 {
		lmask = c.scope.mask(local)
	}
	for _, st := range stageOrder[di] {
		g := c.groups[st]
		if g == nil {
			continue
		}
		t := &g.tables[di]
		w := t.words
		ldim, rdim := &t.src, &t.dst
		if f.Direction == Inbound {
			ldim, rdim = &t.dst, &t.src
		}
		var row, r [maxWords]uint64
		if ai >= 0 {
			copy(row[:w], c.bound[st][di][ai*w:ai*w+w])
		} else {
			ldim.row(&row, local, lmask, w)
		}
		rdim.row(&r, remote, rmask, w)
		spr := t.sport.rows[t.sport.rowIndex(sp)*w:]
		dpr := t.dport.rows[t.dport.rowIndex(dp)*w:]
		pr := t.proto[pc*w:]
		for j := range w {
			x := row[j] & r[j] & pr[j] & spr[j] & dpr[j]
			if platform {
				x &= t.platform[j]
			}
			for ; x != 0; x &= x - 1 {
				fn(st, j<<6+bits.TrailingZeros64(x))
			}
		}
	}
}
