package simulate

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
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
//     (inbound): the destination side of every rule of both directions of
//     every group (admin, NIC, subnet) of those NICs
//     (nsg.Group.DestinationSpaces): addresses and CIDRs, expanded service
//     tags, ASG members, AzurePlatform* tags; and each NIC's Scope
//     expansions of VirtualNetwork, Internet and AzureLoadBalancer. A
//     rule's destination is one set the flow is in or not: its minimal
//     ranges' edges are the boundaries, not those between adjacent
//     prefixes of it. The source address a rule sees is the NIC's, or a
//     translation (firewall or NVA SNAT) that is itself a function of the
//     class (items 6 and 7). Reached NICs are those of reachScope: the
//     source, every NVA a route of a reached subnet names (to a fixed
//     point), and every NIC a reached VNet delivers to.
//  4. Route lookups (route.Table.Lookup): every prefix in use in the table
//     of every reached subnet: the source's, and those of every firewall
//     and NVA a route of a reached subnet names, to a fixed point (a route
//     that no destination selects still counts: an over-approximation).
//  5. Next-hop owners (vnetState.targets: NICs, firewalls, internal
//     load-balancer frontends, by exact address), the address spaces of
//     peered VNets outside the input (externalOf) and delegated subnets
//     (delegatedOf), of every VNet of a reached subnet (targets include the
//     peers'): each as a prefix; and every reached NIC's own addresses.
//  6. isPrivate (the IANA private ranges, fc00::/7, fe80::/10): the NVA's
//     SNAT and the firewall's default SNAT.
//  7. Azure Firewall (firewall.Engine.Evaluate, SNATs): the SNAT private
//     ranges and the destination sets of every DNAT and network rule of
//     every reached firewall (firewall.Engine.DestinationSpaces): its
//     addresses, IP groups and service tags, and apart (a match through
//     them is flagged), the DNS answers for its FQDNs; the port cuts of a
//     rule with an FQDN that did not resolve hold everywhere (it may match
//     any destination, making the verdict Unknown). Application rules
//     match only flows that name a server (SNI, Host): the map is for flows
//     that name none (see below).
//
// Protocol: the classes that any engine tells apart are evaluated one by
// one: TCP, UDP, ICMP, other protocols (one representative, GRE, 47, for
// every protocol number without a constant in ipproto), ICMPv6, ESP, AH:
// nsg's protocol classes (Any matches the rest), firewall's (TCP, UDP,
// ICMP, other) and the egress methods' carry bits (TCP, UDP, ICMP and
// ICMPv6, other) never tell two numbers of "other" apart. ICMPv6 shares
// ICMP's outcomes, and ESP and AH share other protocols', unless a reached
// firewall rule matches one of ICMP and "other" but not both (ICMPv6 is
// "other" to a firewall), or a reached NSG rule names ESP or AH
// (bounds.sameAs).
//
// Destination port (TCP and UDP only; the engines ignore it for other
// protocols and Classify gives port 0 no answer): the walk consults ports
// only in security rules, firewall rules and Azure's SMTP restriction
// (Engine.smtp, TCP 25). Each of those is a component with port cuts (lo
// and hi+1 of every rule's destination ranges): global ones (rules to "*"
// or to a context tag, and 25/26 for SMTP), and those of rules whose
// destination set holds the address class (kept by a sweep over the
// address boundaries). The sweep walks port 1, records the components the
// walk consulted (walkRecord: the NICs whose rules it met, the firewalls
// that evaluated, whether Engine.smtp was asked), and jumps to the lowest
// next cut among them: up to there every test the walk made answers alike,
// so the walk, and what it consults, is the same; the tests it did not make
// cannot change it.
//
// Server names: [Engine.Reach] maps the flows that name no server (TLS
// SNI, HTTP Host), which Azure Firewall application rules never match;
// [Engine.ReachHost] maps the flows that name one given server, with the
// application rules' destination addresses and protocol ports as
// boundaries too, and the ports 80 and 1433 (walker.firewallFlow: the port
// says HTTP, MSSQL or HTTPS). What is not built yet is the partition of
// name space itself (which names the rules' patterns tell apart): a caller
// maps the names it cares about.
//
// Sources other than NICs ([Engine.ReachFrom], reach_source.go): a
// container group or a web app's traffic in its subnet is walked from
// there with the same boundaries, its own rules (recSrcSecurity) and
// address in the source NIC's place; a container group's unsupported
// ports (25, 19390) are a component of the source, cut for TCP
// everywhere; a web app's routing settings test RFC 1918 (its prefixes
// are boundaries) and its subnet's service-endpoint routes (route
// prefixes already), and its public path the family, the protocol and
// TCP 25 (Engine.smtp's component). The way its settings send a flow is
// in the walk record (recSrcWay), for its Trace says it.
//
// # Outcome equality
//
// Two atomic classes merge only if their whole [Decision] is equal
// (verdict, reason, method, appliances crossed, assumed, egress set: its
// method and IPs, and the denying rule) and the walk made the same steps
// from a source address of the same family: the same route chosen in every
// subnet (the same configured item: the prefixes of one service-tag route
// are one route), the same appliances, the same security verdicts (with the
// rule that matched at each stage, allowing rules included) and the same
// firewall verdicts. Members of one class thus have one Trace but for the
// destination address, protocol and port, and the matched prefix of a
// route with several (a service-tag route, a service endpoint).

// EgressMap is the egress map of one source: every destination (IPv4 and
// IPv6 address, IP protocol, destination port) a flow from it can have, cut
// into [ReachClass]es whose members share one outcome, for flows that name
// no server (no TLS SNI or HTTP Host). Build one with [Engine.Reach] (a
// NIC's), or [Engine.ReachFrom] (a container group's or web app's).
//
// An EgressMap is plain data, sorted (see Classes), that refers to its
// Engine for explanations (Explain, EgressIPs, DecidedBy: a zero or
// hand-built map answers those with nothing); it may be copied and read
// concurrently. Its classes cover destination space exactly once,
// IPv4-mapped IPv6 addresses aside (they are the IPv4 classes).
type EgressMap struct {
	// Source is the source NIC's name, SourceID its resource ID, and
	// SourceAddr its primary private address (for a web app, the address
	// of its integration subnet that its flows are evaluated from; for a
	// container group, its own; invalid when it has none).
	Source     string
	SourceID   string
	SourceAddr netip.Addr
	// Host is the server name the map's flows give ([Engine.ReachHost]), or
	// "" for flows that name none ([Engine.Reach]).
	Host string
	// Classes are the classes, sorted by their first address (IPv4
	// first), then first protocol, then first port.
	Classes []ReachClass
	// Atomic is the number of atomic classes (address class × protocol ×
	// port run), Walks the number of them walked: an address class whose
	// destination meets the same sets as one walked before (the same
	// route prefixes, rule destinations, service-tag prefixes: bounds.sigs)
	// takes its outcomes. Boundaries is the number of address boundaries
	// of the partition.
	Atomic, Walks, Boundaries int
	// SharedFrom is the resource ID of the NIC whose walks built the map
	// when [Engine.ReachAll] shared them (Walks are then that build's),
	// or "" for a map built from its own source's walks.
	SharedFrom string
	// Kind is the source's kind ([Engine.ReachFrom]): SourceNIC,
	// SourceWebApp or SourceContainerGroup.
	Kind SourceKind

	e *Engine
}

