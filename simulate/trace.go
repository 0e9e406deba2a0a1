package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// tracer records the hops of one flow for [Engine.Trace], and provides the
// slow, obviously-correct lookups that the differential tests hold equal to
// the compiled indexes [Engine.Classify] uses.
type tracer struct {
	e      *Engine
	slow   bool // use the reference lookups (tests)
	hops   []Hop
	fwHop  int // the hop of the last firewall that SNATed the flow, or -1
	egress *egressSet
	assume []string
}

func (t *tracer) last() *Hop { return &t.hops[len(t.hops)-1] }

//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) source(st *nicState, src netip.Addr) {
	t.hops = append(t.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Address: src})
}

//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) hop(k HopKind, st *nicState, a netip.Addr) {
	t.hops = append(t.hops, Hop{Kind: k, Name: st.v.Name(), ID: string(st.v.ID()), Address: a})
	if k == HopAppliance {
		switch {
		case !st.forward:
		case t.e.opts.NVA == NVAUnknown:
			t.assume = appendOnce(t.assume, "what NVA "+st.v.Name()+" does with the traffic is unknown (Options.NVA); the path shown is what happens if it forwards")
		default:
			t.assume = appendOnce(t.assume, "NVA "+st.v.Name()+" forwards all traffic and SNATs internet-bound traffic to its own address (Options.NVA)")
		}
	}
	if k == HopDestination && st.isPE {
		// Named by the endpoint, not by the interface Azure creates for it
		// ("<endpoint>.nic.<guid>").
		h := t.last()
		h.Kind, h.Name, h.ID = HopPrivateEndpoint, st.v.PrivateEndpoint().Name(), string(st.v.PrivateEndpoint())
		h.Note = "network interface " + st.v.Name()
		s := t.e.subnets[st.subnet].s
		subnetNSG, _ := s.NSG()
		nicNSG, _ := st.v.NSG()
		if !st.peSubnet && (!subnetNSG.IsZero() || !nicNSG.IsZero()) {
			// https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy
			h.Note += fmt.Sprintf("; NSGs not applied: subnet %s has privateEndpointNetworkPolicies %s, and NSGs apply to private endpoints only with Enabled or NetworkSecurityGroupEnabled",
				s.Name(), s.PrivateEndpointPolicies())
		}
	}
}

//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) firewall(fs *fwState, evaluated bool, v firewall.Verdict) {
	h := Hop{Kind: HopFirewall, Name: fs.name, ID: string(fs.fw.ID()), Address: fs.addr}
	if fs.fw.PrivateIPAssumed() != "" {
		// The route reached the firewall by an address the loader inferred.
		t.assume = appendOnce(t.assume, fs.fw.PrivateIPAssumed())
	}
	switch {
	case evaluated:
		step := SecurityStep{Direction: "Forward", Stage: StageFirewall, Policy: fs.eng.Name(), Access: v.Action.String()}
		if pol, _ := fs.fw.Policy(); pol.IsZero() {
			step.Policy = "classic rules" // no policy: the firewall's own rule collections
		}
		if ri, ok := fs.eng.RuleOf(v); ok {
			step.Rule = ri.Path()
		} else {
			step.Rule = v.Reason.String()
		}
		h.Security = append(h.Security, step)
		h.Note = fs.eng.Explain(v)
		if v.Flags&firewall.FlagUnknown != 0 {
			t.assume = appendOnce(t.assume, "Azure Firewall "+fs.name+": a rule before the deciding one cannot be evaluated offline (web categories, FQDN tags, unresolved names, values a Terraform plan knows only after apply), or the deciding DNAT rule's translation is not known: the verdict is Unknown; the path shown is what happens if the flow is allowed")
		}
		if v.Flags&firewall.FlagDNS != 0 {
			t.assume = appendOnce(t.assume, "Azure Firewall "+fs.name+": the deciding network rule matched through a DNS answer (DNS proxy): the verdict depends on DNS")
		}
	case fs.eng == nil && t.e.opts.Firewall == FirewallEvaluate && fs.why != "":
		t.assume = appendOnce(t.assume, "Azure Firewall "+fs.name+": "+fs.why+": the verdict is Unknown; the path shown is what happens if it allows")
	case fs.eng == nil && t.e.opts.Firewall == FirewallEvaluate:
		t.assume = appendOnce(t.assume, "Azure Firewall "+fs.name+" has neither a firewall policy nor classic rule collections in the model: the verdict is Unknown; the path shown is what happens if it allows")
	case t.e.opts.Firewall == FirewallUnknown:
		t.assume = appendOnce(t.assume, "Azure Firewall "+fs.name+"'s rules are not evaluated (Options.Firewall): the verdict is Unknown; the path shown is what happens if it allows")
	default:
		t.assume = appendOnce(t.assume, "Azure Firewall "+fs.name+" allows the flow (Options.Firewall)")
	}
	t.hops = append(t.hops, h)
}

