package topology_test

import (
	"errors"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/topology"
	"github.com/egresslab/egress/topology/arm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusFiles lists one directory of testdata/corpus (see its README.md).
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata/corpus", dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	return paths
}

func loadCorpus(t *testing.T, dir string) *topology.Model {
	t.Helper()
	m, err := topology.LoadFiles(defaultTags(t), corpusFiles(t, dir)...)
	require.NoError(t, err)
	return m
}

// TestCorpusAzCLI: az CLI outputs, one command per file, in the CLI's
// flattened shape with its envelopes ({"newVNet"}, {"NewNSG"},
// {"publicIp"}, {"NewNIC"}): one VNet with the subnet created with it and
// the one shown by az network vnet subnet show, the NSG with the rule of az
// network nsg rule create, the NAT gateway with its public IP.
func TestCorpusAzCLI(t *testing.T) {
	m := loadCorpus(t, "azcli")
	require.Len(t, m.VNets, 1)
	v := m.VNets[0]
	require.Len(t, v.Subnets, 2)
	assert.Equal(t, "snet-web", v.Subnets[0].Name)
	app := v.Subnets[1]
	assert.Equal(t, "snet-app", app.Name)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.20.2.0/24")}, app.Prefixes)
	assert.Equal(t, "nsg-app", app.NSG.Name())
	assert.Equal(t, "nat-app", app.NATGateway.Name())
	assert.Equal(t, filepath.Join("testdata/corpus/azcli", "06-subnet-show.json"), app.Pos.File)

	require.Len(t, m.NSGs, 1)
	g := m.NSGs[0]
	require.Len(t, g.Rules, 1, "the rule of its own file; default rules are Azure's, not the input's")
	r := g.Rules[0]
	assert.Equal(t, "deny-smtp-out", r.Name)
	assert.Equal(t, 200, r.Priority)
	assert.Equal(t, nsg.Outbound, r.Direction)
	assert.Equal(t, nsg.Deny, r.Access)
	assert.Equal(t, "Internet", r.DestinationAddressPrefix)
	assert.Equal(t, "25", r.DestinationPortRange)
	assert.Equal(t, filepath.Join("testdata/corpus/azcli", "03-nsg-rule-create.json")+":1:1", g.RulePos[0].String())

	require.Len(t, m.NATGateways, 1)
	pip, ok := m.PublicIP(m.NATGateways[0].PublicIPs[0])
	require.True(t, ok)
	assert.Equal(t, netip.MustParseAddr("20.50.10.7"), pip.Address)
	n, err := m.FindNIC("nic-app")
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("10.20.2.4"), n.Primary().PrivateIP)
	assert.Equal(t, app.ID.Key(), n.Primary().Subnet.Key())
	assert.Nil(t, m.Warnings())
}

// TestCorpusREST: REST API example envelopes (the shape of
// Azure/azure-rest-api-specs specification/network/resource-manager/Microsoft.Network/stable/2025-03-01/examples):
// the subnet is declared inline in VirtualNetworkGet and again, without
// "type", in SubnetGet, and merges; NatGatewayGet lists the subnet, which
// does not name it back, and the subnet gets it.
func TestCorpusREST(t *testing.T) {
	m := loadCorpus(t, "rest")
	require.Len(t, m.VNets, 1)
	require.Len(t, m.VNets[0].Subnets, 1)
	s := m.VNets[0].Subnets[0]
	assert.Equal(t, "subnet1", s.Name)
	assert.Equal(t, "test-natGateway", s.NATGateway.Name(), "from NatGatewayGet's subnets")
	ng, ok := m.NATGateway(s.NATGateway)
	require.True(t, ok)
	require.Len(t, ng.PublicIPs, 1)
	pip, ok := m.PublicIP(ng.PublicIPs[0])
	require.True(t, ok)
	assert.Equal(t, netip.MustParseAddr("40.85.154.247"), pip.Address)
	n, err := m.FindNIC("test-nic")
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("10.0.0.4"), n.Primary().PrivateIP)
	assert.Nil(t, m.Warnings())

	// Each file alone parses as its 200 body.
	for _, f := range corpusFiles(t, "rest") {
		rs, err := arm.ParseFiles(f)
		require.NoError(t, err, f)
		require.Len(t, rs, 1, f)
	}
}

