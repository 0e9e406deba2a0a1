package firewall_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
)

func netColl2(name string, prio int, a firewall.Action, rules ...firewall.NetworkRule) firewall.ClassicNetworkRuleCollection {
	return firewall.ClassicNetworkRuleCollection{Name: name, Priority: prio, Action: a, Rules: rules}
}

func appColl2(name string, prio int, a firewall.Action, rules ...firewall.ClassicApplicationRule) firewall.ClassicApplicationRuleCollection {
	return firewall.ClassicApplicationRuleCollection{Name: name, Priority: prio, Action: a, Rules: rules}
}

func natColl2(name string, prio int, rules ...firewall.NatRule) firewall.ClassicNatRuleCollection {
	return firewall.ClassicNatRuleCollection{Name: name, Priority: prio, Action: firewall.NatDNAT, Rules: rules}
}

func classicAppRule(name string, protos []firewall.AppProtocol, fqdns ...string) firewall.ClassicApplicationRule {
	return firewall.ClassicApplicationRule{Name: name, SourceAddresses: star, Protocols: protos, TargetFqdns: fqdns}
}

var httpAndHTTPS = []firewall.AppProtocol{{Type: firewall.AppHTTP, Port: 80}, {Type: firewall.AppHTTPS, Port: 443}}

func compileClassic(t *testing.T, fw *firewall.Classic) *firewall.Engine {
	t.Helper()
	e, err := firewall.CompileClassic(fw, firewall.Resolvers{})
	require.NoError(t, err)
	return e
}

// rule-processing, "Rule processing using classic rules", Example 1: the
// connection to google.com is allowed because it matches the Allow-web
// network rule, before the Deny-google application rule is reached
// (https://learn.microsoft.com/azure/firewall/rule-processing#example-1).
func TestClassicRuleProcessingExample1(t *testing.T) {
	e := compileClassic(t, &firewall.Classic{Name: "fw",
		NetworkRuleCollections: []firewall.ClassicNetworkRuleCollection{netColl2("Network-collection", 100, firewall.Allow,
			netRule("Allow-web", tcp, star, star, ss("80", "443")))},
		ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{appColl2("Application-collection", 100, firewall.Deny,
			classicAppRule("Deny-google", httpAndHTTPS, "google.com"))},
	})
	for _, f := range []firewall.Flow{httpsFlow("10.0.0.4", "142.250.64.78", "google.com"), func() firewall.Flow {
		f := tcpFlow("10.0.0.4", "142.250.64.78", 80)
		f.App, f.Name = firewall.AppHTTP, "google.com"
		return f
	}()} {
		v := e.Evaluate(f)
		assert.Equal(t, firewall.Allow, v.Action, "%+v", f)
		assert.Equal(t, firewall.ReasonNetworkRule, v.Reason)
		assert.Equal(t, "fw/Network-collection/Allow-web", ruleName(e, v), "rule processing stops at the network rule")
	}
	// Without the network rule, the application rule denies it.
	e = compileClassic(t, &firewall.Classic{Name: "fw",
		ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{appColl2("Application-collection", 100, firewall.Deny,
			classicAppRule("Deny-google", httpAndHTTPS, "google.com"))},
	})
	v := e.Evaluate(httpsFlow("10.0.0.4", "142.250.64.78", "google.com"))
	assert.Equal(t, "fw/Application-collection/Deny-google", ruleName(e, v))
	assert.Equal(t, firewall.Deny, v.Action)
}

