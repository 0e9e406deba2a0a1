package topology_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Model.FindNIC and Network.FindNIC fail alike: a *LookupError wrapping
// ErrUnknownNIC or ErrAmbiguousNIC, whose message lists at most 20
// candidates and counts the rest.
func TestFindNICSentinels(t *testing.T) {
	var b strings.Builder
	b.WriteString("egress: v1\nlocation: eastus\nvnets:\n  - {name: v, addressSpace: [10.0.0.0/16], subnets: [{name: s, prefix: 10.0.0.0/24}]}\nnics:\n")
	for i := range 25 {
		fmt.Fprintf(&b, "  - {name: nic-%02d, subnet: v/s, ip: 10.0.0.%d}\n", i, i+4)
	}
	m, err := topology.LoadNative("d.yaml", []byte(b.String()), nil)
	require.NoError(t, err)
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "d.yaml", Data: []byte(b.String())}}})
	require.NoError(t, err)
	_, errModel := m.FindNIC("nic-99")
	_, errNet := n.FindNIC("nic-99")
	for _, err := range []error{errModel, errNet} {
		assert.ErrorIs(t, err, topology.ErrUnknownNIC)
		var le *topology.LookupError
		require.ErrorAs(t, err, &le)
		assert.Len(t, le.Candidates, 25)
		assert.True(t, strings.HasSuffix(err.Error(), "nic-19 (and 5 more)"), err.Error())
	}
	_, err = n.FindNIC("NIC-03")
	assert.NoError(t, err, "names match in any letter case")
}

// Past the cap, errors and rejected resources are counted apart: a network
// with 250 NSGs that Azure would reject loads (they are kept, counted in
// RejectedExtra), and refusing them reports all 250.
func TestValidationCountsRejectedApart(t *testing.T) {
	var b strings.Builder
	b.WriteString("egress: v1\nlocation: eastus\nnsgs:\n")
	for i := range 250 {
		fmt.Fprintf(&b, "  - {name: nsg-%03d, rules: [{name: r, priority: 5, direction: Outbound, access: Deny, protocol: Tcp, destinationPorts: \"22\"}]}\n", i)
	}
	in := []topology.Input{{Name: "d.yaml", Data: []byte(b.String())}}
	n, err := topology.Load(topology.LoadOptions{Inputs: in})
	require.NoError(t, err)
	v := n.Validation()
	assert.Len(t, v.Rejected, 200)
	assert.Equal(t, 50, v.RejectedExtra)
	assert.Zero(t, v.ErrorsExtra)
	assert.Empty(t, v.Errors)

	_, err = topology.Load(topology.LoadOptions{Inputs: in, RefuseRejected: true})
	var probs *topology.Problems
	require.ErrorAs(t, err, &probs)
	assert.Equal(t, 250, probs.Total)
	assert.Len(t, probs.List, 200)
}
