package topology_test

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file feed ParseTerraform resources in the exact shape
// the azurerm provider's schema gives them in `terraform show -json`
// (nested blocks as lists, sets as lists, integers as numbers), as read in
// hashicorp/terraform-provider-azurerm at commit
// 69697b7fe6a923fc89e88f386bc95c3ed1ee2ec6 (v5.2.0-14), and at the tags
// v4.81.0 and v3.117.1 where the spellings differ. Each test names the
// provider file it follows.

// tfStateDoc builds a state around resources (tfResource's shape).
func tfStateDoc(t *testing.T, resources ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"format_version": "1.0", "terraform_version": "1.9.8",
		"values": map[string]any{"root_module": map[string]any{"resources": resources}}})
	require.NoError(t, err)
	return b
}

func tfParseState(t *testing.T, resources ...map[string]any) *topology.Model {
	t.Helper()
	m, err := topology.ParseTerraform("state.json", tfStateDoc(t, resources...))
	require.NoError(t, err)
	return m
}

func tfVNetRes(name, prefix string) map[string]any {
	return tfResource("azurerm_virtual_network", name, map[string]any{"id": tfSub + "virtualNetworks/" + name, "name": name,
		"resource_group_name": "rg-net", "location": "westeurope", "address_space": []any{prefix}, "subnet": []any{}})
}

// internal/services/network/subnet_resource.go (v5): azurerm_subnet
// exports network_security_group_id and route_table_id (Computed), set by
// the write-only network_security_group_id_wo and route_table_id_wo;
// service_endpoint blocks (service, network_identifier) replace v4's
// service_endpoints set.
func TestTerraformV5SubnetSchema(t *testing.T) {
	subID := tfSub + "virtualNetworks/v/subnets/s"
	sub := tfResource("azurerm_subnet", "s", map[string]any{"id": subID, "name": "s", "resource_group_name": "rg-net", "virtual_network_name": "v",
		"address_prefixes": []any{"10.0.1.0/24"}, "default_outbound_access_enabled": false,
		"service_endpoint":                     []any{map[string]any{"service": "Microsoft.Storage", "network_identifier": ""}, map[string]any{"service": "Microsoft.KeyVault", "network_identifier": ""}},
		"service_endpoint_policy_ids":          nil,
		"network_security_group_id":            tfSub + "networkSecurityGroups/nsg-s",
		"network_security_group_id_wo":         nil,
		"network_security_group_id_wo_version": 1,
		"route_table_id":                       tfSub + "routeTables/rt-s",
		"route_table_id_wo":                    nil,
		"route_table_id_wo_version":            1,
		"private_endpoint_network_policies":    "Disabled", "private_link_service_network_policies_enabled": true,
		"delegation": []any{}, "ip_address_pool": []any{}, "sharing_scope": nil})
	m := tfParseState(t, tfVNetRes("v", "10.0.0.0/16"), sub)
	s := tfSubnet(t, m, "v", "s")
	assert.Equal(t, topology.Ref(tfSub+"networkSecurityGroups/nsg-s"), s.NSG)
	assert.Equal(t, topology.Ref(tfSub+"routeTables/rt-s"), s.RouteTable)
	assert.Equal(t, []topology.ServiceEndpoint{{Service: "Microsoft.Storage"}, {Service: "Microsoft.KeyVault"}}, s.ServiceEndpoints)

	// A plan: the exported IDs known after apply; the configuration's
	// route_table_id_wo names the table, nothing names the NSG (no
	// network_security_group_id_wo: the associations decide, none here).
	vals := sub["values"].(map[string]any)
	vals["route_table_id"], vals["network_security_group_id"] = nil, nil
	rt := tfResource("azurerm_route_table", "rt", map[string]any{"name": "rt-new", "resource_group_name": "rg-net", "route": []any{}})
	cfg := []map[string]any{{"address": "azurerm_subnet.s", "mode": "managed", "type": "azurerm_subnet", "name": "s",
		"expressions": map[string]any{"route_table_id_wo": map[string]any{"references": []any{"azurerm_route_table.rt.id", "azurerm_route_table.rt"}}}}}
	doc := tfDoc(t, []map[string]any{tfVNetRes("v", "10.0.0.0/16"), sub, rt}, map[string]any{
		"azurerm_subnet.s":       map[string]any{"route_table_id": true, "network_security_group_id": true},
		"azurerm_route_table.rt": map[string]any{"id": true},
	}, cfg)
	m, err := topology.ParseTerraform("plan.json", doc)
	require.NoError(t, err)
	s = tfSubnet(t, m, "v", "s")
	assert.Equal(t, topology.Ref(tfSub+"routeTables/rt-new"), s.RouteTable, "route_table_id_wo's reference")
	assert.True(t, s.NSG.IsZero())
}

