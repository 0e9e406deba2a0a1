package arm

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixtures in testdata/templates are in the shapes Azure produces:
//
//   - portal-hub.json, portal-spoke.json: the portal's "Export template" of
//     a hub and a spoke (names as parameters with defaultValue, concat and
//     resourceId, the peer VNet by an _externalid parameter, every child
//     both inline and as a resource of its own);
//   - bicep-main.json: az bicep build output (_generator metadata) with
//     resource and property copy loops, a condition, a module (a nested
//     deployment with the inner scope) whose output the parent reads with
//     reference(), and a VM whose password no parameter gives;
//   - bicep-main.parameters.json: its parameters file, with a Key Vault
//     reference;
//   - bicep-symbolic.json: languageVersion 2.0 output (symbolic names, an
//     existing resource, symbolic dependsOn, an output copy loop).

const portalSub, portalRG = "11111111-2222-3333-4444-555555555555", "rg-net"

func portalOpts() Options { return Options{SubscriptionID: portalSub, ResourceGroup: portalRG} }

func TestPortalExport(t *testing.T) {
	res, err := ParseFilesWith(portalOpts(), "testdata/templates/portal-hub.json", "testdata/templates/portal-spoke.json")
	require.NoError(t, err)
	scope := "/subscriptions/" + portalSub + "/resourceGroups/" + portalRG + "/providers/"
	var got []string
	for _, r := range res {
		got = append(got, strings.TrimPrefix(r.ID, scope))
		for _, e := range r.Unresolved() {
			t.Errorf("unresolved: %v", e)
		}
	}
	assert.Equal(t, []string{
		"Microsoft.Network/virtualNetworks/vnet-hub",
		"Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-nva",
		"Microsoft.Network/virtualNetworks/vnet-hub/virtualNetworkPeerings/hub-to-spoke1",
		"Microsoft.Network/networkInterfaces/nic-nva",
		"Microsoft.Network/networkSecurityGroups/nsg-app",
		"Microsoft.Network/routeTables/rt-spoke1",
		"Microsoft.Network/networkSecurityGroups/nsg-app/securityRules/allow-https-out",
		"Microsoft.Network/routeTables/rt-spoke1/routes/default-via-nva",
		"Microsoft.Network/virtualNetworks/vnet-spoke1",
		"Microsoft.Network/virtualNetworks/vnet-spoke1/subnets/snet-app",
		"Microsoft.Network/virtualNetworks/vnet-spoke1/virtualNetworkPeerings/spoke1-to-hub",
		"Microsoft.Network/networkInterfaces/nic-app",
	}, got)
	hub, spoke := res[0], res[8]
	// The inline children get their IDs from resourceId(), the peer its ID
	// from the _externalid parameter's default.
	assert.Equal(t, `"`+scope+`Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-nva"`, prop(hub, "properties", "subnets", "0", "id"))
	assert.Equal(t, `"`+scope+`Microsoft.Network/virtualNetworks/vnet-spoke1"`, prop(hub, "properties", "virtualNetworkPeerings", "0", "properties", "remoteVirtualNetwork", "id"))
	assert.Equal(t, `"`+scope+`Microsoft.Network/routeTables/rt-spoke1"`, prop(spoke, "properties", "subnets", "0", "properties", "routeTable", "id"))
	assert.Equal(t, `"`+scope+`Microsoft.Network/networkInterfaces/nic-nva/ipConfigurations/ipconfig1"`, prop(res[3], "properties", "ipConfigurations", "0", "id"))
	// A value from a parameter default points at the default.
	assert.Equal(t, "testdata/templates/portal-hub.json:14:29", hub.Body.Prop("virtualNetworkPeerings").Index(0).Prop("remoteVirtualNetwork").Get("id").Pos().String())
	// A computed value points at its expression.
	assert.Equal(t, "testdata/templates/portal-hub.json:39:33", hub.Body.Prop("subnets").Index(0).Get("id").Pos().String())

	// Without a scope the placeholder one is used: the _externalid default
	// names the peer, not the template's own resources.
	res, err = ParseFiles("testdata/templates/portal-spoke.json")
	require.NoError(t, err)
	assert.Equal(t, tmplScope+"Microsoft.Network/networkSecurityGroups/nsg-app", res[0].ID)
}

