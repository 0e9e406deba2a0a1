package route_test

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/egresslab/egress/route"
)

// A spoke subnet whose route table forces internet traffic through a hub
// firewall, except for one prefix sent straight to the internet.
func ExampleCompile() {
	tb, err := route.Compile(route.Config{
		Name:         "vnet-spoke/snet-app",
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		Peerings: []route.Peering{{Name: "hub",
			AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}},
		RouteTable: &route.RouteTable{Name: "rt-spoke", Routes: []route.UserRoute{
			{Name: "to-fw", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"},
			{Name: "ntp-direct", AddressPrefix: "162.159.200.0/24", NextHopType: "Internet"},
		}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range tb.Routes() {
		fmt.Println(r)
	}
	for _, dst := range []string{"10.0.1.4", "52.1.2.3", "162.159.200.1"} {
		m, _ := tb.Lookup(netip.MustParseAddr(dst))
		fmt.Printf("%s: %v\n", dst, m)
	}
	// Output:
	// Default Active 10.1.0.0/16 VnetLocal
	// Default Invalid 0.0.0.0/0 Internet
	// Default Active 10.0.0.0/8 None
	// Default Active 172.16.0.0/12 None
	// Default Active 192.168.0.0/16 None
	// Default Active 100.64.0.0/10 None
	// Default Active 10.0.0.0/16 VNetPeering
	// User Active 0.0.0.0/0 VirtualAppliance 10.0.1.4 (to-fw)
	// User Active 162.159.200.0/24 Internet (ntp-direct)
	// 10.0.1.4: 10.0.0.0/16 -> VNetPeering
	// 52.1.2.3: 0.0.0.0/0 -> VirtualAppliance 10.0.1.4
	// 162.159.200.1: 162.159.200.0/24 -> Internet
}

// Bad input is reported all at once, each problem naming the route table,
// the route and the field.
func ExampleCompile_errors() {
	_, err := route.Compile(route.Config{
		Name:         "snet-app",
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		RouteTable: &route.RouteTable{Name: "rt-app", Routes: []route.UserRoute{
			{Name: "to-fw", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance"},
			{Name: "onprem", AddressPrefix: "192.168.1.0/16", NextHopType: "VirtualNetworkGateway"},
		}},
	})
	fmt.Println(err)
	// Output:
	// route table "rt-app": route "to-fw" (#0): nextHopIpAddress: missing: a VirtualAppliance route needs the appliance's IP address
	// route table "rt-app": route "onprem" (#1): addressPrefix "192.168.1.0/16": host bits set: did you mean 192.168.0.0/16?
}

// A Table is immutable: any number of goroutines may look up routes at once.
func ExampleTable_concurrent() {
	tb, _ := route.Compile(route.Config{Name: "s", AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				dst := netip.AddrFrom4([4]byte{10, byte(g), byte(i >> 8), byte(i)})
				if m, ok := tb.Lookup(dst); !ok || !m.NextHopType().IsValid() {
					panic("lookup failed")
				}
			}
		})
	}
	wg.Wait()
	// Output:
}
