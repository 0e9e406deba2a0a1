package topology

import (
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/traverse"
)

// Graph is the structure of a model's virtual networks: a directed graph
// (gonum.org/v1/gonum/graph) whose nodes are VNets and whose edges are
// connected peerings, one edge per direction as Azure models them. Peering
// reachability, gateway transit and hub-and-spoke shapes are queries on it.
//
// A Graph is a snapshot: it does not follow later changes to the model. It is
// safe for concurrent reads.
type Graph struct {
	g     *simple.DirectedGraph
	vnets []*VNet          // node ID → VNet
	peers [][]*VNet        // node ID → its bidirectional peers, sorted by ID
	ids   map[string]int64 // VNet ID key → node ID
	edges map[[2]int64]*Peering
}

// Graph builds the VNet graph. Peerings to VNets that are not in the model,
// and peerings that are not Connected, are left out.
func (m *Model) Graph() *Graph {
	gr := &Graph{g: simple.NewDirectedGraph(), ids: map[string]int64{}, edges: map[[2]int64]*Peering{}}
	for i, v := range m.VNets {
		gr.g.AddNode(simple.Node(i))
		gr.vnets = append(gr.vnets, v)
		gr.ids[v.ID.Key()] = int64(i)
	}
	for i, v := range m.VNets {
		for _, p := range v.Peerings {
			j, ok := get(gr.ids, p.Remote)
			if !ok || !p.Connected || int64(i) == j {
				continue
			}
			gr.g.SetEdge(simple.Edge{F: simple.Node(i), T: simple.Node(j)})
			gr.edges[[2]int64{int64(i), j}] = p
		}
	}
	// Every VNet's peers, sorted once: Peers is asked for each VNet many
	// times (routes, scopes, gateway transit), a hub's with hundreds.
	gr.peers = make([][]*VNet, len(gr.vnets))
	for i := range gr.vnets {
		var out []*VNet
		for _, n := range graph.NodesOf(gr.g.From(int64(i))) {
			if gr.g.HasEdgeFromTo(n.ID(), int64(i)) {
				out = append(out, gr.vnets[n.ID()])
			}
		}
		slices.SortFunc(out, func(a, b *VNet) int { return compareFold(string(a.ID), string(b.ID)) })
		gr.peers[i] = out
	}
	return gr
}

// Directed returns the underlying gonum graph; node IDs index [Graph.VNetOf].
func (gr *Graph) Directed() graph.Directed { return gr.g }

// VNetOf returns the VNet of a node ID.
func (gr *Graph) VNetOf(id int64) *VNet { return gr.vnets[id] }

func (gr *Graph) node(v *VNet) (int64, bool) {
	id, ok := get(gr.ids, v.ID)
	return id, ok
}

// Peering returns the local side of the peering from a to b, if a has a
// connected peering to b.
func (gr *Graph) Peering(a, b *VNet) (*Peering, bool) {
	i, ok1 := gr.node(a)
	j, ok2 := gr.node(b)
	if !ok1 || !ok2 {
		return nil, false
	}
	p, ok := gr.edges[[2]int64{i, j}]
	return p, ok
}

// Peers returns the VNets that v is effectively peered with: Azure needs the
// peering in both directions for traffic to flow (a one-sided peering stays
// Initiated). Sorted by ID for determinism. Peering is not transitive:
// peers of peers are not included.
func (gr *Graph) Peers(v *VNet) []*VNet {
	i, ok := gr.node(v)
	if !ok {
		return nil
	}
	return slices.Clone(gr.peers[i])
}

// Reachable returns every VNet reachable from v over chains of bidirectional
// peerings (for example through a hub NVA), including v. Routing still needs
// UDRs for anything beyond direct peers; this answers "which networks are
// connected at all".
func (gr *Graph) Reachable(v *VNet) []*VNet {
	i, ok := gr.node(v)
	if !ok {
		return nil
	}
	var out []*VNet
	w := traverse.BreadthFirst{Traverse: func(e graph.Edge) bool {
		return gr.g.HasEdgeFromTo(e.To().ID(), e.From().ID())
	}}
	w.Walk(gr.g, gr.g.Node(i), func(n graph.Node, _ int) bool {
		out = append(out, gr.vnets[n.ID()])
		return false
	})
	slices.SortFunc(out, func(a, b *VNet) int { return compareFold(string(a.ID), string(b.ID)) })
	return out
}

// TransitGateway returns the VNet whose gateway v uses over a peering, per
// https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview#gateways-and-on-premises-connectivity:
// v's peering sets useRemoteGateways and the remote side's peering back sets
// allowGatewayTransit. ok is false when v uses no remote gateway.
//
// Azure allows one peering with useRemoteGateways per VNet (Validate
// rejects more); should a model hold several anyway, the peer whose ID sorts
// first is chosen, never map order.
func (gr *Graph) TransitGateway(v *VNet) (*VNet, bool) {
	i, ok := gr.node(v)
	if !ok {
		return nil, false
	}
	for _, p := range gr.Peers(v) { // sorted by ID
		j, _ := get(gr.ids, p.ID)
		if gr.edges[[2]int64{i, j}].UseRemoteGateways && gr.edges[[2]int64{j, i}].AllowGatewayTransit {
			return p, true
		}
	}
	return nil, false
}

// Hubs returns the VNets peered (in both directions) with at least two others
// that are not peered with each other: the hubs of hub-and-spoke shapes.
func (gr *Graph) Hubs() []*VNet {
	var out []*VNet
	for _, v := range gr.vnets {
		peers := gr.Peers(v)
		isHub := false
		for a := 0; a < len(peers) && !isHub; a++ {
			for b := a + 1; b < len(peers); b++ {
				if _, direct := gr.Peering(peers[a], peers[b]); !direct {
					isHub = true
					break
				}
			}
		}
		if isHub {
			out = append(out, v)
		}
	}
	return out
}