// again records a firewall the flow reaches a second time: a routing loop.
//
//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) again(fs *fwState) {
	t.hops = append(t.hops, Hop{Kind: HopFirewall, Name: fs.name, ID: string(fs.fw.ID()), Address: fs.addr, Note: "reached again: a routing loop"})
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) service(m route.Match, dst, src netip.Addr) {
	t.end(HopService, m.Route(0).ServiceTag(), dst, "source stays "+src.String())
}

//go:noinline // as service
func (t *tracer) gateway(ss *subnetState, m route.Match, src netip.Addr) {
	name, note := "", "to on-premises; source stays "+src.String()
	if r := m.Route(0); r.Source() == route.SourceGateway {
		name = r.Origin()
		for _, g := range t.e.gateways {
			if g.Name == name && g.PrivateIPsAssumed != "" && r.NumNextHops() > 0 {
				// The next hops shown are instance addresses the loader inferred.
				t.assume = appendOnce(t.assume, g.PrivateIPsAssumed)
			}
		}
		if r.GatewayOrigin() == route.OriginDefaultSite {
			// https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling
			note = "forced tunnelling: the gateway's default site " + ss.site + " receives all internet-bound traffic; how it leaves is decided on-premises; source stays " + src.String()
		}
	}
	t.end(HopGateway, name, netip.Addr{}, note)
}

//go:noinline // as service
func (t *tracer) internet(dst netip.Addr, es *egressSet) {
	if t.fwHop >= 0 && t.fwHop == len(t.hops)-1 { // straight out of the firewall
		switch es.method {
		case MethodAzureFirewall:
			t.hops[t.fwHop].Translation = "SNAT to the firewall's public IP (" + joinAddrs(es.ips, " or ") + ")"
		case MethodNATGateway:
			// https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway: no double NAT.
			t.hops[t.fwHop].Translation += "; the NAT gateway on AzureFirewallSubnet translates it to its public IP (no double NAT)"
		}
	}
	t.end(HopInternet, "", dst, "SNAT to "+es.why)
}

func joinAddrs(as []netip.Addr, sep string) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, sep)
}

//go:noinline // as service
func (t *tracer) smtpUnknown() {
	t.assume = appendOnce(t.assume, "Azure blocks outbound TCP port 25 to the internet except in Enterprise Agreement, MCA-E and exempted subscriptions; the subscription type is not known (Options.SMTP): the path shown is what happens if it is allowed")
}

//go:noinline // as service
func (t *tracer) notCarried(es *egressSet, p ipproto.Proto) {
	t.end(HopNowhere, "", netip.Addr{}, es.why+" does not carry "+p.String())
}

// snat records the firewall's translation. Where it SNATs, the address it
// translates to depends on where the flow goes next
// (https://learn.microsoft.com/azure/firewall/snat-private-range): to the
// internet, one of its public IPs (see internet); elsewhere (forced
// tunnelling, an NVA, a public range used internally), a private address of
// AzureFirewallSubnet.
//
//go:noinline // as service
func (t *tracer) snat(snat bool, private netip.Addr) {
	if !snat {
		t.fwHop = -1
		t.last().Translation = "no SNAT: the destination is in the firewall's SNAT private ranges; the source address is kept"
		return
	}
	t.fwHop = len(t.hops) - 1
	t.last().Translation = "SNAT to the firewall's private address " + private.String()
}

