package topology_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An ARM export (az network nsg show) of nsg-a with the rule the plan
// also declares.
const tfMergeNSGExport = `[{
  "name": "nsg-a", "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
  "id": "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-a",
  "properties": {"provisioningState": "Succeeded", "securityRules": [{
    "name": "allow-web",
    "id": "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg-a/securityRules/allow-web",
    "properties": {"provisioningState": "Succeeded", "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
      "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow", "priority": 200, "direction": "Outbound",
      "sourcePortRanges": [], "destinationPortRanges": [], "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}}]}
}]`

// A native design of another NIC in the plan's subnet.
const tfMergeNative = `egress: v1
subscription: 3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c
resourceGroup: rg-net
nics:
  - {name: nic-b, subnet: v/s, ip: 10.0.1.5}
`

// The flags a plan sets on what it knows only after apply survive merging
// with other inputs, in either order: the NSG rule placed for its unknown
// priority (NSG.KnownAfterApply) when an ARM export declares the same NSG
// (the one declaration kept takes the other's flags), the application
// rule whose protocols are unknown, and the NIC whose address is.
func TestTerraformFlagsMergedAcrossInputs(t *testing.T) {
	plan := tfNSGPlan(t, []any{
		tfRuleBlock("allow-web", 200, "Outbound", "Allow", "Tcp", "*", "443"),
		tfRuleBlock("deny-pip", nil, "Outbound", "Deny", "Tcp", "52.1.2.3", "*"),
	}, []any{map[string]any{}, map[string]any{"priority": true}})
	for _, order := range [][]topology.Input{
		{{Name: "export.json", Data: []byte(tfMergeNSGExport)}, {Name: "plan.json", Data: plan}, {Name: "extra.yaml", Data: []byte(tfMergeNative)}},
		{{Name: "extra.yaml", Data: []byte(tfMergeNative)}, {Name: "plan.json", Data: plan}, {Name: "export.json", Data: []byte(tfMergeNSGExport)}},
	} {
		n, err := topology.Load(topology.LoadOptions{Inputs: order, Tags: defaultTags(t)})
		require.NoError(t, err, "%s first", order[0].Name)
		m := n.Model()
		require.Len(t, m.NSGs, 1, "one NSG")
		g := m.NSGs[0]
		assert.Len(t, g.Rules, 2)
		assert.Contains(t, g.KnownAfterApply["deny-pip"], "priority known after apply", "%s first", order[0].Name)
		v, ok := n.LookupNSG(g.ID)
		require.True(t, ok)
		assert.Contains(t, v.RuleKnownAfterApply("deny-pip"), "priority known after apply")
		e := simulate.Compile(n, simulate.Options{})
		for _, from := range []string{"nic-a", "nic-b"} {
			r, err := e.Trace(simulate.Flow{From: from, To: netip.MustParseAddr("52.1.2.3"), Port: 443})
			require.NoError(t, err)
			assert.Equal(t, simulate.Unknown, r.Verdict, "%s, %s first: %s", from, order[0].Name, r)
			assert.Contains(t, strings.Join(r.Assumptions, "\n"), "rule deny-pip: priority known after apply")
		}
	}

	// The application rule whose protocols are unknown, with a native
	// design beside the plan.
	const rcg = "azurerm_firewall_policy_rule_collection_group.egress"
	fw := tfPlanWith(t, rcg, func(v map[string]any) {
		v["application_rule_collection"].([]any)[0].(map[string]any)["rule"].([]any)[0].(map[string]any)["protocols"] = nil
	}, map[string]any{"application_rule_collection": []any{map[string]any{"rule": []any{map[string]any{"protocols": true}}}}})
	native := "egress: v1\nsubscription: 3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c\nresourceGroup: rg-app\nnics:\n  - {name: nic-extra, subnet: vnet-spoke/snet-app, ip: 10.1.1.50}\n"
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "extra.yaml", Data: []byte(native)}, {Name: "plan.json", Data: fw}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	r, err := simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443, Host: "api.partner.example"})
	require.NoError(t, err)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
}
