package topology_test

import (
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadDefault(t *testing.T) *topology.Model {
	t.Helper()
	m, err := topology.LoadNative(designs.HubSpokeFile, designs.HubSpoke, defaultTags(t))
	require.NoError(t, err)
	return m
}

func TestOverlay(t *testing.T) {
	m := loadDefault(t)
	err := m.ApplyOverlay("patch.yaml", []byte(`egress: overlay/v1
name: batch behind the firewall, legacy on a NAT gateway
changes:
  - setSubnet: {subnet: vnet-spoke-batch/snet-batch, routeTable: rt-spoke-to-fw, natGateway: ""}
  - add:
      publicIps: [{name: pip-legacy-nat, ip: 20.81.50.1}]
      natGateways: [{name: natgw-legacy, publicIps: [pip-legacy-nat]}]
  - setSubnet: {subnet: vnet-spoke-batch/snet-legacy, natGateway: natgw-legacy, defaultOutboundAccess: false}
  - setRoute: {routeTable: rt-spoke-to-fw, name: storage-direct, prefix: Storage.EastUS, nextHop: Internet}
  - setRoute: {routeTable: rt-spoke-to-fw, name: default-via-fw, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.1.5}
  - removeRoute: {routeTable: rt-spoke-to-fw, name: onprem-via-fw}
  - setRule: {nsg: nsg-app, name: deny-ssh-out, priority: 150, direction: Outbound, access: Deny, protocol: Tcp, destinationPorts: "22"}
  - setRule: {nsg: nsg-data, name: allow-sql-from-app, priority: 100, direction: Inbound, access: Allow, protocol: Tcp, sourceAsgs: [asg-app], destinationPorts: "1434"}
  - removeRule: {nsg: nsg-app, name: deny-smb-out}
  - setNic: {nic: vm-app-02-nic, publicIp: ""}
`))
	require.NoError(t, err)
	require.NoError(t, m.Validate(defaultTags(t)))
	var batch, legacy *topology.Subnet
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			switch s.Name {
			case "snet-batch":
				batch = s
			case "snet-legacy":
				legacy = s
			}
		}
	}
	assert.Equal(t, "rt-spoke-to-fw", batch.RouteTable.Name())
	assert.True(t, batch.NATGateway.IsZero(), `"" detaches`)
	assert.Equal(t, "natgw-legacy", legacy.NATGateway.Name())
	require.NotNil(t, legacy.DefaultOutboundAccess)
	assert.False(t, *legacy.DefaultOutboundAccess)
	rt, _ := m.RouteTable(batch.RouteTable)
	var names []string
	for _, r := range rt.Routes {
		names = append(names, r.Name+"="+r.NextHopIPAddress)
	}
	assert.Equal(t, []string{"default-via-fw=10.0.1.5", "storage-direct="}, names, "replace in place, add at the end, remove")
	g, _ := m.NSG(m.NSGs[0].ID)
	assert.Equal(t, "deny-ssh-out", g.Rules[len(g.Rules)-1].Name)
	for _, r := range g.Rules {
		assert.NotEqual(t, "deny-smb-out", r.Name)
	}
	n, err := m.FindNIC("vm-app-02-nic")
	require.NoError(t, err)
	assert.True(t, n.Primary().PublicIP.IsZero())
}

func TestOverlayErrors(t *testing.T) {
	m := loadDefault(t)
	err := m.ApplyOverlay("patch.yaml", []byte(`egress: overlay/v1
changes:
  - setRoute: {routeTable: rt-nope, name: x, prefix: 0.0.0.0/0, nextHop: Internet}
  - removeRule: {nsg: nsg-app, name: no-such-rule}
  - setSubnet: {subnet: vnet-hub/nope}
  - setSubnet: {subnet: just-a-name}
  - setNic: {nic: ghost}
  - {}
`))
	require.Error(t, err)
	for _, want := range []string{
		`patch.yaml:3:5: route table "rt-nope": dangling reference: no route table of that name in the model`,
		`patch.yaml:4:5:`, `securityRules "no-such-rule": dangling reference: no rule of that name`,
		`patch.yaml:5:5: subnet "vnet-hub/nope": dangling reference`,
		`patch.yaml:6:5: subnet "just-a-name": invalid value: name the subnet as "vnet/subnet"`,
		`patch.yaml:7:5: network interface "ghost": dangling reference`,
		`patch.yaml:8:5: changes: invalid value: each change has exactly one of`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	err = m.ApplyOverlay("patch.yaml", []byte("egress: overlay/v1\nchanges:\n  - setRoute: {routeTable: rt-spoke-to-fw, name: x, colour: red}\n"))
	assert.ErrorContains(t, err, `patch.yaml:3: unknown field: "colour" in setRoute`)
	_, err = topology.ParseNative("patch.yaml", []byte("egress: overlay/v1\nchanges: []\n"))
	assert.ErrorContains(t, err, "this is an overlay")
}

func FuzzApplyOverlay(f *testing.F) {
	f.Add([]byte("egress: overlay/v1\nchanges:\n  - setSubnet: {subnet: vnet-spoke-batch/snet-batch, natGateway: \"\"}\n"))
	f.Add([]byte("egress: overlay/v1\nchanges:\n  - add: {publicIps: [{name: p, ip: 1.2.3.4}]}\n"))
	f.Add([]byte("egress: overlay/v1\nchanges:\n-\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := loadDefault(t)
		if err := m.ApplyOverlay("fuzz.yaml", data); err != nil {
			return
		}
		_ = m.Validate(defaultTags(t)) // must not panic
	})
}
