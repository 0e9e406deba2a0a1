package topology_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tfState = "testdata/terraform/state.json"
	tfPlan  = "testdata/terraform/plan.json"
	tfSub   = "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-net/providers/Microsoft.Network/"
)

func parseTF(t *testing.T, file string) *topology.Model {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	m, err := topology.ParseTerraform(file, data)
	require.NoError(t, err)
	return m
}

func tfSubnet(t *testing.T, m *topology.Model, vnet, name string) *topology.Subnet {
	t.Helper()
	s, ok := m.Subnet(topology.Ref(tfSub + "virtualNetworks/" + vnet + "/subnets/" + name))
	require.True(t, ok, "subnet %s/%s", vnet, name)
	return s
}

func tfNIC(t *testing.T, m *topology.Model, name string) *topology.NIC {
	t.Helper()
	for _, n := range m.NICs {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no NIC %s", name)
	return nil
}

func TestTerraformStateVNetsAndSubnets(t *testing.T) {
	m := parseTF(t, tfState)
	require.Len(t, m.VNets, 3)
	hub := m.VNets[0]
	assert.Equal(t, "vnet-hub", hub.Name)
	assert.Equal(t, "westeurope", hub.Location)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}, hub.AddressSpace)
	// The VNet's computed subnet attribute and the azurerm_subnet
	// resource are one subnet.
	require.Len(t, hub.Subnets, 1)
	assert.Equal(t, "AzureFirewallSubnet", hub.Subnets[0].Name)

	app := tfSubnet(t, m, "vnet-spoke", "snet-app")
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.1.1.0/24")}, app.Prefixes)
	require.NotNil(t, app.DefaultOutboundAccess)
	assert.True(t, *app.DefaultOutboundAccess)
	assert.Equal(t, []topology.ServiceEndpoint{{Service: "Microsoft.Storage"}}, app.ServiceEndpoints)
	assert.Equal(t, "state.json", app.Pos.File[strings.LastIndexByte(app.Pos.File, '/')+1:])
	assert.Positive(t, app.Pos.Line)

	priv := tfSubnet(t, m, "vnet-spoke", "snet-private")
	require.NotNil(t, priv.DefaultOutboundAccess)
	assert.False(t, *priv.DefaultOutboundAccess, "default_outbound_access_enabled = false")

	// An inline subnet block, with its security_group.
	partner := tfSubnet(t, m, "vnet-partner", "snet-partner")
	assert.Equal(t, topology.Ref(tfSub+"networkSecurityGroups/nsg-partner"), partner.NSG)
}

func TestTerraformStateAssociations(t *testing.T) {
	m := parseTF(t, tfState)
	app := tfSubnet(t, m, "vnet-spoke", "snet-app")
	assert.Equal(t, "rt-spoke", app.RouteTable.Name(), "azurerm_subnet_route_table_association")
	assert.Equal(t, "nsg-app", app.NSG.Name(), "azurerm_subnet_network_security_group_association")
	batch := tfSubnet(t, m, "vnet-spoke", "snet-batch")
	assert.Equal(t, "nat-spoke", batch.NATGateway.Name(), "azurerm_subnet_nat_gateway_association")
	assert.True(t, batch.RouteTable.IsZero())
	require.Len(t, m.NATGateways, 1)
	assert.Equal(t, "Standard", m.NATGateways[0].SKU)
	assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "publicIPAddresses/pip-nat")}, m.NATGateways[0].PublicIPs, "azurerm_nat_gateway_public_ip_association")
	assert.Equal(t, "nsg-app", tfNIC(t, m, "vm-private-01-nic").NSG.Name(), "azurerm_network_interface_security_group_association")
	assert.True(t, tfNIC(t, m, "vm-app-01-nic").NSG.IsZero())
}

func TestTerraformStateResources(t *testing.T) {
	m := parseTF(t, tfState)

	n := tfNIC(t, m, "vm-app-01-nic")
	assert.Equal(t, topology.Ref(tfSub+"networkInterfaces/vm-app-01-nic"), n.ID)
	require.Len(t, n.IPConfigs, 1)
	c := n.IPConfigs[0]
	assert.Equal(t, "internal", c.Name)
	assert.True(t, c.Primary)
	assert.Equal(t, netip.MustParseAddr("10.1.1.4"), c.PrivateIP)
	assert.Equal(t, topology.Ref(tfSub+"virtualNetworks/vnet-spoke/subnets/snet-app"), c.Subnet)
	assert.False(t, n.EnableIPForwarding)

	require.Len(t, m.RouteTables, 1)
	rt := m.RouteTables[0]
	assert.True(t, rt.DisableBGPRoutePropagation, "bgp_route_propagation_enabled = false")
	require.Len(t, rt.Routes, 1)
	assert.Equal(t, "onprem-via-fw", rt.Routes[0].Name)
	assert.Equal(t, "192.168.0.0/16", rt.Routes[0].AddressPrefix)
	assert.Equal(t, "VirtualAppliance", rt.Routes[0].NextHopType)
	assert.Equal(t, "10.0.1.4", rt.Routes[0].NextHopIPAddress)

	var nsgApp *topology.NSG
	for _, g := range m.NSGs {
		if g.Name == "nsg-app" {
			nsgApp = g
		}
	}
	require.NotNil(t, nsgApp)
	var names []string
	for _, r := range nsgApp.Rules {
		names = append(names, r.Name)
	}
	// Two inline security_rule blocks and one azurerm_network_security_rule.
	assert.Equal(t, []string{"deny-smb-out", "allow-https-in", "deny-telnet-out"}, names)
	r := nsgApp.Rules[0]
	assert.Equal(t, 200, r.Priority)
	assert.Equal(t, "Outbound", r.Direction.String())
	assert.Equal(t, "Deny", r.Access.String())
	assert.Equal(t, "Internet", r.DestinationAddressPrefix)
	assert.Equal(t, "445", r.DestinationPortRange)
	assert.Len(t, nsgApp.RulePos, 3)

	require.Len(t, m.PublicIPs, 2)
	assert.Equal(t, netip.MustParseAddr("20.50.1.10"), m.PublicIPs[0].Address)
	assert.Equal(t, "Standard", m.PublicIPs[0].SKU)

	require.Len(t, m.Firewalls, 1)
	fw := m.Firewalls[0]
	assert.Equal(t, netip.MustParseAddr("10.0.1.4"), fw.PrivateIP)
	assert.Equal(t, topology.Ref(tfSub+"virtualNetworks/vnet-hub"), fw.VNet)
	assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "publicIPAddresses/pip-fw")}, fw.PublicIPs)
	assert.Equal(t, "fwpol-hub", fw.Policy.Name())
	assert.Equal(t, "AZFW_VNet", fw.SKU)
	assert.Equal(t, "Standard", fw.Tier)

	var peerings []string
	for _, v := range m.VNets {
		for _, p := range v.Peerings {
			peerings = append(peerings, v.Name+"->"+p.Remote.Name())
			assert.True(t, p.AllowForwardedTraffic)
			assert.True(t, p.AllowVirtualNetworkAccess)
			assert.False(t, p.UseRemoteGateways)
		}
	}
	assert.Equal(t, []string{"vnet-hub->vnet-spoke", "vnet-spoke->vnet-hub"}, peerings)

	require.Len(t, m.AIAccounts, 1)
	a := m.AIAccounts[0]
	assert.Equal(t, "OpenAI", a.Kind)
	assert.True(t, a.RestrictOutboundNetworkAccess, "outbound_network_access_restricted")
	assert.Equal(t, []string{"api.partner.example", "login.microsoftonline.com"}, a.AllowedFqdnList, "fqdns")
	assert.Len(t, a.AllowedFqdnPos, 2)
	assert.Equal(t, "Disabled", a.PublicNetworkAccess)
	assert.Equal(t, "oai-contoso-tf", a.CustomSubDomain)
	assert.Equal(t, map[string]string{"owner": "platform-team"}, a.Tags)
	assert.Equal(t, "swedencentral", a.Location)
}

func TestTerraformUnmappedTypesAreSkipped(t *testing.T) {
	m := parseTF(t, tfState)
	assert.Equal(t, map[string]int{"azurerm_resource_group": 1, "azurerm_linux_virtual_machine": 1}, m.Skipped)
}

