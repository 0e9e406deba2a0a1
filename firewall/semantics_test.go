package firewall_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/servicetag"
)

// docExample is the policy of the documented example in
// https://learn.microsoft.com/azure/firewall/rule-processing (spec §3.2):
// parent RCG 200 {DNAT 600, DNAT 610, Net 800}, parent RCG 300 {App 1200,
// Net 1300}, child RCG 300 {Net 700, App 900}, child RCG 650 {Net 1100,
// App 2000, DNAT 3000}. Every rule matches TCP 10.0.0.4 → 20.1.1.1:443.
func docExample() *firewall.Policy {
	n := func(name string) firewall.NetworkRule { return netRule(name, tcp, star, star, star) }
	a := func(name string) firewall.ApplicationRule { return appRule(name, "*") }
	d := func(name string) firewall.NatRule {
		return firewall.NatRule{Name: name, IPProtocols: tcp, SourceAddresses: star, DestinationAddresses: ss("20.1.1.1"),
			DestinationPorts: ss("443"), TranslatedAddress: "10.9.9.9", TranslatedPort: "443"}
	}
	parent := &firewall.Policy{Name: "parent", RuleCollectionGroups: []firewall.RuleCollectionGroup{
		group("rcg200", 200, natColl("DNAT600", 600, d("d600")), natColl("DNAT610", 610, d("d610")),
			netColl("Net800", 800, firewall.Allow, n("n800"))),
		group("rcg300", 300, appColl("App1200", 1200, firewall.Allow, a("a1200")),
			netColl("Net1300", 1300, firewall.Allow, n("n1300"))),
	}}
	return &firewall.Policy{Name: "child", Parent: parent, RuleCollectionGroups: []firewall.RuleCollectionGroup{
		group("rcg300", 300, netColl("Net700", 700, firewall.Allow, n("n700")), appColl("App900", 900, firewall.Allow, a("a900"))),
		group("rcg650", 650, netColl("Net1100", 1100, firewall.Allow, n("n1100")),
			appColl("App2000", 2000, firewall.Allow, a("a2000")), natColl("DNAT3000", 3000, d("d3000"))),
	}}
}

// TestOrderDocumentedExample reproduces the processing order documented at
// https://learn.microsoft.com/azure/firewall/rule-processing (rule type
// beats priorities; parent groups before child groups; then group, then
// collection priority).
func TestOrderDocumentedExample(t *testing.T) {
	e := compile(t, docExample(), firewall.Resolvers{})
	var got []string
	for _, r := range e.Rules() {
		got = append(got, r.Collection)
	}
	want := []string{"DNAT600", "DNAT610", "DNAT3000", "Net800", "Net1300", "Net700", "Net1100", "App1200", "App900", "App2000"}
	assert.Equal(t, want, got)

	// Every rule matches; the first of each type decides in its stage.
	v := e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "x.contoso.com"))
	assert.Equal(t, "parent/rcg200/DNAT600/d600", ruleName(e, v))
	v = e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.2", "x.contoso.com"))
	assert.Equal(t, "parent/rcg200/Net800/n800", ruleName(e, v), "network rules before application rules")
}

// TestParentBeforeChild: parent-policy groups come first whatever their
// priority (https://learn.microsoft.com/azure/firewall/policy-rule-sets).
func TestParentBeforeChild(t *testing.T) {
	parent := policy(group("late", 65000, netColl("c", 65000, firewall.Deny, netRule("deny-all", anyP, star, star, star))))
	parent.Name = "parent"
	child := policy(group("early", 100, netColl("c", 100, firewall.Allow, netRule("allow-all", anyP, star, star, star))))
	child.Parent = parent
	e := compile(t, child, firewall.Resolvers{})
	v := e.Evaluate(tcpFlow("10.0.0.4", "8.8.8.8", 53))
	assert.Equal(t, firewall.Deny, v.Action)
	assert.Equal(t, "parent/late/c/deny-all", ruleName(e, v))
	ri, _ := e.RuleOf(v)
	assert.True(t, ri.Inherited)
}

