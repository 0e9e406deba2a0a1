// Package capacity is a capacity check of a generated estate: 200 VMs in
// four subnets that leave through a NAT gateway with one public IP, a NAT
// gateway with two, a load balancer outbound rule on the default port
// allocation, and default outbound access; a seeded peak demand of
// connections to a few shared endpoints; and the SNAT headroom of each way
// out (simulate.Engine.Capacity), with the fix where it falls short. The
// benchmark drives the same demand and reports demands per second.
package capacity_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

const nicsPerSubnet = 50

// estate is the generated design: subnet i is 10.20.i.0/24.
func estate() *simulate.Engine {
	var b strings.Builder
	b.WriteString(`egress: v1
location: eastus
vnets:
  - name: vnet-estate
    addressSpace: [10.20.0.0/16]
    subnets:
      - {name: snet-nat1, prefix: 10.20.1.0/24, natGateway: natgw-1}
      - {name: snet-nat2, prefix: 10.20.2.0/24, natGateway: natgw-2}
      - {name: snet-lb, prefix: 10.20.3.0/24}
      - {name: snet-legacy, prefix: 10.20.4.0/24}
publicIps:
  - {name: pip-nat1, ip: 20.30.0.1}
  - {name: pip-nat2a, ip: 20.30.0.2}
  - {name: pip-nat2b, ip: 20.30.0.3}
  - {name: pip-lb, ip: 20.30.0.4}
natGateways:
  - {name: natgw-1, publicIps: [pip-nat1]}
  - {name: natgw-2, publicIps: [pip-nat2a, pip-nat2b]}
loadBalancers:
  - name: lb-out
    sku: Standard
    frontends: [{name: fe, publicIp: pip-lb}]
    backendPools: [pool]
    outboundRules: [{name: out, frontends: [fe], backendPool: pool, protocol: All}]
nics:
`)
	subnets := []string{"snet-nat1", "snet-nat2", "snet-lb", "snet-legacy"}
	for i, s := range subnets {
		for j := range nicsPerSubnet {
			pool := ""
			if s == "snet-lb" {
				pool = ", backendPools: [lb-out/pool]"
			}
			fmt.Fprintf(&b, "  - {name: vm-%s-%02d, subnet: vnet-estate/%s, ip: 10.20.%d.%d%s}\n", s[5:], j, s, i+1, 4+j, pool)
		}
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "estate.yaml", Data: []byte(b.String())}}})
	if err != nil {
		panic(err)
	}
	return simulate.Compile(n, simulate.Options{})
}

// peak is a seeded peak demand: every VM holds connections to three
// shared endpoints, most of them to the hot API.
func peak(e *simulate.Engine) []simulate.Demand {
	r := rand.New(rand.NewPCG(17, 42))
	endpoints := []netip.AddrPort{
		netip.MustParseAddrPort("52.1.2.3:443"), // the hot API
		netip.MustParseAddrPort("52.1.2.4:443"),
		netip.MustParseAddrPort("40.90.1.1:5671"),
	}
	var ds []simulate.Demand
	for _, h := range e.NICs() {
		for k, ep := range endpoints {
			n := 100 + r.IntN(900)
			if k == 0 {
				n = 600 + r.IntN(800)
			}
			ds = append(ds, simulate.Demand{From: h.Name(), To: ep, Concurrent: n})
		}
	}
	return ds
}

func Example() {
	e := estate()
	rep, err := e.Capacity(peak(e), 0.2)
	if err != nil {
		panic(err)
	}
	for _, p := range rep.Pools {
		head := "unknown"
		if p.HeadroomKnown {
			head = fmt.Sprintf("%.1f%%", 100*p.Headroom)
		}
		fmt.Printf("%s (%s): peak %d at %s, headroom %s\n", p.Name, p.Kind, p.Peak, strings.TrimSpace(p.PeakKey+" "+p.PeakInstance), head)
		if p.Fix != "" {
			fmt.Println("  fix:", p.Fix)
		}
	}
	// Output:
	// natgw-1 (NATGateway): peak 51126 at 52.1.2.3:443, headroom -2.3%
	//   fix: give NAT gateway natgw-1 2 public IP addresses (it has 1): add 1
	// natgw-2 (NATGateway): peak 50080 at 52.1.2.3:443, headroom 49.9%
	// lb-out/out (LoadBalancerOutboundRule): peak 1364 at 52.1.2.3:443 vm-lb-12, headroom -33.2%
	//   fix: set allocatedOutboundPorts of outbound rule lb-out/out to 1,712 (for 50 backend instances that needs 2 frontend IP addresses, it has 1), or attach a NAT gateway to the subnet
	// default outbound access of subnet snet-legacy (DefaultOutbound): peak 1340 at 52.1.2.3:443 vm-legacy-44, headroom unknown
	//   fix: use an explicit way out with a documented supply: a NAT gateway on the subnet
}

// BenchmarkCapacity traces and meters the estate's whole peak demand per
// iteration.
func BenchmarkCapacity(b *testing.B) {
	e := estate()
	ds := peak(e)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Capacity(ds, 0.2); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ds))*float64(b.N)/b.Elapsed().Seconds(), "demands/s")
}
