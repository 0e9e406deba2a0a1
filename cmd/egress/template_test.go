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
	// that depend on it are problems.
	code, out, _ = egress("validate", "--topology", templates+"bicep-main.json")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `location: unresolved template expression: parameter "location" has no value`)
	assert.Contains(t, out, "egress --location")

	// Overrides are typed; one that names no parameter is an error.
	code, out, stderr = egress(append([]string{"validate", "--location", "westeurope", "--parameter", `spokes=[{"name": "a", "prefix": "10.7.0.0/16"}]`}, bicep...)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "valid: 2 VNets")
	code, _, stderr = egress(append([]string{"validate", "--location", "westeurope", "--parameter", "nope=1"}, bicep...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `nope=1: no template declares parameter "nope"`)
	code, _, stderr = egress(append([]string{"validate", "--parameter", "novalue"}, bicep...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "want a parameter override of the form name=value")
	code, _, stderr = egress(append([]string{"validate", "--parameters", "nope.json"}, bicep...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "nope.json: open nope.json")
}

// TestPortalExportScope: --subscription and --resource-group place a portal
// export's resources where the _externalid parameters of its peer say.
func TestPortalExportScope(t *testing.T) {
	code, out, _ := egress("validate", "--topology", templates+"portal-spoke.json",
		"--subscription", "11111111-2222-3333-4444-555555555555", "--resource-group", "rg-net")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-spoke1/virtualNetworkPeerings/spoke1-to-hub")
	assert.Contains(t, out, "dangling reference: no such virtual network in the model")
	assert.NotContains(t, out, "unresolved template expression")
}
