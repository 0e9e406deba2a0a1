package simulate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/topology"
)

// nsg-allows-internet-inbound
//
// Why: "We recommend that you disable direct RDP and SSH access to your Azure
// virtual machines from the internet" — attackers brute-force them and then
// use the VM to reach the rest of the network
// (https://learn.microsoft.com/azure/security/fundamentals/network-best-practices#disable-rdpssh-access-to-virtual-machines);
// and "don't assign allow rules with broad ranges" (same page, "Logically
// segment subnets"). Inbound traffic is denied by default (DenyAllInBound,
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules),
// so an exposure is always a user rule.
//
// What is selected: every Allow Inbound user rule whose source is *, Any,
// 0.0.0.0/0 or Internet, and which admits SSH (Tcp/22), RDP (Tcp/3389 or
// Udp/3389) or every port — the rule's protocol and destination ports, as
// written, contain one of the inbound probes of [AuditProbes]. ICMP, ESP and
// AH rules carry no ports and are not selected.
//
// Whether it takes effect is asked of the compiled classifiers, not of the
// rule's text: for every NIC the NSG applies to (on its subnet, or on the
// NIC), each selected probe from the probe address (52.0.0.1) to the NIC's
// primary address is classified, and the rule is in effect at the NIC when
// the flow is allowed and this very rule matched at its NSG's stage. A rule
// shadowed by a higher-priority deny in its NSG, or whose flow the other
// NSG (or an admin rule) denies, is therefore not in effect there. A rule
// whose destination does not hold the NIC is not either.
//
// Severity (a choice): high when the rule is in effect at a NIC reachable
// from the internet as the model stands (a public IP on an IP
// configuration, or a backend pool of a public load balancer with a
// load-balancing rule); medium when it is in effect only at NICs without
// one (a public IP, a load balancer or a firewall DNAT rule added later
// exposes them; "*" also admits every on-premises and peered source); low
// when it is in effect at no NIC (overridden everywhere, or the NSG is
// associated with nothing), reported because removing the deny that
// shadows it opens the port. The finding lists the NICs where the rule is
// in effect.

// internetSource reports whether an inbound rule's source is the whole
// internet as written: *, Any, 0.0.0.0/0 or Internet.
func internetSource(r *nsg.Rule) (string, bool) {
	for _, s := range append([]string{r.SourceAddressPrefix}, r.SourceAddressPrefixes...) {
		if s == "*" || s == "0.0.0.0/0" || strings.EqualFold(s, "Any") || strings.EqualFold(s, "Internet") {
			return s, true
		}
	}
	return "", false
}

// portItemHas reports whether a port item ("*", "22", "1000-2000") holds p.
func portItemHas(item string, p uint16) bool {
	item = strings.TrimSpace(item)
	if item == "*" {
		return true
	}
	lo, hi, isRange := strings.Cut(item, "-")
	a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	if !isRange {
		return err1 == nil && uint64(p) == a
	}
	b, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	return err1 == nil && err2 == nil && a <= uint64(p) && uint64(p) <= b
}

// ruleProbes returns the inbound probes a rule admits as written.
func ruleProbes(r *nsg.Rule, probes []Probe) []Probe {
	ports := r.DestinationPortRanges
	if len(ports) == 0 {
		ports = []string{r.DestinationPortRange}
		if r.DestinationPortRange == "" {
			ports = []string{"*"}
		}
	}
	var out []Probe
	for _, p := range probes {
		if !r.Protocol.Matches(p.Protocol) {
			continue
		}
		if slices.ContainsFunc(ports, func(it string) bool { return portItemHas(it, p.Port) }) {
			out = append(out, p)
		}
	}
	return out
}

// binding is one place an NSG applies: NIC h, at the stage of its subnet's
// NSG or of its own.
type binding struct {
	h     int32
	stage nsg.Stage
}

// internetInbound runs nsg-allows-internet-inbound (see above).
func (e *Engine) internetInbound(ps ProbeSet, add func(Finding)) {
	bound := map[string][]binding{} // NSG ID key → where it is bound, in NIC order
	for h := range e.nics {
		st := &e.nics[h]
		for _, stage := range []nsg.Stage{nsg.StageSubnet, nsg.StageNIC} {
			if g := st.cls.Group(stage); g != nil {
				k := strings.ToLower(g.ID())
				bound[k] = append(bound[k], binding{int32(h), stage})
			}
		}
	}
	for i := range e.net.NumNSGs() {
		g := e.net.NSG(i).Resource()
		for j := range g.Rules {
			r := &g.Rules[j]
			if r.Direction != nsg.Inbound || r.Access != nsg.Allow {
				continue
			}
			src, ok := internetSource(r)
			if !ok {
				continue
			}
			probes := ruleProbes(r, ps.Inbound)
			if len(probes) == 0 {
				continue
			}
			add(e.inboundFinding(g, j, src, probes, bound[g.ID.Key()], ps))
		}
	}
}