// A plan that deletes a subnet's route table association keeps the
// subnet's computed route_table_id at its prior value: the deletion wins.
func TestTerraformV5SubnetDeletedAssociation(t *testing.T) {
	subID := tfSub + "virtualNetworks/v/subnets/s"
	sub := tfResource("azurerm_subnet", "s", map[string]any{"id": subID, "name": "s", "resource_group_name": "rg-net", "virtual_network_name": "v",
		"address_prefixes": []any{"10.0.1.0/24"}, "route_table_id": tfSub + "routeTables/rt-s", "network_security_group_id": tfSub + "networkSecurityGroups/nsg-s"})
	rt := tfResource("azurerm_route_table", "rt", map[string]any{"id": tfSub + "routeTables/rt-s", "name": "rt-s", "resource_group_name": "rg-net", "route": []any{}})
	var doc map[string]any
	require.NoError(t, json.Unmarshal(tfDoc(t, []map[string]any{tfVNetRes("v", "10.0.0.0/16"), sub, rt}, nil, nil), &doc))
	doc["resource_changes"] = append(doc["resource_changes"].([]any), map[string]any{"address": "azurerm_subnet_route_table_association.s", "mode": "managed",
		"type": "azurerm_subnet_route_table_association", "name": "s", "change": map[string]any{"actions": []any{"delete"},
			"before": map[string]any{"id": subID, "subnet_id": subID, "route_table_id": tfSub + "routeTables/rt-s"}, "after": nil, "after_unknown": map[string]any{}}})
	data, err := json.Marshal(doc)
	require.NoError(t, err)
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	s := tfSubnet(t, m, "v", "s")
	assert.True(t, s.RouteTable.IsZero(), "the association the plan deletes: %s", s.RouteTable)
	assert.Equal(t, "nsg-s", s.NSG.Name(), "its NSG association stays")
}

// internal/services/network/virtual_network_resource.go: an inline subnet
// block has name, address_prefixes, security_group (and v3's
// address_prefix), no route table attribute.
func TestTerraformInlineSubnetSchema(t *testing.T) {
	vn := tfVNetRes("v", "10.0.0.0/16")
	vn["values"].(map[string]any)["subnet"] = []any{map[string]any{"id": tfSub + "virtualNetworks/v/subnets/a", "name": "a",
		"address_prefixes": []any{"10.0.1.0/24"}, "security_group": tfSub + "networkSecurityGroups/nsg-a", "default_outbound_access_enabled": true,
		"delegation": []any{}, "private_endpoint_network_policies": "Disabled", "private_link_service_network_policies_enabled": true,
		"service_endpoint": []any{map[string]any{"service": "Microsoft.Sql", "network_identifier": ""}}, "service_endpoint_policy_ids": nil}}
	m := tfParseState(t, vn)
	s := tfSubnet(t, m, "v", "a")
	assert.Equal(t, "nsg-a", s.NSG.Name())
	assert.Equal(t, []topology.ServiceEndpoint{{Service: "Microsoft.Sql"}}, s.ServiceEndpoints)
	assert.True(t, s.RouteTable.IsZero())
}

