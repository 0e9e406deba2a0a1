package topology_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIPv4Mapped: one rule for IPv4-mapped IPv6 in the loaders and every
// engine (internal/errtext): a value written as ::ffff:a.b.c.d is an error
// naming the field and the IPv4 form, in the native format and ARM JSON
// alike, in the resources the loaders read and in the routes, rules and
// firewall rules the engines check. Azure documents none of these in the
// mapped form (ipv6-overview, network-security-groups-overview); the
// loaders unmapped addresses and kept prefixes, so one value meant IPv4 in
// an NSG and nothing in a route.
func TestIPv4Mapped(t *testing.T) {
	native := `egress: v1
vnets:
  - name: v
    addressSpace: [10.0.0.0/16, "::ffff:10.1.0.0/112"]
    dnsServers: ["::ffff:10.0.0.53"]
    subnets: [{name: s, prefix: 10.0.1.0/24, nsg: n, routeTable: rt}]
nics:
  - {name: nic, subnet: v/s, ip: "::ffff:10.0.1.4"}
ipGroups:
  - {name: g, addresses: ["::ffff:10.2.0.0/112", "10.3.0.1-::ffff:10.3.0.9"]}
`
	_, err := topology.ParseNative("d.yaml", []byte(native))
	require.ErrorIs(t, err, topology.ErrInvalid)
	for _, want := range []string{
		`d.yaml:3:5: vnet "v": addressSpace "::ffff:10.1.0.0/112": invalid value: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.1.0.0/16`,
		`d.yaml:3:5: vnet "v": dnsServers "::ffff:10.0.0.53": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 10.0.0.53`,
		`d.yaml:8:5: nic "nic": ip configuration "ipconfig1": ip "::ffff:10.0.1.4": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 10.0.1.4`,
		`d.yaml:10:5: IP group "g": addresses "::ffff:10.2.0.0/112": invalid value: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.2.0.0/16`,
		`d.yaml:10:5: IP group "g": addresses "10.3.0.1-::ffff:10.3.0.9": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 10.3.0.9`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	const id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network"
	arm := fmt.Sprintf(`{"value": [
{"id": "%[1]s/virtualNetworks/v", "name": "v", "type": "Microsoft.Network/virtualNetworks", "location": "eastus",
 "properties": {"addressSpace": {"addressPrefixes": ["::ffff:10.1.0.0/112"]}}},
{"id": "%[1]s/publicIPAddresses/p", "name": "p", "type": "Microsoft.Network/publicIPAddresses", "location": "eastus",
 "properties": {"ipAddress": "::ffff:20.1.2.3"}},
{"id": "%[1]s/ipGroups/g", "name": "g", "type": "Microsoft.Network/ipGroups", "location": "eastus",
 "properties": {"ipAddresses": ["::ffff:10.2.0.1"]}}]}`, id)
	_, err = topology.ParseARM("e.json", []byte(arm))
	require.ErrorIs(t, err, topology.ErrInvalid)
	for _, want := range []string{
		`e.json:3:54: /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v: addressSpace.addressPrefixes "::ffff:10.1.0.0/112": invalid value: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.1.0.0/16`,
		`ipAddress "::ffff:20.1.2.3": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 20.1.2.3`,
		`ipGroups/g: properties.ipAddresses "::ffff:10.2.0.1": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 10.2.0.1`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	// Routes, NSG rules and firewall rules: the engines' errors, positioned.
	design := `egress: v1
vnets:
  - name: v
    addressSpace: [10.0.0.0/16]
    subnets: [{name: s, prefix: 10.0.1.0/24, nsg: n, routeTable: rt}, {name: AzureFirewallSubnet, prefix: 10.0.0.0/26}]
routeTables:
  - name: rt
    routes:
      - {name: r, prefix: "::ffff:10.9.0.0/112", nextHop: VirtualAppliance, ip: 10.0.0.4}
nsgs:
  - name: n
    rules:
      - {name: r, priority: 100, direction: Outbound, access: Deny, destination: "::ffff:10.9.0.0/112"}
firewalls:
  - {name: f, vnet: v, privateIp: 10.0.0.4, policy: p}
firewallPolicies:
  - name: p
    ruleCollectionGroups:
      - name: g
        priority: 100
        collections:
          - name: c
            priority: 100
            action: Deny
            rules: [{name: r, type: NetworkRule, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["::ffff:10.9.0.0/112"], destinationPorts: ["443"]}]
`
	_, err = topology.LoadNative("d.yaml", []byte(design), nil)
	require.Error(t, err)
	for _, want := range []string{
		`d.yaml:9:9: `, `route "r" (#0): addressPrefix "::ffff:10.9.0.0/112": invalid value: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.9.0.0/16`,
		`d.yaml:25:21: `, `destinationAddresses[0] "::ffff:10.9.0.0/112": invalid address: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.9.0.0/16`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	// NSG rules are checked once the route tables compile.
	_, err = topology.LoadNative("d.yaml", []byte(strings.Replace(design, `"::ffff:10.9.0.0/112", nextHop`, `10.9.0.0/16, nextHop`, 1)), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `d.yaml:13:9: `)
	assert.Contains(t, err.Error(), `rule "r" (#0): destinationAddressPrefix "::ffff:10.9.0.0/112": invalid address: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.9.0.0/16`)

	m := loadDefault(t)
	err = m.AddLearnedRoutes("vpngw-hub", "learned.json", []byte(`[{"network": "::ffff:172.31.0.0/112", "localAddress": "10.0.255.4"},
 {"network": "172.30.0.0/16", "localAddress": "::ffff:10.0.255.4"}]`))
	require.ErrorIs(t, err, topology.ErrInvalid)
	assert.ErrorContains(t, err, `learned.json:1:14: `)
	assert.ErrorContains(t, err, `network "::ffff:172.31.0.0/112": invalid value: an IPv4-mapped IPv6 prefix; write it as IPv4: 172.31.0.0/16`)
	assert.ErrorContains(t, err, `localAddress "::ffff:10.0.255.4": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 10.0.255.4`)
}
