package topology_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/egresslab/egress/topology/arm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// files writes name → content into a temporary directory and returns the
// paths, in argument order.
func files(t *testing.T, nameContent ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for i := 0; i+1 < len(nameContent); i += 2 {
		p := filepath.Join(dir, nameContent[i])
		require.NoError(t, os.WriteFile(p, []byte(nameContent[i+1]), 0o644))
		out = append(out, p)
	}
	return out
}

const (
	rg     = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"
	vnetID = rg + "/providers/Microsoft.Network/virtualNetworks/vnet"
	nsgID  = rg + "/providers/Microsoft.Network/networkSecurityGroups/nsg"
	rtID   = rg + "/providers/Microsoft.Network/routeTables/rt"
	natID  = rg + "/providers/Microsoft.Network/natGateways/nat"
	nicID  = rg + "/providers/Microsoft.Network/networkInterfaces/nic"
)

// vnetJSON is a REST GET body of a VNet with one subnet; extra goes into the
// subnet's properties.
func vnetJSON(extra string) string {
	return `{"id": "` + vnetID + `", "name": "vnet", "type": "Microsoft.Network/virtualNetworks", "location": "eastus",
 "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
  "subnets": [{"id": "` + vnetID + `/subnets/app", "name": "app", "properties": {"addressPrefix": "10.1.1.0/24"` + extra + `}}]}}`
}

// nicJSON is a NIC in the subnet app at 10.1.1.4; extra goes into its IP
// configuration's properties.
func nicJSON(extra string) string {
	return `{"id": "` + nicID + `", "name": "nic", "type": "Microsoft.Network/networkInterfaces", "location": "eastus",
 "properties": {"ipConfigurations": [{"id": "` + nicID + `/ipConfigurations/ipconfig1", "name": "ipconfig1",
  "properties": {"privateIPAddress": "10.1.1.4", "primary": true, "subnet": {"id": "` + vnetID + `/subnets/app"}` + extra + `}}]}}`
}

// TestChildrenAcrossFiles: az CLI outputs saved one command per file, a
// child in another file than its parent (az network nsg rule create next to
// az network nsg create; az network vnet subnet show next to az network
// vnet create), load as one network.
func TestChildrenAcrossFiles(t *testing.T) {
	paths := files(t,
		"rule.json", `{"access": "Deny", "destinationAddressPrefix": "Internet", "destinationPortRange": "25", "direction": "Outbound",
  "id": "`+nsgID+`/securityRules/no-smtp", "name": "no-smtp", "priority": 200, "protocol": "Tcp", "provisioningState": "Succeeded",
  "resourceGroup": "rg", "sourceAddressPrefix": "*", "sourcePortRange": "*", "type": "Microsoft.Network/networkSecurityGroups/securityRules"}`,
		"subnet.json", `{"addressPrefix": "10.1.2.0/24", "id": "`+vnetID+`/subnets/db", "name": "db", "networkSecurityGroup": {"id": "`+nsgID+`", "resourceGroup": "rg"},
  "resourceGroup": "rg", "type": "Microsoft.Network/virtualNetworks/subnets"}`,
		"nsg.json", `{"NewNSG": {"id": "`+nsgID+`", "location": "eastus", "name": "nsg", "resourceGroup": "rg", "securityRules": [],
  "type": "Microsoft.Network/networkSecurityGroups"}}`,
		"vnet.json", `{"newVNet": `+vnetJSON("")+`}`)
	m, err := topology.LoadFiles(nil, paths...)
	require.NoError(t, err)
	require.Len(t, m.NSGs, 1)
	require.Len(t, m.NSGs[0].Rules, 1, "the rule of rule.json is in the NSG of nsg.json")
	assert.Equal(t, 200, m.NSGs[0].Rules[0].Priority)
	assert.Equal(t, paths[0]+":1:1", m.NSGs[0].RulePos[0].String())
	s, ok := m.Subnet(topology.Ref(vnetID + "/subnets/db"))
	require.True(t, ok, "the subnet of subnet.json is in the VNet of vnet.json")
	assert.Equal(t, "vnet", s.VNet.Name)
	assert.Equal(t, topology.Ref(nsgID), s.NSG)
	assert.Len(t, m.VNets[0].Subnets, 2)
	assert.Nil(t, m.Warnings())

	// A peering and a rule collection group in other files than their VNet
	// and policy (az network vnet peering show; az network firewall policy
	// rule-collection-group show).
	fwp := rg + "/providers/Microsoft.Network/firewallPolicies/fwp"
	paths = files(t,
		"rcg.json", `{"id": "`+fwp+`/ruleCollectionGroups/rcg", "name": "rcg", "priority": 200, "resourceGroup": "rg",
  "ruleCollections": [], "type": "Microsoft.Network/FirewallPolicies/RuleCollectionGroups"}`,
		"peering.json", `{"id": "`+vnetID+`/virtualNetworkPeerings/to-hub", "name": "to-hub", "peeringState": "Connected",
  "remoteVirtualNetwork": {"id": "`+rg+`/providers/Microsoft.Network/virtualNetworks/hub"}, "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"}`,
		"policy.json", `{"id": "`+fwp+`", "name": "fwp", "type": "Microsoft.Network/firewallPolicies", "properties": {}}`,
		"vnet.json", vnetJSON(""))
	rs, err := arm.ParseFilesKeepDuplicates(paths...)
	require.NoError(t, err)
	m, err = topology.FromARM(rs)
	require.NoError(t, err)
	require.Len(t, m.FirewallPolicies[0].RuleCollectionGroups, 1)
	assert.Equal(t, 200, m.FirewallPolicies[0].RuleCollectionGroups[0].Priority)
	require.Len(t, m.VNets[0].Peerings, 1)
	assert.Equal(t, "hub", m.VNets[0].Peerings[0].Remote.Name())
}

