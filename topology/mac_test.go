package topology_test

import (
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNICMAC: ARM writes properties.macAddress as 00-0D-3A-F8-78-56
// (https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get);
// flow logs as 000D3AF87856. Both find the NIC.
func TestNICMAC(t *testing.T) {
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "nics.json", Data: []byte(`[
 {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic", "name": "vm1-nic",
  "type": "Microsoft.Network/networkInterfaces", "properties": {"macAddress": "00-0D-3A-F8-78-56", "ipConfigurations": []}},
 {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm2-nic", "name": "vm2-nic",
  "type": "Microsoft.Network/networkInterfaces", "properties": {"macAddress": "", "ipConfigurations": []}}]`)}}})
	require.NoError(t, err)
	v, ok := n.NICByMAC("000D3AF87856")
	require.True(t, ok)
	assert.Equal(t, "vm1-nic", v.Name())
	assert.Equal(t, "000D3AF87856", v.MAC())
	_, ok = n.NICByMAC("00:0d:3a:f8:78:56")
	assert.True(t, ok)
	_, ok = n.NICByMAC("000D3AF87857")
	assert.False(t, ok)

	_, err = topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "bad.json", Data: []byte(`[
 {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic", "name": "vm1-nic",
  "type": "Microsoft.Network/networkInterfaces", "properties": {"macAddress": "00-0D-3A", "ipConfigurations": []}}]`)}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.json:3:")
	assert.Contains(t, err.Error(), `macAddress "00-0D-3A"`)

	m, err := topology.ParseNative("d.yaml", []byte("egress: v1\nnics: [{name: a, subnet: v/s, ip: 10.0.0.4, macAddress: 00-22-48-0A-BC-DE}]\n"))
	require.NoError(t, err)
	assert.Equal(t, "0022480ABCDE", m.NICs[0].MAC)
}