func TestTerraformFirewallPolicy(t *testing.T) {
	m := parseTF(t, tfState)
	require.Len(t, m.FirewallPolicies, 1)
	fp := m.FirewallPolicies[0]
	assert.Equal(t, m.Firewalls[0].Policy, fp.ID)
	assert.Equal(t, "Alert", fp.ThreatIntel)
	assert.Nil(t, fp.SNATPrivateRanges, "private_ip_ranges unset: the default")
	require.Len(t, fp.RuleCollectionGroups, 1)
	g := fp.RuleCollectionGroups[0]
	assert.Equal(t, "rcg-egress", g.Name)
	assert.Equal(t, 200, g.Priority)
	require.Len(t, g.Collections, 2)
	app, netw := g.Collections[0], g.Collections[1]
	assert.Equal(t, "allow-partner", app.Name)
	assert.Equal(t, "FirewallPolicyFilterRuleCollection", app.Kind)
	assert.Equal(t, "Allow", app.Action)
	require.Len(t, app.Rules, 1)
	assert.Equal(t, "ApplicationRule", app.Rules[0].Type)
	assert.Equal(t, []string{"Https:443"}, app.Rules[0].Protocols)
	assert.Equal(t, []string{"api.partner.example"}, app.Rules[0].TargetFqdns, "destination_fqdns of an application rule")
	assert.Equal(t, "allow-ntp", netw.Name)
	assert.Equal(t, 100, netw.Priority)
	require.Len(t, netw.Rules, 1)
	assert.Equal(t, "NetworkRule", netw.Rules[0].Type)
	assert.Equal(t, []string{"UDP"}, netw.Rules[0].Protocols)
	assert.Equal(t, []string{"123"}, netw.Rules[0].DestinationPorts)
	assert.Equal(t, []string{"*"}, netw.Rules[0].DestinationAddresses)
}

// The plan adds a default route to the firewall (azurerm_route), a subnet
// whose ID is known after apply with a route table association, an NSG and
// its association through a module output, and a NIC with a dynamic
// address whose NSG association goes through a module input.
func TestTerraformPlanReferences(t *testing.T) {
	m := parseTF(t, tfPlan)
	rt := m.RouteTables[0]
	require.Len(t, rt.Routes, 2)
	assert.Equal(t, "default-via-fw", rt.Routes[1].Name)
	assert.Equal(t, "0.0.0.0/0", rt.Routes[1].AddressPrefix)
	assert.Equal(t, "10.0.1.4", rt.Routes[1].NextHopIPAddress)

	// The new subnet: the ID Azure will give it, and its association,
	// whose subnet_id is unknown, resolved through the configuration's
	// reference azurerm_subnet.data.id.
	data := tfSubnet(t, m, "vnet-spoke", "snet-data")
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.1.4.0/24")}, data.Prefixes)
	assert.Equal(t, "rt-spoke", data.RouteTable.Name())
	// The root module's association names module.spoke.data_subnet_id, a
	// module output, and a new NSG of unknown ID.
	assert.Equal(t, topology.Ref(tfSub+"networkSecurityGroups/nsg-data"), data.NSG)

	n := tfNIC(t, m, "vm-data-01-nic")
	assert.Equal(t, topology.Ref(tfSub+"networkInterfaces/vm-data-01-nic"), n.ID)
	assert.Equal(t, data.ID, n.IPConfigs[0].Subnet)
	// var.data_nsg_id: the module input, from the calling module.
	assert.Equal(t, data.NSG, n.NSG)
}

func TestTerraformPlanUnknownValues(t *testing.T) {
	m := parseTF(t, tfPlan)
	n := tfNIC(t, m, "vm-data-01-nic")
	c := n.IPConfigs[0]
	assert.False(t, c.PrivateIP.IsValid(), "a dynamic private IP known after apply is left out")
	assert.Contains(t, c.PrivateIPUnknown, "module.spoke.azurerm_network_interface.data")
	var found bool
	for _, w := range m.Warnings() {
		if errors.Is(w, topology.ErrKnownAfterApply) {
			found = true
			assert.Equal(t, "module.spoke.azurerm_network_interface.data", w.Resource)
			assert.Equal(t, "ip_configuration[0].private_ip_address", w.Field)
			assert.Positive(t, w.Pos.Line)
		}
	}
	assert.True(t, found, "warning for the unknown private IP: %v", m.Warnings())
}

func TestTerraformPlanTrace(t *testing.T) {
	tags := defaultTags(t)
	run := func(file, from string) *simulate.Result {
		n, err := topology.Load(topology.LoadOptions{Files: []string{file}, Tags: tags})
		require.NoError(t, err)
		r, err := simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: from, To: netip.MustParseAddr("52.1.2.3"), Port: 443})
		require.NoError(t, err)
		return r
	}
	// Before: snet-app has no default route; it leaves by default outbound access.
	r := run(tfState, "vm-app-01-nic")
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodDefaultOutbound, r.EgressMethod)
	// After: the new 0.0.0.0/0 route sends it to the firewall, whose policy
	// denies it by default ...
	r = run(tfPlan, "vm-app-01-nic")
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	require.GreaterOrEqual(t, len(r.Hops), 2)
	assert.Equal(t, simulate.HopFirewall, r.Hops[1].Kind)
	assert.Equal(t, "fw-hub", r.Hops[1].Name)
	// ... and allows NTP by its network rule, SNAT to its public IP.
	n, err := topology.Load(topology.LoadOptions{Files: []string{tfPlan}, Tags: tags})
	require.NoError(t, err)
	r, err = simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.UDP, Port: 123})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.50.1.10")}, r.EgressIPs)
	// The NAT gateway subnet, unchanged.
	r = run(tfPlan, "vm-batch-01-nic")
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.50.1.20")}, r.EgressIPs)
	// A NIC whose address is known after apply: Unknown, not Dropped.
	r = run(tfPlan, "vm-data-01-nic")
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "known after apply")
}