//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) end(k HopKind, name string, a netip.Addr, note string) {
	t.hops = append(t.hops, Hop{Kind: k, Name: name, Address: a, Note: note})
}

//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) security(cls *nsg.Classifier, dir nsg.Direction, v nsg.Verdict) {
	h := t.last()
	for _, stage := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
		g := cls.Group(stage)
		if g == nil {
			continue
		}
		step := SecurityStep{Direction: dir.String(), Stage: nsgStage(stage), Group: g.Name(), Access: "Allow"}
		ri, ok := cls.RuleOf(v, dir, stage)
		if !ok {
			if v.Rules.At(stage) < 0 {
				continue // not evaluated: an earlier stage decided
			}
		} else {
			step.Rule = ri.DisplayName(nsg.ViewIPFlowVerify)
			step.Access = ri.Access.String()
		}
		h.Security = append(h.Security, step)
	}
	if v.Reason == nsg.ReasonPlatform {
		h.Note = "platform traffic: not subject to NSG rules"
	}
}

//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) route(ss *subnetState, m route.Match) {
	r := m.Route(0)
	step := &RouteStep{Prefix: m.Prefix(), Source: r.Source(), Name: r.Name(), NextHopType: m.NextHopType(),
		NextHops: m.AppendNextHops([]netip.Addr{}), RouteTable: "System Route", ServiceTag: r.ServiceTag()}
	if r.Source() == route.SourceUser {
		step.RouteTable = ss.table.RouteTable()
	}
	if ss.actions[m.Index()].unknownHop > 0 {
		step.NextHops = []netip.Addr{} // known only after apply: the placeholder is no address
	}
	if m.NumNextHops() > 1 {
		t.assume = appendOnce(t.assume, fmt.Sprintf("ECMP over %d next hops: Azure's hash is undocumented; the first, %s, is followed", m.NumNextHops(), m.NextHop(0)))
	}
	t.last().Route = step
}

// slowTarget finds what owns address a among the NICs, firewalls and
// internal load balancers of VNet vnet and its peers, by scanning them all.
//
//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) slowTarget(vnet int32, a netip.Addr) (target, bool) {
	e := t.e
	reach := append([]int32{vnet}, e.vnets[vnet].peers...)
	for h := range e.nics {
		st := &e.nics[h]
		if !slices.Contains(reach, st.subnetVNet(e)) {
			continue
		}
		for _, c := range e.cold[h].ipcs {
			if c.PrivateIP == a {
				return target{targetNIC, int32(h)}, true
			}
		}
	}
	for i := range e.firewalls {
		fs := &e.firewalls[i]
		if fs.addr == a && slices.Contains(reach, e.subnets[fs.subnet].vnet) {
			return target{targetFirewall, int32(i)}, true
		}
	}
	for li, lb := range e.lbs {
		for _, f := range lb.Frontends {
			if f.PrivateIP != a {
				continue
			}
			if s, ok := e.net.LookupSubnet(f.Subnet); ok && slices.ContainsFunc(reach, func(v int32) bool { return e.vnets[v].v.ID().Key() == s.VNet().ID().Key() }) {
				return target{targetLBFrontend, int32(li)}, true
			}
		}
	}
	for k := range e.injs {
		st := &e.injs[k]
		if st.subnet >= 0 && st.v.IP() == a && a.IsValid() && slices.Contains(reach, e.subnets[st.subnet].vnet) {
			return target{targetInjected, int32(k)}, true
		}
	}
	return target{}, false
}

// unknownSteps lists, on the last hop, the NIC's NSGs whose rules are
// unknown (not in the input, or Azure would reject them) as steps with
// access "Unknown", where the known rules let the flow on: the path shown
// assumes they allow.
//
//go:noinline // as service
func (t *tracer) unknownSteps(names *[3]string, dir nsg.Direction) {
	h := t.last()
	for _, stage := range []nsg.Stage{nsg.StageNIC, nsg.StageSubnet} {
		if name := names[stage]; name != "" {
			h.Security = append(h.Security, SecurityStep{Direction: dir.String(), Stage: nsgStage(stage), Group: name, Access: "Unknown"})
		}
	}
}

