package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"sync/atomic"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
)

// Reason is why a flow ended as it did: a small code, turned into text by
// [Reason.String] only when asked.
type Reason uint8

// Reasons.
const (
	ReasonNone                 Reason = iota
	ReasonDelivered                   // delivered to the destination (a NIC, a container group)
	ReasonPrivateEndpoint             // delivered to a private endpoint
	ReasonServiceEndpoint             // reaches the service over its service endpoint
	ReasonGateway                     // leaves to on-premises through the gateway
	ReasonInternet                    // leaves to the internet
	ReasonPlatform                    // an Azure platform address, served by the host
	ReasonDeniedOut                   // an outbound security rule denies it
	ReasonDeniedIn                    // an inbound security rule denies it
	ReasonRouteNone                   // a route with next hop None drops it
	ReasonNoSuchAddress               // no NIC, firewall or load balancer has the address
	ReasonNoForwarding                // the appliance NIC has IP forwarding disabled
	ReasonForwardedPeering            // the peering does not allow forwarded traffic
	ReasonLoop                        // the route leads back to an appliance already crossed
	ReasonHopLimit                    // too many appliances
	ReasonNoEgress                    // routed to the internet with no way out
	ReasonICMPNotSupported            // the egress method does not carry ICMP
	ReasonNoRoute                     // no route for the destination (IPv6 in an IPv4-only network)
	ReasonNoSourceAddress             // the NIC has no address of the destination's family
	ReasonInternalLB                  // an internal load balancer frontend receives it (next hop or destination): the backend is not modelled
	ReasonFirewallDenied              // the Azure Firewall's policy denies it
	ReasonNoGateway                   // a user route to VirtualNetworkGateway, and no VPN gateway serves the VNet
	ReasonSMTPBlocked                 // Azure blocks TCP port 25 to the internet for the subscription type
	ReasonFirewallNoSNAT              // the Azure Firewall does not SNAT it, so it cannot send it to the internet
	ReasonProtocolNotSupported        // the egress method does not carry the protocol (a NAT gateway: TCP and UDP; a load-balancer rule: its own)
	ReasonExternal                    // the destination or next hop is in a VNet the input does not contain
	ReasonInvalidFlow                 // Classify was given no protocol, no destination port for TCP or UDP, or an invalid address or NIC
	ReasonUnrestricted                // an AI services account without restrictOutboundNetworkAccess: it may call anything
	ReasonAllowList                   // an entry of the account's allowedFqdnList allows the destination
	ReasonNotInAllowList              // the account's outbound access is restricted and no entry allows the destination
	ReasonAllowListUndecided          // only an entry whose meaning is undocumented (a wildcard) could allow it
	ReasonNotModelled                 // the source's network path is one egress does not model (gateway-required VNet integration)
	ReasonDelegatedSubnet             // the destination is in a delegated subnet, and no resource of the input is known to have it
	ReasonPerimeterAllowed            // an unrestricted PaaS source's enforced network security perimeter allows the flow (a rule, or intra-perimeter)
	ReasonPerimeterDenied             // a network security perimeter denies the PaaS source's outbound flow
	ReasonPerimeterUndecided          // what the source's network security perimeter does is unknown
	ReasonNextHopUnknown              // the route's next hop IP address is known only after apply (a Terraform plan)
	numReasons
)

var reasonText = [numReasons]string{
	ReasonNone:                 "",
	ReasonDelivered:            "delivered to the destination",
	ReasonPrivateEndpoint:      "delivered to a private endpoint",
	ReasonServiceEndpoint:      "reaches the service over its service endpoint, with the private source IP",
	ReasonGateway:              "leaves through the virtual network gateway to on-premises; the public egress IP is decided there",
	ReasonInternet:             "leaves to the internet",
	ReasonPlatform:             "Azure platform address, served by the host",
	ReasonDeniedOut:            "denied by an outbound security rule",
	ReasonDeniedIn:             "denied by an inbound security rule",
	ReasonRouteNone:            "dropped by a route with next hop None",
	ReasonNoSuchAddress:        "no NIC, firewall or load balancer reachable from the VNet has the address",
	ReasonNoForwarding:         "the appliance's NIC has IP forwarding disabled: Azure drops traffic not addressed to it",
	ReasonForwardedPeering:     "the destination VNet's peering does not allow forwarded traffic",
	ReasonLoop:                 "routing loop: the route leads back to an appliance already crossed",
	ReasonHopLimit:             "too many appliance hops",
	ReasonNoEgress:             "routed to the internet but the source has no way out",
	ReasonICMPNotSupported:     "the egress method does not carry ICMP",
	ReasonNoRoute:              "no route for the destination",
	ReasonNoSourceAddress:      "the NIC has no address of the destination's IP family",
	ReasonInternalLB:           "an internal load balancer frontend receives it (as next hop or as destination); which backend it picks is not modelled",
	ReasonFirewallDenied:       "denied by the Azure Firewall",
	ReasonNoGateway:            "a user route sends it to the virtual network gateway, but no VPN gateway serves the VNet (own or over gateway transit); Azure's behaviour is undocumented: treated as dropped",
	ReasonSMTPBlocked:          "Azure blocks outbound TCP port 25 to the internet for this subscription type (Options.SMTP)",
	ReasonFirewallNoSNAT:       "the Azure Firewall does not SNAT it (its SNAT private ranges include the destination) and cannot route traffic with the original source directly to the internet",
	ReasonProtocolNotSupported: "the egress method does not carry the flow's protocol (a NAT gateway carries TCP and UDP, and ICMP on StandardV2; a load-balancer rule carries its own protocol)",
	ReasonExternal:             "the address is in a peered virtual network that is not in the input: what holds it, and what it does with the flow, is unknown",
	ReasonInvalidFlow:          "the flow is invalid: it needs a protocol, a destination port for TCP and UDP, a valid destination address and a NIC of the network",
	ReasonUnrestricted:         "restrictOutboundNetworkAccess is off: the account may call any destination",
	ReasonAllowList:            "the account's allowedFqdnList allows the destination",
	ReasonNotInAllowList:       "outbound network access is restricted: the destination is not in the allowed FQDN list for this resource",
	ReasonAllowListUndecided:   "only an allowedFqdnList entry whose meaning Azure does not document could allow the destination",
	ReasonNotModelled:          "the source's network path is not modelled",
	ReasonDelegatedSubnet:      "the address is in a delegated subnet, and no resource of the input is known to have it (the service's resources, or a flexible server whose address the input lacks): what has it is unknown",
	ReasonPerimeterAllowed:     "allowed by the network security perimeter (an outbound access rule, or a destination inside the perimeter)",
	ReasonPerimeterDenied:      "denied by the network security perimeter: no outbound access rule allows the destination",
	ReasonPerimeterUndecided:   "what the network security perimeter does with the flow is unknown",
	ReasonNextHopUnknown:       "the route's next hop IP address is known only after apply (a Terraform plan): where the flow goes is unknown",
}

