package simulate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/topology"
)

// injState is a container group of the engine
// (https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts):
// in its delegated subnet it is a flow source and a destination, bound to
// the subnet's security rules like a NIC.
type injState struct {
	v topology.InjectedView
	// subnetSrc: subnet is -1 for a container group in no subnet of the
	// network; addr is its ipAddress.ip, else the subnet's first host.
	subnetSrc
	// assumedAddr: addr is the subnet's first host, the input not giving
	// the group's address.
	assumedAddr bool
}

// injectedServices returns the delegations of the kinds of the injected
// resources in subnet s, for a subnet that holds some without being
// delegated (a warning: the input is probably stale). The first call
// indexes the injected resources by subnet.
func (c *compiler) injectedServices(s topology.SubnetView) []string {
	if c.injServices == nil {
		c.injServices = map[int][]string{}
		for i := range c.n.NumInjected() {
			v := c.n.Injected(i)
			if sv, ok := v.Subnet(); ok && !containsFold(c.injServices[sv.Index()], v.Kind().Delegation()) {
				c.injServices[sv.Index()] = append(c.injServices[sv.Index()], v.Kind().Delegation())
			}
		}
	}
	return c.injServices[s.Index()]
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// injected compiles the container groups in subnets of the network (bound
// to their subnet's rules, their addresses indexed in their VNet), and
// notes, by subnet, the injected resources whose addresses are not in the
// input (flexible servers always: their ARM resource has none).
func (c *compiler) injected() {
	e := c.e
	e.injByKey, e.injByName, e.holders = map[string]int32{}, map[string][]int32{}, map[int32]string{}
	for i := range c.n.NumInjected() {
		v := c.n.Injected(i)
		sv, inSubnet := v.Subnet()
		if inSubnet && !v.IP().IsValid() {
			si := int32(sv.Index())
			what := v.Kind().Noun() + " " + v.Name()
			if h := e.holders[si]; h != "" {
				what = h + ", " + what
			}
			e.holders[si] = what
		}
		if v.Kind() != topology.InjectedContainerGroup || len(v.SubnetRefs()) == 0 {
			continue // a flexible server, or a container group in no virtual network: not a flow source
		}
		st := injState{v: v, subnetSrc: subnetSrc{subnet: -1, unknown: -1}}
		if inSubnet {
			st.addr = v.IP()
			if !st.addr.IsValid() {
				for _, p := range sv.Prefixes() {
					if p.Addr().Is4() {
						st.addr, st.assumedAddr = firstHost(p), true
						break
					}
				}
			}
			// "IPv6 addresses aren't supported at this time"
			// (container-instances-virtual-network-concepts): no addr6.
			var addrs []netip.Addr
			if st.addr.IsValid() {
				addrs = append(addrs, st.addr)
			}
			c.bindSubnet(&st.subnetSrc, sv, v.ID(), "container group "+v.Name(), addrs)
		}
		k := int32(len(e.injs))
		e.injs = append(e.injs, st)
		if st.subnet >= 0 && v.IP().IsValid() {
			ts := e.vnets[e.subnets[st.subnet].vnet].targets
			if _, taken := ts[v.IP()]; !taken { // a NIC's, a firewall's or a frontend's address: validation reports the clash
				ts[v.IP()] = target{targetInjected, k}
			}
		}
		e.injByKey[v.ID().Key()] = k
		name := strings.ToLower(v.Name())
		e.injByName[name] = append(e.injByName[name], k)
	}
}

// injectedEgress decides how each container group's internet-bound traffic
// leaves its subnet.
func (c *compiler) injectedEgress() {
	e := c.e
	for k := range e.injs {
		st := &e.injs[k]
		if st.subnet < 0 {
			continue
		}
		st.egress4 = e.intern(e.injVNetEgress(st))
		st.egress6 = e.intern(egressSet{why: "container groups in a virtual network have no IPv6 address (container-instances-virtual-network-concepts)"})
	}
}

// injVNetEgress is how a container group's internet-bound traffic leaves
// its subnet: "If you deploy your container group into a virtual network,
// you must use a NAT gateway for outbound connectivity. This is the only
// supported configuration for outbound connectivity from your container
// group in a virtual network"
// (https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts,
// 2024-08-29). So: the subnet's NAT gateway (or its VNet's); without one, a
// private subnet has no way out, and whether any other subnet's default
// outbound access serves a container group is undocumented (A-30: the
// flow is Unknown, the path shown as if it did). A route to a firewall or
// an NVA leads elsewhere first, as for a NIC.
func (e *Engine) injVNetEgress(st *injState) egressSet {
	ss := &e.subnets[st.subnet]
	s := ss.s
	if ss.nat != nil {
		if es, ok := e.natEgress(ss.nat, ss.natWhere, false); ok {
			return es
		}
	} else if ss.natExternal {
		ref, _ := s.NATGateway()
		return egressSet{method: MethodNATGateway, why: "NAT gateway " + ref.Name() + " (not in the input)", carry: carryAll, unsure: carryICMP | carryOther,
			assume: "NAT gateway " + ref.Name() + " of subnet " + s.Name() + " is not in the input: its public IPs are unknown, and so is whether its SKU carries ICMP"}
	}
	doa, set := s.DefaultOutboundAccess()
	if set && !doa || !set && e.opts.PrivateByDefault {
		return egressSet{why: "subnet " + s.Name() + " is private and has no NAT gateway, which is a container group's only supported way to the internet (container-instances-virtual-network-concepts)"}
	}
	return egressSet{method: MethodDefaultOutbound, why: "default outbound access of subnet " + s.Name() + ", if a container group has it (no NAT gateway: A-30)",
		unstable: true, carry: carryOther, unsure: carryAll | carryPorts, assume: "A-30: " + paasAssumptions["A-30"]}
}

// injectedNotSimulated explains why an injected resource of that name or ID
// is not a flow source, or returns nil.
func (e *Engine) injectedNotSimulated(k, nameOrID string) error {
	for i := range e.net.NumInjected() {
		v := e.net.Injected(i)
		if !strings.EqualFold(v.Name(), nameOrID) && v.ID().Key() != k {
			continue
		}
		if v.Kind() == topology.InjectedContainerGroup {
			return &NotSimulatedError{Name: v.Name(), Detail: fmt.Sprintf("container group %s is in no virtual network (no subnetIds): its traffic leaves from Azure-managed addresses past no customer route, NSG or NAT gateway; egress does not simulate flows from it", v.Name())}
		}
		if v.Kind() != topology.InjectedContainerGroup {
			return &NotSimulatedError{Name: v.Name(), Detail: fmt.Sprintf("%s %s: egress does not simulate flows from it: Learn documents no outbound path of a flexible server's own that an offline model could follow (it is a destination, at an address its ARM resource does not give; %s)", v.Kind().Noun(), v.Name(), v.Kind().Source())}
		}
	}
	return nil
}

// traceInjected simulates a container group's flow: from its subnet, as a
// NIC's there would be (the subnet's outbound NSG and admin rules, its
// routes, firewalls and NAT gateway), with the group's address as source
// ("Use NSG rules to control container access to subnets or other network
// resources", container-instances-virtual-network-concepts).
func (e *Engine) traceInjected(k int32, f Flow, slow bool) (*Result, error) {
	st := &e.injs[k]
	proto, sport, err := flowBasics(f)
	if err != nil {
		return nil, err
	}
	dst, resolved, err := e.destination(f)
	if err != nil {
		return nil, err
	}
	tr := &tracer{e: e, slow: slow, fwHop: -1}
	if resolved != "" {
		// "Container instances don't read or inherit DNS settings from an
		// associated virtual network" (container-instances-virtual-network-concepts).
		tr.assume = append(tr.assume, resolved+"; a container group uses the DNS settings of its own dnsConfig, not its VNet's")
	}
	host := f.Host
	if host == "" {
		host = f.ToFQDN
	}
	r := &Result{SchemaVersion: SchemaVersion, Flow: FlowInfo{From: st.v.Name(), FromID: string(st.v.ID()), Destination: dst, FQDN: f.ToFQDN,
		Protocol: proto, Port: f.Port, SrcPort: sport}, ServiceTags: e.ServiceTags()}
	w := walker{e: e, tr: tr, dst: dst, proto: proto, sport: sport, dport: f.Port, host: host}
	d := w.decideInjected(k)
	r.Verdict, r.ReasonCode, r.Reason, r.EgressMethod = d.Verdict, d.Reason, d.Reason.String(), d.Method
	r.EgressIPs, r.Hops, r.Assumptions = []netip.Addr{}, tr.hops, tr.assume
	if len(tr.hops) > 0 {
		r.Flow.Source = tr.hops[0].Address
	}
	e.complete(r, d, tr)
	return r, nil
}

// decideInjected decides container group k's flow (TraceFrom and the
// egress map, Engine.ReachFrom, walk it here): from its subnet
// (runInjected), then Learn's unsupported ports; Unknown when its subnet
// is not the engine's.
func (w *walker) decideInjected(k int32) Decision {
	st := &w.e.injs[k]
	d := Decision{egress: -1}
	if st.subnet < 0 {
		if w.tr != nil {
			w.tr.hops = append(w.tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Note: "container group"})
			refs := st.v.SubnetRefs()
			what := "its subnet cannot be simulated"
			if len(refs) > 0 {
				what = "its subnet " + refs[0].Name() + " is not in the input"
			}
			w.tr.end(HopNowhere, "", netip.Addr{}, what+": its routes, NSG and NAT gateway are unknown")
		}
		d.Verdict, d.Reason, d.Assumed = Unknown, ReasonExternal, true
		return d
	}
	d = w.runInjected(k)
	if w.proto == ipproto.TCP && (w.dport == 25 || w.dport == 19390) && (d.Verdict == Allowed || d.Verdict == Unknown) {
		// "Outbound connections to port 25 and 19390 aren't supported
		// at this time" (container-instances-virtual-network-concepts).
		d.Verdict, d.Assumed = Unknown, true
		if w.tr != nil {
			w.tr.assume = appendOnce(w.tr.assume, fmt.Sprintf("Learn: outbound connections to port %d aren't supported from container groups in a virtual network; the path shown is what the network does", w.dport))
		}
		if w.rec != nil {
			w.rec.ev = append(w.rec.ev, recSrcPort|uint64(w.dport)) // the Trace names the port
		}
	}
	return d
}

