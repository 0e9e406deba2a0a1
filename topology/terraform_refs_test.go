package topology_test

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nva-plan.json: a plan that adds two spokes (a module with for_each, its
// subnets a for_each, their route table associations a for_each over the
// subnets with each.value.id) whose default route goes to a new NVA NIC
// (count = 2) with a dynamic address, passed in as a module input; a hub
// route table whose next hop and association go through local values; NIC
// NSG associations indexed by count.index; a subnet whose route table is a
// keyed module output and whose NSG is a conditional between two NSGs.
const tfNVAPlan = "testdata/terraform/nva-plan.json"

// tfWarning returns the warning of m for resource and field, failing when
// there is none.
func tfWarning(t *testing.T, ws []*topology.Error, resource, field string) *topology.Error {
	t.Helper()
	for _, w := range ws {
		if w.Resource == resource && w.Field == field {
			return w
		}
	}
	t.Fatalf("no warning for %s %s in %v", resource, field, ws)
	return nil
}

// A next hop IP known after apply is not a value Azure would reject: Load
// keeps the network and rejects no route table, the loader's warning names
// the route's prefix and the subnets, and only the flows that route takes
// are Unknown (ReasonNextHopUnknown, the note naming the route), not every
// flow of the subnets: a flow within the VNet is answered.
func TestTerraformNextHopKnownAfterApply(t *testing.T) {
	n, err := topology.Load(topology.LoadOptions{Files: []string{tfNVAPlan}, Tags: defaultTags(t)})
	require.NoError(t, err)
	assert.Empty(t, n.Validation().Rejected)
	m := n.Model()
	w := tfWarning(t, m.Warnings(), `module.spoke["a"].azurerm_route_table.spoke`, "route[0].next_hop_in_ip_address")
	assert.ErrorIs(t, w, topology.ErrKnownAfterApply)
	assert.Contains(t, w.Error(), "it comes from azurerm_network_interface.nva[0]")
	assert.Contains(t, w.Error(), "the flows it routes (0.0.0.0/0 of route table rt-spoke-a) from subnets vnet-spoke-a/snet-app, vnet-spoke-a/snet-data are Unknown")
	w = tfWarning(t, m.Warnings(), "azurerm_route_table.hub", "route[0].next_hop_in_ip_address")
	assert.Contains(t, w.Error(), "local.nva_ip")
	for _, rt := range m.RouteTables {
		for _, r := range rt.Routes {
			assert.True(t, topology.NextHopKnownAfterApply(r), "%s %s", rt.Name, r.Name)
		}
	}

	e := simulate.Compile(n, simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "nic-vm-a", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonNextHopUnknown, r.ReasonCode, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "route default-via-nva (0.0.0.0/0) of route table rt-spoke-a: its next hop IP address is known only after apply")
	assert.NotContains(t, strings.Join(r.Assumptions, "\n"), "Azure would reject")
	h, err := e.NIC("nic-vm-a")
	require.NoError(t, err)
	assert.Equal(t, "(known after apply)", e.NextHop(h, netip.MustParseAddr("52.1.2.3")).NextHopIPAddress)

	// Within the VNet the table's default route does not decide: answered.
	r, err = e.Trace(simulate.Flow{From: "nic-vm-a", To: netip.MustParseAddr("10.1.2.5"), Port: 443})
	require.NoError(t, err)
	assert.NotEqual(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonNoSuchAddress, r.ReasonCode, "%s", r)

	// With RefuseRejected (egress validate) the plan loads: nothing to refuse.
	_, err = topology.Load(topology.LoadOptions{Files: []string{tfNVAPlan}, Tags: defaultTags(t), RefuseRejected: true})
	require.NoError(t, err)
}

// A VirtualAppliance route whose next hop is known to be null is a route
// Azure would reject: still a problem, not a plan unknown.
func TestTerraformNextHopMissingIsRejected(t *testing.T) {
	rt := tfResource("azurerm_route_table", "r", map[string]any{"id": tfSub + "routeTables/r", "name": "r", "resource_group_name": "rg-net",
		"route": []any{map[string]any{"name": "d", "address_prefix": "0.0.0.0/0", "next_hop_type": "VirtualAppliance", "next_hop_in_ip_address": nil}}})
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "p.json", Data: tfDoc(t, []map[string]any{rt}, nil, nil)}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	require.Len(t, n.Validation().Rejected, 1)
	e := n.Validation().Rejected[0]
	assert.False(t, topology.IsKnownAfterApply(e), "%v", e)
	assert.Contains(t, e.Error(), "needs the appliance's IP address")
	for _, w := range n.Model().Warnings() {
		assert.NotErrorIs(t, w, topology.ErrKnownAfterApply)
	}
}

