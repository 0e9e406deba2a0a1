package simulate

import (
	"cmp"
	"slices"
	"strings"
)

// The audit reports findings about NICs per subnet, or per VNet, not per NIC:
// on a network of 10,000 NICs the per-NIC listing gave 21,000 lines. The
// aggregator collects each NIC's finding under the key (check, subnet,
// severity, message); NICs whose finding reads the same form one Finding,
// with every NIC listed and the evidence of the first one added (model
// order). A VNet with two or more subnets where the check evaluated NICs
// gets one Finding for the whole VNet instead of one per subnet when every
// NIC the check evaluated in it has the same finding. With a single such
// subnet the subnet stays the scope: it is the more precise name.

// nicDetail is what a finding about NICs shows of its representative.
type nicDetail struct {
	evidence string
	probes   []ProbeResult
	prefixes []TagPrefix
	witness  *Witness
	classes  []string
}

type groupKey struct {
	check    Check
	subnet   int32
	severity Severity
	message  string
}

type nicGroup struct {
	groupKey
	nics   []int32
	detail func() nicDetail // of nics[0]
}

type checkSubnet struct {
	check  Check
	subnet int32
}

type aggregator struct {
	e         *Engine
	groups    map[groupKey]*nicGroup
	order     []*nicGroup
	evaluated map[checkSubnet]int // NICs each check evaluated in each subnet
	resources []Finding
}

func newAggregator(e *Engine) *aggregator {
	return &aggregator{e: e, groups: map[groupKey]*nicGroup{}, evaluated: map[checkSubnet]int{}}
}

// evaluated records that check c evaluated NIC h (whether or not it found
// anything).
func (a *aggregator) evaluate(c Check, h int32) { a.evaluated[checkSubnet{c, a.e.nics[h].subnet}]++ }

// nic records a finding of check c about NIC h. detail is called at most
// once, for the first NIC of its group, so that evidence is rendered once
// per finding rather than once per NIC.
func (a *aggregator) nic(c Check, sev Severity, h int32, message string, detail func() nicDetail) {
	k := groupKey{c, a.e.nics[h].subnet, sev, message}
	g, ok := a.groups[k]
	if !ok {
		g = &nicGroup{groupKey: k, detail: detail}
		a.groups[k] = g
		a.order = append(a.order, g)
	}
	g.nics = append(g.nics, h)
}

// resource records a finding about one resource.
func (a *aggregator) resource(f Finding) {
	if f.NICs == nil {
		f.NICs = []NICRef{}
	}
	f.NICCount = len(f.NICs)
	a.resources = append(a.resources, f)
}

// findings returns every finding, aggregated and sorted.
func (a *aggregator) findings() []Finding {
	e := a.e
	// Subnets per VNet where each check evaluated NICs.
	type checkVNet struct {
		check Check
		vnet  int32
	}
	eligible := map[checkVNet][]int32{}
	for cs := range a.evaluated {
		k := checkVNet{cs.check, e.subnets[cs.subnet].vnet}
		eligible[k] = append(eligible[k], cs.subnet)
	}
	type vnetKey struct {
		check    Check
		vnet     int32
		severity Severity
		message  string
	}
	merged := map[vnetKey]bool{}
	wholeVNet := func(g *nicGroup) bool {
		v := e.subnets[g.subnet].vnet
		k := vnetKey{g.check, v, g.severity, g.message}
		if done, ok := merged[k]; ok {
			return done
		}
		subs := eligible[checkVNet{g.check, v}]
		all := len(subs) >= 2
		for _, s := range subs {
			o, ok := a.groups[groupKey{g.check, s, g.severity, g.message}]
			all = all && ok && len(o.nics) == a.evaluated[checkSubnet{g.check, s}]
		}
		merged[k] = all
		return all
	}
	out := append([]Finding{}, a.resources...) // never nil: the JSON says [] for no findings
	emitted := map[vnetKey]bool{}
	for _, g := range a.order {
		ss := &e.subnets[g.subnet]
		scope := Scope{Kind: ScopeSubnet, ID: string(ss.s.ID()), Name: ss.s.VNet().Name() + "/" + ss.s.Name()}
		nics := g.nics
		if wholeVNet(g) {
			k := vnetKey{g.check, ss.vnet, g.severity, g.message}
			if emitted[k] {
				continue
			}
			emitted[k] = true
			v := e.vnets[ss.vnet].v
			scope = Scope{Kind: ScopeVirtualNetwork, ID: string(v.ID()), Name: v.Name()}
			nics = nil
			for _, o := range a.order { // the VNet's groups in model order: the representative stays g's first NIC
				if o.groupKey.check == g.check && o.severity == g.severity && o.message == g.message && e.subnets[o.subnet].vnet == ss.vnet {
					nics = append(nics, o.nics...)
				}
			}
		}
		d := g.detail()
		out = append(out, Finding{Check: g.check, Severity: g.severity, Scope: scope, Message: g.message,
			Evidence: d.evidence, Probes: d.probes, Prefixes: d.prefixes, Witness: d.witness, Classes: d.classes, NICCount: len(nics), NICs: a.refs(nics)})
	}
	sortFindings(out)
	return out
}

// refs names NICs, sorted by name then ID.
func (a *aggregator) refs(hs []int32) []NICRef {
	out := make([]NICRef, len(hs))
	for i, h := range hs {
		n := a.e.nics[h].v
		out[i] = NICRef{Name: n.Name(), ID: string(n.ID())}
	}
	slices.SortFunc(out, func(x, y NICRef) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(strings.ToLower(x.ID), strings.ToLower(y.ID)))
	})
	return out
}