// internal/services/network/virtual_network_peering_resource.go.
func TestTerraformPeeringSchema(t *testing.T) {
	peer := func(vals map[string]any) map[string]any {
		v := map[string]any{"id": tfSub + "virtualNetworks/a/virtualNetworkPeerings/a-to-b", "name": "a-to-b", "resource_group_name": "rg-net",
			"virtual_network_name": "a", "remote_virtual_network_id": tfSub + "virtualNetworks/b", "allow_virtual_network_access": true,
			"allow_forwarded_traffic": true, "allow_gateway_transit": false, "use_remote_gateways": false, "local_subnet_names": nil,
			"remote_subnet_names": nil, "only_ipv6_peering_enabled": false, "peer_complete_virtual_networks_enabled": true, "triggers": nil}
		for k, x := range vals {
			v[k] = x
		}
		return tfResource("azurerm_virtual_network_peering", "ab", v)
	}
	m := tfParseState(t, tfVNetRes("a", "10.0.0.0/16"), tfVNetRes("b", "10.1.0.0/16"), peer(nil))
	require.Len(t, m.VNets[0].Peerings, 1)
	p := m.VNets[0].Peerings[0]
	assert.Equal(t, topology.Ref(tfSub+"virtualNetworks/b"), p.Remote)
	assert.True(t, p.AllowVirtualNetworkAccess)
	assert.True(t, p.AllowForwardedTraffic)
	assert.False(t, p.AllowGatewayTransit || p.UseRemoteGateways)

	// Subnet peering and IPv6-only peering are refused, naming the field.
	for field, vals := range map[string]map[string]any{
		"peer_complete_virtual_networks_enabled": {"peer_complete_virtual_networks_enabled": false, "local_subnet_names": []any{"s1"}, "remote_subnet_names": []any{"s2"}},
		"only_ipv6_peering_enabled":              {"only_ipv6_peering_enabled": true},
	} {
		_, err := topology.ParseTerraform("state.json", tfStateDoc(t, tfVNetRes("a", "10.0.0.0/16"), tfVNetRes("b", "10.1.0.0/16"), peer(vals)))
		require.ErrorIs(t, err, topology.ErrNotAllowed, field)
		assert.Contains(t, err.Error(), "azurerm_virtual_network_peering.ab")
		assert.Contains(t, err.Error(), field)
	}
}

// internal/services/network/nat_gateway_resource.go,
// nat_gateway_public_ip_association_resource.go,
// nat_gateway_public_ip_prefix_association_resource.go,
// public_ip_resource.go and public_ip_prefix_resource.go.
func TestTerraformNATGatewayAndPublicIPSchema(t *testing.T) {
	ng := tfResource("azurerm_nat_gateway", "ng", map[string]any{"id": tfSub + "natGateways/ng", "name": "ng", "resource_group_name": "rg-net", "location": "westeurope",
		"sku_name": "Standard", "idle_timeout_in_minutes": 4, "zones": []any{"1"}, "resource_guid": "x", "tags": map[string]any{}})
	pip := tfResource("azurerm_public_ip", "pip", map[string]any{"id": tfSub + "publicIPAddresses/pip", "name": "pip", "resource_group_name": "rg-net",
		"location": "westeurope", "allocation_method": "Static", "sku": "Standard", "sku_tier": "Regional", "ip_version": "IPv4",
		"ip_address": "20.1.2.3", "public_ip_prefix_id": tfSub + "publicIPPrefixes/ppx", "idle_timeout_in_minutes": 4, "zones": []any{}})
	ppx := tfResource("azurerm_public_ip_prefix", "ppx", map[string]any{"id": tfSub + "publicIPPrefixes/ppx", "name": "ppx", "resource_group_name": "rg-net",
		"location": "westeurope", "sku": "Standard", "sku_tier": "Regional", "prefix_length": 30, "ip_version": "IPv4", "ip_prefix": "20.1.2.0/30"})
	a1 := tfResource("azurerm_nat_gateway_public_ip_association", "a1", map[string]any{"id": "x", "nat_gateway_id": tfSub + "natGateways/ng", "public_ip_address_id": tfSub + "publicIPAddresses/pip"})
	a2 := tfResource("azurerm_nat_gateway_public_ip_prefix_association", "a2", map[string]any{"id": "y", "nat_gateway_id": tfSub + "natGateways/ng", "public_ip_prefix_id": tfSub + "publicIPPrefixes/ppx"})
	m := tfParseState(t, ng, pip, ppx, a1, a2)
	require.Len(t, m.NATGateways, 1)
	g := m.NATGateways[0]
	assert.Equal(t, "Standard", g.SKU)
	assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "publicIPAddresses/pip")}, g.PublicIPs)
	assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "publicIPPrefixes/ppx")}, g.PublicIPPrefixes)
	require.Len(t, m.PublicIPs, 1)
	assert.Equal(t, netip.MustParseAddr("20.1.2.3"), m.PublicIPs[0].Address)
	assert.Equal(t, "Standard", m.PublicIPs[0].SKU)
	assert.Equal(t, "ppx", m.PublicIPs[0].Prefix.Name())
	require.Len(t, m.PublicIPPrefixes, 1)
	assert.Equal(t, netip.MustParsePrefix("20.1.2.0/30"), m.PublicIPPrefixes[0].Prefix)
	assert.Empty(t, m.Skipped)
}