// rule-processing, classic Example 2: SSH is denied because the Deny
// collection has the higher priority (100) than the Allow collection (200),
// whatever their order in the list
// (https://learn.microsoft.com/azure/firewall/rule-processing#example-2).
func TestClassicRuleProcessingExample2(t *testing.T) {
	e := compileClassic(t, &firewall.Classic{Name: "fw", NetworkRuleCollections: []firewall.ClassicNetworkRuleCollection{
		netColl2("Allow-collection", 200, firewall.Allow, netRule("Allow-SSH", tcp, star, star, ss("22"))),
		netColl2("Deny-collection", 100, firewall.Deny, netRule("Deny-SSH", tcp, star, star, ss("22"))),
	}})
	v := e.Evaluate(tcpFlow("10.0.0.4", "20.1.1.1", 22))
	assert.Equal(t, firewall.Deny, v.Action)
	ri := mustRule(t, e, v)
	assert.Equal(t, "fw/Deny-collection/Deny-SSH", ri.Path())
	assert.True(t, ri.Classic)
	assert.Equal(t, 1, ri.CollectionIndex, "the position in networkRuleCollections")
	assert.Equal(t, 100, ri.CollectionPriority)
	assert.Equal(t, -1, ri.GroupIndex)
	assert.Equal(t, "", ri.Group)
	assert.Equal(t, `network rule "fw/Deny-collection/Deny-SSH" (Deny)`, ri.String())
	assert.Equal(t, `Deny: network rule "fw/Deny-collection/Deny-SSH" (Deny): a network rule matched`, e.Explain(v))
	var order []string
	for _, r := range e.Rules() {
		order = append(order, r.Collection)
	}
	assert.Equal(t, []string{"Deny-collection", "Allow-collection"}, order)
}

// rule-processing: NAT rules are applied before network rules; a DNAT match
// is translated and allowed and "isn't subject to any further processing by
// other network rules"; network rules come before application rules
// whatever the collection priorities, which order each type on its own
// (https://learn.microsoft.com/azure/firewall/rule-processing#dnat-rules-and-network-rules).
func TestClassicTypeOrderBeatsPriority(t *testing.T) {
	fw := &firewall.Classic{Name: "fw",
		ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{
			appColl2("apps", 100, firewall.Allow, classicAppRule("web", httpAndHTTPS, "*.contoso.com"))},
		NetworkRuleCollections: []firewall.ClassicNetworkRuleCollection{
			netColl2("deny-all", 65000, firewall.Deny, netRule("all", anyP, star, star, star))},
		NatRuleCollections: []firewall.ClassicNatRuleCollection{natColl2("dnat", 65000, firewall.NatRule{Name: "rdp", IPProtocols: tcp,
			SourceAddresses: star, DestinationAddresses: ss("52.1.1.1"), DestinationPorts: ss("3389"), TranslatedAddress: "10.0.1.4", TranslatedPort: "3389"})},
	}
	e := compileClassic(t, fw)
	v := e.Evaluate(tcpFlow("203.0.113.9", "52.1.1.1", 3389))
	assert.Equal(t, firewall.DNAT, v.Action)
	assert.Equal(t, "10.0.1.4:3389", v.Translated.String())
	assert.Equal(t, "fw/dnat/rdp", ruleName(e, v))
	v = e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", "www.contoso.com"))
	assert.Equal(t, firewall.Deny, v.Action, "the network deny comes before the application allow")
	assert.Equal(t, firewall.ReasonNetworkRule, v.Reason)
	var types []firewall.RuleType
	for _, r := range e.Rules() {
		types = append(types, r.Type)
	}
	assert.Equal(t, []firewall.RuleType{firewall.RuleTypeNat, firewall.RuleTypeNetwork, firewall.RuleTypeApplication}, types)
}