// unknownNote states, once, a note on what the input does not contain.
//
//go:noinline // as service
func (t *tracer) unknownNote(i int32) {
	t.assume = appendOnce(t.assume, t.e.notes[i])
}

// slowAllowsForwarded is allowsForwarded by a scan of the network's
// peerings.
func (t *tracer) slowAllowsForwarded(to, from int32) bool {
	for _, p := range t.e.vnets[to].v.Peerings() {
		if p.RemoteID.Key() == t.e.vnets[from].v.ID().Key() {
			return p.AllowForwardedTraffic
		}
	}
	return false
}

// slowVPN is hasVPNGateway by a plain scan of the network's peerings and
// gateways, for the reference twin.
func (t *tracer) slowVPN(v topology.VNetView) bool {
	vpnIn := func(id topology.Ref) bool {
		for _, g := range t.e.gateways {
			if g.Type == topology.GatewayVpn && g.VNet.Key() == id.Key() {
				return true
			}
		}
		return false
	}
	if vpnIn(v.ID()) {
		return true
	}
	for _, p := range v.Peerings() {
		if !p.Connected || !p.UseRemoteGateways {
			continue
		}
		for i := range t.e.net.NumVNets() {
			hub := t.e.net.VNet(i)
			if hub.ID().Key() != p.RemoteID.Key() {
				continue
			}
			for _, back := range hub.Peerings() {
				if back.Connected && back.AllowGatewayTransit && back.RemoteID.Key() == v.ID().Key() && vpnIn(hub.ID()) {
					return true
				}
			}
		}
	}
	return false
}

// advertisedByNVA reports, by a scan of the network, whether an NVA advertised
// prefix to a Route Server (or a gateway learned it from Route Server) with
// the first of hops as next hop.
func (t *tracer) advertisedByNVA(prefix netip.Prefix, hops []netip.Addr) bool {
	if len(hops) == 0 {
		return false
	}
	match := func(rs []route.GatewayRoute, all bool) bool {
		for _, r := range rs {
			if r.Prefix == prefix && (all || r.Origin == route.OriginRouteServer) && slices.Contains(r.NextHops, hops[0]) {
				return true
			}
		}
		return false
	}
	for _, s := range t.e.routeServers {
		if match(s.Advertised, true) {
			return true
		}
	}
	for _, g := range t.e.gateways {
		if match(g.LearnedRoutes, false) {
			return true
		}
	}
	return false
}

// slowAction is the reference twin's action for a route selection.
//
//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) slowAction(ss *subnetState, m route.Match) action {
	a := action{typ: m.NextHopType()}
	if a.typ == route.VirtualNetworkGateway && m.Route(0).Source() == route.SourceGateway && t.advertisedByNVA(m.Prefix(), m.Route(0).AppendNextHops(nil)) {
		a.typ = route.VirtualAppliance // an NVA advertised it to Route Server: to the NVA
	}
	a.noGateway = userRouteWithoutGateway(m, t.slowVPN(ss.s.VNet()))
	a.unknownHop = ss.actions[m.Index()].unknownHop // a note of the compiled engine; the walker twin checks it (walkref)
	if m.NumNextHops() > 0 && (a.typ == route.VirtualAppliance || a.typ == route.VirtualApplianceEcmp) {
		a.target, a.ok = t.slowTarget(ss.vnet, m.NextHop(0))
	}
	return a
}