// inboundFinding decides one selected rule: rule index j of NSG g, bound at
// binds.
func (e *Engine) inboundFinding(g *topology.NSG, j int, src string, probes []Probe, binds []binding, ps ProbeSet) Finding {
	r := &g.Rules[j]
	var subnets, nicNames []string
	seenSubnet := map[int32]bool{}
	var inEffect, exposed []int32
	var exposure []string
	rep, repStage := int32(-1), nsg.StageNIC
	seenNIC := map[int32]bool{}
	for _, b := range binds {
		st := &e.nics[b.h]
		if b.stage == nsg.StageSubnet && !seenSubnet[st.subnet] {
			seenSubnet[st.subnet] = true
			s := e.subnets[st.subnet].s
			subnets = append(subnets, s.VNet().Name()+"/"+s.Name())
		}
		if b.stage == nsg.StageNIC {
			nicNames = append(nicNames, st.v.Name())
		}
		if !st.addr.Is4() || seenNIC[b.h] {
			continue
		}
		open := e.inboundOpen(b.h, b.stage, j, probes, ps)
		if !slices.Contains(open, true) {
			if rep < 0 {
				rep, repStage = b.h, b.stage
			}
			continue
		}
		seenNIC[b.h] = true
		inEffect = append(inEffect, b.h)
		if why, ok := e.publicIngress(b.h); ok {
			exposed = append(exposed, b.h)
			if len(exposure) < 3 {
				exposure = append(exposure, st.v.Name()+" ("+why+")")
			}
		}
	}
	switch {
	case len(exposed) > 0:
		rep, repStage = exposed[0], stageOf(binds, exposed[0])
	case len(inEffect) > 0:
		rep, repStage = inEffect[0], stageOf(binds, inEffect[0])
	}
	ports := r.DestinationPortRange
	if len(r.DestinationPortRanges) > 0 {
		ports = strings.Join(r.DestinationPortRanges, ",")
	} else if ports == "" {
		ports = "*"
	}
	msg := fmt.Sprintf("rule %q (priority %d) of NSG %s allows %s from %s (protocol %v, ports %s)", r.Name, r.Priority, g.Name, labels(probes), src, r.Protocol, ports)
	var where []string
	if len(subnets) > 0 {
		where = append(where, "subnet "+strings.Join(firstN(subnets, 5), ", "))
	}
	if len(nicNames) > 0 {
		where = append(where, "NIC "+strings.Join(firstN(nicNames, 5), ", "))
	}
	sev := SeverityLow
	switch {
	case len(where) == 0:
		msg += "; the NSG applies to no NIC in the model (no subnet or NIC with NICs is associated with it): in effect nowhere"
	case len(inEffect) == 0:
		msg += "; associated with " + strings.Join(where, " and ") + ", but in effect at no NIC: at each, another rule decides the probes from " +
			ps.Internet.String() + " first (a higher-priority rule of its NSG, the other NSG or an admin rule; the evidence names it), and the port opens if that rule goes"
	default:
		sev = SeverityMedium
		msg += fmt.Sprintf("; associated with %s; in effect at %d NIC(s)", strings.Join(where, " and "), len(inEffect))
		if len(exposed) > 0 {
			sev = SeverityHigh
			msg += fmt.Sprintf(", %d reachable from the internet: %s", len(exposed), strings.Join(exposure, ", "))
			if len(exposed) > len(exposure) {
				msg += ", …"
			}
		} else {
			msg += ", none with a public IP or public load balancer in the model"
		}
	}
	f := Finding{Check: CheckNSGAllowsInternetInbound, Severity: sev, Scope: ruleScope(g, r.Name), Message: msg, NICs: e.nicRefs(inEffect)}
	if rep >= 0 {
		f.Probes, f.Evidence = e.inboundProbes(rep, repStage, j, probes, ps)
	}
	return f
}

// stageOf returns the stage at which binds first bind NIC h.
func stageOf(binds []binding, h int32) nsg.Stage {
	for _, b := range binds {
		if b.h == h {
			return b.stage
		}
	}
	return nsg.StageNIC
}

// inboundFlow is the inbound probe p from the probe address to NIC h.
func (e *Engine) inboundFlow(h int32, p Probe, ps ProbeSet) nsg.Flow {
	return nsg.Flow{Direction: nsg.Inbound, Proto: p.Protocol, Src: ps.Internet, Dst: e.nics[h].addr, SrcPort: EphemeralPort, DstPort: p.Port}
}

