package firewall_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIPv4Mapped: one rule in every engine (internal/errtext). Azure
// Firewall is IPv4 only (ipv6-overview#limitations) and its pages never
// write an address in the IPv4-mapped IPv6 form; a rule that did was refused
// as "IPv6", while the same text was IPv4 in an NSG. Now it is refused in
// every engine, naming the IPv4 form; flows and resolvers' answers (tags, IP
// groups, DNS) are unmapped.
func TestIPv4Mapped(t *testing.T) {
	p := policy(group("g", 100,
		netColl("c", 100, firewall.Allow, netRule("r", tcp, ss("::ffff:10.0.0.0/104", "::ffff:10.1.0.1-10.1.0.9"), ss("::ffff:20.1.1.1"), ss("443"))),
		natColl("n", 200, firewall.NatRule{Name: "d", IPProtocols: tcp, SourceAddresses: star, DestinationAddresses: ss("52.1.1.1"),
			DestinationPorts: ss("443"), TranslatedAddress: "::ffff:10.0.0.4", TranslatedPort: "443"})))
	p.SNATPrivateRanges = ss("::ffff:10.0.0.0/104")
	_, err := firewall.Compile(p, firewall.Resolvers{})
	require.ErrorIs(t, err, firewall.ErrAddress)
	for _, want := range []string{
		`sourceAddresses[0] "::ffff:10.0.0.0/104": invalid address: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.0.0.0/8`,
		`sourceAddresses[1] "::ffff:10.1.0.1-10.1.0.9": invalid address: an IPv4-mapped IPv6 address; write it as IPv4: 10.1.0.1`,
		`destinationAddresses[0] "::ffff:20.1.1.1": invalid address: an IPv4-mapped IPv6 address; write it as IPv4: 20.1.1.1`,
		`translatedAddress "::ffff:10.0.0.4": invalid address: an IPv4-mapped IPv6 address; write it as IPv4: 10.0.0.4`,
		`snat.privateRanges[0] "::ffff:10.0.0.0/104": invalid SNAT private range: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.0.0.0/8`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	// Resolvers' answers and flows are unmapped.
	e := compile(t, policy(group("g", 100, netColl("c", 100, firewall.Allow,
		netRule("tag", tcp, star, ss("Storage"), ss("443")),
		firewall.NetworkRule{Name: "group", IPProtocols: tcp, SourceAddresses: star, DestinationIPGroups: ss("/ipGroups/g"), DestinationPorts: ss("80")}))),
		firewall.Resolvers{Tags: firewall.TagMap{"Storage": {netip.MustParsePrefix("::ffff:20.60.0.0/112")}},
			IPGroups: firewall.IPGroupMap{"/ipGroups/g": {netip.MustParsePrefix("::ffff:30.0.0.0/104")}}})
	assert.Equal(t, firewall.Allow, e.Evaluate(tcpFlow("10.0.0.4", "20.60.1.1", 443)).Action, "a mapped tag prefix")
	assert.Equal(t, firewall.Allow, e.Evaluate(tcpFlow("10.0.0.4", "30.1.2.3", 80)).Action, "a mapped IP group prefix")
	assert.Equal(t, firewall.Allow, e.Evaluate(tcpFlow("::ffff:10.0.0.4", "::ffff:20.60.1.1", 443)).Action, "mapped flow addresses")
	assert.Equal(t, firewall.Deny, e.Evaluate(tcpFlow("10.0.0.4", "20.61.1.1", 443)).Action)
}
