package simulate

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"go4.org/netipx"
)

// An egress map is the answer to "where can this source's traffic go, and
// how", for every destination at once: destination space (IPv4 and IPv6
// addresses × IP protocol × destination port) cut into classes whose
// members provably share one outcome, each decided once by the walker that
// Classify and Trace use (issue 14).
//
// # The boundary set: why one representative decides a class
//
// The walker's answer for a flow from a fixed source (its address, and its
// source port, fixed at [EphemeralPort]) is a function of the destination
// address, the protocol and the destination port. It reads them only
// through the tests listed below; every constant those tests compare
// against is a boundary of the partition (reachBounds collects them), so
// that inside one atomic class every test answers alike, the walk takes the
// same steps, and the Decision is the same. Where it is hard to know which
// constants a walk can meet, all of them are taken: more boundaries cost
// classes, never correctness.
//
// Destination address, by the walk's steps (walk.go, egress.go):
//
//  1. Family (src = addr or addr6; egress4/egress6; firewall IPv4-only;
//     NVA SNAT only within one family): the v4/v6 split. IPv4-mapped IPv6
//     addresses are unmapped before anything, so ::ffff:0:0/96 is left out
//     of the map: those flows are the IPv4 classes.
//  2. isPlatform (168.63.129.16, 169.254.169.254): both /32s.
//  3. Security rules (nsg.Classifier.Verdict) at the source NIC (outbound),
//     at every NVA (inbound and outbound) and at every destination NIC
//     (inbound): every rule's destination prefixes in both directions, the
//     expanded service tags, ASG members and AzurePlatform* tags
//     (nsg.Group.DestinationSpaces), and the Scope's expansions of
//     VirtualNetwork, Internet and AzureLoadBalancer, of every NIC the walk
//     can reach (reachScope, below). The source address a rule sees is the
//     NIC's, or a translation (firewall or NVA SNAT) that is itself a
//     function of the class (items 6 and 7).
//  4. Route lookups (route.Table.Lookup): every prefix in use in the table
//     of every subnet the walk can be in: the source's, and those of every
//     firewall and NVA a route of a reached subnet names, to a fixed point.
//  5. Next-hop owners (vnetState.targets: NICs, firewalls, internal
//     load-balancer frontends, by exact address), the address spaces of
//     peered VNets outside the input (externalOf) and delegated subnets
//     (delegatedOf), of every VNet of a reached subnet (targets include the
//     peers'): each as a prefix.
//  6. isPrivate (the IANA private ranges, fc00::/7, fe80::/10): the NVA's
//     SNAT and the firewall's default SNAT.
//  7. Azure Firewall (firewall.Engine.Evaluate, SNATs): the SNAT private
//     ranges and the destination prefixes (addresses, IP groups, service
//     tags, DNS answers for FQDNs) of every DNAT and network rule of every
//     reached firewall (firewall.Engine.DestinationSpaces). Application
//     rules match only flows that name a server (SNI, Host): the map is
//     for flows that name none (see below).
//
// Protocol: the classes that any engine tells apart are evaluated one by
// one: TCP, UDP, ICMP, ICMPv6, ESP, AH, and one representative (GRE, 47)
// for every other protocol number: nsg's protocol classes (Any matches the
// rest), firewall's (TCP, UDP, ICMP, other), and the egress methods' carry
// bits (TCP, UDP, ICMP and ICMPv6, other) never tell two of those apart.
//
// Destination port (TCP and UDP only; the engines ignore it for other
// protocols): every rule's destination port ranges, as cuts lo and hi+1,
// and port 25 (Azure's SMTP restriction, Engine.smtp). Port 0 is not a
// flow (Classify answers Invalid). A rule's cuts matter only where the rule
// can match, so the cuts of a class are those of the rules whose
// destination prefixes contain it (a sweep over the address boundaries),
// plus those of rules to "*".
//
// What the map does not cover: flows that name their server (TLS SNI, HTTP
// Host), which Azure Firewall application rules match on; those are decided
// by [Engine.ClassifyHost], and the map's classes are conditioned on no
// host name. Sources other than NICs (AI services accounts, web apps) are
// not mapped yet.
//
// # Outcome equality
//
// Two atomic classes merge only if their whole [Decision] is equal
// (verdict, reason, method, appliances crossed, assumed, egress set: its
// method and IPs, and the denying rule) and the walk made the same steps:
// the same route chosen in every subnet, the same appliances, the same
// security verdicts (with the rule that matched at each stage, allowing
// rules included) and the same firewall verdicts, from a source address of
// the same family. Members of one class
// thus have one Trace but for the destination address and port.

