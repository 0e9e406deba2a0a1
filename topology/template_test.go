package topology

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology/arm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const templates = "arm/testdata/templates/"

func errList(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, errList(e)...)
		}
		return out
	}
	return []error{err}
}

func routeNames(rt *RouteTable) []string {
	var out []string
	for _, r := range rt.Routes {
		s := r.Name + " " + r.AddressPrefix + " " + r.NextHopType + " " + r.NextHopIPAddress
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestLoadPortalExport: a portal "Export template" of a hub and of a spoke,
// each with its peer as an _externalid parameter, loads into the model the
// templates describe; in the deployment's scope the peerings resolve.
func TestLoadPortalExport(t *testing.T) {
	const sub, rg = "11111111-2222-3333-4444-555555555555", "rg-net"
	opts := LoadOptions{Template: arm.Options{SubscriptionID: sub, ResourceGroup: rg}}
	paths := []string{templates + "portal-hub.json", templates + "portal-spoke.json"}
	m, err := LoadFilesWith(opts, paths...)
	require.NoError(t, err, "each route is declared inline in its table and again as a child: the two merge")
	scope := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/"
	hub, ok := m.VNet(Ref(scope + "virtualNetworks/vnet-hub"))
	require.True(t, ok)
	spoke, ok := m.VNet(Ref(scope + "virtualNetworks/vnet-spoke1"))
	require.True(t, ok)
	assert.Equal(t, "[10.0.0.0/16]", sprint(hub.AddressSpace))
	require.Len(t, hub.Subnets, 1)
	assert.Equal(t, "snet-nva", hub.Subnets[0].Name)
	assert.Equal(t, "[10.0.1.0/24]", sprint(hub.Subnets[0].Prefixes))
	require.Len(t, spoke.Subnets, 1)
	snet := spoke.Subnets[0]
	assert.Equal(t, "[10.1.1.0/24]", sprint(snet.Prefixes))
	assert.Equal(t, Ref(scope+"routeTables/rt-spoke1"), snet.RouteTable)
	assert.Equal(t, Ref(scope+"networkSecurityGroups/nsg-app"), snet.NSG)
	require.Len(t, hub.Peerings, 1)
	require.Len(t, spoke.Peerings, 1)
	_, ok = m.VNet(hub.Peerings[0].Remote)
	assert.True(t, ok, "the hub's peer resolves: %s", hub.Peerings[0].Remote)
	_, ok = m.VNet(spoke.Peerings[0].Remote)
	assert.True(t, ok, "the spoke's peer resolves: %s", spoke.Peerings[0].Remote)
	assert.True(t, hub.Peerings[0].AllowForwardedTraffic)

	require.Len(t, m.RouteTables, 1)
	assert.True(t, m.RouteTables[0].DisableBGPRoutePropagation)
	assert.Equal(t, []string{"default-via-nva 0.0.0.0/0 VirtualAppliance 10.0.1.4"}, routeNames(m.RouteTables[0]))
	require.Len(t, m.NSGs, 1)
	require.NotEmpty(t, m.NSGs[0].Rules)
	assert.Equal(t, "allow-https-out", m.NSGs[0].Rules[0].Name)
	assert.Equal(t, 100, m.NSGs[0].Rules[0].Priority)
	var nics []string
	for _, n := range m.NICs {
		nics = append(nics, n.Name+" "+n.IPConfigs[0].PrivateIP.String()+" "+string(n.IPConfigs[0].Subnet))
	}
	assert.Equal(t, []string{
		"nic-nva 10.0.1.4 " + scope + "virtualNetworks/vnet-hub/subnets/snet-nva",
		"nic-app 10.1.1.4 " + scope + "virtualNetworks/vnet-spoke1/subnets/snet-app",
	}, nics)
	assert.True(t, m.NICs[0].EnableIPForwarding)
}

// TestLoadPortalSpokeAlone: a spoke exported alone evaluates and loads; its
// peer, in another export, is the one reference outside the input.
func TestLoadPortalSpokeAlone(t *testing.T) {
	m, err := LoadFiles(nil, templates+"portal-spoke.json")
	require.NoError(t, err)
	v := m.Check(nil)
	require.Empty(t, v.Errors)
	require.Empty(t, v.Rejected)
	var ext []string
	for _, e := range v.External {
		require.ErrorIs(t, e, ErrExternal)
		ext = append(ext, e.Error())
	}
	assert.Equal(t, []string{
		templates + "portal-spoke.json:155:21: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/vnet-spoke1/virtualNetworkPeerings/spoke1-to-hub: remoteVirtualNetwork \"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub\": not in the input: no virtual network with this ID in the input",
	}, ext)
	require.Error(t, m.ValidateStrict(nil), "strict validation refuses references outside the input")
}

// TestLoadBicep: the output of az bicep build, with its parameters file and
// the location, loads and validates; the VMs, whose password is a Key Vault
// reference, are skipped and do not matter.
func TestLoadBicep(t *testing.T) {
	files, err := arm.ReadParameterFiles(templates + "bicep-main.parameters.json")
	require.NoError(t, err)
	ps, err := arm.NewParameters(files, "subnetNames=[\"web\", \"app\"]")
	require.NoError(t, err)
	m, err := LoadFilesWith(LoadOptions{Template: arm.Options{Parameters: ps, Location: "westeurope"}},
		templates+"bicep-main.json", templates+"bicep-symbolic.json")
	require.NoError(t, err)
	var got []string
	for _, v := range m.VNets {
		s := v.Name + " " + v.Location + " " + sprint(v.AddressSpace) + ":"
		for _, sn := range v.Subnets {
			s += " " + sn.Name + "=" + sprint(sn.Prefixes)
		}
		for _, p := range v.Peerings {
			s += " peer:" + p.Remote.Name()
		}
		got = append(got, s)
	}
	assert.Equal(t, []string{
		"vnet-spoke1 westeurope [10.1.0.0/16]: snet-web=[10.1.1.0/24] snet-app=[10.1.2.0/24] peer:vnet-hub",
		"vnet-spoke2 westeurope [10.2.0.0/16]: snet-web=[10.2.1.0/24] snet-app=[10.2.2.0/24] peer:vnet-hub",
		"vnet-hub westeurope [10.0.0.0/16]: snet-nva=[10.0.1.0/24] peer:vnet-spoke1 peer:vnet-spoke2",
		"vnet-workload westeurope [10.20.0.0/16]: snet-0=[10.20.0.0/24] snet-1=[10.20.1.0/24] peer:vnet-hub",
	}, got)
	require.Len(t, m.RouteTables, 1)
	assert.Equal(t, []string{"default-via-nva 0.0.0.0/0 VirtualAppliance 10.0.1.4"}, routeNames(m.RouteTables[0]))
	assert.Len(t, m.NICs, 3)
	require.Len(t, m.NSGs, 1)
	assert.Equal(t, "deny-internet-out", m.NSGs[0].Rules[0].Name)

	// Without the location, the values the model reads from it are
	// reported where they are read: three, then a count.
	_, err = LoadFiles(nil, templates+"bicep-main.json")
	require.Error(t, err)
	es := errList(err)
	for _, e := range es {
		require.ErrorIs(t, e, arm.ErrExpression)
	}
	require.Len(t, es, 4)
	assert.Equal(t, templates+`bicep-main.json:68:19: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/routeTables/rt-spokes: location: unresolved template expression: parameter "location" has no value, and its defaultValue cannot be evaluated offline: the resource group's location is not known offline: give the region (Options.Location; egress --location) (at `+templates+`bicep-main.json:14:25)`, es[0].Error())
	assert.Equal(t, `unresolved template expression: 2 more values are unresolved for the same reason: parameter "location" has no value, and its defaultValue cannot be evaluated offline: the resource group's location is not known offline: give the region (Options.Location; egress --location) (at `+templates+`bicep-main.json:14:25)`, es[3].Error())

	// A parameters file that fits no template is an error.
	stray := filepath.Join(t.TempDir(), "stray.parameters.json")
	require.NoError(t, os.WriteFile(stray, []byte(`{"parameters": {"nope": {"value": 1}}}`), 0o644))
	files, err = arm.ReadParameterFiles(stray)
	require.NoError(t, err)
	ps, err = arm.NewParameters(files)
	require.NoError(t, err)
	_, err = LoadFilesWith(LoadOptions{Template: arm.Options{Parameters: ps, Location: "westeurope"}}, templates+"bicep-symbolic.json")
	require.ErrorIs(t, err, arm.ErrParameter)
	assert.Contains(t, err.Error(), "stray.parameters.json:1:1: invalid template parameter: parameters file applies to no template")
}

// TestUnresolvedWhereRead: an unresolved template value fails the load only
// if the model reads it; then the error names the resource and field.
func TestUnresolvedWhereRead(t *testing.T) {
	in := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
 "parameters": {"ddosPlan": {"type": "string"}, "prefix": {"type": "string"}, "owner": {"type": "string"}},
 "resources": [
  {"type": "Microsoft.Network/virtualNetworks", "name": "v", "location": "westeurope", "tags": {"owner": "[parameters('owner')]"},
   "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "ddosProtectionPlan": {"id": "[parameters('ddosPlan')]"},
     "subnets": [{"name": "a", "properties": {"addressPrefix": "%s"}}]}},
  {"type": "Microsoft.Compute/virtualMachines", "name": "vm", "location": "westeurope", "properties": {"x": "[parameters('owner')]"}}]}`
	m, err := ParseARM("t.json", []byte(strings.Replace(in, "%s", "10.0.1.0/24", 1)))
	require.NoError(t, err, "the DDoS plan, the tags and the VM are not read")
	assert.Equal(t, 1, m.Skipped["microsoft.compute/virtualmachines"])

	_, err = ParseARM("t.json", []byte(strings.Replace(in, "%s", "[parameters('prefix')]", 1)))
	require.Error(t, err)
	assert.Equal(t, []string{
		`t.json:6:64: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/v: properties.subnets[0].properties.addressPrefix: unresolved template expression: parameter "prefix" has no value: give one in a parameters file or as prefix=VALUE (declared at t.json:2:59)`,
	}, errStrings(err))

	// Through an unresolved object, the model's reads are unresolved too.
	_, err = ParseARM("t.json", []byte(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
 "parameters": {"subnets": {"type": "array"}},
 "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "v", "location": "westeurope",
   "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": "[parameters('subnets')]"}}]}`))
	require.ErrorIs(t, err, arm.ErrExpression)
	assert.Contains(t, err.Error(), `properties.subnets: unresolved template expression: parameter "subnets" has no value`)
}

func sprint(v any) string { return fmt.Sprint(v) }

func errStrings(err error) []string {
	var out []string
	for _, e := range errList(err) {
		out = append(out, e.Error())
	}
	return out
}

// TestModelledType: the types the builder models, as it reports them.
func TestModelledType(t *testing.T) {
	for typ, want := range map[string]bool{
		"Microsoft.Network/virtualNetworks":                  true,
		"microsoft.network/virtualnetworks/subnets":          true,
		"Microsoft.Network/routeTables/routes":               true,
		"Microsoft.Network/networkInterfaces":                true,
		"Microsoft.Network/azureFirewalls":                   true,
		"Microsoft.Compute/virtualMachines":                  false,
		"Microsoft.Storage/storageAccounts":                  false,
		"Microsoft.Insights/diagnosticSettings":              false,
		"Microsoft.Network/virtualNetworks/unknownChildType": false,
	} {
		assert.Equal(t, want, modelledType(typ), typ)
	}
}