// inboundOpen reports, per probe, whether NIC h allows it by user rule j of
// the NSG bound at stage.
func (e *Engine) inboundOpen(h int32, stage nsg.Stage, j int, probes []Probe, ps ProbeSet) []bool {
	cls := e.nics[h].cls
	idx := compiledIndex(cls.Group(stage), nsg.Inbound, j)
	out := make([]bool, len(probes))
	for i, p := range probes {
		v := cls.Verdict(e.inboundFlow(h, p, ps))
		out[i] = idx >= 0 && v.Allowed() && int(v.Rules.At(stage)) == idx
	}
	return out
}

// inboundProbes renders the probes at the representative NIC h.
func (e *Engine) inboundProbes(h int32, stage nsg.Stage, j int, probes []Probe, ps ProbeSet) ([]ProbeResult, string) {
	st := &e.nics[h]
	open := e.inboundOpen(h, stage, j, probes, ps)
	rs := make([]ProbeResult, len(probes))
	var ev []string
	for i, p := range probes {
		v := st.cls.Verdict(e.inboundFlow(h, p, ps))
		rs[i] = ProbeResult{Probe: p, Direction: nsg.Inbound, Address: ps.Internet, Verdict: nsgVerdict(v), Open: open[i], Note: nsgDecider(st.cls, v, nsg.Inbound)}
		ev = append(ev, fmt.Sprintf("%v/%d %s", p.Protocol, p.Port, nsgOutcome(st.cls, v, nsg.Inbound)))
	}
	return rs, fmt.Sprintf("%s -> %s (%s): %s", ps.Internet, st.v.Name(), st.addr, strings.Join(ev, "; "))
}

// compiledIndex returns the index, in g's evaluation order of direction d,
// of user rule number j of the NSG's input, or -1.
func compiledIndex(g *nsg.Group, d nsg.Direction, j int) int {
	if g == nil {
		return -1
	}
	for i := range g.Len(d) {
		if ri := g.Rule(d, i); !ri.Default && ri.Index == j {
			return i
		}
	}
	return -1
}

// nsgVerdict maps a security verdict to Allowed or Denied.
func nsgVerdict(v nsg.Verdict) Verdict {
	if v.Allowed() {
		return Allowed
	}
	return Denied
}

// auditStageNames name the stages in the audit's sentences.
var auditStageNames = [...]string{nsg.StageAdmin: "admin rules", nsg.StageNIC: "NIC NSG", nsg.StageSubnet: "subnet NSG"}

// nsgDecider names the rule that decided v: "subnet NSG nsg-web:
// securityRules/allow-ssh", or "" when none did.
func nsgDecider(cls *nsg.Classifier, v nsg.Verdict, d nsg.Direction) string {
	st, ok := v.Decider(d)
	if !ok {
		if v.Reason == nsg.ReasonNoNSG {
			return "no NSG applies"
		}
		return ""
	}
	ri, ok := cls.RuleOf(v, d, st)
	g := cls.Group(st)
	if !ok || g == nil {
		return ""
	}
	return fmt.Sprintf("%s %s: %s", auditStageNames[st], g.Name(), ri.DisplayName(nsg.ViewIPFlowVerify))
}

// nsgOutcome renders a verdict as "Allow (subnet NSG nsg-web: ...)".
func nsgOutcome(cls *nsg.Classifier, v nsg.Verdict, d nsg.Direction) string {
	if by := nsgDecider(cls, v, d); by != "" {
		return v.Access.String() + " (" + by + ")"
	}
	return v.Access.String()
}

// publicIngress says how the internet reaches NIC h as the network stands: a
// public IP on one of its IP configurations, or a backend pool of a public
// load balancer with a load-balancing rule
// (https://learn.microsoft.com/azure/load-balancer/components#load-balancing-rules).
// Firewall DNAT rules are not considered.
func (e *Engine) publicIngress(h int32) (string, bool) {
	ipcs := e.cold[h].ipcs
	for _, c := range ipcs {
		if p, ok := e.net.PublicIP(c.PublicIP); ok {
			return fmt.Sprintf("public IP %s %s", p.Name, p.Address), true
		}
	}
	for _, lb := range e.lbs {
		public := map[string]bool{}
		for _, fe := range lb.Frontends {
			if !fe.PublicIP.IsZero() || !fe.PublicIPPrefix.IsZero() {
				public[fe.ID.Key()] = true
			}
		}
		for _, rule := range lb.Rules {
			if !public[rule.Frontend.Key()] {
				continue
			}
			for _, c := range ipcs {
				if refIn(rule.BackendPool, c.BackendPools) {
					return fmt.Sprintf("public load balancer %s, rule %s", lb.Name, rule.Name), true
				}
			}
		}
	}
	return "", false
}

// nicRefs names NIC handles, sorted by name then ID.
func (e *Engine) nicRefs(hs []int32) []NICRef {
	return (&aggregator{e: e}).refs(hs)
}

// firstN returns at most n items, with "…and k more" for the rest.
func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(slices.Clone(s[:n]), fmt.Sprintf("and %d more", len(s)-n))
}
