package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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

// A plan whose routes' next hops are known only after apply is valid:
// the unknowns are warnings naming the answers they make Unknown, not
// problems Azure would reject (--strict refuses them, as every warning).
func TestValidateTerraformPlanUnknownNextHop(t *testing.T) {
	code, out, stderr := egress("validate", "--topology", tfTestdata+"nva-plan.json")
	require.Equal(t, 0, code, "%s%s", out, stderr)
	assert.NotContains(t, out, "problem")
	assert.NotContains(t, out, "not an IP address", "the route table's own problem is not repeated")
	assert.Contains(t, out, `warning: `+tfTestdata+`nva-plan.json:`)
	assert.Contains(t, out, `module.spoke["a"].azurerm_route_table.spoke: route[0].next_hop_in_ip_address: known after apply: the next hop IP address of route "default-via-nva" is known after apply (it comes from azurerm_network_interface.nva[0]): the answers for the flows it routes (0.0.0.0/0 of route table rt-spoke-a) from subnets vnet-spoke-a/snet-app, vnet-spoke-a/snet-data are Unknown`)
	assert.Contains(t, out, "local.hub_route_table_id, a local value")
	assert.Contains(t, out, "valid: 3 VNets, 6 subnets")

	code, out, _ = egress("validate", "--topology", tfTestdata+"nva-plan.json", "-o", "json")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, `"valid": true`)

	code, out, _ = egress("validate", "--strict", "--topology", tfTestdata+"nva-plan.json")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "known after apply")

	// The trace of a flow from a spoke to the internet, which the route
	// to the NVA takes, is Unknown; one within the spoke's VNet is not.
	code, out, stderr = egress("trace", "--topology", tfTestdata+"nva-plan.json", "--from", "nic-vm-a", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "the route's next hop IP address is known only after apply (a Terraform plan)")
	assert.Contains(t, out, "route default-via-nva (0.0.0.0/0) of route table rt-spoke-a: its next hop IP address is known only after apply")
	assert.NotContains(t, out, "192.0.0.8", "the placeholder is not shown")
	assert.NotContains(t, out, "Azure would reject")
	assert.Contains(t, stderr, "known after apply")
	code, out, stderr = egress("trace", "--topology", tfTestdata+"nva-plan.json", "--from", "nic-vm-a", "--to", "10.1.2.5:443")
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, out, "Unknown")
}

// Real errors stay errors beside a plan's unknowns: a route Azure would
// reject (a VirtualAppliance route without a next hop, known to be null)
// fails validate; the routes whose next hops are known after apply are
// not problems.
func TestValidateTerraformPlanRealErrorStays(t *testing.T) {
	data, err := os.ReadFile(tfTestdata + "nva-plan.json")
	require.NoError(t, err)
	// The hub table's route gets a next hop known to be null.
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	for _, r := range doc["planned_values"].(map[string]any)["root_module"].(map[string]any)["resources"].([]any) {
		if r := r.(map[string]any); r["address"] == "azurerm_route_table.hub" {
			r["values"].(map[string]any)["route"].([]any)[0].(map[string]any)["next_hop_in_ip_address"] = nil
		}
	}
	for _, c := range doc["resource_changes"].([]any) {
		if c := c.(map[string]any); c["address"] == "azurerm_route_table.hub" {
			c["change"].(map[string]any)["after_unknown"].(map[string]any)["route"] = []any{map[string]any{}}
		}
	}
	bad, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(file, bad, 0o600))
	code, out, _ := egress("validate", "--topology", file)
	require.Equal(t, 1, code, out)
	assert.Contains(t, out, `rt-hub: route "to-spokes" (#0): nextHopIpAddress: missing: a VirtualAppliance route needs the appliance's IP address`)
	assert.Contains(t, out, "1 problems")
	assert.NotContains(t, out, "rt-spoke-a", "a next hop known after apply is no problem")
}

// A state and a plan of one configuration in one load are refused, naming
// both and the diff that compares them.
func TestTerraformStateAndPlanInOneLoad(t *testing.T) {
	code, _, stderr := egress("validate", "--topology", tfTestdata+"state.json", "--topology", tfTestdata+"plan.json")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, tfTestdata+"state.json and "+tfTestdata+"plan.json are a Terraform state and a plan of one configuration")
	assert.Contains(t, stderr, "egress diff --base "+tfTestdata+"state.json --with "+tfTestdata+"plan.json")
}

// A plan whose application rule's protocols are known only after apply is valid (no problem Azure would reject): the
// loader's warnings name the rule and the attribute, and --strict refuses
// them (topology's tests trace the flows they make Unknown).
func TestValidateTerraformPlanUnknownRules(t *testing.T) {
	data, err := os.ReadFile(tfTestdata + "plan.json")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	const rcg = "azurerm_firewall_policy_rule_collection_group.egress"
	edit := func(v map[string]any) {
		v["application_rule_collection"].([]any)[0].(map[string]any)["rule"].([]any)[0].(map[string]any)["protocols"] = nil
	}
	var found int
	for _, r := range doc["planned_values"].(map[string]any)["root_module"].(map[string]any)["resources"].([]any) {
		if r := r.(map[string]any); r["address"] == rcg {
			edit(r["values"].(map[string]any))
			found++
		}
	}
	for _, c := range doc["resource_changes"].([]any) {
		if c := c.(map[string]any); c["address"] == rcg {
			ch := c["change"].(map[string]any)
			edit(ch["after"].(map[string]any))
			ch["actions"] = []any{"update"}
			ch["after_unknown"] = map[string]any{"application_rule_collection": []any{map[string]any{"rule": []any{map[string]any{"protocols": true}}}}}
			found++
		}
	}
	require.Equal(t, 2, found)
	out, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(file, out, 0o600))

	code, stdout, stderr := egress("validate", "--topology", file)
	require.Equal(t, 0, code, "%s%s", stdout, stderr)
	assert.Contains(t, stdout, `azurerm_firewall_policy_rule_collection_group.egress: application_rule_collection[0].rule[0].protocols "partner-api": known after apply: application rule "partner-api"`)
	code, stdout, _ = egress("validate", "--strict", "--topology", file)
	assert.Equal(t, 1, code, stdout)
	assert.Contains(t, stdout, `application rule "partner-api"`)
}