var reasonNames = [numReasons]string{"None", "Delivered", "PrivateEndpoint", "ServiceEndpoint", "Gateway", "Internet",
	"Platform", "DeniedOutbound", "DeniedInbound", "RouteNone", "NoSuchAddress", "NoIPForwarding", "ForwardedTrafficNotAllowed",
	"Loop", "HopLimit", "NoEgress", "ICMPNotSupported", "NoRoute", "NoSourceAddress", "InternalLoadBalancer", "FirewallDenied", "NoGateway",
	"SMTPBlocked", "FirewallNoSNAT", "ProtocolNotSupported", "External", "InvalidFlow", "Unrestricted", "AllowList", "NotInAllowList",
	"AllowListUndecided", "NotModelled", "DelegatedSubnet", "PerimeterAllowed", "PerimeterDenied", "PerimeterUndecided", "NextHopUnknown"}

// MarshalText implements [encoding.TextMarshaler] with a stable code name,
// e.g. "NoIPForwarding".
func (r Reason) MarshalText() ([]byte, error) {
	if r < numReasons {
		return []byte(reasonNames[r]), nil
	}
	return nil, fmt.Errorf("unknown reason %d", uint8(r))
}

// UnmarshalText implements [encoding.TextUnmarshaler]: it reads the code
// names MarshalText writes, in any letter case, so that results read back.
func (r *Reason) UnmarshalText(b []byte) error {
	i, err := parseName(reasonNames[:], b, "reason")
	if err == nil {
		*r = Reason(i)
	}
	return err
}

