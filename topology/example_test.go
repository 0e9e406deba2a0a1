package topology_test

import (
	"fmt"
	"net/netip"

	"github.com/egresslab/egress/topology"
)

const exampleDesign = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-web, prefix: 10.1.1.0/24, routeTable: rt-web}
routeTables:
  - name: rt-web
    routes:
      - {name: to-fw, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.1.4}
nics:
  - {name: web-01, subnet: vnet-app/snet-web, ip: 10.1.1.4}
`

// A design in the native format is loaded and validated in one call; the
// model then feeds the engines.
func ExampleLoadNative() {
	m, err := topology.LoadNative("design.yaml", []byte(exampleDesign), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	nic, _ := m.FindNIC("web-01")
	s, _ := m.Subnet(nic.Primary().Subnet)
	fmt.Println(nic.Name, nic.Primary().PrivateIP, "in", s.VNet.Name+"/"+s.Name)
	cfg := m.RouteConfig(s, m.Graph(), nil)
	fmt.Println("route table:", cfg.RouteTable.Routes[0].Name, cfg.RouteTable.Routes[0].AddressPrefix, "->", cfg.RouteTable.Routes[0].NextHopIPAddress)
	// Output:
	// web-01 10.1.1.4 in vnet-app/snet-web
	// route table: to-fw 0.0.0.0/0 -> 10.0.1.4
}

// Every problem of a design is reported at once, with its position.
func ExampleLoadNative_errors() {
	_, err := topology.LoadNative("design.yaml", []byte(`egress: v1
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets: [{name: s, prefix: 10.2.0.0/24, colour: blue}]
`), nil)
	fmt.Println(err)
	// Output:
	// design.yaml:5: unknown field: "colour" in a subnet (known: defaultOutboundAccess, delegations, name, natGateway, nsg, prefix, prefixes, privateEndpointNetworkPolicies, routeTable, serviceEndpoints)
}

// An overlay is a what-if: a patch applied to a loaded model.
func ExampleModel_ApplyOverlay() {
	m, _ := topology.LoadNative("design.yaml", []byte(exampleDesign), nil)
	err := m.ApplyOverlay("patch.yaml", []byte(`egress: overlay/v1
changes:
  - setRoute: {routeTable: rt-web, name: to-fw, prefix: 0.0.0.0/0, nextHop: Internet}
`))
	if err == nil {
		err = m.Validate(nil)
	}
	fmt.Println(err, m.RouteTables[0].Routes[0].NextHopType)
	// Output:
	// <nil> Internet
}

// A spoke exported without its hub: the peering names a VNet the input does
// not hold. Validate accepts the model (Azure would), Check says what it
// does not know, and ValidateStrict refuses it.
func ExampleModel_Check() {
	m, err := topology.ParseNative("spoke.yaml", []byte(`egress: v1
location: eastus
vnets:
  - name: spoke
    addressSpace: [10.1.0.0/16]
    subnets: [{name: app, prefix: 10.1.1.0/24}]
    peerings:
      - {name: to-hub, remote: /subscriptions/1111/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/vnet-hub, remoteAddressSpace: [10.0.0.0/16]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := m.Check(nil)
	fmt.Println(len(v.Errors), "errors,", len(v.Rejected), "rejected")
	for _, e := range v.External {
		fmt.Println("external:", e)
	}
	fmt.Println("Validate:", m.Validate(nil))
	fmt.Println("ValidateStrict refuses it:", m.ValidateStrict(nil) != nil)
	// Output:
	// 0 errors, 0 rejected
	// external: spoke.yaml:8:9: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/spoke/virtualNetworkPeerings/to-hub: remoteVirtualNetwork "/subscriptions/1111/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/vnet-hub": not in the input: no virtual network with this ID in the input
	// Validate: <nil>
	// ValidateStrict refuses it: true
}

// Load reads the inputs as one resource set, validates them and returns the
// compiled network the engines run on: each subnet's effective routes, each
// NSG's classifier group, the links between resources as indices.
func ExampleLoad() {
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(exampleDesign)}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	nic, _ := n.FindNIC("web-01")
	c, _, _ := nic.Primary()
	s, _ := nic.Subnet()
	fmt.Println(nic.Name(), c.PrivateIP, "in", s.VNet().Name()+"/"+s.Name())
	m, _ := s.Routes().Lookup(netip.MustParseAddr("52.1.2.3"))
	fmt.Println("52.1.2.3 ->", m.NextHopType(), m.NextHop(0), "by", m.Route(0).Name())
	fmt.Println(len(n.Warnings()), "warnings")
	// Output:
	// web-01 10.1.1.4 in vnet-app/snet-web
	// 52.1.2.3 -> VirtualAppliance 10.0.1.4 by to-fw
	// 0 warnings
}
