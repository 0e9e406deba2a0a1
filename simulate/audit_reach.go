package simulate

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"go4.org/netipx"
)

// The audit's internet checks (default-outbound-access, direct-internet,
// unstable-egress-ip) are proved on each NIC's egress map ([Engine.Reach]):
// a finding holds for some class of flows over every destination address,
// protocol and port, not for one of a few probes, and names the classes and
// a witness flow of them. The probes stay in the text, to say which of them
// a probe-based audit would have seen.

// Witness is a flow that shows a finding proved on an egress map: a member
// of the classes the finding names, traced from the representative source.
type Witness struct {
	// From is the source's resource ID.
	From        string        `json:"from"`
	Protocol    ipproto.Proto `json:"protocol"`
	Destination netip.Addr    `json:"destination"`
	// Port is the destination port, 0 for a protocol without ports.
	Port    uint16  `json:"port,omitempty"`
	Verdict Verdict `json:"verdict"`
	Method  Method  `json:"egressMethod,omitempty"`
	// Path summarises the traced hops, e.g. "Source vm-a (10.1.1.4) ->
	// Internet (52.0.0.1)".
	Path string `json:"path"`
}

// maxFindingClasses bounds Finding.Classes: past it, one last entry counts
// the rest.
const maxFindingClasses = 8

// auditMaps calls fn(h, m) for every NIC h of hs, in order, with NIC h's
// egress map m, or the part of it the audit reads: built by
// [Engine.ReachAll] when share is set (in parallel, NICs whose maps
// provably coincide sharing the work; each class is the one Reach builds),
// else by [Engine.Reach], one by one, whole (the slow twin:
// TestAuditReachAll holds the audit to it, byte for byte). It is the
// audit's one loop over NIC maps.
//
// The part (mapPart) is the classes that leave for the internet or by
// default outbound access, and every class of the flows to the probes'
// internet address ps.Internet (probeResults looks them up): what
// auditInternet reads. A NIC's whole map has a class per NIC it can
// deliver to, and assembling ten thousand of them costs most of an audit.
func (e *Engine) auditMaps(hs []int32, share bool, ps ProbeSet, fn func(h int32, m *EgressMap)) {
	if !share {
		for _, h := range hs {
			fn(h, e.Reach(NIC{e, h}))
		}
		return
	}
	if len(hs) == 0 {
		return // ReachAll's nil NICs would mean every NIC
	}
	nics := make([]NIC, len(hs))
	for i, h := range hs {
		nics[i] = NIC{e, h}
	}
	// fn returns no error and the context is never done: neither can stop it.
	part := &mapPart{keep: func(d Decision) bool { return internetBound(d) || d.Method == MethodDefaultOutbound }, at: []netip.Addr{ps.Internet}}
	_ = e.ReachAll(context.Background(), ReachAllOptions{NICs: nics, part: part}, func(n NIC, m *EgressMap) error {
		fn(n.h, m)
		return nil
	})
}

// internetBound reports whether the class's flows leave Azure for the
// internet (allowed, or Unknown on an assumption).
func internetBound(d Decision) bool {
	return (d.Verdict == Allowed || d.Verdict == Unknown) && d.Reason == ReasonInternet && d.Method.LeavesAzure()
}

// auditInternet decides the internet checks of NIC h on its egress map m.
func (e *Engine) auditInternet(agg *aggregator, h int32, m *EgressMap, ps ProbeSet) {
	agg.evaluate(CheckDefaultOutbound, h)
	if cs := m.DefaultOutbound(); len(cs) > 0 {
		agg.nic(CheckDefaultOutbound, SeverityHigh, h, msgDefaultOutbound, func() nicDetail { return e.classDetail(h, m, cs, ps) })
	}
	agg.evaluate(CheckUnstableEgressIP, h)
	if cs := m.Where(func(c *ReachClass) bool {
		d := c.Decision
		return internetBound(d) && d.egress >= 0 && e.egress[d.egress].unstable
	}); len(cs) > 0 {
		agg.nic(CheckUnstableEgressIP, SeverityLow, h, msgUnstableEgress, func() nicDetail { return e.classDetail(h, m, cs, ps) })
	}
	agg.evaluate(CheckDirectInternet, h)
	if cs := m.DirectInternet(); len(cs) > 0 {
		msg := "reaches the internet without passing a firewall or appliance (proved over every address, protocol and port): " +
			classesSummary(e, cs) + "; " + probesSeen(e, m, cs, ps)
		agg.nic(CheckDirectInternet, SeverityHigh, h, msg, func() nicDetail {
			d := e.classDetail(h, m, cs, ps)
			d.probes = e.probeResults(m, cs, ps)
			return d
		})
	}
}

