package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go4.org/netipx"
)

// The leaks that sampling misses (issue 14): each scenario changes the
// default design so that one narrow set of flows escapes a control, checks
// that the audit's probes (52.0.0.1 on eight common ports) do not show it,
// and that the egress map finds it with a witness that Trace confirms.

// edit applies replacements to the default design, each of which must
// apply.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	d := string(designs.HubSpoke)
	for i := 0; i < len(pairs); i += 2 {
		require.Contains(t, d, pairs[i], "the design has changed")
		d = strings.Replace(d, pairs[i], pairs[i+1], 1)
	}
	return d
}

// confirm traces a class's witness and checks that Trace agrees with the
// class: verdict, reason, method, appliances crossed.
func confirm(t *testing.T, e *simulate.Engine, c *simulate.ReachClass) *simulate.Result {
	t.Helper()
	r, err := e.Trace(c.Witness)
	require.NoError(t, err)
	assert.Equal(t, c.Decision.Verdict, r.Verdict, "%s", r)
	assert.Equal(t, c.Decision.Reason, r.ReasonCode, "%s", r)
	assert.Equal(t, c.Decision.Method, r.EgressMethod, "%s", r)
	crossed := 0
	for _, h := range r.Hops {
		if h.Kind == simulate.HopFirewall || h.Kind == simulate.HopAppliance {
			crossed++
		}
	}
	assert.Equal(t, int(c.Decision.Hops), crossed, "%s", r)
	return r
}

// probesOpen reports whether any of the audit's outbound probes from h
// reaches the internet without an appliance.
func probesOpen(e *simulate.Engine, h simulate.NIC) bool {
	ps := simulate.AuditProbes()
	for _, p := range ps.Outbound {
		d := e.Classify(h, ps.Internet, p.Protocol, p.Port)
		if d.Verdict == simulate.Allowed && d.Hops == 0 && d.Method.LeavesAzure() {
			return true
		}
	}
	return false
}

func onlyPrefixes(t *testing.T, cs []*simulate.ReachClass, want ...string) {
	t.Helper()
	require.NotEmpty(t, cs)
	var ws []netip.Prefix
	for _, w := range want {
		ws = append(ws, netip.MustParsePrefix(w))
	}
	for _, c := range cs {
		assert.Equal(t, ws, c.Prefixes, "class %v %v", c.Protocols, c.Ports)
	}
}

// A forced-tunnelled subnet (0.0.0.0/0 to the hub firewall) with one /32
// user route to the internet: that one address leaves directly, through
// default outbound access
// (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#user-defined).
func TestReachFindsSlash32ToInternet(t *testing.T) {
	before := engine(t, string(designs.HubSpoke), simulate.Options{})
	require.Empty(t, before.Reach(mustNIC(t, before, "vm-app-01-nic")).DirectInternet(), "the design forces everything through the firewall")

	e := engine(t, edit(t, "      - {name: onprem-via-fw,",
		"      - {name: oops, prefix: 198.51.100.7/32, nextHop: Internet}\n      - {name: onprem-via-fw,"), simulate.Options{})
	h := mustNIC(t, e, "vm-app-01-nic")
	require.False(t, probesOpen(e, h), "the audit's probes do not see the leak")
	m := e.Reach(h)
	leaks := m.DirectInternet()
	onlyPrefixes(t, leaks, "198.51.100.7/32")
	for _, c := range leaks {
		assert.Equal(t, simulate.MethodDefaultOutbound, c.Decision.Method)
		r := confirm(t, e, c)
		assert.Equal(t, netip.MustParseAddr("198.51.100.7"), r.Flow.Destination)
	}
	// SMB stays denied by nsg-app even there.
	c, ok := m.Lookup(netip.MustParseAddr("198.51.100.7"), ipproto.TCP, 445)
	require.True(t, ok)
	assert.Equal(t, simulate.Denied, c.Decision.Verdict)
	assert.Contains(t, m.DecidedBy(c), "deny-smb-out")
	// Those flows leave through default outbound access, and no others.
	assert.Equal(t, len(leaks), len(m.DefaultOutbound()))
}

// An NSG that denies the internet but for one port, opened by a rule just
// before the deny: TCP 6553 leaves through the NAT gateway, nothing else
// does.
func TestReachFindsPortOpenedByLowPriorityRule(t *testing.T) {
	e := engine(t, edit(t,
		"        natGateway: natgw-batch\n", "        natGateway: natgw-batch\n        nsg: nsg-batch\n",
		"  - name: nsg-shared\n", `  - name: nsg-batch
    rules:
      - {name: allow-odd-port, priority: 4095, direction: Outbound, access: Allow, protocol: Tcp, destination: Internet, destinationPorts: "6553"}
      - {name: deny-internet, priority: 4096, direction: Outbound, access: Deny, protocol: "*", destination: Internet}
  - name: nsg-shared
`), simulate.Options{SMTP: simulate.SMTPBlocked})
	h := mustNIC(t, e, "vm-batch-01-nic")
	require.False(t, probesOpen(e, h), "the audit's probes do not see the leak")
	leaks := e.Reach(h).DirectInternet()
	require.NotEmpty(t, leaks)
	for _, c := range leaks {
		assert.Equal(t, []ipproto.Proto{ipproto.TCP}, c.Protocols)
		assert.False(t, c.OtherProtocols)
		assert.Equal(t, []simulate.PortRange{{Lo: 6553, Hi: 6553}}, c.Ports)
		assert.Equal(t, simulate.MethodNATGateway, c.Decision.Method)
		r := confirm(t, e, c)
		assert.Contains(t, r.DecidedBy, "allow-odd-port")
	}
}