// egressOf returns the egress choice for the flow's current place: the
// compiled one, or in the reference twin one derived again from the network.
//
//go:noinline // keeps the Hop temporaries out of walker.run's frame (the hot path)
func (t *tracer) egressOf(set, cur int32, atFW, v6 bool) *egressSet {
	if !t.slow {
		t.egress = &t.e.egress[set]
		return t.egress
	}
	var s egressSet
	if atFW {
		s = t.e.firewallEgress(&t.e.firewalls[cur])
	} else if cur < 0 && int(^cur) < len(t.e.apps) {
		s = t.e.appVNetEgress(&t.e.apps[^cur], v6)
	} else if cur < 0 {
		s = t.e.egress[t.e.injs[int(^cur)-len(t.e.apps)].egress6] // no IPv6
		if !v6 {
			s = t.e.injVNetEgress(&t.e.injs[int(^cur)-len(t.e.apps)])
		}
	} else {
		s = t.e.internetEgress(cur, v6, t.e.scanVMPublicIP)
	}
	t.egress = &s
	return &s
}

// Classify decides a flow on the hot path: from NIC h to dst, protocol and
// destination port (source port: [EphemeralPort]). A flow it cannot decide
// as given — protocol [ipproto.Unknown], TCP or UDP to port 0, an invalid
// dst, a handle that is not one of the engine's (the zero NIC, another
// engine's) — is [Invalid] with [ReasonInvalidFlow]: nothing is assumed in
// its place. It follows multi-hop paths through appliances and allocates
// nothing. It agrees with [Engine.Trace] on
// the verdict, egress method and addresses, and hop count.
func (e *Engine) Classify(h NIC, dst netip.Addr, proto ipproto.Proto, port uint16) Decision {
	return e.ClassifyHost(h, dst, proto, port, "")
}

// ClassifyHost is [Engine.Classify] for a flow whose application layer names
// its server (TLS SNI, HTTP Host), which Azure Firewall application rules
// match on: host is that name, or "".
func (e *Engine) ClassifyHost(h NIC, dst netip.Addr, proto ipproto.Proto, port uint16, host string) Decision {
	if h.e != e {
		return invalidFlow
	}
	dst = dst.Unmap()
	if d, ok := e.firstHop(h.h, dst, proto, port); ok { // never for an invalid flow
		return d
	}
	if proto == ipproto.Unknown || proto.HasPorts() && port == 0 || !dst.IsValid() {
		return invalidFlow
	}
	return e.walk(h.h, dst, proto, port, host)
}

// invalidFlow is Classify's answer for a flow it cannot decide as given.
var invalidFlow = Decision{Outcome: Outcome{Verdict: Invalid, Reason: ReasonInvalidFlow}, egress: -1}

// walk runs the full walker; kept out of ClassifyHost so that the first-hop
// path carries none of its frame.
//
//go:noinline
func (e *Engine) walk(h int32, dst netip.Addr, proto ipproto.Proto, port uint16, host string) Decision {
	w := walker{e: e, dst: dst, proto: proto, sport: EphemeralPort, dport: port, host: host}
	return w.run(h)
}

// EgressIPs appends the public addresses a decision may leave from to dst.
func (e *Engine) EgressIPs(d Decision, dst []netip.Addr) []netip.Addr {
	if d.egress < 0 || d.Method == MethodNone {
		return dst
	}
	return append(dst, e.egress[d.egress].ips...)
}

// Trace simulates a flow and explains it hop by hop. It returns an error only
// for a flow it cannot start: an unknown or ambiguous source NIC, a TCP or
// UDP flow without a destination port (port 0 is reserved and no real flow
// uses it), or an FQDN that does not resolve.
func (e *Engine) Trace(f Flow) (*Result, error) { return e.trace(f, false) }

