package arm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseLooseID: the short forms of Batfish's Azure test snapshots
// (batfish/batfish projects/batfish/src/test/resources/org/batfish/representation/azure/test-nat-gateway/azure_configs:
// "resourceGroups/test/providers/..." and "resourceGroup/test/providers/...")
// parse, keep their spelling and find their parents; full IDs parse as
// ParseID parses them; anything else is ParseID's error.
func TestParseLooseID(t *testing.T) {
	for _, tc := range []struct{ id, typ, name, rg, parent string }{
		{"resourceGroups/test/providers/Microsoft.Network/virtualNetworks/VM1-vnet/subnets/default",
			"Microsoft.Network/virtualNetworks/subnets", "VM1-vnet/default", "test",
			"resourceGroups/test/providers/Microsoft.Network/virtualNetworks/VM1-vnet"},
		{"resourceGroup/test/providers/Microsoft.Network/natGateways/nat-gateway-subnet1",
			"Microsoft.Network/natGateways", "nat-gateway-subnet1", "test", ""},
		{"/RESOURCEGROUPS/rg/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Insights/diagnosticSettings/d",
			"Microsoft.Insights/diagnosticSettings", "d", "rg", "/RESOURCEGROUPS/rg/providers/Microsoft.Network/virtualNetworks/v"},
	} {
		id, err := ParseLooseID(tc.id)
		require.NoError(t, err, tc.id)
		assert.True(t, id.IsShort())
		assert.Equal(t, tc.id, id.String())
		assert.Equal(t, tc.typ, id.Type())
		assert.Equal(t, tc.name, id.Name())
		assert.Equal(t, tc.rg, id.ResourceGroup())
		assert.Empty(t, id.SubscriptionID(), "a short ID has no subscription")
		p, ok := id.Parent()
		assert.Equal(t, tc.parent != "", ok)
		assert.Equal(t, tc.parent, p.String())
		if ok {
			assert.True(t, p.IsShort())
		}
	}
	full, err := ParseLooseID(vnetID)
	require.NoError(t, err)
	assert.False(t, full.IsShort())
	assert.Equal(t, MustParseID(vnetID), full)
	for _, bad := range []string{"vnet1", "resourceGroups/rg", "resourceGroups/rg/providers/Microsoft.Network/virtualNetworks", "groups/rg/providers/A.B/c/d"} {
		_, err := ParseLooseID(bad)
		assert.ErrorIs(t, err, ErrID, bad)
		assert.ErrorContains(t, err, bad)
	}
}

// TestInputShapes: inputs other tools produce, each read as the resource it
// holds.
func TestInputShapes(t *testing.T) {
	const sub = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/subnet-test/providers/Microsoft.Network/virtualNetworks/vnetname/subnets/subnet1"
	for _, tc := range []struct {
		name, in      string
		id, typ, file string
	}{
		// The envelope of Azure/azure-rest-api-specs
		// specification/network/resource-manager/Microsoft.Network/stable/2025-03-01/examples/SubnetGet.json:
		// the 200 body, which has no "type" (the ID gives it).
		{"REST example, child without type", `{"parameters": {"api-version": "2025-03-01", "subnetName": "subnet1"},
  "responses": {"200": {"body": {"name": "subnet1", "id": "` + sub + `",
    "properties": {"addressPrefix": "10.0.0.0/16", "provisioningState": "Succeeded"}}}},
  "operationId": "Subnets_Get", "title": "Get subnet"}`, sub, "Microsoft.Network/virtualNetworks/subnets", "in.json:2:33"},
		{"REST example, 201 only", `{"parameters": {}, "responses": {"201": {"body": {"id": "` + vnetID + `", "type": "Microsoft.Network/virtualNetworks"}}, "202": {}}}`,
			vnetID, "Microsoft.Network/virtualNetworks", "in.json:1:50"},
		{"REST example, list", `{"parameters": {}, "responses": {"200": {"body": {"value": [{"id": "` + vnetID + `", "type": "Microsoft.Network/virtualNetworks"}]}}}}`,
			vnetID, "Microsoft.Network/virtualNetworks", "in.json:1:61"},
		{"az create envelope", `{"NewNSG": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n", "type": "Microsoft.Network/networkSecurityGroups"}}`,
			"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n", "Microsoft.Network/networkSecurityGroups", "in.json:1:12"},
		{"short ID", `{"id": "resourceGroup/test/providers/Microsoft.Network/publicIPAddresses/pip", "type": "Microsoft.Network/publicIPAddresses"}`,
			"resourceGroup/test/providers/Microsoft.Network/publicIPAddresses/pip", "Microsoft.Network/publicIPAddresses", "in.json:1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse("in.json", strings.NewReader(tc.in))
			require.NoError(t, err)
			require.Len(t, res, 1)
			assert.Equal(t, tc.id, res[0].ID)
			assert.Equal(t, tc.typ, res[0].Type)
			assert.Equal(t, tc.file, res[0].Pos.String())
		})
	}
}

