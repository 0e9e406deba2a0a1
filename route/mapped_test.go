package route_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIPv4Mapped: one rule in every engine (internal/errtext). Azure's pages
// give route prefixes and next hops as IPv4 or IPv6 CIDRs and addresses,
// never IPv4-mapped IPv6, and do not say what a mapped one does; a route
// written with one matched nothing (an IPv6 route, while lookups unmap the
// destination). So a written one is refused, naming the IPv4 form; netip
// values of a Config, and tag prefixes from a resolver, are unmapped.
func TestIPv4Mapped(t *testing.T) {
	_, err := route.Compile(spoke(
		udr("mapped-prefix", "::ffff:10.2.0.0/112", "None"),
		udr("mapped-hop", "10.3.0.0/16", "VirtualAppliance", "::ffff:10.1.0.4"),
		udr("mapped-ecmp", "10.4.0.0/16", "VirtualApplianceEcmp", "10.1.0.4", "::ffff:10.1.0.5"),
	))
	require.ErrorIs(t, err, route.ErrInvalidValue)
	for _, want := range []string{
		`route "mapped-prefix" (#0): addressPrefix "::ffff:10.2.0.0/112": invalid value: an IPv4-mapped IPv6 prefix; write it as IPv4: 10.2.0.0/16`,
		`route "mapped-hop" (#1): nextHopIpAddress "::ffff:10.1.0.4": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 10.1.0.4`,
		`route "mapped-ecmp" (#2): nextHopIpAddresses "::ffff:10.1.0.5": invalid value: an IPv4-mapped IPv6 address; write it as IPv4: 10.1.0.5`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	cfg := route.Config{
		Name:          "spoke/app",
		AddressSpace:  []netip.Prefix{pfx("::ffff:10.1.0.0/112")},
		Peerings:      []route.Peering{{Name: "hub", AddressSpace: []netip.Prefix{pfx("::ffff:10.0.0.0/112")}}},
		GatewayRoutes: []route.GatewayRoute{{Gateway: "vpn", Prefix: pfx("::ffff:192.168.0.0/112"), NextHops: []netip.Addr{ip("::ffff:10.0.0.4")}}},
		Tags:          tags{"Storage": {prefixes: []string{"::ffff:20.0.0.0/104"}}},
		RouteTable:    &route.RouteTable{Name: "rt", Routes: []route.UserRoute{udr("storage", "Storage", "Internet")}},
	}
	tb := mustCompile(t, cfg)
	assert.Equal(t, "10.1.0.0/16 -> VnetLocal", lookup(t, tb, "10.1.2.3"))
	assert.Equal(t, "10.0.0.0/16 -> VNetPeering", lookup(t, tb, "10.0.2.3"))
	assert.Equal(t, "192.168.0.0/16 -> VirtualNetworkGateway 10.0.0.4", lookup(t, tb, "192.168.1.1"))
	assert.Equal(t, "20.0.0.0/8 -> Internet", lookup(t, tb, "20.1.2.3"))
	assert.Equal(t, pfx("::ffff:10.1.0.0/112"), cfg.AddressSpace[0], "the Config is not modified")
}
