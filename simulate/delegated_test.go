package simulate_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An address in a subnet delegated to a service (a container group's, a
// flexible server's) belongs to that service's resources: when the input
// holds none with that address, the flow is Unknown and says so, not
// Dropped as if nobody had it (issue 13 item 4;
// https://learn.microsoft.com/azure/virtual-network/subnet-delegation-overview).
// An empty subnet that is not delegated still drops it.
func TestDelegatedSubnetAddressIsUnknown(t *testing.T) {
	const design = `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: app, prefix: 10.1.1.0/24}
      - {name: aci, prefix: 10.1.2.0/24, delegations: [Microsoft.ContainerInstance/containerGroups]}
      - {name: empty, prefix: 10.1.3.0/24}
    peerings: [{remote: peer}]
  - name: peer
    addressSpace: [10.2.0.0/16]
    subnets:
      - {name: pg, prefix: 10.2.1.0/24, delegations: [Microsoft.DBforPostgreSQL/flexibleServers]}
    peerings: [{remote: v}]
nics:
  - {name: vm1, subnet: v/app, ip: 10.1.1.4}
`
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm1", "10.1.2.4", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonDelegatedSubnet, r.ReasonCode)
	last := r.Hops[len(r.Hops)-1]
	assert.Equal(t, "v/aci", last.Name)
	assert.Contains(t, last.Note, "delegated to Microsoft.ContainerInstance/containerGroups")

	// A peered VNet's delegated subnet too.
	r = trace(t, e, "vm1", "10.2.1.9", 5432)
	assert.Equal(t, simulate.ReasonDelegatedSubnet, r.ReasonCode, "%s", r)
	assert.Equal(t, "peer/pg", r.Hops[len(r.Hops)-1].Name)

	r = trace(t, e, "vm1", "10.1.3.4", 443)
	assert.Equal(t, simulate.Dropped, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonNoSuchAddress, r.ReasonCode)
}

// An NSG whose rules are unknown (here one Azure would reject: priority 5)
// is a security step of its own, with access Unknown, on the hop where it
// applies, so the path shows which control the answer assumed (issue 10).
func TestUnknownNSGIsAStep(t *testing.T) {
	const design = `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets: [{name: app, prefix: 10.1.1.0/24, nsg: nsg-bad}]
nsgs:
  - name: nsg-bad
    rules: [{name: low, priority: 5, direction: Outbound, access: Deny, protocol: Tcp, destination: "*", destinationPorts: "22"}]
nics:
  - {name: vm1, subnet: v/app, ip: 10.1.1.4}
`
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}}, Tags: tags(t)})
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	require.NotEmpty(t, r.Hops)
	assert.Contains(t, r.Hops[0].Security, simulate.SecurityStep{Direction: "Outbound", Stage: simulate.StageSubnetNSG, Group: "nsg-bad", Access: "Unknown"}, "%s", r)
	assert.Contains(t, r.String(), "Outbound SubnetNSG nsg-bad: Unknown (its rules are not known)\n")
}