// runInjected walks a container group's flow from its subnet: the subnet's
// outbound security rules (admin rules, the subnet's NSG: there is no NIC
// NSG), then, as for a NIC, the platform addresses (168.63.129.16,
// 169.254.169.254: host-local, A-31) or its routes.
func (w *walker) runInjected(k int32) Decision {
	e := w.e
	st := &e.injs[k]
	d := Decision{egress: -1}
	src := st.addr
	if w.dst.Is6() {
		src = st.addr6
	}
	if w.tr != nil {
		sub := e.subnets[st.subnet].s.Name()
		note := "container group in subnet " + sub
		if st.assumedAddr {
			note += "; its address is not in the input: " + st.addr.String() + ", the subnet's first, is the one evaluated"
			w.tr.assume = appendOnce(w.tr.assume, "container group "+st.v.Name()+"'s address (ipAddress.ip) is not in the input: rules are evaluated for "+st.addr.String()+", the first Azure assigns in subnet "+sub)
		}
		w.tr.hops = append(w.tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Address: src, Note: note})
	}
	if !src.IsValid() {
		d.Verdict, d.Reason = Dropped, ReasonNoSourceAddress
		return d
	}
	si := int32(len(e.apps) + int(k)) // its index as a subnet source
	at := ^si
	f := nsg.Flow{Direction: nsg.Outbound, Proto: w.proto, Src: src, Dst: w.dst, SrcPort: w.sport, DstPort: w.dport}
	v := st.cls.Verdict(f)
	if w.tr != nil {
		w.tr.security(st.cls, nsg.Outbound, v)
	}
	if w.rec != nil {
		w.rec.verdict(recSrcSecurity, si, nsg.Outbound, v)
	}
	if st.unknown >= 0 && v.Allowed() && v.Reason != nsg.ReasonAdmin {
		w.assumed = true
		if w.tr != nil {
			w.tr.unknownNote(st.unknown)
			w.tr.unknownSteps(&st.unknownNSG, nsg.Outbound)
		}
	}
	w.afterApply(&st.subnetSrc, nsg.Outbound, v)
	if !v.Allowed() {
		d = denied(&d, at, nsg.Outbound, v, ReasonDeniedOut)
		if w.assumed { // a rule known only after apply denied it
			d.Assumed, d.Verdict = true, Unknown
		}
		return d
	}
	if isPlatform(w.dst) {
		// Host-local for a VM (what-is-ip-address-168-63-129-16); for a
		// container group the page does not say.
		if w.tr != nil {
			w.tr.paas("A-31")
			w.tr.end(HopPlatform, "", w.dst, "")
		}
		d.Verdict, d.Method, d.Reason = Allowed, MethodPlatform, ReasonPlatform
		return w.finish(d)
	}
	d = w.path(d, at, src)
	if w.assumed {
		d.Assumed = true
		d.Verdict = Unknown
	}
	return d
}