// internal/services/network/ip_group_resource.go (cidrs, a set) and
// ip_group_cidr_resource.go (ip_group_id, cidr): the group holds both.
func TestTerraformIPGroupCIDRSchema(t *testing.T) {
	gid := tfSub + "ipGroups/ipg"
	g := tfResource("azurerm_ip_group", "g", map[string]any{"id": gid, "name": "ipg", "resource_group_name": "rg-net", "location": "westeurope",
		"cidrs": []any{"10.9.0.0/16"}, "firewall_ids": []any{}, "firewall_policy_ids": []any{}})
	c := tfResource("azurerm_ip_group_cidr", "c", map[string]any{"id": gid + "/cidrs/192.168.1.0_24", "ip_group_id": gid, "cidr": "192.168.1.0/24"})
	m := tfParseState(t, g, c)
	require.Len(t, m.IPGroups, 1)
	assert.Equal(t, []string{"10.9.0.0/16", "192.168.1.0/24"}, m.IPGroups[0].Addresses)
	assert.Empty(t, m.Skipped)

	c["values"].(map[string]any)["ip_group_id"] = tfSub + "ipGroups/other"
	_, err := topology.ParseTerraform("state.json", tfStateDoc(t, g, c))
	require.ErrorIs(t, err, topology.ErrDangling)
	assert.Contains(t, err.Error(), "azurerm_ip_group_cidr.c")
}

// internal/services/network/local_network_gateway_resource.go and
// virtual_network_gateway_connection_resource.go.
func TestTerraformLocalGatewayAndConnectionSchema(t *testing.T) {
	lng := tfResource("azurerm_local_network_gateway", "onprem", map[string]any{"id": tfSub + "localNetworkGateways/lng", "name": "lng",
		"resource_group_name": "rg-net", "location": "westeurope", "gateway_address": "198.51.100.7", "gateway_fqdn": nil,
		"address_space": []any{"192.168.0.0/16", "172.16.0.0/12"}, "bgp_settings": []any{map[string]any{"asn": 65010, "bgp_peering_address": "192.168.255.1", "peer_weight": 0}}})
	conn := tfResource("azurerm_virtual_network_gateway_connection", "c", map[string]any{"id": tfSub + "connections/c", "name": "c",
		"resource_group_name": "rg-net", "location": "westeurope", "type": "IPsec", "virtual_network_gateway_id": tfSub + "virtualNetworkGateways/vgw",
		"local_network_gateway_id": tfSub + "localNetworkGateways/lng", "peer_virtual_network_gateway_id": nil, "express_route_circuit_id": nil,
		"bgp_enabled": true, "shared_key": "x", "ipsec_policy": []any{}, "traffic_selector_policy": []any{}, "custom_bgp_addresses": []any{}})
	m := tfParseState(t, lng, conn)
	require.Len(t, m.LocalNetworkGateways, 1)
	l := m.LocalNetworkGateways[0]
	assert.Equal(t, netip.MustParseAddr("198.51.100.7"), l.GatewayIP)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("172.16.0.0/12")}, l.AddressPrefixes)
	require.Len(t, m.Connections, 1)
	c := m.Connections[0]
	assert.Equal(t, "IPsec", c.Type)
	assert.Equal(t, "vgw", c.Gateway.Name())
	assert.Equal(t, "lng", c.LocalGateway.Name())
	assert.True(t, c.Peer.IsZero())
}

// internal/services/firewall/firewall_resource.go: ip_configuration blocks
// (name, subnet_id, public_ip_address_id, private_ip_address computed),
// management_ip_configuration, and a classic firewall's dns_proxy_enabled
// and private_ip_ranges (a set of CIDRs or IANAPrivateRanges).
func TestTerraformFirewallSchema(t *testing.T) {
	fw := tfResource("azurerm_firewall", "fw", map[string]any{"id": tfSub + "azureFirewalls/fw", "name": "fw", "resource_group_name": "rg-net",
		"location": "westeurope", "sku_name": "AZFW_VNet", "sku_tier": "Standard", "firewall_policy_id": nil, "threat_intel_mode": "Alert",
		"dns_proxy_enabled": true, "dns_servers": nil, "private_ip_ranges": []any{"IANAPrivateRanges", "100.64.0.0/10"},
		"ip_configuration": []any{map[string]any{"name": "ipc", "subnet_id": tfSub + "virtualNetworks/hub/subnets/AzureFirewallSubnet",
			"public_ip_address_id": tfSub + "publicIPAddresses/pip-fw", "private_ip_address": "10.0.1.4"}},
		"management_ip_configuration": []any{}, "virtual_hub": []any{}, "zones": nil})
	m := tfParseState(t, fw)
	require.Len(t, m.Firewalls, 1)
	f := m.Firewalls[0]
	assert.Equal(t, netip.MustParseAddr("10.0.1.4"), f.PrivateIP)
	assert.Equal(t, topology.Ref(tfSub+"virtualNetworks/hub"), f.VNet)
	assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "publicIPAddresses/pip-fw")}, f.PublicIPs)
	assert.Equal(t, "AZFW_VNet", f.SKU)
	assert.Equal(t, "Standard", f.Tier)
	assert.Equal(t, "Alert", f.ThreatIntel)
	assert.True(t, f.DNSProxy, "dns_proxy_enabled")
	assert.Equal(t, []string{"IANAPrivateRanges", "100.64.0.0/10"}, f.SNATPrivateRanges, "private_ip_ranges")

	// With a policy, the policy's settings apply (Azure ignores the
	// firewall's).
	fw["values"].(map[string]any)["firewall_policy_id"] = tfSub + "firewallPolicies/fp"
	m = tfParseState(t, fw)
	assert.False(t, m.Firewalls[0].DNSProxy)
	assert.Nil(t, m.Firewalls[0].SNATPrivateRanges)
}

