package topology_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Subnet peering (https://learn.microsoft.com/azure/virtual-network/how-to-configure-subnet-peering):
// a peering with peerCompleteVnets false peers only localSubnetNames with
// remoteSubnetNames; enableOnlyIPv6Peering true peers only their IPv6
// space (REST VirtualNetworkPeeringPropertiesFormat,
// https://learn.microsoft.com/javascript/api/@azure/arm-network/virtualnetworkpeeringpropertiesformat).
// egress peers whole VNets in every family, so the ARM reader refuses
// both, naming the peering and the field, as the Terraform reader does
// (peer_complete_virtual_networks_enabled, only_ipv6_peering_enabled).
// Before, they were read as whole-VNet peerings: routes to subnets Azure
// does not peer.

const armPeeringID = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-a/virtualNetworkPeerings/vnet-a-to-vnet-b"

// armPeeringErr parses data and returns its one problem about field.
func armPeeringErr(t *testing.T, file string, data []byte, field string) *topology.Error {
	t.Helper()
	_, err := topology.ParseARM(file, data)
	require.Error(t, err, file)
	var found *topology.Error
	for _, e := range flatten(err) {
		var te *topology.Error
		if errors.As(e, &te) && te.Field == field {
			found = te
		}
	}
	require.NotNil(t, found, "%s: a problem on %s: %v", file, field, err)
	return found
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func TestARMSubnetPeeringRefused(t *testing.T) {
	data, err := os.ReadFile("testdata/arm-peering/rest-subnet-peering.json")
	require.NoError(t, err)
	e := armPeeringErr(t, "rest-subnet-peering.json", data, "peerCompleteVnets")
	assert.ErrorIs(t, e, topology.ErrNotAllowed)
	assert.Equal(t, armPeeringID, e.Resource)
	assert.Equal(t, "false", e.Value)
	assert.Positive(t, e.Pos.Line)
	assert.Contains(t, e.Error(), "a peering of some subnets only (localSubnetNames [app], remoteSubnetNames [web]) is not modelled: egress peers whole VNets")

	data, err = os.ReadFile("testdata/arm-peering/rest-ipv6-peering.json")
	require.NoError(t, err)
	e = armPeeringErr(t, "rest-ipv6-peering.json", data, "enableOnlyIPv6Peering")
	assert.ErrorIs(t, e, topology.ErrNotAllowed)
	assert.Equal(t, armPeeringID, e.Resource)
	assert.Contains(t, e.Error(), "an IPv6-only peering is not modelled")

	// A whole-VNet peering in the same shape loads.
	m, err := topology.LoadFiles(defaultTags(t), "testdata/arm-peering/rest-complete-peering.json")
	require.NoError(t, err)
	require.Len(t, m.VNets, 2)
	require.Len(t, m.VNets[0].Peerings, 1)
	assert.Equal(t, "vnet-b", m.VNets[0].Peerings[0].Remote.Name())

	// A value that is no boolean is invalid, not read as either.
	bad := strings.Replace(string(data), `"peerCompleteVnets": false`, `"peerCompleteVnets": "no"`, 1)
	require.NotEqual(t, string(data), bad)
	e = armPeeringErr(t, "bad.json", []byte(bad), "peerCompleteVnets")
	assert.ErrorIs(t, e, topology.ErrInvalid)
}

// The template form: the peering a child resource, the flags template
// parameters (evaluated: the default false refuses it, true loads).
func TestARMTemplateSubnetPeeringRefused(t *testing.T) {
	data, err := os.ReadFile("testdata/arm-peering/template-subnet-peering.json")
	require.NoError(t, err)
	e := armPeeringErr(t, "template.json", data, "peerCompleteVnets")
	assert.ErrorIs(t, e, topology.ErrNotAllowed)
	assert.True(t, strings.HasSuffix(e.Resource, "/virtualNetworks/vnet-a/virtualNetworkPeerings/vnet-a-to-vnet-b"), e.Resource)

	complete := strings.Replace(string(data), `"defaultValue": false
    },
    "onlyIPv6"`, `"defaultValue": true
    },
    "onlyIPv6"`, 1)
	require.NotEqual(t, string(data), complete)
	m, err := topology.ParseARM("template.json", []byte(complete))
	require.NoError(t, err)
	require.Len(t, m.VNets[0].Peerings, 1)

	v6 := strings.Replace(complete, `"defaultValue": false`, `"defaultValue": true`, 1)
	require.NotEqual(t, complete, v6)
	e = armPeeringErr(t, "template.json", []byte(v6), "enableOnlyIPv6Peering")
	assert.ErrorIs(t, e, topology.ErrNotAllowed)
}

// The az CLI form: `az network vnet peering show` prints the peering on
// its own, flattened (no properties object), beside the VNets.
func TestARMCLISubnetPeeringRefused(t *testing.T) {
	data, err := os.ReadFile("testdata/arm-peering/rest-subnet-peering.json")
	require.NoError(t, err)
	var doc []map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	props := doc[0]["properties"].(map[string]any)
	peering := props["virtualNetworkPeerings"].([]any)[0].(map[string]any)
	props["virtualNetworkPeerings"] = []any{}
	flat := map[string]any{"id": peering["id"], "name": peering["name"], "type": peering["type"], "etag": peering["etag"], "resourceGroup": "rg-net"}
	for k, v := range peering["properties"].(map[string]any) {
		flat[k] = v
	}
	out, err := json.Marshal(append([]any{doc[0], doc[1]}, flat))
	require.NoError(t, err)
	e := armPeeringErr(t, "cli.json", out, "peerCompleteVnets")
	assert.ErrorIs(t, e, topology.ErrNotAllowed)
	assert.Equal(t, armPeeringID, e.Resource)
}
