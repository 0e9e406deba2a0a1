package nsg_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/nsg"
)

// Default rules, names and priorities:
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules
// and the per-tool spellings of azure-semantics.md §2.2.
func TestDefaultRules(t *testing.T) {
	g := group(t, "empty")
	type row struct {
		name      string
		prio      int
		access    nsg.Access
		src, dst  string
		effective string
		verify    string
		flowlog   string
	}
	want := map[nsg.Direction][]row{
		nsg.Inbound: {
			{"AllowVnetInBound", 65000, nsg.Allow, "VirtualNetwork", "VirtualNetwork", "defaultSecurityRules/AllowVnetInBound", "defaultSecurityRules/AllowVnetInBound", "DefaultRule_AllowVnetInBound"},
			{"AllowAzureLoadBalancerInBound", 65001, nsg.Allow, "AzureLoadBalancer", "*", "defaultSecurityRules/AllowAzureLoadBalancerInBound", "defaultSecurityRules/AllowAzureLoadBalancerInBound", "DefaultRule_AllowAzureLoadBalancerInBound"},
			{"DenyAllInBound", 65500, nsg.Deny, "*", "*", "defaultSecurityRules/DenyAllInBound", "defaultSecurityRules/DefaultInboundDenyAll", "DefaultRule_DenyAllInBound"},
		},
		nsg.Outbound: {
			{"AllowVnetOutBound", 65000, nsg.Allow, "VirtualNetwork", "VirtualNetwork", "defaultSecurityRules/AllowVnetOutBound", "defaultSecurityRules/AllowVnetOutBound", "DefaultRule_AllowVnetOutBound"},
			{"AllowInternetOutBound", 65001, nsg.Allow, "*", "Internet", "defaultSecurityRules/AllowInternetOutBound", "defaultSecurityRules/AllowInternetOutBound", "DefaultRule_AllowInternetOutBound"},
			{"DenyAllOutBound", 65500, nsg.Deny, "*", "*", "defaultSecurityRules/DenyAllOutBound", "defaultSecurityRules/DefaultOutboundDenyAll", "DefaultRule_DenyAllOutBound"},
		},
	}
	for d, rows := range want {
		got := g.Rules(d)
		require.Len(t, got, 3)
		for i, w := range rows {
			ri := got[i]
			assert.True(t, ri.Default)
			assert.Equal(t, w.name, ri.Name)
			assert.Equal(t, w.prio, ri.Priority)
			assert.Equal(t, w.access, ri.Access)
			assert.Equal(t, nsg.ProtocolAny, ri.Protocol)
			assert.Equal(t, []string{w.src}, ri.Source)
			assert.Equal(t, []string{w.dst}, ri.Destination)
			assert.Equal(t, w.name, ri.DisplayName(nsg.ViewResource))
			assert.Equal(t, w.effective, ri.DisplayName(nsg.ViewEffective))
			assert.Equal(t, w.verify, ri.DisplayName(nsg.ViewIPFlowVerify))
			assert.Equal(t, w.flowlog, ri.DisplayName(nsg.ViewFlowLog))
		}
	}
	user := group(t, "u", r("deny-smb-out", 200, "Outbound Deny Tcp * * Internet 445")).Rule(nsg.Outbound, 0)
	assert.Equal(t, "securityRules/deny-smb-out", user.DisplayName(nsg.ViewEffective))
	assert.Equal(t, "securityRules/deny-smb-out", user.DisplayName(nsg.ViewIPFlowVerify))
	assert.Equal(t, "UserRule_deny-smb-out", user.DisplayName(nsg.ViewFlowLog))
	assert.Equal(t, "deny-smb-out", user.DisplayName(nsg.ViewResource))
}

