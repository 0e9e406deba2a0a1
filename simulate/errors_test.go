package simulate_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two designs, each its own resource group with a NIC named vm, and a NIC
// exported without its subnet.
func sentinelEngine(t *testing.T) *simulate.Engine {
	t.Helper()
	design := func(rg, prefix string) []byte {
		return []byte(`egress: v1
location: eastus
resourceGroup: ` + rg + `
vnets:
  - name: vnet-` + rg + `
    addressSpace: [` + prefix + `.0.0/16]
    subnets: [{name: app, prefix: ` + prefix + `.1.0/24}]
nics:
  - {name: vm, subnet: vnet-` + rg + `/app, ip: ` + prefix + `.1.4}
  - {name: only-` + rg + `, subnet: vnet-` + rg + `/app, ip: ` + prefix + `.1.5}
`)
	}
	orphan := []byte(`{"value": [{"id": "/subscriptions/1/resourceGroups/c/providers/Microsoft.Network/networkInterfaces/orphan",
  "name": "orphan", "type": "Microsoft.Network/networkInterfaces", "location": "eastus",
  "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"privateIPAddress": "10.9.1.4", "primary": true,
    "subnet": {"id": "/subscriptions/1/resourceGroups/c/providers/Microsoft.Network/virtualNetworks/gone/subnets/app"}}}]}}]}`)
	n, err := topology.Load(topology.LoadOptions{Tags: tags(t), Inputs: []topology.Input{
		{Name: "a.yaml", Data: design("a", "10.1")}, {Name: "b.yaml", Data: design("b", "10.2")}, {Name: "orphan.json", Data: orphan}}})
	require.NoError(t, err)
	return simulate.Compile(n, simulate.Options{})
}

// Every sentinel of a NIC lookup matches with errors.Is, and its typed
// error with errors.As, through Engine.NIC and Engine.Trace alike.
func TestNICLookupSentinels(t *testing.T) {
	e := sentinelEngine(t)
	_, err := e.NIC("only-a")
	require.NoError(t, err)

	_, err = e.NIC("nope")
	assert.ErrorIs(t, err, simulate.ErrUnknownNIC)
	assert.NotErrorIs(t, err, simulate.ErrAmbiguousNIC)
	var le *topology.LookupError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "nope", le.Name)
	assert.Equal(t, []string{"only-a", "only-b", "orphan", "vm", "vm"}, le.Candidates, "every NIC's name, sorted, for did-you-mean")
	assert.EqualError(t, err, `no NIC named "nope"; the model has: only-a, only-b, orphan, vm, vm`)

	_, err = e.NIC("/subscriptions/1/resourceGroups/x/providers/Microsoft.Network/networkInterfaces/nope")
	assert.ErrorIs(t, err, simulate.ErrUnknownNIC)
	require.ErrorAs(t, err, &le)
	assert.True(t, le.ByID)

	_, err = e.NIC("VM")
	assert.ErrorIs(t, err, simulate.ErrAmbiguousNIC)
	require.ErrorAs(t, err, &le)
	require.Len(t, le.Candidates, 2)
	assert.Contains(t, le.Candidates[0], "/resourceGroups/a/")
	h, err := e.NIC(le.Candidates[1])
	require.NoError(t, err, "an ID picks one")
	assert.Equal(t, "vm", h.Name())

	_, err = e.NIC("orphan")
	assert.ErrorIs(t, err, simulate.ErrNotSimulated)
	var ns *simulate.NotSimulatedError
	require.ErrorAs(t, err, &ns)
	assert.Equal(t, "orphan", ns.Name)
	assert.Contains(t, ns.Detail, "not in the input")

	_, err = e.Trace(simulate.Flow{From: "vm", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	assert.ErrorIs(t, err, simulate.ErrAmbiguousNIC)
	_, err = e.Trace(simulate.Flow{From: "nope", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	assert.ErrorIs(t, err, simulate.ErrUnknownNIC)
	assert.True(t, errors.Is(err, topology.ErrUnknownNIC), "simulate's sentinel is topology's")
}

// A Flow Trace cannot simulate as given is ErrInvalidFlow.
func TestTraceInvalidFlowSentinel(t *testing.T) {
	e := sentinelEngine(t)
	for name, f := range map[string]simulate.Flow{
		"no port":        {From: "only-a", To: netip.MustParseAddr("52.1.2.3")},
		"no destination": {From: "only-a", Port: 443},
		"no resolver":    {From: "only-a", ToFQDN: "example.com", Port: 443},
	} {
		_, err := e.Trace(f)
		assert.ErrorIs(t, err, simulate.ErrInvalidFlow, name)
	}
}

// TestResultReadsBack: a result's JSON decodes into a Result equal to it.
func TestResultReadsBack(t *testing.T) {
	e := defaultEngine(t)
	r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var back simulate.Result
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, r.ReasonCode, back.ReasonCode)
	assert.Equal(t, r.Hops[len(r.Hops)-1].Kind, back.Hops[len(back.Hops)-1].Kind)
	b2, err := json.Marshal(&back)
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(b2))
}
