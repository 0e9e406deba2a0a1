package diagram_test

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/egresslab/egress/diagram"
	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hubSpoke(t *testing.T) *topology.Network {
	t.Helper()
	tags, err := servicetag.Default()
	require.NoError(t, err)
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: designs.HubSpokeFile, Data: designs.HubSpoke}}, Tags: tags})
	require.NoError(t, err)
	return n
}

// balanced checks that braces and brackets pair up outside quoted text.
func balanced(t *testing.T, s string) {
	t.Helper()
	depth, inQ := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && inQ:
			i++
		case c == '"':
			inQ = !inQ
		case !inQ && c == '{':
			depth++
		case !inQ && c == '}':
			depth--
		}
		require.GreaterOrEqual(t, depth, 0)
	}
	assert.Zero(t, depth)
	assert.False(t, inQ)
}

func TestNetworkDOT(t *testing.T) {
	n := hubSpoke(t)
	out := diagram.Network(n, diagram.DOT)
	assert.True(t, strings.HasPrefix(out, "digraph egress {\n"))
	balanced(t, out)
	assert.Contains(t, out, `subgraph cluster_vnet0 {`)
	assert.Contains(t, out, `label="vnet-hub\n10.0.0.0/16";`)
	assert.Contains(t, out, `Azure Firewall fw-hub\n10.0.1.4`)
	assert.Contains(t, out, `NAT gateway natgw-batch`)
	assert.Contains(t, out, `label="peering, uses its gateway", style=dashed]`)
	assert.Equal(t, out, diagram.Network(n, diagram.DOT), "deterministic")
	if _, err := exec.LookPath("dot"); err == nil {
		cmd := exec.Command("dot", "-Tsvg")
		cmd.Stdin = strings.NewReader(out)
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", b)
	} else {
		t.Log("dot is not installed: the DOT text is checked by structure only")
	}
}

func TestNetworkMermaid(t *testing.T) {
	out := diagram.Network(hubSpoke(t), diagram.Mermaid)
	assert.True(t, strings.HasPrefix(out, "flowchart LR\n"))
	assert.Contains(t, out, `subgraph vnet0["vnet-hub<br/>10.0.0.0/16"]`)
	assert.Equal(t, strings.Count(out, "subgraph "), strings.Count(out, "\n  end\n"), "every subgraph ends")
	assert.Contains(t, out, `-.->|"peering, uses its gateway"|`)
	assert.Contains(t, out, `internet(("Internet"))`)
}

func TestPath(t *testing.T) {
	e := simulate.Compile(hubSpoke(t), simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 123, Protocol: 17})
	require.NoError(t, err)
	dot := diagram.Path(r, diagram.DOT)
	balanced(t, dot)
	assert.Contains(t, dot, `h0 [label="Source vm-app-01-nic\n10.1.1.4", shape=box];`)
	assert.Contains(t, dot, `0.0.0.0/0 -> VirtualAppliance`)
	assert.Contains(t, dot, `h1 [label="AzureFirewall fw-hub\n10.0.1.4", shape=hexagon];`)
	assert.Contains(t, dot, "verdict [label=\"Allowed: ")
	mm := diagram.Path(r, diagram.Mermaid)
	assert.Contains(t, mm, `h1{{"AzureFirewall fw-hub<br/>10.0.1.4"}}`)
	assert.Contains(t, mm, `-.->`)
	_, err = diagram.ParseFormat("svg")
	assert.Error(t, err)
}