// EgressMap is the egress map of one source: every destination (IPv4 and
// IPv6 address, IP protocol, destination port) a flow from it can have, cut
// into [ReachClass]es whose members share one outcome, for flows that name
// no server (no TLS SNI or HTTP Host). Build one with [Engine.Reach].
//
// An EgressMap is plain data, sorted (see Classes); it may be copied and
// read concurrently. Its classes cover destination space exactly once,
// IPv4-mapped IPv6 addresses aside (they are the IPv4 classes).
type EgressMap struct {
	// Source is the source NIC's name, SourceID its resource ID, and
	// SourceAddr its primary private address.
	Source     string
	SourceID   string
	SourceAddr netip.Addr
	// Classes are the classes, sorted by their first address (IPv4
	// first), then protocol, then first port.
	Classes []ReachClass
	// Atomic is the number of atomic classes evaluated (one walk each);
	// Boundaries the number of address boundaries of the partition.
	Atomic, Boundaries int

	e *Engine
}

// ReachClass is one class of an [EgressMap]: every flow to an address of
// Prefixes, with one of Protocols (or any other protocol when
// OtherProtocols), and, for TCP and UDP, a destination port in Ports, has
// the outcome Decision. Witness is one such flow, decided by the walker
// when the map was built; [Engine.Trace] of it explains the class.
type ReachClass struct {
	// Prefixes is the destination address set, as minimal sorted prefixes.
	Prefixes []netip.Prefix
	// Protocols are the protocols of the class, ascending.
	Protocols []ipproto.Proto
	// OtherProtocols: the class also holds every IP protocol that has no
	// constant in package ipproto (not TCP, UDP, ICMP, ICMPv6, ESP or AH).
	OtherProtocols bool
	// Ports are the destination port ranges, inclusive and ascending, for
	// a class of TCP or UDP; nil for the other protocols, whose flows have
	// no ports.
	Ports []PortRange
	// Decision is the outcome of every flow of the class.
	Decision Decision
	// Witness is a flow of the class (From is the source's resource ID).
	Witness Flow
}

// PortRange is an inclusive range of destination ports.
type PortRange struct{ Lo, Hi uint16 }

// String returns "443" or "1000-2000".
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return fmt.Sprint(r.Lo)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Contains reports whether the class holds the flow to dst, protocol p and
// port (ignored for protocols without ports). An IPv4-mapped IPv6 dst is
// taken as IPv4.
func (c *ReachClass) Contains(dst netip.Addr, p ipproto.Proto, port uint16) bool {
	if !c.HasProtocol(p) {
		return false
	}
	if p.HasPorts() {
		if !slices.ContainsFunc(c.Ports, func(r PortRange) bool { return r.Lo <= port && port <= r.Hi }) {
			return false
		}
	}
	dst = dst.Unmap()
	return slices.ContainsFunc(c.Prefixes, func(q netip.Prefix) bool { return q.Contains(dst) })
}

// HasProtocol reports whether the class holds flows of protocol p.
func (c *ReachClass) HasProtocol(p ipproto.Proto) bool {
	if slices.Contains(c.Protocols, p) {
		return true
	}
	return c.OtherProtocols && reachProtoIndex(p) == reachOther
}

// IPSet returns the class's addresses as a set.
func (c *ReachClass) IPSet() *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, p := range c.Prefixes {
		b.AddPrefix(p)
	}
	s, _ := b.IPSet() // prefixes are valid: no error
	return s
}

// Lookup returns the class that holds the flow, and false for a flow the
// map cannot hold: an invalid address, protocol 0, or TCP or UDP to port
// 0. It is a linear scan: O(classes × prefixes).
func (m *EgressMap) Lookup(dst netip.Addr, p ipproto.Proto, port uint16) (*ReachClass, bool) {
	dst = dst.Unmap()
	if !dst.IsValid() || p == ipproto.Unknown || p.HasPorts() && port == 0 {
		return nil, false
	}
	for i := range m.Classes {
		if m.Classes[i].Contains(dst, p, port) {
			return &m.Classes[i], true
		}
	}
	return nil, false
}