// Terraform JSON mixes with ARM exports in one load: an ARM NIC in the
// Terraform-managed subnet.
func TestTerraformMixedWithARM(t *testing.T) {
	nic := `{"id": "` + tfSub + `networkInterfaces/vm-arm-nic", "name": "vm-arm-nic", "type": "Microsoft.Network/networkInterfaces",
 "location": "westeurope", "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {"primary": true,
 "privateIPAddress": "10.1.3.10", "subnet": {"id": "` + tfSub + `virtualNetworks/vnet-spoke/subnets/snet-batch"}}}]}}`
	n, err := topology.Load(topology.LoadOptions{Files: []string{tfState}, Inputs: []topology.Input{{Name: "nic.json", Data: []byte(nic)}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	r, err := simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-arm-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod, "%s", r)
}

// tfDoc builds a minimal `terraform show -json` plan around planned
// resources, their after_unknown and their configuration.
func tfDoc(t *testing.T, resources []map[string]any, unknown map[string]any, config []map[string]any) []byte {
	t.Helper()
	var changes []map[string]any
	for _, r := range resources {
		a := r["address"].(string)
		changes = append(changes, map[string]any{"address": a, "mode": "managed", "type": r["type"], "name": r["name"],
			"change": map[string]any{"actions": []string{"create"}, "before": nil, "after": r["values"], "after_unknown": unknown[a]}})
	}
	doc := map[string]any{"format_version": "1.2", "terraform_version": "1.9.8",
		"planned_values":   map[string]any{"root_module": map[string]any{"resources": resources}},
		"resource_changes": changes,
		"configuration":    map[string]any{"root_module": map[string]any{"resources": config}}}
	b, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	return b
}

func tfResource(typ, name string, values map[string]any) map[string]any {
	return map[string]any{"address": typ + "." + name, "mode": "managed", "type": typ, "name": name,
		"provider_name": "registry.terraform.io/hashicorp/azurerm", "schema_version": 0, "values": values}
}

func TestTerraformUnknownWithoutReference(t *testing.T) {
	vnet := tfResource("azurerm_virtual_network", "v", map[string]any{"name": "v", "resource_group_name": "rg", "location": "West Europe", "address_space": []any{"10.0.0.0/16"}})
	sub := tfResource("azurerm_subnet", "s", map[string]any{"name": "s", "resource_group_name": "rg", "virtual_network_name": "v", "address_prefixes": []any{"10.0.1.0/24"}})
	rt := tfResource("azurerm_route_table", "r", map[string]any{"name": "r", "resource_group_name": "rg"})
	// route_table_id is unknown and the configuration (none here) names
	// nothing: left out, with a warning.
	assoc := tfResource("azurerm_subnet_route_table_association", "a", map[string]any{"subnet_id": tfSub + "x"})
	assoc["values"].(map[string]any)["subnet_id"] = nil
	data := tfDoc(t, []map[string]any{vnet, sub, rt, assoc}, map[string]any{
		"azurerm_virtual_network.v":                map[string]any{"id": true},
		"azurerm_subnet.s":                         map[string]any{"id": true},
		"azurerm_route_table.r":                    map[string]any{"id": true},
		"azurerm_subnet_route_table_association.a": map[string]any{"id": true, "subnet_id": true, "route_table_id": true},
	}, nil)
	m, err := topology.ParseTerraform("p.json", data)
	require.NoError(t, err)
	require.Len(t, m.VNets, 1)
	// Synthetic IDs: the placeholder subscription, the resource group and
	// the name; a location written as in the portal is normalized.
	assert.Equal(t, topology.Ref("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"), m.VNets[0].ID)
	assert.Equal(t, "westeurope", m.VNets[0].Location)
	require.Len(t, m.VNets[0].Subnets, 1)
	assert.True(t, m.VNets[0].Subnets[0].RouteTable.IsZero())
	var fields []string
	for _, w := range m.Warnings() {
		require.ErrorIs(t, w, topology.ErrKnownAfterApply)
		assert.Equal(t, "azurerm_subnet_route_table_association.a", w.Resource)
		fields = append(fields, w.Field)
	}
	assert.Equal(t, []string{"subnet_id"}, fields)
}

// A subnet added to a VNet that a data source reads (a hub managed
// elsewhere): the data source is the VNet.
func TestTerraformDataSourceVNet(t *testing.T) {
	hubID := tfSub + "virtualNetworks/vnet-hub"
	hub := tfResource("azurerm_virtual_network", "hub", map[string]any{"id": hubID, "name": "vnet-hub", "resource_group_name": "rg-net",
		"location": "westeurope", "address_space": []any{"10.0.0.0/16"}, "subnets": []any{"AzureFirewallSubnet"}})
	hub["mode"], hub["address"] = "data", "data.azurerm_virtual_network.hub"
	sub := tfResource("azurerm_subnet", "s", map[string]any{"name": "snet-shared", "resource_group_name": "rg-net", "virtual_network_name": "vnet-hub", "address_prefixes": []any{"10.0.2.0/24"}})
	nic := tfResource("azurerm_network_interface", "n", map[string]any{"name": "nic", "resource_group_name": "rg-net",
		"ip_configuration": []any{map[string]any{"name": "i", "primary": true}}})
	// The NIC's public_ip_address_id is null (a conditional that chose
	// null): its references do not count.
	pip := tfResource("azurerm_public_ip", "p", map[string]any{"id": tfSub + "publicIPAddresses/p", "name": "p", "resource_group_name": "rg-net", "ip_address": "20.1.1.1"})
	data := tfDoc(t, []map[string]any{hub, sub, nic, pip}, map[string]any{"azurerm_subnet.s": map[string]any{"id": true},
		"azurerm_network_interface.n": map[string]any{"id": true, "ip_configuration": []any{map[string]any{"subnet_id": true}}}},
		[]map[string]any{
			{"address": "azurerm_subnet.s", "mode": "managed", "type": "azurerm_subnet", "name": "s",
				"expressions": map[string]any{"virtual_network_name": map[string]any{"references": []any{"data.azurerm_virtual_network.hub.name", "data.azurerm_virtual_network.hub"}}}},
			{"address": "azurerm_network_interface.n", "mode": "managed", "type": "azurerm_network_interface", "name": "n",
				"expressions": map[string]any{"ip_configuration": []any{map[string]any{
					"subnet_id":            map[string]any{"references": []any{"azurerm_subnet.s.id", "azurerm_subnet.s"}},
					"public_ip_address_id": map[string]any{"references": []any{"var.with_pip", "azurerm_public_ip.p.id", "azurerm_public_ip.p"}}}}}},
		})
	m, err := topology.ParseTerraform("p.json", data)
	require.NoError(t, err)
	require.Len(t, m.VNets, 1)
	assert.Equal(t, topology.Ref(hubID), m.VNets[0].ID)
	require.Len(t, m.VNets[0].Subnets, 1)
	assert.Equal(t, topology.Ref(hubID+"/subnets/snet-shared"), m.VNets[0].Subnets[0].ID)
	require.Len(t, m.NICs, 1)
	assert.Equal(t, topology.Ref(hubID+"/subnets/snet-shared"), m.NICs[0].IPConfigs[0].Subnet)
	assert.True(t, m.NICs[0].IPConfigs[0].PublicIP.IsZero())
	assert.Empty(t, m.Skipped)
}

func TestTerraformSyntheticIDFromAddress(t *testing.T) {
	// The name is known after apply too: the ID is made from the address.
	nat := tfResource("azurerm_nat_gateway", "n", map[string]any{"resource_group_name": "rg", "sku_name": "Standard"})
	m, err := topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{nat}, map[string]any{"azurerm_nat_gateway.n": map[string]any{"id": true, "name": true}}, nil))
	require.NoError(t, err)
	require.Len(t, m.NATGateways, 1)
	assert.Equal(t, topology.Ref("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/natGateways/azurerm_nat_gateway.n"), m.NATGateways[0].ID)
}

func TestTerraformErrors(t *testing.T) {
	vnet := func(space any) []byte {
		return tfDoc(t, []map[string]any{tfResource("azurerm_virtual_network", "v", map[string]any{"id": tfSub + "virtualNetworks/v", "name": "v", "address_space": space})}, nil, nil)
	}
	orphan := tfDoc(t, []map[string]any{tfResource("azurerm_subnet", "s", map[string]any{"name": "s", "resource_group_name": "rg", "virtual_network_name": "nowhere", "address_prefixes": []any{"10.0.1.0/24"}})}, nil, nil)
	for _, tc := range []struct {
		name, data       string
		kind             error
		resource, field  string
		wantLine, detail string
	}{
		{"host bits", string(vnet([]any{"10.0.0.1/16"})), topology.ErrInvalid, "azurerm_virtual_network.v", "address_space[0]", "line", "did you mean 10.0.0.0/16"},
		{"not a list", string(vnet("10.0.0.0/16")), topology.ErrInvalid, "azurerm_virtual_network.v", "address_space", "line", "list"},
		{"missing parent", string(orphan), topology.ErrDangling, "azurerm_subnet.s", "virtual_network_name", "line", "azurerm_virtual_network"},
		{"wrong type", `{"format_version": "1.0", "terraform_version": "1.9.8",
 "values": {"root_module": {"resources": [{"address": 7}]}}}`, topology.ErrInvalid, "", "values.root_module.resources.address", "line", "want string"},
		{"format 2.0", `{"format_version": "2.0", "terraform_version": "9.0.0", "values": {}}`, topology.ErrInvalid, "", "", "", "unsupported state format version"},
		{"syntax", `{"format_version": "1.0", "terraform_version": "1.9.8", "values": {`, nil, "", "", "", "end"},
		{"not terraform", `{"value": []}`, topology.ErrSyntax, "", "", "", "terraform show -json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := topology.ParseTerraform("bad.json", []byte(tc.data))
			require.Error(t, err)
			var e *topology.Error
			require.ErrorAs(t, err, &e, "%v", err)
			assert.Equal(t, "bad.json", e.Pos.File)
			if tc.kind != nil {
				assert.ErrorIs(t, err, tc.kind)
			}
			assert.Equal(t, tc.resource, e.Resource)
			assert.Equal(t, tc.field, e.Field)
			if tc.wantLine != "" {
				assert.Positive(t, e.Pos.Line, "%v", err)
			}
			assert.Contains(t, err.Error(), tc.detail)
		})
	}
}