// TestKeepDuplicates: ParseKeepDuplicates and ParseFilesKeepDuplicates keep
// what Parse and ParseFiles reject as duplicates, in input order.
func TestKeepDuplicates(t *testing.T) {
	in := `[{"id": "` + vnetID + `", "type": "Microsoft.Network/virtualNetworks"}, {"id": "` + strings.ToUpper(vnetID) + `", "type": "Microsoft.Network/virtualNetworks"}]`
	_, err := Parse("in.json", strings.NewReader(in))
	require.ErrorIs(t, err, ErrDuplicate)
	res, err := ParseKeepDuplicates("in.json", strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, strings.ToUpper(vnetID), res[1].ID)

	res, err = ParseFilesKeepDuplicates("testdata/arm-array.json", "testdata/graph.json")
	require.NoError(t, err)
	one, err := ParseFiles("testdata/arm-array.json")
	require.NoError(t, err)
	assert.Len(t, res, 2*len(one), "the same network twice")
	assert.Equal(t, "testdata/graph.json", res[len(one)].File)
}

// TestDuplicateKeysInResources: duplicate keys inside a resource are kept and
// listed with their paths and both positions; TrackReads tells the ones a
// reader looks up from the others, without changing the resource.
func TestDuplicateKeysInResources(t *testing.T) {
	in := `[{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n",
 "type": "Microsoft.Network/networkSecurityGroups",
 "tags": {"env": "a", "env": "b"},
 "properties": {"securityRules": [{"name": "r", "properties": {"priority": 100, "Priority": 200}}]}}]`
	res, err := Parse("in.json", strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, res, 1)
	r := res[0]
	require.Len(t, r.Duplicates, 2)
	assert.Equal(t, "tags.env", r.Duplicates[0].Path)
	assert.Equal(t, "in.json:3:18", r.Duplicates[0].First.String())
	assert.Equal(t, "in.json:3:30", r.Duplicates[0].Pos.String())
	assert.Equal(t, "properties.securityRules[0].properties.Priority", r.Duplicates[1].Path)
	assert.Equal(t, "Priority", r.Duplicates[1].Key)

	tracked, log := TrackReads(r)
	assert.False(t, log.Read(r.Duplicates[0]))
	assert.False(t, log.Read(r.Duplicates[1]))
	p, _ := tracked.Body.Prop("securityRules").Index(0).Prop("priority").Int()
	assert.Equal(t, int64(200), p, "the last occurrence")
	assert.True(t, log.Read(r.Duplicates[1]), "read through the copy")
	assert.False(t, log.Read(r.Duplicates[0]), "tags are not read")
	assert.Equal(t, r.Body.Pos(), tracked.Body.Pos(), "positions are the original's")
	assert.Equal(t, toAny(r.Body), toAny(tracked.Body))

	// Reading the original records nothing.
	_, log2 := TrackReads(r)
	r.Body.Get("tags").Get("env")
	assert.False(t, log2.Read(r.Duplicates[0]))
	var nilLog *ReadLog
	assert.False(t, nilLog.Read(r.Duplicates[0]))

	// A resource without duplicates comes back as is.
	clean, err := Parse("in.json", strings.NewReader(`{"id": "`+vnetID+`", "type": "Microsoft.Network/virtualNetworks"}`))
	require.NoError(t, err)
	same, _ := TrackReads(clean[0])
	assert.Same(t, clean[0].Body, same.Body)
}
