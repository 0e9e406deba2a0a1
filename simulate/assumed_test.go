package simulate_test

import (
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An active-active VPN gateway exported without its instance addresses (no
// bgpSettings, no privateIPAddress on its IP configurations): the loader
// takes the first two addresses of GatewaySubnet, and a trace that goes to
// the gateway says so, since the routes' next hops shown are those addresses.
func TestTraceStatesAssumedGatewayAddresses(t *testing.T) {
	const rg = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/"
	const vnet = rg + "virtualNetworks/vnet"
	in := `[{"id": "` + vnet + `", "type": "Microsoft.Network/virtualNetworks", "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
  "subnets": [{"name": "GatewaySubnet", "properties": {"addressPrefix": "10.0.255.0/27"}}, {"name": "app", "properties": {"addressPrefix": "10.0.1.0/24"}}]}},
 {"id": "` + rg + `virtualNetworkGateways/gw", "type": "Microsoft.Network/virtualNetworkGateways", "location": "eastus", "properties": {"gatewayType": "Vpn", "activeActive": true,
  "ipConfigurations": [{"name": "a", "properties": {"subnet": {"id": "` + vnet + `/subnets/GatewaySubnet"}}}, {"name": "b", "properties": {"subnet": {"id": "` + vnet + `/subnets/GatewaySubnet"}}}]}},
 {"id": "` + rg + `localNetworkGateways/onprem", "type": "Microsoft.Network/localNetworkGateways", "location": "eastus", "properties": {"gatewayIpAddress": "203.0.113.1",
  "localNetworkAddressSpace": {"addressPrefixes": ["192.168.0.0/16"]}}},
 {"id": "` + rg + `connections/to-onprem", "type": "Microsoft.Network/connections", "location": "eastus", "properties": {"connectionType": "IPsec",
  "virtualNetworkGateway1": {"id": "` + rg + `virtualNetworkGateways/gw"}, "localNetworkGateway2": {"id": "` + rg + `localNetworkGateways/onprem"}}},
 {"id": "` + rg + `networkInterfaces/nic-app", "type": "Microsoft.Network/networkInterfaces", "location": "eastus", "properties": {"ipConfigurations": [{"name": "ipconfig1",
  "properties": {"privateIPAddress": "10.0.1.4", "subnet": {"id": "` + vnet + `/subnets/app"}}}]}}]`
	m, err := topology.ParseARM("gw.json", []byte(in))
	require.NoError(t, err)
	require.NoError(t, m.Validate(tags(t)))
	e, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err)

	r := trace(t, e, "nic-app", "192.168.1.1", 443)
	require.Equal(t, simulate.HopGateway, r.Hops[len(r.Hops)-1].Kind, "%s", r)
	assert.Contains(t, r.Assumptions, m.Gateways[0].PrivateIPsAssumed)
	assert.Contains(t, m.Gateways[0].PrivateIPsAssumed, "taken as 10.0.255.4 and 10.0.255.5")

	r = trace(t, e, "nic-app", "10.0.1.9", 443)
	assert.NotContains(t, r.Assumptions, m.Gateways[0].PrivateIPsAssumed, "a flow that does not reach the gateway relies on nothing assumed")
}