func TestBicepBuildOutput(t *testing.T) {
	files, err := ReadParameterFiles("testdata/templates/bicep-main.parameters.json")
	require.NoError(t, err)
	ps, err := NewParameters(files)
	require.NoError(t, err)
	opts := Options{Parameters: ps, Location: "westeurope"}
	res, err := ParseFilesWith(opts, "testdata/templates/bicep-main.json", "testdata/templates/bicep-symbolic.json")
	require.NoError(t, err)
	require.NoError(t, ps.Unused())
	assert.Equal(t, []string{
		"Microsoft.Network/routeTables/rt-spokes",
		"Microsoft.Network/virtualNetworks/vnet-spoke1",
		"Microsoft.Network/virtualNetworks/vnet-spoke2",
		"Microsoft.Network/virtualNetworks/vnet-spoke1/virtualNetworkPeerings/to-hub",
		"Microsoft.Network/virtualNetworks/vnet-spoke2/virtualNetworkPeerings/to-hub",
		"Microsoft.Network/virtualNetworks/vnet-hub/virtualNetworkPeerings/to-spoke1",
		"Microsoft.Network/virtualNetworks/vnet-hub/virtualNetworkPeerings/to-spoke2",
		"Microsoft.Network/networkInterfaces/nic-spoke1-app",
		"Microsoft.Network/networkInterfaces/nic-spoke2-app",
		"Microsoft.Compute/virtualMachines/vm-spoke1-app",
		"Microsoft.Compute/virtualMachines/vm-spoke2-app",
		// pip-jumpbox: its condition is false.
		"Microsoft.Network/virtualNetworks/vnet-hub", // the module's resources, in its place
		"Microsoft.Network/networkInterfaces/nic-nva",
		// bicep-symbolic.json; hubVnet is existing.
		"Microsoft.Network/networkSecurityGroups/nsg-workload",
		"Microsoft.Network/virtualNetworks/vnet-workload",
		"Microsoft.Network/virtualNetworks/vnet-workload/virtualNetworkPeerings/to-hub",
	}, ids(res))
	byName := map[string]Resource{}
	for _, r := range res {
		byName[strings.TrimPrefix(r.ID, tmplScope)] = r
	}
	spoke2 := byName["Microsoft.Network/virtualNetworks/vnet-spoke2"]
	assert.Equal(t, "westeurope", spoke2.Location)
	assert.Equal(t, `[{"name":"snet-web","properties":{"addressPrefix":"10.2.1.0/24","routeTable":{"id":"`+tmplScope+`Microsoft.Network/routeTables/rt-spokes"},"defaultOutboundAccess":false}},`+
		`{"name":"snet-app","properties":{"addressPrefix":"10.2.2.0/24","routeTable":{"id":"`+tmplScope+`Microsoft.Network/routeTables/rt-spokes"},"defaultOutboundAccess":false}},`+
		`{"name":"snet-data","properties":{"addressPrefix":"10.2.3.0/24","routeTable":{"id":"`+tmplScope+`Microsoft.Network/routeTables/rt-spokes"},"defaultOutboundAccess":false}}]`,
		prop(spoke2, "properties", "subnets"))
	// The module's output, read with reference().
	assert.Equal(t, `"`+tmplScope+`Microsoft.Network/virtualNetworks/vnet-hub"`,
		prop(byName["Microsoft.Network/virtualNetworks/vnet-spoke1/virtualNetworkPeerings/to-hub"], "properties", "remoteVirtualNetwork", "id"))
	assert.Equal(t, `"10.0.1.4"`, prop(byName["Microsoft.Network/routeTables/rt-spokes"], "properties", "routes", "0", "properties", "nextHopIpAddress"))
	assert.Equal(t, `"10.0.1.4"`, prop(byName["Microsoft.Network/networkInterfaces/nic-nva"], "properties", "ipConfigurations", "0", "properties", "privateIPAddress"))
	// Only what depends on the unknown is unresolved: the VM's password
	// (a Key Vault reference), the tags' deployment time (utcNow()) and
	// the hub's address space (an existing resource).
	var un []string
	for _, r := range res {
		for _, e := range r.Unresolved() {
			un = append(un, strings.TrimPrefix(e.Resource, tmplScope)+" "+e.Field)
		}
	}
	assert.Equal(t, []string{
		"Microsoft.Network/routeTables/rt-spokes tags.deployedAt",
		"Microsoft.Network/virtualNetworks/vnet-spoke1 tags.deployedAt",
		"Microsoft.Network/virtualNetworks/vnet-spoke2 tags.deployedAt",
		"Microsoft.Compute/virtualMachines/vm-spoke1-app properties.osProfile.adminPassword",
		"Microsoft.Compute/virtualMachines/vm-spoke2-app properties.osProfile.adminPassword",
		// reference() of an existing resource: deployed elsewhere.
		"Microsoft.Network/virtualNetworks/vnet-workload/virtualNetworkPeerings/to-hub properties.remoteAddressSpace.addressPrefixes",
	}, un)
	workload := byName["Microsoft.Network/virtualNetworks/vnet-workload"]
	assert.Equal(t, `{"id":"`+tmplScope+`Microsoft.Network/networkSecurityGroups/nsg-workload"}`, prop(workload, "properties", "subnets", "1", "properties", "networkSecurityGroup"))
	// Without the location, the resources that take it from the
	// parameter's default are unresolved there.
	res, err = ParseFiles("testdata/templates/bicep-main.json")
	require.NoError(t, err)
	assert.Contains(t, prop(res[0], "location"), `parameter "location" has no value, and its defaultValue cannot be evaluated offline: the resource group's location is not known offline`)
}

// TestBicepSymbolicOutputs: the outputs of a languageVersion 2.0 template
// read through a nested deployment of it (an output copy loop, reference()
// by symbolic name).
func TestBicepSymbolicOutputs(t *testing.T) {
	inner, err := os.ReadFile("testdata/templates/bicep-symbolic.json")
	require.NoError(t, err)
	in := `{` + schema + `, "resources": [{"type": "Microsoft.Resources/deployments", "name": "wl", "properties": {
  "expressionEvaluationOptions": {"scope": "inner"}, "parameters": {"location": {"value": "westeurope"}, "subnetCount": {"value": 3}}, "template": ` + string(inner) + `}},
 {"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {
  "ids": "[reference('wl').outputs.subnetIds.value]", "space": "[reference('wl').outputs.addressSpace.value]", "state": "[reference('wl').provisioningState]"}}]}`
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	rt := res[len(res)-1]
	snet := tmplScope + "Microsoft.Network/virtualNetworks/vnet-workload/subnets/snet-"
	assert.Equal(t, `["`+snet+`0","`+snet+`1","`+snet+`2"]`, prop(rt, "properties", "ids"))
	assert.Equal(t, `["10.20.0.0/16"]`, prop(rt, "properties", "space"))
	assert.Contains(t, prop(rt, "properties", "state"), `reference('wl'): property "provisioningState" is runtime state`)
}