// The classic cases of
// https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works:
// inbound = subnet NSG then NIC NSG, outbound = NIC NSG then subnet NSG, both
// must allow, a missing NSG allows at its level, a deny in the first NSG is
// final.
func TestEvaluationOrder(t *testing.T) {
	allowWeb := r("allow-web", 100, "Inbound Allow Tcp * * * 80")
	denyWeb := r("deny-web", 100, "Inbound Deny Tcp * * * 80")
	denyOut := r("deny-out-443", 100, "Outbound Deny Tcp * * * 443")
	allowOut := r("allow-out-443", 100, "Outbound Allow Tcp * * * 443")
	web := in("Tcp 203.0.113.9:80")
	https := out("Tcp 8.8.8.8:443")
	tests := []struct {
		name                string
		nicNSG, subnetNSG   []nsg.Rule // nil: no NSG at that level
		hasNIC, hasSubnet   bool
		flow                nsg.Flow
		want                string
		nicEval, subnetEval bool // whether each NSG's rule shows in the verdict
	}{
		{"neither NSG: allowed", nil, nil, false, false, web, "Allow NoNSG -", false, false},
		{"subnet only, allows", nil, []nsg.Rule{allowWeb}, false, true, web, "Allow Rule securityRules/allow-web", false, true},
		{"subnet only, default denies internet inbound", nil, []nsg.Rule{}, false, true, web, "Deny Rule defaultSecurityRules/DefaultInboundDenyAll", false, true},
		{"NIC only, allows", []nsg.Rule{allowWeb}, nil, true, false, web, "Allow Rule securityRules/allow-web", true, false},
		{"both allow: the NIC NSG (evaluated last inbound) names the rule", []nsg.Rule{allowWeb}, []nsg.Rule{allowWeb}, true, true, web, "Allow Rule securityRules/allow-web", true, true},
		{"inbound: subnet allows, NIC denies", []nsg.Rule{denyWeb}, []nsg.Rule{allowWeb}, true, true, web, "Deny Rule securityRules/deny-web", true, true},
		{"inbound: subnet denies, NIC never evaluated", []nsg.Rule{allowWeb}, []nsg.Rule{denyWeb}, true, true, web, "Deny Rule securityRules/deny-web", false, true},
		{"inbound: subnet default-denies though the NIC allows", []nsg.Rule{allowWeb}, []nsg.Rule{}, true, true, web, "Deny Rule defaultSecurityRules/DefaultInboundDenyAll", false, true},
		{"outbound: NIC denies, subnet never evaluated", []nsg.Rule{denyOut}, []nsg.Rule{allowOut}, true, true, https, "Deny Rule securityRules/deny-out-443", true, false},
		{"outbound: NIC allows, subnet denies", []nsg.Rule{allowOut}, []nsg.Rule{denyOut}, true, true, https, "Deny Rule securityRules/deny-out-443", true, true},
		{"outbound: both default-allow internet", []nsg.Rule{}, []nsg.Rule{}, true, true, https, "Allow Rule defaultSecurityRules/AllowInternetOutBound", true, true},
		{"intra-subnet traffic is subject to the NSGs too", nil, []nsg.Rule{r("deny-intra", 100, "Inbound Deny * 10.1.1.0/24 * * *")}, false, true,
			in("Tcp 10.1.1.9:22"), "Deny Rule securityRules/deny-intra", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nicG, subG *nsg.Group
			if tt.hasNIC {
				nicG = group(t, "nsg-nic", tt.nicNSG...)
			}
			if tt.hasSubnet {
				subG = group(t, "nsg-subnet", tt.subnetNSG...)
			}
			c := classifier(t, spokeCtx, nicG, subG, nil)
			assert.Equal(t, tt.want, decided(c, tt.flow))
			v := c.Verdict(tt.flow)
			assert.Equal(t, tt.nicEval, v.Rules.NIC >= 0, "NIC NSG evaluated")
			assert.Equal(t, tt.subnetEval, v.Rules.Subnet >= 0, "subnet NSG evaluated")
		})
	}
}

// First match by priority wins, whatever the input order; lower number first.
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules
func TestPriorityOrder(t *testing.T) {
	g := group(t, "prio",
		r("allow-late", 300, "Outbound Allow Tcp * * * 443"),
		r("deny-early", 200, "Outbound Deny Tcp * * 8.8.8.0/24 *"),
		r("allow-first", 100, "Outbound Allow Udp * * * *"))
	c := classifier(t, spokeCtx, g, nil, nil)
	assert.Equal(t, "Deny Rule securityRules/deny-early", decided(c, out("Tcp 8.8.8.8:443")))
	assert.Equal(t, "Allow Rule securityRules/allow-late", decided(c, out("Tcp 8.8.4.4:443")))
	assert.Equal(t, "Allow Rule securityRules/allow-first", decided(c, out("Udp 8.8.8.8:53")))
	names := []string{}
	for _, ri := range g.Rules(nsg.Outbound) {
		names = append(names, ri.Name)
	}
	assert.Equal(t, []string{"allow-first", "deny-early", "allow-late", "AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"}, names)
}