// String explains the reason.
func (r Reason) String() string {
	if r < numReasons {
		return reasonText[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Decision is the compact answer of [Engine.Classify]: a small comparable
// value, free of pointers to allocate. Turn it into text with
// [Engine.Explain].
//
// Its layout is chosen for the hot path: at most four fields of at most
// four scalars each, so that the compiler keeps a Decision in registers
// rather than in memory (cmd/compile's limit for SSA values), and a call
// returns it in registers.
type Decision struct {
	Outcome
	// Assumed marks a decision that relied on an assumption: that an NVA or
	// an Azure Firewall forwards the flow, or that the subscription lets
	// TCP port 25 out (Options.NVA, Options.Firewall, Options.SMTP). A flow
	// that would be Allowed is then Unknown.
	Assumed bool
	egress  int32   // index of the egress set, -1 for none
	by      decider // the rule that denied the flow, if any
}

// Outcome is what became of a flow, the public part of a [Decision].
type Outcome struct {
	Verdict Verdict
	Method  Method // how it leaves, or MethodNone
	Reason  Reason
	Hops    uint8 // appliances crossed
}

// decider packs the rule that denied a flow into one word (see Decision's
// layout): the NIC handle whose
// security rule decided (or the firewall's index) in bits 0–31, the rule's
// index plus one in bits 32–59 (0: no rule), then the NSG stage (2 bits) and
// the direction (1 bit, set for inbound), or, in the top bit, a firewall
// rule. The zero decider names no rule.
type decider uint64

const (
	deciderRuleShift  = 32
	deciderRuleBits   = 28
	deciderStageShift = deciderRuleShift + deciderRuleBits
	deciderInbound    = 1 << (deciderStageShift + 2)
	deciderFirewall   = 1 << 63
)

// ruleDecider names rule index rule of stage st, direction dir, of NIC h.
func ruleDecider(h int32, st nsg.Stage, dir nsg.Direction, rule int16) decider {
	d := decider(uint32(h)) | decider(uint32(rule)+1)<<deciderRuleShift | decider(st&3)<<deciderStageShift
	if dir == nsg.Inbound {
		d |= deciderInbound
	}
	return d
}

// maxFirewallRules bounds a firewall policy's rules so that a rule index fits
// a decider; Compile rejects a larger policy (real ones are orders of
// magnitude smaller).
const maxFirewallRules = 1<<deciderRuleBits - 1

// firewallDecider names rule index rule (-1: none matched) of firewall fw.
func firewallDecider(fw, rule int32) decider {
	return deciderFirewall | decider(uint32(fw)) | decider(uint32(rule)+1)<<deciderRuleShift
}

func (d decider) at() int32        { return int32(uint32(d)) }
func (d decider) rule() int32      { return int32(d>>deciderRuleShift&(1<<deciderRuleBits-1)) - 1 }
func (d decider) stage() nsg.Stage { return nsg.Stage(d >> deciderStageShift & 3) }
func (d decider) firewall() bool   { return d&deciderFirewall != 0 }
func (d decider) dir() nsg.Direction {
	if d&deciderInbound != 0 {
		return nsg.Inbound
	}
	return nsg.Outbound
}

// maxTrack bounds the appliances remembered for loop detection (the hop limit
// is enforced separately: a longer loop ends there).
const maxTrack = 8

// walker walks one flow. With tr nil it is the hot path: no allocation.
// With tr set it records every hop; with tr.slow it also replaces every
// compiled index (next-hop owners, egress choices) by a scan of the network: the
// reference twin that the differential tests hold equal to the hot path.
type walker struct {
	e       *Engine
	tr      *tracer
	dst     netip.Addr
	proto   ipproto.Proto
	sport   uint16
	dport   uint16
	host    string          // SNI / Host name for firewall application rules, or ""
	visited [maxTrack]int32 // appliance keys: NIC handle, or ^firewall index
	nv      int
	assumed bool // an answer on the way relied on what is unknown (see security)
	// rec, when set (by Engine.Reach), records every decision the walk
	// makes (routes chosen, appliances met, security verdicts, firewall
	// verdicts), so that two flows with equal records and equal Decisions
	// have one Trace but for their destination and the prefix of the routes
	// chosen. Nil on the hot path.
	rec *walkRecord
}

// walkRecord is what walker.rec collects: events packed in words, in walk
// order.
type walkRecord struct {
	ev   []uint64
	smtp bool // Engine.smtp was consulted
}

// Event kinds, in the top byte of a record word.
const (
	recRoute       = 1 << 56 // the subnet index (bits 24–54) and the route's item (bit 55 set) or selection (bits 0–23)
	recSeen        = 2 << 56 // an appliance key (bits 0–31)
	recSecurity    = 3 << 56 // a NIC handle (bits 8–39) and direction (bits 0–7), then the nsg.Verdict packed in the next word
	recFirewall    = 4 << 56 // a firewall index (bits 0–31), then the firewall.Verdict packed in the next word
	recSMTP        = 5 << 56 // what Engine.smtp answered (bits 0–7): an assumption Trace states
	recSpace       = 6 << 56 // a VNet (bits 24–55) and the prefix (bits 0–23) of an address space the flow ended in: a peer's outside the input, a delegated subnet's
	recTarget      = 7 << 56 // the kind (bits 32–39) and index (bits 0–31) of the target an address resolved to: a destination or a next hop
	recInjSecurity = 8 << 56 // a container group (bits 8–39) and direction (bits 0–7), then the nsg.Verdict packed in the next word
)

// target records, for the egress map, the target an address resolved to:
// the Trace names it.
func (w *walker) target(t target) {
	if w.rec != nil {
		w.rec.ev = append(w.rec.ev, recTarget|uint64(t.kind)<<32|uint64(uint32(t.idx)))
	}
}

// space records, for the egress map, which external or delegated address
// space of VNet vnet (its prefix at index i) the flow ended in: the Trace
// names it, so two classes in different spaces must not merge.
func (w *walker) space(vnet int32, i int) {
	if w.rec != nil {
		w.rec.ev = append(w.rec.ev, recSpace|uint64(uint32(vnet))<<24|uint64(i&0xffffff))
	}
}

// pathForTest, when set (by the tests, export_path_test.go), is told the
// key of every appliance the walker reaches, in order: the path the hot path
// took, for the differential against the walk twin. It costs one load per
// appliance when unset.
var pathForTest atomic.Pointer[func(key int32)]

func (w *walker) seen(key int32) bool {
	if f := pathForTest.Load(); f != nil {
		(*f)(key)
	}
	if w.rec != nil {
		w.rec.ev = append(w.rec.ev, recSeen|uint64(uint32(key)))
	}
	for _, k := range w.visited[:w.nv] {
		if k == key {
			return true
		}
	}
	if w.nv < maxTrack {
		w.visited[w.nv] = key
		w.nv++
	}
	return false
}

// security evaluates a NIC's rules for one direction and records it. When
// some of its rules are unknown (an NSG not in the input, or one Azure would
// reject) and the known ones allow, the flow is assumed allowed there —
// unless an admin rule decided it (AlwaysAllow): the NSGs are then not
// evaluated, so what they hold does not matter
// (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins#always-allow).
func (w *walker) security(h int32, dir nsg.Direction, src, dst netip.Addr) (nsg.Verdict, bool) {
	st := &w.e.nics[h]
	var v nsg.Verdict
	if dir == nsg.Outbound && src == st.addr {
		// The NIC's primary address: its flattened outbound rules answer,
		// with no search of its addresses (as in firstHop).
		v = st.out.Verdict(dst, w.proto, w.sport, w.dport)
	} else {
		v = st.cls.Verdict(nsg.Flow{Direction: dir, Proto: w.proto, Src: src, Dst: dst, SrcPort: w.sport, DstPort: w.dport})
	}
	if w.tr != nil {
		w.tr.security(st.cls, dir, v)
	}
	if w.rec != nil {
		w.rec.security(h, dir, v)
	}
	if st.unknown >= 0 && v.Allowed() && v.Reason != nsg.ReasonAdmin {
		w.assumed = true
		if w.tr != nil {
			w.tr.unknownNote(st.unknown)
			w.tr.unknownSteps(&st.unknownNSG, dir)
		}
	}
	if ru := &w.e.cold[h].rulesUnknown; ru[0] != nil || ru[1] != nil {
		// A rule with values known only after apply, widened to "*",
		// matched: the real rule may not have.
		for k, stage := range [2]nsg.Stage{nsg.StageNIC, nsg.StageSubnet} {
			if note := ru[k].unknownNote(dir, v.Rules.At(stage)); note > 0 {
				w.assumed = true
				if w.tr != nil {
					w.tr.unknownNote(note - 1)
				}
			}
		}
	}
	return v, v.Allowed()
}

func denied(d *Decision, h int32, dir nsg.Direction, v nsg.Verdict, r Reason) Decision {
	d.Verdict, d.Reason = Denied, r
	if st, ok := v.Decider(dir); ok {
		d.by = ruleDecider(h, st, dir, v.Rules.At(st))
	}
	return *d
}

// firstHop decides, without the walker, the IPv4 flows that end at the
// source's first route — to the internet, dropped by a None route, to a
// service endpoint or to the gateway, or routed to a virtual appliance
// address that nothing holds: the common egress case, and the one the hot
// path is measured on. It applies exactly the walker's rules for them (the
// differential tests hold it to the reference twin); ok is false for every
// other flow, which the walker then handles from the start.
//
// It reads only the NIC's own state (nicState's front: the route table,
// the route actions and the flattened outbound rules are copied there),
// so that a flow costs the NIC's lines, the route lookup and the NSG
// lookups, with no dependent load between them.
func (e *Engine) firstHop(h int32, dst netip.Addr, proto ipproto.Proto, port uint16) (Decision, bool) {
	st := &e.nics[h]
	if !dst.Is4() || !st.addr.IsValid() || isPlatform(dst) || st.unsure || port == 0 && proto.HasPorts() || proto == ipproto.Unknown {
		return Decision{}, false // an invalid flow: Classify answers it after the fast path
	}
	m, ok := st.table.Lookup(dst)
	if !ok {
		return Decision{}, false
	}
	return e.decideFirst(h, st, st.actions[m.Index()], dst, proto, port)
}

// decideFirst is firstHop once the route is known: act is the action of
// the route selection the flow's destination chose in the NIC's subnet.
func (e *Engine) decideFirst(h int32, st *nicState, act action, dst netip.Addr, proto ipproto.Proto, port uint16) (Decision, bool) {
	if !firstHopAction(act) {
		return Decision{}, false
	}
	return e.decideFirstVerdict(h, st.egress4, act.typ, st.out.Verdict(dst, proto, EphemeralPort, port), proto, port), true
}

// firstHopAction reports whether the fast path decides a flow whose first
// route has action act: one that ends there, or at an appliance address
// that nothing holds. The others (an appliance to cross, a VNet outside
// the input, a gateway route without a gateway, a next hop known only
// after apply) are the walker's.
func firstHopAction(act action) bool {
	if act.noGateway || act.unknownHop > 0 {
		return false
	}
	switch act.typ {
	case route.Internet, route.None, route.VirtualNetworkServiceEndpoint, route.VirtualNetworkGateway:
		return true
	case route.VirtualAppliance, route.VirtualApplianceEcmp:
		return !act.ok && !act.external
	}
	return false
}

// decideFirstVerdict is the fast path's decision of a flow from NIC h
// (IPv4 egress set egress4) whose first route, of next-hop type typ, has a
// firstHopAction, once its outbound NSG verdict v is known.
func (e *Engine) decideFirstVerdict(h, egress4 int32, typ route.NextHopType, v nsg.Verdict, proto ipproto.Proto, port uint16) Decision {
	d := Decision{egress: -1}
	if !v.Allowed() {
		return denied(&d, h, nsg.Outbound, v, ReasonDeniedOut)
	}
	switch typ {
	case route.None:
		d.Verdict, d.Reason = Dropped, ReasonRouteNone
	case route.VirtualAppliance, route.VirtualApplianceEcmp:
		d.Verdict, d.Reason = Dropped, ReasonNoSuchAddress // as the walker's path: no NIC, firewall or load balancer holds the next hop
	case route.VirtualNetworkServiceEndpoint:
		d.Verdict, d.Method, d.Reason = Allowed, MethodServiceEndpoint, ReasonServiceEndpoint
	case route.VirtualNetworkGateway:
		d.Verdict, d.Method, d.Reason = Allowed, MethodGateway, ReasonGateway
	default: // Internet
		d.egress = egress4
		es := &e.egress[d.egress]
		switch {
		case es.method == MethodNone:
			d.Verdict, d.Reason = NoEgress, ReasonNoEgress
		case !es.carries(proto):
			d.Verdict, d.Reason = NoEgress, notCarried(proto)
		default:
			switch e.smtp(proto, port, es.method) {
			case SMTPBlocked:
				d.Verdict, d.Reason = NoEgress, ReasonSMTPBlocked
			case SMTPUnknown: // as the walker's finish does
				d.Verdict, d.Method, d.Reason, d.Assumed = Unknown, es.method, ReasonInternet, true
			default:
				d.Verdict, d.Method, d.Reason = Allowed, es.method, ReasonInternet
			}
		}
	}
	return d
}

// run walks the flow from NIC h. An answer reached after something the
// input does not contain (unknown rules or routes, see walker.assumed) is
// Unknown, whatever it would be: what is unknown could have decided
// otherwise.
func (w *walker) run(h int32) Decision {
	d := w.walk(h)
	if w.assumed {
		d.Assumed = true
		if d.Verdict != Unknown {
			d.Verdict = Unknown
		}
	}
	return d
}

// walk is run's walk.
func (w *walker) walk(h int32) Decision {
	e := w.e
	d := Decision{egress: -1}
	st := &e.nics[h]
	src := st.addr
	if w.dst.Is6() {
		src = st.addr6
	}
	if w.tr != nil {
		w.tr.source(st, src)
	}
	if !src.IsValid() {
		d.Verdict, d.Reason = Dropped, ReasonNoSourceAddress
		if st.addrUnknown >= 0 && !w.dst.Is6() {
			// The address exists but is not known yet: whatever the
			// answer is, it is not known.
			d.Verdict, d.Assumed = Unknown, true
			if w.tr != nil {
				w.tr.unknownNote(st.addrUnknown)
			}
		}
		return d
	}
	if v, ok := w.security(h, nsg.Outbound, src, w.dst); !ok {
		return denied(&d, h, nsg.Outbound, v, ReasonDeniedOut)
	}
	if isPlatform(w.dst) {
		// 168.63.129.16 and 169.254.169.254 are host-local: no routing
		// (https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16).
		d.Verdict, d.Method, d.Reason = Allowed, MethodPlatform, ReasonPlatform
		if w.tr != nil {
			w.tr.end(HopPlatform, "", w.dst, "")
		}
		return d
	}
	return w.path(d, h, src)
}

// path routes the flow on from its source, after the source's outbound
// security rules allowed it: NIC handle h, or, for h < 0, web app ^h in its
// integration subnet (Engine.TraceFrom). From there on, a flow from a web
// app is a flow from its subnet, as a NIC's is
// (https://learn.microsoft.com/azure/app-service/overview-vnet-integration#routes).
func (w *walker) path(d Decision, h int32, src netip.Addr) Decision {
	e := w.e
	cur, atFW := h, false // where the flow is: a NIC handle (or ^web app), or a firewall index
	forwarded := false
	fwSNAT := false // the last firewall crossed SNATed the flow
	for {
		var ss *subnetState
		var vnet int32
		switch {
		case atFW:
			ss = &e.subnets[e.firewalls[cur].subnet]
		case cur < 0:
			ss = &e.subnets[e.inSubnet(^cur).subnet]
		default:
			ss = &e.subnets[e.nics[cur].subnet]
		}
		vnet = ss.vnet
		m, ok := ss.table.Lookup(w.dst)
		if !ok {
			d.Verdict, d.Reason = Dropped, ReasonNoRoute
			return d
		}
		if w.rec != nil {
			w.rec.route(ss, m)
		}
		act := ss.actions[m.Index()]
		if w.tr != nil {
			w.tr.route(ss, m)
			if w.tr.slow {
				act = w.tr.slowAction(ss, m) // the reference twin resolves next hops by scanning the network
			}
		}
		if act.unknownHop > 0 {
			// The chosen route's next hop is known only after apply:
			// where the flow goes is unknown (the route's prefix, and so
			// which flows it takes, is known).
			w.assumed = true
			d.Verdict, d.Reason = Unknown, ReasonNextHopUnknown
			if w.tr != nil {
				w.tr.unknownNote(act.unknownHop - 1)
				w.tr.end(HopNowhere, "", netip.Addr{}, "the route's next hop IP address is known only after apply")
			}
			return d
		}
		if note := ss.unknownFor(act.typ); note >= 0 {
			w.assumed = true // routes the input does not have could decide otherwise
			if w.tr != nil {
				w.tr.unknownNote(note)
			}
		}
		switch act.typ {
		case route.None:
			d.Verdict, d.Reason = Dropped, ReasonRouteNone
			if w.tr != nil {
				w.tr.end(HopNowhere, "", netip.Addr{}, "dropped by the route")
			}
			return d
		case route.VirtualNetworkServiceEndpoint:
			d.Verdict, d.Method, d.Reason = Allowed, MethodServiceEndpoint, ReasonServiceEndpoint
			if w.tr != nil {
				w.tr.service(m, w.dst, src)
			}
			return w.finish(d)
		case route.VirtualNetworkGateway:
			if act.noGateway {
				if ss.remoteGateway < 0 {
					d.Verdict, d.Reason = Dropped, ReasonNoGateway
					if w.tr != nil {
						w.tr.end(HopNowhere, "", netip.Addr{}, "no VPN gateway")
					}
					return d
				}
				// The VNet uses a gateway outside the input
				// (useRemoteGateways), which may be a VPN gateway, whether
				// or not the route table propagates its routes
				// (virtual-networks-udr-overview#border-gateway-protocol):
				// Unknown, as if it were one.
				w.assumed = true
				if w.tr != nil {
					w.tr.unknownNote(ss.remoteGateway)
				}
			}
			d.Verdict, d.Method, d.Reason = Allowed, MethodGateway, ReasonGateway
			if w.tr != nil {
				w.tr.gateway(ss, m, src)
			}
			return w.finish(d)
		case route.Internet:
			if atFW && !fwSNAT {
				// https://learn.microsoft.com/azure/firewall/snat-private-range:
				// with the destination in its private ranges (0.0.0.0/0: never
				// SNAT) the firewall "can never route traffic directly to the
				// Internet"; a route elsewhere (forced tunnelling) still works.
				d.Verdict, d.Reason = NoEgress, ReasonFirewallNoSNAT
				if w.tr != nil {
					w.tr.end(HopNowhere, "", netip.Addr{}, "Azure Firewall "+e.firewalls[cur].name+" does not SNAT the flow, and its subnet routes it to the internet")
				}
				return w.finish(d)
			}
			var set int32
			if atFW {
				set = e.firewalls[cur].egress4
			} else if cur < 0 {
				set = e.inSubnet(^cur).egress4
				if w.dst.Is6() {
					set = e.inSubnet(^cur).egress6
				}
			} else if w.dst.Is6() {
				set = e.nics[cur].egress6
			} else {
				set = e.nics[cur].egress4
			}
			es := &e.egress[set]
			if w.tr != nil {
				es = w.tr.egressOf(set, cur, atFW, w.dst.Is6())
			}
			if es.method == MethodNone {
				d.Verdict, d.Reason, d.egress = NoEgress, ReasonNoEgress, set
				if w.tr != nil {
					w.tr.end(HopNowhere, "", netip.Addr{}, es.why)
				}
				return w.finish(d)
			}
			if es.unsure&protoBit(w.proto) != 0 {
				w.assumed = true // the egress depends on a resource not in the input (es.assume says which)
			}
			if !es.carries(w.proto) {
				d.Verdict, d.Reason, d.egress = NoEgress, notCarried(w.proto), set
				if w.tr != nil {
					w.tr.notCarried(es, w.proto)
				}
				return w.finish(d)
			}
			smtp := e.smtp(w.proto, w.dport, es.method)
			if w.rec != nil {
				w.rec.smtp = true // the outcome depends on the port here
				w.rec.ev = append(w.rec.ev, recSMTP|uint64(smtp))
			}
			switch smtp {
			case SMTPBlocked:
				d.Verdict, d.Reason, d.egress = NoEgress, ReasonSMTPBlocked, set
				if w.tr != nil {
					w.tr.end(HopNowhere, "", netip.Addr{}, ReasonSMTPBlocked.String())
				}
				return w.finish(d)
			case SMTPUnknown:
				d.Assumed = true
				if w.tr != nil {
					w.tr.smtpUnknown()
				}
			}
			d.Verdict, d.Method, d.Reason, d.egress = Allowed, es.method, ReasonInternet, set
			if w.tr != nil {
				w.tr.internet(w.dst, es)
			}
			return w.finish(d)
		case route.VnetLocal, route.VNetPeering, route.VNetGlobalPeering, route.ConnectedGroup, route.InterfaceEndpoint:
			t, ok := e.vnets[vnet].targets[w.dst]
			if w.tr != nil && w.tr.slow {
				t, ok = w.tr.slowTarget(vnet, w.dst)
			}
			if ok {
				w.target(t)
			}
			if !ok || t.kind != targetNIC {
				if ok && t.kind == targetInjected {
					return w.deliverInjected(d, t.idx, vnet, forwarded, src)
				}
				if ok && t.kind == targetFirewall {
					d.Verdict, d.Method, d.Reason = Allowed, MethodPrivate, ReasonDelivered
					if w.tr != nil {
						w.tr.end(HopDestination, e.firewalls[t.idx].name, w.dst, "the Azure Firewall's own address")
					}
					return w.finish(d)
				}
				if ok && t.kind == targetLBFrontend {
					// An internal load balancer's frontend receives the flow and
					// hands it to a backend of its pool
					// (https://learn.microsoft.com/azure/load-balancer/components#frontend-ip-configuration):
					// which one, and what its NSGs say, is not modelled.
					d.Verdict, d.Method, d.Reason = Unknown, MethodPrivate, ReasonInternalLB
					if w.tr != nil {
						w.tr.end(HopDestination, e.lbs[t.idx].Name, w.dst, "an internal load balancer's frontend; which backend receives the flow is not modelled")
					}
					return d
				}
				if name, i, ok := e.vnets[vnet].externalOf(w.dst); ok {
					w.space(vnet, i)
					d.Verdict, d.Method, d.Reason = Unknown, MethodPrivate, ReasonExternal
					if w.tr != nil {
						w.tr.end(HopDestination, name, w.dst, "in VNet "+name+", which is not in the input")
					}
					return d
				}
				if ds, i, ok := e.vnets[vnet].delegatedOf(w.dst); ok {
					w.space(vnet, 1<<23|i)
					// A delegated subnet's addresses belong to the service's
					// resources, which the input does not hold: what has the
					// address, and what it does with the flow, is unknown.
					d.Verdict, d.Method, d.Reason = Unknown, MethodPrivate, ReasonDelegatedSubnet
					if w.tr != nil {
						w.tr.delegated(ds, w.dst)
					}
					return d
				}
				d.Verdict, d.Reason = Dropped, ReasonNoSuchAddress
				if w.tr != nil {
					w.tr.end(HopNowhere, "", w.dst, "")
				}
				return d
			}
			dn := &e.nics[t.idx]
			if forwarded && dn.subnetVNet(e) != vnet && !w.allowsForwarded(dn.subnetVNet(e), vnet) {
				d.Verdict, d.Reason = Dropped, ReasonForwardedPeering
				return d
			}
			if w.tr != nil {
				w.tr.hop(HopDestination, dn, w.dst)
			}
			if v, ok := w.security(t.idx, nsg.Inbound, src, w.dst); !ok {
				return denied(&d, t.idx, nsg.Inbound, v, ReasonDeniedIn)
			}
			d.Verdict, d.Method, d.Reason = Allowed, MethodPrivate, ReasonDelivered
			if dn.isPE {
				d.Method, d.Reason = MethodPrivateEndpoint, ReasonPrivateEndpoint
			}
			return w.finish(d)
		case route.VirtualAppliance, route.VirtualApplianceEcmp:
			t, ok := act.target, act.ok
			if name, i, ext := e.vnets[vnet].externalOf(m.NextHop(0)); !ok && ext {
				w.space(vnet, i)
				d.Verdict, d.Reason = Unknown, ReasonExternal
				if w.tr != nil {
					w.tr.end(HopNowhere, name, m.NextHop(0), "the next hop "+m.NextHop(0).String()+" is in VNet "+name+", which is not in the input: whether a firewall, an NVA or nothing holds it is unknown")
				}
				return d
			}
			if !ok {
				d.Verdict, d.Reason = Dropped, ReasonNoSuchAddress
				if w.tr != nil {
					w.tr.end(HopNowhere, "", m.NextHop(0), "no NIC, firewall or load balancer in the VNet or its peers holds "+m.NextHop(0).String())
				}
				return d
			}
			w.target(t)
			d.Hops++
			if int(d.Hops) > e.opts.MaxHops {
				d.Verdict, d.Reason = Dropped, ReasonHopLimit
				return d
			}
			switch t.kind {
			case targetInjected:
				return w.applianceInjected(d, t.idx, src)
			case targetLBFrontend:
				d.Verdict, d.Reason = Unknown, ReasonInternalLB
				return d
			case targetFirewall:
				fs := &e.firewalls[t.idx]
				if w.seen(^t.idx) {
					d.Verdict, d.Reason = Dropped, ReasonLoop
					if w.tr != nil {
						w.tr.again(fs) // as an NVA met again, the hop is listed: Trace's appliances match Decision.Hops
					}
					return d
				}
				snat := !isPrivate(w.dst)         // IANAPrivateRanges, the default (snat-private-range)
				if fs.eng != nil && w.dst.Is4() { // Azure Firewall is IPv4-only; its policy denies IPv6 when evaluated
					snat = fs.eng.SNATs(w.dst) // the configured ranges, as a network rule's allow
				}
				var fv firewall.Verdict
				evaluated := e.opts.Firewall == FirewallEvaluate && fs.eng != nil
				if evaluated {
					fv = w.evalFirewall(fs.eng, src)
					if w.rec != nil {
						w.rec.firewall(t.idx, fv)
					}
					if fv.Allowed() || fv.Flags&firewall.FlagUnknown == 0 {
						snat = fv.SNAT
					} // else undecidable: the path is shown as if a network rule allowed it (the configured ranges)
				} else if e.opts.Firewall != FirewallAllow {
					d.Assumed = true
				}
				if w.tr != nil {
					w.tr.firewall(fs, evaluated, fv)
				}
				if evaluated && fv.Flags&firewall.FlagUnknown != 0 {
					// The policy cannot decide offline: had it denied, the flow
					// would end here, so whatever the path shown (as if it
					// allowed) gives, the verdict is Unknown.
					w.assumed = true
				} else if evaluated && !fv.Allowed() {
					d.Verdict, d.Reason, d.by = Denied, ReasonFirewallDenied, firewallDecider(t.idx, fv.Rule)
					return d
				}
				if snat {
					src = fs.addr
				}
				if w.tr != nil {
					w.tr.snat(snat, fs.addr)
				}
				cur, atFW, forwarded, fwSNAT = t.idx, true, true, snat
			case targetNIC:
				nva := &e.nics[t.idx]
				if w.tr != nil {
					w.tr.hop(HopAppliance, nva, nva.addr)
				}
				if w.seen(t.idx) {
					d.Verdict, d.Reason = Dropped, ReasonLoop
					return d
				}
				if v, ok := w.security(t.idx, nsg.Inbound, src, w.dst); !ok {
					return denied(&d, t.idx, nsg.Inbound, v, ReasonDeniedIn)
				}
				if !nva.forward {
					d.Verdict, d.Reason = Dropped, ReasonNoForwarding
					return d
				}
				if e.opts.NVA == NVAUnknown {
					d.Assumed = true
				}
				if !isPrivate(w.dst) && nva.addr.IsValid() && nva.addr.Is4() == w.dst.Is4() {
					src = nva.addr // assumed: the NVA SNATs internet-bound traffic to itself
				}
				if v, ok := w.security(t.idx, nsg.Outbound, src, w.dst); !ok {
					return denied(&d, t.idx, nsg.Outbound, v, ReasonDeniedOut)
				}
				cur, atFW, forwarded = t.idx, false, true
			}
		default:
			d.Verdict, d.Reason = Dropped, ReasonNoRoute
			return d
		}
	}
}

// evalFirewall asks a firewall's policy about the flow. It is kept out of
// run so that the firewall.Flow temporary does not grow run's frame.
//
//go:noinline
func (w *walker) evalFirewall(eng *firewall.Engine, src netip.Addr) firewall.Verdict {
	return eng.Evaluate(w.firewallFlow(src))
}

// firewallFlow is the flow as the firewall's rules see it. A flow with a host
// name on TCP carries an application protocol: HTTP on port 80, MSSQL on
// 1433, HTTPS otherwise (assumed: the port does not say which; the host name
// is the SNI or Host header).
func (w *walker) firewallFlow(src netip.Addr) firewall.Flow {
	f := firewall.Flow{Src: src, Dst: w.dst, Proto: w.proto, DstPort: w.dport}
	if w.host != "" && w.proto == ipproto.TCP {
		f.Name = w.host
		switch w.dport {
		case 80:
			f.App = firewall.AppHTTP
		case 1433:
			f.App = firewall.AppMSSQL
		default:
			f.App = firewall.AppHTTPS
		}
	}
	if !w.proto.HasPorts() {
		f.DstPort = 0
	}
	return f
}

// notCarried is the reason a method that does not carry protocol p gives.
func notCarried(p ipproto.Proto) Reason {
	if p == ipproto.ICMP || p == ipproto.ICMPv6 {
		return ReasonICMPNotSupported
	}
	return ReasonProtocolNotSupported
}

// smtp returns what Azure's TCP port 25 restriction (see SMTPMode) does to a
// flow leaving Azure by method m: Options.SMTP for TCP/25 out of a public
// address, SMTPAllowed for every other flow.
func (e *Engine) smtp(proto ipproto.Proto, port uint16, m Method) SMTPMode {
	if proto == ipproto.TCP && port == 25 && m.LeavesAzure() {
		return e.opts.SMTP
	}
	return SMTPAllowed
}

// finish turns an Allowed decision that relied on an assumption into Unknown.
func (w *walker) finish(d Decision) Decision {
	d.Assumed = d.Assumed || w.assumed
	if d.Assumed && d.Verdict == Allowed {
		d.Verdict = Unknown
	}
	return d
}

func (st *nicState) subnetVNet(e *Engine) int32 { return e.subnets[st.subnet].vnet }

// allowsForwarded reports whether VNet to's peering with VNet from allows
// traffic forwarded from it. The setting is on the receiving side: the portal
// calls it "Allow 'vnet-1' to receive forwarded traffic from 'vnet-2'"
// (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#create-a-peering).
// Observed enforcement is looser than documented in some setups
// (blog.cloudtrooper.net, "VNet peering settings: those familiar strangers",
// 2021); egress follows the documentation. The compiled answer is a search
// of a short sorted list; the reference twin scans the network's peerings.
func (w *walker) allowsForwarded(to, from int32) bool {
	if w.tr != nil && w.tr.slow {
		return w.tr.slowAllowsForwarded(to, from)
	}
	_, ok := slices.BinarySearch(w.e.vnets[to].fwdFrom, from)
	return ok
}

// isPlatform reports whether a is 168.63.129.16 (WireServer) or
// 169.254.169.254 (IMDS).
func isPlatform(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return b == [4]byte{168, 63, 129, 16} || b == [4]byte{169, 254, 169, 254}
}
