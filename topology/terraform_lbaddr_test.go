package topology_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tfPoolID = tfAppSub + "loadBalancers/lb-web/backendAddressPools/pool-web"

// tfLBStateByIP is the load balancer state with vm-web-01-nic in pool-web
// by IP address (azurerm_lb_backend_address_pool_address, the provider's
// exact attributes) instead of the NIC association; values edits the
// address resource's values.
func tfLBStateByIP(t *testing.T, values func(v map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile(tfLBState)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	mod := doc["values"].(map[string]any)["root_module"].(map[string]any)
	var out []any
	for _, r := range mod["resources"].([]any) {
		if r.(map[string]any)["type"] == "azurerm_network_interface_backend_address_pool_association" {
			continue
		}
		out = append(out, r)
	}
	v := map[string]any{"id": tfPoolID + "/addresses/vm-web-01", "name": "vm-web-01", "backend_address_pool_id": tfPoolID,
		"virtual_network_id": tfAppSub + "virtualNetworks/vnet-lb", "ip_address": "10.20.1.4", "backend_address_ip_configuration_id": "",
		"inbound_nat_rule_port_mapping": []any{}, "timeouts": nil}
	if values != nil {
		values(v)
	}
	out = append(out, map[string]any{"address": "azurerm_lb_backend_address_pool_address.web", "mode": "managed", "type": "azurerm_lb_backend_address_pool_address",
		"name": "web", "provider_name": "registry.terraform.io/hashicorp/azurerm", "schema_version": 0, "values": v, "sensitive_values": map[string]any{}})
	mod["resources"] = out
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

// A NIC in a backend pool by IP address: the pool is ByIPAddress and the
// NIC's IP configuration holding the address in that VNet joins it; such a
// pool gives no outbound connectivity (a known issue,
// https://learn.microsoft.com/azure/load-balancer/backend-pool-management#limitations),
// so the outbound rule the NIC-based member used does not apply and the
// trace says why. An address in another VNet joins nothing.
func TestTerraformPoolAddress(t *testing.T) {
	data := tfLBStateByIP(t, nil)
	m, err := topology.ParseTerraform("lb-state.json", data)
	require.NoError(t, err)
	assert.Empty(t, m.Skipped)
	require.Len(t, m.LoadBalancers[0].BackendPools, 1)
	assert.True(t, m.LoadBalancers[0].BackendPools[0].ByIPAddress)
	assert.Equal(t, []topology.Ref{tfPoolID}, tfNIC(t, m, "vm-web-01-nic").IPConfigs[0].BackendPools)

	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "lb-state.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	r, err := simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-web-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	assert.NotEqual(t, simulate.MethodLoadBalancer, r.EgressMethod, "%s", r)
	assert.Contains(t, r.String(), "is defined by IP address, which gives no outbound connectivity", "%s", r)

	m, err = topology.ParseTerraform("lb-state.json", tfLBStateByIP(t, func(v map[string]any) {
		v["virtual_network_id"] = tfAppSub + "virtualNetworks/vnet-other"
	}))
	require.NoError(t, err)
	assert.True(t, m.LoadBalancers[0].BackendPools[0].ByIPAddress)
	assert.Empty(t, tfNIC(t, m, "vm-web-01-nic").IPConfigs[0].BackendPools)

	// A pool the input does not hold.
	_, err = topology.ParseTerraform("lb-state.json", tfLBStateByIP(t, func(v map[string]any) {
		v["backend_address_pool_id"] = tfAppSub + "loadBalancers/lb-web/backendAddressPools/nope"
	}))
	require.Error(t, err)
	assert.ErrorIs(t, err, topology.ErrDangling)
	assert.Contains(t, err.Error(), "azurerm_lb_backend_address_pool_address.web: backend_address_pool_id")
}

// In a plan, a member address known after apply (a new NIC's dynamic
// address) is the NIC the configuration's expression references; with no
// such reference, nothing joins, with a warning.
func TestTerraformPoolAddressKnownAfterApply(t *testing.T) {
	vnet := tfVNetRes("v", "10.0.0.0/16")
	sub := tfResource("azurerm_subnet", "s", map[string]any{"id": tfSub + "virtualNetworks/v/subnets/s", "name": "s", "resource_group_name": "rg-net",
		"virtual_network_name": "v", "address_prefixes": []any{"10.0.1.0/24"}})
	nic := tfResource("azurerm_network_interface", "n", map[string]any{"id": tfSub + "networkInterfaces/nic-a", "name": "nic-a", "resource_group_name": "rg-net",
		"location": "westeurope", "ip_configuration": []any{map[string]any{"name": "ipc", "primary": true, "subnet_id": tfSub + "virtualNetworks/v/subnets/s",
			"private_ip_address": nil, "private_ip_address_allocation": "Dynamic"}}})
	lb := tfResource("azurerm_lb", "lb", map[string]any{"id": tfSub + "loadBalancers/lb", "name": "lb", "resource_group_name": "rg-net", "location": "westeurope",
		"sku": "Standard", "frontend_ip_configuration": []any{}})
	pool := tfResource("azurerm_lb_backend_address_pool", "p", map[string]any{"id": tfSub + "loadBalancers/lb/backendAddressPools/p", "name": "p",
		"loadbalancer_id": tfSub + "loadBalancers/lb"})
	addr := tfResource("azurerm_lb_backend_address_pool_address", "a", map[string]any{"name": "a", "backend_address_pool_id": tfSub + "loadBalancers/lb/backendAddressPools/p",
		"virtual_network_id": tfSub + "virtualNetworks/v", "ip_address": nil, "backend_address_ip_configuration_id": nil})
	unknown := map[string]any{
		"azurerm_network_interface.n":               map[string]any{"ip_configuration": []any{map[string]any{"private_ip_address": true}}},
		"azurerm_lb_backend_address_pool_address.a": map[string]any{"id": true, "ip_address": true},
	}
	ref := func(r ...any) map[string]any { return map[string]any{"references": r} }
	config := []map[string]any{{"address": "azurerm_lb_backend_address_pool_address.a", "expressions": map[string]any{
		"ip_address": ref("azurerm_network_interface.n.private_ip_address", "azurerm_network_interface.n")}}}
	m, err := topology.ParseTerraform("plan.json", tfDoc(t, []map[string]any{vnet, sub, nic, lb, pool, addr}, unknown, config))
	require.NoError(t, err)
	assert.True(t, m.LoadBalancers[0].BackendPools[0].ByIPAddress)
	assert.Equal(t, []topology.Ref{topology.Ref(tfSub + "loadBalancers/lb/backendAddressPools/p")}, tfNIC(t, m, "nic-a").IPConfigs[0].BackendPools)

	m, err = topology.ParseTerraform("plan.json", tfDoc(t, []map[string]any{vnet, sub, nic, lb, pool, addr}, unknown, nil))
	require.NoError(t, err)
	assert.Empty(t, tfNIC(t, m, "nic-a").IPConfigs[0].BackendPools)
	w := tfWarning(t, m.Warnings(), "azurerm_lb_backend_address_pool_address.a", "ip_address")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), "no IP configuration joins the pool")
}

