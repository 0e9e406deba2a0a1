package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/nsg"
	"go4.org/netipx"
)

// vnet-tag-widened
//
// Why: the VirtualNetwork service tag is not the VNet. It is "the virtual
// network address space ..., all connected on-premises address spaces,
// peered virtual networks, virtual networks connected to a virtual network
// gateway, the virtual IP address of the host, and address prefixes used on
// user-defined routes. This tag might also contain default routes"
// (https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags).
// A UDR 0.0.0.0/0 to a firewall, the usual forced-tunnelling route, thus
// makes the tag every address, and the default rules AllowVnetInBound and
// AllowVnetOutBound (priority 65000, before DenyAllInBound) admit the whole
// internet on every port (MicrosoftDocs/azure-docs issues #22178 and
// #124192; azure-semantics §2.5, §7.11). The same holds for any user rule
// naming VirtualNetwork, and, to a lesser extent, for on-premises prefixes
// learned through the gateway: they are in the tag by design, but the
// default rules then admit all of on-premises.
//
// What is reported: per subnet with audited NICs, the prefixes of the tag
// that lie outside the VNet's address space and its peers' (Scope.Context,
// read from the compiled engine: UDR and gateway prefixes), each named with
// where it came from (the route table and route, the gateway and how it
// learned the prefix). Whether it takes effect is asked of each NIC's
// classifier: the inbound probes from, and the outbound probes to, one
// address of the widened part (the probe address 52.0.0.1 when the tag
// holds it, else the first public address of the widened part, else its
// first address), and the finding says which probes a rule naming
// VirtualNetwork admitted. NICs without any NSG or admin rule are skipped:
// nothing there reads the tag.
//
// Severity (a choice): high when the tag holds a default route (0.0.0.0/0,
// ::/0) and a rule naming VirtualNetwork admits a probe: the tag stands for
// the internet; medium when the widened part holds other public
// (Internet-tag) addresses; low when it holds only private ones (typically
// on-premises ranges, in the tag as documented), or when no rule naming
// VirtualNetwork admits any probe at the NIC (overridden by higher-priority
// rules: latent).

// tagWidening is the widened part of one subnet's VirtualNetwork tag.
type tagWidening struct {
	prefixes []TagPrefix
	summary  string // the prefixes and where they came from, for messages
	rep      netip.Addr
	sev      Severity // when a probe is admitted
	why      string   // what the severity stands on
}

// vnetTagWidened runs vnet-tag-widened (see above).
func (e *Engine) vnetTagWidened(a *aggregator, ps ProbeSet) {
	audited := make([][]int32, len(e.subnets))
	for h, st := range e.nics {
		if !st.isPE {
			audited[st.subnet] = append(audited[st.subnet], int32(h))
		}
	}
	for i, nics := range audited {
		if len(nics) == 0 {
			continue
		}
		for _, h := range nics {
			a.evaluate(CheckVNetTagWidened, h)
		}
		w, ok := e.widening(int32(i), e.nics[nics[0]].cls.Scope(), ps)
		if !ok {
			continue
		}
		for _, h := range nics {
			e.tagWidenedNIC(a, h, w, ps)
		}
	}
}