// Explain describes a class's decision in one sentence ([Engine.Explain]).
func (m *EgressMap) Explain(c *ReachClass) string { return m.e.Explain(c.Decision) }

// EgressIPs returns the public addresses the class's flows may leave from
// ([Engine.EgressIPs]).
func (m *EgressMap) EgressIPs(c *ReachClass) []netip.Addr { return m.e.EgressIPs(c.Decision, nil) }

// DecidedBy names the rule that denied the class's flows, or "" (as
// [Result.DecidedBy] does for a denied flow).
func (m *EgressMap) DecidedBy(c *ReachClass) string { return m.e.decidedBy(c.Decision) }

// Where returns the classes that satisfy keep, in map order.
func (m *EgressMap) Where(keep func(*ReachClass) bool) []*ReachClass {
	var out []*ReachClass
	for i := range m.Classes {
		if keep(&m.Classes[i]) {
			out = append(out, &m.Classes[i])
		}
	}
	return out
}

// DirectInternet returns the classes whose flows leave Azure for the
// internet, allowed (or Unknown: allowed on the path shown but for an
// assumption), without crossing an Azure Firewall or NVA: the flows that
// bypass every inspection point. Their witnesses are examples.
func (m *EgressMap) DirectInternet() []*ReachClass {
	return m.Where(func(c *ReachClass) bool {
		d := c.Decision
		return (d.Verdict == Allowed || d.Verdict == Unknown) && d.Reason == ReasonInternet && d.Hops == 0 && d.Method.LeavesAzure()
	})
}

// DefaultOutbound returns the classes whose flows leave through Azure's
// default outbound access (an implicit, unstable Microsoft address).
func (m *EgressMap) DefaultOutbound() []*ReachClass {
	return m.Where(func(c *ReachClass) bool { return c.Decision.Method == MethodDefaultOutbound })
}

// DroppedAfterAllowed returns the classes whose flows every security rule
// on their path allows, but a route with next hop None drops: traffic the
// NSGs mean to let through and routing silently discards.
func (m *EgressMap) DroppedAfterAllowed() []*ReachClass {
	return m.Where(func(c *ReachClass) bool { return c.Decision.Reason == ReasonRouteNone })
}

// Restrict returns the classes that hold some flow to an address of set
// with protocol p (ipproto.Unknown: any) and port (0: any), each cut down
// to those flows: its prefixes intersected with set, its ports to port.
// The witnesses are kept when they stay in the class, else replaced by a
// flow of the restricted class with the same outcome (every member has it).
func (m *EgressMap) Restrict(set *netipx.IPSet, p ipproto.Proto, port uint16) []ReachClass {
	var out []ReachClass
	for i := range m.Classes {
		c := m.Classes[i]
		if p != ipproto.Unknown {
			if !c.HasProtocol(p) {
				continue
			}
			c.Protocols, c.OtherProtocols = []ipproto.Proto{p}, false
		}
		if port != 0 && c.Ports != nil {
			if !slices.ContainsFunc(c.Ports, func(r PortRange) bool { return r.Lo <= port && port <= r.Hi }) {
				continue
			}
			c.Ports = []PortRange{{port, port}}
		}
		if set != nil {
			var b netipx.IPSetBuilder
			b.AddSet(c.IPSet())
			b.Intersect(set)
			s, err := b.IPSet()
			if err != nil || len(s.Prefixes()) == 0 {
				continue
			}
			c.Prefixes = s.Prefixes()
		}
		if !c.Contains(c.Witness.To, c.Witness.Protocol, c.Witness.Port) {
			w := c.Witness
			w.To = c.Prefixes[0].Addr()
			if len(c.Protocols) > 0 {
				w.Protocol = c.Protocols[0]
			}
			w.Port = 0
			if len(c.Ports) > 0 {
				w.Port = c.Ports[0].Lo
			}
			c.Witness = w
		}
		out = append(out, c)
	}
	return out
}

// The protocols the map evaluates one by one; reachOther stands for every
// other protocol number, evaluated as GRE.
var reachProtos = [...]ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP, ipproto.ICMPv6, ipproto.ESP, ipproto.AH, 47}