// TestDuplicatesMerge: the same resource or child declared twice, inline and
// on its own (a portal template export declares each route inline and again
// as a child resource) or in two files, and in different shapes (REST,
// az CLI flattened, with read-only noise), is one resource.
func TestDuplicatesMerge(t *testing.T) {
	rt := `{"id": "` + rtID + `", "name": "rt", "type": "Microsoft.Network/routeTables", "location": "eastus", "etag": "W/\"1\"",
 "properties": {"provisioningState": "Succeeded", "routes": [{"name": "default", "id": "` + rtID + `/routes/default", "etag": "W/\"1\"",
   "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.1.1.4", "provisioningState": "Succeeded"}}]}}`
	routeAgain := `{"id": "` + rtID + `/routes/DEFAULT", "name": "default", "type": "Microsoft.Network/routeTables/routes", "etag": "W/\"2\"",
 "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.1.1.4", "hasBgpOverride": false, "resourceGroup": "rg"}`
	subnetAgain := `{"parameters": {}, "responses": {"200": {"body": {"id": "` + vnetID + `/subnets/app", "name": "app",
 "properties": {"addressPrefix": "10.1.1.0/24", "provisioningState": "Succeeded"}}}}}`
	// An older snapshot of the VNet, before the subnet db was added.
	later := strings.Replace(vnetJSON(""), `"subnets": [`, `"subnets": [{"id": "`+vnetID+`/subnets/db", "name": "db", "properties": {"addressPrefix": "10.1.2.0/24"}}, `, 1)
	paths := files(t,
		"export.json", "["+rt+", "+routeAgain+", "+vnetJSON("")+"]",
		"again.json", "["+vnetJSON(`, "provisioningState": "Updating"`)+", "+rt+"]",
		"subnet.json", subnetAgain,
		"later.json", later)
	m, err := topology.LoadFiles(nil, paths...)
	require.NoError(t, err)
	require.Len(t, m.RouteTables, 1)
	assert.Len(t, m.RouteTables[0].Routes, 1, "the route is not a duplicate of itself")
	assert.Len(t, m.RouteTables[0].RoutePos, 1)
	require.Len(t, m.VNets, 1)
	require.Len(t, m.VNets[0].Subnets, 2, "every subnet any declaration lists")
	assert.Equal(t, []string{"app", "db"}, []string{m.VNets[0].Subnets[0].Name, m.VNets[0].Subnets[1].Name})
	for _, s := range m.VNets[0].Subnets {
		assert.Same(t, m.VNets[0], s.VNet)
	}
	assert.Equal(t, paths[0], m.VNets[0].Pos.File, "the first declaration is kept")
}

