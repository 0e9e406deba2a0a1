package simulate

import (
	"net/netip"

	"github.com/egresslab/egress/ipproto"
)

// BatchFlow is one flow of [Engine.ClassifyBatch]: the arguments of
// [Engine.Classify].
type BatchFlow struct {
	NIC   NIC
	Dst   netip.Addr
	Proto ipproto.Proto
	Port  uint16
}

// batchChunk is how many flows ClassifyBatch carries through each stage
// together: enough independent lookups in flight to overlap their memory
// misses, few enough that a chunk's state stays in L1.
const batchChunk = 32

// ClassifyBatch classifies flows[i] into out[i], as [Engine.Classify] would
// one by one, and returns out[:len(flows)]. out is grown (the one
// allocation) only when it is shorter than flows; with a long enough out
// it allocates nothing.
//
// It is faster than a loop of Classify on a network whose state far
// exceeds the caches (thousands of NICs, random flows), because it does
// the work stage by stage over chunks of flows rather than flow by flow, as
// DPDK's rte_lpm_lookup_bulk does
// (https://doc.dpdk.org/guides/prog_guide/lpm_lib.html): first every flow's
// NIC state, then every route lookup, then every NSG evaluation, so that
// the lookups of different flows, which do not depend on one another, are
// in flight together and their cache misses overlap. Flows the first-hop
// fast path does not decide (appliances, peerings, IPv6, invalid flows)
// are classified by Classify itself, in order.
func (e *Engine) ClassifyBatch(flows []BatchFlow, out []Decision) []Decision {
	if cap(out) < len(flows) {
		out = make([]Decision, len(flows)) // what out held is overwritten anyway
	}
	out = out[:len(flows)]
	for lo := 0; lo < len(flows); lo += batchChunk {
		hi := min(lo+batchChunk, len(flows))
		e.classifyChunk(flows[lo:hi], out[lo:hi])
	}
	return out
}

// chunkState is one flow's state between ClassifyBatch's stages.
type chunkState struct {
	st   *nicState // nil: not for the fast path (Classify decides it)
	act  action
	dst  netip.Addr
	done bool
}

// classifyChunk is ClassifyBatch on at most batchChunk flows.
func (e *Engine) classifyChunk(flows []BatchFlow, out []Decision) {
	var buf [batchChunk]chunkState
	cs := buf[:len(flows)] // len(flows) <= batchChunk
	out = out[:len(flows)]
	// Stage 1: the NICs' state. The loads of different flows are
	// independent: their misses overlap.
	for i := range flows {
		f := &flows[i]
		c := &cs[i]
		if f.NIC.e != e {
			continue
		}
		dst := f.Dst.Unmap()
		st := &e.nics[f.NIC.h]
		if !dst.Is4() || !st.addr.IsValid() || isPlatform(dst) || st.unsure || f.Port == 0 && f.Proto.HasPorts() || f.Proto == ipproto.Unknown {
			continue
		}
		c.st, c.dst = st, dst
	}
	// Stage 2: the route lookups.
	for i := range flows {
		c := &cs[i]
		if c.st == nil {
			continue
		}
		m, ok := c.st.table.Lookup(c.dst)
		if !ok {
			c.st = nil
			continue
		}
		c.act = c.st.actions[m.Index()]
	}
	// Stage 3: the NSG evaluations and the decisions.
	for i := range flows {
		c := &cs[i]
		if c.st == nil {
			continue
		}
		f := &flows[i]
		out[i], c.done = e.decideFirst(f.NIC.h, c.st, c.act, c.dst, f.Proto, f.Port)
	}
	// Stage 4: what the fast path leaves, one by one.
	for i := range flows {
		if c := &cs[i]; !c.done {
			f := &flows[i]
			out[i] = e.Classify(f.NIC, f.Dst, f.Proto, f.Port)
		}
	}
}
