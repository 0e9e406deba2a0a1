package topology_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddLearnedRoutes(t *testing.T) {
	m := loadDefault(t)
	err := m.AddLearnedRoutes("vpngw-hub", "learned.json", []byte(`{"value": [
  {"asPath": "", "localAddress": "10.0.255.4", "network": "10.0.0.0/16", "nextHop": "", "origin": "Network", "sourcePeer": "10.0.255.4", "weight": 32768},
  {"asPath": "65010-65020", "localAddress": "10.0.255.4", "network": "172.31.0.0/16", "nextHop": "10.0.255.30", "origin": "EBgp", "sourcePeer": "10.0.255.30", "weight": 32768},
  {"asPath": "65010", "localAddress": "10.0.255.4", "network": "172.30.0.0/16", "nextHop": "", "origin": "EBgp", "sourcePeer": "10.0.255.30", "weight": 32768}
]}`))
	require.NoError(t, err)
	require.NoError(t, m.Validate(defaultTags(t)))
	gw := m.Gateways[0]
	got := gw.LearnedRoutes[len(gw.LearnedRoutes)-2:]
	// nextHop (10.0.255.30) is the on-premises BGP peer; what effective
	// routes show is the gateway instance that learned it (localAddress).
	assert.Equal(t, []route.GatewayRoute{
		{Gateway: "vpngw-hub", Prefix: netip.MustParsePrefix("172.31.0.0/16"), NextHops: []netip.Addr{netip.MustParseAddr("10.0.255.4")}, ASPathLength: 2},
		{Gateway: "vpngw-hub", Prefix: netip.MustParsePrefix("172.30.0.0/16"), NextHops: []netip.Addr{netip.MustParseAddr("10.0.255.4")}, ASPathLength: 1},
	}, got)

	err = m.AddLearnedRoutes("vpngw-hub", "bad.json", []byte(`[{"network": "172.31.0.1/16", "localAddress": "x"}, {"network": "172.31.0.0/16", "localAddress": "x"}]`))
	assert.ErrorContains(t, err, `localAddress "x": invalid value: not an IP address`)
	assert.ErrorContains(t, err, `bad.json:1:14: `)
	assert.ErrorContains(t, err, `network "172.31.0.1/16": invalid value`)
	err = m.AddLearnedRoutes("nope", "x.json", []byte(`[]`))
	assert.ErrorContains(t, err, "no virtual network gateway of that name")
}