const (
	reachTCP   = 0
	reachUDP   = 1
	reachOther = len(reachProtos) - 1
)

// reachProtoIndex returns the index in reachProtos of the class of p.
func reachProtoIndex(p ipproto.Proto) int {
	for i, q := range reachProtos[:reachOther] {
		if q == p {
			return i
		}
	}
	return reachOther
}

// Reach builds the egress map of NIC h (see [EgressMap] and the comment on
// the boundary set in reach.go). Every atomic class is decided by the
// walker [Engine.Classify] and [Engine.Trace] run, so a flow's class has
// the Decision Classify gives the flow (held by TestReachDifferential on
// generated networks). It allocates; its cost grows with the boundaries the
// source's paths can meet (routes, rule prefixes, service tags) and, per
// address class, the port cuts of the rules that match there.
//
// Reach panics for a handle of another engine or the zero NIC, like
// [Engine.NextHop].
func (e *Engine) Reach(h NIC) *EgressMap {
	hi := e.handle(h)
	st := &e.nics[hi]
	b := e.reachBounds(hi)
	m := &EgressMap{Source: st.v.Name(), SourceID: string(st.v.ID()), SourceAddr: st.addr, e: e, Boundaries: len(b.addrs)}
	r := reachRun{e: e, h: hi, outcomes: map[string]int32{}, groups: map[reachGroup]int32{}}
	r.sweep(b)
	m.Atomic = r.atomic
	m.Classes = r.classes(m)
	return m
}

// bounds are the boundaries of one source's partition: addrs, every
// address where a class starts, sorted, IPv4 then IPv6; the port cuts of
// rules to "*" (global); and the events of rules with ports and
// destination prefixes (an address where such a rule starts or stops
// applying).
type bounds struct {
	addrs  []netip.Addr
	global [2][]uint16 // TCP, UDP
	events []cutEvent
	items  []cutItem
}

// cutItem is the port cuts of one rule, per protocol (TCP, UDP).
type cutItem struct{ cuts [2][]uint16 }

// cutEvent: at addr, item starts (add) or stops applying.
type cutEvent struct {
	addr netip.Addr
	item int32
	add  bool
}

// ipv4MappedSpace is ::ffff:0:0/96, left out of the map.
var ipv4MappedSpace = netip.MustParsePrefix("::ffff:0:0/96")

// boundsBuilder gathers boundaries.
type boundsBuilder struct {
	b     bounds
	seenG map[*nsg.Group]bool
	seenS map[*nsg.Scope]bool
}

func (bb *boundsBuilder) prefix(p netip.Prefix) {
	p, ok := normPrefix(p)
	if !ok {
		return
	}
	bb.b.addrs = append(bb.b.addrs, p.Addr())
	if next := netipx.PrefixLastIP(p).Next(); next.IsValid() {
		bb.b.addrs = append(bb.b.addrs, next)
	}
}

// normPrefix masks p, drops its zone and unmaps an IPv4-mapped prefix (of
// /96 or longer); ok is false for an invalid prefix.
func normPrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		return netip.Prefix{}, false
	}
	a := p.Addr().WithZone("")
	if a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	} else {
		p = netip.PrefixFrom(a, p.Bits())
	}
	p = p.Masked()
	return p, p.IsValid()
}

// item adds the port cuts of a rule with destination prefixes ps (all: "*")
// for the protocols tcp and udp.
func (bb *boundsBuilder) item(all bool, ps []netip.Prefix, tcp, udp bool, ports [][2]uint16) {
	for _, p := range ps {
		bb.prefix(p)
	}
	var cuts []uint16
	for _, r := range ports {
		if r[0] == 0 && r[1] == 65535 {
			continue
		}
		cuts = append(cuts, r[0])
		if r[1] < 65535 {
			cuts = append(cuts, r[1]+1)
		}
	}
	if len(cuts) == 0 || !tcp && !udp {
		return
	}
	var c cutItem
	if tcp {
		c.cuts[reachTCP] = cuts
	}
	if udp {
		c.cuts[reachUDP] = cuts
	}
	if all {
		for k := range c.cuts {
			bb.b.global[k] = append(bb.b.global[k], c.cuts[k]...)
		}
		return
	}
	id := int32(len(bb.b.items))
	bb.b.items = append(bb.b.items, c)
	for _, p := range ps {
		p, ok := normPrefix(p)
		if !ok {
			continue
		}
		bb.b.events = append(bb.b.events, cutEvent{p.Addr(), id, true})
		if next := netipx.PrefixLastIP(p).Next(); next.IsValid() {
			bb.b.events = append(bb.b.events, cutEvent{next, id, false})
		}
	}
}