// TestCorpusResourceGraph: az graph query output of a hub and spoke, types
// in lower case: the peerings connect, the spoke's route table sends 0/0 to
// the firewall, whose private IP the export gives.
func TestCorpusResourceGraph(t *testing.T) {
	m := loadCorpus(t, "graph")
	require.Len(t, m.VNets, 2)
	gr := m.Graph()
	hub, ok := m.VNet(m.VNets[1].Peerings[0].Remote)
	require.True(t, ok)
	assert.Equal(t, []*topology.VNet{hub}, gr.Peers(m.VNets[1]))
	spoke := m.VNets[1].Subnets[0]
	rt, ok := m.RouteTable(spoke.RouteTable)
	require.True(t, ok)
	assert.Equal(t, "10.0.1.4", rt.Routes[0].NextHopIPAddress)
	require.Len(t, m.Firewalls, 1)
	f := m.Firewalls[0]
	assert.Equal(t, netip.MustParseAddr("10.0.1.4"), f.PrivateIP)
	assert.Empty(t, f.PrivateIPAssumed)
	assert.Equal(t, hub.ID, f.VNet)
	require.Len(t, f.NetworkRuleCollections, 1)
	assert.Equal(t, []string{"443"}, f.NetworkRuleCollections[0].Rules[0].DestinationPorts)
	assert.Nil(t, m.Warnings())
}

// TestCorpusSnapshot: a peer verifier's test snapshot (Batfish's Azure
// tests: one resource per file, IDs without the subscription in two
// spellings, a subnet naming its NAT gateway as a plain string): it loads,
// the short IDs match as strings, each with a warning, and the VM, which
// egress does not model, is counted.
func TestCorpusSnapshot(t *testing.T) {
	m := loadCorpus(t, "snapshot")
	v := m.VNets[0]
	require.Len(t, v.Subnets, 2)
	ng, ok := m.NATGateway(v.Subnets[0].NATGateway)
	require.True(t, ok, "resourceGroup/... in the subnet matches the NAT gateway's resourceGroup/... ID")
	assert.Equal(t, "nat-gateway-subnet1", ng.Name)
	n, err := m.FindNIC("vm2-nic")
	require.NoError(t, err)
	_, ok = m.PublicIP(n.Primary().PublicIP)
	assert.True(t, ok)
	assert.Equal(t, map[string]int{"microsoft.compute/virtualmachines": 1}, m.Skipped)
	ws := m.Warnings()
	assert.Len(t, ws, 7, "one per resource")
	for _, w := range ws {
		assert.True(t, errors.Is(w, topology.ErrShortID), w.Error())
	}
}

// TestCorpusSnapshotRejectedRule: the peer verifier's NSG test snapshot holds
// a security rule Azure would reject (priority 5; the REST reference allows
// 100 to 4096). It loads into the model, rule and all, and Validate reports
// it at its position.
func TestCorpusSnapshotRejectedRule(t *testing.T) {
	paths := corpusFiles(t, "snapshot-nsg")
	rs, err := arm.ParseFilesKeepDuplicates(paths...)
	require.NoError(t, err)
	m, err := topology.FromARM(rs)
	require.NoError(t, err)
	require.Len(t, m.NSGs, 1)
	require.Len(t, m.NSGs[0].Rules, 1, "not dropped")
	assert.Equal(t, 5, m.NSGs[0].Rules[0].Priority)
	assert.Equal(t, "NSG-SUBNET2", m.VNets[0].Subnets[0].NSG.Name())
	err = m.Validate(defaultTags(t))
	require.Error(t, err)
	assert.ErrorContains(t, err, `snapshot-nsg/nsg-subnet2.json:11:7: resourceGroups/test/providers/Microsoft.Network/networkSecurityGroups/NSG-SUBNET2: rule "DenySSHFromVm3ToVm2" (#0): priority "5": invalid priority: want 100..4096`)
	_, err = topology.LoadFiles(defaultTags(t), paths...)
	assert.ErrorContains(t, err, `priority "5"`)
}
