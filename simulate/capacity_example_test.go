package simulate_test

import (
	"fmt"
	"net/netip"

	"github.com/egresslab/egress/simulate"
)

// A peak of 45,000 connections from web-01 to one endpoint, through a NAT
// gateway with one public IP (50,000 connections per destination
// endpoint), leaves 10 % headroom; the report says what reaches 20 %.
func ExampleEngine_Capacity() {
	e := exampleEngine()
	rep, err := e.Capacity([]simulate.Demand{
		{From: "web-01", To: netip.MustParseAddrPort("52.1.2.3:443"), Concurrent: 45000},
	}, 0.2)
	if err != nil {
		panic(err)
	}
	for _, p := range rep.Pools {
		fmt.Printf("%s %s: supply %d, peak %d, headroom %.0f%%\n", p.Kind, p.Name, p.Supply.PerKey, p.Peak, 100*p.Headroom)
		fmt.Println("fix:", p.Fix)
	}
	// Output:
	// NATGateway natgw: supply 50000, peak 45000, headroom 10%
	// fix: give NAT gateway natgw 2 public IP addresses (it has 1): add 1
}
