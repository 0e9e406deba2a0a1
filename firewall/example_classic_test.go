package firewall_test

import (
	"fmt"
	"net/netip"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
)

// A firewall with classic rules (no policy): the two documented examples of
// https://learn.microsoft.com/azure/firewall/rule-processing. The network
// rule Allow-web decides before the application rule Deny-google; the
// Deny-collection (priority 100) decides before the Allow-collection (200).
func ExampleCompileClassic() {
	fw := &firewall.Classic{
		Name: "fw-hub",
		NetworkRuleCollections: []firewall.ClassicNetworkRuleCollection{
			{Name: "Allow-collection", Priority: 200, Action: firewall.Allow, Rules: []firewall.NetworkRule{
				{Name: "Allow-SSH", IPProtocols: []firewall.Protocol{firewall.ProtocolTCP}, SourceAddresses: []string{"*"},
					DestinationAddresses: []string{"*"}, DestinationPorts: []string{"22"}},
				{Name: "Allow-web", IPProtocols: []firewall.Protocol{firewall.ProtocolTCP}, SourceAddresses: []string{"*"},
					DestinationAddresses: []string{"*"}, DestinationPorts: []string{"80", "443"}}}},
			{Name: "Deny-collection", Priority: 100, Action: firewall.Deny, Rules: []firewall.NetworkRule{
				{Name: "Deny-SSH", IPProtocols: []firewall.Protocol{firewall.ProtocolTCP}, SourceAddresses: []string{"*"},
					DestinationAddresses: []string{"*"}, DestinationPorts: []string{"22"}}}},
		},
		ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{
			{Name: "App-collection", Priority: 100, Action: firewall.Deny, Rules: []firewall.ClassicApplicationRule{
				{Name: "Deny-google", SourceAddresses: []string{"*"}, TargetFqdns: []string{"google.com"},
					Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTP, Port: 80}, {Type: firewall.AppHTTPS, Port: 443}}}}},
		},
	}
	e, err := firewall.CompileClassic(fw, firewall.Resolvers{})
	if err != nil {
		panic(err)
	}
	src, dst := netip.MustParseAddr("10.0.2.4"), netip.MustParseAddr("142.250.64.78")
	for _, f := range []firewall.Flow{
		{Src: src, Dst: dst, Proto: ipproto.TCP, DstPort: 443, App: firewall.AppHTTPS, Name: "google.com"},
		{Src: src, Dst: dst, Proto: ipproto.TCP, DstPort: 22},
		{Src: src, Dst: dst, Proto: ipproto.UDP, DstPort: 53},
	} {
		fmt.Println(e.Explain(e.Evaluate(f)))
	}
	// Output:
	// Allow: network rule "fw-hub/Allow-collection/Allow-web" (Allow): a network rule matched; SNAT
	// Deny: network rule "fw-hub/Deny-collection/Deny-SSH" (Deny): a network rule matched
	// Deny: no rule matched: Azure Firewall denies by default
}
