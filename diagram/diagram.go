// Package diagram draws a network, or one trace's path, as Graphviz DOT or
// as Mermaid (which renders in pull-request comments on GitHub, GitLab and
// Azure DevOps).
//
// A network diagram has one cluster per virtual network (its name and
// address space) holding its subnets (prefix, NSG, route table), the
// Azure Firewalls in them, the NAT gateways the subnets use, and an edge
// per connected peering (dashed where the peering uses the remote VNet's
// gateway). A path diagram has one node per hop of a [simulate.Result],
// edges labelled with the route chosen and the security decisions, and the
// verdict at the end. Output is deterministic: same input, same bytes.
package diagram

import (
	"fmt"
	"slices"
	"strings"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

// Format is a diagram language.
type Format uint8

// Formats.
const (
	DOT     Format = iota // Graphviz
	Mermaid               // Mermaid flowchart
)

// ParseFormat parses "dot" or "mermaid", in any letter case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "dot", "graphviz":
		return DOT, nil
	case "mermaid", "mmd":
		return Mermaid, nil
	}
	return 0, fmt.Errorf("unknown diagram format %q: want dot or mermaid", s)
}

// String returns "dot" or "mermaid".
func (f Format) String() string {
	if f == Mermaid {
		return "mermaid"
	}
	return "dot"
}

// writer builds a diagram in one format.
type writer struct {
	f   Format
	b   strings.Builder
	ind int
}

