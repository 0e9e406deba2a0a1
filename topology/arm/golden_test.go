package arm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The same small network in every wrapper (see testdata/): a VNet with two
// subnets, one with an NSG (two rules) and a route table (two routes), and a
// NIC in that subnet.
var wrappers = []string{
	"arm-array.json",         // ARM REST resources in a bare array
	"arm-value.json",         // a {"value": [...], "nextLink": null} page (REST, az rest)
	"cli.json",               // az CLI: flattened at every level, resourceGroup keys, nulls
	"cli-old.json",           // older az CLI: top level flattened, nested objects still wrapped
	"graph.json",             // az graph query: {"count", "data", "skip_token", "total_records"}, lower-cased types
	"template.json",          // template export with literal values, children inline
	"template-v2.json",       // languageVersion 2.0: resources keyed by symbolic name
	"template-children.json", // children as separate resources (compound names) and nested "resources"
}

// wantSummary is the canonical summary of the network.
var wantSummary = strings.TrimSpace(`
ipconfig /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/networkinterfaces/nic-app/ipconfigurations/ipconfig1 ip=10.0.1.4 subnet=/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/virtualnetworks/vnet1/subnets/app primary=true
resource /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/networkinterfaces/nic-app type=microsoft.network/networkinterfaces name=nic-app loc=westeurope rg=rg-net sub=11111111-2222-3333-4444-555555555555
resource /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/networksecuritygroups/nsg-app type=microsoft.network/networksecuritygroups name=nsg-app loc=westeurope rg=rg-net sub=11111111-2222-3333-4444-555555555555
resource /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/routetables/rt-app type=microsoft.network/routetables name=rt-app loc=westeurope rg=rg-net sub=11111111-2222-3333-4444-555555555555
resource /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/virtualnetworks/vnet1 type=microsoft.network/virtualnetworks name=vnet1 loc=westeurope rg=rg-net sub=11111111-2222-3333-4444-555555555555
route /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/routetables/rt-app/routes/default prefix=0.0.0.0/0 next=VirtualAppliance ip=10.0.0.4
route /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/routetables/rt-app/routes/onprem prefix=192.168.0.0/16 next=VirtualNetworkGateway ip=
rule /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/networksecuritygroups/nsg-app/securityrules/allow-https-out prio=100 dir=Outbound access=Allow proto=Tcp dst=Internet:443
rule /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/networksecuritygroups/nsg-app/securityrules/deny-all-out prio=4096 dir=Outbound access=Deny proto=* dst=*:*
subnet /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/virtualnetworks/vnet1/subnets/app prefix=10.0.1.0/24 nsg=/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/networksecuritygroups/nsg-app rt=/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/routetables/rt-app outbound=
subnet /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/virtualnetworks/vnet1/subnets/data prefix=10.0.2.0/24 nsg= rt= outbound=false
vnet /subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-net/providers/microsoft.network/virtualnetworks/vnet1 space=[10.0.0.0/16]
`)

