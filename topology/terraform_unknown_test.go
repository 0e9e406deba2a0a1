package topology_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A plan whose NSG rule has a destination known after apply (the address
// of a public IP the plan creates): the rule is taken as matching any
// destination and marked, with a warning; a flow it matches is Unknown
// (the note names the rule and the value), a flow on another port is
// answered. Before, the value was left out, and the rule matched nothing
// but its other prefixes: a confident answer either way.
func TestTerraformNSGRuleKnownAfterApply(t *testing.T) {
	vnet := tfVNetRes("v", "10.0.0.0/16")
	sub := tfResource("azurerm_subnet", "s", map[string]any{"id": tfSub + "virtualNetworks/v/subnets/s", "name": "s", "resource_group_name": "rg-net",
		"virtual_network_name": "v", "address_prefixes": []any{"10.0.1.0/24"}})
	nic := tfResource("azurerm_network_interface", "n", map[string]any{"id": tfSub + "networkInterfaces/nic-a", "name": "nic-a", "resource_group_name": "rg-net",
		"location": "westeurope", "ip_configuration": []any{map[string]any{"name": "ipc", "primary": true, "subnet_id": tfSub + "virtualNetworks/v/subnets/s",
			"private_ip_address": "10.0.1.4", "private_ip_address_allocation": "Static"}}})
	g := tfResource("azurerm_network_security_group", "g", map[string]any{"id": tfSub + "networkSecurityGroups/nsg-a", "name": "nsg-a",
		"resource_group_name": "rg-net", "location": "westeurope", "security_rule": []any{map[string]any{
			"name": "deny-new-pip", "priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
			"source_address_prefix": "*", "source_port_range": "*", "destination_address_prefix": nil, "destination_port_range": "443",
			"source_address_prefixes": []any{}, "destination_address_prefixes": []any{}, "source_port_ranges": []any{}, "destination_port_ranges": []any{},
			"source_application_security_group_ids": []any{}, "destination_application_security_group_ids": []any{}, "description": ""}}})
	assoc := tfResource("azurerm_subnet_network_security_group_association", "a", map[string]any{"id": tfSub + "virtualNetworks/v/subnets/s",
		"subnet_id": tfSub + "virtualNetworks/v/subnets/s", "network_security_group_id": tfSub + "networkSecurityGroups/nsg-a"})
	data := tfDoc(t, []map[string]any{vnet, sub, nic, g, assoc}, map[string]any{
		"azurerm_network_security_group.g": map[string]any{"security_rule": []any{map[string]any{"destination_address_prefix": true}}},
	}, nil)
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	require.Len(t, m.NSGs, 1)
	rule := m.NSGs[0].Rules[0]
	assert.Equal(t, "*", rule.DestinationAddressPrefix, "widened")
	assert.Contains(t, m.NSGs[0].KnownAfterApply["deny-new-pip"], "destination_address_prefix known after apply")
	w := tfWarning(t, m.Warnings(), "azurerm_network_security_group.g", "security_rule[0]")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), `NSG rule "deny-new-pip": destination_address_prefix: taken as matching any value there`)

	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "nic-a", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "NSG nsg-a rule deny-new-pip: destination_address_prefix known after apply")
	r, err = e.Trace(simulate.Flow{From: "nic-a", To: netip.MustParseAddr("52.1.2.3"), Port: 80})
	require.NoError(t, err)
	assert.NotEqual(t, simulate.Unknown, r.Verdict, "%s", r)
}
