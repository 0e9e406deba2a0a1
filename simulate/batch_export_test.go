package simulate

import "github.com/egresslab/egress/ipproto"

// BatchStateBytes returns the bytes of e's compact first-hop state
// (ClassifyBatch's), building it if need be, and how many of e's NICs it
// covers.
func BatchStateBytes(e *Engine) (bytes, covered int) {
	bs := e.batchState()
	for _, n := range bs.nics {
		if n.n > 0 {
			covered++
		}
	}
	return bs.size, covered
}

// BatchCompact reports whether ClassifyBatch decides f from its compact
// state rather than by Classify (stages 1 and 2 of classifyChunk).
func BatchCompact(e *Engine, f BatchFlow) bool {
	if f.NIC.e != e || f.Port == 0 && f.Proto.HasPorts() || f.Proto == ipproto.Unknown {
		return false
	}
	dst := f.Dst.Unmap()
	if !dst.Is4() || isPlatform(dst) {
		return false
	}
	bs := e.batchState()
	bn := &bs.nics[f.NIC.h]
	if bn.n == 0 {
		return false
	}
	b := dst.As4()
	a := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	return firstHopVal(bs.cuts[bn.off:bn.off+bn.n], bs.vals[bn.off:bn.off+bn.n], a)&0xff != noFirstHop
}
