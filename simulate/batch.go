package simulate

import (
	"net/netip"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
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
	key  nsg.OutKey
	done bool
}

// classifyChunk is ClassifyBatch on at most batchChunk flows. Each stage
// does one step of every flow before the next stage starts: the loads of
// different flows do not depend on one another, so the processor has many
// of them in flight at once, where flow by flow it waits for each miss in
// turn.
func (e *Engine) classifyChunk(flows []BatchFlow, out []Decision) {
	var buf [batchChunk]chunkState
	cs := buf[:len(flows)] // len(flows) <= batchChunk
	out = out[:len(flows)]
	// Stage 1: the NICs' state, which also tells the flows the fast path
	// takes.
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
	// Stage 2: prefetch what the NICs' state points to, that stages 3 and
	// 4 read first: the route table, the NSG tables and Scope, the egress.
	var touched uint64
	for i := range cs {
		if st := cs[i].st; st != nil {
			touched += st.table.Prefetch() + st.out.Prefetch() + uint64(e.egress[st.egress4].carry)
		}
	}
	// Stage 3: the route lookups.
	for i := range cs {
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
	// Stage 4: the NSGs' lookups (destination class and context mask, port
	// rows).
	for i := range cs {
		if c := &cs[i]; c.st != nil {
			f := &flows[i]
			c.key = c.st.out.Key(c.dst, f.Proto, EphemeralPort, f.Port)
		}
	}
	// Stage 5: prefetch the rows the verdicts read.
	for i := range cs {
		if c := &cs[i]; c.st != nil {
			touched += c.st.out.PrefetchKey(c.key)
		}
	}
	// Stage 6: the verdicts and the decisions.
	for i := range cs {
		c := &cs[i]
		if c.st == nil {
			continue
		}
		f := &flows[i]
		out[i], c.done = e.decideFirstKey(f.NIC.h, c.st, c.act, c.dst, c.key, f.Proto, f.Port)
	}
	// Stage 7: what the fast path leaves, one by one.
	for i := range flows {
		if c := &cs[i]; !c.done {
			f := &flows[i]
			out[i] = e.Classify(f.NIC, f.Dst, f.Proto, f.Port)
		}
	}
	if touched == 1<<63 { // never: it keeps the prefetching loads
		cs[0].done = false
	}
}