// TestDuplicatesThatDiffer: two declarations that differ in what the model
// reads are an error naming both positions, the field and both values.
func TestDuplicatesThatDiffer(t *testing.T) {
	for _, tc := range []struct{ name, a, b, want string }{
		{"subnet, field set in one only", vnetJSON(""), vnetJSON(`, "natGateway": {"id": "` + natID + `"}`),
			`b.json:3:15: ` + vnetID + `/subnets/app: natGateway "` + natID + `": duplicate: declared twice with different values: unset at a.json:3:15`},
		{"VNet address space", vnetJSON(""), strings.Replace(vnetJSON(""), `["10.1.0.0/16"]`, `["10.1.0.0/16", "10.2.0.0/16"]`, 1),
			`b.json:1:1: ` + vnetID + `: addressSpace.addressPrefixes "[10.1.0.0/16 10.2.0.0/16]": duplicate: declared twice with different values: [10.1.0.0/16] at a.json:1:1`},
		{"NSG rule inline and on its own", `{"id": "` + nsgID + `", "type": "Microsoft.Network/networkSecurityGroups", "properties": {"securityRules": [
 {"name": "r", "properties": {"priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "*"}}]}}`,
			`{"id": "` + nsgID + `/securityRules/R", "type": "Microsoft.Network/networkSecurityGroups/securityRules",
 "properties": {"priority": 110, "direction": "Outbound", "access": "Deny", "protocol": "*"}}`,
			`b.json:1:1: ` + nsgID + `/securityRules/R: priority "110": duplicate: declared twice with different values: "100" at a.json:2:2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
			require.NoError(t, os.WriteFile(a, []byte(tc.a), 0o644))
			require.NoError(t, os.WriteFile(b, []byte(tc.b), 0o644))
			_, err := topology.LoadFiles(nil, a, b)
			require.Error(t, err)
			assert.ErrorIs(t, err, topology.ErrDuplicate)
			assert.Equal(t, tc.want, strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""))
		})
	}
}

// TestAssociationFromTheOtherSide: an association given only by the
// resource the model does not keep it on (NatGatewayGet lists its subnet;
// the subnet does not name it back) reaches the subnet.
func TestAssociationFromTheOtherSide(t *testing.T) {
	pip := rg + "/providers/Microsoft.Network/publicIPAddresses/pip"
	lb := rg + "/providers/Microsoft.Network/loadBalancers/lb"
	asg := rg + "/providers/Microsoft.Network/applicationSecurityGroups/asg"
	ipc := nicID + "/ipConfigurations/ipconfig1"
	m, err := topology.ParseARM("export.json", []byte(`[`+vnetJSON("")+`, `+nicJSON("")+`,
 {"id": "`+natID+`", "type": "Microsoft.Network/natGateways", "properties": {"subnets": [{"id": "`+vnetID+`/subnets/app"}]}},
 {"id": "`+nsgID+`", "type": "Microsoft.Network/networkSecurityGroups", "properties": {"securityRules": [],
   "subnets": [{"id": "`+vnetID+`/subnets/app"}], "networkInterfaces": [{"id": "`+nicID+`"}]}},
 {"id": "`+rtID+`", "type": "Microsoft.Network/routeTables", "properties": {"routes": [], "subnets": [{"id": "`+vnetID+`/subnets/app"}]}},
 {"id": "`+pip+`", "type": "Microsoft.Network/publicIPAddresses", "properties": {"ipAddress": "20.1.1.1", "ipConfiguration": {"id": "`+ipc+`"}}},
 {"id": "`+asg+`", "type": "Microsoft.Network/applicationSecurityGroups", "properties": {"ipConfigurations": [{"id": "`+ipc+`"}]}},
 {"id": "`+lb+`", "type": "Microsoft.Network/loadBalancers", "properties": {"backendAddressPools": [{"id": "`+lb+`/backendAddressPools/be", "name": "be",
   "properties": {"loadBalancerBackendAddresses": [{"name": "a", "properties": {"networkInterfaceIPConfiguration": {"id": "`+ipc+`"}}}]}}]}}
]`))
	require.NoError(t, err)
	s, _ := m.Subnet(topology.Ref(vnetID + "/subnets/app"))
	assert.Equal(t, topology.Ref(natID), s.NATGateway)
	assert.Equal(t, topology.Ref(nsgID), s.NSG)
	assert.Equal(t, topology.Ref(rtID), s.RouteTable)
	n, _ := m.NIC(topology.Ref(nicID))
	assert.Equal(t, topology.Ref(nsgID), n.NSG)
	c := n.IPConfigs[0]
	assert.Equal(t, topology.Ref(pip), c.PublicIP)
	assert.Equal(t, []topology.Ref{topology.Ref(asg)}, c.ASGs)
	assert.Equal(t, []topology.Ref{topology.Ref(lb + "/backendAddressPools/be")}, c.BackendPools)
	assert.Nil(t, m.Warnings())
	require.NoError(t, m.Validate(nil))

	// A public IP's ipConfiguration naming a firewall's or a load balancer
	// frontend's IP configuration.
	fw := rg + "/providers/Microsoft.Network/azureFirewalls/fw"
	m, err = topology.ParseARM("export.json", []byte(`[
 {"id": "`+fw+`", "type": "Microsoft.Network/azureFirewalls", "properties": {"ipConfigurations": [{"name": "c", "properties": {"privateIPAddress": "10.0.1.4"}}]}},
 {"id": "`+pip+`", "type": "Microsoft.Network/publicIPAddresses", "properties": {"ipConfiguration": {"id": "`+fw+`/azureFirewallIpConfigurations/c"}}},
 {"id": "`+pip+`2", "type": "Microsoft.Network/publicIPAddresses", "properties": {"ipConfiguration": {"id": "`+lb+`/frontendIPConfigurations/fe"}}},
 {"id": "`+lb+`", "type": "Microsoft.Network/loadBalancers", "properties": {"frontendIPConfigurations": [{"id": "`+lb+`/frontendIPConfigurations/fe", "name": "fe", "properties": {}}]}}]`))
	require.NoError(t, err)
	assert.Equal(t, []topology.Ref{topology.Ref(pip)}, m.Firewalls[0].PublicIPs)
	assert.Equal(t, topology.Ref(pip+"2"), m.LoadBalancers[0].Frontends[0].PublicIP)
}

// TestAssociationConflicts: when both sides are given and disagree, the
// error names both positions.
func TestAssociationConflicts(t *testing.T) {
	nat2 := rg + "/providers/Microsoft.Network/natGateways/nat2"
	pip := rg + "/providers/Microsoft.Network/publicIPAddresses/pip"
	for _, tc := range []struct{ name, in, want string }{
		{"the subnet names another NAT gateway",
			vnetJSON(`, "natGateway": {"id": "`+nat2+`"}`) + `,
 {"id": "` + natID + `", "type": "Microsoft.Network/natGateways", "properties": {"subnets": [{"id": "` + vnetID + `/subnets/app"}]}}`,
			`x.json:5:194: ` + natID + `: subnets "` + vnetID + `/subnets/app": conflicting association: the NAT gateway lists subnet vnet/app, whose natGateway at x.json:4:15 is "` + nat2 + `"`},
		{"the NAT gateway's list leaves the subnet out",
			vnetJSON(`, "natGateway": {"id": "`+natID+`"}`) + `,
 {"id": "` + natID + `", "type": "Microsoft.Network/natGateways", "properties": {"subnets": []}}`,
			`x.json:4:15: ` + vnetID + `/subnets/app: natGateway "` + natID + `": conflicting association: subnet vnet/app names NAT gateway "nat", whose subnets at x.json:5:2 does not list it`},
		{"a public IP claimed by another IP configuration",
			nicJSON(`, "publicIPAddress": {"id": "`+pip+`"}`) + `,
 {"id": "` + pip + `", "type": "Microsoft.Network/publicIPAddresses", "properties": {"ipConfiguration": {"id": "` + rg + `/providers/Microsoft.Network/networkInterfaces/other/ipConfigurations/c"}}}`,
			`x.json:3:38: ` + nicID + `/ipConfigurations/ipconfig1: publicIPAddress "` + pip + `": conflicting association: IP configuration nic/ipconfig1 names public IP "pip", whose ipConfiguration at x.json:5:213 is "` + rg + `/providers/Microsoft.Network/networkInterfaces/other/ipConfigurations/c": a public IP belongs to one resource`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := topology.ParseARM("x.json", []byte("[\n"+tc.in+"]"))
			require.Error(t, err)
			assert.ErrorIs(t, err, topology.ErrConflict)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestAssociationToMissingResource: a mirrored list naming resources the
// input does not hold is one warning per list, not an error.
func TestAssociationToMissingResource(t *testing.T) {
	m, err := topology.ParseARM("x.json", []byte(`{"id": "`+nsgID+`", "type": "Microsoft.Network/networkSecurityGroups",
 "properties": {"networkInterfaces": [{"id": "`+nicID+`1"}, {"id": "`+nicID+`2"}]}}`))
	require.NoError(t, err)
	ws := m.Warnings()
	require.Len(t, ws, 1)
	assert.ErrorIs(t, ws[0], topology.ErrExternal)
	assert.Equal(t, `x.json:2:39: `+nsgID+`: networkInterfaces "`+nicID+`1": not in the input: lists a resource that is not in the input (and 1 more); the association is not used`, ws[0].Error())
}

// TestFirewallPrivateIPInferred: a firewall whose export leaves out its
// private IP gets the first address Azure assigns in AzureFirewallSubnet,
// stated as an assumption (model field and warning), so that a spoke's 0/0
// route to it leads somewhere.
func TestFirewallPrivateIPInferred(t *testing.T) {
	fw := rg + "/providers/Microsoft.Network/azureFirewalls/fw"
	in := `[{"id": "` + vnetID + `", "type": "Microsoft.Network/virtualNetworks", "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
  "subnets": [{"name": "AzureFirewallSubnet", "properties": {"addressPrefix": "10.0.1.0/26"}}]}},
 {"id": "` + fw + `", "type": "Microsoft.Network/azureFirewalls", "location": "eastus", "properties": {"sku": {"name": "AZFW_VNet", "tier": "Standard"},
  "ipConfigurations": [{"name": "cfg", "properties": {"subnet": {"id": "` + vnetID + `/subnets/AzureFirewallSubnet"}}}]}}]`
	m, err := topology.ParseARM("x.json", []byte(in))
	require.NoError(t, err)
	f := m.Firewalls[0]
	assert.Equal(t, netip.MustParseAddr("10.0.1.4"), f.PrivateIP)
	assert.Contains(t, f.PrivateIPAssumed, "taken as 10.0.1.4, the first address Azure assigns in AzureFirewallSubnet 10.0.1.0/26")
	assert.Contains(t, f.PrivateIPAssumed, "https://learn.microsoft.com/azure/virtual-network/ip-services/private-ip-addresses#allocation-method")
	ws := m.Warnings()
	require.Len(t, ws, 1)
	assert.ErrorIs(t, ws[0], topology.ErrAssumed)
	assert.ErrorContains(t, m.StrictError(), "assumed")
	require.NoError(t, m.Validate(nil))

	// Given, it is kept, and nothing is assumed.
	m, err = topology.ParseARM("x.json", []byte(strings.Replace(in, `"properties": {"subnet"`, `"properties": {"privateIPAddress": "10.0.1.5", "subnet"`, 1)))
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("10.0.1.5"), m.Firewalls[0].PrivateIP)
	assert.Empty(t, m.Firewalls[0].PrivateIPAssumed)
	assert.Nil(t, m.Warnings())
	assert.NoError(t, m.StrictError())
}

// TestGatewayInstanceIPs: an active-active VPN gateway's instance addresses
// come from bgpSettings, else from its IP configurations, else they are
// assumed from GatewaySubnet.
func TestGatewayInstanceIPs(t *testing.T) {
	gw := rg + "/providers/Microsoft.Network/virtualNetworkGateways/gw"
	build := func(cfg string) *topology.Model {
		m, err := topology.ParseARM("x.json", []byte(`[{"id": "`+vnetID+`", "type": "Microsoft.Network/virtualNetworks", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
  "subnets": [{"name": "GatewaySubnet", "properties": {"addressPrefix": "10.0.255.0/27"}}]}},
 {"id": "`+gw+`", "type": "Microsoft.Network/virtualNetworkGateways", "properties": {"gatewayType": "Vpn", "activeActive": true,
  "ipConfigurations": [`+cfg+`]}}]`))
		require.NoError(t, err)
		return m
	}
	sub := `"subnet": {"id": "` + vnetID + `/subnets/GatewaySubnet"}`
	m := build(`{"name": "a", "properties": {"privateIPAddress": "10.0.255.6", ` + sub + `}}, {"name": "b", "properties": {"privateIPAddress": "10.0.255.7", ` + sub + `}}`)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.255.6"), netip.MustParseAddr("10.0.255.7")}, m.Gateways[0].PrivateIPs)
	assert.Empty(t, m.Gateways[0].PrivateIPsAssumed)
	m = build(`{"name": "a", "properties": {` + sub + `}}, {"name": "b", "properties": {` + sub + `}}`)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.255.4"), netip.MustParseAddr("10.0.255.5")}, m.Gateways[0].PrivateIPs)
	assert.Contains(t, m.Gateways[0].PrivateIPsAssumed, "taken as 10.0.255.4 and 10.0.255.5")
	require.Len(t, m.Warnings(), 1)
}

// TestDuplicateKeys: a key held twice in one object is an error when the
// model reads it (which value is meant cannot be known) and a warning when it
// does not.
func TestDuplicateKeys(t *testing.T) {
	rule := func(extra string) string {
		return `{"id": "` + nsgID + `", "type": "Microsoft.Network/networkSecurityGroups", "tags": {"env": "a", "env": "b"},
 "properties": {"securityRules": [{"name": "r", "properties": {"priority": 100, "direction": "Outbound", "access": "Deny", "protocol": "*"` + extra + `}}]}}`
	}
	m, err := topology.ParseARM("x.json", []byte(rule(`, "etag": "1", "Etag": "2"`)))
	require.NoError(t, err)
	ws := m.Warnings()
	require.Len(t, ws, 2)
	assert.Equal(t, `x.json:1:214: `+nsgID+`: tags.env: duplicate JSON key: the key is also at x.json:1:202; egress does not read it (JSON readers keep the last value)`, ws[0].Error())
	assert.Contains(t, ws[1].Error(), `properties.securityRules[0].properties.Etag: duplicate JSON key`)

	_, err = topology.ParseARM("x.json", []byte(rule(`, "Priority": 200`)))
	require.Error(t, err)
	assert.ErrorIs(t, err, topology.ErrDuplicateKey)
	assert.Contains(t, err.Error(), `x.json:2:153: `+nsgID+`: properties.securityRules[0].properties.Priority: duplicate JSON key: the key is also at x.json:2:76; egress reads it, and which of the two values is meant cannot be known`)
}

// TestShortIDs: the short IDs of a peer verifier's snapshots (Batfish's
// Azure tests: "resourceGroups/test/providers/...", "resourceGroup/test/...")
// load, matched as case-insensitive strings, each with a warning.
func TestShortIDs(t *testing.T) {
	m, err := topology.ParseARM("x.json", []byte(`[
 {"id": "resourceGroups/test/providers/Microsoft.Network/virtualNetworks/v", "type": "Microsoft.Network/virtualNetworks",
  "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
   "subnets": [{"id": "resourceGroups/test/providers/Microsoft.Network/virtualNetworks/v/subnets/s", "name": "s",
    "properties": {"addressPrefix": "10.0.0.0/24", "natGateway": "RESOURCEGROUP/test/providers/Microsoft.Network/natGateways/n"}}]}},
 {"id": "resourceGroup/test/providers/Microsoft.Network/natGateways/n", "type": "Microsoft.Network/natGateways",
  "properties": {"subnets": [{"id": "resourceGroups/test/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}]}},
 {"id": "resourceGroups/test/providers/Microsoft.Network/virtualNetworks/v/subnets/t", "type": "Microsoft.Network/virtualNetworks/subnets",
  "properties": {"addressPrefix": "10.0.1.0/24"}}]`))
	require.NoError(t, err)
	require.Len(t, m.VNets[0].Subnets, 2, "a child with a short ID finds its parent")
	ng, ok := m.NATGateway(m.VNets[0].Subnets[0].NATGateway)
	require.True(t, ok)
	assert.Equal(t, "n", ng.Name)
	ws := m.Warnings()
	require.Len(t, ws, 3)
	for _, w := range ws {
		assert.True(t, errors.Is(w, topology.ErrShortID), w.Error())
	}
	assert.Equal(t, "x.json:2:2: resourceGroups/test/providers/Microsoft.Network/virtualNetworks/v: id: short resource ID: no /subscriptions/{id} prefix: matched as a case-insensitive string to references spelled the same way", ws[0].Error())
	require.NoError(t, m.Validate(nil))
	assert.Len(t, m.Warnings(), 3, "Validate keeps the load's warnings")
}

// TestWarningsAcrossFilesAreSorted: LoadFiles keeps every file's warnings,
// sorted by position.
func TestWarningsAcrossFilesAreSorted(t *testing.T) {
	paths := files(t,
		"b.json", `{"id": "resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n2", "type": "Microsoft.Network/networkSecurityGroups"}`,
		"a.json", `{"id": "resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n1", "type": "Microsoft.Network/networkSecurityGroups", "tags": {"x": 1, "x": 2}}`)
	m, err := topology.LoadFiles(nil, paths...)
	require.NoError(t, err)
	var got []string
	for _, w := range m.Warnings() {
		got = append(got, filepath.Base(w.Pos.File)+" "+w.Kind.Error())
	}
	assert.Equal(t, []string{"a.json short resource ID", "a.json duplicate JSON key", "b.json short resource ID"}, got)
	err = m.StrictError()
	require.Error(t, err)
	assert.Len(t, err.(interface{ Unwrap() []error }).Unwrap(), 3)
}