// widening computes the widened part of subnet i's tag from its Scope.
func (e *Engine) widening(i int32, sc *nsg.Scope, ps ProbeSet) (tagWidening, bool) {
	ctx := sc.Context()
	var ob netipx.IPSetBuilder
	for _, p := range slices.Concat(ctx.AddressSpace, ctx.Peered) {
		ob.AddPrefix(p)
	}
	ob.AddPrefix(netip.PrefixFrom(nsg.HostIP, 32))
	own, _ := ob.IPSet()
	var w tagWidening
	var wb netipx.IPSetBuilder
	seen := map[TagPrefix]bool{}
	for _, o := range []struct {
		origin TagOrigin
		ps     []netip.Prefix
	}{{OriginUserRoute, ctx.UDR}, {OriginGateway, ctx.Gateway}} {
		for _, p := range o.ps {
			if own.ContainsPrefix(p) || seen[TagPrefix{Prefix: p, Origin: o.origin}] {
				continue
			}
			seen[TagPrefix{Prefix: p, Origin: o.origin}] = true
			w.prefixes = append(w.prefixes, TagPrefix{Prefix: p, Origin: o.origin})
			wb.AddPrefix(p)
		}
	}
	if len(w.prefixes) == 0 {
		return w, false
	}
	wb.RemoveSet(own)
	outside, _ := wb.IPSet()
	var pub netipx.IPSetBuilder
	pub.AddSet(outside)
	var ib netipx.IPSetBuilder
	for _, p := range sc.Prefixes("Internet") {
		ib.AddPrefix(p)
	}
	inet, _ := ib.IPSet()
	pub.Intersect(inet)
	public, _ := pub.IPSet()
	defaultRoute := slices.ContainsFunc(w.prefixes, func(t TagPrefix) bool { return t.Prefix.Bits() == 0 })
	switch {
	case defaultRoute:
		w.sev, w.why = SeverityHigh, "a default route makes the tag every address, the internet included (MicrosoftDocs/azure-docs#22178)"
	case len(public.Ranges()) > 0:
		w.sev, w.why = SeverityMedium, "the widened part holds public addresses"
	default:
		w.sev, w.why = SeverityLow, "the widened part holds only private addresses"
	}
	switch {
	case outside.Contains(ps.Internet):
		w.rep = ps.Internet
	case len(public.Ranges()) > 0:
		w.rep = public.Ranges()[0].From()
	case len(outside.Ranges()) > 0:
		w.rep = outside.Ranges()[0].From()
	default: // every widened prefix is inside the VNet and peers: not reachable
		return w, false
	}
	e.tagSources(i, w.prefixes)
	w.summary = summarizePrefixes(w.prefixes, 6)
	return w, true
}

// tagSources fills each prefix's From: the route of the subnet's route
// table, or the gateway (and Route Server) routes of its VNet, as
// [topology.VNetView.GatewayRoutes] lists them.
func (e *Engine) tagSources(i int32, ts []TagPrefix) {
	s := e.subnets[i].s
	var gw []string // per prefix index, for gateway origins
	for k := range ts {
		t := &ts[k]
		switch t.Origin {
		case OriginUserRoute:
			var from []string
			ref, _ := s.RouteTable()
			if rt, ok := e.net.LookupRouteTable(ref); ok {
				name := rt.Name()
				for _, r := range rt.Routes() {
					if p, err := netip.ParsePrefix(r.AddressPrefix); err == nil && p == t.Prefix {
						from = append(from, fmt.Sprintf("route %q of route table %s", r.Name, name))
					}
				}
			}
			t.From = strings.Join(from, "; ")
		case OriginGateway:
			if gw == nil {
				gw = make([]string, len(ts))
				routes := s.VNet().GatewayRoutes()
				for j := range ts {
					var from []string
					for _, r := range routes {
						if r.Prefix == ts[j].Prefix {
							if f := fmt.Sprintf("gateway %s (%v)", r.Gateway, r.Origin); !slices.Contains(from, f) {
								from = append(from, f)
							}
						}
					}
					gw[j] = strings.Join(from, "; ")
				}
			}
			t.From = gw[k]
		}
	}
}

// summarizePrefixes renders at most n prefixes with their sources, merging
// the origins of one prefix: `0.0.0.0/0 (route "x" of route table rt)`.
func summarizePrefixes(ts []TagPrefix, n int) string {
	var order []netip.Prefix
	from := map[netip.Prefix][]string{}
	for _, t := range ts {
		if _, ok := from[t.Prefix]; !ok {
			order = append(order, t.Prefix)
		}
		if t.From != "" {
			from[t.Prefix] = append(from[t.Prefix], t.From)
		} else {
			from[t.Prefix] = append(from[t.Prefix], t.Origin.String())
		}
	}
	var parts []string
	for _, p := range order[:min(n, len(order))] {
		parts = append(parts, fmt.Sprintf("%v (%s)", p, strings.Join(from[p], "; ")))
	}
	if len(order) > n {
		parts = append(parts, fmt.Sprintf("and %d more prefixes", len(order)-n))
	}
	return strings.Join(parts, ", ")
}

