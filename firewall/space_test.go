package firewall_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DestinationSpaces lists the DNAT and network rules' destinations in
// evaluation order (DNS answers and unresolved names apart), not the
// application rules; SNATPrivateRanges the ranges a network-rule allow
// keeps the source for.
func TestDestinationSpaces(t *testing.T) {
	p := &firewall.Policy{Name: "pol", DNSProxy: true, SNATPrivateRanges: []string{"10.0.0.0/8", "52.1.0.0/16"},
		RuleCollectionGroups: []firewall.RuleCollectionGroup{{Name: "g", Priority: 100, RuleCollections: []firewall.RuleCollection{
			{Name: "net", Priority: 100, Kind: firewall.KindFilter, Action: firewall.Allow, NetworkRules: []firewall.NetworkRule{
				{Name: "web", IPProtocols: []firewall.Protocol{firewall.ProtocolTCP}, SourceAddresses: []string{"*"},
					DestinationAddresses: []string{"52.1.2.0/24"}, DestinationPorts: []string{"443", "8000-8100"}},
				{Name: "names", IPProtocols: []firewall.Protocol{firewall.ProtocolAny}, SourceAddresses: []string{"*"},
					DestinationFqdns: []string{"api.example.com", "nope.example"}, DestinationPorts: []string{"*"}},
			}},
			{Name: "app", Priority: 200, Kind: firewall.KindFilter, Action: firewall.Allow, ApplicationRules: []firewall.ApplicationRule{
				{Name: "a", Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}}, SourceAddresses: []string{"*"}, TargetFqdns: []string{"x.example"}},
			}},
		}}}}
	e, err := firewall.Compile(p, firewall.Resolvers{DNS: firewall.DNSMap{"api.example.com": {netip.MustParseAddr("52.9.9.9")}}})
	require.NoError(t, err)
	s := e.DestinationSpaces()
	require.Len(t, s, 2, "the application rule is not listed")
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("52.1.2.0/24")}, s[0].Prefixes)
	assert.Equal(t, [][2]uint16{{443, 443}, {8000, 8100}}, s[0].Ports)
	assert.True(t, s[0].TCP)
	assert.False(t, s[0].UDP || s[0].ICMP || s[0].Other)
	assert.False(t, s[0].Unresolved)
	assert.Empty(t, s[1].Prefixes)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("52.9.9.9/32")}, s[1].DNS)
	assert.True(t, s[1].Unresolved, "nope.example does not resolve")
	assert.True(t, s[1].TCP && s[1].UDP && s[1].ICMP && s[1].Other, "Any with every port is every protocol")
	app := e.AppDestinationSpaces()
	require.Len(t, app, 1)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, app[0].Prefixes, "no destination addresses: any")
	assert.Equal(t, [][2]uint16{{443, 443}}, app[0].Ports)
	assert.True(t, app[0].TCP)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("52.1.0.0/16")}, e.SNATPrivateRanges())
	assert.False(t, e.SNATs(netip.MustParseAddr("52.1.9.9")))
}

// SourcePrefixes lists every rule's sources, application rules included,
// in evaluation order ("*" as 0.0.0.0/0).
func TestSourcePrefixes(t *testing.T) {
	p := &firewall.Policy{Name: "pol", RuleCollectionGroups: []firewall.RuleCollectionGroup{{Name: "g", Priority: 100, RuleCollections: []firewall.RuleCollection{
		{Name: "net", Priority: 100, Kind: firewall.KindFilter, Action: firewall.Allow, NetworkRules: []firewall.NetworkRule{
			{Name: "web", IPProtocols: []firewall.Protocol{firewall.ProtocolTCP}, SourceAddresses: []string{"10.1.1.4", "10.2.0.0/16"},
				DestinationAddresses: []string{"*"}, DestinationPorts: []string{"443"}},
		}},
		{Name: "app", Priority: 200, Kind: firewall.KindFilter, Action: firewall.Allow, ApplicationRules: []firewall.ApplicationRule{
			{Name: "a", Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}}, SourceAddresses: []string{"*"}, TargetFqdns: []string{"x.example"}},
		}},
	}}}}
	e, err := firewall.Compile(p, firewall.Resolvers{})
	require.NoError(t, err)
	assert.Equal(t, [][]netip.Prefix{{netip.MustParsePrefix("10.1.1.4/32"), netip.MustParsePrefix("10.2.0.0/16")}, {netip.MustParsePrefix("0.0.0.0/0")}}, e.SourcePrefixes())
}