// classDetail is the detail of a finding shown by classes cs of NIC h's
// map m: a witness traced from h, as evidence, and the classes. The
// witness is the first of the audit's outbound probes that falls in cs
// (HTTPS first: a flow people recognise), else the first class's.
func (e *Engine) classDetail(h int32, m *EgressMap, cs []*ReachClass, ps ProbeSet) nicDetail {
	c, f := pickWitness(cs, ps)
	w := e.witness(Source{e, SourceNIC, h}, c, f)
	return nicDetail{evidence: fmt.Sprintf("%s -> %s %s", e.nics[h].v.Name(), flowLabel(w.Protocol, w.Destination, w.Port), e.Explain(c.Decision)),
		witness: w, classes: classLines(cs)}
}

// pickWitness picks the witness of a finding shown by classes cs: the
// first of the audit's outbound probes that falls in cs (HTTPS first: a
// flow people recognise), else the first class's witness; and its class.
func pickWitness(cs []*ReachClass, ps ProbeSet) (*ReachClass, Flow) {
	for _, p := range ps.Outbound {
		for _, x := range cs {
			if x.Contains(ps.Internet, p.Protocol, p.Port) {
				return x, Flow{To: ps.Internet, Protocol: p.Protocol, Port: p.Port}
			}
		}
	}
	return cs[0], cs[0].Witness
}

// witness traces flow f, a member of class c, from source s (a shared map
// holds s's outcome for it).
func (e *Engine) witness(s Source, c *ReachClass, f Flow) *Witness {
	f.From = s.ID()
	w := &Witness{From: f.From, Protocol: f.Protocol, Destination: f.To, Port: f.Port, Verdict: c.Decision.Verdict, Method: c.Decision.Method}
	if r, err := e.TraceFrom(s, f); err == nil {
		w.Path = hopSummary(r)
	}
	return w
}

