package simulate_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

const exampleDesign = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-web, prefix: 10.1.1.0/24, natGateway: natgw, nsg: nsg-web}
nsgs:
  - name: nsg-web
    rules:
      - {name: deny-smtp-out, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: Internet, destinationPorts: "25"}
publicIps:
  - {name: pip-nat, ip: 203.0.113.10}
natGateways:
  - {name: natgw, publicIps: [pip-nat]}
nics:
  - {name: web-01, subnet: vnet-app/snet-web, ip: 10.1.1.4}
`

func exampleEngine() *simulate.Engine {
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(exampleDesign)}}})
	if err != nil {
		panic(err)
	}
	return simulate.Compile(n, simulate.Options{})
}

// Compile builds the engine of a loaded network: once, then every question
// is a lookup. A NIC handle names its NIC and what decides its traffic.
func ExampleCompile() {
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(exampleDesign)}}})
	if err != nil {
		panic(err)
	}
	e := simulate.Compile(n, simulate.Options{PrivateByDefault: true})
	for _, h := range e.NICs() {
		s := h.Subnet()
		m, _ := h.Routes().Lookup(netip.MustParseAddr("198.51.100.7"))
		fmt.Println(h.Name(), h.Addr(), s.VNet().Name()+"/"+s.Name(), m.NextHopType())
	}
	// Output:
	// web-01 10.1.1.4 vnet-app/snet-web Internet
}

// Trace explains a flow hop by hop: the rules that decided, the route, and
// the public IP the flow leaves from.
func ExampleEngine_Trace() {
	e := exampleEngine()
	r, _ := e.Trace(simulate.Flow{From: "web-01", To: netip.MustParseAddr("198.51.100.7"), Port: 443})
	fmt.Print(r)
	r, _ = e.Trace(simulate.Flow{From: "web-01", To: netip.MustParseAddr("198.51.100.7"), Port: 25})
	fmt.Println(r.Verdict, r.DecidedBy)
	// Output:
	// Allowed: leaves to the internet (SubnetNSG nsg-web: defaultSecurityRules/AllowInternetOutBound)
	//  1. Source web-01 (10.1.1.4)
	//       Outbound SubnetNSG nsg-web: Allow by defaultSecurityRules/AllowInternetOutBound
	//       route 0.0.0.0/0 -> Internet (Default)
	//  2. Internet (198.51.100.7)
	//       SNAT to NAT gateway natgw
	// egress: NATGateway 203.0.113.10
	// Denied SubnetNSG nsg-web: securityRules/deny-smtp-out
}

// Classify is the hot path: a NIC handle resolved once, then one compact
// decision per flow with no allocation.
func ExampleEngine_Classify() {
	e := exampleEngine()
	web, _ := e.NIC("web-01")
	d := e.Classify(web, netip.MustParseAddr("198.51.100.7"), ipproto.TCP, 443)
	fmt.Println(d.Verdict, d.Method, e.EgressIPs(d, nil))
	fmt.Println(e.Explain(e.Classify(web, netip.MustParseAddr("198.51.100.7"), ipproto.ICMP, 0)))
	// Output:
	// Allowed NATGateway [203.0.113.10]
	// NoEgress: the egress method does not carry ICMP
}

// Diff answers a what-if: which flows change when the design changes.
func ExampleDiff() {
	before := exampleEngine()
	// What-if: apply the change to a copy of the network's model, build a
	// new network.
	m := before.Network().Model()
	_ = m.ApplyOverlay("patch.yaml", []byte(`egress: overlay/v1
changes:
  - setSubnet: {subnet: vnet-app/snet-web, natGateway: "", defaultOutboundAccess: false}
`))
	n, _ := m.Network(before.Network().Tags())
	after := simulate.Compile(n, simulate.Options{})
	for _, c := range simulate.Diff(before, after, []simulate.Flow{{From: "web-01", To: netip.MustParseAddr("198.51.100.7"), Port: 443}}) {
		fmt.Println(c.Before.Verdict, "->", c.After.Verdict, c.What)
	}
	// Output:
	// Allowed -> NoEgress [verdict egressMethod egressIpAddresses path]
}

// An Engine is immutable: classify from any number of goroutines.
func ExampleEngine_concurrent() {
	e := exampleEngine()
	web, _ := e.NIC("web-01")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				dst := netip.AddrFrom4([4]byte{198, 51, byte(g), byte(i)})
				if d := e.Classify(web, dst, ipproto.TCP, 443); d.Verdict != simulate.Allowed {
					panic(e.Explain(d))
				}
			}
		})
	}
	wg.Wait()
	// Output:
}

const examplePaaS = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-int, prefix: 10.1.2.0/26, natGateway: natgw, delegations: [Microsoft.Web/serverFarms]}
publicIps:
  - {name: pip-nat, ip: 203.0.113.10}
natGateways:
  - {name: natgw, publicIps: [pip-nat]}
aiAccounts:
  - {name: my-openai, restrictOutboundNetworkAccess: true, allowedFqdns: [mysearch.search.windows.net]}
webApps:
  - name: app-orders
    subnet: vnet-app/snet-int
    outboundIpAddresses: [198.51.100.1, 198.51.100.2]
  - name: app-routed
    subnet: vnet-app/snet-int
    outboundVnetRouting: {allTraffic: true}
    outboundIpAddresses: [198.51.100.1, 198.51.100.2]
`