// summarize extracts the network's logical content, the way a model builder
// would: inline children and separately declared children alike.
func summarize(t *testing.T, res []Resource) string {
	t.Helper()
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	str := func(v *Value) string { s, _ := v.Str(); return s }
	ref := func(v *Value) string { return Key(str(v.Get("id"))) }
	num := func(v *Value) string {
		n, ok := v.Int()
		if !ok {
			return "?"
		}
		return fmt.Sprint(n)
	}
	boolean := func(v *Value) string {
		b, ok := v.Bool()
		if !ok {
			return ""
		}
		return fmt.Sprint(b)
	}
	// childID is the child's own id, or (templates) parent/segment/name.
	childID := func(parent, seg string, c *Value) string {
		if id, ok := c.Get("id").Str(); ok {
			return Key(id)
		}
		return Key(parent + "/" + seg + "/" + str(c.Get("name")))
	}
	subnet := func(id string, s *Value) {
		add("subnet %s prefix=%s nsg=%s rt=%s outbound=%s", id, str(s.Prop("addressPrefix")),
			ref(s.Prop("networkSecurityGroup")), ref(s.Prop("routeTable")), boolean(s.Prop("defaultOutboundAccess")))
	}
	rule := func(id string, r *Value) {
		add("rule %s prio=%s dir=%s access=%s proto=%s dst=%s:%s", id, num(r.Prop("priority")), str(r.Prop("direction")),
			str(r.Prop("access")), str(r.Prop("protocol")), str(r.Prop("destinationAddressPrefix")), str(r.Prop("destinationPortRange")))
	}
	route := func(id string, r *Value) {
		add("route %s prefix=%s next=%s ip=%s", id, str(r.Prop("addressPrefix")), str(r.Prop("nextHopType")), str(r.Prop("nextHopIpAddress")))
	}
	for _, r := range res {
		id := Key(r.ID)
		if strings.Count(r.Type, "/") == 1 {
			add("resource %s type=%s name=%s loc=%s rg=%s sub=%s", id, strings.ToLower(r.Type), r.Name, r.Location, strings.ToLower(r.ResourceGroup), r.SubscriptionID)
		}
		switch {
		case TypeIs(r, "Microsoft.Network/virtualNetworks"):
			var space []string
			for _, p := range r.Body.Prop("addressSpace").Prop("addressPrefixes").Elems() {
				space = append(space, str(p))
			}
			add("vnet %s space=%v", id, space)
			for _, s := range r.Body.Prop("subnets").Elems() {
				subnet(childID(r.ID, "subnets", s), s)
			}
		case TypeIs(r, "Microsoft.Network/virtualNetworks/subnets"):
			subnet(id, r.Body)
		case TypeIs(r, "Microsoft.Network/networkSecurityGroups"):
			for _, s := range r.Body.Prop("securityRules").Elems() {
				rule(childID(r.ID, "securityRules", s), s)
			}
		case TypeIs(r, "Microsoft.Network/networkSecurityGroups/securityRules"):
			rule(id, r.Body)
		case TypeIs(r, "Microsoft.Network/routeTables"):
			for _, s := range r.Body.Prop("routes").Elems() {
				route(childID(r.ID, "routes", s), s)
			}
		case TypeIs(r, "Microsoft.Network/routeTables/routes"):
			route(id, r.Body)
		case TypeIs(r, "Microsoft.Network/networkInterfaces"):
			for _, c := range r.Body.Prop("ipConfigurations").Elems() {
				add("ipconfig %s ip=%s subnet=%s primary=%s", childID(r.ID, "ipConfigurations", c),
					str(c.Prop("privateIPAddress")), ref(c.Prop("subnet")), boolean(c.Prop("primary")))
			}
		default:
			t.Errorf("%s: unexpected resource type %q", r.Pos, r.Type)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func TestGoldenWrappers(t *testing.T) {
	for _, name := range wrappers {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			res, err := ParseFiles(path)
			require.NoError(t, err)
			assert.Equal(t, wantSummary, summarize(t, res), "summary of %s", name)
			for _, r := range res {
				assert.Equal(t, path, r.File)
				assert.Equal(t, path, r.Pos.File)
				assert.NotEmpty(t, r.Type)
				assert.Equal(t, r.Body.Pos(), r.Pos)
			}
		})
	}
}

// TestGoldenPositions checks resource positions in the two main shapes.
func TestGoldenPositions(t *testing.T) {
	res, err := ParseFiles("testdata/arm-array.json", "testdata/graph.json")
	// The same resources in two files are duplicates.
	require.ErrorIs(t, err, ErrDuplicate)
	assert.Nil(t, res)
	assert.Contains(t, err.Error(), "testdata/graph.json:4:5: /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1: duplicate resource: the same ID (compared case-insensitively) is first defined at testdata/arm-array.json:2:3")

	res, err = ParseFiles("testdata/arm-array.json")
	require.NoError(t, err)
	got := make([]string, len(res))
	for i, r := range res {
		got[i] = r.Pos.String() + " " + r.Name
	}
	assert.Equal(t, []string{
		"testdata/arm-array.json:2:3 vnet1",
		"testdata/arm-array.json:63:3 nsg-app",
		"testdata/arm-array.json:143:3 rt-app",
		"testdata/arm-array.json:187:3 nic-app",
	}, got)
	// A property's position.
	p := res[0].Body.Prop("addressSpace").Prop("addressPrefixes").Index(0)
	assert.Equal(t, "testdata/arm-array.json:16:11", p.Pos().String())
}

func TestGoldenTemplateIDs(t *testing.T) {
	// The template's literal references name its own resources in rg-net,
	// so that is its scope; template-v2's existing resource is skipped.
	res, err := ParseFiles("testdata/template-v2.json")
	require.NoError(t, err)
	require.Len(t, res, 4)
	assert.Equal(t, "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1", res[0].ID)

	// "[[" is an escaped literal: kept, unescaped.
	res, err = ParseFiles("testdata/template.json")
	require.NoError(t, err)
	note, _ := res[0].Body.Get("tags").Get("note").Str()
	assert.Equal(t, "[escaped literal, not an expression]", note)

	res, err = ParseFiles("testdata/template-children.json")
	require.NoError(t, err)
	var got []string
	for _, r := range res {
		got = append(got, r.Type+" "+r.Name)
	}
	assert.Equal(t, []string{
		"Microsoft.Network/virtualNetworks vnet1",
		"Microsoft.Network/networkSecurityGroups nsg-app",
		"Microsoft.Network/routeTables rt-app",
		"Microsoft.Network/routeTables/routes default",
		"Microsoft.Network/routeTables/routes onprem",
		"Microsoft.Network/virtualNetworks/subnets app",
		"Microsoft.Network/virtualNetworks/subnets data",
		"Microsoft.Network/networkSecurityGroups/securityRules allow-https-out",
		"Microsoft.Network/networkSecurityGroups/securityRules deny-all-out",
		"Microsoft.Network/networkInterfaces nic-app",
	}, got)
}

func TestTemplatePlaceholderScope(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no references", `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": [
			{"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {}}]}`,
			"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/v"},
		{"references to two scopes", `{"contentVersion": "1.0.0.0", "resources": [
			{"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {}},
			{"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {"subnets": [
				{"name": "a", "properties": {"routeTable": {"id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/routeTables/rt"}}},
				{"name": "b", "properties": {"routeTable": {"id": "/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Network/routeTables/rt"}}}]}}]}`,
			"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/routeTables/rt"},
		{"reference to a child of a declared resource", `{"contentVersion": "1.0.0.0", "resources": [
			{"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {}},
			{"type": "Microsoft.Network/networkInterfaces", "name": "n", "properties": {"ipConfigurations": [
				{"name": "c", "properties": {"subnet": {"id": "/subscriptions/s1/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworks/v/subnets/a"}}}]}}]}`,
			"/subscriptions/s1/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworks/v"},
		{"reference to a foreign resource only", `{"contentVersion": "1.0.0.0", "resources": [
			{"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {"subnets": [
				{"name": "a", "properties": {"routeTable": {"id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/routeTables/other"}}}]}}]}`,
			"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse("t.json", strings.NewReader(tc.in))
			require.NoError(t, err)
			require.NotEmpty(t, res)
			assert.Equal(t, tc.want, res[0].ID)
			id := MustParseID(res[0].ID)
			assert.Equal(t, id.SubscriptionID(), res[0].SubscriptionID)
			assert.Equal(t, id.ResourceGroup(), res[0].ResourceGroup)
		})
	}
}