// A spoke forced through the firewall whose route table propagates gateway
// routes: a BGP prefix more specific than the 0.0.0.0/0 user route goes to
// the VPN gateway, around the firewall (longest prefix match,
// virtual-networks-udr-overview#how-azure-selects-a-route).
func TestReachFindsBGPPrefixAroundFirewall(t *testing.T) {
	bgp := "      - {prefix: 52.96.0.0/14, nextHop: [10.0.255.4, 10.0.255.5], asPath: \"65010\", origin: EBgp}\n"
	e := engine(t, edit(t,
		"    disableBgpRoutePropagation: true", "    disableBgpRoutePropagation: false",
		"    learnedRoutes:\n", "    learnedRoutes:\n"+bgp), simulate.Options{})
	h := mustNIC(t, e, "vm-app-01-nic")
	m := e.Reach(h)
	around := m.Where(func(c *simulate.ReachClass) bool {
		return c.Decision.Verdict == simulate.Allowed && c.Decision.Hops == 0 && c.Decision.Method == simulate.MethodGateway &&
			c.Contains(netip.MustParseAddr("52.96.0.1"), c.Witness.Protocol, c.Witness.Port)
	})
	require.NotEmpty(t, around, "the BGP prefix bypasses the firewall")
	for _, c := range around {
		assert.Contains(t, c.Prefixes, netip.MustParsePrefix("52.96.0.0/14"))
		r := confirm(t, e, c)
		require.NotEmpty(t, r.Hops)
		assert.Equal(t, simulate.HopGateway, r.Hops[len(r.Hops)-1].Kind, "%s", r)
	}
	// Next door, the firewall still decides.
	c, ok := m.Lookup(netip.MustParseAddr("52.100.0.1"), ipproto.TCP, 443)
	require.True(t, ok)
	assert.Equal(t, uint8(1), c.Decision.Hops)
	assert.Equal(t, simulate.ReasonFirewallDenied, c.Decision.Reason)
}

// East-west traffic forced through the firewall by a /16 user route, but a
// private endpoint in a subnet whose privateEndpointNetworkPolicies are
// Disabled keeps its /32 InterfaceEndpoint route, which wins by longest
// prefix match: the endpoint is reached around the firewall
// (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
func TestReachFindsPrivateEndpointAroundFirewall(t *testing.T) {
	e := engine(t, edit(t,
		"        privateEndpointNetworkPolicies: Enabled\n", "",
		"      - {name: onprem-via-fw,", "      - {name: spoke-via-fw, prefix: 10.1.0.0/16, nextHop: VirtualAppliance, ip: 10.0.1.4}\n      - {name: onprem-via-fw,"),
		simulate.Options{})
	h := mustNIC(t, e, "vm-app-01-nic")
	m := e.Reach(h)
	around := m.Where(func(c *simulate.ReachClass) bool {
		return c.Decision.Method == simulate.MethodPrivateEndpoint && c.Decision.Hops == 0
	})
	onlyPrefixes(t, around, "10.1.2.10/32")
	for _, c := range around {
		r := confirm(t, e, c)
		assert.Equal(t, simulate.HopPrivateEndpoint, r.Hops[len(r.Hops)-1].Kind, "%s", r)
	}
	// Its neighbour in the subnet goes through the firewall.
	c, ok := m.Lookup(netip.MustParseAddr("10.1.2.4"), ipproto.TCP, 1433)
	require.True(t, ok)
	assert.Equal(t, uint8(1), c.Decision.Hops, "%s", m.Explain(c))
}

// DroppedAfterAllowed finds the flows the NSGs allow and a None route
// drops: on the default design, vm-partner-01-nic's flows to the RFC 1918
// space outside its and its peer's ranges.
func TestReachDroppedAfterAllowed(t *testing.T) {
	e := engine(t, string(designs.HubSpoke), simulate.Options{})
	m := e.Reach(mustNIC(t, e, "vm-partner-01-nic"))
	dropped := m.DroppedAfterAllowed()
	require.NotEmpty(t, dropped)
	found := false
	for _, c := range dropped {
		assert.Equal(t, simulate.Dropped, c.Decision.Verdict)
		r := confirm(t, e, c)
		assert.Contains(t, r.DecidedBy, "None")
		found = found || c.Contains(netip.MustParseAddr("10.1.1.4"), c.Witness.Protocol, c.Witness.Port)
	}
	assert.True(t, found, "10.1.1.4 (a spoke the partner is not peered with) is dropped")
}