// ReachClass is one class of an [EgressMap]: every flow to an address of
// Prefixes, with one of Protocols (or any other protocol when
// OtherProtocols), and, for TCP and UDP, a destination port in Ports, has
// the outcome Decision. Witness is one such flow, decided by the walker
// when the map was built; [Engine.Trace] of it explains the class.
type ReachClass struct {
	// Prefixes is the destination address set, as minimal sorted prefixes;
	// classes with one address set share the slice (read only).
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
	// Witness is a flow of the class (From is the source's resource ID): a
	// typical one where the class has it (an address outside 0.0.0.0/8,
	// not the first of its prefix; port 443, 80, 53, 123, 22, 3389, 445 or
	// 25), else its first address, protocol and port.
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

// ProtocolString returns the class's protocols, e.g. "Tcp", "Icmp,Esp" or
// "Icmp,other" (other: every protocol number without a name).
func (c *ReachClass) ProtocolString() string {
	var parts []string
	for _, p := range c.Protocols {
		parts = append(parts, p.String())
	}
	if c.OtherProtocols {
		parts = append(parts, "other")
	}
	return strings.Join(parts, ",")
}

// PortString returns the class's ports, e.g. "1-24,26-65535", or "-" for a
// class of protocols without ports.
func (c *ReachClass) PortString() string {
	if c.Ports == nil {
		return "-"
	}
	parts := make([]string, len(c.Ports))
	for i, r := range c.Ports {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// PrefixString returns the class's prefixes, space-separated, the first
// max of them and a count of the rest when there are more (max <= 0: all).
func (c *ReachClass) PrefixString(max int) string {
	n := len(c.Prefixes)
	if max <= 0 || n <= max {
		max = n
	}
	parts := make([]string, 0, max+1)
	for _, p := range c.Prefixes[:max] {
		parts = append(parts, p.String())
	}
	if n > max {
		parts = append(parts, fmt.Sprintf("... (%d prefixes)", n))
	}
	return strings.Join(parts, " ")
}

// String describes the class in one line: verdict and reason, protocols,
// ports and (the first three) prefixes, e.g. "Allowed Internet Tcp
// 1-24,26-65535 0.0.0.0/5 8.0.0.0/7 11.0.0.0/8 ... (31 prefixes)".
func (c *ReachClass) String() string {
	r, _ := c.Decision.Reason.MarshalText()
	return fmt.Sprintf("%v %s %s %s %s", c.Decision.Verdict, r, c.ProtocolString(), c.PortString(), c.PrefixString(3))
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

// Explain describes a class's decision in one sentence ([Engine.Explain]),
// or "" for a map not built by [Engine.Reach].
func (m *EgressMap) Explain(c *ReachClass) string {
	if m.e == nil {
		return ""
	}
	return m.e.Explain(c.Decision)
}

// EgressIPs returns the public addresses the class's flows may leave from
// ([Engine.EgressIPs]), or nil for a map not built by [Engine.Reach].
func (m *EgressMap) EgressIPs(c *ReachClass) []netip.Addr {
	if m.e == nil {
		return nil
	}
	return m.e.EgressIPs(c.Decision, nil)
}

// DecidedBy names the rule that denied the class's flows, or "" (as
// [Result.DecidedBy] does for a denied flow; "" too for a map not built by
// [Engine.Reach]).
func (m *EgressMap) DecidedBy(c *ReachClass) string {
	if m.e == nil {
		return ""
	}
	return m.e.decidedBy(c.Decision)
}

// Where returns the classes that satisfy keep, in map order, as pointers
// into m.Classes.
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
var reachProtos = [...]ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP, 47, ipproto.ICMPv6, ipproto.ESP, ipproto.AH}

const (
	reachTCP    = 0
	reachUDP    = 1
	reachICMP   = 2
	reachOther  = 3
	reachICMPv6 = 4
	reachESP    = 5
	reachAH     = 6
)

// reachProtoIndex returns the index in reachProtos of the class of p.
func reachProtoIndex(p ipproto.Proto) int {
	for i, q := range reachProtos {
		if i != reachOther && q == p {
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
func (e *Engine) Reach(h NIC) *EgressMap { return e.ReachHost(h, "") }

// ReachHost is [Engine.Reach] for the flows that name their server host
// (TLS SNI, HTTP Host), the classes conditioned on that name: Azure
// Firewall application rules match on it ([Engine.ClassifyHost] decides
// each such flow; a TCP flow is HTTP on port 80, MSSQL on 1433 and HTTPS
// otherwise). The application rules' destination addresses and protocol
// ports are then boundaries too. Host "" is Reach.
func (e *Engine) ReachHost(h NIC, host string) *EgressMap { return e.reachHost(h, host, true) }

// reachHost is ReachHost; without reuse, it walks every atomic class (the
// twin TestReachReuse holds the reuse of rows by signature to).
func (e *Engine) reachHost(h NIC, host string, reuse bool) *EgressMap {
	hi := e.handle(h)
	b := e.reachBounds(hi, host != "")
	r := e.newReachRun(hi, host, &b, nil)
	r.noReuse = !reuse
	r.sweep()
	r.done()
	return r.mapFor(hi, nil)
}

// newReachRun starts the run of source h (the first of members, which may
// be nil) on bounds b.
func (e *Engine) newReachRun(h int32, host string, b *bounds, members []int32) *reachRun {
	r := &reachRun{e: e, h: h, src: h, host: host, b: b, outcomes: map[string]int32{}, lastID: -1, nicComps: map[int32][]int32{},
		sigRow: map[sig]int32{}, members: members}
	if len(members) > 1 {
		r.ownerOf = map[netip.Addr]int32{}
		for _, n := range members {
			for _, a := range e.cold[n].addrs {
				r.ownerOf[a.Unmap()] = n
			}
		}
	}
	return r
}

// bounds are the boundaries of one source's partition: addrs, every
// address where an atomic address class starts, sorted, IPv4 then IPv6; and
// the port cuts, by component. A component is what the walk consults about
// ports: an NSG or admin group (by pointer, shared by the NICs bound to
// it), a firewall, or Azure's SMTP restriction (component 0). Its cuts are
// global (rules to "*" or to a context tag, SMTP's 25) or hold where a
// rule's destination prefixes do (events).
type bounds struct {
	// sameAs[i] is the protocol (index in reachProtos, before i) whose
	// outcomes protocol i shares everywhere, or i: ESP and AH are "other"
	// protocols to every engine but an NSG rule naming them, and ICMPv6 is
	// ICMP to every engine but a firewall rule that matches one of ICMP and
	// "other" protocols and not the other.
	sameAs [len(reachProtos)]int
	addrs  []netip.Addr
	// sigs[i] is the signature of the class that starts at addrs[i]: the
	// XOR of the random 128-bit labels (setHash) of the boundary sets that
	// hold it (each prefix of bb.prefix, each rule's destination set).
	// Every test the walk makes of the destination address is membership
	// in one of those sets, or a function of several (a longest-prefix
	// match: of the route prefixes that hold it), so two classes with one
	// signature have one row, walked once; the family is a set too
	// (0.0.0.0/0, ::/0). Route prefixes are not sets: the route each
	// table of tables selects (by walkRecord.routeKey: a service-tag
	// route's prefixes are one route) is XORed in by the sweep. Two
	// different membership vectors share a signature with probability
	// 2^-128 per pair.
	sigs    []sig
	tables  []*route.Table // the reached subnets' (reachScope)
	comps   []component
	events  []cutEvent
	items   []cutItem
	groupOf map[*nsg.Group]int32
	fwOf    map[int32]int32
	// srcComp is the source's own component, which every walk consults
	// (a container group's unsupported ports), or -1.
	srcComp int32
}

// component is the port cuts of one component, per protocol (TCP, UDP):
// global ones, sorted, and, during the sweep, those of the rules that hold
// at the current address class (active).
type component struct {
	global [2][]uint16
	active [2]*portSet
	n      [2]int32 // the rules active, per protocol: at 0, active goes back to the pool
}

// portSet is a multiset of ports with a fast "next member above p": counts
// per port, a bitmap of the ports counted, and a summary bit per non-zero
// bitmap word. Allocated only for components with rules on prefixes.
type portSet struct {
	count [65536]int32
	bits  [1024]uint64
	sum   [16]uint64
}

func (s *portSet) add(p uint16) {
	if s.count[p]++; s.count[p] == 1 {
		s.bits[p>>6] |= 1 << (p & 63)
		s.sum[p>>12] |= 1 << (p >> 6 & 63)
	}
}

func (s *portSet) remove(p uint16) {
	if s.count[p]--; s.count[p] == 0 {
		if s.bits[p>>6] &^= 1 << (p & 63); s.bits[p>>6] == 0 {
			s.sum[p>>12] &^= 1 << (p >> 6 & 63)
		}
	}
}

// next returns the smallest member above p, or 65536.
func (s *portSet) next(p uint32) uint32 {
	q := p + 1
	if q > 65535 {
		return 65536
	}
	w := q >> 6
	if m := s.bits[w] >> (q & 63); m != 0 {
		return q + uint32(bits.TrailingZeros64(m))
	}
	// The next non-empty word after w, through the summary.
	w++
	for sw := w >> 6; sw < 16; sw++ {
		m := s.sum[sw]
		if sw == w>>6 {
			m &= ^uint64(0) << (w & 63)
		}
		if m != 0 {
			word := sw<<6 + uint32(bits.TrailingZeros64(m))
			return word<<6 + uint32(bits.TrailingZeros64(s.bits[word]))
		}
	}
	return 65536
}

// cutItem is the port cuts of one rule, per protocol, and its component.
type cutItem struct {
	comp int32
	cuts [2][]uint16
}

// cutEvent: at addr, item starts (add) or stops applying.
type cutEvent struct {
	addr netip.Addr
	item int32
	add  bool
}

// event4 is a cutEvent at an IPv4 address, as a number.
type event4 struct {
	addr uint32
	item int32
	add  bool
}

// ipv4MappedSpace is ::ffff:0:0/96, left out of the map.
var ipv4MappedSpace = netip.MustParsePrefix("::ffff:0:0/96")

// boundsBuilder gathers boundaries.
type boundsBuilder struct {
	b bounds
	// The boundaries, each with the set it is an edge of (see sig): IPv4
	// ones as addr<<32 | set, which sort fast, IPv6 ones apart.
	addrs4  []uint64
	addrs6  []edge6
	nsets   uint32   // the sets numbered so far
	events4 []event4 // the IPv4 events (b.events: the IPv6 ones)
	seenS   map[*nsg.Scope]bool
	// Rules naming one prefix set (a service tag) share its slice: its
	// boundaries are added once, and one item per component carries the
	// cuts of all its rules.
	sets    map[setID][]netipx.IPRange // its minimal ranges
	bounded map[setID]bool             // its boundaries are in
	// fullDone: the groups whose rules of both directions are in.
	fullDone map[*nsg.Group]bool
	itemOf   map[compSet]int32
}

// setID identifies a shared prefix slice.
type setID struct {
	first *netip.Prefix
	n     int
}

type compSet struct {
	comp int32
	set  setID
}

// rangesOf returns the minimal ranges of a shared prefix set, computed once.
func (bb *boundsBuilder) rangesOf(ps []netip.Prefix) []netipx.IPRange {
	id := idOf(ps)
	rs, ok := bb.sets[id]
	if !ok {
		rs = setRanges(ps)
		bb.sets[id] = rs
	}
	return rs
}

// holdsAny reports whether the sorted disjoint ranges hold one of as.
func holdsAny(rs []netipx.IPRange, as []netip.Addr) bool {
	for _, a := range as {
		i, _ := slices.BinarySearchFunc(rs, a, func(x netipx.IPRange, a netip.Addr) int {
			switch {
			case x.To().Compare(a) < 0:
				return -1
			case x.From().Compare(a) > 0:
				return 1
			}
			return 0
		})
		if i < len(rs) && rs[i].Contains(a) {
			return true
		}
	}
	return false
}

// setRanges returns the minimal ranges of a prefix set, sorted (each
// family apart: a range never spans IPv4 and IPv6).
func setRanges(ps []netip.Prefix) []netipx.IPRange {
	rs := make([]netipx.IPRange, 0, len(ps))
	for _, p := range ps {
		if p, ok := normPrefix(p); ok {
			rs = append(rs, netipx.RangeOfPrefix(p))
		}
	}
	slices.SortFunc(rs, func(a, b netipx.IPRange) int { return a.From().Compare(b.From()) })
	out := rs[:0]
	for _, x := range rs {
		if n := len(out); n > 0 && out[n-1].From().Is4() == x.From().Is4() && (x.From().Compare(out[n-1].To()) <= 0 || out[n-1].To().Next() == x.From()) {
			if x.To().Compare(out[n-1].To()) > 0 {
				out[n-1] = netipx.IPRangeFrom(out[n-1].From(), x.To())
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

func idOf(ps []netip.Prefix) setID {
	if len(ps) == 0 {
		return setID{}
	}
	return setID{&ps[0], len(ps)}
}

// edge6 is an IPv6 boundary and the set it is an edge of.
type edge6 struct {
	a   netip.Addr
	set uint32
}

// prefix adds p's edges as boundaries, of a set of its own.
func (bb *boundsBuilder) prefix(p netip.Prefix) { bb.edges(p, bb.newSet()) }

// edges adds p's edges as boundaries of set (0: of no set, for a route
// prefix: the route a lookup selects is in the signature instead).
func (bb *boundsBuilder) edges(p netip.Prefix, set uint32) {
	p, ok := normPrefix(p)
	if !ok {
		return
	}
	bb.addr(p.Addr(), set)
	if next := netipx.PrefixLastIP(p).Next(); next.IsValid() {
		bb.addr(next, set)
	}
}

// newSet numbers a set whose membership the walk may test (its edges are
// boundaries).
func (bb *boundsBuilder) newSet() uint32 {
	bb.nsets++
	return bb.nsets
}

// addr adds a boundary, an edge (where it starts, or the address after it
// ends) of set.
func (bb *boundsBuilder) addr(a netip.Addr, set uint32) {
	if a.Is4() {
		bb.addrs4 = append(bb.addrs4, uint64(v4num(a))<<32|uint64(set))
	} else {
		bb.addrs6 = append(bb.addrs6, edge6{a, set})
	}
}

// setHash is set's random 128-bit label (splitmix64 of its number), zero
// for set 0: the signature of an address class is the XOR of the labels of
// the sets that hold it.
func setHash(set uint32) sig {
	if set == 0 {
		return sig{}
	}
	return sig{mix64(uint64(set) << 1), mix64(uint64(set)<<1 | 1)}
}

// routeHash is the label of route key k (walkRecord.routeKey) selected in
// the i-th table of bounds.tables.
func routeHash(i int, k uint32) sig {
	z := 1<<63 | uint64(i)<<32 | uint64(k)
	return sig{mix64(z << 1), mix64(z<<1 | 1)}
}

// mix64 is splitmix64's finalizer.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// sig is an address class's signature: which of the boundary sets hold it
// (see bounds.sigs).
type sig [2]uint64

func v4num(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func v4addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
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

// newComponent adds a component and returns its index.
func (bb *boundsBuilder) newComponent() int32 {
	bb.b.comps = append(bb.b.comps, component{})
	return int32(len(bb.b.comps) - 1)
}

// item adds a rule of component comp with destination prefixes ps (all:
// "*" or a context tag, wherever it holds) and destination ports, for the
// protocols tcp and udp.
func (bb *boundsBuilder) item(comp int32, all bool, ps []netip.Prefix, tcp, udp bool, ports [][2]uint16) {
	set := idOf(ps)
	rs := bb.rangesOf(ps)
	if !bb.bounded[set] {
		// A rule's destination is one unit: only where the set starts and
		// stops matters, not the edges between its adjacent prefixes.
		bb.bounded[set] = true
		sid := bb.newSet()
		for _, x := range rs {
			bb.addr(x.From(), sid)
			if next := x.To().Next(); next.IsValid() {
				bb.addr(next, sid)
			}
		}
	}
	var cuts []uint16
	for _, r := range ports {
		if r[0] <= 1 && r[1] == 65535 {
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
	if all {
		for k, on := range [2]bool{tcp, udp} {
			if on {
				bb.b.comps[comp].global[k] = append(bb.b.comps[comp].global[k], cuts...)
			}
		}
		return
	}
	id, ok := bb.itemOf[compSet{comp, set}]
	if !ok {
		id = int32(len(bb.b.items))
		bb.itemOf[compSet{comp, set}] = id
		bb.b.items = append(bb.b.items, cutItem{comp: comp})
		for _, x := range rs {
			next := x.To().Next()
			if x.From().Is4() {
				bb.events4 = append(bb.events4, event4{v4num(x.From()), id, true})
				if next.IsValid() {
					bb.events4 = append(bb.events4, event4{v4num(next), id, false})
				}
				continue
			}
			bb.b.events = append(bb.b.events, cutEvent{x.From(), id, true})
			if next.IsValid() {
				bb.b.events = append(bb.b.events, cutEvent{next, id, false})
			}
		}
	}
	it := &bb.b.items[id]
	for k, on := range [2]bool{tcp, udp} {
		if on {
			it.cuts[k] = append(it.cuts[k], cuts...)
		}
	}
}

// classifier adds the boundaries of a NIC's security rules (item 3) for a
// NIC the walk can cross or start from (full: the rules of both directions
// meet any destination), or only deliver to (the inbound rules meet the
// NIC's own addresses: their port cuts hold there, and their destination
// sets add no boundary).
func (bb *boundsBuilder) classifier(cls *nsg.Classifier, full bool, own []netip.Addr) {
	if sc := cls.Scope(); full && !bb.seenS[sc] {
		bb.seenS[sc] = true
		for _, tag := range []string{"VirtualNetwork", "Internet", "AzureLoadBalancer"} {
			for _, p := range sc.Prefixes(tag) {
				bb.prefix(p)
			}
		}
	}
	var ownPrefixes []netip.Prefix
	for _, a := range own {
		ownPrefixes = append(ownPrefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	for _, stage := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
		g := cls.Group(stage)
		if g == nil {
			continue
		}
		comp, ok := bb.b.groupOf[g]
		if !ok {
			comp = bb.newComponent()
			bb.b.groupOf[g] = comp
		}
		if full && bb.fullDone[g] {
			continue
		}
		dirs := []nsg.Direction{nsg.Inbound}
		if full {
			bb.fullDone[g] = true
			dirs = append(dirs, nsg.Outbound)
		}
		for _, dir := range dirs {
			for _, s := range g.DestinationSpaces(dir) {
				switch s.Protocol {
				case nsg.ProtocolESP:
					bb.b.sameAs[reachESP] = reachESP
				case nsg.ProtocolAH:
					bb.b.sameAs[reachAH] = reachAH
				}
				tcp := s.Protocol == nsg.ProtocolAny || s.Protocol == nsg.ProtocolTCP
				udp := s.Protocol == nsg.ProtocolAny || s.Protocol == nsg.ProtocolUDP
				switch {
				case !full:
					// Only the rules that can match the NIC's own addresses.
					if s.Any || s.Context != "" || holdsAny(bb.rangesOf(s.Prefixes), own) {
						bb.item(comp, false, ownPrefixes, tcp, udp, s.Ports)
					}
				default:
					// A context tag is expanded by each NIC's scope (whose
					// prefixes are boundaries above): its rule's cuts are
					// taken as global, an over-approximation.
					bb.item(comp, s.Any || s.Context != "", s.Prefixes, tcp, udp, s.Ports)
				}
			}
		}
	}
}

// reachScope returns what a flow from NIC h can meet (items 3–5 and 7): the
// subnets it can be routed from, the NICs whose rules it can meet (the
// source and the NVAs first, nics[:crossed], then the NICs it can be
// delivered to), the firewalls, and the VNets. It is a fixed point over the
// route actions, which over-approximates the walks (a route that no
// destination selects still counts).
func (e *Engine) reachScope(h int32) (subnets, nics []int32, crossed int, fws, vnets []int32) {
	return e.reachScopeFrom(e.nics[h].subnet, []int32{h})
}

// reachScopeFrom is reachScope for a source in subnet start (-1: in none)
// that is NIC seed[0] (or, seed empty, a source that is no NIC: a web
// app's integration, a container group).
func (e *Engine) reachScopeFrom(start int32, seed []int32) (subnets, nics []int32, crossed int, fws, vnets []int32) {
	seenSub := map[int32]bool{}
	seenNIC := map[int32]bool{}
	seenFW := map[int32]bool{}
	seenVNet := map[int32]bool{}
	for _, h := range seed {
		seenNIC[h] = true
		nics = append(nics, h)
	}
	var queue []int32
	if start >= 0 {
		queue = append(queue, start)
		seenSub[start] = true
	}
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
	crossed = len(nics)
	// Destination NICs: every NIC a reached VNet can deliver to.
	for _, v := range vnets {
		for _, t := range e.vnets[v].targets {
			if t.kind == targetNIC && !seenNIC[t.idx] {
				seenNIC[t.idx] = true
				nics = append(nics, t.idx)
			}
		}
	}
	slices.Sort(nics[len(seed):crossed])
	slices.Sort(nics[crossed:])
	slices.Sort(fws)
	return subnets, nics, crossed, fws, vnets
}

// reachBounds collects the boundary set of NIC h (see the comment above).
func (e *Engine) reachBounds(h int32, named bool) bounds {
	return e.reachBoundsFrom(reachSrc{nic: h, subnet: e.nics[h].subnet}, named)
}

// reachSrc is a source as reachBoundsFrom sees it: NIC nic, or (nic -1)
// a source in subnet subnet (-1: none) with security rules cls (nil:
// none) and addresses own; srcComp: Learn's unsupported ports of a
// container group are a component of the source.
type reachSrc struct {
	nic, subnet int32
	cls         *nsg.Classifier
	own         []netip.Addr
	srcComp     bool
	app         bool // a web app: its routing settings test RFC 1918
}

// reachBoundsFrom collects the boundary set of source src.
func (e *Engine) reachBoundsFrom(src reachSrc, named bool) bounds {
	bb := boundsBuilder{b: bounds{groupOf: map[*nsg.Group]int32{}, fwOf: map[int32]int32{}}, seenS: map[*nsg.Scope]bool{},
		sets: map[setID][]netipx.IPRange{}, bounded: map[setID]bool{}, itemOf: map[compSet]int32{}, fullDone: map[*nsg.Group]bool{}}
	for i := range bb.b.sameAs {
		bb.b.sameAs[i] = i
	}
	bb.b.sameAs[reachICMPv6], bb.b.sameAs[reachESP], bb.b.sameAs[reachAH] = reachICMP, reachOther, reachOther
	// Azure's SMTP restriction, component 0: TCP port 25.
	smtp := bb.newComponent()
	bb.b.comps[smtp].global[reachTCP] = []uint16{25, 26}
	// 1. The families, and the IPv4-mapped space cut out.
	bb.prefix(netip.MustParsePrefix("0.0.0.0/0"))
	bb.prefix(netip.MustParsePrefix("::/0"))
	mapped := bb.newSet()
	bb.addr(ipv4MappedSpace.Addr(), mapped)
	bb.addr(netipx.PrefixLastIP(ipv4MappedSpace).Next(), mapped)
	// 2. The platform addresses.
	bb.prefix(netip.PrefixFrom(nsg.HostIP, 32))
	bb.prefix(netip.PrefixFrom(nsg.IMDSIP, 32))
	// 6. isPrivate.
	for _, p := range ianaPrivate {
		bb.prefix(p)
	}
	bb.prefix(netip.MustParsePrefix("fc00::/7"))
	bb.prefix(netip.MustParsePrefix("fe80::/10"))

	var seed []int32
	if src.nic >= 0 {
		seed = []int32{src.nic}
	}
	subnets, nics, crossed, fws, vnets := e.reachScopeFrom(src.subnet, seed)
	bb.b.srcComp = -1
	if src.nic < 0 {
		// The source's own rules (outbound: full) and addresses; a web
		// app's settings send RFC 1918 destinations into its subnet.
		if src.cls != nil {
			bb.classifier(src.cls, true, nil)
		}
		for _, a := range src.own {
			bb.prefix(netip.PrefixFrom(a, a.BitLen()))
		}
		if src.app {
			for _, p := range rfc1918 {
				bb.prefix(p)
			}
		}
		if src.srcComp {
			c := bb.newComponent()
			bb.b.comps[c].global[reachTCP] = []uint16{25, 26, 19390, 19391}
			bb.b.srcComp = c
		}
	}
	// 4. Routes.
	for _, s := range subnets {
		tb := e.subnets[s].table
		for i := range tb.NumSelections() {
			bb.edges(tb.Selection(i).Prefix(), 0)
		}
		bb.b.tables = append(bb.b.tables, tb)
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
	// 3. Security rules: the source and the NVAs (full), then the NICs
	// the walk can only deliver to.
	for _, n := range nics[:crossed] {
		bb.classifier(e.nics[n].cls, true, nil)
	}
	for _, n := range nics {
		bb.classifier(e.nics[n].cls, false, e.cold[n].addrs)
		for _, a := range e.cold[n].addrs {
			bb.prefix(netip.PrefixFrom(a, a.BitLen()))
		}
	}
	// 3'. Container groups of the reached VNets: the walk delivers to them,
	// or meets them as a next hop, past their subnet's inbound rules (full:
	// as a next hop they see any destination).
	for k := range e.injs {
		st := &e.injs[k]
		if st.subnet >= 0 && st.cls != nil && slices.Contains(vnets, e.subnets[st.subnet].vnet) {
			bb.classifier(st.cls, true, nil)
		}
	}
	// 7. Firewalls.
	for _, f := range fws {
		fs := &e.firewalls[f]
		bb.prefix(netip.PrefixFrom(fs.addr, fs.addr.BitLen()))
		if fs.eng == nil {
			continue
		}
		comp := bb.newComponent()
		bb.b.fwOf[f] = comp
		for _, p := range fs.eng.SNATPrivateRanges() {
			bb.prefix(p)
		}
		for _, s := range fs.eng.DestinationSpaces() {
			if s.ICMP != s.Other {
				bb.b.sameAs[reachICMPv6] = reachICMPv6
			}
			// The addresses DNS gave are a set apart: a match through them
			// is flagged (firewall.FlagDNS).
			bb.item(comp, false, s.Prefixes, s.TCP, s.UDP, s.Ports)
			bb.item(comp, false, s.DNS, s.TCP, s.UDP, s.Ports)
			if s.Unresolved {
				// An FQDN that did not resolve may be any destination: its
				// rule's ports count everywhere.
				bb.item(comp, true, nil, s.TCP, s.UDP, s.Ports)
			}
		}
		if named {
			// A flow that names its server: the port says which
			// application protocol (walker.firewallFlow: HTTP on 80, MSSQL
			// on 1433, HTTPS otherwise), and application rules match on
			// their destination addresses and protocol ports.
			bb.item(comp, true, nil, true, false, [][2]uint16{{80, 80}, {1433, 1433}})
			for _, s := range fs.eng.AppDestinationSpaces() {
				bb.item(comp, false, s.Prefixes, true, false, s.Ports)
			}
		}
	}
	b := bb.b
	for i := range b.comps {
		for k := range b.comps[i].global {
			slices.Sort(b.comps[i].global[k])
			b.comps[i].global[k] = slices.Compact(b.comps[i].global[k])
		}
	}
	for i := range b.items {
		for k := range b.items[i].cuts {
			slices.Sort(b.items[i].cuts[k])
			b.items[i].cuts[k] = slices.Compact(b.items[i].cuts[k])
		}
	}
	// The boundaries, each once, and the signatures of the classes they
	// start: a set's label is XORed in at its first address and out after
	// its last, so the running XOR holds the labels of the sets that hold
	// the class (reset between the families: no set spans both).
	slices.Sort(bb.addrs4)
	slices.SortFunc(bb.addrs6, func(x, y edge6) int { return x.a.Compare(y.a) })
	b.addrs = make([]netip.Addr, 0, len(bb.addrs4)+len(bb.addrs6))
	b.sigs = make([]sig, 0, cap(b.addrs))
	var run sig
	for _, v := range bb.addrs4 {
		a, h := uint32(v>>32), setHash(uint32(v))
		if n := len(b.addrs); n == 0 || v4num(b.addrs[n-1]) != a {
			b.addrs, b.sigs = append(b.addrs, v4addr(a)), append(b.sigs, run)
		}
		run[0] ^= h[0]
		run[1] ^= h[1]
		b.sigs[len(b.sigs)-1] = run
	}
	run = sig{}
	n4 := len(b.addrs)
	for _, x := range bb.addrs6 {
		h := setHash(x.set)
		if n := len(b.addrs); n == n4 || b.addrs[n-1] != x.a {
			b.addrs, b.sigs = append(b.addrs, x.a), append(b.sigs, run)
		}
		run[0] ^= h[0]
		run[1] ^= h[1]
		b.sigs[len(b.sigs)-1] = run
	}
	slices.SortFunc(bb.events4, func(x, y event4) int { return cmp.Compare(x.addr, y.addr) })
	slices.SortFunc(b.events, func(x, y cutEvent) int { return x.addr.Compare(y.addr) })
	events := make([]cutEvent, 0, len(bb.events4)+len(b.events))
	for _, x := range bb.events4 {
		events = append(events, cutEvent{v4addr(x.addr), x.item, x.add})
	}
	b.events = append(events, b.events...)
	return b
}

// reachRun is one Reach in progress: the sweep (which walks) fills it;
// after the sweep it is read only, and mapFor builds the map
// of the source, or of any member of its group (ReachAll), from it.
type reachRun struct {
	e        *Engine
	h        int32  // the source: the group's first member
	src      int32  // the source of the walk under way: h, or a member for an alt row
	host     string // the server name the flows give, or ""
	b        *bounds
	addrs    []netip.Addr // b.addrs, kept when b is dropped
	rec      walkRecord
	key      []byte
	outcomes map[string]int32 // outcome key -> id
	lastKey  []byte           // the last walk's key, and its id (-1: none yet)
	lastID   int32
	decs     []Decision // by outcome id
	decSrc   []int32    // by outcome id: the source whose walk found it
	atomic   int
	walks    int
	nicComps map[int32][]int32 // NIC handle -> the components of its groups
	pool     []*portSet        // empty port sets
	consult  []int32

	// The rows: one per signature (sigRow, in arena; noReuse walks every
	// class: the twin that TestReachReuse holds the reuse to), the row of
	// each address class (classRow, -1 in the IPv4-mapped space), and for
	// a group of NICs (ReachAll) the other row of each member address.
	sigRow   map[sig]int32
	refs     []rowRef
	arena    []rowEntry
	classRow []int32
	row      []rowEntry // scratch
	noReuse  bool
	members  []int32     // the group, h first; nil or one for Reach
	stop     func() bool // asked now and then by the sweep: stop (stopped) when it says so
	stopped  bool
	ownerOf  map[netip.Addr]int32 // a member's address -> the member
	alt      []altRow             // by class, ascending
	lay      *layout              // after the sweep
	// kind is the source's kind, si its index (Source.i) when it is not a
	// NIC: h and src are then noNIC.
	kind SourceKind
	si   int32
}

// noNIC stands for the NIC handle of a run whose source is no NIC: no
// NIC, web app or container group decider has it.
const noNIC = -1 << 31

// run walks w from the run's source (NIC src for a NIC run), as
// Engine.TraceFrom does.
func (r *reachRun) run(w *walker, src int32) Decision {
	switch r.kind {
	case SourceWebApp:
		d, _ := w.decideApp(r.si, topology.TrafficApplication, false, nil)
		return d
	case SourceContainerGroup:
		return w.decideInjected(r.si)
	}
	return w.run(src)
}

// rowRef is a row in reachRun.arena, and the atomic classes it counts.
type rowRef struct{ off, n, atomic int32 }

// altRow is the second row of a member address class: class is the
// address class (a member's address), owner the member. The class's
// classRow is the walk from h; row is the walk from the owner when it is
// not h (its flows to itself), or else from another member (the flows of
// every member but h to h's address). See reachRun.rowOf.
type altRow struct{ class, owner, row int32 }

// rowEntry is one protocol's port run [lo, hi] (0, 0 for protocols without
// ports) with outcome id.
type rowEntry struct {
	proto  uint8
	lo, hi uint16
	id     int32
}

// srcHandle stands for the walk's source in an outcome key: keys are
// relative to the source, so that the walks of two sources of one group
// (ReachAll) that differ only by the source share outcomes.
const srcHandle = 1<<31 - 1

// eval walks one representative from r.src and returns its outcome id;
// r.rec holds its walk record.
func (r *reachRun) eval(dst netip.Addr, proto ipproto.Proto, port uint16) int32 {
	r.atomic++
	r.walks++
	r.rec.ev, r.rec.smtp = r.rec.ev[:0], false
	w := walker{e: r.e, dst: dst, proto: proto, sport: EphemeralPort, dport: port, host: r.host, rec: &r.rec}
	d := r.run(&w, r.src)
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
	eg := d.egress
	if r.kind == SourceNIC {
		switch src := &r.e.nics[r.src]; {
		case eg < 0:
		case eg == src.egress4: // the source's own egress sets
			eg = -2
		case eg == src.egress6:
			eg = -3
		}
	}
	k = binary.LittleEndian.AppendUint32(k, uint32(eg))
	by := d.by
	if by != 0 && !by.firewall() && by.at() == r.src {
		by = by&^(1<<32-1) | srcHandle
	}
	k = binary.LittleEndian.AppendUint64(k, uint64(by))
	for i := 0; i < len(r.rec.ev); i++ {
		ev := r.rec.ev[i]
		switch ev &^ (1<<56 - 1) {
		case recSecurity:
			if int32(uint32(ev>>8)) == r.src {
				ev = ev&^(uint64(1<<32-1)<<8) | srcHandle<<8
			}
			k = binary.LittleEndian.AppendUint64(k, ev)
			i++ // the verdict word
			ev = r.rec.ev[i]
		case recFirewall, recInjSecurity, recSrcSecurity:
			k = binary.LittleEndian.AppendUint64(k, ev)
			i++
			ev = r.rec.ev[i]
		case recTarget:
			if targetKind(ev>>32) == targetNIC && int32(uint32(ev)) == r.src {
				ev = ev&^(1<<32-1) | srcHandle
			}
		}
		k = binary.LittleEndian.AppendUint64(k, ev)
	}
	r.key = k
	if r.lastID >= 0 && string(k) == string(r.lastKey) { // neighbours mostly share an outcome
		return r.lastID
	}
	id, ok := r.outcomes[string(k)]
	if !ok {
		id = int32(len(r.decs))
		r.outcomes[string(k)] = id
		r.decs = append(r.decs, d)
		r.decSrc = append(r.decSrc, r.src)
	}
	r.lastKey, r.lastID = append(r.lastKey[:0], k...), id
	return id
}

// decision returns outcome id's Decision for the flows of member m: a rule
// of the source that found it denies them at m, and its egress sets are
// m's.
func (r *reachRun) decision(id, m int32) Decision {
	d := r.decs[id]
	s := r.decSrc[id]
	if s == m {
		return d
	}
	if d.by != 0 && !d.by.firewall() && d.by.at() == s {
		d.by = d.by&^(1<<32-1) | decider(uint32(m))
	}
	switch src, dst := &r.e.nics[s], &r.e.nics[m]; {
	case d.egress < 0:
	case d.egress == src.egress4:
		d.egress = dst.egress4
	case d.egress == src.egress6:
		d.egress = dst.egress6
	}
	return d
}

// consulted returns the components the last walk asked about ports.
func (r *reachRun) consulted() []int32 {
	out := r.consult[:0]
	if r.rec.smtp {
		out = append(out, 0)
	}
	for i := 0; i < len(r.rec.ev); i++ {
		ev := r.rec.ev[i]
		switch ev &^ (1<<56 - 1) {
		case recSecurity:
			h := int32(uint32(ev >> 8))
			cs, ok := r.nicComps[h]
			if !ok {
				cls := r.e.nics[h].cls
				for _, st := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
					if c, ok := r.b.groupOf[cls.Group(st)]; ok {
						cs = append(cs, c)
					}
				}
				r.nicComps[h] = cs
			}
			out = append(out, cs...)
			i++ // the verdict word
		case recFirewall:
			if c, ok := r.b.fwOf[int32(uint32(ev))]; ok {
				out = append(out, c)
			}
			i++
		case recInjSecurity, recSrcSecurity:
			var cls *nsg.Classifier
			if ev&^(1<<56-1) == recInjSecurity {
				cls = r.e.injs[int32(uint32(ev>>8))].cls
			} else {
				cls = r.e.inSubnet(int32(uint32(ev >> 8))).cls
			}
			for _, st := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
				if c, ok := r.b.groupOf[cls.Group(st)]; ok {
					out = append(out, c)
				}
			}
			i++
		}
	}
	if r.b.srcComp >= 0 {
		out = append(out, r.b.srcComp)
	}
	r.consult = out
	return out
}

// nextCut returns the first cut above port p of component c for protocol
// k at the current address class, or 65536.
func (r *reachRun) nextCut(c int32, k int, p uint32) uint32 {
	cp := &r.b.comps[c]
	next := uint32(65536)
	if a := cp.active[k]; a != nil {
		next = a.next(p)
	}
	cs := cp.global[k]
	i, found := slices.BinarySearch(cs, uint16(min(p, 65535)))
	if found {
		i++
	}
	if i < len(cs) {
		next = min(next, uint32(cs[i]))
	}
	return next
}

// sweep decides every atomic class, in address order, from r.h: the row
// of each address class (r.classRow), and for a group of NICs the other
// row of every member address (r.alt). For TCP and UDP it walks port 1
// first, then jumps to the next cut of the components that walk
// consulted: the walk's tests all answer alike up to there, so the walk
// and its outcome are the same.
func (r *reachRun) sweep() {
	b := r.b
	ev := 0
	r.classRow = make([]int32, len(b.addrs))
	for i, lo := range b.addrs {
		if i&255 == 0 && r.stop != nil && r.stop() {
			r.stopped = true
			return
		}
		for ; ev < len(b.events) && b.events[ev].addr.Compare(lo) <= 0; ev++ {
			x := b.events[ev]
			it := &b.items[x.item]
			cp := &b.comps[it.comp]
			for k := range 2 {
				if len(it.cuts[k]) == 0 {
					continue
				}
				a := cp.active[k]
				if a == nil {
					if n := len(r.pool); n > 0 {
						a, r.pool = r.pool[n-1], r.pool[:n-1]
					} else {
						a = new(portSet)
					}
					cp.active[k] = a
				}
				for _, c := range it.cuts[k] {
					if x.add {
						a.add(c)
					} else {
						a.remove(c)
					}
				}
				if x.add {
					cp.n[k]++
				} else if cp.n[k]--; cp.n[k] == 0 {
					// Empty again: the set's memory serves the next
					// component (a destination NIC's rules hold at one
					// address; thousands of them must not hold a set each).
					r.pool = append(r.pool, a)
					cp.active[k] = nil
				}
			}
		}
		if ipv4MappedSpace.Contains(lo) {
			r.classRow[i] = -1
			continue
		}
		// A member address: its other row (see altRow), walked from the
		// owner, or, at h's own addresses, from another member.
		if owner, ok := r.ownerOf[lo]; ok {
			r.src = owner
			if owner == r.h {
				r.src = r.members[1]
			}
			r.alt = append(r.alt, altRow{int32(i), owner, r.walkRow(lo)})
			r.src = r.h
		}
		// A class with the signature of one walked before has its row.
		sg := b.sigs[i]
		for ti, tb := range b.tables {
			k := uint32(1<<32 - 1) // no route
			if m, ok := tb.Lookup(lo); ok {
				k = routeKey(m)
			}
			h := routeHash(ti, k)
			sg[0] ^= h[0]
			sg[1] ^= h[1]
		}
		if ref, ok := r.sigRow[sg]; ok && !r.noReuse {
			r.classRow[i] = ref
			continue
		}
		ref := r.walkRow(lo)
		r.sigRow[sg] = ref
		r.classRow[i] = ref
	}
}

// walkRow walks the atomic classes of the address class that starts at lo
// from r.src and files their row; it returns the row's index in r.refs.
func (r *reachRun) walkRow(lo netip.Addr) int32 {
	b := r.b
	atomic := r.atomic
	r.row = r.row[:0]
	for pi, proto := range reachProtos {
		if !proto.HasPorts() {
			var id int32
			if same := b.sameAs[pi]; same != pi {
				id = r.row[len(r.row)-(pi-same)].id // the row's portless entries follow TCP's and UDP's, in protocol order
			} else {
				id = r.eval(lo, proto, 0)
			}
			r.row = append(r.row, rowEntry{uint8(pi), 0, 0, id})
			continue
		}
		for p := uint32(1); p <= 65535; {
			id := r.eval(lo, proto, uint16(p))
			next := uint32(65536)
			for _, c := range r.consulted() {
				next = min(next, r.nextCut(c, pi, p))
			}
			if n := len(r.row); n > 0 && r.row[n-1].proto == uint8(pi) && r.row[n-1].id == id {
				r.row[n-1].hi = uint16(next - 1)
			} else {
				r.row = append(r.row, rowEntry{uint8(pi), uint16(p), uint16(next - 1), id})
			}
			p = next
		}
	}
	r.refs = append(r.refs, rowRef{int32(len(r.arena)), int32(len(r.row)), int32(r.atomic - atomic)})
	r.arena = append(r.arena, r.row...)
	return int32(len(r.refs) - 1)
}

// done drops what only the sweep needs and lays the rows out (see
// layout): the run is then the read-only template of its group's maps,
// safe for concurrent use.
func (r *reachRun) done() {
	r.addrs = r.b.addrs
	r.b, r.sigRow, r.pool, r.nicComps, r.outcomes, r.rec, r.key, r.lastKey, r.row = nil, nil, nil, nil, nil, walkRecord{}, nil, nil, nil
	r.layout()
}

// layout is the part of the maps a group's members have in common: the
// distinct rows (row groups, by content), each with the address ranges
// that have it but for the member addresses (stable), and the classes'
// entries, (protocol, port run, outcome), with the groups that hold them.
// A member's map adds its member addresses' rows (memberRows) and merges.
type layout struct {
	groupOfRef   []int32   // row ref -> row group
	gEntries     [][]int32 // row group -> its entries (ids in ekeys)
	stable       [][]netipx.IPRange
	atomic       int        // the atomic classes of the stable ranges
	ekeys        []rowEntry // the entries of every group, by id
	entryStable  [][]int32  // entry -> the groups with stable ranges that hold it, ascending
	last4, last6 netip.Addr

	mu    sync.Mutex
	cache map[string]asetPrefixes // a list of groups -> their stable addresses
}

// asetPrefixes is an address set: its minimal ranges and prefixes.
type asetPrefixes struct {
	ranges   []netipx.IPRange
	prefixes []netip.Prefix
}

// rangeOf returns the address class i, [addrs[i], the next boundary).
func (r *reachRun) rangeOf(i int) netipx.IPRange {
	lo := r.addrs[i]
	switch {
	case i+1 < len(r.addrs) && r.addrs[i+1].Is4() == lo.Is4():
		return netipx.IPRangeFrom(lo, r.addrs[i+1].Prev())
	case lo.Is4():
		return netipx.IPRangeFrom(lo, r.lay.last4)
	}
	return netipx.IPRangeFrom(lo, r.lay.last6)
}

// layout builds r.lay.
func (r *reachRun) layout() {
	l := &layout{cache: map[string]asetPrefixes{}, groupOfRef: make([]int32, len(r.refs)),
		last4: netip.AddrFrom4([4]byte{255, 255, 255, 255}),
		last6: netip.AddrFrom16([16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff, 8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff})}
	r.lay = l
	groupOf := map[string]int32{}
	entryID := map[rowEntry]int32{}
	var kb []byte
	for ref, x := range r.refs {
		row := r.arena[x.off : x.off+x.n]
		kb = kb[:0]
		for _, e := range row {
			kb = append(kb, e.proto)
			kb = binary.LittleEndian.AppendUint16(kb, e.lo)
			kb = binary.LittleEndian.AppendUint16(kb, e.hi)
			kb = binary.LittleEndian.AppendUint32(kb, uint32(e.id))
		}
		g, ok := groupOf[string(kb)]
		if !ok {
			g = int32(len(l.gEntries))
			groupOf[string(kb)] = g
			ids := make([]int32, len(row))
			for j, e := range row {
				id, ok := entryID[e]
				if !ok {
					id = int32(len(l.ekeys))
					entryID[e] = id
					l.ekeys = append(l.ekeys, e)
				}
				ids[j] = id
			}
			l.gEntries = append(l.gEntries, ids)
		}
		l.groupOfRef[ref] = g
	}
	l.stable = make([][]netipx.IPRange, len(l.gEntries))
	ai := 0
	for i := range r.addrs {
		ref := r.classRow[i]
		if ref < 0 {
			continue
		}
		if ai < len(r.alt) && int(r.alt[ai].class) == i {
			ai++
			continue // a member address: laid out per member
		}
		l.atomic += int(r.refs[ref].atomic)
		g := l.groupOfRef[ref]
		x := r.rangeOf(i)
		rs := l.stable[g]
		if n := len(rs); n > 0 && rs[n-1].To().Next() == x.From() {
			rs[n-1] = netipx.IPRangeFrom(rs[n-1].From(), x.To())
		} else {
			rs = append(rs, x)
		}
		l.stable[g] = rs
	}
	l.entryStable = make([][]int32, len(l.ekeys))
	for g, ids := range l.gEntries {
		if len(l.stable[g]) == 0 {
			continue
		}
		for _, id := range ids {
			l.entryStable[id] = append(l.entryStable[id], int32(g))
		}
	}
}

// asetStable returns the union of the stable ranges of groups gs (key is
// gs's bytes), with its prefixes, computed once per template.
func (r *reachRun) asetStable(key string, gs []int32) asetPrefixes {
	l := r.lay
	l.mu.Lock()
	a, ok := l.cache[key]
	l.mu.Unlock()
	if ok {
		return a
	}
	var rs []netipx.IPRange
	for _, g := range gs {
		rs = append(rs, l.stable[g]...)
	}
	a = rangesPrefixes(rs)
	l.mu.Lock()
	l.cache[key] = a
	l.mu.Unlock()
	return a
}

// rangesPrefixes sorts disjoint ranges, joins neighbours and returns them
// with their minimal prefixes.
func rangesPrefixes(rs []netipx.IPRange) asetPrefixes {
	slices.SortFunc(rs, func(a, b netipx.IPRange) int { return a.From().Compare(b.From()) })
	out := rs[:0]
	for _, x := range rs {
		if n := len(out); n > 0 && out[n-1].To().Next() == x.From() {
			out[n-1] = netipx.IPRangeFrom(out[n-1].From(), x.To())
			continue
		}
		out = append(out, x)
	}
	out = slices.Clip(out)
	total := 0
	for _, x := range out {
		total += countRangePrefixes(x)
	}
	ps := make([]netip.Prefix, 0, total)
	for _, x := range out {
		ps = appendRangePrefixes(ps, x)
	}
	return asetPrefixes{out, ps}
}

// rowFor returns the row of member address class x in member m's map:
// the walk from h (classRow), but where it is m's own flows to itself in
// one map and not in the other (see altRow).
func (r *reachRun) rowFor(x *altRow, m int32) int32 {
	if (x.owner == m) != (x.owner == r.h) {
		return x.row
	}
	return r.classRow[x.class]
}

// mapFor builds member h's map from the template (Reach: h is r.h): the
// classes merge the rows, an outcome's (protocol, port run) entries joining
// the address sets of the rows that hold them, then entries with the same
// outcome and address set joining along ports, then along protocols.
// Classes with one address set share its prefixes, and so do the maps of
// the members whose member addresses do not change it.
func (r *reachRun) mapFor(h int32, part *mapPart) *EgressMap {
	e, l := r.e, r.lay
	m := &EgressMap{Host: r.host, e: e, Boundaries: len(r.addrs), Walks: r.walks, Kind: r.kind}
	switch r.kind {
	case SourceWebApp:
		st := &e.apps[r.si]
		m.Source, m.SourceID, m.SourceAddr = st.v.Name(), string(st.v.ID()), st.addr
	case SourceContainerGroup:
		st := &e.injs[r.si]
		m.Source, m.SourceID, m.SourceAddr = st.v.Name(), string(st.v.ID()), st.addr
	default:
		st := &e.nics[h]
		m.Source, m.SourceID, m.SourceAddr = st.v.Name(), string(st.v.ID()), st.addr
	}
	// The member addresses' rows: their groups, and the ranges they add.
	m.Atomic = l.atomic
	extra := map[int32][]netipx.IPRange{}
	var extraGroups []int32
	for i := range r.alt {
		x := &r.alt[i]
		ref := r.rowFor(x, h)
		m.Atomic += int(r.refs[ref].atomic)
		g := l.groupOfRef[ref]
		if _, ok := extra[g]; !ok {
			extraGroups = append(extraGroups, g)
		}
		extra[g] = append(extra[g], r.rangeOf(int(x.class)))
	}
	extraOf := make([][]int32, len(l.ekeys)) // entry -> the extra groups that hold it
	slices.Sort(extraGroups)
	for _, g := range extraGroups {
		for _, id := range l.gEntries[g] {
			extraOf[id] = append(extraOf[id], g)
		}
	}
	// The address sets: the distinct lists of groups.
	asetOf := map[string]int32{}
	var asets []asetPrefixes
	var kb []byte
	var gs []int32
	type entry struct {
		k    rowEntry
		aset int32
	}
	keep := r.keepOutcomes(h, part)
	entries := make([]entry, 0, len(l.ekeys))
	for id, k := range l.ekeys {
		if keep != nil && !keep[k.id] {
			continue // an outcome the part leaves out: all its classes go
		}
		xs := extraOf[id]
		if len(l.entryStable[id]) == 0 && len(xs) == 0 {
			continue // in no row of this map
		}
		gs = append(gs[:0], l.entryStable[id]...)
		own := false // some group adds member ranges here
		for _, g := range xs {
			own = true
			if _, found := slices.BinarySearch(gs, g); !found {
				gs = append(gs, g)
			}
		}
		slices.Sort(gs)
		kb = kb[:0]
		for _, g := range gs {
			kb = binary.LittleEndian.AppendUint32(kb, uint32(g))
		}
		a, ok := asetOf[string(kb)]
		if !ok {
			a = int32(len(asets))
			asetOf[string(kb)] = a
			var ap asetPrefixes
			if !own {
				ap = r.asetStable(string(kb), gs)
			} else {
				var rs []netipx.IPRange
				for _, g := range gs {
					rs = append(rs, l.stable[g]...)
					rs = append(rs, extra[g]...)
				}
				ap = rangesPrefixes(rs)
			}
			asets = append(asets, ap)
		}
		entries = append(entries, entry{k, a})
	}
	// Along ports: (proto, outcome, address set) -> port runs.
	type portKey struct {
		proto uint8
		id    int32
		aset  int32
	}
	byPorts := make(map[portKey]int32, len(entries))
	pkeys := make([]portKey, 0, len(entries))
	pports := make([][]PortRange, 0, len(entries))
	for _, x := range entries {
		k := x.k
		pk := portKey{k.proto, k.id, x.aset}
		pi, ok := byPorts[pk]
		if !ok {
			pi = int32(len(pkeys))
			byPorts[pk] = pi
			pkeys = append(pkeys, pk)
			pports = append(pports, nil)
		}
		if reachProtos[k.proto].HasPorts() {
			pports[pi] = append(pports[pi], PortRange{k.lo, k.hi})
		}
	}
	// Along protocols: (outcome, address set, ports) -> protocols.
	type protoKey struct {
		id    int32
		aset  int32
		ports string
	}
	type protoGroup struct {
		id     int32
		protos []int
		aset   int32
		ports  []PortRange
	}
	byProtos := make(map[protoKey]int32, len(pkeys))
	groups := make([]protoGroup, 0, len(pkeys))
	for pi, k := range pkeys {
		ports := pports[pi]
		slices.SortFunc(ports, func(a, b PortRange) int { return cmp.Compare(a.Lo, b.Lo) })
		ports = mergePorts(ports)
		qk := protoKey{id: k.id, aset: k.aset, ports: "-"}
		if reachProtos[k.proto].HasPorts() {
			kb = kb[:0]
			for _, x := range ports {
				kb = binary.LittleEndian.AppendUint16(kb, x.Lo)
				kb = binary.LittleEndian.AppendUint16(kb, x.Hi)
			}
			qk.ports = string(kb)
		}
		qi, ok := byProtos[qk]
		if !ok {
			qi = int32(len(groups))
			byProtos[qk] = qi
			groups = append(groups, protoGroup{id: k.id, aset: k.aset, ports: ports})
		}
		groups[qi].protos = append(groups[qi].protos, int(k.proto))
	}
	out := make([]ReachClass, 0, len(groups))
	for _, q := range groups {
		ap := asets[q.aset]
		c := ReachClass{Decision: r.decision(q.id, h), Prefixes: ap.prefixes}
		slices.Sort(q.protos)
		for _, p := range q.protos {
			if p == reachOther {
				c.OtherProtocols = true
			} else {
				c.Protocols = append(c.Protocols, reachProtos[p])
			}
		}
		slices.Sort(c.Protocols)
		if len(q.ports) > 0 {
			c.Ports = q.ports
		}
		// The witness: the first address of the class, which starts an
		// atomic class, with the first protocol and port run's first port,
		// walked there (or by the protocol it shares outcomes with).
		c.Witness = Flow{From: m.SourceID, To: ap.ranges[0].From(), Protocol: reachProtos[q.protos[0]], Host: r.host}
		if c.Ports != nil {
			c.Witness.Port = c.Ports[0].Lo
		}
		r.typicalWitness(&c, h)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b ReachClass) int {
		return cmp.Or(a.Prefixes[0].Addr().Compare(b.Prefixes[0].Addr()), cmp.Compare(firstProto(&a), firstProto(&b)),
			cmp.Compare(firstPort(&a), firstPort(&b)))
	})
	m.Classes = out
	return m
}

// mapPart asks mapFor for part of a map: the classes of the outcomes keep
// accepts (given the member's Decision), and of every outcome of the flows
// to the addresses at; nil asks for the whole map. Classes are cut by
// outcome (an outcome's entries make its classes, and no class holds two
// outcomes), so each class of the part is the whole map's, and Lookup of a
// flow to an address of at finds the whole map's class. The audit reads
// only those (auditMaps).
type mapPart struct {
	keep func(Decision) bool
	at   []netip.Addr
}

// keepOutcomes returns, by outcome id, whether member h's part holds it,
// or nil for the whole map.
func (r *reachRun) keepOutcomes(h int32, part *mapPart) []bool {
	if part == nil {
		return nil
	}
	keep := make([]bool, len(r.decs))
	for id := range r.decs {
		keep[id] = part.keep(r.decision(int32(id), h))
	}
	for _, a := range part.at {
		a = a.Unmap()
		i, found := slices.BinarySearchFunc(r.addrs, a, netip.Addr.Compare)
		if !found {
			i--
		}
		if i < 0 || !a.IsValid() {
			continue
		}
		ref := r.classRow[i]
		if j, ok := slices.BinarySearchFunc(r.alt, int32(i), func(x altRow, c int32) int { return cmp.Compare(x.class, c) }); ok {
			ref = r.rowFor(&r.alt[j], h)
		}
		if ref < 0 {
			continue
		}
		x := r.refs[ref]
		for _, e := range r.arena[x.off : x.off+x.n] {
			keep[e.id] = true
		}
	}
	return keep
}

// witnessPorts are the ports a witness prefers, in order: the services
// people ask about first.
var witnessPorts = []uint16{443, 80, 53, 123, 22, 3389, 445, 25}

// typicalWitness replaces the class's witness (its first address, port and
// protocol, walked when the map was built) by a flow people recognise when
// the class has one: an address outside 0.0.0.0/8 that is not the first of
// its prefix, a common port. Every member of a class has its outcome; the
// replacement is walked again to hold it to that, and dropped if it
// differs (never, by the boundary argument above).
func (r *reachRun) typicalWitness(c *ReachClass, member int32) {
	w := c.Witness
	zero := netip.MustParsePrefix("0.0.0.0/8")
	p := c.Prefixes[0]
	for _, q := range c.Prefixes {
		if !zero.Overlaps(q) {
			p = q
			break
		}
	}
	w.To = p.Addr()
	if p.Bits() < p.Addr().BitLen()-1 {
		w.To = w.To.Next()
	}
	if c.Ports != nil {
		for _, port := range witnessPorts {
			if slices.ContainsFunc(c.Ports, func(x PortRange) bool { return x.Lo <= port && port <= x.Hi }) {
				w.Port = port
				break
			}
		}
	}
	if w == c.Witness {
		return
	}
	ww := walker{e: r.e, dst: w.To, proto: w.Protocol, sport: EphemeralPort, dport: w.Port, host: r.host}
	if r.run(&ww, member) == c.Decision {
		c.Witness = w
	}
}

func firstProto(c *ReachClass) ipproto.Proto {
	if len(c.Protocols) > 0 {
		return c.Protocols[0]
	}
	return reachProtos[reachOther]
}

func firstPort(c *ReachClass) uint16 {
	if len(c.Ports) > 0 {
		return c.Ports[0].Lo
	}
	return 0
}

// countRangePrefixes returns how many prefixes appendRangePrefixes appends
// for x.
func countRangePrefixes(x netipx.IPRange) int {
	if !x.From().Is4() {
		return len(x.Prefixes())
	}
	n := 0
	lo, hi := uint64(v4num(x.From())), uint64(v4num(x.To()))
	for lo <= hi {
		size := uint64(1) << 32
		if lo != 0 {
			size = lo & -lo
		}
		for size > hi-lo+1 {
			size >>= 1
		}
		n++
		lo += size
	}
	return n
}

// appendRangePrefixes appends the minimal prefixes of x to dst, as
// netipx.IPRange.AppendPrefixes does, with a fast path for IPv4.
func appendRangePrefixes(dst []netip.Prefix, x netipx.IPRange) []netip.Prefix {
	if !x.From().Is4() {
		return x.AppendPrefixes(dst)
	}
	lo, hi := uint64(v4num(x.From())), uint64(v4num(x.To()))
	for lo <= hi {
		// The largest block aligned at lo that ends within hi.
		size := uint64(1) << 32
		if lo != 0 {
			size = lo & -lo
		}
		for size > hi-lo+1 {
			size >>= 1
		}
		dst = append(dst, netip.PrefixFrom(v4addr(uint32(lo)), 32-bits.TrailingZeros64(size)))
		lo += size
	}
	return dst
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

// security records a NIC's security verdict.
func (rec *walkRecord) security(h int32, dir nsg.Direction, v nsg.Verdict) {
	rec.verdict(recSecurity, h, dir, v)
}

// verdict records a security verdict of a NIC (kind recSecurity) or a
// container group (recInjSecurity).
func (rec *walkRecord) verdict(kind uint64, h int32, dir nsg.Direction, v nsg.Verdict) {
	rec.ev = append(rec.ev, kind|uint64(uint32(h))<<8|uint64(dir),
		uint64(v.Access)<<56|uint64(v.Reason)<<48|uint64(uint16(v.Rules.Admin))<<32|uint64(uint16(v.Rules.NIC))<<16|uint64(uint16(v.Rules.Subnet)))
}

// route records a route selection: by the configured item of its one route
// (bit 55 set; the prefixes of a service-tag route are one item, and one
// action), or, for equal-cost routes, by the selection.
func (rec *walkRecord) route(ss *subnetState, m route.Match) {
	k := routeKey(m)
	rec.ev = append(rec.ev, uint64(recRoute)|uint64(uint32(ss.s.Index())&(1<<31-1))<<24|uint64(k>>31)<<55|uint64(k&(1<<24-1)))
}

// routeKey identifies what a walk does after selecting m: the configured
// item of its one route (bit 31 set; the prefixes of a service-tag route
// are one item, with one action: compiler.routeActions derives it from
// the route), or, for equal-cost routes, the selection. 24 bits of each.
func routeKey(m route.Match) uint32 {
	if m.NumRoutes() == 1 {
		return 1<<31 | uint32(m.Route(0).Item())&(1<<24-1)
	}
	return uint32(m.Index()) & (1<<24 - 1)
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