// TestRuleTypeBeatsPriority: a network rule in the last group decides before
// an application rule in the first (https://learn.microsoft.com/azure/firewall/rule-processing).
func TestRuleTypeBeatsPriority(t *testing.T) {
	p := policy(
		group("first", 100, appColl("apps", 100, firewall.Allow, appRule("web", "*.contoso.com"))),
		group("last", 65000, netColl("nets", 65000, firewall.Deny, netRule("deny-web", tcp, star, star, ss("443")))),
	)
	e := compile(t, p, firewall.Resolvers{})
	v := e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "www.contoso.com"))
	assert.Equal(t, firewall.Deny, v.Action)
	assert.Equal(t, firewall.ReasonNetworkRule, v.Reason)
}

// TestTerminatingAndCollectionAction: rules are terminating and a
// collection's action applies to all its rules; within a group, collection
// priority decides, then rule order (https://learn.microsoft.com/azure/firewall/rule-processing).
func TestTerminatingAndCollectionAction(t *testing.T) {
	p := policy(group("g", 100,
		netColl("allow", 300, firewall.Allow, netRule("a1", tcp, star, ss("20.0.0.0/8"), star)),
		netColl("deny", 200, firewall.Deny, netRule("d1", tcp, star, ss("20.1.0.0/16"), ss("443")), netRule("d2", tcp, star, ss("20.0.0.0/8"), ss("80"))),
	))
	e := compile(t, p, firewall.Resolvers{})
	for _, tc := range []struct {
		dst    string
		port   uint16
		action firewall.Action
		rule   string
	}{
		{"20.1.2.3", 443, firewall.Deny, "d1"},
		{"20.9.2.3", 80, firewall.Deny, "d2"},
		{"20.9.2.3", 443, firewall.Allow, "a1"},
		{"30.9.2.3", 443, firewall.Deny, ""},
	} {
		v := e.Evaluate(tcpFlow("10.0.0.4", tc.dst, tc.port))
		ri, _ := e.RuleOf(v)
		assert.Equal(t, tc.action, v.Action, "%s:%d", tc.dst, tc.port)
		assert.Equal(t, tc.rule, ri.Rule, "%s:%d", tc.dst, tc.port)
	}
}

// TestDefaultDeny: no match ⇒ deny (https://learn.microsoft.com/azure/firewall/rule-processing).
// An application flow also carries FlagInfrastructure: the built-in
// infrastructure rule collection (https://learn.microsoft.com/azure/firewall/infrastructure-fqdns)
// is not modelled.
func TestDefaultDeny(t *testing.T) {
	e := compile(t, policy(), firewall.Resolvers{})
	v := e.Evaluate(tcpFlow("10.0.0.4", "20.1.1.1", 22))
	assert.Equal(t, firewall.Verdict{Action: firewall.Deny, Reason: firewall.ReasonDefaultDeny, Rule: -1}, v)
	assert.Equal(t, "no rule matched: Azure Firewall denies by default", v.Reason.Text())
	assert.Equal(t, "Deny: no rule matched: Azure Firewall denies by default", e.Explain(v))
	v = e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "login.microsoftonline.com"))
	assert.Equal(t, firewall.FlagInfrastructure, v.Flags)
}

// TestFQDNWildcards follows the FAQ on wildcards
// (https://learn.microsoft.com/azure/firewall/firewall-faq): only a
// left-most "*"; "*.contoso.com" matches subdomains at any depth but not
// contoso.com; "*contoso.com" also matches contoso.com and anycontoso.com;
// "*" matches everything; case-insensitive.
func TestFQDNWildcards(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.contoso.com", "www.contoso.com", true},
		{"*.contoso.com", "a.b.contoso.com", true},
		{"*.contoso.com", "contoso.com", false},
		{"*.contoso.com", "anycontoso.com", false},
		{"*contoso.com", "contoso.com", true},
		{"*contoso.com", "x.contoso.com", true},
		{"*contoso.com", "anycontoso.com", true},
		{"*contoso.com", "contoso.org", false},
		{"*", "anything.example", true},
		{"www.contoso.com", "WWW.Contoso.COM", true},
		{"WWW.CONTOSO.COM", "www.contoso.com", true},
		{"www.contoso.com", "www.contoso.com.", true},
		{"www.contoso.com", "contoso.com", false},
	} {
		e := compile(t, policy(group("g", 100, appColl("c", 100, firewall.Allow, appRule("r", tc.pattern)))), firewall.Resolvers{})
		v := e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", tc.name))
		assert.Equal(t, tc.want, v.Action == firewall.Allow, "pattern %q name %q", tc.pattern, tc.name)
	}
}