// hopSummary renders a result's hops in one line: "Source vm-a (10.1.1.4)
// -> AzureFirewall fw-hub (10.0.1.4) -> Internet (52.0.0.1)".
func hopSummary(r *Result) string {
	parts := make([]string, len(r.Hops))
	for i, h := range r.Hops {
		s := h.Kind.String()
		if h.Name != "" {
			s += " " + h.Name
		}
		if h.Address.IsValid() {
			s += " (" + h.Address.String() + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, " -> ")
}

// flowLabel renders "52.0.0.1:443/Tcp", or "52.0.0.1/Icmp".
func flowLabel(p ipproto.Proto, dst netip.Addr, port uint16) string {
	if p.HasPorts() {
		return fmt.Sprintf("%s:%d/%v", dst, port, p)
	}
	return fmt.Sprintf("%s/%v", dst, p)
}

// classLines describes classes one a line, at most maxFindingClasses (and
// one counting the rest): "Tcp 1-24,26-65535 to 0.0.0.0/5 8.0.0.0/7
// 11.0.0.0/8 ... (31 prefixes): Allowed via NATGateway".
func classLines(cs []*ReachClass) []string {
	var out []string
	for i, c := range cs {
		if i == maxFindingClasses {
			out = append(out, fmt.Sprintf("... and %d more classes", len(cs)-i))
			break
		}
		s := c.ProtocolString()
		if c.Ports != nil {
			s += " " + c.PortString()
		}
		s += " to " + c.PrefixString(3) + ": " + c.Decision.Verdict.String()
		if c.Decision.Method != MethodNone {
			s += " via " + c.Decision.Method.String()
		}
		out = append(out, s)
	}
	return out
}

// classesSummary says what classes cs hold together: per protocol the
// ports, then the destinations, e.g. "Tcp 1-65535, Udp 1-65535, Icmp to
// 0.0.0.0/5 8.0.0.0/7 11.0.0.0/8 ... (31 IPv4 prefixes)"; the flows that
// are Unknown are named apart.
func classesSummary(e *Engine, cs []*ReachClass) string {
	var known, unknown []*ReachClass
	for _, c := range cs {
		if c.Decision.Verdict == Unknown {
			unknown = append(unknown, c)
		} else {
			known = append(known, c)
		}
	}
	s, kAddrs := unionSummary(known)
	if len(unknown) > 0 {
		u, uAddrs := unionSummary(unknown)
		if s != "" && uAddrs == kAddrs {
			u = strings.TrimSuffix(u, uAddrs) + "the same addresses"
		}
		why := "on an assumption the input leaves open"
		if allSMTP(e, unknown) {
			why = "if the subscription type lets it out"
		}
		if s == "" {
			s = u + " " + why
		} else {
			s += "; and " + u + " " + why
		}
	}
	return s
}

// allSMTP reports whether every class of cs is Unknown only for Azure's
// SMTP restriction (TCP port 25, Options.SMTP unknown).
func allSMTP(e *Engine, cs []*ReachClass) bool {
	for _, c := range cs {
		w := c.Witness
		if e.smtp(w.Protocol, w.Port, c.Decision.Method) != SMTPUnknown {
			return false
		}
	}
	return true
}

// unionSummary renders the union of classes' protocols and ports, then of
// their destinations (addrs: the destinations' part).
func unionSummary(cs []*ReachClass) (s, addrs string) {
	if len(cs) == 0 {
		return "", ""
	}
	var protos []string
	for pi, p := range reachProtos {
		var ports []PortRange
		has := false
		for _, c := range cs {
			if !c.HasProtocol(p) {
				continue
			}
			has = true
			ports = append(ports, c.Ports...)
		}
		if !has {
			continue
		}
		name := p.String()
		if pi == reachOther {
			name = "other protocols"
		}
		if p.HasPorts() {
			slices.SortFunc(ports, func(a, b PortRange) int { return int(a.Lo) - int(b.Lo) })
			x := ReachClass{Ports: mergePorts(ports)}
			name += " " + x.PortString()
		}
		protos = append(protos, name)
	}
	var b netipx.IPSetBuilder
	for _, c := range cs {
		for _, p := range c.Prefixes {
			b.AddPrefix(p)
		}
	}
	set, _ := b.IPSet()
	all := ReachClass{Prefixes: set.Prefixes()}
	addrs = all.PrefixString(3)
	return strings.Join(protos, ", ") + " to " + addrs, addrs
}

// probesSeen says which of the audit's outbound probes fall in classes cs,
// or that none does: what an audit by probes would have seen.
func probesSeen(e *Engine, m *EgressMap, cs []*ReachClass, ps ProbeSet) string {
	var yes []string
	for _, p := range ps.Outbound {
		if slices.ContainsFunc(cs, func(c *ReachClass) bool { return c.Contains(ps.Internet, p.Protocol, p.Port) }) {
			yes = append(yes, p.String())
		}
	}
	if len(yes) == 0 {
		return fmt.Sprintf("none of the %d probed flows to %s does (an audit by probes would miss it)", len(ps.Outbound), ps.Internet)
	}
	return fmt.Sprintf("%d of the %d probed flows to %s do: %s", len(yes), len(ps.Outbound), ps.Internet, strings.Join(yes, ", "))
}

// probeResults shows the outbound probes as the map decides them.
func (e *Engine) probeResults(m *EgressMap, cs []*ReachClass, ps ProbeSet) []ProbeResult {
	rs := make([]ProbeResult, len(ps.Outbound))
	for i, p := range ps.Outbound {
		r := ProbeResult{Probe: p, Direction: nsg.Outbound, Address: ps.Internet}
		c, ok := m.Lookup(ps.Internet, p.Protocol, p.Port)
		if !ok {
			rs[i] = r
			continue
		}
		d := c.Decision
		r.Verdict, r.Method = d.Verdict, d.Method
		r.Open = slices.Contains(cs, c)
		switch {
		case r.Open && d.Verdict == Unknown && e.smtp(p.Protocol, p.Port, d.Method) == SMTPUnknown:
			r.Note = "if the subscription type lets TCP port 25 out (Options.SMTP; https://learn.microsoft.com/azure/virtual-network/troubleshoot-outbound-smtp-connectivity)"
		case !r.Open && d.Hops > 0:
			r.Note = fmt.Sprintf("crosses %d appliance(s): %s", d.Hops, e.Explain(d))
		default:
			r.Note = e.Explain(d)
		}
		rs[i] = r
	}
	return rs
}
