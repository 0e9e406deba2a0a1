package simulate_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default what-if probes: from each NIC an internet address on TCP 443
// and UDP 53, and every other NIC on TCP 443; limited to one source, or to
// one destination, when asked. Sources are named by ID, so the flows mean
// the same NICs in the engine of the changed network.
func TestWhatIfFlows(t *testing.T) {
	e := engine(t, scenarioThreeNICs, simulate.Options{})
	n := e.NumNICs()
	require.Equal(t, 3, n)
	all := simulate.WhatIf{}.Flows(e)
	assert.Len(t, all, 2*n+n*(n-1))
	assert.Equal(t, all, simulate.WhatIf{}.Flows(e), "deterministic")
	vm1 := mustNIC(t, e, "vm1")
	for _, f := range all {
		assert.NotEqual(t, ipproto.Unknown, f.Protocol, "explicit protocols")
		_, err := e.NIC(f.From)
		require.NoError(t, err)
	}
	assert.Equal(t, simulate.Flow{From: vm1.ID(), To: netip.MustParseAddr("52.0.0.1"), Protocol: ipproto.TCP, Port: 443}, all[0])
	assert.Equal(t, ipproto.UDP, all[1].Protocol)

	one := simulate.WhatIf{From: vm1}.Flows(e)
	assert.Len(t, one, 2+n-1)
	for _, f := range one {
		assert.Equal(t, vm1.ID(), f.From)
		assert.NotEqual(t, vm1.Addr(), f.To, "not to itself")
	}

	dst := simulate.Flow{From: "ignored", To: netip.MustParseAddr("10.9.9.9"), Port: 1433}
	to := simulate.WhatIf{To: dst}.Flows(e)
	require.Len(t, to, n)
	for i, f := range to {
		assert.Equal(t, e.NICAt(i).ID(), f.From)
		assert.Equal(t, dst.To, f.To)
		assert.Equal(t, uint16(1433), f.Port)
	}
	// Diff over the probes of an engine with itself finds no change.
	assert.Empty(t, simulate.Diff(e, e, all))
}

const scenarioThreeNICs = `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets: [{name: app, prefix: 10.1.1.0/24}]
nics:
  - {name: vm1, subnet: v/app, ip: 10.1.1.4}
  - {name: vm2, subnet: v/app, ip: 10.1.1.5}
  - {name: vm3, subnet: v/app, ip: 10.1.1.6}
`
