package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tfTestdata = "../../topology/testdata/terraform/"

// TestTraceTerraformPlan: `terraform show -json` output is a --topology
// like any other input, detected from its content.
func TestTraceTerraformPlan(t *testing.T) {
	// Before the plan: snet-app leaves by default outbound access.
	code, out, stderr := egress("trace", "--topology", tfTestdata+"state.json", "--from", "vm-app-01-nic", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Allowed: leaves to the internet")
	assert.Contains(t, out, "egress: DefaultOutbound")

	// After: the plan's new 0.0.0.0/0 route sends it to the hub firewall.
	code, out, stderr = egress("trace", "--topology", tfTestdata+"plan.json", "--from", "vm-app-01-nic", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, `route 0.0.0.0/0 -> VirtualAppliance 10.0.1.4 (User route "default-via-fw")`)
	assert.Contains(t, out, "AzureFirewall fw-hub (10.0.1.4)")
	assert.Contains(t, out, "Denied: denied by the Azure Firewall")
	assert.Contains(t, stderr, "module.spoke.azurerm_network_interface.data: ip_configuration[0].private_ip_address: known after apply")

	// A NIC the plan creates, whose dynamic address is known after apply.
	code, out, stderr = egress("trace", "--topology", tfTestdata+"plan.json", "--from", "vm-data-01-nic", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Unknown: ")
	assert.Contains(t, out, "private IP address known after apply")

	// --strict refuses the plan's unknown values, as every warning.
	code, _, stderr = egress("trace", "--strict", "--topology", tfTestdata+"plan.json", "--from", "vm-app-01-nic", "--to", "52.1.2.3:443")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "known after apply")

	// validate lists the resource types egress does not map.
	code, out, stderr = egress("validate", "--topology", tfTestdata+"state.json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "not modelled: azurerm_linux_virtual_machine 1, azurerm_resource_group 1\n")

	code, out, stderr = egress("list", "nics", "--topology", tfTestdata+"plan.json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vm-data-01-nic")
}