// AVNM security admin rules are evaluated before NSGs: Deny and AlwaysAllow
// end evaluation, Allow goes on to the NSGs.
// https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins
func TestAdminRules(t *testing.T) {
	admin, err := nsg.CompileAdmin(nsg.AdminConfig{ID: "cfg", Rules: []nsg.AdminRule{
		{Name: "BlockHighRiskPorts", Collection: "c1", Priority: 10, Direction: nsg.Inbound, Access: nsg.Deny,
			Protocol: nsg.ProtocolTCP, Sources: []string{"*"}, Destinations: []string{"*"}, DestinationPortRanges: []string{"22", "3389"}},
		{Name: "AlwaysAllowMonitoring", Collection: "c1", Priority: 20, Direction: nsg.Inbound, Access: nsg.AlwaysAllow,
			Protocol: nsg.ProtocolTCP, Sources: []string{"198.51.100.0/24"}, Destinations: []string{"*"}, DestinationPortRanges: []string{"9100"}},
		{Name: "AllowWeb", Collection: "c1", Priority: 30, Direction: nsg.Inbound, Access: nsg.Allow,
			Protocol: nsg.ProtocolTCP, Sources: []string{"Internet"}, Destinations: []string{"*"}, DestinationPortRanges: []string{"443"}},
		// Equal priority in another collection: input order breaks the tie (a documented choice).
		{Name: "DenyWebFromTestNet", Collection: "c2", Priority: 30, Direction: nsg.Inbound, Access: nsg.Deny,
			Protocol: nsg.ProtocolAny, Sources: []string{"192.0.2.0/24"}, Destinations: []string{"*"}},
	}}, testRes)
	require.NoError(t, err)
	nsgAllowAll := group(t, "nsg-open", r("allow-all-in", 100, "Inbound Allow * * * * *"))
	nsgDenyAll := group(t, "nsg-closed", r("deny-all-in", 100, "Inbound Deny * * * * *"))

	open := classifier(t, spokeCtx, nsgAllowAll, nil, admin)
	closed := classifier(t, spokeCtx, nil, nsgDenyAll, admin)
	none := classifier(t, spokeCtx, nil, nil, admin)

	assert.Equal(t, "Deny Admin securityAdminRules/BlockHighRiskPorts", decided(open, in("Tcp 203.0.113.5:22")), "Deny beats an NSG allow")
	assert.Equal(t, "Allow Admin securityAdminRules/AlwaysAllowMonitoring", decided(closed, in("Tcp 198.51.100.7:9100")), "AlwaysAllow skips an NSG deny")
	assert.Equal(t, "Deny Rule securityRules/deny-all-in", decided(closed, in("Tcp 203.0.113.5:443")), "Allow goes on to the NSG")
	assert.Equal(t, "Allow Rule securityRules/allow-all-in", decided(open, in("Tcp 203.0.113.5:443")))
	assert.Equal(t, "Allow NoNSG -", decided(none, in("Tcp 203.0.113.5:443")), "admin Allow and no NSG: allowed (assumed, azure-semantics §7.8)")
	assert.Equal(t, "Deny Rule securityRules/deny-all-in", decided(closed, in("Tcp 203.0.113.5:8080")), "no admin match goes on")
	assert.Equal(t, "Allow Rule securityRules/allow-all-in", decided(open, in("Tcp 192.0.2.1:443")), "tie: c1/AllowWeb comes first in the input")

	v := open.Verdict(in("Tcp 203.0.113.5:443"))
	ri, ok := open.RuleOf(v, nsg.Inbound, nsg.StageAdmin)
	require.True(t, ok, "the admin Allow is recorded")
	assert.Equal(t, "AllowWeb", ri.Name)
	assert.Equal(t, "BlockHighRiskPorts", open.FlowLogRuleName(open.Verdict(in("Tcp 203.0.113.5:22")), nsg.Inbound),
		"VNet flow logs name admin rules bare (azure-semantics §6.6)")
}