func (e *Engine) trace(f Flow, slow bool) (*Result, error) {
	h, err := e.NIC(f.From)
	if err != nil {
		return nil, err
	}
	proto := f.Protocol
	if proto == ipproto.Unknown {
		proto = ipproto.TCP
	}
	if proto.HasPorts() && f.Port == 0 {
		return nil, fmt.Errorf("%w: flow %v: %v needs a destination port (1..65535)", ErrInvalidFlow, f, proto)
	}
	sport := f.SrcPort
	if sport == 0 {
		sport = EphemeralPort
	}
	dst, resolved, err := e.destination(f)
	if err != nil {
		return nil, err
	}
	var assume []string
	if resolved != "" {
		assume = append(assume, resolved)
	}
	host := f.Host
	if host == "" {
		host = f.ToFQDN
	}
	tr := &tracer{e: e, slow: slow, assume: assume, fwHop: -1}
	w := walker{e: e, tr: tr, dst: dst, proto: proto, sport: sport, dport: f.Port, host: host}
	d := w.run(h.h)
	st := &e.nics[h.h]
	r := &Result{
		SchemaVersion: SchemaVersion,
		Flow: FlowInfo{From: st.v.Name(), FromID: string(st.v.ID()), Source: tr.hops[0].Address, Destination: dst, FQDN: f.ToFQDN,
			Protocol: proto, Port: f.Port, SrcPort: sport},
		Verdict:      d.Verdict,
		Reason:       d.Reason.String(),
		ReasonCode:   d.Reason,
		EgressMethod: d.Method,
		EgressIPs:    []netip.Addr{},
		Hops:         tr.hops,
		Assumptions:  tr.assume,
		ServiceTags:  e.ServiceTags(),
	}
	e.complete(r, d, tr)
	return r, nil
}

// complete fills in a result from its decision and the tracer's record:
// the egress addresses and the assumptions they rely on, and what decided.
func (e *Engine) complete(r *Result, d Decision, tr *tracer) {
	if r.Assumptions == nil {
		r.Assumptions = []string{}
	}
	if es := tr.egress; es != nil && es.assume != "" {
		r.Assumptions = append(r.Assumptions, es.assume)
	}
	if es := tr.egress; es != nil && d.Method != MethodNone {
		r.egress = es
		r.EgressIPs = append(r.EgressIPs, es.ips...)
		r.EgressPrefixes = es.prefixes
		if es.unstable {
			if es.method == MethodDefaultOutbound {
				r.Assumptions = append(r.Assumptions, "default outbound access uses a Microsoft-owned IP that is not shown and may change")
			} else {
				r.Assumptions = append(r.Assumptions, "Azure picks the source address among several per connection")
			}
		}
	}
	if es := tr.egress; es != nil && d.Verdict == NoEgress {
		if d.Reason == ReasonSMTPBlocked {
			r.Reason += "; otherwise it would leave through " + es.why
		} else {
			r.Reason += ": " + es.why
		}
	}
	r.DecidedBy = e.decidedBy(d)
	switch {
	case d.Verdict == Allowed || d.Verdict == Unknown:
		r.DecidedBy = allowedBy(r.Hops, d.Reason, d.Verdict == Unknown && d.Assumed)
	case d.Reason == ReasonRouteNone:
		r.DecidedBy = droppedBy(r.Hops)
	}
	if d.Verdict == Unknown && d.Assumed {
		r.Reason = "depends on what cannot be decided offline (see assumptions); on the path shown: " + d.Reason.String()
	}
}

// allowedBy names what let an allowed flow through: the rule that allowed it
// at each security stage on its path, in order. assumed: the verdict is
// Unknown because of an assumption, such as an NSG whose rules are unknown,
// so that a path with no rule on it is not "allowed by default".
func allowedBy(hops []Hop, reason Reason, assumed bool) string {
	var parts []string
	for _, h := range hops {
		for _, s := range h.Security {
			if s.Access != "Deny" && s.Rule != "" {
				what := s.Source()
				if s.Policy != "" {
					what = h.Name // the firewall, as a denial names it; its rule path names the policy
				}
				parts = append(parts, s.Stage.String()+" "+what+": "+s.Rule)
			}
		}
	}
	switch {
	case len(parts) > 0:
		return strings.Join(parts, "; ")
	case reason == ReasonPlatform:
		return "Azure platform address: not subject to NSG rules"
	case assumed:
		return "no known rule on the path shown decides it (see assumptions)"
	}
	return "no NSG, admin rule or firewall on the path: allowed by default"
}

