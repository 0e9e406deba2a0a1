package nsg_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/nsg"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// DestinationSpaces lists each rule's destination side in evaluation
// order: explicit prefixes, an expanded service tag (shared by the rules
// naming it), a context tag, "*"; then the default rules.
func TestDestinationSpaces(t *testing.T) {
	tags := nsg.TagMap{"Storage": {netip.MustParsePrefix("20.38.0.0/16"), netip.MustParsePrefix("20.60.0.0/16")}}
	sg := nsg.SecurityGroup{ID: "/x/nsg1", Rules: []nsg.Rule{
		{Name: "a", Priority: 100, Direction: nsg.Outbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP, SourceAddressPrefix: "*",
			SourcePortRange: "*", DestinationAddressPrefixes: []string{"10.1.0.0/16", "10.2.0.4"}, DestinationPortRanges: []string{"443", "8000-8100"}},
		{Name: "b", Priority: 110, Direction: nsg.Outbound, Access: nsg.Allow, Protocol: nsg.ProtocolUDP, SourceAddressPrefix: "*",
			SourcePortRange: "*", DestinationAddressPrefix: "Storage", DestinationPortRange: "53"},
		{Name: "c", Priority: 120, Direction: nsg.Outbound, Access: nsg.Allow, Protocol: nsg.ProtocolAny, SourceAddressPrefix: "*",
			SourcePortRange: "*", DestinationAddressPrefix: "Storage", DestinationPortRange: "*"},
		{Name: "d", Priority: 130, Direction: nsg.Inbound, Access: nsg.Deny, Protocol: nsg.ProtocolAny, SourceAddressPrefix: "*",
			SourcePortRange: "*", DestinationAddressPrefix: "VirtualNetwork", DestinationPortRange: "22"},
	}}
	g, err := nsg.Compile(sg, nsg.Resolvers{Tags: tags})
	require.NoError(t, err)
	out := g.DestinationSpaces(nsg.Outbound)
	require.Len(t, out, 3+3, "three user rules and the three defaults")
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.4/32")}, out[0].Prefixes)
	assert.Equal(t, [][2]uint16{{443, 443}, {8000, 8100}}, out[0].Ports)
	assert.Equal(t, nsg.ProtocolTCP, out[0].Protocol)
	assert.Equal(t, tags["Storage"], out[1].Prefixes)
	assert.Same(t, &out[1].Prefixes[0], &out[2].Prefixes[0], "the rules naming one tag share its prefixes")
	assert.Equal(t, [][2]uint16{{0, 65535}}, out[2].Ports)
	assert.Equal(t, "VirtualNetwork", out[3].Context, "AllowVnetOutBound")
	assert.Equal(t, "Internet", out[4].Context, "AllowInternetOutBound")
	assert.True(t, out[5].Any, "DenyAllOutBound")
	in := g.DestinationSpaces(nsg.Inbound)
	require.Len(t, in, 1+3)
	assert.Equal(t, "VirtualNetwork", in[0].Context)
	assert.Equal(t, [][2]uint16{{22, 22}}, in[0].Ports)
	assert.Nil(t, g.DestinationSpaces(0), "an invalid direction")
}

// SourceSpaces lists each rule's source side in evaluation order:
// explicit prefixes, a service tag, a context tag, "*"; then the default
// rules.
func TestSourceSpaces(t *testing.T) {
	tags := nsg.TagMap{"Storage": {netip.MustParsePrefix("20.38.0.0/16")}}
	sg := nsg.SecurityGroup{ID: "/x/nsg1", Rules: []nsg.Rule{
		{Name: "a", Priority: 100, Direction: nsg.Outbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP, SourceAddressPrefixes: []string{"10.1.2.4", "10.1.3.0/24"},
			SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "443"},
		{Name: "b", Priority: 100, Direction: nsg.Inbound, Access: nsg.Allow, Protocol: nsg.ProtocolAny, SourceAddressPrefix: "Storage",
			SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "*"},
	}}
	g, err := nsg.Compile(sg, nsg.Resolvers{Tags: tags})
	require.NoError(t, err)
	out := g.SourceSpaces(nsg.Outbound)
	require.Len(t, out, 1+3)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.1.2.4/32"), netip.MustParsePrefix("10.1.3.0/24")}, out[0].Prefixes)
	assert.False(t, out[0].Any)
	assert.Equal(t, "VirtualNetwork", out[1].Context, "AllowVnetOutBound")
	assert.True(t, out[2].Any, "AllowInternetOutBound's source")
	assert.True(t, out[3].Any, "DenyAllOutBound")
	in := g.SourceSpaces(nsg.Inbound)
	require.Len(t, in, 1+3)
	assert.Equal(t, tags["Storage"], in[0].Prefixes)
	assert.Equal(t, "VirtualNetwork", in[1].Context, "AllowVnetInBound")
	assert.Equal(t, "AzureLoadBalancer", in[2].Context, "AllowAzureLoadBalancerInBound")
	assert.Nil(t, g.SourceSpaces(0), "an invalid direction")
}