// TraceFrom starts a flow at a PaaS resource: an AI services account's own
// calls are decided by its allowedFqdnList; a web app's traffic enters its
// integration subnet when its settings route it there (here only private
// destinations: no route-all setting), and otherwise leaves from the app's
// outbound addresses, a set; routed, it follows the subnet like a NIC's
// traffic, out through the NAT gateway.
func ExampleEngine_TraceFrom() {
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(examplePaaS)}}})
	if err != nil {
		panic(err)
	}
	e := simulate.Compile(n, simulate.Options{})
	for _, q := range []struct {
		from string
		f    simulate.Flow
	}{
		{"my-openai", simulate.Flow{ToFQDN: "MySearch.search.windows.net", Port: 443}},
		{"my-openai", simulate.Flow{ToFQDN: "evil.example", Port: 443}},
		{"app-orders", simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Port: 443}},
		{"app-routed", simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Port: 443}},
	} {
		src, err := e.Source(q.from)
		if err != nil {
			panic(err)
		}
		r, err := e.TraceFrom(src, q.f)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s -> %s%s: %s %s %v\n", src, q.f.ToFQDN, addrOrEmpty(q.f.To), r.Verdict, r.EgressMethod, r.EgressIPs)
	}
	// Output:
	// AIAccount my-openai -> MySearch.search.windows.net: Allowed ServiceManaged []
	// AIAccount my-openai -> evil.example: Denied None []
	// WebApp app-orders -> 52.1.2.3: Allowed AppServiceOutbound [198.51.100.1 198.51.100.2]
	// WebApp app-routed -> 52.1.2.3: Allowed NATGateway [203.0.113.10]
}

func addrOrEmpty(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// A container group in its delegated subnet is a flow source and a
// destination; a flexible server's address is not in the input, so a flow
// to its subnet is Unknown, naming it.
func ExampleEngine_TraceFrom_containerGroup() {
	const design = `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: vm, prefix: 10.1.1.0/24}
      - {name: aci, prefix: 10.1.2.0/24, natGateway: nat, delegations: [Microsoft.ContainerInstance/containerGroups]}
      - {name: pg, prefix: 10.1.3.0/24, delegations: [Microsoft.DBforPostgreSQL/flexibleServers]}
publicIps:
  - {name: pip-nat, ip: 203.0.113.20}
natGateways:
  - {name: nat, publicIps: [pip-nat]}
nics:
  - {name: vm1, subnet: v/vm, ip: 10.1.1.4}
containerGroups:
  - {name: aci-jobs, subnet: v/aci, ip: 10.1.2.4}
flexibleServers:
  - {name: pg-orders, engine: PostgreSQL, subnet: v/pg}
`
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}}})
	if err != nil {
		panic(err)
	}
	e := simulate.Compile(n, simulate.Options{})
	src, err := e.Source("aci-jobs")
	if err != nil {
		panic(err)
	}
	r, err := e.TraceFrom(src, simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	if err != nil {
		panic(err)
	}
	fmt.Println(src, "->", r.Flow.Destination, r.Verdict, r.EgressMethod, r.EgressIPs)
	r, err = e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("10.1.2.4"), Port: 443})
	if err != nil {
		panic(err)
	}
	fmt.Println("vm1 ->", r.Hops[len(r.Hops)-1].Name, r.Verdict, r.ReasonCode)
	r, err = e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("10.1.3.4"), Port: 5432})
	if err != nil {
		panic(err)
	}
	fmt.Println("vm1 ->", r.Hops[len(r.Hops)-1].Note)
	_, err = e.Source("pg-orders")
	fmt.Println(errors.Is(err, simulate.ErrNotSimulated))
	// Output:
	// ContainerGroup aci-jobs -> 52.1.2.3 Allowed NATGateway [203.0.113.20]
	// vm1 -> aci-jobs Allowed delivered to the destination
	// vm1 -> PostgreSQL flexible server pg-orders is in subnet v/pg (delegated to Microsoft.DBforPostgreSQL/flexibleServers); its address is not in the input: whether it is the destination is unknown
	// true
}

