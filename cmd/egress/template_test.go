package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const templates = "../../topology/arm/testdata/templates/"

// TestBicepTemplate: the Bicep path of the README: az bicep build output
// with its parameters file and the resource group's location.
func TestBicepTemplate(t *testing.T) {
	bicep := []string{"--topology", templates + "bicep-main.json", "--parameters", templates + "bicep-main.parameters.json"}
	code, out, stderr := egress(append([]string{"validate", "--location", "westeurope"}, bicep...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "valid: 3 VNets, 7 subnets, 3 NICs, 1 route tables")

	code, out, stderr = egress(append([]string{"trace", "--location", "westeurope", "--from", "nic-spoke2-app", "--to", "8.8.8.8:443"}, bicep...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, `route 0.0.0.0/0 -> VirtualAppliance 10.0.1.4 (User route "default-via-nva")`)
	assert.Contains(t, out, "Appliance nic-nva (10.0.1.4)")

	// Without the location (the parameters file gives it too), the values
	// that depend on it cannot be evaluated: the model cannot be built.
	code, _, stderr = egress("validate", "--topology", templates+"bicep-main.json")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `location: unresolved template expression: parameter "location" has no value`)
	assert.Contains(t, stderr, "egress --location")

	// Overrides are typed; one that names no parameter is an error.
	code, out, stderr = egress(append([]string{"validate", "--location", "westeurope", "--parameter", `spokes=[{"name": "a", "prefix": "10.7.0.0/16"}]`}, bicep...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "valid: 2 VNets")
	code, _, stderr = egress(append([]string{"validate", "--location", "westeurope", "--parameter", "nope=1"}, bicep...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `nope=1: invalid template parameter: no template declares parameter "nope"`)
	code, _, stderr = egress(append([]string{"validate", "--parameter", "novalue"}, bicep...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "want a parameter override of the form name=value")
	code, _, stderr = egress(append([]string{"validate", "--parameters", "nope.json"}, bicep...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "nope.json: open nope.json")
}

// TestPortalExportScope: --subscription and --resource-group place a portal
// export's resources where the _externalid parameters of its peer say; the
// peer, exported separately, is a reference outside the input: a warning,
// and a problem with --strict.
func TestPortalExportScope(t *testing.T) {
	const peering = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-spoke1/virtualNetworkPeerings/spoke1-to-hub"
	scope := []string{"--topology", templates + "portal-spoke.json", "--subscription", "11111111-2222-3333-4444-555555555555", "--resource-group", "rg-net"}
	code, out, stderr := egress(append([]string{"validate"}, scope...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "warning: "+templates+"portal-spoke.json:155:21: "+peering)
	assert.Contains(t, out, "not in the input: no virtual network with this ID in the input")
	assert.Contains(t, out, "valid: 1 VNets, 1 subnets, 1 NICs, 1 route tables, 1 NSGs")
	assert.Contains(t, out, "; 1 warnings (--strict refuses them)")
	assert.NotContains(t, out, "unresolved template expression")

	code, out, _ = egress(append([]string{"validate", "--strict"}, scope...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, peering)
	assert.Contains(t, out, "1 problems")

	// The other commands go on, warn on stderr, and answer Unknown where
	// the answer lies in the VNet that is not in the input.
	code, out, stderr = egress(append([]string{"trace", "--from", "nic-app", "--to", "10.0.1.4:443"}, scope...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "warning: "+templates+"portal-spoke.json:155:21: "+peering)
	assert.Contains(t, out, "Unknown: the address is in a peered virtual network that is not in the input")
	code, _, stderr = egress(append([]string{"trace", "--strict", "--from", "nic-app", "--to", "10.0.1.4:443"}, scope...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, peering)
}

// TestPortalHubAndSpoke: the hub and the spoke, exported from the portal
// separately, evaluated in their deployment's scope, are one network: the
// spoke's 0/0 route reaches the NVA in the hub over the peering, and no
// reference is outside the input.
func TestPortalHubAndSpoke(t *testing.T) {
	args := []string{"--topology", templates + "portal-hub.json", "--topology", templates + "portal-spoke.json",
		"--subscription", "11111111-2222-3333-4444-555555555555", "--resource-group", "rg-net"}
	code, out, stderr := egress(append([]string{"validate"}, args...)...)
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, out, "warning")
	code, out, stderr = egress(append([]string{"trace", "--from", "nic-app", "--to", "8.8.8.8:443"}, args...)...)
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	assert.Contains(t, out, `route 0.0.0.0/0 -> VirtualAppliance 10.0.1.4 (User route "default-via-nva")`)
	assert.Contains(t, out, "2. Appliance nic-nva (10.0.1.4)")
	assert.Contains(t, out, "Allowed: leaves to the internet (SubnetNSG nsg-app: securityRules/allow-https-out)")
}
