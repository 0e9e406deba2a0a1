package simulate

import (
	"context"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/egresslab/egress/nsg"
)

// ReachAllOptions says which egress maps [Engine.ReachAll] builds and how.
type ReachAllOptions struct {
	// NICs are the sources, in the order their maps are delivered; nil
	// means every NIC of the engine, in index order. A NIC listed twice
	// gets its map twice.
	NICs []NIC
	// Host is the server name the maps' flows give ([Engine.ReachHost]),
	// or "" for flows that name none ([Engine.Reach]).
	Host string
	// Workers is the number of maps built at once; 0 or less means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Progress, when set, is called after each map is delivered, with the
	// maps delivered so far and the total, from the goroutine that calls
	// fn.
	Progress func(done, total int)
	// part, when set, asks for part of each map (the audit's: see
	// mapPart).
	part *mapPart
}

// ReachAll builds the egress map of every NIC of opts.NICs (all by
// default), in parallel, and hands each to fn in NIC order, one at a time,
// from the calling goroutine; it stops at the first error fn returns and
// returns it, and stops when ctx is done, returning ctx.Err(). Each map is
// the one [Engine.ReachHost] builds for its NIC but for Walks and
// SharedFrom (TestReachAllDifferential holds them equal on generated
// networks and the default design).
//
// NICs whose maps provably coincide share the work, which is then done
// once per group (SharedFrom names the NIC whose walks a map reuses): NICs
// of one subnet with the same security groups (admin, NIC and subnet: the
// same compiled groups, so the same ASG memberships), egress of the same
// kind for each family (method, and the protocols it carries: a map's
// decisions name the member's own egress set, so its public IPs are the
// member's own), the same unknowns, none
// of them a next hop of a route (an NVA), and source addresses that every
// source condition the walks can meet holds alike: the source side of
// every rule of the security groups of every NIC the flows can cross or
// reach (context tags expanded by each one's scope) and of every reached
// firewall's rules. Walks from such NICs differ only by the source, but
// for flows to a member's own addresses (to itself, or to another member):
// the group's walk covers those with one more row per member address (the
// member's flows to itself; every other member's flows to the first
// member), and each member's map is assembled from the rows.
//
// Memory stays bounded: at most about twice Workers maps are held at once
// (maps are streamed to fn, which may keep them), and a group's shared
// rows are dropped once its last map is built. fn must not call ReachAll
// on the same goroutine's behalf in a way that waits for this call.
//
// ReachAll panics for a handle of another engine or the zero NIC, like
// [Engine.Reach].
func (e *Engine) ReachAll(ctx context.Context, opts ReachAllOptions, fn func(NIC, *EgressMap) error) error {
	hs := make([]int32, 0, len(e.nics))
	if opts.NICs == nil {
		for h := range e.nics {
			hs = append(hs, int32(h))
		}
	} else {
		for _, n := range opts.NICs {
			hs = append(hs, e.handle(n))
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	n := len(hs)
	if n == 0 {
		return nil
	}
	groups, groupOf := e.reachGroups(hs)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i int
		m *EgressMap
	}
	results := make(chan result, workers)
	slots := make(chan struct{}, 2*workers) // maps taken and not yet delivered
	var next atomic.Int64
	var wg sync.WaitGroup
	stop := func() bool { return ctx.Err() != nil }
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				m := groups[groupOf[i]].mapOf(e, hs[i], opts.Host, opts.part, stop)
				if m == nil { // stopped
					return
				}
				select {
				case results <- result{i, m}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer wg.Wait() // after cancel (deferred later, run first)
	defer cancel()
	pending := map[int]*EgressMap{}
	for done := 0; done < n; {
		select {
		case r := <-results:
			pending[r.i] = r.m
		case <-ctx.Done():
			return ctx.Err()
		}
		for m, ok := pending[done]; ok; m, ok = pending[done] {
			delete(pending, done)
			if err := fn(NIC{e, hs[done]}, m); err != nil {
				return err
			}
			done++
			<-slots
			if opts.Progress != nil {
				opts.Progress(done, n)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// reachGroup is a group of NICs whose egress maps one template serves
// (see ReachAll): members in order of first appearance.
type reachGroup struct {
	members []int32
	once    sync.Once
	tmpl    *reachRun
	left    atomic.Int32 // maps still to build from tmpl
}

// mapOf returns member h's map, building the group's template first if
// need be; nil if stop said to stop while the template was built.
func (g *reachGroup) mapOf(e *Engine, h int32, host string, part *mapPart, stop func() bool) *EgressMap {
	g.once.Do(func() {
		b := e.reachBounds(g.members[0], host != "")
		r := e.newReachRun(g.members[0], host, &b, g.members)
		r.stop = stop
		r.sweep()
		if r.stopped {
			return
		}
		r.done()
		g.tmpl = r
	})
	t := g.tmpl
	if t == nil {
		return nil
	}
	m := t.mapFor(h, part)
	if h != g.members[0] {
		m.SharedFrom = string(e.nics[g.members[0]].v.ID())
	}
	if g.left.Add(-1) == 0 {
		g.tmpl = nil // the last map: the rows can go
	}
	return m
}

// egressBehaviour is what a walk reads of an egress set (the rest, its
// addresses and explanations, is read through Decision.egress, which a
// shared map's decisions name the member's own sets by).
type egressBehaviour struct {
	method        Method
	carry, unsure carry
}

func (es *egressSet) behaviour() egressBehaviour {
	return egressBehaviour{es.method, es.carry, es.unsure}
}

// reachShareKey is what NICs whose egress maps ReachAll shares have in
// common (see ReachAll). A NIC that shares with none has solo set to its
// handle.
type reachShareKey struct {
	subnet           int32
	groups           [3]*nsg.Group
	scope            *nsg.Scope
	egress4, egress6 egressBehaviour
	flags            uint8
	src4, src6       sig
	solo             int32
}

// reachGroups groups the positions of hs by reachShareKey: groupOf[i] is
// the group of hs[i].
func (e *Engine) reachGroups(hs []int32) ([]*reachGroup, []int32) {
	// NVAs: the NICs a route of some subnet names as its next hop.
	appliance := map[int32]bool{}
	for i := range e.subnets {
		for _, a := range e.subnets[i].actions {
			if a.ok && a.target.kind == targetNIC {
				appliance[a.target.idx] = true
			}
		}
	}
	srcOf := map[int32]*sourceIndex{} // by subnet
	byKey := map[reachShareKey]int32{}
	var groups []*reachGroup
	groupOf := make([]int32, len(hs))
	for i, h := range hs {
		st := &e.nics[h]
		k := reachShareKey{subnet: st.subnet, scope: st.cls.Scope(), egress4: e.egress[st.egress4].behaviour(), egress6: e.egress[st.egress6].behaviour(), solo: -1}
		for j, s := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
			k.groups[j] = st.cls.Group(s)
		}
		for j, on := range []bool{st.addr.IsValid(), st.addr6.IsValid(), st.unknown >= 0, st.addrUnknown >= 0, st.isPE, st.peSubnet, st.forward} {
			if on {
				k.flags |= 1 << j
			}
		}
		if appliance[h] || slices.ContainsFunc(e.cold[h].addrs, func(a netip.Addr) bool { return e.vnets[e.subnets[st.subnet].vnet].targets[a] != target{targetNIC, h} }) {
			// An NVA, or a NIC with an address another one has too.
			k.solo = h
		} else {
			si, ok := srcOf[st.subnet]
			if !ok {
				si = e.sourceIndex(h)
				srcOf[st.subnet] = si
			}
			k.src4, k.src6 = si.sig(st.addr), si.sig(st.addr6)
		}
		g, ok := byKey[k]
		if !ok {
			g = int32(len(groups))
			byKey[k] = g
			groups = append(groups, &reachGroup{})
		}
		grp := groups[g]
		if !slices.Contains(grp.members, h) {
			grp.members = append(grp.members, h)
		}
		grp.left.Add(1)
		groupOf[i] = g
	}
	return groups, groupOf
}

// sourceIndex tells apart the source addresses that some source condition
// a walk from a subnet can meet holds differently: edges of those sets,
// sorted, with the signature (XOR of the labels of the sets that hold it)
// of the addresses from each edge to the next.
type sourceIndex struct {
	addrs []netip.Addr
	sigs  []sig
}

// sig returns the signature of a (the zero sig below the first edge, and
// for an invalid address).
func (si *sourceIndex) sig(a netip.Addr) sig {
	if !a.IsValid() {
		return sig{}
	}
	a = a.Unmap()
	i, found := slices.BinarySearchFunc(si.addrs, a, netip.Addr.Compare)
	if !found {
		i--
	}
	if i < 0 || si.addrs[i].Is4() != a.Is4() {
		return sig{}
	}
	return si.sigs[i]
}

// sourceIndex collects the source conditions that a walk from NIC h's
// subnet can meet (reachScope: the security groups of every NIC it can
// cross or reach and of the container groups of the reached VNets, both
// directions, their scopes' context tags, and the reached firewalls'
// rules), each a set with its own label.
func (e *Engine) sourceIndex(h int32) *sourceIndex {
	_, nics, _, fws, vnets := e.reachScope(h)
	type edge struct {
		a   netip.Addr
		set uint32
	}
	var edges []edge
	nsets := uint32(0)
	seenSet := map[setID]bool{}
	add := func(ps []netip.Prefix) {
		id := idOf(ps)
		if len(ps) == 0 || seenSet[id] {
			return
		}
		seenSet[id] = true
		nsets++
		for _, x := range setRanges(ps) {
			edges = append(edges, edge{x.From(), nsets})
			if next := x.To().Next(); next.IsValid() {
				edges = append(edges, edge{next, nsets})
			}
		}
	}
	seenGroup := map[*nsg.Group]bool{}
	seenScope := map[*nsg.Scope]bool{}
	classifier := func(cls *nsg.Classifier) {
		if sc := cls.Scope(); !seenScope[sc] {
			seenScope[sc] = true
			for _, tag := range []string{"VirtualNetwork", "Internet", "AzureLoadBalancer"} {
				// A fresh slice per scope and tag: its own set.
				add(slices.Clone(sc.Prefixes(tag)))
			}
		}
		for _, s := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
			g := cls.Group(s)
			if g == nil || seenGroup[g] {
				continue
			}
			seenGroup[g] = true
			for _, d := range []nsg.Direction{nsg.Inbound, nsg.Outbound} {
				for _, sp := range g.SourceSpaces(d) {
					add(sp.Prefixes)
				}
			}
		}
	}
	for _, n := range nics {
		classifier(e.nics[n].cls)
	}
	for k := range e.injs {
		st := &e.injs[k]
		if st.subnet >= 0 && st.cls != nil && slices.Contains(vnets, e.subnets[st.subnet].vnet) {
			classifier(st.cls)
		}
	}
	for _, f := range fws {
		if eng := e.firewalls[f].eng; eng != nil {
			for _, ps := range eng.SourceSpaces() {
				add(ps)
			}
		}
	}
	slices.SortFunc(edges, func(x, y edge) int { return x.a.Compare(y.a) })
	si := &sourceIndex{}
	var run sig
	for i, x := range edges {
		if i > 0 && edges[i-1].a.Is4() != x.a.Is4() {
			run = sig{} // no set spans both families
		}
		h := setHash(x.set)
		run[0] ^= h[0]
		run[1] ^= h[1]
		if n := len(si.addrs); n > 0 && si.addrs[n-1] == x.a {
			si.sigs[n-1] = run
			continue
		}
		si.addrs, si.sigs = append(si.addrs, x.a), append(si.sigs, run)
	}
	return si
}