// TestInvalidFQDNPatterns: "www.contoso.*", "*.contoso.*" and mid-label
// stars are invalid (https://learn.microsoft.com/azure/firewall/firewall-faq).
func TestInvalidFQDNPatterns(t *testing.T) {
	for _, s := range []string{"www.contoso.*", "*.contoso.*", "www.*.com", "w*w.contoso.com", "**.contoso.com", "*.", "", "a..b", "exa mple.com", "bücher.de"} {
		_, err := firewall.Compile(policy(group("g", 100, appColl("c", 100, firewall.Allow, appRule("r", s)))), firewall.Resolvers{})
		require.Error(t, err, s)
		assert.ErrorIs(t, err, firewall.ErrFQDN, s)
		assert.Contains(t, err.Error(), `targetFqdns[0]`, s)
	}
}

// TestApplicationRuleMatching: application rules see only HTTP, HTTPS and
// MSSQL flows; HTTPS matches on SNI, HTTP on Host, and the port must be the
// rule protocol's port (https://learn.microsoft.com/azure/firewall/rule-processing).
func TestApplicationRuleMatching(t *testing.T) {
	r := firewall.ApplicationRule{Name: "r", SourceAddresses: ss("10.0.0.0/24"),
		Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}, {Type: firewall.AppHTTP, Port: 8080}, {Type: firewall.AppMSSQL, Port: 1433}}, TargetFqdns: ss("*.contoso.com")}
	e := compile(t, policy(group("g", 100, appColl("c", 100, firewall.Allow, r))), firewall.Resolvers{})
	mk := func(app firewall.AppProtocolType, port uint16, name string) firewall.Flow {
		f := tcpFlow("10.0.0.4", "20.1.1.1", port)
		f.App, f.Name = app, name
		return f
	}
	for _, tc := range []struct {
		f    firewall.Flow
		want firewall.Action
	}{
		{mk(firewall.AppHTTPS, 443, "www.contoso.com"), firewall.Allow},
		{mk(firewall.AppHTTPS, 8443, "www.contoso.com"), firewall.Deny}, // wrong port
		{mk(firewall.AppHTTP, 443, "www.contoso.com"), firewall.Deny},   // HTTP is allowed on 8080 only
		{mk(firewall.AppHTTP, 8080, "www.contoso.com"), firewall.Allow},
		{mk(firewall.AppMSSQL, 1433, "db.contoso.com"), firewall.Allow},
		{mk(firewall.AppHTTPS, 443, ""), firewall.Deny},               // no SNI: nothing to match
		{mk(firewall.AppNone, 443, "www.contoso.com"), firewall.Deny}, // not an application flow
		{mk(firewall.AppHTTPS, 443, "www.fabrikam.com"), firewall.Deny},
	} {
		v := e.Evaluate(tc.f)
		assert.Equal(t, tc.want, v.Action, "%+v", tc.f)
		if v.Action == firewall.Allow {
			assert.True(t, v.SNAT, "application rules always SNAT")
		}
	}
	f := mk(firewall.AppHTTPS, 443, "www.contoso.com")
	f.Proto = ipproto.UDP // QUIC is not an application-rule flow
	assert.Equal(t, firewall.Deny, e.Evaluate(f).Action)
	f.Src = addr("10.0.1.4")
	f.Proto = ipproto.TCP
	assert.Equal(t, firewall.Deny, e.Evaluate(f).Action, "source outside the rule")
}

