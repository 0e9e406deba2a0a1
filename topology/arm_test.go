package topology_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// summary renders the parts of a model the engines use, in a canonical
// order, so that loaders can be compared.
func summary(m *topology.Model) string {
	var blocks []string
	var cur []string
	add := func(format string, args ...any) { cur = append(cur, fmt.Sprintf(format, args...)) }
	flush := func() {
		if len(cur) > 1 {
			slices.Sort(cur[1:]) // children in canonical order, under their parent
		}
		blocks = append(blocks, strings.Join(cur, "\n"))
		cur = nil
	}
	for _, v := range m.VNets {
		add("vnet %s %v", v.ID.Key(), v.AddressSpace)
		for _, s := range v.Subnets {
			add("  subnet %s %v rt=%s nsg=%s nat=%s", s.ID.Key(), s.Prefixes, s.RouteTable.Key(), s.NSG.Key(), s.NATGateway.Key())
		}
		for _, p := range v.Peerings {
			add("  peering %s -> %s fwd=%v", p.ID.Key(), p.Remote.Key(), p.AllowForwardedTraffic)
		}
		flush()
	}
	for _, g := range m.NSGs {
		add("nsg %s", g.ID.Key())
		for _, r := range g.Rules {
			add("  rule %s %d %v %v %v %s:%s", r.Name, r.Priority, r.Direction, r.Access, r.Protocol, r.DestinationAddressPrefix, r.DestinationPortRange)
		}
		flush()
	}
	for _, rt := range m.RouteTables {
		add("routeTable %s bgp-off=%v", rt.ID.Key(), rt.DisableBGPRoutePropagation)
		for _, r := range rt.Routes {
			add("  route %s %s %s %s", r.Name, r.AddressPrefix, r.NextHopType, r.NextHopIPAddress)
		}
		flush()
	}
	for _, n := range m.NICs {
		add("nic %s", n.ID.Key())
		for _, c := range n.IPConfigs {
			add("  ipconfig %v %s primary=%v", c.PrivateIP, c.Subnet.Key(), c.Primary)
		}
		flush()
	}
	slices.Sort(blocks)
	return strings.Join(blocks, "\n")
}

// TestARMWrappersLoadTheSameModel loads the same small network in every
// wrapper users have (REST array, {"value"} page, az CLI flattened, older
// az CLI, Resource Graph, template exports) and checks they give one model.
func TestARMWrappersLoadTheSameModel(t *testing.T) {
	files, err := filepath.Glob("arm/testdata/*.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 8)
	// The same network written in the native format.
	files = append(files, "testdata/armfixture.yaml")
	var want string
	for _, f := range files {
		m, err := topology.LoadFiles(defaultTags(t), f)
		require.NoError(t, err, f)
		got := summary(m)
		if want == "" {
			want = got
			require.Contains(t, want, "rule", "the fixture has NSG rules")
			require.Contains(t, want, "route ", "the fixture has routes")
			continue
		}
		assert.Equal(t, want, got, "%s loads to a different model", f)
	}
}

func TestARMErrorsArePositioned(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "export.json")
	require.NoError(t, os.WriteFile(bad, []byte(`[
  {"id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
   "name": "v", "type": "Microsoft.Network/virtualNetworks", "location": "eastus",
   "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/33"]},
     "subnets": [{"name": "s", "properties": {"addressPrefix": "10.9.0.0/24", "routeTable": {"id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/routeTables/nope"}}}]}}
]`), 0o644))
	_, err := topology.LoadFiles(nil, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "export.json:4:")
	assert.Contains(t, err.Error(), `addressSpace.addressPrefixes "10.0.0.0/33": invalid value: not a CIDR prefix`)
}

func TestLoadFilesMergesFormats(t *testing.T) {
	// An ARM export and a native design of other resources load together; the
	// native design's references by full ID reach the export's resources.
	dir := t.TempDir()
	native := filepath.Join(dir, "extra.yaml")
	require.NoError(t, os.WriteFile(native, []byte(`egress: v1
subscription: 11111111-2222-3333-4444-555555555555
resourceGroup: rg-net
nics:
  - {name: extra-nic, subnet: vnet1/app, ip: 10.0.1.99}
`), 0o644))
	m, err := topology.LoadFiles(defaultTags(t), "arm/testdata/arm-array.json", native)
	require.NoError(t, err)
	n, err := m.FindNIC("extra-nic")
	require.NoError(t, err)
	s, ok := m.Subnet(n.Primary().Subnet)
	require.True(t, ok, "the native NIC's subnet is the export's")
	assert.Equal(t, "app", s.Name)

	// The same network in two wrappers is one network.
	one, err := topology.LoadFiles(defaultTags(t), "arm/testdata/arm-array.json")
	require.NoError(t, err)
	two, err := topology.LoadFiles(defaultTags(t), "arm/testdata/arm-array.json", "arm/testdata/arm-value.json", "arm/testdata/cli.json")
	require.NoError(t, err, "the same resources in three files merge")
	assert.Equal(t, summary(one), summary(two))
	assert.Len(t, two.VNets, 1)
	assert.Equal(t, "arm/testdata/arm-array.json", two.VNets[0].Pos.File, "the first declaration is kept")
}

func FuzzParseARM(f *testing.F) {
	files, _ := filepath.Glob("arm/testdata/*.json")
	classic, _ := filepath.Glob("testdata/classic/*.json")
	paas, _ := filepath.Glob("testdata/paas/*.json")
	for _, file := range append(append(files, classic...), paas...) {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`[{"id":"/subscriptions/1/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v","type":"Microsoft.Network/virtualNetworks","properties":{"subnets":[null,{}]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := topology.ParseARM("fuzz.json", data)
		if err != nil {
			return
		}
		_ = m.Validate(nil) // must not panic
	})
}

func TestLoadFilesRejectsNonText(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{"empty.json": {}, "binary.bin": {0x00, 0x01, 0x02}} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		_, err := topology.LoadFiles(nil, p)
		assert.ErrorContains(t, err, name+": syntax error: neither JSON nor YAML text")
	}
}

// TestARMNICVirtualMachine: a NIC's properties.virtualMachine reaches the
// model (it groups a VM's NICs for default outbound access).
func TestARMNICVirtualMachine(t *testing.T) {
	m, err := topology.ParseARM("export.json", []byte(`[
  {"id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic1", "name": "nic1",
   "type": "Microsoft.Network/networkInterfaces", "location": "eastus",
   "properties": {"virtualMachine": {"id": "/subscriptions/1/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm1"},
     "ipConfigurations": [{"name": "ipconfig1", "properties": {"privateIPAddress": "10.0.1.4", "primary": true}}]}}
]`))
	require.NoError(t, err)
	n, err := m.FindNIC("nic1")
	require.NoError(t, err)
	assert.Equal(t, "/subscriptions/1/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1", n.VirtualMachine.Key())
}