// The REST API's AzureFirewallGet example
// (azure-rest-api-specs .../stable/2024-05-01/examples/AzureFirewallGet.json)
// has a NAT and a network collection of the same priority, 112: priorities
// are unique within a type only. Its network rule with destination FQDNs
// needs DNS proxy (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules).
func TestClassicRESTExample(t *testing.T) {
	fw := &firewall.Classic{Name: "azurefirewall",
		ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{appColl2("apprulecoll", 110, firewall.Deny,
			firewall.ClassicApplicationRule{Name: "rule1", Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}},
				TargetFqdns: ss("www.test.com"), SourceAddresses: ss("216.58.216.164", "10.0.0.0/24")})},
		NatRuleCollections: []firewall.ClassicNatRuleCollection{natColl2("natrulecoll", 112,
			firewall.NatRule{Name: "DNAT-HTTPS-traffic", SourceAddresses: star, DestinationAddresses: ss("1.2.3.4"), DestinationPorts: ss("443"),
				IPProtocols: tcp, TranslatedAddress: "1.2.3.5", TranslatedPort: "8443"},
			firewall.NatRule{Name: "DNAT-HTTP-traffic-With-FQDN", SourceAddresses: star, DestinationAddresses: ss("1.2.3.4"), DestinationPorts: ss("80"),
				IPProtocols: tcp, TranslatedFqdn: "internalhttpserver", TranslatedPort: "880"})},
		NetworkRuleCollections: []firewall.ClassicNetworkRuleCollection{netColl2("netrulecoll", 112, firewall.Deny,
			firewall.NetworkRule{Name: "L4-traffic", SourceAddresses: ss("192.168.1.1-192.168.1.12", "10.1.4.12-10.1.4.255"),
				DestinationPorts: ss("443-444", "8443"), DestinationAddresses: star, IPProtocols: tcp},
			firewall.NetworkRule{Name: "L4-traffic-with-FQDN", SourceAddresses: ss("10.2.4.12-10.2.4.255"),
				DestinationPorts: ss("443-444", "8443"), DestinationFqdns: ss("www.amazon.com"), IPProtocols: tcp})},
	}
	_, err := firewall.CompileClassic(fw, firewall.Resolvers{})
	require.ErrorIs(t, err, firewall.ErrDNSProxy)
	assert.EqualError(t, err, `firewall "azurefirewall": network rule collection "netrulecoll" (#0): rule "L4-traffic-with-FQDN" (#1): destinationFqdns: DNS proxy required: `+
		`FQDNs in network rules need DNS proxy (additionalProperties "Network.DNS.EnableProxy": "true") enabled (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules)`)

	fw.DNSProxy = true
	dns := firewall.DNSMap{"www.amazon.com": {addr("52.94.236.248")}, "internalhttpserver": {addr("10.0.2.9")}}
	e, err := firewall.CompileClassic(fw, firewall.Resolvers{DNS: dns})
	require.NoError(t, err)
	v := e.Evaluate(tcpFlow("10.1.4.20", "8.8.8.8", 444))
	assert.Equal(t, "azurefirewall/netrulecoll/L4-traffic", ruleName(e, v))
	assert.Equal(t, firewall.Deny, v.Action)
	v = e.Evaluate(tcpFlow("10.2.4.20", "52.94.236.248", 8443))
	assert.Equal(t, "azurefirewall/netrulecoll/L4-traffic-with-FQDN", ruleName(e, v))
	assert.Equal(t, firewall.FlagDNS, v.Flags)
	v = e.Evaluate(tcpFlow("203.0.113.5", "1.2.3.4", 80))
	assert.Equal(t, firewall.DNAT, v.Action)
	assert.Equal(t, "10.0.2.9:880", v.Translated.String())
	assert.Equal(t, firewall.FlagDNS, v.Flags, "the translated FQDN resolved through DNS")
	v = e.Evaluate(httpsFlow("10.0.0.7", "20.1.1.1", "www.test.com"))
	assert.Equal(t, "azurefirewall/apprulecoll/rule1", ruleName(e, v))
	assert.Equal(t, firewall.Deny, v.Action)
}