// TestNetworkRuleFQDNNeedsDNSProxy: "To use FQDNs in your network rules, you
// must enable DNS Proxy" (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules);
// without it Compile fails. With it, verdicts reached through DNS say so,
// and a name the resolver cannot answer makes later verdicts uncertain.
func TestNetworkRuleFQDNNeedsDNSProxy(t *testing.T) {
	r := firewall.NetworkRule{Name: "ntp", IPProtocols: []firewall.Protocol{firewall.ProtocolUDP}, SourceAddresses: star,
		DestinationFqdns: ss("time.windows.com", "unknown.example"), DestinationPorts: ss("123")}
	p := policy(group("g", 100, netColl("c", 100, firewall.Allow, r)))
	dns := firewall.DNSMap{"time.windows.com": {addr("51.145.123.29")}}
	_, err := firewall.Compile(p, firewall.Resolvers{DNS: dns})
	require.ErrorIs(t, err, firewall.ErrDNSProxy)
	assert.Contains(t, err.Error(), `rule "ntp" (#0): destinationFqdns: DNS proxy required`)

	p.DNSProxy = true
	e := compile(t, p, firewall.Resolvers{DNS: dns})
	v := e.Evaluate(firewall.Flow{Src: addr("10.0.0.4"), Dst: addr("51.145.123.29"), Proto: ipproto.UDP, DstPort: 123})
	assert.Equal(t, firewall.Allow, v.Action)
	assert.Equal(t, firewall.FlagDNS, v.Flags)
	assert.True(t, v.SNAT)
	v = e.Evaluate(firewall.Flow{Src: addr("10.0.0.4"), Dst: addr("51.145.123.30"), Proto: ipproto.UDP, DstPort: 123})
	assert.Equal(t, firewall.Deny, v.Action)
	assert.Equal(t, firewall.FlagUnknown, v.Flags, "unknown.example might resolve to it")

	// Wildcards are not allowed in network-rule FQDNs.
	r.DestinationFqdns = ss("*.windows.com")
	_, err = firewall.Compile(policy(group("g", 100, netColl("c", 100, firewall.Allow, r))), firewall.Resolvers{})
	assert.ErrorIs(t, err, firewall.ErrFQDN)
}

// TestSNAT follows https://learn.microsoft.com/azure/firewall/snat-private-range:
// network-rule allows are SNATed unless the destination is in the private
// ranges (default IANAPrivateRanges = RFC 1918 + RFC 6598); 0.0.0.0/0 never
// SNATs, 255.255.255.255/32 always SNATs; application rules always SNAT.
func TestSNAT(t *testing.T) {
	mk := func(ranges []string) *firewall.Engine {
		p := policy(group("g", 100,
			netColl("n", 100, firewall.Allow, netRule("n", tcp, star, star, ss("22"))),
			appColl("a", 200, firewall.Allow, appRule("a", "*"))))
		p.SNATPrivateRanges = ranges
		return compile(t, p, firewall.Resolvers{})
	}
	for _, tc := range []struct {
		ranges []string
		dst    string
		want   bool
	}{
		{nil, "10.1.2.3", false},
		{nil, "172.20.0.1", false},
		{nil, "192.168.1.1", false},
		{nil, "100.64.0.1", false},
		{nil, "20.1.1.1", true},
		{nil, "11.0.0.1", true},
		{ss("IANAPrivateRanges", "20.0.0.0/8"), "20.1.1.1", false},
		{ss("IANAPrivateRanges", "20.0.0.0/8"), "10.1.1.1", false},
		{ss("20.0.0.0/8"), "10.1.1.1", true}, // replacing the list drops the defaults
		{ss("20.1.1.1"), "20.1.1.1", false},
		{ss("0.0.0.0/0"), "8.8.8.8", false},
		{ss("255.255.255.255/32"), "10.1.1.1", true},
		{[]string{}, "10.1.1.1", true},
	} {
		e := mk(tc.ranges)
		v := e.Evaluate(tcpFlow("10.0.0.4", tc.dst, 22))
		require.Equal(t, firewall.Allow, v.Action)
		assert.Equal(t, tc.want, v.SNAT, "ranges %q dst %s", tc.ranges, tc.dst)
		v = e.Evaluate(httpsFlow("10.0.0.4", tc.dst, "x.example"))
		assert.Equal(t, firewall.ReasonApplicationRule, v.Reason)
		assert.True(t, v.SNAT, "application rules always SNAT (ranges %q dst %s)", tc.ranges, tc.dst)
	}
	// Deny never SNATs.
	e := compile(t, policy(group("g", 100, netColl("n", 100, firewall.Deny, netRule("n", tcp, star, star, star)))), firewall.Resolvers{})
	assert.False(t, e.Evaluate(tcpFlow("10.0.0.4", "20.1.1.1", 22)).SNAT)
}

