package topology_test

import (
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A local network gateway whose peer is an FQDN (REST
// LocalNetworkGatewayPropertiesFormat.fqdn, no gatewayIpAddress; as
// `az network local-gateway show` prints it): the name is kept, the
// address stays unknown.
func TestARMLocalGatewayFQDN(t *testing.T) {
	m, err := topology.ParseARM("lng.json", []byte(`[{
  "name": "lng-onprem", "type": "Microsoft.Network/localNetworkGateways", "location": "westeurope",
  "id": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/localNetworkGateways/lng-onprem",
  "etag": "W/\"00000000-0000-0000-0000-00000000abcd\"",
  "properties": {"provisioningState": "Succeeded", "resourceGuid": "5ab7c1a4-0000-4000-8000-00000000000a",
    "localNetworkAddressSpace": {"addressPrefixes": ["192.168.0.0/16"]}, "fqdn": "vpn.contoso.example"}
}]`))
	require.NoError(t, err)
	require.Len(t, m.LocalNetworkGateways, 1)
	l := m.LocalNetworkGateways[0]
	assert.Equal(t, "vpn.contoso.example", l.GatewayFQDN)
	assert.False(t, l.GatewayIP.IsValid())
}
