// Package natprecedence shows which public IP a VM leaves from when it has
// both an instance-level public IP and a NAT gateway on its subnet: the NAT
// gateway's ("NAT gateway takes precedence over other outbound scenarios,
// including Load balancer and instance-level public IP addresses",
// https://learn.microsoft.com/azure/nat-gateway/nat-overview), and what
// happens when the NAT gateway is detached (a what-if overlay).
package natprecedence_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/egresslab/egress/egresstest"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

const design = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.10.0.0/16]
    subnets:
      - {name: snet-web, prefix: 10.10.1.0/24, natGateway: natgw-web}
publicIps:
  - {name: pip-vm, ip: 20.1.1.10}
  - {name: pip-nat, ip: 20.1.1.20}
natGateways:
  - {name: natgw-web, publicIps: [pip-nat]}
nics:
  - {name: vm-web-nic, subnet: vnet-app/snet-web, ip: 10.10.1.4, publicIp: pip-vm}
`

const detach = `egress: overlay/v1
changes:
  - setSubnet: {subnet: vnet-app/snet-web, natGateway: ""}
`

func load(overlay string) *simulate.Engine {
	lo := topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}}}
	n, err := topology.Load(lo)
	if err != nil {
		panic(err)
	}
	if overlay != "" {
		m := n.Model()
		if err := m.ApplyOverlay("detach.yaml", []byte(overlay)); err != nil {
			panic(err)
		}
		if n, err = m.Network(nil); err != nil {
			panic(err)
		}
	}
	return simulate.Compile(n, simulate.Options{})
}

func Example() {
	flow := simulate.Flow{From: "vm-web-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443}
	for _, e := range []*simulate.Engine{load(""), load(detach)} {
		r, err := e.Trace(flow)
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Verdict, r.EgressMethod, r.EgressIPs)
	}
	// Output:
	// Allowed NATGateway [20.1.1.20]
	// Allowed InstancePublicIP [20.1.1.10]
}

// TestPrecedence states the same as a what-if test.
func TestPrecedence(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{}, design)
	egresstest.Expect(t, e, egresstest.TCP("vm-web-nic", "52.1.2.3", 443), egresstest.Method(simulate.MethodNATGateway), egresstest.EgressIPs("20.1.1.20"))
}