// The classic SNAT private ranges (additionalProperties
// "Network.SNAT.PrivateRanges") decide SNAT as a policy's snat.privateRanges
// do (https://learn.microsoft.com/azure/firewall/snat-private-range).
func TestClassicSNATPrivateRanges(t *testing.T) {
	mk := func(ranges []string) *firewall.Engine {
		return compileClassic(t, &firewall.Classic{Name: "fw", SNATPrivateRanges: ranges,
			NetworkRuleCollections: []firewall.ClassicNetworkRuleCollection{netColl2("n", 100, firewall.Allow, netRule("n", tcp, star, star, ss("22")))},
			ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{appColl2("a", 100, firewall.Allow,
				classicAppRule("a", httpAndHTTPS, "*"))}})
	}
	for _, tc := range []struct {
		ranges []string
		dst    string
		want   bool
	}{
		{nil, "10.1.2.3", false},
		{nil, "20.1.1.1", true},
		{ss("IANAPrivateRanges", "20.0.0.0/8"), "20.1.1.1", false},
		{ss("20.0.0.0/8"), "10.1.1.1", true},
		{ss("0.0.0.0/0"), "8.8.8.8", false},
		{ss("255.255.255.255/32"), "10.1.1.1", true},
	} {
		e := mk(tc.ranges)
		v := e.Evaluate(tcpFlow("10.0.0.4", tc.dst, 22))
		require.Equal(t, firewall.Allow, v.Action)
		assert.Equal(t, tc.want, v.SNAT, "ranges %q dst %s", tc.ranges, tc.dst)
		assert.True(t, e.Evaluate(httpsFlow("10.0.0.4", tc.dst, "x.example")).SNAT, "application rules always SNAT")
	}
	_, err := firewall.CompileClassic(&firewall.Classic{Name: "fw", SNATPrivateRanges: ss("10.0.0.0/33")}, firewall.Resolvers{})
	assert.ErrorIs(t, err, firewall.ErrSNAT)
	assert.ErrorContains(t, err, `firewall "fw": additionalProperties["Network.SNAT.PrivateRanges"][0] "10.0.0.0/33": invalid SNAT private range`)
}

// TestClassicErrors feeds a firewall with many problems; each is reported
// with the ARM path of its field, its category and the classic limits
// (names and priorities per https://learn.microsoft.com/azure/firewall/rule-processing,
// unique within each type; NAT collections' action Dnat).
func TestClassicErrors(t *testing.T) {
	fw := &firewall.Classic{Name: "fw",
		NatRuleCollections: []firewall.ClassicNatRuleCollection{
			{Name: "snat", Priority: 100, Action: firewall.NatSNAT},
			{Name: "none", Priority: 200},
			natColl2("dnat", 300, firewall.NatRule{Name: "icmp", IPProtocols: []firewall.Protocol{firewall.ProtocolICMP}, SourceAddresses: star,
				DestinationAddresses: ss("52.1.1.1"), DestinationPorts: ss("80"), TranslatedAddress: "10.0.0.4", TranslatedPort: "80"}),
		},
		NetworkRuleCollections: []firewall.ClassicNetworkRuleCollection{
			netColl2("net", 99, firewall.Allow),
			netColl2("NET", 200, firewall.DNAT),
			netColl2("net3", 200, firewall.Allow, netRule("r", tcp, star, star, ss("*")), netRule("bad", []firewall.Protocol{0}, star, star, ss("443", "0"))),
		},
		ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{
			appColl2("net", 100, firewall.Allow, firewall.ClassicApplicationRule{Name: "a", SourceAddresses: star,
				Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 0}}, TargetFqdns: ss("www.contoso.*")}),
			appColl2(strings.Repeat("x", 81), 65001, firewall.Allow),
		},
	}
	_, err := firewall.CompileClassic(fw, firewall.Resolvers{})
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`firewall "fw": NAT rule collection "snat" (#0): action.type "Snat": invalid rule collection: the REST API lists Snat, but Azure documents NAT rule collections only as DNAT`,
		`firewall "fw": NAT rule collection "none" (#1): action.type "NatAction(0)": invalid rule collection: a NAT collection's action is Dnat`,
		`NAT rule collection "none" (#1): action.type`,
		`rule "icmp" (#0): protocols[0] "ICMP": invalid protocol: DNAT rules translate TCP and UDP only`,
		`network rule collection "net" (#0): priority "99": invalid priority: outside 100..65000`,
		`network rule collection "NET" (#1): name "NET": duplicate: same name as network collection #0`,
		`network rule collection "NET" (#1): action.type "Dnat": invalid rule collection: a network or application collection's action is Allow or Deny`,
		`network rule collection "net3" (#2): priority "200": duplicate: same priority as network collection #1`,
		`rule "bad" (#1): protocols[0] "Protocol(0)": invalid protocol`,
		`rule "bad" (#1): destinationPorts[1] "0": invalid port: 0 is outside 1..65535`,
		`rule "a" (#0): protocols[0].port "0": invalid port: outside 1..64000`,
		`rule "a" (#0): targetFqdns[0] "www.contoso.*": invalid FQDN`,
		`application rule collection "xxxxxxxx`,
		`(#1): priority "65001": invalid priority`,
	} {
		assert.Contains(t, msg, want)
	}
	assert.NotContains(t, msg, `application rule collection "net" (#0): name`, "names are unique per type: an application collection may share a network collection's name")
	assert.NotContains(t, msg, `application rule collection "net" (#0): priority`, "priorities are unique per type")
	var fe *firewall.Error
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, `firewall "fw"`, fe.Resource)
	assert.Equal(t, "natRuleCollections", fe.Items[0].List)
	assert.Equal(t, -1, fe.Index("ruleCollectionGroups"))
	for _, kind := range []error{firewall.ErrKind, firewall.ErrPriority, firewall.ErrDuplicate, firewall.ErrProtocol, firewall.ErrPort, firewall.ErrFQDN, firewall.ErrName} {
		assert.ErrorIs(t, err, kind)
	}
	if t.Failed() {
		t.Log(msg)
	}

	_, err = firewall.CompileClassic(nil, firewall.Resolvers{})
	assert.EqualError(t, err, `firewall "": missing field: nil firewall`)
	_, err = firewall.CompileClassic(&firewall.Classic{}, firewall.Resolvers{})
	assert.EqualError(t, err, `firewall "": name: missing field: the firewall needs a name`)
}