// TestAnyProtocol: "Any" is every IP protocol, but with explicit destination
// ports it is TCP and UDP (spec §3.2, https://learn.microsoft.com/azure/firewall/rule-processing).
// Ports count only for TCP and UDP.
func TestAnyProtocol(t *testing.T) {
	p := policy(group("g", 100,
		netColl("ports", 100, firewall.Allow, netRule("any-443", anyP, star, ss("20.0.0.0/8"), ss("443"))),
		netColl("all", 200, firewall.Allow, netRule("any-star", anyP, star, ss("30.0.0.0/8"), star)),
		netColl("icmp", 300, firewall.Allow, netRule("icmp", []firewall.Protocol{firewall.ProtocolICMP}, star, ss("40.0.0.0/8"), ss("7"))),
	))
	e := compile(t, p, firewall.Resolvers{})
	for _, tc := range []struct {
		dst   string
		proto ipproto.Proto
		port  uint16
		want  firewall.Action
	}{
		{"20.1.1.1", ipproto.TCP, 443, firewall.Allow},
		{"20.1.1.1", ipproto.UDP, 443, firewall.Allow},
		{"20.1.1.1", ipproto.ICMP, 0, firewall.Deny},
		{"20.1.1.1", ipproto.TCP, 80, firewall.Deny},
		{"30.1.1.1", ipproto.ICMP, 0, firewall.Allow},
		{"30.1.1.1", ipproto.ESP, 0, firewall.Allow},
		{"30.1.1.1", ipproto.TCP, 0, firewall.Allow},
		{"40.1.1.1", ipproto.ICMP, 0, firewall.Allow}, // ports are ignored for ICMP
		{"40.1.1.1", ipproto.TCP, 7, firewall.Deny},
	} {
		v := e.Evaluate(firewall.Flow{Src: addr("10.0.0.4"), Dst: addr(tc.dst), Proto: tc.proto, DstPort: tc.port})
		assert.Equal(t, tc.want, v.Action, "%s %v %d", tc.dst, tc.proto, tc.port)
	}
}

// TestDNAT: DNAT rules come first; a match translates the destination and
// allows the flow without further rules (https://learn.microsoft.com/azure/firewall/rule-processing),
// and the source is SNATed to a firewall private address
// (https://techcommunity.microsoft.com/blog/azurenetworksecurityblog/azure-firewall-nat-behaviors/3825834).
func TestDNAT(t *testing.T) {
	p := policy(
		group("nat", 100, natColl("dnat", 100,
			firewall.NatRule{Name: "rdp", IPProtocols: tcp, SourceAddresses: ss("203.0.113.0/24"), DestinationAddresses: ss("52.1.1.1"),
				DestinationPorts: ss("3389"), TranslatedAddress: "10.0.1.4", TranslatedPort: "3389"},
			firewall.NatRule{Name: "web", IPProtocols: anyP, SourceAddresses: star, DestinationAddresses: ss("52.1.1.1"),
				DestinationPorts: ss("443"), TranslatedFqdn: "web.internal.contoso.com", TranslatedPort: "8443"},
			firewall.NatRule{Name: "gone", IPProtocols: tcp, SourceAddresses: star, DestinationAddresses: ss("52.1.1.1"),
				DestinationPorts: ss("8080"), TranslatedFqdn: "gone.contoso.com", TranslatedPort: "80"})),
		group("net", 200, netColl("deny", 100, firewall.Deny, netRule("deny-all", anyP, star, star, star))),
	)
	dns := firewall.DNSMap{"web.internal.contoso.com": {addr("10.0.2.5"), addr("10.0.2.4")}}
	e := compile(t, p, firewall.Resolvers{DNS: dns})

	v := e.Evaluate(tcpFlow("203.0.113.9", "52.1.1.1", 3389))
	assert.Equal(t, firewall.Verdict{Action: firewall.DNAT, Reason: firewall.ReasonNatRule, SNAT: true, Rule: 0,
		Translated: netip.MustParseAddrPort("10.0.1.4:3389")}, v)
	assert.Equal(t, `Dnat: DNAT rule "pol/nat/dnat/rdp" (Dnat): a DNAT rule matched: destination translated and allowed; to 10.0.1.4:3389; SNAT`, e.Explain(v))

	v = e.Evaluate(tcpFlow("198.51.100.9", "52.1.1.1", 3389))
	assert.Equal(t, firewall.Deny, v.Action, "source outside the DNAT rule: network rules decide")

	v = e.Evaluate(firewall.Flow{Src: addr("198.51.100.9"), Dst: addr("52.1.1.1"), Proto: ipproto.UDP, DstPort: 443})
	assert.Equal(t, firewall.DNAT, v.Action)
	assert.Equal(t, netip.MustParseAddrPort("10.0.2.4:8443"), v.Translated)
	assert.Equal(t, firewall.FlagDNS, v.Flags)

	v = e.Evaluate(tcpFlow("198.51.100.9", "52.1.1.1", 8080))
	assert.Equal(t, firewall.DNAT, v.Action)
	assert.False(t, v.Translated.Addr().IsValid())
	assert.Equal(t, firewall.FlagDNS|firewall.FlagUnknown, v.Flags)
}