// tagWidenedNIC probes NIC h and records its finding.
func (e *Engine) tagWidenedNIC(a *aggregator, h int32, w tagWidening, ps ProbeSet) {
	st := &e.nics[h]
	cls := st.cls
	if cls.Group(nsg.StageAdmin) == nil && cls.Group(nsg.StageNIC) == nil && cls.Group(nsg.StageSubnet) == nil {
		return // no rule reads the tag
	}
	local := st.addr
	if w.rep.Is6() {
		local = st.addr6
	}
	if !local.IsValid() {
		return
	}
	type dirProbes struct {
		dir    nsg.Direction
		probes []Probe
	}
	var rs []ProbeResult
	var said []string
	firstOpen := -1
	for _, dp := range []dirProbes{{nsg.Inbound, ps.Inbound}, {nsg.Outbound, ps.Outbound}} {
		var open []string
		var rules []string
		for _, p := range dp.probes {
			f := nsg.Flow{Direction: dp.dir, Proto: p.Protocol, Src: w.rep, Dst: local, SrcPort: EphemeralPort, DstPort: p.Port}
			if dp.dir == nsg.Outbound {
				f.Src, f.Dst = local, w.rep
			}
			v := cls.Verdict(f)
			r := ProbeResult{Probe: p, Direction: dp.dir, Address: w.rep, Verdict: nsgVerdict(v), Note: nsgDecider(cls, v, dp.dir)}
			if by := vnetRules(cls, v, dp.dir); len(by) > 0 {
				r.Open = true
				open = append(open, p.String())
				for _, b := range by {
					if !slices.Contains(rules, b) {
						rules = append(rules, b)
					}
				}
				if firstOpen < 0 {
					firstOpen = len(rs)
				}
			}
			rs = append(rs, r)
		}
		if len(open) > 0 {
			word := "inbound from"
			if dp.dir == nsg.Outbound {
				word = "outbound to"
			}
			said = append(said, fmt.Sprintf("%s %s: %s (%s)", word, w.rep, strings.Join(open, ", "), strings.Join(rules, ", ")))
		}
	}
	msg := "the VirtualNetwork service tag reaches beyond the VNet and its peers: " + w.summary
	sev := w.sev
	if len(said) > 0 {
		msg += "; " + w.why + "; rules naming VirtualNetwork admit the probes " + strings.Join(said, "; ")
	} else {
		sev = SeverityLow
		msg += "; no rule naming VirtualNetwork admits the probes from or to " + w.rep.String() + " here: higher-priority rules decide them (latent)"
	}
	a.nic(CheckVNetTagWidened, sev, h, msg, func() nicDetail {
		if len(rs) == 0 {
			return nicDetail{prefixes: w.prefixes}
		}
		k := max(firstOpen, 0)
		r := rs[k]
		src, dst := w.rep.String(), fmt.Sprintf("%s (%s)", st.v.Name(), local)
		if r.Direction == nsg.Outbound {
			src, dst = dst, src
		}
		ev := fmt.Sprintf("%s -> %s %v/%d: %s", src, dst, r.Protocol, r.Port, r.Verdict)
		if r.Note != "" {
			ev += " (" + r.Note + ")"
		}
		return nicDetail{evidence: ev, probes: rs, prefixes: w.prefixes}
	})
}

// vnetRules names the rules that admitted verdict v and name VirtualNetwork
// on the remote side (the source of an inbound flow, the destination of an
// outbound one): "AllowVnetInBound". The NSG is left out, so that NICs with
// NSGs of their own (one per VM is the portal's default) whose rules read
// the same share one finding; the probes' notes name it.
func vnetRules(cls *nsg.Classifier, v nsg.Verdict, d nsg.Direction) []string {
	if !v.Allowed() {
		return nil
	}
	var out []string
	for _, st := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
		ri, ok := cls.RuleOf(v, d, st)
		if !ok || ri.Access == nsg.Deny {
			continue
		}
		side := ri.Destination
		if d == nsg.Inbound {
			side = ri.Source
		}
		if slices.Contains(side, "VirtualNetwork") {
			out = append(out, ri.Name)
		}
	}
	return out
}
