package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/ipproto"
)

// Change is one flow whose outcome differs between two engines.
type Change struct {
	Flow   Flow
	Before *Result
	After  *Result
	// What lists what changed: "verdict", "egressMethod", "egressIpAddresses", "path".
	What []string
	// Cause names the first hop where the two paths differ, with the route or
	// rule chosen there before and after.
	Cause string
}

// String renders the change on one line.
func (c Change) String() string {
	return fmt.Sprintf("%v: %s -> %s (%s); %s", c.Flow, outcome(c.Before), outcome(c.After), strings.Join(c.What, ", "), c.Cause)
}

func outcome(r *Result) string {
	if r == nil {
		return "error"
	}
	s := r.Verdict.String() + " via " + r.EgressMethod.String()
	for _, a := range r.EgressIPs {
		s += " " + a.String()
	}
	return s
}

// Diff traces each flow in both engines (typically a model before and after
// a change) and returns the flows whose verdict, egress method, egress
// addresses or path differ, in the order given. A flow that cannot be traced
// in one engine (its source NIC is gone) is reported as a change too. A
// flow's From may name an AI services account or a web app too
// ([Engine.Source]).
func Diff(before, after *Engine, flows []Flow) []Change {
	var out []Change
	for _, f := range flows {
		b, errB := before.traceAny(f)
		a, errA := after.traceAny(f)
		c := Change{Flow: f, Before: b, After: a}
		switch {
		case errB != nil && errA != nil:
			continue
		case errB != nil || errA != nil:
			c.What = []string{"source"}
			c.Cause = fmt.Sprintf("before: %v; after: %v", errText(errB), errText(errA))
			out = append(out, c)
			continue
		}
		if a.Verdict != b.Verdict {
			c.What = append(c.What, "verdict")
		}
		if a.EgressMethod != b.EgressMethod {
			c.What = append(c.What, "egressMethod")
		}
		if !slices.Equal(a.EgressIPs, b.EgressIPs) {
			c.What = append(c.What, "egressIpAddresses")
		}
		i := firstDifference(b.Hops, a.Hops)
		if i >= 0 {
			c.What = append(c.What, "path")
		}
		if len(c.What) == 0 {
			continue
		}
		if i < 0 {
			i = min(len(a.Hops), len(b.Hops)) - 1
		}
		c.Cause = fmt.Sprintf("at hop %d: before %s; after %s", i+1, describeHop(b.Hops, i), describeHop(a.Hops, i))
		out = append(out, c)
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// firstDifference returns the index of the first hop that differs in place,
// route or security, or -1 when the paths are the same.
func firstDifference(a, b []Hop) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || hopKey(a[i]) != hopKey(b[i]) {
			return i
		}
	}
	return -1
}

func hopKey(h Hop) string { return describeHop([]Hop{h}, 0) }

func describeHop(hops []Hop, i int) string {
	if i < 0 || i >= len(hops) {
		return "(no hop)"
	}
	h := hops[i]
	s := h.Kind.String()
	if h.Name != "" {
		s += " " + h.Name
	}
	for _, sec := range h.Security {
		s += fmt.Sprintf(", %s %s %s %s", sec.Direction, sec.Source(), sec.Access, sec.Rule)
	}
	if r := h.Route; r != nil {
		s += fmt.Sprintf(", route %v -> %v", r.Prefix, r.NextHopType)
		if r.Name != "" {
			s += fmt.Sprintf(" (%q)", r.Name)
		}
	}
	if h.Note != "" {
		s += ", " + h.Note
	}
	return s
}

// WhatIf chooses the flows a what-if comparison ([Diff]) traces when the
// user names no flows of their own.
type WhatIf struct {
	// From limits the flows to those from this NIC; the zero NIC means
	// every NIC of the engine, in handle order.
	From NIC
	// To, when valid, is the one destination to probe from each source
	// (with Port and Protocol; zero Protocol is TCP, as in [Flow]); its
	// From is ignored.
	To Flow
}

// whatIfInternet is the internet address the default probes use: a public
// address outside the private ranges, which routes to the Internet next hop
// unless a route of the design covers it.
var whatIfInternet = netip.MustParseAddr("52.0.0.1")

// maxWhatIfMesh is the number of NICs up to which the default probes
// include every NIC-to-NIC flow (n×(n−1) flows).
const maxWhatIfMesh = 200

// Flows returns the probe flows: for each source NIC, w.To if it is set;
// otherwise an internet address on TCP 443 and UDP 53 and, in an engine of
// at most 200 NICs, every other NIC on TCP 443. The flows name their
// source by resource ID, so that they mean the same NIC in another
// network's engine.
func (w WhatIf) Flows(e *Engine) []Flow {
	var flows []Flow
	for _, n := range e.NICs() {
		if w.From.IsValid() && w.From != n {
			continue
		}
		src := n.ID()
		if w.To.To.IsValid() || w.To.ToFQDN != "" {
			f := w.To
			f.From = src
			flows = append(flows, f)
			continue
		}
		flows = append(flows, Flow{From: src, To: whatIfInternet, Protocol: ipproto.TCP, Port: 443},
			Flow{From: src, To: whatIfInternet, Protocol: ipproto.UDP, Port: 53})
		if e.NumNICs() <= maxWhatIfMesh {
			for _, o := range e.NICs() {
				if o != n {
					flows = append(flows, Flow{From: src, To: o.Addr(), Protocol: ipproto.TCP, Port: 443})
				}
			}
		}
	}
	return flows
}