func TestTerraformDetectedByLoad(t *testing.T) {
	m, err := topology.ParseFiles(topology.LoadOptions{}, tfPlan)
	require.NoError(t, err)
	assert.Len(t, m.NICs, 4)
	// Through stdin-like inputs too, by content alone.
	data, err := os.ReadFile(tfState)
	require.NoError(t, err)
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "<stdin>", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	m = n.Model()
	require.Len(t, m.NICs, 3)
	assert.Equal(t, "<stdin>", m.NICs[0].Pos.File)
}

func TestTerraformDeterministic(t *testing.T) {
	a, b := parseTF(t, tfPlan), parseTF(t, tfPlan)
	assert.Equal(t, summary(a), summary(b))
	assert.Equal(t, a.Warnings(), b.Warnings())
}

func FuzzParseTerraform(f *testing.F) {
	// Small seeds: the fixtures are too big for the fuzzer to minimize
	// quickly (TestTerraform* cover them).
	f.Add([]byte(`{"format_version":"1.0","terraform_version":"1.9.8","values":{"root_module":{"resources":[
{"address":"azurerm_virtual_network.v","mode":"managed","type":"azurerm_virtual_network","name":"v","values":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v","name":"v","resource_group_name":"rg","address_space":["10.0.0.0/16"],"subnet":[{"name":"a","address_prefixes":["10.0.1.0/24"],"security_group":""}]}},
{"address":"azurerm_network_interface.n","mode":"managed","type":"azurerm_network_interface","name":"n","values":{"name":"n","resource_group_name":"rg","ip_configuration":[{"name":"i","subnet_id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a","private_ip_address":"10.0.1.4","primary":true}]}},
{"address":"azurerm_network_security_group.g","mode":"managed","type":"azurerm_network_security_group","name":"g","values":{"name":"g","resource_group_name":"rg","security_rule":[{"name":"r","priority":100,"direction":"Outbound","access":"Deny","protocol":"Tcp","destination_port_range":"25"}]}},
{"address":"azurerm_subnet_network_security_group_association.a","mode":"managed","type":"azurerm_subnet_network_security_group_association","name":"a","values":{"subnet_id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a","network_security_group_id":"x"}}]}}}`))
	f.Add([]byte(`{"format_version":"1.2","terraform_version":"1.9.8","planned_values":{"root_module":{"resources":[{"address":"azurerm_route_table.t","mode":"managed","type":"azurerm_route_table","name":"t","values":{"name":"t","resource_group_name":"rg","route":[{"name":"d","address_prefix":"0.0.0.0/0","next_hop_type":"VirtualAppliance"}]}},{"address":"azurerm_network_interface.n","mode":"managed","type":"azurerm_network_interface","name":"n","values":{"name":"n","ip_configuration":[{"name":"i"}]}}]}},
"resource_changes":[{"address":"azurerm_network_interface.n","change":{"actions":["create"],"after_unknown":{"id":true,"ip_configuration":[{"private_ip_address":true,"subnet_id":true}]}}},{"address":"azurerm_route_table.t","change":{"after_unknown":{"route":[{"next_hop_in_ip_address":true}]}}}],
"configuration":{"root_module":{"resources":[{"address":"azurerm_network_interface.n","expressions":{"ip_configuration":[{"subnet_id":{"references":["azurerm_subnet.s.id","azurerm_subnet.s"]}}]}}]}}}`))
	f.Add([]byte(`{"format_version":"1.0","terraform_version":"1.9.8","values":{"root_module":{"resources":[{"address":"azurerm_subnet.s","mode":"managed","type":"azurerm_subnet","name":"s","values":{"virtual_network_name":"v"}}]}}}`))
	f.Add([]byte(`{"format_version":"1.2","terraform_version":"1.9.8","planned_values":{"root_module":{"child_modules":[{"address":"module.a[0]","resources":[{"address":"module.a[0].azurerm_route.r","type":"azurerm_route","mode":"managed","values":{"route_table_name":"t"}}]}]}},"configuration":{"root_module":{"module_calls":{"a":{"module":{"resources":[{"address":"azurerm_route.r","expressions":{"route_table_name":{"references":["var.t","module.x.y","azurerm_route_table.t[\"k\"]"]}}}]}}}}}}`))
	// References through locals, instance keys (quoted, with dots),
	// module instances and each.value.
	f.Add([]byte(`{"format_version":"1.2","terraform_version":"1.11.4","planned_values":{"root_module":{"resources":[{"address":"azurerm_subnet_route_table_association.a[\"x.y\"]","type":"azurerm_subnet_route_table_association","mode":"managed","values":{}}],"child_modules":[{"address":"module.m[\"k.]\"]","resources":[{"address":"module.m[\"k.]\"].azurerm_route_table.t","type":"azurerm_route_table","mode":"managed","values":{"name":"t","route":[{"name":"r","next_hop_type":"VirtualAppliance"}]}}]}]}},
"resource_changes":[{"address":"azurerm_subnet_route_table_association.a[\"x.y\"]","change":{"after_unknown":{"subnet_id":true,"route_table_id":true}}},{"address":"module.m[\"k.]\"].azurerm_route_table.t","change":{"after_unknown":{"route":[{"next_hop_in_ip_address":true}]}}}],
"configuration":{"root_module":{"resources":[{"address":"azurerm_subnet_route_table_association.a","for_each_expression":{"references":["azurerm_subnet.s"]},"expressions":{"subnet_id":{"references":["each.value.id","each.value"]},"route_table_id":{"references":["module.m[\"k.]\"].rt","module.m[\"k.]\"]","local.x"]}}}],"module_calls":{"m":{"expressions":{"hop":{"references":["azurerm_firewall.f[0].ip_configuration[0].private_ip_address","count.index"]}},"module":{"outputs":{"rt":{"expression":{"references":["azurerm_route_table.t.id"]}}},"resources":[{"address":"azurerm_route_table.t","expressions":{"route":[{"next_hop_in_ip_address":{"references":["var.hop"]}}]}}]}}}}}}`))
	// NSG rules whose priority or direction is known after apply, an
	// application rule whose protocols are, a pool member by IP address
	// and a local network gateway by FQDN.
	f.Add([]byte(`{"format_version":"1.2","terraform_version":"1.9.8","planned_values":{"root_module":{"resources":[
{"address":"azurerm_network_security_group.g","mode":"managed","type":"azurerm_network_security_group","name":"g","values":{"name":"g","resource_group_name":"rg","security_rule":[{"name":"r","priority":null,"direction":null,"access":"Deny","protocol":"Tcp","destination_port_range":"25"},{"name":"s","priority":100,"direction":"Outbound","access":"Allow","protocol":"*","destination_address_prefix":"10.0.0.0/8"}]}},
{"address":"azurerm_firewall_policy.p","mode":"managed","type":"azurerm_firewall_policy","name":"p","values":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/p","name":"p","resource_group_name":"rg"}},
{"address":"azurerm_firewall_policy_rule_collection_group.c","mode":"managed","type":"azurerm_firewall_policy_rule_collection_group","name":"c","values":{"name":"c","firewall_policy_id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/p","priority":100,"application_rule_collection":[{"name":"a","priority":100,"action":"Allow","rule":[{"name":"x","protocols":null,"source_addresses":["*"],"destination_fqdns":["a.example"]}]}]}},
{"address":"azurerm_lb.l","mode":"managed","type":"azurerm_lb","name":"l","values":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/l","name":"l","resource_group_name":"rg"}},
{"address":"azurerm_lb_backend_address_pool.b","mode":"managed","type":"azurerm_lb_backend_address_pool","name":"b","values":{"name":"b","loadbalancer_id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/l"}},
{"address":"azurerm_lb_backend_address_pool_address.a","mode":"managed","type":"azurerm_lb_backend_address_pool_address","name":"a","values":{"name":"a","backend_address_pool_id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/l/backendAddressPools/b","ip_address":"10.0.1.4"}},
{"address":"azurerm_local_network_gateway.g","mode":"managed","type":"azurerm_local_network_gateway","name":"g","values":{"name":"g","resource_group_name":"rg","gateway_fqdn":"vpn.example","address_space":["192.168.0.0/16"]}}]}},
"resource_changes":[{"address":"azurerm_network_security_group.g","change":{"after_unknown":{"security_rule":[{"priority":true,"direction":true}]}}},{"address":"azurerm_firewall_policy_rule_collection_group.c","change":{"after_unknown":{"application_rule_collection":[{"rule":[{"protocols":true}]}]}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := topology.ParseTerraform("fuzz.json", data)
		if err != nil {
			assert.Nil(t, m)
			for _, e := range leafErrors(err) {
				var te *topology.Error
				if !errors.As(e, &te) && !strings.HasPrefix(e.Error(), "... and ") {
					t.Fatalf("error %T %v is not a *topology.Error", e, e)
				}
			}
			return
		}
		require.NotNil(t, m)
		_ = m.Warnings()
	})
}

// leafErrors flattens errors.Join trees.
func leafErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// ExampleParseTerraform reads `terraform show -json` output of a state: the
// NICs with their subnets and addresses, and what egress does not model.
func ExampleParseTerraform() {
	data, err := os.ReadFile("testdata/terraform/state.json")
	if err != nil {
		panic(err)
	}
	m, err := topology.ParseTerraform("state.json", data)
	if err != nil {
		panic(err)
	}
	for _, n := range m.NICs {
		c := n.Primary()
		fmt.Println(n.Name, c.Subnet.Name(), c.PrivateIP)
	}
	for _, t := range slices.Sorted(maps.Keys(m.Skipped)) {
		fmt.Println("not modelled:", t, m.Skipped[t])
	}
	// Output:
	// vm-app-01-nic snet-app 10.1.1.4
	// vm-batch-01-nic snet-batch 10.1.3.4
	// vm-private-01-nic snet-private 10.1.2.4
	// not modelled: azurerm_linux_virtual_machine 1
	// not modelled: azurerm_resource_group 1
}

// An element of a list known after apply is left out, and warned about;
// the known elements keep their indices in the messages.
func TestTerraformUnknownListElement(t *testing.T) {
	vnet := tfResource("azurerm_virtual_network", "v", map[string]any{"id": tfSub + "virtualNetworks/v", "name": "v", "address_space": []any{nil, "10.0.0.0/16", "10.1.0.1/16"}})
	_, err := topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{vnet}, map[string]any{"azurerm_virtual_network.v": map[string]any{"address_space": []any{true, false, false}}}, nil))
	var e *topology.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "address_space[2]", e.Field, "%v", err)

	vnet = tfResource("azurerm_virtual_network", "v", map[string]any{"id": tfSub + "virtualNetworks/v", "name": "v", "address_space": []any{nil, "10.0.0.0/16"}})
	m, err := topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{vnet}, map[string]any{"azurerm_virtual_network.v": map[string]any{"address_space": []any{true, false}}}, nil))
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}, m.VNets[0].AddressSpace)
	require.Len(t, m.Warnings(), 1)
	assert.Equal(t, "address_space[0]", m.Warnings()[0].Field)
	assert.ErrorIs(t, m.Warnings()[0], topology.ErrKnownAfterApply)
}

// A plan that creates a hub firewall and a route to it: the route's next hop
// (ip_configuration[0].private_ip_address of the new firewall) is known
// after apply, and becomes the address the model infers for the firewall,
// stated as an assumption.
func TestTerraformRouteToNewFirewall(t *testing.T) {
	rg := map[string]any{"resource_group_name": "rg", "location": "westeurope"}
	with := func(m map[string]any) map[string]any {
		for k, v := range rg {
			m[k] = v
		}
		return m
	}
	res := []map[string]any{
		tfResource("azurerm_virtual_network", "hub", with(map[string]any{"name": "hub", "address_space": []any{"10.0.0.0/16"}})),
		tfResource("azurerm_subnet", "fw", with(map[string]any{"name": "AzureFirewallSubnet", "virtual_network_name": "hub", "address_prefixes": []any{"10.0.1.0/26"}})),
		tfResource("azurerm_subnet", "app", with(map[string]any{"name": "app", "virtual_network_name": "hub", "address_prefixes": []any{"10.0.2.0/24"}})),
		tfResource("azurerm_firewall", "fw", with(map[string]any{"name": "fw", "sku_name": "AZFW_VNet", "sku_tier": "Standard", "ip_configuration": []any{map[string]any{"name": "c"}}})),
		tfResource("azurerm_route_table", "rt", with(map[string]any{"name": "rt", "route": []any{map[string]any{"name": "default", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance"}}})),
		tfResource("azurerm_subnet_route_table_association", "app", map[string]any{}),
		tfResource("azurerm_network_interface", "vm", with(map[string]any{"name": "vm-nic", "ip_configuration": []any{map[string]any{"name": "c", "private_ip_address": "10.0.2.4", "primary": true}}})),
	}
	ref := func(r ...any) map[string]any { return map[string]any{"references": r} }
	config := []map[string]any{
		{"address": "azurerm_firewall.fw", "expressions": map[string]any{"ip_configuration": []any{map[string]any{"subnet_id": ref("azurerm_subnet.fw.id", "azurerm_subnet.fw")}}}},
		{"address": "azurerm_route_table.rt", "expressions": map[string]any{"route": []any{map[string]any{
			"next_hop_in_ip_address": ref("azurerm_firewall.fw.ip_configuration[0].private_ip_address", "azurerm_firewall.fw.ip_configuration[0]", "azurerm_firewall.fw")}}}},
		{"address": "azurerm_subnet_route_table_association.app", "expressions": map[string]any{"subnet_id": ref("azurerm_subnet.app.id", "azurerm_subnet.app"), "route_table_id": ref("azurerm_route_table.rt.id", "azurerm_route_table.rt")}},
		{"address": "azurerm_network_interface.vm", "expressions": map[string]any{"ip_configuration": []any{map[string]any{"subnet_id": ref("azurerm_subnet.app.id", "azurerm_subnet.app")}}}},
	}
	unknown := map[string]any{
		"azurerm_firewall.fw":                        map[string]any{"id": true, "ip_configuration": []any{map[string]any{"private_ip_address": true, "subnet_id": true}}},
		"azurerm_route_table.rt":                     map[string]any{"id": true, "route": []any{map[string]any{"next_hop_in_ip_address": true}}},
		"azurerm_subnet_route_table_association.app": map[string]any{"id": true, "subnet_id": true, "route_table_id": true},
		"azurerm_network_interface.vm":               map[string]any{"id": true, "ip_configuration": []any{map[string]any{"subnet_id": true}}},
	}
	data := tfDoc(t, res, unknown, config)
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	assert.Empty(t, n.Validation().Rejected, "the route is not one Azure would reject")
	m := n.Model()
	require.Len(t, m.RouteTables, 1)
	assert.Equal(t, "10.0.1.4", m.RouteTables[0].Routes[0].NextHopIPAddress)
	var said bool
	for _, w := range m.Warnings() {
		if w.Resource == "azurerm_route_table.rt" && w.Field == "route[0].next_hop_in_ip_address" {
			said = errors.Is(w, topology.ErrKnownAfterApply) && strings.Contains(w.Error(), "azurerm_firewall.fw")
		}
	}
	assert.True(t, said, "a warning names the route and the firewall: %v", m.Warnings())
	r, err := simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(r.Hops), 2, "%s", r)
	assert.Equal(t, simulate.HopFirewall, r.Hops[1].Kind, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "taken as 10.0.1.4", "%s", r)
}

// A VNet in a Terraform state and in an ARM export of it is one VNet; when
// the two disagree, the error names both positions.
func TestTerraformMergesWithARMExport(t *testing.T) {
	m, err := topology.ParseFiles(topology.LoadOptions{}, tfState, "testdata/terraform/hub-arm.json")
	require.NoError(t, err)
	assert.Len(t, m.VNets, 3)

	arm, err := os.ReadFile("testdata/terraform/hub-arm.json")
	require.NoError(t, err)
	other := strings.Replace(string(arm), `"addressPrefixes":["10.0.0.0/16"]`, `"addressPrefixes":["10.9.0.0/16"]`, 1)
	require.NotEqual(t, string(arm), other)
	_, err = topology.Load(topology.LoadOptions{Files: []string{tfState}, Inputs: []topology.Input{{Name: "hub-arm.json", Data: []byte(other)}}, Tags: defaultTags(t)})
	require.Error(t, err)
	assert.ErrorIs(t, err, topology.ErrDuplicate)
	assert.Contains(t, err.Error(), "state.json:")
	assert.Contains(t, err.Error(), "hub-arm.json:")
}

const (
	tfLBState = "testdata/terraform/lb-state.json"
	tfAppSub  = "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-app/providers/Microsoft.Network/"
)

func TestTerraformLoadBalancer(t *testing.T) {
	m := parseTF(t, tfLBState)
	assert.Empty(t, m.Skipped)
	require.Len(t, m.LoadBalancers, 1)
	lb := m.LoadBalancers[0]
	lbID := tfAppSub + "loadBalancers/lb-web"
	assert.Equal(t, topology.Ref(lbID), lb.ID)
	assert.Equal(t, "Standard", lb.SKU)
	assert.True(t, lb.IsPublic())
	require.Len(t, lb.Frontends, 2)
	assert.Equal(t, topology.Ref(tfAppSub+"publicIPAddresses/pip-lb-web"), lb.Frontends[0].PublicIP)
	assert.False(t, lb.Frontends[0].PrivateIP.IsValid())
	assert.Equal(t, netip.MustParseAddr("10.20.1.100"), lb.Frontends[1].PrivateIP)
	assert.Equal(t, topology.Ref(tfAppSub+"virtualNetworks/vnet-lb/subnets/snet-web"), lb.Frontends[1].Subnet)
	pool := topology.Ref(lbID + "/backendAddressPools/pool-web")
	require.Len(t, lb.BackendPools, 1)
	assert.Equal(t, pool, lb.BackendPools[0].ID)
	assert.False(t, lb.BackendPools[0].ByIPAddress)
	require.Len(t, lb.Rules, 1)
	assert.Equal(t, lb.Frontends[0].ID, lb.Rules[0].Frontend)
	assert.Equal(t, pool, lb.Rules[0].BackendPool)
	assert.Equal(t, "Tcp", lb.Rules[0].Protocol)
	assert.True(t, lb.Rules[0].DisableOutboundSnat)
	require.Len(t, lb.OutboundRules, 1)
	or := lb.OutboundRules[0]
	assert.Equal(t, []topology.Ref{lb.Frontends[0].ID}, or.Frontends)
	assert.Equal(t, pool, or.BackendPool)
	assert.Equal(t, "All", or.Protocol)
	// azurerm_network_interface_backend_address_pool_association.
	nic := tfNIC(t, m, "vm-web-01-nic")
	assert.Equal(t, []topology.Ref{pool}, nic.IPConfigs[0].BackendPools)
}

func TestTerraformLoadBalancerTrace(t *testing.T) {
	n, err := topology.Load(topology.LoadOptions{Files: []string{tfLBState}, Tags: defaultTags(t)})
	require.NoError(t, err)
	r, err := simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-web-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodLoadBalancer, r.EgressMethod, "%s", r)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.61.7.40")}, r.EgressIPs)
}

func TestTerraformASGsAndPrivateEndpoint(t *testing.T) {
	m := parseTF(t, tfLBState)
	require.Len(t, m.ASGs, 2)
	web, db := topology.Ref(tfAppSub+"applicationSecurityGroups/asg-web"), topology.Ref(tfAppSub+"applicationSecurityGroups/asg-db")
	assert.Equal(t, web, m.ASGs[0].ID)
	assert.Equal(t, []topology.Ref{web}, tfNIC(t, m, "vm-web-01-nic").IPConfigs[0].ASGs)
	require.Len(t, m.NSGs, 1)
	rule := m.NSGs[0].Rules[0]
	assert.Equal(t, []string{string(web)}, rule.SourceApplicationSecurityGroups)
	assert.Equal(t, []string{string(db)}, rule.DestinationApplicationSecurityGroups)

	require.Len(t, m.PrivateEndpoints, 1)
	pe := m.PrivateEndpoints[0]
	assert.Equal(t, "pe-stwebdata-blob", pe.Name)
	assert.Equal(t, topology.Ref(tfAppSub+"virtualNetworks/vnet-lb/subnets/snet-pe"), pe.Subnet)
	assert.Equal(t, topology.Ref("/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/stwebdata"), pe.Service)
	assert.Equal(t, "blob", pe.GroupID)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.20.2.5")}, pe.IPs)
	assert.Equal(t, "pe-stwebdata-blob.nic.6f1c2d3e", pe.NIC.Name())
	assert.Empty(t, m.Warnings())
}

// A plan that creates a load balancer, its pool and outbound rule, the
// pool association and a private endpoint: IDs come through the
// configuration's references, the endpoint's address is known after apply.
func TestTerraformPlanLoadBalancerAndPrivateEndpoint(t *testing.T) {
	vnet := tfResource("azurerm_virtual_network", "v", map[string]any{"name": "v", "resource_group_name": "rg", "location": "westeurope", "address_space": []any{"10.0.0.0/16"}})
	sub := tfResource("azurerm_subnet", "s", map[string]any{"name": "s", "resource_group_name": "rg", "virtual_network_name": "v", "address_prefixes": []any{"10.0.1.0/24"}})
	nic := tfResource("azurerm_network_interface", "n", map[string]any{"name": "n", "resource_group_name": "rg", "location": "westeurope",
		"ip_configuration": []any{map[string]any{"name": "ipc", "private_ip_address_allocation": "Static", "private_ip_address": "10.0.1.4", "subnet_id": nil}}})
	lb := tfResource("azurerm_lb", "l", map[string]any{"name": "lb", "resource_group_name": "rg", "location": "westeurope", "sku": "Standard",
		"frontend_ip_configuration": []any{map[string]any{"name": "fe", "public_ip_address_id": nil, "subnet_id": nil}}})
	pool := tfResource("azurerm_lb_backend_address_pool", "p", map[string]any{"name": "pool"})
	out := tfResource("azurerm_lb_outbound_rule", "o", map[string]any{"name": "out", "protocol": "Tcp", "allocated_outbound_ports": 0,
		"frontend_ip_configuration": []any{map[string]any{"name": "fe"}}})
	assoc := tfResource("azurerm_network_interface_backend_address_pool_association", "a", map[string]any{"ip_configuration_name": "ipc"})
	pe := tfResource("azurerm_private_endpoint", "e", map[string]any{"name": "pe", "resource_group_name": "rg", "location": "westeurope",
		"private_service_connection": []any{map[string]any{"name": "c", "is_manual_connection": false,
			"private_connection_resource_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", "subresource_names": []any{"vault"}}}})
	cfg := func(typ, name string, exprs map[string]any) map[string]any {
		return map[string]any{"address": typ + "." + name, "mode": "managed", "type": typ, "name": name, "expressions": exprs}
	}
	refs := func(rs ...string) map[string]any { return map[string]any{"references": rs} }
	data := tfDoc(t, []map[string]any{vnet, sub, nic, lb, pool, out, assoc, pe}, map[string]any{
		"azurerm_virtual_network.v":         map[string]any{"id": true},
		"azurerm_subnet.s":                  map[string]any{"id": true},
		"azurerm_network_interface.n":       map[string]any{"id": true, "ip_configuration": []any{map[string]any{"subnet_id": true}}},
		"azurerm_lb.l":                      map[string]any{"id": true, "frontend_ip_configuration": []any{map[string]any{"id": true, "private_ip_address": true}}},
		"azurerm_lb_backend_address_pool.p": map[string]any{"id": true, "loadbalancer_id": true},
		"azurerm_lb_outbound_rule.o": map[string]any{"id": true, "loadbalancer_id": true, "backend_address_pool_id": true,
			"frontend_ip_configuration": []any{map[string]any{"id": true}}},
		"azurerm_network_interface_backend_address_pool_association.a": map[string]any{"id": true, "network_interface_id": true, "backend_address_pool_id": true},
		"azurerm_private_endpoint.e": map[string]any{"id": true, "subnet_id": true, "network_interface": true, "custom_dns_configs": true,
			"private_service_connection": []any{map[string]any{"private_ip_address": true}}},
	}, []map[string]any{
		cfg("azurerm_network_interface", "n", map[string]any{"ip_configuration": []any{map[string]any{"subnet_id": refs("azurerm_subnet.s.id", "azurerm_subnet.s")}}}),
		cfg("azurerm_lb_backend_address_pool", "p", map[string]any{"loadbalancer_id": refs("azurerm_lb.l.id", "azurerm_lb.l")}),
		cfg("azurerm_lb_outbound_rule", "o", map[string]any{"loadbalancer_id": refs("azurerm_lb.l.id", "azurerm_lb.l"),
			"backend_address_pool_id": refs("azurerm_lb_backend_address_pool.p.id", "azurerm_lb_backend_address_pool.p")}),
		cfg("azurerm_network_interface_backend_address_pool_association", "a", map[string]any{
			"network_interface_id":    refs("azurerm_network_interface.n.id", "azurerm_network_interface.n"),
			"backend_address_pool_id": refs("azurerm_lb_backend_address_pool.p.id", "azurerm_lb_backend_address_pool.p")}),
		cfg("azurerm_private_endpoint", "e", map[string]any{"subnet_id": refs("azurerm_subnet.s.id", "azurerm_subnet.s")}),
	})
	m, err := topology.ParseTerraform("p.json", data)
	require.NoError(t, err)
	require.Len(t, m.LoadBalancers, 1)
	l := m.LoadBalancers[0]
	lbID := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"
	assert.Equal(t, topology.Ref(lbID), l.ID)
	require.Len(t, l.Frontends, 1)
	assert.Equal(t, topology.Ref(lbID+"/frontendIPConfigurations/fe"), l.Frontends[0].ID)
	require.Len(t, l.BackendPools, 1)
	poolID := topology.Ref(lbID + "/backendAddressPools/pool")
	assert.Equal(t, poolID, l.BackendPools[0].ID)
	require.Len(t, l.OutboundRules, 1)
	assert.Equal(t, poolID, l.OutboundRules[0].BackendPool)
	assert.Equal(t, []topology.Ref{l.Frontends[0].ID}, l.OutboundRules[0].Frontends)
	n := tfNIC(t, m, "n")
	assert.Equal(t, []topology.Ref{poolID}, n.IPConfigs[0].BackendPools)

	require.Len(t, m.PrivateEndpoints, 1)
	e := m.PrivateEndpoints[0]
	assert.Equal(t, "s", e.Subnet.Name())
	assert.Equal(t, "vault", e.GroupID)
	assert.Empty(t, e.IPs)
	var got []string
	for _, w := range m.Warnings() {
		if errors.Is(w, topology.ErrKnownAfterApply) {
			got = append(got, w.Resource+" "+w.Field)
		}
	}
	assert.Equal(t, []string{"azurerm_private_endpoint.e private_service_connection[0].private_ip_address"}, got)
}

func TestTerraformLoadBalancerErrors(t *testing.T) {
	lb := tfResource("azurerm_lb", "l", map[string]any{"id": tfSub + "loadBalancers/lb", "name": "lb", "resource_group_name": "rg-net",
		"frontend_ip_configuration": []any{map[string]any{"name": "fe"}}})
	rule := tfResource("azurerm_lb_rule", "r", map[string]any{"name": "r", "loadbalancer_id": tfSub + "loadBalancers/lb", "frontend_ip_configuration_name": "nope", "protocol": "Tcp"})
	pool := tfResource("azurerm_lb_backend_address_pool", "p", map[string]any{"name": "p", "loadbalancer_id": tfSub + "loadBalancers/other"})
	_, err := topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{lb, rule, pool}, nil, nil))
	require.Error(t, err)
	var msgs []string
	for _, e := range leafErrors(err) {
		var te *topology.Error
		require.ErrorAs(t, e, &te)
		assert.Equal(t, "p.json", te.Pos.File)
		assert.Positive(t, te.Pos.Line)
		msgs = append(msgs, te.Resource+" "+te.Field)
	}
	assert.ElementsMatch(t, []string{"azurerm_lb_rule.r frontend_ip_configuration_name", "azurerm_lb_backend_address_pool.p loadbalancer_id"}, msgs)
}

func TestTerraformWebApps(t *testing.T) {
	const tfWebState = "testdata/terraform/web-state.json"
	m := parseTF(t, tfWebState)
	assert.Empty(t, m.Skipped)
	assert.Empty(t, m.Warnings())
	require.Len(t, m.WebApps, 2)
	api, jobs := m.WebApps[0], m.WebApps[1]
	net := "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-web/providers/Microsoft.Network/virtualNetworks/vnet-web/subnets/"
	assert.Equal(t, "app-api-contoso", api.Name)
	assert.Equal(t, "app,linux", api.Kind)
	assert.Equal(t, topology.Ref(net+"snet-integration"), api.Subnet)
	require.NotNil(t, api.Routing.SiteConfigVnetRouteAllEnabled)
	assert.True(t, *api.Routing.SiteConfigVnetRouteAllEnabled)
	assert.Equal(t, "1", api.Routing.AppContentOverVNet)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.105.10.1"), netip.MustParseAddr("20.105.10.2")}, api.OutboundIPs)
	assert.Len(t, api.PossibleOutboundIPs, 3)
	assert.Equal(t, "Enabled", api.PublicNetworkAccess)

	// The swift connection is the function app's integration.
	assert.Equal(t, "functionapp", jobs.Kind)
	assert.Equal(t, topology.Ref(net+"snet-func"), jobs.Subnet)
	require.NotNil(t, jobs.Routing.SiteConfigVnetRouteAllEnabled)
	assert.False(t, *jobs.Routing.SiteConfigVnetRouteAllEnabled)
	assert.Equal(t, "Disabled", jobs.PublicNetworkAccess)

	n, err := topology.Load(topology.LoadOptions{Files: []string{tfWebState}, Tags: defaultTags(t)})
	require.NoError(t, err)
	w := webApp(t, n, "app-api-contoso")
	routed, by := w.Routing().RoutesAll(topology.TrafficApplication)
	assert.True(t, routed)
	assert.Equal(t, "siteConfig.vnetRouteAllEnabled", by)
	_, ok := w.Subnet()
	assert.True(t, ok)
	routed, _ = webApp(t, n, "func-jobs-contoso").Routing().RoutesAll(topology.TrafficApplication)
	assert.False(t, routed)
}

// A new app: its outbound addresses are known after apply, its
// integration subnet comes through the configuration's reference, and the
// swift connection names an app the input does not hold.
func TestTerraformPlanWebApp(t *testing.T) {
	vnet := tfResource("azurerm_virtual_network", "v", map[string]any{"name": "v", "resource_group_name": "rg", "location": "westeurope", "address_space": []any{"10.0.0.0/16"}})
	sub := tfResource("azurerm_subnet", "s", map[string]any{"name": "s", "resource_group_name": "rg", "virtual_network_name": "v", "address_prefixes": []any{"10.0.1.0/24"}})
	app := tfResource("azurerm_linux_function_app", "f", map[string]any{"name": "f", "resource_group_name": "rg", "location": "westeurope",
		"site_config": []any{map[string]any{"vnet_route_all_enabled": true}}})
	data := tfDoc(t, []map[string]any{vnet, sub, app}, map[string]any{
		"azurerm_virtual_network.v":    map[string]any{"id": true},
		"azurerm_subnet.s":             map[string]any{"id": true},
		"azurerm_linux_function_app.f": map[string]any{"id": true, "kind": true, "virtual_network_subnet_id": true, "outbound_ip_address_list": true, "possible_outbound_ip_address_list": true},
	}, []map[string]any{{"address": "azurerm_linux_function_app.f", "mode": "managed", "type": "azurerm_linux_function_app", "name": "f",
		"expressions": map[string]any{"virtual_network_subnet_id": map[string]any{"references": []string{"azurerm_subnet.s.id", "azurerm_subnet.s"}}}}})
	m, err := topology.ParseTerraform("p.json", data)
	require.NoError(t, err)
	require.Len(t, m.WebApps, 1)
	f := m.WebApps[0]
	assert.Equal(t, "functionapp,linux", f.Kind)
	assert.Equal(t, topology.Ref("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Web/sites/f"), f.ID)
	assert.Equal(t, "s", f.Subnet.Name())
	assert.Nil(t, f.OutboundIPs)
	var fields []string
	for _, w := range m.Warnings() {
		require.ErrorIs(t, w, topology.ErrKnownAfterApply)
		assert.Equal(t, "azurerm_linux_function_app.f", w.Resource)
		fields = append(fields, w.Field)
	}
	assert.Equal(t, []string{"outbound_ip_address_list", "possible_outbound_ip_address_list"}, fields)

	swift := tfResource("azurerm_app_service_virtual_network_swift_connection", "x", map[string]any{
		"app_service_id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/other", "subnet_id": "/subscriptions/s/x"})
	_, err = topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{swift}, nil, nil))
	var te *topology.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "azurerm_app_service_virtual_network_swift_connection.x", te.Resource)
	assert.Equal(t, "app_service_id", te.Field)
	assert.ErrorIs(t, err, topology.ErrDangling)
	assert.Positive(t, te.Pos.Line)
}

func TestTerraformGateways(t *testing.T) {
	const tfGWState = "testdata/terraform/gateway-state.json"
	rg := "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-hybrid/providers/Microsoft.Network/"
	m := parseTF(t, tfGWState)
	assert.Empty(t, m.Skipped)
	assert.Empty(t, m.Warnings())
	require.Len(t, m.Gateways, 1)
	gw := m.Gateways[0]
	assert.Equal(t, topology.GatewayVpn, gw.Type)
	assert.Equal(t, topology.Ref(rg+"virtualNetworks/vnet-hybrid"), gw.VNet)
	assert.Equal(t, []topology.Ref{topology.Ref(rg + "publicIPAddresses/pip-vgw-hybrid")}, gw.PublicIPs)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.40.255.30")}, gw.PrivateIPs)
	assert.False(t, gw.ActiveActive)
	require.Len(t, m.LocalNetworkGateways, 1)
	l := m.LocalNetworkGateways[0]
	assert.Equal(t, netip.MustParseAddr("203.0.113.10"), l.GatewayIP)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("192.168.10.0/24"), netip.MustParsePrefix("192.168.20.0/24")}, l.AddressPrefixes)
	require.Len(t, m.Connections, 1)
	c := m.Connections[0]
	assert.Equal(t, "IPsec", c.Type)
	assert.Equal(t, gw.ID, c.Gateway)
	assert.Equal(t, l.ID, c.LocalGateway)
	assert.True(t, c.Peer.IsZero())

	n, err := topology.Load(topology.LoadOptions{Files: []string{tfGWState}, Tags: defaultTags(t)})
	require.NoError(t, err)
	r, err := simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-work-01-nic", To: netip.MustParseAddr("192.168.10.5"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodGateway, r.EgressMethod, "%s", r)
}

// A new gateway: its instance addresses are known after apply.
func TestTerraformPlanGateway(t *testing.T) {
	gw := tfResource("azurerm_virtual_network_gateway", "g", map[string]any{"name": "g", "resource_group_name": "rg", "location": "westeurope",
		"type": "ExpressRoute", "active_active": false, "ip_configuration": []any{map[string]any{"name": "c", "subnet_id": tfSub + "virtualNetworks/hub/subnets/GatewaySubnet"}},
		"bgp_settings": []any{map[string]any{"asn": 65515, "peering_addresses": []any{map[string]any{"ip_configuration_name": "c"}}}}})
	data := tfDoc(t, []map[string]any{gw}, map[string]any{"azurerm_virtual_network_gateway.g": map[string]any{"id": true,
		"bgp_settings": []any{map[string]any{"peering_address": true, "peering_addresses": []any{map[string]any{"default_addresses": true}}}}}}, nil)
	m, err := topology.ParseTerraform("p.json", data)
	require.NoError(t, err)
	require.Len(t, m.Gateways, 1)
	assert.Equal(t, topology.GatewayExpressRoute, m.Gateways[0].Type)
	assert.Equal(t, topology.Ref(tfSub+"virtualNetworks/hub"), m.Gateways[0].VNet)
	assert.Empty(t, m.Gateways[0].PrivateIPs)
	require.Len(t, m.Warnings(), 1)
	w := m.Warnings()[0]
	assert.ErrorIs(t, w, topology.ErrKnownAfterApply)
	assert.Equal(t, "azurerm_virtual_network_gateway.g", w.Resource)
	assert.Equal(t, "bgp_settings[0].peering_addresses[0].default_addresses", w.Field)
	assert.Positive(t, w.Pos.Line)
}

// An ASG association joins every IP configuration of the NIC; a provider
// v1 state's ip_configuration_name limits it to that one, and an unknown
// configuration name is an error naming the attribute.
func TestTerraformASGAssociationScope(t *testing.T) {
	nicID := tfSub + "networkInterfaces/n"
	nic := tfResource("azurerm_network_interface", "n", map[string]any{"id": nicID, "name": "n", "resource_group_name": "rg-net",
		"ip_configuration": []any{map[string]any{"name": "a", "primary": true}, map[string]any{"name": "b"}}})
	asg := tfResource("azurerm_application_security_group", "g", map[string]any{"id": tfSub + "applicationSecurityGroups/g", "name": "g", "resource_group_name": "rg-net"})
	all := tfResource("azurerm_network_interface_application_security_group_association", "all", map[string]any{"network_interface_id": nicID, "application_security_group_id": tfSub + "applicationSecurityGroups/g"})
	m, err := topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{nic, asg, all}, nil, nil))
	require.NoError(t, err)
	for _, c := range m.NICs[0].IPConfigs {
		assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "applicationSecurityGroups/g")}, c.ASGs, c.Name)
	}
	one := tfResource("azurerm_network_interface_application_security_group_association", "one", map[string]any{"network_interface_id": nicID,
		"ip_configuration_name": "b", "application_security_group_id": tfSub + "applicationSecurityGroups/g"})
	m, err = topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{nic, asg, one}, nil, nil))
	require.NoError(t, err)
	assert.Empty(t, m.NICs[0].IPConfigs[0].ASGs)
	assert.Len(t, m.NICs[0].IPConfigs[1].ASGs, 1)
	one["values"].(map[string]any)["ip_configuration_name"] = "zz"
	_, err = topology.ParseTerraform("p.json", tfDoc(t, []map[string]any{nic, asg, one}, nil, nil))
	var te *topology.Error
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, topology.ErrDangling)
	assert.Equal(t, "ip_configuration_name", te.Field)
	assert.Contains(t, err.Error(), "p.json:")
}

// TestTerraformIPGroup: azurerm_ip_group's cidrs are the group's addresses,
// as firewall rules name them; an IPv4-mapped address is refused, as in ARM.
func TestTerraformIPGroup(t *testing.T) {
	doc := `{"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"resources": [
  {"address": "azurerm_ip_group.onprem", "mode": "managed", "type": "azurerm_ip_group", "name": "onprem", "provider_name": "registry.terraform.io/hashicorp/azurerm",
   "schema_version": 0, "values": {"id": "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-net/providers/Microsoft.Network/ipGroups/ipg-onprem",
     "name": "ipg-onprem", "resource_group_name": "rg-net", "location": "eastus", "cidrs": ["192.168.0.0/16", "172.20.1.5"], "tags": {}}}]}}}`
	m, err := topology.ParseTerraform("ipg.json", []byte(doc))
	require.NoError(t, err)
	require.Len(t, m.IPGroups, 1)
	assert.Equal(t, "ipg-onprem", m.IPGroups[0].Name)
	assert.Equal(t, []string{"192.168.0.0/16", "172.20.1.5"}, m.IPGroups[0].Addresses)
	assert.Empty(t, m.Skipped)

	_, err = topology.ParseTerraform("ipg.json", []byte(strings.Replace(doc, `"172.20.1.5"`, `"::ffff:10.0.0.1"`, 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "azurerm_ip_group.onprem")
	assert.Contains(t, err.Error(), "cidrs")
}