// injSecurity evaluates container group k's rules (its subnet's NSG and
// admin rules) for the flow in one direction, as security does a NIC's.
func (w *walker) injSecurity(k int32, dir nsg.Direction, src, dst netip.Addr) (nsg.Verdict, bool) {
	st := &w.e.injs[k]
	f := nsg.Flow{Direction: dir, Proto: w.proto, Src: src, Dst: dst, SrcPort: w.sport, DstPort: w.dport}
	v := st.cls.Verdict(f)
	if w.rec != nil {
		w.rec.verdict(recInjSecurity, k, dir, v)
	}
	if w.tr != nil {
		w.tr.security(st.cls, dir, v)
	}
	if st.unknown >= 0 && v.Allowed() && v.Reason != nsg.ReasonAdmin {
		w.assumed = true
		if w.tr != nil {
			w.tr.unknownNote(st.unknown)
			w.tr.unknownSteps(&st.unknownNSG, dir)
		}
	}
	w.afterApply(&st.subnetSrc, dir, v)
	return v, v.Allowed()
}

// afterApply makes the walk's answer Unknown when the subnet NSG rule that
// decided v has values a Terraform plan knows only after apply (widened to
// "*": the real rule may not have matched), as walker.security does for a
// NIC's rules.
func (w *walker) afterApply(src *subnetSrc, dir nsg.Direction, v nsg.Verdict) {
	if note := src.afterApply.unknownNote(dir, v.Rules.At(nsg.StageSubnet)); note > 0 {
		w.assumed = true
		if w.tr != nil {
			w.tr.unknownNote(note - 1)
		}
	}
}

