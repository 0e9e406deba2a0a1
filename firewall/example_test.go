package firewall_test

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
)

// A hub firewall: DNAT for RDP, a network rule for DNS, application rules
// for the web, everything else denied.
func Example() {
	p := &firewall.Policy{
		Name: "hub",
		RuleCollectionGroups: []firewall.RuleCollectionGroup{{
			Name: "DefaultRuleCollectionGroup", Priority: 200,
			RuleCollections: []firewall.RuleCollection{
				{Name: "dnat", Priority: 100, Kind: firewall.KindNat, Action: firewall.DNAT,
					NatRules: []firewall.NatRule{{Name: "rdp", IPProtocols: []firewall.Protocol{firewall.ProtocolTCP},
						SourceAddresses: []string{"203.0.113.0/24"}, DestinationAddresses: []string{"52.1.1.1"},
						DestinationPorts: []string{"3389"}, TranslatedAddress: "10.0.1.4", TranslatedPort: "3389"}}},
				{Name: "dns", Priority: 200, Kind: firewall.KindFilter, Action: firewall.Allow,
					NetworkRules: []firewall.NetworkRule{{Name: "dns", IPProtocols: []firewall.Protocol{firewall.ProtocolUDP},
						SourceAddresses: []string{"10.0.0.0/16"}, DestinationAddresses: []string{"10.0.0.4", "1.1.1.1"},
						DestinationPorts: []string{"53"}}}},
				{Name: "web", Priority: 300, Kind: firewall.KindFilter, Action: firewall.Allow,
					ApplicationRules: []firewall.ApplicationRule{{Name: "contoso", SourceAddresses: []string{"10.0.0.0/16"},
						Protocols:   []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}},
						TargetFqdns: []string{"*.contoso.com"}}}},
			},
		}},
	}
	e, err := firewall.Compile(p, firewall.Resolvers{})
	if err != nil {
		panic(err)
	}
	src := netip.MustParseAddr("10.0.2.4")
	for _, f := range []firewall.Flow{
		{Src: src, Dst: netip.MustParseAddr("10.0.0.4"), Proto: ipproto.UDP, DstPort: 53},
		{Src: src, Dst: netip.MustParseAddr("1.1.1.1"), Proto: ipproto.UDP, DstPort: 53},
		{Src: src, Dst: netip.MustParseAddr("20.1.1.1"), Proto: ipproto.TCP, DstPort: 443, App: firewall.AppHTTPS, Name: "www.contoso.com"},
		{Src: src, Dst: netip.MustParseAddr("20.1.1.1"), Proto: ipproto.TCP, DstPort: 443, App: firewall.AppHTTPS, Name: "contoso.com"},
		{Src: netip.MustParseAddr("203.0.113.9"), Dst: netip.MustParseAddr("52.1.1.1"), Proto: ipproto.TCP, DstPort: 3389},
	} {
		fmt.Println(e.Explain(e.Evaluate(f)))
	}
	// Output:
	// Allow: network rule "hub/DefaultRuleCollectionGroup/dns/dns" (Allow): a network rule matched
	// Allow: network rule "hub/DefaultRuleCollectionGroup/dns/dns" (Allow): a network rule matched; SNAT
	// Allow: application rule "hub/DefaultRuleCollectionGroup/web/contoso" (Allow): an application rule matched; SNAT
	// Deny: no rule matched: Azure Firewall denies by default; the built-in infrastructure rule collection is not modelled
	// Dnat: DNAT rule "hub/DefaultRuleCollectionGroup/dnat/rdp" (Dnat): a DNAT rule matched: destination translated and allowed; to 10.0.1.4:3389; SNAT
}

// Compile reports every problem at once, each naming its place.
func ExampleCompile_errors() {
	p := &firewall.Policy{Name: "bad", RuleCollectionGroups: []firewall.RuleCollectionGroup{{
		Name: "rcg", Priority: 100,
		RuleCollections: []firewall.RuleCollection{{Name: "web", Priority: 100, Kind: firewall.KindFilter, Action: firewall.Allow,
			ApplicationRules: []firewall.ApplicationRule{{Name: "r", SourceAddresses: []string{"10.0.0.0/33"},
				Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}}, TargetFqdns: []string{"www.contoso.*"}}}}},
	}}}
	_, err := firewall.Compile(p, firewall.Resolvers{})
	fmt.Println(err)
	// Output:
	// policy "bad": group "rcg" (#0): collection "web" (#0): rule "r" (#0): sourceAddresses[0] "10.0.0.0/33": invalid address: not a CIDR
	// policy "bad": group "rcg" (#0): collection "web" (#0): rule "r" (#0): targetFqdns[0] "www.contoso.*": invalid FQDN: only a single left-most '*' is allowed (not "www.contoso.*" or mid-label stars)
}

// The SNAT private ranges decide whether network-rule traffic is SNATed.
func ExampleVerdict_snat() {
	p := &firewall.Policy{Name: "p", SNATPrivateRanges: []string{"IANAPrivateRanges", "20.0.0.0/8"},
		RuleCollectionGroups: []firewall.RuleCollectionGroup{{Name: "g", Priority: 100,
			RuleCollections: []firewall.RuleCollection{{Name: "all", Priority: 100, Kind: firewall.KindFilter, Action: firewall.Allow,
				NetworkRules: []firewall.NetworkRule{{Name: "all", IPProtocols: []firewall.Protocol{firewall.ProtocolAny},
					SourceAddresses: []string{"*"}, DestinationAddresses: []string{"*"}, DestinationPorts: []string{"*"}}}}}}}}
	e, _ := firewall.Compile(p, firewall.Resolvers{})
	for _, dst := range []string{"10.1.1.1", "20.1.1.1", "8.8.8.8"} {
		v := e.Evaluate(firewall.Flow{Src: netip.MustParseAddr("10.0.0.4"), Dst: netip.MustParseAddr(dst), Proto: ipproto.ICMP})
		fmt.Println(dst, v.Action, "SNAT:", v.SNAT)
	}
	// Output:
	// 10.1.1.1 Allow SNAT: false
	// 20.1.1.1 Allow SNAT: false
	// 8.8.8.8 Allow SNAT: true
}

// An Engine is immutable: evaluate from many goroutines at once. This
// example exists to run under -race.
func ExampleEngine_concurrent() {
	e, _ := firewall.Compile(&firewall.Policy{Name: "empty"}, firewall.Resolvers{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 1000 {
				_ = e.Evaluate(firewall.Flow{Src: netip.AddrFrom4([4]byte{10, 0, byte(i), byte(j)}),
					Dst: netip.MustParseAddr("8.8.8.8"), Proto: ipproto.UDP, DstPort: 53})
			}
		})
	}
	wg.Wait()
	// Output:
}