// VirtualNetwork covers the VNet, peered VNets, gateway prefixes, 168.63.129.16
// and the subnet's UDR prefixes; a UDR 0.0.0.0/0 makes AllowVnetOutBound allow
// everything (MicrosoftDocs/azure-docs issue #22178).
// https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags
func TestVirtualNetworkTag(t *testing.T) {
	g := group(t, "defaults-only")
	c := classifier(t, spokeCtx, g, nil, nil)
	for _, a := range []string{"10.1.9.9", "10.0.0.4", "172.30.1.1"} {
		assert.Equal(t, "Allow Rule defaultSecurityRules/AllowVnetOutBound", decided(c, out("Tcp "+a+":1433")), a)
	}
	assert.Equal(t, "Allow Rule defaultSecurityRules/AllowInternetOutBound", decided(c, out("Tcp 8.8.8.8:443")))
	assert.Equal(t, "Deny Rule defaultSecurityRules/DefaultOutboundDenyAll", decided(c, out("Tcp 192.168.1.1:443")),
		"a private address outside the VNet is neither VirtualNetwork nor Internet")

	withUDR := spokeCtx
	withUDR.UDR = []netip.Prefix{pfx("0.0.0.0/0"), pfx("192.168.0.0/16")}
	c = classifier(t, withUDR, g, nil, nil)
	assert.Equal(t, "Allow Rule defaultSecurityRules/AllowVnetOutBound", decided(c, out("Tcp 8.8.8.8:443")), "issue #22178")
	assert.Equal(t, "Allow Rule defaultSecurityRules/AllowVnetOutBound", decided(c, out("Tcp 192.168.1.1:443")))
	assert.Equal(t, []netip.Prefix{pfx("0.0.0.0/0")}, c.Scope().Prefixes("VirtualNetwork")[:1])

	s, err := nsg.CompileContext(spokeCtx)
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{pfx("10.0.0.0/15"), pfx("168.63.129.16/32"), pfx("172.30.0.0/16")}, s.Prefixes("VirtualNetwork"))
	assert.True(t, s.Contains("virtualnetwork", ip("168.63.129.16")))
}

// Internet is the public address space outside the VNet (a documented
// choice, see nsg.Context), incl. public on-premises prefixes (issue #81801).
// https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags
func TestInternetTag(t *testing.T) {
	ctx := spokeCtx
	ctx.AddressSpace = append(ctx.AddressSpace, pfx("20.1.0.0/16"), pfx("2001:db8:1::/48")) // a public VNet range
	ctx.Gateway = append(ctx.Gateway, pfx("198.18.0.0/15"), pfx("131.107.0.0/16"))          // public on-premises
	s, err := nsg.CompileContext(ctx)
	require.NoError(t, err)
	for a, want := range map[string]bool{
		"8.8.8.8": true, "1.0.0.1": true, "203.0.113.9": true, "52.239.1.1": true, "131.107.1.1": true, "2001:db8:2::1": true,
		"10.2.3.4": false, "172.16.0.1": false, "192.168.1.1": false, "100.64.0.1": false, "127.0.0.1": false,
		"169.254.169.254": false, "168.63.129.16": false, "224.0.0.1": false, "255.255.255.255": false, "0.1.2.3": false,
		"20.1.2.3": false, "2001:db8:1::1": false, "fd00::1": false, "fe80::1": false, "::1": false,
	} {
		assert.Equal(t, want, s.Contains("Internet", ip(a)), a)
	}
	assert.True(t, s.Contains("VirtualNetwork", ip("131.107.1.1")), "issue #81801: in both tags")
	assert.Equal(t, pfx("1.0.0.0/8"), s.Prefixes("Internet")[0], "as in the observed effective view")
}

// AzureLoadBalancer is 168.63.129.16 (health probes); it is not Internet, so
// denying Internet inbound keeps probes working, and denying AzureLoadBalancer
// stops them.
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#azureloadbalancer
func TestAzureLoadBalancerTag(t *testing.T) {
	probe := in("Tcp 168.63.129.16:80")
	c := classifier(t, spokeCtx, group(t, "n", r("deny-internet-in", 100, "Inbound Deny * Internet * * *")), nil, nil)
	assert.Equal(t, "Allow Rule defaultSecurityRules/AllowVnetInBound", decided(c, probe),
		"168.63.129.16 is in VirtualNetwork, which comes first")
	c = classifier(t, spokeCtx, group(t, "n", r("deny-lb", 100, "Inbound Deny * AzureLoadBalancer * * *")), nil, nil)
	assert.Equal(t, "Deny Rule securityRules/deny-lb", decided(c, probe))
}