// deliverInjected ends a flow at container group k's address: like a NIC
// destination, past the inbound rules of its subnet (a container group
// has no NIC NSG). Forwarded traffic enters a peered VNet only if that
// VNet's peering allows it, as for a NIC.
//
//go:noinline // off the hot path
func (w *walker) deliverInjected(d Decision, k int32, vnet int32, forwarded bool, src netip.Addr) Decision {
	e := w.e
	st := &e.injs[k]
	dvnet := e.subnets[st.subnet].vnet
	if forwarded && dvnet != vnet && !w.allowsForwarded(dvnet, vnet) {
		d.Verdict, d.Reason = Dropped, ReasonForwardedPeering
		return d
	}
	if w.tr != nil {
		w.tr.hops = append(w.tr.hops, Hop{Kind: HopDestination, Name: st.v.Name(), ID: string(st.v.ID()), Address: w.dst, Note: "container group"})
	}
	if v, ok := w.injSecurity(k, nsg.Inbound, src, w.dst); !ok {
		return denied(&d, ^int32(len(e.apps)+int(k)), nsg.Inbound, v, ReasonDeniedIn)
	}
	d.Verdict, d.Method, d.Reason = Allowed, MethodPrivate, ReasonDelivered
	return w.finish(d)
}

// applianceInjected ends a flow routed to a container group's address as
// its next hop: past its subnet's inbound rules, it is dropped, for a
// container group does not forward traffic not addressed to it (it is no
// NVA: it has no IP forwarding to enable).
//
//go:noinline // off the hot path
func (w *walker) applianceInjected(d Decision, k int32, src netip.Addr) Decision {
	e := w.e
	st := &e.injs[k]
	if w.tr != nil {
		w.tr.hops = append(w.tr.hops, Hop{Kind: HopAppliance, Name: st.v.Name(), ID: string(st.v.ID()), Address: st.addr, Note: "container group: forwards nothing"})
	}
	if v, ok := w.injSecurity(k, nsg.Inbound, src, w.dst); !ok {
		return denied(&d, ^int32(len(e.apps)+int(k)), nsg.Inbound, v, ReasonDeniedIn)
	}
	d.Verdict, d.Reason = Dropped, ReasonNoForwarding
	return d
}

// containerGroupNoNAT reports container group k when some of its
// internet-bound flows leave by the subnet's default outbound access,
// which Learn does not document for container groups, rather than
// through a NAT gateway, a firewall or an appliance: proved on its egress
// map ([Engine.ReachFrom]) over every destination address, protocol and
// port, with a witness flow (an audit probe when one is in the classes).
func (e *Engine) containerGroupNoNAT(k int32, ps ProbeSet) (Finding, bool) {
	st := &e.injs[k]
	if st.subnet < 0 {
		return Finding{}, false
	}
	s := Source{e, SourceContainerGroup, k}
	m, err := e.ReachFrom(s)
	if err != nil {
		return Finding{}, false
	}
	cs := m.DefaultOutbound()
	if len(cs) == 0 {
		return Finding{}, false
	}
	c, f := pickWitness(cs, ps)
	w := e.witness(s, c, f)
	sub := e.subnets[st.subnet].s
	summary, _ := unionSummary(cs)
	return Finding{Check: CheckContainerGroupNoNAT, Severity: SeverityMedium,
		Scope: Scope{Kind: ScopeContainerGroup, ID: string(st.v.ID()), Name: st.v.Name()}, NICs: []NICRef{},
		Message: "subnet " + sub.VNet().Name() + "/" + sub.Name() + " has no NAT gateway, which Learn calls the only supported outbound configuration of a container group in a virtual network: whether its internet traffic leaves at all is undocumented (A-30); attach a NAT gateway, or route 0.0.0.0/0 to a firewall; " +
			"proved over every address, protocol and port: " + summary + " would leave by default outbound access, if a container group has it",
		Evidence: st.v.Name() + " -> " + flowLabel(w.Protocol, w.Destination, w.Port) + " " + e.Explain(c.Decision),
		Witness:  w, Classes: classLines(cs)}, true
}