// TestUndecidable: web categories, FQDN tags without FQDNs and target URLs
// without the flow's path cannot be decided offline; the verdict reached
// past them carries FlagUnknown when one of them could have decided
// differently (another action, or another translation).
func TestUndecidable(t *testing.T) {
	web := firewall.ApplicationRule{Name: "social", SourceAddresses: star, Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}},
		WebCategories: ss("SocialNetworking")}
	tag := firewall.ApplicationRule{Name: "wu", SourceAddresses: star, Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}},
		FqdnTags: ss("WindowsUpdate")}
	url := firewall.ApplicationRule{Name: "url", SourceAddresses: star, Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTP, Port: 80}},
		TargetURLs: ss("www.contoso.com/test/*")}
	p := policy(group("g", 100, appColl("deny", 100, firewall.Deny, web, tag, url), appColl("allow", 200, firewall.Allow, appRule("all", "*"))))
	e := compile(t, p, firewall.Resolvers{})

	v := e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "www.example.com"))
	assert.Equal(t, firewall.Allow, v.Action)
	assert.Equal(t, firewall.FlagUnknown, v.Flags)

	f := tcpFlow("10.0.0.4", "20.1.1.1", 80)
	f.App, f.Name = firewall.AppHTTP, "www.contoso.com"
	f.Path = "/test/a"
	assert.Equal(t, firewall.Deny, e.Evaluate(f).Action)
	f.Path = "/test" // "/test/*" does not match "/test"
	v = e.Evaluate(f)
	assert.Equal(t, "all", mustRule(t, e, v).Rule)

	// With the FQDN tag resolvable, it decides.
	e = compile(t, p, firewall.Resolvers{FQDNTags: firewall.FQDNTagMap{"WindowsUpdate": {"*.update.microsoft.com"}}})
	v = e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "fe2.update.microsoft.com"))
	assert.Equal(t, "wu", mustRule(t, e, v).Rule)
	assert.Zero(t, v.Flags, "the web-category rule before it would also deny: the verdict is decided")

	// An undecidable rule with the verdict's own action does not make it unknown.
	allowTag := tag
	allowTag.Name = "wu-allow"
	p = policy(group("g", 100, appColl("allow", 100, firewall.Allow, allowTag, appRule("contoso", "*.contoso.com"))))
	e = compile(t, p, firewall.Resolvers{})
	v = e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "api.contoso.com"))
	assert.Equal(t, "contoso", mustRule(t, e, v).Rule)
	assert.Zero(t, v.Flags, "whether or not the FQDN tag covers it, the flow is allowed and SNATed")
	v = e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "www.example.com"))
	assert.Equal(t, firewall.Deny, v.Action)
	assert.Equal(t, firewall.FlagUnknown|firewall.FlagInfrastructure, v.Flags, "the FQDN tag might allow it")
}

func mustRule(t *testing.T, e *firewall.Engine, v firewall.Verdict) firewall.RuleInfo {
	t.Helper()
	r, ok := e.RuleOf(v)
	require.True(t, ok, "no rule in %+v", v)
	return r
}