// Platform traffic to 168.63.129.16 / 169.254.169.254 is not subject to NSG
// rules unless they name AzurePlatformDNS, AzurePlatformIMDS or
// AzurePlatformLKM.
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#azure-platform-considerations
func TestPlatformTraffic(t *testing.T) {
	denyAll := r("deny-all-out", 100, "Outbound Deny * * * * *")
	c := classifier(t, spokeCtx, group(t, "n", denyAll), group(t, "s", denyAll), nil)
	assert.Equal(t, "Allow Platform -", decided(c, out("Udp 168.63.129.16:53")))
	assert.Equal(t, "Allow Platform -", decided(c, out("Tcp 169.254.169.254:80")))
	assert.Equal(t, "Deny Rule securityRules/deny-all-out", decided(c, out("Tcp 168.63.129.17:80")))

	c = classifier(t, spokeCtx, group(t, "n",
		r("deny-dns", 100, "Outbound Deny * * * AzurePlatformDNS 53"),
		r("deny-imds", 110, "Outbound Deny Tcp * * AzurePlatformIMDS *")), nil, nil)
	assert.Equal(t, "Deny Rule securityRules/deny-dns", decided(c, out("Udp 168.63.129.16:53")))
	assert.Equal(t, "Allow Platform -", decided(c, out("Tcp 168.63.129.16:80")), "a platform rule for another port")
	assert.Equal(t, "Deny Rule securityRules/deny-imds", decided(c, out("Tcp 169.254.169.254:80")))

	c = classifier(t, spokeCtx, nil, group(t, "s", r("deny-all-in", 100, "Inbound Deny * * * * *")), nil)
	assert.Equal(t, "Deny Rule securityRules/deny-all-in", decided(c, in("Tcp 168.63.129.16:80")),
		"inbound from the platform (health probes) is subject to the rules")
}

// Protocols: * covers every protocol; Icmp covers ICMPv6 (a choice); ports
// count only for TCP and UDP.
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules
func TestProtocolsAndPorts(t *testing.T) {
	g := group(t, "p",
		r("tcp-range", 100, "Outbound Allow Tcp * * * 8000-8100"),
		r("udp-list", 110, "Outbound Allow Udp * 1000-2000,3000 * 53,123"),
		r("any-port-80", 120, "Outbound Deny * * * * 80"),
		r("icmp", 130, "Outbound Deny Icmp * * * *"),
		r("esp", 140, "Outbound Allow Esp * * * *"),
		r("any", 150, "Outbound Deny * * * * *"))
	c := classifier(t, spokeCtx, g, nil, nil)
	f := func(spec string, sport uint16) nsg.Flow { fl := out(spec); fl.SrcPort = sport; return fl }
	for _, tt := range []struct {
		flow nsg.Flow
		want string
	}{
		{f("Tcp 8.8.8.8:8050", 50000), "securityRules/tcp-range"},
		{f("Tcp 8.8.8.8:8101", 50000), "securityRules/any"},
		{f("Udp 8.8.8.8:53", 1500), "securityRules/udp-list"},
		{f("Udp 8.8.8.8:123", 3000), "securityRules/udp-list"},
		{f("Udp 8.8.8.8:53", 2500), "securityRules/any"},
		{f("Tcp 8.8.8.8:80", 50000), "securityRules/any-port-80"},
		{f("Icmp 8.8.8.8:80", 50000), "securityRules/icmp"}, // ports ignored: any-port-80 does not match ICMP
		{f("IcmpV6 8.8.8.8:0", 0), "securityRules/icmp"},
		{f("Esp 8.8.8.8:0", 0), "securityRules/esp"},
		{f("Ah 8.8.8.8:0", 0), "securityRules/any"},
		{f("47 8.8.8.8:0", 0), "securityRules/any"}, // GRE: only * matches
	} {
		v := c.Verdict(tt.flow)
		ri, ok := c.RuleOf(v, nsg.Outbound, nsg.StageNIC)
		require.True(t, ok)
		assert.Equal(t, tt.want, ri.DisplayName(nsg.ViewEffective), "%v", tt.flow)
	}
}