// A firewall without any classic collection denies everything (the default
// deny of https://learn.microsoft.com/azure/firewall/rule-processing).
func TestClassicEmptyDeniesAll(t *testing.T) {
	e := compileClassic(t, &firewall.Classic{Name: "fw"})
	assert.Equal(t, 0, e.Len())
	assert.Equal(t, "fw", e.Name())
	v := e.Evaluate(tcpFlow("10.0.0.4", "20.1.1.1", 443))
	assert.Equal(t, firewall.Verdict{Action: firewall.Deny, Reason: firewall.ReasonDefaultDeny, Rule: -1}, v)
}

// TestNoAllocsClassic: Evaluate on an engine compiled from classic rules
// allocates nothing either.
func TestNoAllocsClassic(t *testing.T) {
	p := benchPolicy(300)
	fw := &firewall.Classic{Name: "fw",
		NatRuleCollections: []firewall.ClassicNatRuleCollection{natColl2("dnat", 100, firewall.NatRule{Name: "d", IPProtocols: tcp, SourceAddresses: star,
			DestinationAddresses: ss("52.1.1.1"), DestinationPorts: ss("443"), TranslatedAddress: "10.0.0.4", TranslatedPort: "443"})},
		ApplicationRuleCollections: []firewall.ClassicApplicationRuleCollection{appColl2("apps", 100, firewall.Allow,
			classicAppRule("contoso", httpAndHTTPS, "*.contoso.com"))},
	}
	for _, c := range p.RuleCollectionGroups[0].RuleCollections {
		fw.NetworkRuleCollections = append(fw.NetworkRuleCollections, netColl2(c.Name, c.Priority, c.Action, c.NetworkRules...))
	}
	e := compileClassic(t, fw)
	for _, tc := range []struct {
		f    firewall.Flow
		want firewall.Reason
	}{
		{benchHit, firewall.ReasonNetworkRule},
		{benchMiss, firewall.ReasonDefaultDeny},
		{tcpFlow("203.0.113.9", "52.1.1.1", 443), firewall.ReasonNatRule},
		{firewall.Flow{Src: addr("10.1.2.4"), Dst: addr("8.8.8.8"), Proto: ipproto.ICMP}, firewall.ReasonDefaultDeny},
		{httpsFlow("10.1.2.4", "20.1.1.1", "WWW.Contoso.com."), firewall.ReasonApplicationRule},
	} {
		var v firewall.Verdict
		allocs := testing.AllocsPerRun(200, func() { v = e.Evaluate(tc.f) })
		if allocs != 0 {
			t.Errorf("Evaluate(%+v) allocates %v times", tc.f, allocs)
		}
		if v.Reason != tc.want {
			t.Errorf("Evaluate(%+v).Reason = %v, want %v", tc.f, v.Reason, tc.want)
		}
	}
}