// droppedBy names the route that dropped a flow.
func droppedBy(hops []Hop) string {
	for i := len(hops) - 1; i >= 0; i-- {
		if rt := hops[i].Route; rt != nil {
			s := "route " + rt.Prefix.String() + " -> " + rt.NextHopType.String() + " (" + rt.Source.String()
			if rt.Name != "" {
				s += " " + strconv.Quote(rt.Name)
			}
			return s + ")"
		}
	}
	return ""
}

// decidedBy names the rule that denied a flow, as IP flow verify spells it,
// or the firewall rule.
func (e *Engine) decidedBy(d Decision) string {
	if d.Verdict != Denied {
		return ""
	}
	if d.by.firewall() {
		fs := &e.firewalls[d.by.at()]
		if ri, ok := fs.eng.RuleOf(firewall.Verdict{Action: firewall.Deny, Rule: d.by.rule()}); ok {
			return fmt.Sprintf("AzureFirewall %s: %s", fs.name, ri.Path())
		}
		return fmt.Sprintf("AzureFirewall %s: no rule matched (default deny)", fs.name)
	}
	if d.by.rule() < 0 {
		return ""
	}
	var cls *nsg.Classifier
	if at := d.by.at(); at < 0 {
		cls = e.inSubnet(^at).cls // a web app's integration subnet, a container group's subnet
	} else {
		cls = e.nics[at].cls
	}
	g := cls.Group(d.by.stage())
	if g == nil {
		return ""
	}
	ri := g.Rule(d.by.dir(), int(d.by.rule()))
	return fmt.Sprintf("%s %s: %s", nsgStage(d.by.stage()), g.Name(), ri.DisplayName(nsg.ViewIPFlowVerify))
}

// Explain turns a Decision into a sentence.
func (e *Engine) Explain(d Decision) string {
	s := fmt.Sprintf("%s: %s", d.Verdict, d.Reason)
	if by := e.decidedBy(d); by != "" {
		s += " (" + by + ")"
	}
	if d.egress >= 0 && d.Method != MethodNone {
		s += fmt.Sprintf("; egress %s via %s", d.Method, e.egress[d.egress].why)
	}
	return s
}

// delegated ends a flow at an address of a delegated subnet that no
// resource of the input is known to hold: naming the injected resources the
// subnet holds whose addresses the input does not give ("PostgreSQL
// flexible server X is in this subnet; its address is not in the input"),
// else the service the subnet is delegated to.
//
//go:noinline // off the hot path
func (t *tracer) delegated(ds delegatedSpace, a netip.Addr) {
	if h := t.e.holders[ds.index]; h != "" {
		t.end(HopDestination, ds.subnet, a, h+" is in subnet "+ds.subnet+" (delegated to "+ds.service+"); its address is not in the input: whether it is the destination is unknown")
		return
	}
	t.end(HopDestination, ds.subnet, a, "in subnet "+ds.subnet+", delegated to "+ds.service+": the service's resources hold its addresses, and none with this one is in the input")
}

// destination returns a flow's destination address: f.To, or the first
// address Options.Resolver gives for f.ToFQDN, with the assumption that
// states it ("" for a flow given by address).
func (e *Engine) destination(f Flow) (netip.Addr, string, error) {
	if dst := f.To.Unmap(); dst.IsValid() {
		return dst, "", nil
	}
	if f.ToFQDN == "" {
		return netip.Addr{}, "", fmt.Errorf("%w: flow %v has no destination", ErrInvalidFlow, f)
	}
	if e.opts.Resolver == nil {
		return netip.Addr{}, "", fmt.Errorf("%w: cannot resolve %q: no resolver configured", ErrInvalidFlow, f.ToFQDN)
	}
	addrs, err := e.opts.Resolver.LookupHost(f.ToFQDN)
	if err != nil {
		return netip.Addr{}, "", err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, "", fmt.Errorf("%w: %q resolves to no address", ErrInvalidFlow, f.ToFQDN)
	}
	dst := addrs[0].Unmap()
	return dst, fmt.Sprintf("%s resolves to %s (of %d addresses): the verdict depends on DNS", f.ToFQDN, dst, len(addrs)), nil
}