// Augmented rules (plural prefixes and ports), service tags and ASGs.
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#augmented-security-rules
// https://learn.microsoft.com/azure/virtual-network/application-security-groups
func TestAddressKinds(t *testing.T) {
	g := group(t, "k",
		r("to-storage-east", 100, "Outbound Allow Tcp * * Storage.EastUS 443"),
		r("deny-storage", 110, "Outbound Deny Tcp * * Storage 443"),
		r("augmented", 120, "Outbound Deny Tcp * * 8.8.8.8,1.1.1.0/24 443"),
		r("web-to-db", 130, "Outbound Allow Tcp asg:"+asgID(1)+" * asg:"+asgID(2)+" 1433"),
		r("v6", 140, "Outbound Deny * 2001:db8:1::/48 * * *"),
		r("deny-1433", 150, "Outbound Deny Tcp * * * 1433"))
	c := classifier(t, spokeCtx, g, nil, nil)
	assert.Equal(t, "Allow Rule securityRules/to-storage-east", decided(c, out("Tcp 20.60.0.9:443")))
	assert.Equal(t, "Deny Rule securityRules/deny-storage", decided(c, out("Tcp 20.60.1.9:443")))
	assert.Equal(t, "Deny Rule securityRules/augmented", decided(c, out("Tcp 1.1.1.1:443")))
	assert.Equal(t, "Allow Rule defaultSecurityRules/AllowInternetOutBound", decided(c, out("Tcp 1.1.2.1:443")))
	assert.Equal(t, "Allow Rule securityRules/web-to-db", decided(c, out("Tcp 10.1.2.4:1433")), "the NIC is in asg-1")
	assert.Equal(t, "Deny Rule securityRules/deny-1433", decided(c, out("Tcp 10.1.2.5:1433")), "not a member of asg-2")
	v6 := nsg.Flow{Direction: nsg.Outbound, Proto: 6, Src: ip("2001:db8:1::4"), Dst: ip("2001:db8:2::1"), SrcPort: 1, DstPort: 2}
	assert.Equal(t, "Deny Rule securityRules/v6", decided(c, v6), "a local address that is not bound still classifies")
	mapped := out("Tcp 8.8.8.8:443")
	mapped.Dst = netip.AddrFrom16(mapped.Dst.As16())
	assert.Equal(t, "Deny Rule securityRules/augmented", decided(c, mapped), "IPv4-mapped addresses are unmapped")
}

func TestEnumText(t *testing.T) {
	for _, d := range []nsg.Direction{nsg.Inbound, nsg.Outbound} {
		b, err := d.MarshalText()
		require.NoError(t, err)
		var back nsg.Direction
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, d, back)
	}
	for _, a := range []nsg.Access{nsg.Allow, nsg.Deny, nsg.AlwaysAllow} {
		b, err := a.MarshalText()
		require.NoError(t, err)
		var back nsg.Access
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, a, back)
	}
	for p := nsg.ProtocolAny; p <= nsg.ProtocolAH; p++ {
		b, err := p.MarshalText()
		require.NoError(t, err)
		var back nsg.Protocol
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, p, back)
	}
	for _, s := range []string{"Any", "All", "*"} {
		p, err := nsg.ParseProtocol(s)
		require.NoError(t, err)
		assert.Equal(t, nsg.ProtocolAny, p)
	}
	assert.Equal(t, "All", nsg.ProtocolAny.EffectiveString())
	for r := nsg.ReasonNone; r <= nsg.ReasonNoNSG; r++ {
		b, _ := r.MarshalText()
		var back nsg.Reason
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, r, back)
	}
	var d nsg.Direction
	assert.Error(t, d.UnmarshalText([]byte("sideways")))
	_, err := nsg.Direction(0).MarshalText()
	assert.Error(t, err)
	assert.Equal(t, "Direction(0)", nsg.Direction(0).String())
	assert.Equal(t, "Protocol(9)", nsg.Protocol(9).String())
	assert.Equal(t, nsg.Verdict{}, classifier(t, spokeCtx, nil, nil, nil).Verdict(nsg.Flow{}), "invalid direction")
}