// classifier adds the boundaries of a NIC's security rules (item 3).
func (bb *boundsBuilder) classifier(cls *nsg.Classifier) {
	if sc := cls.Scope(); !bb.seenS[sc] {
		bb.seenS[sc] = true
		for _, tag := range []string{"VirtualNetwork", "Internet", "AzureLoadBalancer"} {
			for _, p := range sc.Prefixes(tag) {
				bb.prefix(p)
			}
		}
	}
	for _, stage := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
		g := cls.Group(stage)
		if g == nil || bb.seenG[g] {
			continue
		}
		bb.seenG[g] = true
		for _, dir := range []nsg.Direction{nsg.Outbound, nsg.Inbound} {
			for _, s := range g.DestinationSpaces(dir) {
				tcp := s.Protocol == nsg.ProtocolAny || s.Protocol == nsg.ProtocolTCP
				udp := s.Protocol == nsg.ProtocolAny || s.Protocol == nsg.ProtocolUDP
				ps := s.Prefixes
				if s.Context != "" {
					// Expanded by each NIC's scope: the rule's cuts apply
					// wherever any scope's expansion does, so take them as
					// global (an over-approximation).
					bb.item(true, nil, tcp, udp, s.Ports)
					continue
				}
				bb.item(s.Any, ps, tcp, udp, s.Ports)
			}
		}
	}
}

// reachScope returns what a flow from NIC h can meet (items 3–5 and 7): the
// subnets it can be routed from, the NICs whose rules it can meet (the
// source, NVAs, destination NICs), the firewalls, and the VNets. It is a
// fixed point over the route actions, which over-approximates the walks
// (a route that no destination selects still counts).
func (e *Engine) reachScope(h int32) (subnets, nics, fws, vnets []int32) {
	seenSub := map[int32]bool{}
	seenNIC := map[int32]bool{h: true}
	seenFW := map[int32]bool{}
	seenVNet := map[int32]bool{}
	nics = append(nics, h)
	queue := []int32{e.nics[h].subnet}
	seenSub[e.nics[h].subnet] = true
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		subnets = append(subnets, s)
		ss := &e.subnets[s]
		if !seenVNet[ss.vnet] {
			seenVNet[ss.vnet] = true
			vnets = append(vnets, ss.vnet)
		}
		for _, a := range ss.actions {
			if !a.ok || a.typ != route.VirtualAppliance && a.typ != route.VirtualApplianceEcmp {
				continue
			}
			var next int32
			switch a.target.kind {
			case targetFirewall:
				if !seenFW[a.target.idx] {
					seenFW[a.target.idx] = true
					fws = append(fws, a.target.idx)
				}
				next = e.firewalls[a.target.idx].subnet
			case targetNIC:
				if !seenNIC[a.target.idx] {
					seenNIC[a.target.idx] = true
					nics = append(nics, a.target.idx)
				}
				next = e.nics[a.target.idx].subnet
			default:
				continue
			}
			if !seenSub[next] {
				seenSub[next] = true
				queue = append(queue, next)
			}
		}
	}
	// Destination NICs: every NIC a reached VNet can deliver to.
	for _, v := range vnets {
		for _, t := range e.vnets[v].targets {
			if t.kind == targetNIC && !seenNIC[t.idx] {
				seenNIC[t.idx] = true
				nics = append(nics, t.idx)
			}
		}
	}
	slices.Sort(nics[1:])
	slices.Sort(fws)
	return subnets, nics, fws, vnets
}