// azurerm_local_network_gateway names its peer by gateway_address or,
// exactly one of them, gateway_fqdn: the FQDN is kept and the address left
// unknown (Azure resolves the name); both, or neither, is an error.
func TestTerraformLocalGatewayFQDN(t *testing.T) {
	lng := func(v map[string]any) map[string]any {
		base := map[string]any{"id": tfSub + "localNetworkGateways/lng", "name": "lng", "resource_group_name": "rg-net", "location": "westeurope",
			"address_space": []any{"192.168.0.0/16"}, "gateway_address": nil, "gateway_fqdn": nil, "bgp_settings": []any{}, "tags": map[string]any{}}
		for k, x := range v {
			base[k] = x
		}
		return tfResource("azurerm_local_network_gateway", "onprem", base)
	}
	m := tfParseState(t, lng(map[string]any{"gateway_fqdn": "vpn.contoso.example"}))
	require.Len(t, m.LocalNetworkGateways, 1)
	l := m.LocalNetworkGateways[0]
	assert.Equal(t, "vpn.contoso.example", l.GatewayFQDN)
	assert.False(t, l.GatewayIP.IsValid(), "no address is made up")
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}, l.AddressPrefixes)

	_, err := topology.ParseTerraform("state.json", tfStateDoc(t, lng(map[string]any{"gateway_fqdn": "vpn.contoso.example", "gateway_address": "198.51.100.7"})))
	require.Error(t, err)
	assert.ErrorIs(t, err, topology.ErrInvalid)
	assert.Contains(t, err.Error(), "gateway_fqdn")
	_, err = topology.ParseTerraform("state.json", tfStateDoc(t, lng(nil)))
	require.Error(t, err)
	assert.ErrorIs(t, err, topology.ErrMissing)
	assert.Contains(t, err.Error(), "gateway_address or gateway_fqdn is required")

	// A plan whose peer address is a new public IP's: known after apply.
	data := tfDoc(t, []map[string]any{lng(nil)}, map[string]any{"azurerm_local_network_gateway.onprem": map[string]any{"gateway_address": true}}, nil)
	m, err = topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), "azurerm_local_network_gateway.onprem", "gateway_address")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.True(t, strings.Contains(w.Error(), "peer VPN device's address"), w.Error())
}