// TestResolvers: service tags (real servicetag data), IP groups and ranges.
func TestResolvers(t *testing.T) {
	tags, err := servicetag.Default()
	require.NoError(t, err)
	storage, _, ok := tags.ServiceTag("Storage.EastUS")
	require.True(t, ok)
	var in netip.Addr
	for _, p := range storage {
		if p.Addr().Is4() {
			in = p.Addr().Next()
			break
		}
	}
	groups := firewall.IPGroupMap{"/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/ipGroups/spokes": {netip.MustParsePrefix("10.10.0.0/16")}}
	r := firewall.NetworkRule{Name: "storage", IPProtocols: tcp, SourceIPGroups: ss("/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/ipGroups/SPOKES"),
		DestinationAddresses: ss("Storage.EastUS", "198.51.100.10-198.51.100.20"), DestinationPorts: ss("443")}
	e := compile(t, policy(group("g", 100, netColl("c", 100, firewall.Allow, r))), firewall.Resolvers{Tags: tags, IPGroups: groups})
	assert.Equal(t, firewall.Allow, e.Evaluate(tcpFlow("10.10.3.4", in.String(), 443)).Action)
	assert.Equal(t, firewall.Allow, e.Evaluate(tcpFlow("10.10.3.4", "198.51.100.20", 443)).Action)
	assert.Equal(t, firewall.Deny, e.Evaluate(tcpFlow("10.10.3.4", "198.51.100.21", 443)).Action)
	assert.Equal(t, firewall.Deny, e.Evaluate(tcpFlow("10.11.3.4", in.String(), 443)).Action)
}

// TestInvalidFlows: IPv6 is not supported by Azure Firewall (spec §3.2).
func TestInvalidFlows(t *testing.T) {
	e := compile(t, policy(group("g", 100, netColl("c", 100, firewall.Allow, netRule("r", anyP, star, star, star)))), firewall.Resolvers{})
	assert.Equal(t, firewall.ReasonIPv6, e.Evaluate(firewall.Flow{Src: addr("fd00::1"), Dst: addr("2001:db8::1"), Proto: ipproto.TCP, DstPort: 1}).Reason)
	assert.Equal(t, firewall.ReasonInvalidFlow, e.Evaluate(firewall.Flow{}).Reason)
	v := e.Evaluate(firewall.Flow{Src: addr("::ffff:10.0.0.4"), Dst: addr("::ffff:20.1.1.1"), Proto: ipproto.TCP, DstPort: 1})
	assert.Equal(t, firewall.Allow, v.Action, "4-in-6 addresses are unmapped")
	assert.True(t, strings.HasPrefix(e.Explain(v), `Allow: network rule "pol/g/c/r" (Allow)`), e.Explain(v))
}

func TestEnumsRoundTrip(t *testing.T) {
	for _, a := range []firewall.Action{firewall.Allow, firewall.Deny, firewall.DNAT} {
		b, err := a.MarshalText()
		require.NoError(t, err)
		var back firewall.Action
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, a, back)
	}
	var k firewall.CollectionKind
	require.NoError(t, k.UnmarshalText([]byte("FirewallPolicyNatRuleCollection")))
	assert.Equal(t, firewall.KindNat, k)
	var p firewall.Protocol
	require.NoError(t, p.UnmarshalText([]byte("any")))
	assert.Equal(t, firewall.ProtocolAny, p)
	assert.Error(t, p.UnmarshalText([]byte("gre")))
	_, err := firewall.Protocol(9).MarshalText()
	assert.Error(t, err)
	assert.Equal(t, "DNS|Infrastructure", (firewall.FlagDNS | firewall.FlagInfrastructure).String())
}

// snat-private-range: SNATs follows the configured private ranges.
func TestSNATs(t *testing.T) {
	for _, tc := range []struct {
		ranges []string
		dst    string
		want   bool
	}{
		{nil, "10.1.2.3", false}, {nil, "52.1.2.3", true}, {nil, "100.64.0.1", false},
		{[]string{"0.0.0.0/0"}, "52.1.2.3", false},
		{[]string{"255.255.255.255/32"}, "10.1.2.3", true},
		{[]string{"IANAPrivateRanges", "52.0.0.0/8"}, "52.1.2.3", false},
	} {
		p := policy(group("g", 100))
		p.SNATPrivateRanges = tc.ranges
		e, err := firewall.Compile(p, firewall.Resolvers{})
		require.NoError(t, err)
		assert.Equal(t, tc.want, e.SNATs(netip.MustParseAddr(tc.dst)), "%v %s", tc.ranges, tc.dst)
	}
}
