package nsg_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sync"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

func ExampleCompile() {
	sg := nsg.SecurityGroup{
		ID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-app",
		Rules: []nsg.Rule{{
			Name: "deny-smb-out", Priority: 200, Direction: nsg.Outbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP,
			SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "Internet", DestinationPortRange: "445",
		}},
	}
	g, err := nsg.Compile(sg, nsg.Resolvers{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range g.Rules(nsg.Outbound) {
		fmt.Println(r)
	}

	sg.Rules[0].DestinationPortRange = "0"
	sg.Rules[0].Priority = 99
	_, err = nsg.Compile(sg, nsg.Resolvers{})
	fmt.Println(err)
	// Output:
	// securityRules/deny-smb-out 200 Outbound Deny Tcp *:* -> Internet:445
	// defaultSecurityRules/AllowVnetOutBound 65000 Outbound Allow * VirtualNetwork:* -> VirtualNetwork:*
	// defaultSecurityRules/AllowInternetOutBound 65001 Outbound Allow * *:* -> Internet:*
	// defaultSecurityRules/DenyAllOutBound 65500 Outbound Deny * *:* -> *:*
	// nsg "nsg-app": rule "deny-smb-out" (#0): priority "99": invalid priority: want 100..4096
	// nsg "nsg-app": rule "deny-smb-out" (#0): destinationPortRange "0": invalid port: 0 is outside 1..65535
}

// exampleNIC binds a NIC at 10.20.1.4 to an NSG on its subnet.
func exampleNIC() *nsg.Classifier {
	subnetNSG, err := nsg.Compile(nsg.SecurityGroup{
		ID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-spoke",
		Rules: []nsg.Rule{
			{Name: "deny-smb-out", Priority: 200, Direction: nsg.Outbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP,
				SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "Internet", DestinationPortRange: "445"},
			{Name: "allow-https-in", Priority: 100, Direction: nsg.Inbound, Access: nsg.Allow, Protocol: nsg.ProtocolTCP,
				SourceAddressPrefix: "Internet", SourcePortRange: "*", DestinationAddressPrefix: "10.20.1.0/24", DestinationPortRange: "443"},
		},
	}, nsg.Resolvers{})
	if err != nil {
		panic(err)
	}
	scope, err := nsg.CompileContext(nsg.Context{AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}})
	if err != nil {
		panic(err)
	}
	c, err := nsg.NewClassifier(nsg.NIC{
		ID:        "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic",
		SubnetID:  "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-spoke/subnets/app",
		Addrs:     []netip.Addr{netip.MustParseAddr("10.20.1.4")},
		SubnetNSG: subnetNSG,
		Scope:     scope,
	})
	if err != nil {
		panic(err)
	}
	return c
}

func ExampleClassifier_Verdict() {
	c := exampleNIC()
	nic := netip.MustParseAddr("10.20.1.4")
	for _, f := range []nsg.Flow{
		{Direction: nsg.Outbound, Proto: ipproto.TCP, Src: nic, Dst: netip.MustParseAddr("203.0.113.9"), SrcPort: 50112, DstPort: 445},
		{Direction: nsg.Outbound, Proto: ipproto.TCP, Src: nic, Dst: netip.MustParseAddr("198.51.100.7"), SrcPort: 50113, DstPort: 443},
		{Direction: nsg.Outbound, Proto: ipproto.UDP, Src: nic, Dst: nsg.HostIP, SrcPort: 50114, DstPort: 53},
		{Direction: nsg.Inbound, Proto: ipproto.TCP, Src: netip.MustParseAddr("203.0.113.50"), Dst: nic, SrcPort: 41000, DstPort: 22},
	} {
		v := c.Verdict(f)
		fmt.Printf("%v %v:%d -> %v (%v) %q\n", f.Direction, f.Dst, f.DstPort, v.Access, v.Reason, c.FlowLogRuleName(v, f.Direction))
	}
	// Output:
	// Outbound 203.0.113.9:445 -> Deny (Rule) "UserRule_deny-smb-out"
	// Outbound 198.51.100.7:443 -> Allow (Rule) "DefaultRule_AllowInternetOutBound"
	// Outbound 168.63.129.16:53 -> Allow (Platform) ""
	// Inbound 10.20.1.4:22 -> Deny (Rule) "DefaultRule_DenyAllInBound"
}

func ExampleClassifier_VerifyIPFlow() {
	c := exampleNIC()
	res, err := c.VerifyIPFlow(nsg.IPFlowVerifyRequest{Direction: nsg.Outbound, Protocol: ipproto.TCP,
		LocalIPAddress: netip.MustParseAddr("10.20.1.4"), LocalPort: 50112,
		RemoteIPAddress: netip.MustParseAddr("203.0.113.9"), RemotePort: 445})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	// Output:
	// {"access":"Deny","ruleName":"securityRules/deny-smb-out"}
}

func ExampleClassifier_Explain() {
	c := exampleNIC()
	e := c.Explain(nsg.Flow{Direction: nsg.Inbound, Proto: ipproto.TCP, Src: netip.MustParseAddr("203.0.113.50"),
		Dst: netip.MustParseAddr("10.20.1.4"), SrcPort: 41000, DstPort: 22})
	fmt.Print(e)
	// Output:
	// Deny (Rule)
	//   Subnet nsg-spoke: defaultSecurityRules/DenyAllInBound 65500 Deny (after 3 rules that did not match)
	//     securityRules/allow-https-in 100: destinationPort
	//     defaultSecurityRules/AllowVnetInBound 65000: source
	//     defaultSecurityRules/AllowAzureLoadBalancerInBound 65001: source
}

func ExampleClassifier_EffectiveNSGs() {
	c := exampleNIC()
	l := c.EffectiveNSGs()
	for _, g := range l.Value {
		fmt.Println(g.NetworkSecurityGroup.ID)
		for _, r := range g.EffectiveSecurityRules {
			if r.Direction == nsg.Outbound {
				fmt.Println(" ", r.Name, r.Protocol, r.DestinationAddressPrefix, r.DestinationPortRange, r.Access)
			}
		}
		fmt.Println(" ", g.TagMap[:64]+"…")
	}
	// Output:
	// /subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-spoke
	//   securityRules/deny-smb-out Tcp Internet 445-445 Deny
	//   defaultSecurityRules/AllowVnetOutBound All VirtualNetwork 0-65535 Allow
	//   defaultSecurityRules/AllowInternetOutBound All Internet 0-65535 Allow
	//   defaultSecurityRules/DenyAllOutBound All 0.0.0.0/0 0-65535 Deny
	//   {"AzureLoadBalancer":["168.63.129.16/32"],"Internet":["1.0.0.0/8…
}

func ExampleCompileContext() {
	s, err := nsg.CompileContext(nsg.Context{
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")},
		UDR:          []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, // a default route to a firewall
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Prefixes("VirtualNetwork"))
	fmt.Println(s.Contains("Internet", netip.MustParseAddr("8.8.8.8")), s.Contains("Internet", netip.MustParseAddr("10.20.1.4")))
	// Output:
	// [0.0.0.0/0]
	// true false
}

func ExampleCompileAdmin() {
	admin, err := nsg.CompileAdmin(nsg.AdminConfig{ID: "cfg-baseline", Rules: []nsg.AdminRule{{
		Name: "BlockHighRiskPorts", Collection: "baseline", Priority: 10, Direction: nsg.Inbound, Access: nsg.Deny,
		Protocol: nsg.ProtocolTCP, Sources: []string{"*"}, Destinations: []string{"*"}, DestinationPortRanges: []string{"22", "3389"},
	}}}, nsg.Resolvers{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := nsg.NewClassifier(nsg.NIC{Addrs: []netip.Addr{netip.MustParseAddr("10.20.1.4")}, Admin: admin})
	v := c.Verdict(nsg.Flow{Direction: nsg.Inbound, Proto: ipproto.TCP, Src: netip.MustParseAddr("203.0.113.50"),
		Dst: netip.MustParseAddr("10.20.1.4"), SrcPort: 41000, DstPort: 3389})
	fmt.Println(v.Access, v.Reason, c.FlowLogRuleName(v, nsg.Inbound))
	// Output:
	// Deny Admin BlockHighRiskPorts
}

// Classifiers are immutable: any number of goroutines may classify at once.
// CI runs this example under -race.
func ExampleClassifier_concurrent() {
	c := exampleNIC()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for p := range 1000 {
				f := nsg.Flow{Direction: nsg.Outbound, Proto: ipproto.TCP, Src: netip.MustParseAddr("10.20.1.4"),
					Dst: netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), SrcPort: 50000, DstPort: uint16(p + 1)}
				if v := c.Verdict(f); (v.Access == nsg.Deny) != (p+1 == 445) {
					panic("unexpected verdict")
				}
			}
		})
	}
	wg.Wait()
	// Output:
}