// internal/services/firewall/firewall_policy_resource.go (dns[0] with
// proxy_enabled and servers, threat_intelligence_mode, private_ip_ranges,
// base_policy_id) and firewall_policy_rule_collection_group_resource.go:
// application rules' protocols blocks (type Http/Https/Mssql, port),
// destination_fqdns, destination_urls, destination_fqdn_tags,
// web_categories, terminate_tls; network rules' protocols (Any, TCP, UDP,
// ICMP), destination_addresses, destination_ip_groups, destination_fqdns,
// destination_ports; NAT collections' action "Dnat" and rules'
// destination_address (one), destination_ports (at most one),
// translated_address, translated_port (a number), translated_fqdn.
func TestTerraformFirewallPolicySchema(t *testing.T) {
	fpID := tfSub + "firewallPolicies/fp"
	fp := tfResource("azurerm_firewall_policy", "fp", map[string]any{"id": fpID, "name": "fp", "resource_group_name": "rg-net", "location": "westeurope",
		"sku": "Premium", "base_policy_id": tfSub + "firewallPolicies/base", "threat_intelligence_mode": "Deny",
		"dns": []any{map[string]any{"proxy_enabled": true, "servers": []any{"10.0.0.53"}}}, "private_ip_ranges": []any{"10.0.0.0/8"},
		"auto_learn_private_ranges_enabled": false, "threat_intelligence_allowlist": []any{}, "intrusion_detection": []any{}, "insights": []any{},
		"explicit_proxy": []any{}, "tls_certificate": []any{}, "child_policies": []any{}, "firewalls": []any{}, "rule_collection_groups": []any{}})
	base := tfResource("azurerm_firewall_policy", "base", map[string]any{"id": tfSub + "firewallPolicies/base", "name": "base", "resource_group_name": "rg-net", "location": "westeurope"})
	rule := func(extra map[string]any) map[string]any {
		r := map[string]any{"name": "r", "description": "", "source_addresses": []any{"10.1.0.0/16"}, "source_ip_groups": []any{}}
		for k, v := range extra {
			r[k] = v
		}
		return r
	}
	rcg := tfResource("azurerm_firewall_policy_rule_collection_group", "g", map[string]any{"id": fpID + "/ruleCollectionGroups/g", "name": "g",
		"firewall_policy_id": fpID, "priority": 300,
		"application_rule_collection": []any{map[string]any{"name": "apps", "priority": 500, "action": "Allow", "rule": []any{rule(map[string]any{
			"protocols":             []any{map[string]any{"type": "Https", "port": 443}, map[string]any{"type": "Http", "port": 80}},
			"http_headers":          []any{},
			"destination_addresses": []any{}, "destination_fqdns": []any{"*.example.com"}, "destination_urls": []any{},
			"destination_fqdn_tags": []any{"WindowsUpdate"}, "terminate_tls": false, "web_categories": []any{}})}}},
		"network_rule_collection": []any{map[string]any{"name": "net", "priority": 400, "action": "Deny", "rule": []any{rule(map[string]any{
			"protocols": []any{"TCP", "UDP"}, "destination_addresses": []any{"203.0.113.0/24"}, "destination_ip_groups": []any{tfSub + "ipGroups/ipg"},
			"destination_fqdns": []any{}, "destination_ports": []any{"53", "1000-2000"}})}}},
		"nat_rule_collection": []any{map[string]any{"name": "dnat", "priority": 100, "action": "Dnat", "rule": []any{rule(map[string]any{
			"protocols": []any{"TCP"}, "destination_address": "20.1.2.3", "destination_ports": []any{"8443"},
			"translated_address": "10.1.1.4", "translated_port": 443, "translated_fqdn": ""})}}}})
	m := tfParseState(t, base, fp, rcg)
	require.Len(t, m.FirewallPolicies, 2)
	p := m.FirewallPolicies[1]
	assert.Equal(t, "base", p.Parent.Name())
	assert.Equal(t, "Deny", p.ThreatIntel)
	assert.True(t, p.DNSProxy, "dns[0].proxy_enabled")
	assert.Equal(t, []string{"10.0.0.0/8"}, p.SNATPrivateRanges)
	require.Len(t, p.RuleCollectionGroups, 1)
	g := p.RuleCollectionGroups[0]
	assert.Equal(t, 300, g.Priority)
	require.Len(t, g.Collections, 3)
	app, netw, nat := g.Collections[0], g.Collections[1], g.Collections[2]

	assert.Equal(t, "FirewallPolicyFilterRuleCollection", app.Kind)
	assert.Equal(t, 500, app.Priority)
	ar := app.Rules[0]
	assert.Equal(t, "ApplicationRule", ar.Type)
	assert.Equal(t, []string{"Https:443", "Http:80"}, ar.Protocols)
	assert.Equal(t, []string{"*.example.com"}, ar.TargetFqdns)
	assert.Empty(t, ar.DestinationFqdns)
	assert.Equal(t, []string{"WindowsUpdate"}, ar.FqdnTags)
	assert.Equal(t, []string{"10.1.0.0/16"}, ar.SourceAddresses)

	assert.Equal(t, "Deny", netw.Action)
	nr := netw.Rules[0]
	assert.Equal(t, "NetworkRule", nr.Type)
	assert.Equal(t, []string{"TCP", "UDP"}, nr.Protocols)
	assert.Equal(t, []string{"203.0.113.0/24"}, nr.DestinationAddresses)
	assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "ipGroups/ipg")}, nr.DestinationIPGroups)
	assert.Equal(t, []string{"53", "1000-2000"}, nr.DestinationPorts)

	assert.Equal(t, "FirewallPolicyNatRuleCollection", nat.Kind)
	assert.Equal(t, "Dnat", nat.Action)
	xr := nat.Rules[0]
	assert.Equal(t, "NatRule", xr.Type)
	assert.Equal(t, []string{"20.1.2.3"}, xr.DestinationAddresses, "destination_address")
	assert.Equal(t, []string{"8443"}, xr.DestinationPorts)
	assert.Equal(t, "10.1.1.4", xr.TranslatedAddress)
	assert.Equal(t, "443", xr.TranslatedPort)
	assert.Empty(t, xr.TranslatedFqdn)
}