// reachBounds collects the boundary set of NIC h (see the comment above).
func (e *Engine) reachBounds(h int32) bounds {
	bb := boundsBuilder{seenG: map[*nsg.Group]bool{}, seenS: map[*nsg.Scope]bool{}}
	// 1. The families, and the IPv4-mapped space cut out.
	bb.prefix(netip.MustParsePrefix("0.0.0.0/0"))
	bb.prefix(netip.MustParsePrefix("::/0"))
	bb.b.addrs = append(bb.b.addrs, ipv4MappedSpace.Addr(), netipx.PrefixLastIP(ipv4MappedSpace).Next())
	// 2. The platform addresses.
	bb.prefix(netip.PrefixFrom(nsg.HostIP, 32))
	bb.prefix(netip.PrefixFrom(nsg.IMDSIP, 32))
	// 6. isPrivate.
	for _, p := range ianaPrivate {
		bb.prefix(p)
	}
	bb.prefix(netip.MustParsePrefix("fc00::/7"))
	bb.prefix(netip.MustParsePrefix("fe80::/10"))
	// Azure's SMTP restriction: TCP port 25.
	bb.b.global[reachTCP] = append(bb.b.global[reachTCP], 25, 26)

	subnets, nics, fws, vnets := e.reachScope(h)
	// 4. Routes.
	for _, s := range subnets {
		tb := e.subnets[s].table
		for i := range tb.NumSelections() {
			bb.prefix(tb.Selection(i).Prefix())
		}
	}
	// 5. Next-hop owners, external and delegated spaces.
	for _, v := range vnets {
		vs := &e.vnets[v]
		for a := range vs.targets {
			bb.prefix(netip.PrefixFrom(a, a.BitLen()))
		}
		for _, x := range vs.external {
			bb.prefix(x.prefix)
		}
		for _, x := range vs.delegated {
			bb.prefix(x.prefix)
		}
	}
	// 3. Security rules.
	for _, n := range nics {
		bb.classifier(e.nics[n].cls)
		for _, a := range e.cold[n].addrs {
			bb.prefix(netip.PrefixFrom(a, a.BitLen()))
		}
	}
	// 7. Firewalls.
	for _, f := range fws {
		fs := &e.firewalls[f]
		bb.prefix(netip.PrefixFrom(fs.addr, fs.addr.BitLen()))
		if fs.eng == nil {
			continue
		}
		for _, p := range fs.eng.SNATPrivateRanges() {
			bb.prefix(p)
		}
		for _, s := range fs.eng.DestinationSpaces() {
			bb.item(false, s.Prefixes, s.TCP, s.UDP, s.Ports)
		}
	}
	b := bb.b
	slices.SortFunc(b.addrs, netip.Addr.Compare)
	b.addrs = slices.Compact(b.addrs)
	slices.SortFunc(b.events, func(x, y cutEvent) int { return x.addr.Compare(y.addr) })
	for k := range b.global {
		slices.Sort(b.global[k])
		b.global[k] = slices.Compact(b.global[k])
	}
	return b
}

// reachRun is one Reach in progress.
type reachRun struct {
	e        *Engine
	h        int32
	rec      walkRecord
	key      []byte
	outcomes map[string]int32 // outcome key -> id
	decs     []Decision       // by outcome id
	atomic   int

	// The atomic classes merged along ports, grouped by (protocol, ports,
	// outcome): their address ranges, in address order.
	groups map[reachGroup]int32
	gkeys  []reachGroup
	ranges [][]netipx.IPRange
}

type reachGroup struct {
	proto  uint8
	lo, hi uint16
	id     int32
}

// eval walks one representative and returns its outcome id.
func (r *reachRun) eval(dst netip.Addr, proto ipproto.Proto, port uint16) int32 {
	r.atomic++
	r.rec.ev = r.rec.ev[:0]
	w := walker{e: r.e, dst: dst, proto: proto, sport: EphemeralPort, dport: port, rec: &r.rec}
	d := w.run(r.h)
	k := r.key[:0]
	k = append(k, byte(d.Verdict), byte(d.Method), byte(d.Reason), d.Hops)
	if dst.Is4() { // the source address is the family's
		k = append(k, 4)
	} else {
		k = append(k, 6)
	}
	if d.Assumed {
		k = append(k, 1)
	} else {
		k = append(k, 0)
	}
	k = binary.LittleEndian.AppendUint32(k, uint32(d.egress))
	k = binary.LittleEndian.AppendUint64(k, uint64(d.by))
	for _, ev := range r.rec.ev {
		k = binary.LittleEndian.AppendUint64(k, ev)
	}
	r.key = k
	if id, ok := r.outcomes[string(k)]; ok {
		return id
	}
	id := int32(len(r.decs))
	r.outcomes[string(k)] = id
	r.decs = append(r.decs, d)
	return id
}