// ReachFrom maps every destination of a PaaS source at once, as Reach does
// a NIC's. app-orders sends only private destinations into its
// integration subnet: the rest of its traffic leaves from its own outbound
// addresses past no NSG or NAT gateway (direct internet, with a witness);
// app-routed sends everything through the subnet, out by its NAT gateway
// (direct too: no firewall inspects it), and private destinations go
// through the subnet for both. An AI services account has no map: host
// names decide its calls.
func ExampleEngine_ReachFrom() {
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(examplePaaS)}}})
	if err != nil {
		panic(err)
	}
	e := simulate.Compile(n, simulate.Options{})
	for _, name := range []string{"app-orders", "app-routed", "my-openai"} {
		src, err := e.Source(name)
		if err != nil {
			panic(err)
		}
		m, err := e.ReachFrom(src)
		if err != nil {
			fmt.Println(src, errors.Is(err, simulate.ErrNoReach))
			continue
		}
		if d := m.DirectInternet(); len(d) > 0 {
			w := d[0].Witness
			fmt.Println(src, "reaches the internet directly, e.g.", w.To, w.Protocol, w.Port, "by", d[0].Decision.Method)
		}
		for _, dst := range []string{"52.1.2.3", "10.1.9.9"} {
			c, _ := m.Lookup(netip.MustParseAddr(dst), ipproto.TCP, 443)
			fmt.Println(src, "->", dst, c.Decision.Verdict, c.Decision.Method, m.EgressIPs(c))
		}
	}
	// Output:
	// WebApp app-orders reaches the internet directly, e.g. 8.0.0.1 Tcp 443 by AppServiceOutbound
	// WebApp app-orders -> 52.1.2.3 Allowed AppServiceOutbound [198.51.100.1 198.51.100.2]
	// WebApp app-orders -> 10.1.9.9 Dropped None []
	// WebApp app-routed reaches the internet directly, e.g. 8.0.0.1 Tcp 443 by NATGateway
	// WebApp app-routed -> 52.1.2.3 Allowed NATGateway [203.0.113.10]
	// WebApp app-routed -> 10.1.9.9 Dropped None []
	// AIAccount my-openai true
}

// Reach maps every destination of a NIC at once: its classes partition
// destination space, each with one outcome and a witness flow that Trace
// explains. The queries pick the classes that answer a question exactly.
func ExampleEngine_Reach() {
	e := exampleEngine()
	web, _ := e.NIC("web-01")
	m := e.Reach(web)
	for _, c := range m.DirectInternet() {
		fmt.Println(c.Decision.Method, c.ProtocolString(), c.PortString(), "witness", c.Witness.To, c.Witness.Protocol, c.Witness.Port)
	}
	smtp, _ := m.Lookup(netip.MustParseAddr("198.51.100.7"), ipproto.TCP, 25)
	fmt.Println(m.Explain(smtp))
	// Output:
	// NATGateway Tcp 1-24,26-65535 witness 1.0.0.1 Tcp 443
	// NATGateway Udp 1-65535 witness 1.0.0.1 Udp 443
	// Denied: denied by an outbound security rule (SubnetNSG nsg-web: securityRules/deny-smtp-out)
}

// An Engine builds egress maps concurrently: Reach reads the engine and
// keeps its work to itself, and the maps are deterministic.
func ExampleEngine_Reach_concurrent() {
	e := exampleEngine()
	web, _ := e.NIC("web-01")
	maps := make([]*simulate.EgressMap, 4)
	var wg sync.WaitGroup
	for i := range maps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			maps[i] = e.Reach(web)
		}()
	}
	wg.Wait()
	for _, m := range maps[1:] {
		if fmt.Sprint(m.Classes) != fmt.Sprint(maps[0].Classes) {
			fmt.Println("maps differ")
		}
	}
	// Output:
}

// ReachAll builds the egress maps of many NICs, in parallel, and hands
// them over in NIC order; NICs whose maps provably coincide (one subnet,
// the same NSGs, alike source addresses) share the work.
func ExampleEngine_ReachAll() {
	design := exampleDesign + "  - {name: web-02, subnet: vnet-app/snet-web, ip: 10.1.1.5}\n"
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}}})
	if err != nil {
		panic(err)
	}
	e := simulate.Compile(n, simulate.Options{})
	err = e.ReachAll(context.Background(), simulate.ReachAllOptions{Workers: 2}, func(h simulate.NIC, m *simulate.EgressMap) error {
		fmt.Println(h.Name(), len(m.Classes), "classes,", len(m.DirectInternet()), "straight to the internet, shared:", m.SharedFrom != "")
		return nil
	})
	fmt.Println(err)
	// Output:
	// web-01 17 classes, 2 straight to the internet, shared: false
	// web-02 17 classes, 2 straight to the internet, shared: true
	// <nil>
}