// internal/services/appservice/linux_web_app_resource.go and its three
// siblings: virtual_network_backup_restore_enabled; vnet_image_pull_enabled
// (Linux apps, Windows function app) or virtual_network_image_pull_enabled
// (Windows web app).
func TestTerraformWebAppVNetFlagsSchema(t *testing.T) {
	app := func(typ string, vals map[string]any) map[string]any {
		v := map[string]any{"id": "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-app/providers/Microsoft.Web/sites/app-" + typ,
			"name": "app-" + typ, "resource_group_name": "rg-app", "location": "westeurope", "site_config": []any{map[string]any{"vnet_route_all_enabled": true}}}
		for k, x := range vals {
			v[k] = x
		}
		return tfResource(typ, "a", v)
	}
	for typ, pull := range map[string]string{"azurerm_linux_web_app": "vnet_image_pull_enabled", "azurerm_windows_web_app": "virtual_network_image_pull_enabled",
		"azurerm_linux_function_app": "vnet_image_pull_enabled", "azurerm_windows_function_app": "vnet_image_pull_enabled"} {
		m := tfParseState(t, app(typ, map[string]any{"virtual_network_backup_restore_enabled": true, pull: true}))
		require.Len(t, m.WebApps, 1, typ)
		r := m.WebApps[0].Routing
		require.NotNil(t, r.VnetBackupRestoreEnabled, typ)
		assert.True(t, *r.VnetBackupRestoreEnabled, typ)
		require.NotNil(t, r.VnetImagePullEnabled, typ)
		assert.True(t, *r.VnetImagePullEnabled, typ)
		require.NotNil(t, r.SiteConfigVnetRouteAllEnabled, typ)
	}
}