// add records that addresses [lo, hi] have outcome id for proto index p and
// ports [plo, phi].
func (r *reachRun) add(lo, hi netip.Addr, p int, plo, phi uint16, id int32) {
	gk := reachGroup{uint8(p), plo, phi, id}
	g, ok := r.groups[gk]
	if !ok {
		g = int32(len(r.gkeys))
		r.groups[gk] = g
		r.gkeys = append(r.gkeys, gk)
		r.ranges = append(r.ranges, nil)
	}
	rs := r.ranges[g]
	if n := len(rs); n > 0 && rs[n-1].To().Next() == lo {
		rs[n-1] = netipx.IPRangeFrom(rs[n-1].From(), hi)
		return
	}
	r.ranges[g] = append(rs, netipx.IPRangeFrom(lo, hi))
}

// sweep decides every atomic class, in address order.
func (r *reachRun) sweep(b bounds) {
	active := [2]map[uint16]int32{{}, {}}
	var cuts [2][]uint16
	dirty := [2]bool{true, true}
	ev := 0
	for i, lo := range b.addrs {
		var hi netip.Addr
		if i+1 < len(b.addrs) && b.addrs[i+1].Is4() == lo.Is4() {
			hi = b.addrs[i+1].Prev()
		} else if lo.Is4() {
			hi = netip.AddrFrom4([4]byte{255, 255, 255, 255})
		} else {
			hi = netip.AddrFrom16([16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff})
		}
		for ; ev < len(b.events) && b.events[ev].addr.Compare(lo) <= 0; ev++ {
			x := b.events[ev]
			for k := range 2 {
				for _, c := range b.items[x.item].cuts[k] {
					dirty[k] = true
					if x.add {
						active[k][c]++
					} else if active[k][c]--; active[k][c] == 0 {
						delete(active[k], c)
					}
				}
			}
		}
		if ipv4MappedSpace.Contains(lo) {
			continue
		}
		for k := range 2 {
			if dirty[k] {
				cuts[k] = append(cuts[k][:0], b.global[k]...)
				for c := range active[k] {
					cuts[k] = append(cuts[k], c)
				}
				slices.Sort(cuts[k])
				cuts[k] = slices.Compact(cuts[k])
				dirty[k] = false
			}
		}
		for p, proto := range reachProtos {
			if !proto.HasPorts() {
				r.add(lo, hi, p, 0, 0, r.eval(lo, proto, 0))
				continue
			}
			// Port intervals [1, c1-1], [c1, c2-1], ... over 1..65535, merged
			// where neighbours share an outcome.
			start, runLo, runID := uint32(1), uint16(1), int32(-1)
			step := func(plo uint16) {
				id := r.eval(lo, proto, plo)
				if runID >= 0 && id != runID {
					r.add(lo, hi, p, runLo, plo-1, runID)
					runLo = plo
				}
				runID = id
			}
			for _, c := range cuts[p] {
				if uint32(c) <= start {
					continue
				}
				step(uint16(start))
				start = uint32(c)
			}
			step(uint16(start))
			r.add(lo, hi, p, runLo, 65535, runID)
		}
	}
}