func TestOtherWrappers(t *testing.T) {
	vnet := `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "type": "Microsoft.Network/virtualNetworks", "name": "v", "location": "westus", "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}`
	for _, tc := range []struct{ name, in string }{
		{"single resource", vnet},
		{"az create output", `{"newVNet": ` + vnet + `}`},
		{"array of pages", `[{"value": [` + vnet + `]}, {"value": null, "nextLink": null}]`},
		{"resource graph REST", `{"totalRecords": 1, "count": 1, "data": [` + vnet + `], "facets": [], "resultTruncated": "false"}`},
		{"resource graph table", `{"totalRecords": 1, "count": 1, "data": {"columns": [{"name": "id", "type": "string"}, {"name": "type", "type": "string"}, {"name": "properties", "type": "object"}],
			"rows": [["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "microsoft.network/virtualnetworks", {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]}}]]}}`},
		{"PowerShell PascalCase", `{"Id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v", "Type": "Microsoft.Network/virtualNetworks", "Name": "v", "AddressSpace": {"AddressPrefixes": ["10.1.0.0/16"]}}`},
		{"BOM", "\ufeff" + vnet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse("in.json", strings.NewReader(tc.in))
			require.NoError(t, err)
			require.Len(t, res, 1)
			r := res[0]
			assert.True(t, EqualIDs(r.ID, "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v"))
			assert.True(t, TypeIs(r, "Microsoft.Network/virtualNetworks"))
			assert.Equal(t, "v", r.Name)
			assert.Equal(t, "rg", r.ResourceGroup)
			assert.Equal(t, "s", r.SubscriptionID)
			p, _ := r.Body.Prop("addressSpace").Prop("addressPrefixes").Index(0).Str()
			assert.Equal(t, "10.1.0.0/16", p)
		})
	}
	empty, err := Parse("in.json", strings.NewReader(`{"value": []}`))
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestParseFilesMissing(t *testing.T) {
	_, err := ParseFiles("testdata/arm-array.json", filepath.Join(t.TempDir(), "nope.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "nope.json: open ")
}
