package simulate

import (
	"cmp"
	"context"
	"net/netip"
	"slices"

	"github.com/egresslab/egress/ipproto"
	"go4.org/netipx"
)

// MapChange is a set of flows whose outcome differs between two egress
// maps of one source ([DiffMaps]): every flow to an address of Prefixes,
// with one of Protocols (or any other protocol when OtherProtocols), and,
// for TCP and UDP, a port in Ports, had Before and has After.
type MapChange struct {
	Prefixes       []netip.Prefix  `json:"prefixes"`
	Protocols      []ipproto.Proto `json:"protocols"`
	OtherProtocols bool            `json:"otherProtocols"`
	Ports          []PortRange     `json:"ports"`
	Before         Outcome         `json:"before"`
	After          Outcome         `json:"after"`
	// BeforeIPs and AfterIPs are the egress IPs of each side.
	BeforeIPs []netip.Addr `json:"beforeEgressIpAddresses"`
	AfterIPs  []netip.Addr `json:"afterEgressIpAddresses"`
	// Witness is one flow of the set (From: the before map's source), to
	// trace on both networks ([Diff] names the route or rule that differs).
	Witness Flow `json:"witness"`
}

// DiffMaps returns every set of flows whose outcome (verdict, reason,
// egress method, appliances crossed, egress IPs, whether it rests on an
// assumption) differs between a and b, two egress maps of one source on
// two networks: exact, since each map's classes cover destination space
// once, so every flow lies in one class of each and the changes are the
// intersections of classes whose outcomes differ. The result is sorted by
// first address, protocol and port.
func DiffMaps(a, b *EgressMap) []MapChange {
	type side struct {
		c    *ReachClass
		ips  []netip.Addr
		lo   netip.Addr // the first and last address: a quick disjointness test
		hi   netip.Addr
		set  *netipx.IPSet
		self *EgressMap
	}
	sides := func(m *EgressMap) []side {
		out := make([]side, len(m.Classes))
		for i := range m.Classes {
			c := &m.Classes[i]
			ips := slices.SortedFunc(slices.Values(m.EgressIPs(c)), netip.Addr.Compare)
			s := side{c: c, ips: ips, self: m}
			if n := len(c.Prefixes); n > 0 {
				s.lo, s.hi = c.Prefixes[0].Addr(), netipx.PrefixLastIP(c.Prefixes[n-1])
			}
			out[i] = s
		}
		return out
	}
	as, bs := sides(a), sides(b)
	ipSet := func(s *side) *netipx.IPSet {
		if s.set == nil {
			s.set = s.c.IPSet()
		}
		return s.set
	}
	var out []MapChange
	for i := range as {
		x := &as[i]
		for j := range bs {
			y := &bs[j]
			if x.c.Decision.Outcome == y.c.Decision.Outcome && x.c.Decision.Assumed == y.c.Decision.Assumed && slices.Equal(x.ips, y.ips) {
				continue
			}
			if !x.lo.IsValid() || !y.lo.IsValid() || x.hi.Less(y.lo) || y.hi.Less(x.lo) || x.lo.Is4() != y.lo.Is4() {
				continue
			}
			protos, other := protoMeet(x.c, y.c)
			if len(protos) == 0 && !other {
				continue
			}
			// A class has ports exactly when it is of TCP or UDP.
			var ports []PortRange
			if x.c.Ports != nil && y.c.Ports != nil {
				if ports = portMeet(x.c.Ports, y.c.Ports); len(ports) == 0 {
					continue
				}
			}
			var sb netipx.IPSetBuilder
			sb.AddSet(ipSet(x))
			sb.Intersect(ipSet(y))
			set, err := sb.IPSet()
			if err != nil || len(set.Prefixes()) == 0 {
				continue
			}
			ch := MapChange{Prefixes: set.Prefixes(), Protocols: protos, OtherProtocols: other, Ports: ports,
				Before: x.c.Decision.Outcome, After: y.c.Decision.Outcome, BeforeIPs: x.ips, AfterIPs: y.ips}
			ch.Witness = witnessOf(a.SourceID, &ch)
			out = append(out, ch)
		}
	}
	slices.SortFunc(out, func(p, q MapChange) int {
		return cmp.Or(p.Prefixes[0].Addr().Compare(q.Prefixes[0].Addr()), cmp.Compare(p.Witness.Protocol, q.Witness.Protocol),
			cmp.Compare(p.Witness.Port, q.Witness.Port))
	})
	return out
}