// classes merges the groups into classes: groups with the same outcome and
// address set join along ports, then along protocols.
func (r *reachRun) classes(m *EgressMap) []ReachClass {
	rangeKey := func(rs []netipx.IPRange) string {
		var sb strings.Builder
		for _, x := range rs {
			b, _ := x.From().MarshalBinary()
			sb.Write(b)
			b, _ = x.To().MarshalBinary()
			sb.Write(b)
			sb.WriteByte(0)
		}
		return sb.String()
	}
	// Along ports: (proto, outcome, addresses) -> port ranges.
	type portKey struct {
		proto uint8
		id    int32
		addrs string
	}
	type portGroup struct {
		ports  []PortRange
		ranges []netipx.IPRange
	}
	byPorts := map[portKey]*portGroup{}
	var pkeys []portKey
	for g, gk := range r.gkeys {
		k := portKey{gk.proto, gk.id, rangeKey(r.ranges[g])}
		pg, ok := byPorts[k]
		if !ok {
			pg = &portGroup{ranges: r.ranges[g]}
			byPorts[k] = pg
			pkeys = append(pkeys, k)
		}
		if reachProtos[gk.proto].HasPorts() {
			pg.ports = append(pg.ports, PortRange{gk.lo, gk.hi})
		}
	}
	// Along protocols: (outcome, addresses, ports) -> protocols.
	type protoKey struct {
		id    int32
		addrs string
		ports string
	}
	type protoGroup struct {
		protos []int
		pg     *portGroup
	}
	byProtos := map[protoKey]*protoGroup{}
	var qkeys []protoKey
	for _, k := range pkeys {
		pg := byPorts[k]
		slices.SortFunc(pg.ports, func(a, b PortRange) int { return cmp.Compare(a.Lo, b.Lo) })
		pg.ports = mergePorts(pg.ports)
		qk := protoKey{k.id, k.addrs, fmt.Sprint(pg.ports)}
		if !reachProtos[k.proto].HasPorts() {
			qk.ports = "-"
		}
		q, ok := byProtos[qk]
		if !ok {
			q = &protoGroup{pg: pg}
			byProtos[qk] = q
			qkeys = append(qkeys, qk)
		}
		q.protos = append(q.protos, int(k.proto))
	}
	out := make([]ReachClass, 0, len(qkeys))
	for _, qk := range qkeys {
		q := byProtos[qk]
		var sb netipx.IPSetBuilder
		for _, x := range q.pg.ranges {
			sb.AddRange(x)
		}
		set, err := sb.IPSet()
		if err != nil {
			continue // unreachable: the ranges are valid
		}
		c := ReachClass{Prefixes: set.Prefixes(), Decision: r.decs[qk.id]}
		slices.Sort(q.protos)
		for _, p := range q.protos {
			if p == reachOther {
				c.OtherProtocols = true
			} else {
				c.Protocols = append(c.Protocols, reachProtos[p])
			}
		}
		slices.Sort(c.Protocols)
		if len(q.pg.ports) > 0 {
			c.Ports = q.pg.ports
		}
		first := q.protos[0]
		c.Witness = Flow{From: m.SourceID, To: q.pg.ranges[0].From(), Protocol: reachProtos[first]}
		if c.Ports != nil {
			c.Witness.Port = c.Ports[0].Lo
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b ReachClass) int {
		return cmp.Or(a.Witness.To.Compare(b.Witness.To), cmp.Compare(a.Witness.Protocol, b.Witness.Protocol),
			cmp.Compare(a.Witness.Port, b.Witness.Port))
	})
	return out
}

// mergePorts joins sorted adjacent ranges.
func mergePorts(rs []PortRange) []PortRange {
	var out []PortRange
	for _, x := range rs {
		if n := len(out); n > 0 && uint32(out[n-1].Hi)+1 >= uint32(x.Lo) {
			out[n-1].Hi = max(out[n-1].Hi, x.Hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

// security records a security verdict.
func (rec *walkRecord) security(h int32, dir nsg.Direction, v nsg.Verdict) {
	rec.ev = append(rec.ev, recSecurity|uint64(uint32(h))<<8|uint64(dir),
		uint64(v.Access)<<56|uint64(v.Reason)<<48|uint64(uint16(v.Rules.Admin))<<32|uint64(uint16(v.Rules.NIC))<<16|uint64(uint16(v.Rules.Subnet)))
}

// route records a route selection.
func (rec *walkRecord) route(_ *Engine, ss *subnetState, sel int) {
	rec.ev = append(rec.ev, recRoute|uint64(uint32(ss.s.Index()))<<24|uint64(uint32(sel)&(1<<24-1)))
}

// firewall records a firewall verdict.
func (rec *walkRecord) firewall(fw int32, v firewall.Verdict) {
	var snat uint64
	if v.SNAT {
		snat = 1
	}
	rec.ev = append(rec.ev, recFirewall|uint64(uint32(fw)),
		uint64(v.Action)<<56|uint64(v.Reason)<<48|uint64(v.Flags)<<40|snat<<32|uint64(uint32(v.Rule)))
}
