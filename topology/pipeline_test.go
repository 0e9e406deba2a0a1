package topology_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoad: the pipeline's steps name themselves in its errors, a broken
// input is not a *Problems and a broken network is, and what refuses the
// network follows Strict and RefuseRejected.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	hubspoke := topology.Input{Name: designs.HubSpokeFile, Data: designs.HubSpoke}
	var le *topology.LoadError
	var probs *topology.Problems

	_, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "d.yaml", Data: []byte("egress: v1\nvnets: [\n")}}})
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "loading the topology", le.Step)
	assert.False(t, errors.As(err, &probs), "a syntax error is not a problem of the network")
	assert.ErrorIs(t, err, topology.ErrSyntax)

	bad := "egress: v1\nvnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: s, prefix: 10.9.0.0/24}]}]\n"
	_, err = topology.Load(topology.LoadOptions{Files: []string{write("bad.yaml", bad)}})
	require.ErrorAs(t, err, &probs)
	assert.Equal(t, 1, probs.Total)
	assert.Contains(t, err.Error(), "loading the topology:\n"+dir)

	// A rejected resource (an NSG rule of priority 5) and an external
	// reference (the snapshot's VNet) are kept, refused on request.
	nsgDir := "testdata/corpus/snapshot-nsg/"
	files := []string{nsgDir + "vnet.json", nsgDir + "nsg-subnet2.json", nsgDir + "vm2-nic.json"}
	n, err := topology.Load(topology.LoadOptions{Files: files, Tags: defaultTags(t)})
	require.NoError(t, err)
	v := n.Validation()
	require.NotEmpty(t, v.Rejected)
	require.NotEmpty(t, v.Warnings)
	_, err = topology.Load(topology.LoadOptions{Files: files, RefuseRejected: true})
	require.ErrorAs(t, err, &probs)
	assert.Len(t, probs.List, len(v.Rejected))
	_, err = topology.Load(topology.LoadOptions{Files: files, Strict: true})
	require.ErrorAs(t, err, &probs)
	assert.Len(t, probs.List, len(v.Rejected)+len(v.External)+len(v.Warnings))

	// Overlays: one that cannot apply is the overlay's error; the problems
	// of what it leaves are the topology's after the overlays.
	ghost := write("ghost.yaml", "egress: overlay/v1\nchanges:\n  - setNic: {nic: ghost}\n")
	_, err = topology.Load(topology.LoadOptions{Inputs: []topology.Input{hubspoke}, Tags: defaultTags(t), Overlays: []string{ghost}})
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "applying overlay "+ghost, le.Step)
	assert.False(t, errors.As(err, &probs))
	nsgOnFW := write("fw.yaml", "egress: overlay/v1\nchanges:\n  - setSubnet: {subnet: vnet-hub/AzureFirewallSubnet, nsg: nsg-app}\n")
	_, err = topology.Load(topology.LoadOptions{Inputs: []topology.Input{hubspoke}, Tags: defaultTags(t), Overlays: []string{nsgOnFW}})
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "the topology after the overlays", le.Step)
	require.ErrorAs(t, err, &probs)
	assert.Contains(t, err.Error(), "Azure does not support an NSG on AzureFirewallSubnet")

	// What-if: the overlay's network differs from the design's only where
	// the overlay says.
	before, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{hubspoke}, Tags: defaultTags(t)})
	require.NoError(t, err)
	after, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{hubspoke}, Tags: defaultTags(t),
		Overlays: []string{"../examples/overlays/batch-behind-firewall.yaml"}})
	require.NoError(t, err)
	routeTable := func(n *topology.Network) string {
		for i := range n.NumSubnets() {
			if s := n.Subnet(i); s.Name() == "snet-batch" {
				r, _ := s.RouteTable()
				return r.Name()
			}
		}
		return "no snet-batch"
	}
	assert.Equal(t, "", routeTable(before))
	assert.Equal(t, "rt-spoke-to-fw", routeTable(after))

	// Load is Model.Network on the parsed inputs.
	m, err := topology.ParseNative(designs.HubSpokeFile, designs.HubSpoke)
	require.NoError(t, err)
	direct, err := m.Network(defaultTags(t))
	require.NoError(t, err)
	assert.Equal(t, fingerprint(direct), fingerprint(before))
}
