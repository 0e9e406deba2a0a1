package topology_test

import (
	"flag"
	"os"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaultTags(t testing.TB) *servicetag.Set {
	t.Helper()
	tags, err := servicetag.Default()
	require.NoError(t, err)
	return tags
}

func TestLoadDefaultDesign(t *testing.T) {
	m, err := topology.LoadNative(designs.HubSpokeFile, designs.HubSpoke, defaultTags(t))
	require.NoError(t, err)
	require.Len(t, m.VNets, 4)
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestAnnotatedExample keeps the annotated format example loadable and
// checks that its fields arrive in the model.
func TestAnnotatedExample(t *testing.T) {
	data, err := os.ReadFile("testdata/annotated.yaml")
	require.NoError(t, err)
	m, err := topology.LoadNative("annotated.yaml", data, defaultTags(t))
	require.NoError(t, err)
	hub, ok := m.VNet("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/VNET-HUB")
	require.True(t, ok, "IDs are case-insensitive")
	assert.Equal(t, "eastus", hub.Location)
	assert.Len(t, hub.Subnets, 3)
	shared := hub.Subnets[2]
	require.NotNil(t, shared.DefaultOutboundAccess)
	assert.False(t, *shared.DefaultOutboundAccess)
	assert.True(t, shared.PrivateEndpointPolicies.RouteTables())
	nva, err := m.FindNIC("nva-nic")
	require.NoError(t, err)
	assert.True(t, nva.EnableIPForwarding)
	assert.Equal(t, "10.0.2.10", nva.Primary().PrivateIP.String())
	gr := m.Graph()
	spoke, _ := m.VNet(Ref(t, m, "vnet-spoke"))
	transit, ok := gr.TransitGateway(spoke)
	require.True(t, ok)
	assert.Equal(t, "vnet-hub", transit.Name)
	cfg := m.RouteConfig(spoke.Subnets[0], gr, defaultTags(t))
	assert.Len(t, cfg.Peerings, 1)
	assert.True(t, cfg.Peerings[0].Global, "eastus2 to eastus is a global peering")
	assert.NotEmpty(t, cfg.GatewayRoutes, "gateway transit brings the hub's routes")
	require.Len(t, m.Injected, 2)
	aci, pg := m.Injected[0], m.Injected[1]
	assert.Equal(t, topology.InjectedContainerGroup, aci.Kind)
	assert.Equal(t, "10.1.10.4", aci.IP.String())
	assert.Equal(t, "snet-aci", aci.Subnets[0].Name())
	assert.Equal(t, topology.InjectedPostgreSQL, pg.Kind)
	assert.Equal(t, "pg-orders.postgres.database.azure.com", pg.FQDN)
}

// Ref finds a resource ID by name (test helper).
func Ref(t *testing.T, m *topology.Model, vnet string) topology.Ref {
	for _, v := range m.VNets {
		if v.Name == vnet {
			return v.ID
		}
	}
	t.Fatalf("no vnet %q", vnet)
	return ""
}

// TestServiceEndpointTagsAreVSE: every tag a service endpoint routes is one
// the service-tags file marks usable by service endpoints ("VSE").
func TestServiceEndpointTagsAreVSE(t *testing.T) {
	tags := defaultTags(t)
	for _, svc := range []string{"Microsoft.Storage", "Microsoft.Storage.Global", "Microsoft.Sql", "Microsoft.AzureCosmosDB", "Microsoft.KeyVault",
		"Microsoft.ServiceBus", "Microsoft.EventHub", "Microsoft.Web", "Microsoft.ContainerRegistry", "Microsoft.AzureActiveDirectory"} {
		name, ok := topology.ServiceEndpointTag(svc, "", tags)
		require.True(t, ok, svc)
		tag, ok := tags.Tag(name)
		require.True(t, ok, name)
		assert.True(t, tag.Features().Has(servicetag.VSE), "%s -> %s is not marked VSE", svc, name)
	}
	_, ok := topology.ServiceEndpointTag("Microsoft.CognitiveServices", "", tags)
	assert.False(t, ok, "no VSE tag for it in the file")
}