// A firewall network rule whose FQDN does not resolve may match any
// destination: on its port the verdict is Unknown everywhere, and the map
// cuts there although no destination prefix names the rule.
func TestReachUnresolvedFQDNRulePort(t *testing.T) {
	e := engine(t, edit(t, "          - name: net-allow-dns-ntp\n", `          - name: deny-unresolved
            priority: 110
            action: Deny
            rules:
              - {name: nope, type: NetworkRule, protocols: [TCP], sourceAddresses: ["*"], destinationFqdns: [nope.example], destinationPorts: ["8080"]}
          - name: allow-web
            priority: 120
            action: Allow
            rules:
              - {name: web, type: NetworkRule, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["1-65535"]}
          - name: net-allow-dns-ntp
`), simulate.Options{})
	h := mustNIC(t, e, "vm-app-01-nic")
	m := e.Reach(h)
	dst := netip.MustParseAddr("52.1.2.3")
	for _, port := range []uint16{8079, 8080, 8081} {
		c, ok := m.Lookup(dst, ipproto.TCP, port)
		require.True(t, ok)
		assert.Equal(t, e.Classify(h, dst, ipproto.TCP, port), c.Decision, "port %d: %s", port, m.Explain(c))
	}
	at, _ := m.Lookup(dst, ipproto.TCP, 8080)
	next, _ := m.Lookup(dst, ipproto.TCP, 8081)
	assert.Equal(t, simulate.Unknown, at.Decision.Verdict, m.Explain(at))
	assert.Equal(t, simulate.Allowed, next.Decision.Verdict, m.Explain(next))
}

// Restrict cuts classes down to the flows asked about, keeping each
// class's outcome and a witness inside it; Lookup refuses flows no class
// can hold.
func TestReachRestrictAndLookup(t *testing.T) {
	e := engine(t, string(designs.HubSpoke), simulate.Options{})
	h := mustNIC(t, e, "vm-app-01-nic")
	m := e.Reach(h)
	var b netipx.IPSetBuilder
	b.AddPrefix(netip.MustParsePrefix("52.1.2.0/24"))
	b.AddPrefix(netip.MustParsePrefix("10.1.2.0/24"))
	set, err := b.IPSet()
	require.NoError(t, err)
	got := m.Restrict(set, ipproto.UDP, 123)
	require.NotEmpty(t, got)
	seen := map[netip.Prefix]bool{}
	for _, c := range got {
		assert.Equal(t, []ipproto.Proto{ipproto.UDP}, c.Protocols)
		assert.Equal(t, []simulate.PortRange{{Lo: 123, Hi: 123}}, c.Ports)
		for _, p := range c.Prefixes {
			assert.True(t, set.ContainsPrefix(p), "%v outside the set", p)
			seen[p] = true
		}
		assert.True(t, c.Contains(c.Witness.To, c.Witness.Protocol, c.Witness.Port), "witness %v in its class", c.Witness)
		assert.Equal(t, e.Classify(h, c.Witness.To, c.Witness.Protocol, c.Witness.Port), c.Decision)
	}
	// The restricted classes cover the set, once.
	var all netipx.IPSetBuilder
	for p := range seen {
		all.AddPrefix(p)
	}
	cover, err := all.IPSet()
	require.NoError(t, err)
	assert.True(t, cover.Equal(set))
	// NTP to the internet is allowed by the firewall's network rule.
	c, ok := m.Lookup(netip.MustParseAddr("52.1.2.3"), ipproto.UDP, 123)
	require.True(t, ok)
	assert.Equal(t, simulate.Allowed, c.Decision.Verdict, m.Explain(c))
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.81.10.1"), netip.MustParseAddr("20.81.10.2")}, m.EgressIPs(c))
	for _, bad := range []struct {
		dst  string
		p    ipproto.Proto
		port uint16
	}{{"52.1.2.3", ipproto.TCP, 0}, {"52.1.2.3", ipproto.Unknown, 443}} {
		_, ok := m.Lookup(netip.MustParseAddr(bad.dst), bad.p, bad.port)
		assert.False(t, ok, "%v", bad)
	}
	_, ok = m.Lookup(netip.Addr{}, ipproto.TCP, 443)
	assert.False(t, ok)
}

// Reach is deterministic: the same network, compiled twice, maps alike.
func TestReachDeterministic(t *testing.T) {
	a := engine(t, string(designs.HubSpoke), simulate.Options{})
	b := engine(t, string(designs.HubSpoke), simulate.Options{})
	for _, h := range a.NICs() {
		ma, mb := a.Reach(h), b.Reach(mustNIC(t, b, h.Name()))
		require.NotEmpty(t, ma.Classes)
		assert.Equal(t, ma.Classes, mb.Classes, h.Name())
		assert.Equal(t, ma.Atomic, mb.Atomic)
	}
}
