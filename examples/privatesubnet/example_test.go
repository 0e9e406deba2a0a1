// Package privatesubnet shows what breaks when a subnet that relies on
// default outbound access becomes private (defaultOutboundAccess: false,
// the default for VNets created since 2026-03-31,
// https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access):
// the embedded design's snet-legacy, compared flow by flow before and
// after with simulate.Diff.
package privatesubnet_test

import (
	"fmt"
	"net/netip"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

const private = `egress: overlay/v1
changes:
  - setSubnet: {subnet: vnet-spoke-batch/snet-legacy, defaultOutboundAccess: false}
`

func engine(overlay string) *simulate.Engine {
	tags, err := servicetag.Default()
	if err != nil {
		panic(err)
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: designs.HubSpokeFile, Data: designs.HubSpoke}}, Tags: tags})
	if err != nil {
		panic(err)
	}
	if overlay != "" {
		m := n.Model()
		if err := m.ApplyOverlay("private.yaml", []byte(overlay)); err != nil {
			panic(err)
		}
		if n, err = m.Network(tags); err != nil {
			panic(err)
		}
	}
	return simulate.Compile(n, simulate.Options{})
}

func Example() {
	before, after := engine(""), engine(private)
	var flows []simulate.Flow
	for _, nic := range []string{"vm-legacy-01-nic", "vm-batch-01-nic"} {
		for _, port := range []uint16{443, 123} {
			p := ipproto.TCP
			if port == 123 {
				p = ipproto.UDP
			}
			flows = append(flows, simulate.Flow{From: nic, To: netip.MustParseAddr("52.1.2.3"), Protocol: p, Port: port})
		}
	}
	for _, c := range simulate.Diff(before, after, flows) {
		fmt.Printf("%s %v/%d: %v -> %v (%s)\n", c.Flow.From, c.Flow.Protocol, c.Flow.Port, c.Before.Verdict, c.After.Verdict, c.After.Reason)
	}
	// Output:
	// vm-legacy-01-nic Tcp/443: Allowed -> NoEgress (routed to the internet but the source has no way out: subnet snet-legacy is private (it sets defaultOutboundAccess false) and has no NAT gateway, public IP or load-balancer outbound)
	// vm-legacy-01-nic Udp/123: Allowed -> NoEgress (routed to the internet but the source has no way out: subnet snet-legacy is private (it sets defaultOutboundAccess false) and has no NAT gateway, public IP or load-balancer outbound)
}
