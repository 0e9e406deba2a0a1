package topology_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
)

// bigDesign writes a native design with vnets VNets (a hub peered with every
// spoke), one subnet and nicsPer NICs per spoke, and one NSG of 20 rules per
// spoke, some naming real service tags.
func bigDesign(vnets, nicsPer int) string {
	var b strings.Builder
	hubs := (vnets + 399) / 400 // Azure allows 500 peerings per VNet
	b.WriteString("egress: v1\nlocation: eastus\nvnets:\n")
	for h := range hubs {
		fmt.Fprintf(&b, "  - name: hub%d\n    addressSpace: [172.16.%d.0/24]\n    subnets: [{name: AzureFirewallSubnet, prefix: 172.16.%d.0/26}]\n    peerings:\n", h, h, h)
		for i := 1; i < vnets; i++ {
			if i%hubs == h {
				fmt.Fprintf(&b, "      - {remote: spoke%d, allowForwardedTraffic: true}\n", i)
			}
		}
	}
	for i := 1; i < vnets; i++ {
		fmt.Fprintf(&b, "  - name: spoke%d\n    addressSpace: [10.%d.%d.0/24]\n    subnets: [{name: app, prefix: 10.%d.%d.0/24, nsg: nsg%d, routeTable: rt}]\n    peerings: [{remote: hub%d}]\n",
			i, 1+i/256, i%256, 1+i/256, i%256, i, i%hubs)
	}
	b.WriteString("routeTables:\n  - name: rt\n    routes: [{name: fw, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 172.16.0.4}]\nnsgs:\n")
	tags := []string{"Storage", "AzureKeyVault", "Sql.EastUS", "AzureMonitor", "Internet", "10.0.0.0/8"}
	for i := 1; i < vnets; i++ {
		fmt.Fprintf(&b, "  - name: nsg%d\n    rules:\n", i)
		for r := range 20 {
			fmt.Fprintf(&b, "      - {name: r%d, priority: %d, direction: Outbound, access: Allow, protocol: Tcp, destination: %s, destinationPorts: \"%d\"}\n",
				r, 100+r, tags[(i+r)%len(tags)], 1000+r)
		}
	}
	b.WriteString("nics:\n")
	for i := 1; i < vnets; i++ {
		for n := range nicsPer {
			fmt.Fprintf(&b, "  - {name: nic-%d-%d, subnet: spoke%d/app, ip: 10.%d.%d.%d}\n", i, n, i, 1+i/256, i%256, 4+n)
		}
	}
	return b.String()
}

// BenchmarkLoadCompile loads and validates (which compiles every route table
// per subnet and checks every NSG with the real service tags) a network of
// 1,000 VNets, 10,000 NICs and 1,000 NSGs. It reports the retained heap per
// NIC.
func BenchmarkLoadCompile(b *testing.B) {
	vnets, nics := 1000, 10
	if testing.Short() {
		vnets = 100
	}
	design := []byte(bigDesign(vnets, nics))
	tags, err := servicetag.Default() // loaded once, outside the loop
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var m *topology.Model
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, err = topology.LoadNative("big.yaml", design, tags)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	total := (vnets - 1) * nics
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(total), "ns/NIC")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(total), "heap-B/NIC")
	runtime.KeepAlive(m)
}