// protoMeet returns the protocols two classes share, and whether they share
// the protocols without a constant.
func protoMeet(x, y *ReachClass) ([]ipproto.Proto, bool) {
	var out []ipproto.Proto
	for _, p := range x.Protocols {
		if y.HasProtocol(p) {
			out = append(out, p)
		}
	}
	for _, p := range y.Protocols {
		if !slices.Contains(out, p) && x.HasProtocol(p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, x.OtherProtocols && y.OtherProtocols
}

// portMeet intersects two sorted lists of port ranges; nil (no ports) is
// all of them.
func portMeet(x, y []PortRange) []PortRange {
	if x == nil {
		return slices.Clone(y)
	}
	if y == nil {
		return slices.Clone(x)
	}
	var out []PortRange
	for i, j := 0, 0; i < len(x) && j < len(y); {
		lo, hi := max(x[i].Lo, y[j].Lo), min(x[i].Hi, y[j].Hi)
		if lo <= hi {
			out = append(out, PortRange{lo, hi})
		}
		if x[i].Hi < y[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// thisNetwork is 0.0.0.0/8, "this network" (RFC 1122): no witness there.
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// witnessOf picks a flow of a change: a typical one where it can (an
// address past its prefix's first and outside 0.0.0.0/8, TCP, port 443),
// else the first.
func witnessOf(from string, c *MapChange) Flow {
	a := c.Prefixes[0].Addr()
	for _, p := range c.Prefixes {
		x := p.Addr()
		if p.Bits() < x.BitLen() {
			x = x.Next()
		}
		if thisNetwork.Contains(x) {
			if one := netip.AddrFrom4([4]byte{1, 0, 0, 1}); p.Contains(one) {
				x = one
			} else {
				continue
			}
		}
		a = x
		break
	}
	f := Flow{From: from, To: a, Protocol: ipproto.ICMP}
	switch {
	case slices.Contains(c.Protocols, ipproto.TCP):
		f.Protocol = ipproto.TCP
	case slices.Contains(c.Protocols, ipproto.UDP):
		f.Protocol = ipproto.UDP
	case len(c.Protocols) > 0:
		f.Protocol = c.Protocols[0]
	}
	if f.Protocol.HasPorts() {
		f.Port = 1
		if len(c.Ports) > 0 {
			f.Port = c.Ports[0].Lo
		}
		for _, r := range c.Ports {
			if r.Lo <= 443 && 443 <= r.Hi {
				f.Port = 443
			}
		}
	}
	return f
}

// DiffReach compares the egress maps of nics (NICs of before) with those of
// the NICs of after with the same resource IDs ([DiffMaps]), and hands fn
// each NIC's changes in NIC order, from the calling goroutine; it stops at
// the first error fn returns or when ctx is done, and returns it. Both
// sides' maps are built by [Engine.ReachAll] at once (in parallel, sharing
// work between NICs whose maps coincide) and paired as they stream;
// progress, when set, is ReachAllOptions.Progress of the before side. It
// returns the NICs of nics that after does not hold, which are not
// compared.
func DiffReach(ctx context.Context, before, after *Engine, nics []NIC, progress func(done, total int), fn func(NIC, []MapChange) error) ([]NIC, error) {
	var base, twins, missing []NIC
	for _, h := range nics {
		ha, err := after.NIC(h.ID())
		if err != nil {
			missing = append(missing, h)
			continue
		}
		base, twins = append(base, h), append(twins, ha)
	}
	if len(base) == 0 {
		return missing, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	afterMaps := make(chan *EgressMap)
	afterErr := make(chan error, 1)
	go func() {
		defer close(afterMaps)
		afterErr <- after.ReachAll(ctx, ReachAllOptions{NICs: twins}, func(_ NIC, m *EgressMap) error {
			select {
			case afterMaps <- m:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	err := before.ReachAll(ctx, ReachAllOptions{NICs: base, Progress: progress}, func(h NIC, m *EgressMap) error {
		ma, ok := <-afterMaps
		if !ok {
			return <-afterErr
		}
		return fn(h, DiffMaps(m, ma))
	})
	cancel()
	for range afterMaps { // the after side stops at ctx
	}
	return missing, err
}