func (w *writer) line(format string, args ...any) {
	w.b.WriteString(strings.Repeat("  ", w.ind))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

// quote quotes a label for the format: DOT's escaped string, Mermaid's
// quoted text with its entity for a double quote.
func (w *writer) quote(s string) string {
	if w.f == Mermaid {
		s = strings.NewReplacer(`"`, "#quot;", "\n", "<br/>").Replace(s)
		return `"` + s + `"`
	}
	s = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
	return `"` + s + `"`
}

func (w *writer) node(id, label, shape string) {
	if w.f == Mermaid {
		open, close := "[", "]"
		switch shape {
		case "round":
			open, close = "(", ")"
		case "hex":
			open, close = "{{", "}}"
		case "cloud":
			open, close = "((", "))"
		}
		w.line("%s%s%s%s", id, open, w.quote(label), close)
		return
	}
	attrs := "shape=box"
	switch shape {
	case "round":
		attrs = "shape=box, style=rounded"
	case "hex":
		attrs = "shape=hexagon"
	case "cloud":
		attrs = "shape=ellipse"
	}
	w.line("%s [label=%s, %s];", id, w.quote(label), attrs)
}

func (w *writer) edge(from, to, label string, dashed bool) {
	if w.f == Mermaid {
		arrow := "-->"
		if dashed {
			arrow = "-.->"
		}
		if label != "" {
			w.line("%s %s|%s| %s", from, arrow, w.quote(label), to)
		} else {
			w.line("%s %s %s", from, arrow, to)
		}
		return
	}
	var attrs []string
	if label != "" {
		attrs = append(attrs, "label="+w.quote(label))
	}
	if dashed {
		attrs = append(attrs, "style=dashed")
	}
	if len(attrs) == 0 {
		w.line("%s -> %s;", from, to)
		return
	}
	w.line("%s -> %s [%s];", from, to, strings.Join(attrs, ", "))
}

func (w *writer) begin(title string) {
	if w.f == Mermaid {
		w.line("flowchart LR")
		w.ind++
		return
	}
	w.line("digraph egress {")
	w.ind++
	w.line("label=%s;", w.quote(title))
	w.line("rankdir=LR;")
	w.line("compound=true;")
	w.line(`node [fontname="Helvetica", fontsize=10];`)
	w.line(`edge [fontname="Helvetica", fontsize=9];`)
}

func (w *writer) end() string {
	w.ind--
	if w.f == DOT {
		w.line("}")
	}
	return w.b.String()
}

func (w *writer) cluster(id, label string, body func()) {
	if w.f == Mermaid {
		w.line("subgraph %s[%s]", id, w.quote(label))
		w.ind++
		body()
		w.ind--
		w.line("end")
		return
	}
	w.line("subgraph cluster_%s {", id)
	w.ind++
	w.line("label=%s;", w.quote(label))
	body()
	w.ind--
	w.line("}")
}

func joinPrefixes[T fmt.Stringer](ps []T) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// Network draws the network's VNets, subnets, firewalls, NAT gateways and
// peerings.
func Network(n *topology.Network, f Format) string {
	w := &writer{f: f}
	w.begin("egress network")
	nats := map[string]string{} // NAT gateway key → node id
	var natOrder []topology.Ref
	fwBySubnet := map[int][]topology.FirewallView{}
	for i := range n.NumFirewalls() {
		fw := n.Firewall(i)
		if s, ok := fw.Subnet(); ok {
			fwBySubnet[s.Index()] = append(fwBySubnet[s.Index()], fw)
		}
	}
	type edge struct {
		from, to, label string
		dashed          bool
	}
	var edges []edge
	for i := range n.NumVNets() {
		v := n.VNet(i)
		vid := fmt.Sprintf("vnet%d", i)
		label := v.Name() + "\n" + joinPrefixes(v.AddressSpace())
		w.cluster(vid, label, func() {
			subnets := v.Subnets()
			if len(subnets) == 0 {
				w.node(vid+"_empty", "(no subnets)", "round")
			}
			for _, s := range subnets {
				sid := fmt.Sprintf("s%d", s.Index())
				parts := []string{s.Name(), joinPrefixes(s.Prefixes())}
				if ref, st := s.NSG(); st != topology.RefNone {
					parts = append(parts, "NSG "+ref.Name())
				}
				if ref, st := s.RouteTable(); st != topology.RefNone {
					parts = append(parts, "route table "+ref.Name())
				}
				w.node(sid, strings.Join(parts, "\n"), "box")
				for _, fw := range fwBySubnet[s.Index()] {
					fid := fmt.Sprintf("fw%d", fw.Index())
					w.node(fid, "Azure Firewall "+fw.Name()+"\n"+fw.PrivateIP().String(), "hex")
					edges = append(edges, edge{sid, fid, "", false})
				}
				if ref, st := s.NATGateway(); st != topology.RefNone {
					k := ref.Key()
					if _, ok := nats[k]; !ok {
						nats[k] = fmt.Sprintf("nat%d", len(nats))
						natOrder = append(natOrder, ref)
					}
					edges = append(edges, edge{sid, nats[k], "", false})
				}
			}
		})
	}
	for _, ref := range natOrder {
		w.node(nats[ref.Key()], "NAT gateway "+ref.Name(), "round")
		edges = append(edges, edge{nats[ref.Key()], "internet", "", false})
	}
	if len(natOrder) > 0 {
		w.node("internet", "Internet", "cloud")
	}
	// Peerings: one edge per connected pair, from the lower index.
	for i := range n.NumVNets() {
		v := n.VNet(i)
		hub, transit := v.TransitHub()
		for _, p := range v.Peers() {
			if p.Index() < i {
				continue
			}
			label := "peering"
			dashed := false
			if transit && hub.Index() == p.Index() {
				label, dashed = "peering, uses its gateway", true
			} else if h2, ok := p.TransitHub(); ok && h2.Index() == i {
				label, dashed = "peering, uses its gateway", true
			}
			edges = append(edges, edge{fmt.Sprintf("vnet%d", i), fmt.Sprintf("vnet%d", p.Index()), label, dashed})
		}
	}
	for _, e := range edges {
		if f == DOT && strings.HasPrefix(e.from, "vnet") && strings.HasPrefix(e.to, "vnet") {
			// DOT links clusters through a node of each, clipped at the box.
			from, to := anchor(n, e.from), anchor(n, e.to)
			attrs := []string{"ltail=cluster_" + e.from, "lhead=cluster_" + e.to, "dir=both", "label=" + w.quote(e.label)}
			if e.dashed {
				attrs = append(attrs, "style=dashed")
			}
			w.line("%s -> %s [%s];", from, to, strings.Join(attrs, ", "))
			continue
		}
		w.edge(e.from, e.to, e.label, e.dashed)
	}
	return w.end()
}

// anchor returns a node inside a VNet's cluster (its first subnet, or its
// placeholder).
func anchor(n *topology.Network, vid string) string {
	var i int
	fmt.Sscanf(vid, "vnet%d", &i)
	if s := n.VNet(i).Subnets(); len(s) > 0 {
		return fmt.Sprintf("s%d", s[0].Index())
	}
	return vid + "_empty"
}

// Path draws one trace: its hops in order, each edge labelled with the
// route taken and the security decisions at the hop it leaves, and the
// verdict.
func Path(r *simulate.Result, f Format) string {
	w := &writer{f: f}
	title := fmt.Sprintf("%s -> %s %s/%d", r.Flow.From, dest(r), r.Flow.Protocol, r.Flow.Port)
	w.begin(title)
	if f == Mermaid {
		w.line("%%%% %s", title)
	}
	for i, h := range r.Hops {
		label := h.Kind.String()
		if h.Name != "" {
			label += " " + h.Name
		}
		if h.Address.IsValid() {
			label += "\n" + h.Address.String()
		}
		shape := "box"
		switch h.Kind {
		case simulate.HopFirewall, simulate.HopAppliance:
			shape = "hex"
		case simulate.HopInternet, simulate.HopService, simulate.HopGateway:
			shape = "cloud"
		case simulate.HopNowhere:
			shape = "round"
		}
		w.node(fmt.Sprintf("h%d", i), label, shape)
	}
	verdict := r.Verdict.String() + ": " + r.Reason
	if len(r.EgressIPs) > 0 {
		verdict += "\negress " + r.EgressMethod.String() + " " + joinPrefixes(r.EgressIPs)
	}
	w.node("verdict", verdict, "round")
	for i, h := range r.Hops {
		var parts []string
		for _, s := range h.Security {
			parts = append(parts, fmt.Sprintf("%s %s: %s", s.Stage, s.Source(), s.Access))
		}
		if h.Route != nil {
			parts = append(parts, fmt.Sprintf("%s -> %s", h.Route.Prefix, h.Route.NextHopType))
		}
		to := fmt.Sprintf("h%d", i+1)
		if i == len(r.Hops)-1 {
			to = "verdict"
		}
		w.edge(fmt.Sprintf("h%d", i), to, strings.Join(slices.Compact(parts), "\n"), to == "verdict")
	}
	return w.end()
}

func dest(r *simulate.Result) string {
	if r.Flow.FQDN != "" {
		return r.Flow.FQDN
	}
	return r.Flow.Destination.String()
}