// The links of nva-plan.json, resolved or warned about by the rules of
// terraformrefs.go.
func TestTerraformReferencesThroughModulesAndInstances(t *testing.T) {
	m := parseTFLoaded(t, tfNVAPlan)
	rtID := func(name string) topology.Ref {
		return topology.Ref(tfSub + "routeTables/" + name)
	}
	subnet := func(vnet, name string) *topology.Subnet {
		t.Helper()
		s, ok := m.Subnet(topology.Ref(tfSub + "virtualNetworks/" + vnet + "/subnets/" + name))
		require.True(t, ok, "subnet %s/%s", vnet, name)
		return s
	}
	// each.value.id of a for_each over azurerm_subnet.workload, in each
	// module instance: that instance's subnets and route table.
	for _, k := range []string{"a", "b"} {
		for _, sn := range []string{"snet-app", "snet-data"} {
			assert.Equal(t, rtID("rt-spoke-"+k), subnet("vnet-spoke-"+k, sn).RouteTable, "%s %s", k, sn)
		}
		// azurerm_subnet.workload["app"].id inside the module instance.
		assert.Equal(t, topology.Ref(tfSub+"virtualNetworks/vnet-spoke-"+k+"/subnets/snet-app"), tfNIC(t, m, "nic-vm-"+k).Primary().Subnet)
	}
	// A keyed module output: module.spoke["b"].route_table_id.
	assert.Equal(t, rtID("rt-spoke-b"), subnet("vnet-hub", "snet-shared").RouteTable)

	ws := m.Warnings()
	// A local value: its expression is not in the JSON.
	w := tfWarning(t, ws, "azurerm_subnet_route_table_association.nva", "route_table_id")
	assert.Contains(t, w.Error(), "local.hub_route_table_id, a local value, whose expression `terraform show -json` does not include")
	assert.Contains(t, w.Error(), "answers that depend on it are Unknown")
	rt := subnet("vnet-hub", "snet-nva").RouteTable
	_, inInput := m.RouteTable(rt)
	assert.False(t, inInput, "an unresolved route table is one outside the input: %s", rt)
	assert.Contains(t, string(rt), "known after apply")

	// A conditional between two NSGs: ambiguous.
	w = tfWarning(t, ws, "azurerm_subnet_network_security_group_association.shared", "network_security_group_id")
	assert.Contains(t, w.Error(), "azurerm_network_security_group.nva, azurerm_network_security_group.other")

	// azurerm_network_interface.nva[count.index]: the index is not in the
	// JSON, so the association is left out, and the warning says the NIC's
	// answers may be wrong.
	for _, i := range []string{"0", "1"} {
		w = tfWarning(t, ws, "azurerm_network_interface_security_group_association.nva["+i+"]", "network_interface_id")
		assert.Contains(t, w.Error(), "azurerm_network_interface.nva, which has 2 instances, through an index computed from count.index")
		assert.Contains(t, w.Error(), "may be wrong rather than Unknown")
	}
	for _, n := range m.NICs {
		if strings.HasPrefix(n.Name, "nic-nva-") {
			assert.True(t, n.NSG.IsZero(), "%s", n.Name)
		}
	}
	for _, w := range ws {
		assert.Positive(t, w.Pos.Line, "%v", w)
	}
}

// parseTFLoaded parses a file as Load does (complete included), without
// validating it.
func parseTFLoaded(t *testing.T, file string) *topology.Model {
	t.Helper()
	m, err := topology.ParseFiles(topology.LoadOptions{}, file)
	require.NoError(t, err)
	return m
}

// A state and a plan of one configuration loaded together are refused,
// naming both files and the diff that compares them; two plans or states
// of it too; a state and a plan of separate configurations mix.
func TestTerraformStateAndPlanTogetherRefused(t *testing.T) {
	_, err := topology.ParseFiles(topology.LoadOptions{}, tfState, tfPlan)
	require.Error(t, err)
	assert.ErrorIs(t, err, topology.ErrDuplicate)
	var e *topology.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, tfPlan, e.Pos.File)
	assert.Equal(t, "azurerm_resource_group.net", e.Resource)
	assert.Contains(t, err.Error(), tfState+" and "+tfPlan+" are a Terraform state and a plan of one configuration")
	assert.Contains(t, err.Error(), "egress diff --base "+tfState+" --with "+tfPlan)

	// The other order names the state as the base all the same.
	_, err = topology.ParseFiles(topology.LoadOptions{}, tfPlan, tfState)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "egress diff --base "+tfState+" --with "+tfPlan)

	data, err := os.ReadFile(tfPlan)
	require.NoError(t, err)
	_, err = topology.Load(topology.LoadOptions{Files: []string{tfPlan}, Inputs: []topology.Input{{Name: "copy.json", Data: data}}, Tags: defaultTags(t)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "are two Terraform plans of one configuration")

	// Separate configurations: the hub's state and a spoke's plan that
	// holds none of its resources (its own resource group, a new NAT
	// gateway).
	rg := tfResource("azurerm_resource_group", "net", map[string]any{"id": "/subscriptions/3f2b9c1e-8a4d-4c7e-9b1a-5d6e7f8a9b0c/resourceGroups/rg-spoke2", "name": "rg-spoke2"})
	nat := tfResource("azurerm_nat_gateway", "n", map[string]any{"name": "nat-spoke2", "resource_group_name": "rg-spoke2", "sku_name": "Standard"})
	spoke := tfDoc(t, []map[string]any{rg, nat}, map[string]any{"azurerm_nat_gateway.n": map[string]any{"id": true}}, nil)
	m, err := topology.Load(topology.LoadOptions{Files: []string{tfState}, Inputs: []topology.Input{{Name: "spoke2.json", Data: spoke}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	assert.Len(t, m.Model().NATGateways, 2)
	// An ARM export of the state's hub is not a Terraform input.
	_, err = topology.ParseFiles(topology.LoadOptions{}, tfState, "testdata/terraform/hub-arm.json")
	require.NoError(t, err)
}
