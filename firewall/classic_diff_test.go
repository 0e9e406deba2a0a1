package firewall_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// classicApp keeps the fields of an application rule that classic rules
// have (https://learn.microsoft.com/rest/api/network/azure-firewalls/get,
// AzureFirewallApplicationRule): no URLs, web categories, TLS inspection or
// destination addresses.
func classicApp(r firewall.ApplicationRule) firewall.ClassicApplicationRule {
	c := firewall.ClassicApplicationRule{Name: r.Name, Protocols: r.Protocols, SourceAddresses: r.SourceAddresses,
		SourceIPGroups: r.SourceIPGroups, TargetFqdns: r.TargetFqdns, FqdnTags: r.FqdnTags}
	if len(c.TargetFqdns)+len(c.FqdnTags) == 0 {
		c.TargetFqdns = []string{"*.contoso.com"}
	}
	if len(c.SourceAddresses)+len(c.SourceIPGroups) == 0 { // the policy rule's sources were unknown
		c.SourceAddresses = []string{"10.0.0.0/8"}
	}
	return c
}

// classic makes a random valid firewall with about n classic rules: NAT,
// network and application collections in random order, with priorities
// unique within each type (and shared across types), from the same rule
// generators as the policies.
func (g *gen) classic(n int) *firewall.Classic {
	fw := &firewall.Classic{Name: "fw", DNSProxy: g.r.IntN(3) > 0}
	prios := [3][]int{g.r.Perm(600), g.r.Perm(600), g.r.Perm(600)}
	next := func(t int) int {
		p := prios[t][0]
		prios[t] = prios[t][1:]
		return 100 + p*100
	}
	actions := []firewall.Action{firewall.Allow, firewall.Deny}
	for n > 0 {
		k := 1 + g.r.IntN(min(n, 40))
		n -= k
		switch t := g.r.IntN(10); {
		case t < 2:
			c := firewall.ClassicNatRuleCollection{Name: g.name("c"), Priority: next(0), Action: firewall.NatDNAT}
			for range k {
				c.Rules = append(c.Rules, g.natRule())
			}
			fw.NatRuleCollections = append(fw.NatRuleCollections, c)
		case t < 6:
			c := firewall.ClassicNetworkRuleCollection{Name: g.name("c"), Priority: next(1), Action: actions[g.r.IntN(2)]}
			for range k {
				c.Rules = append(c.Rules, g.networkRule(fw.DNSProxy))
			}
			fw.NetworkRuleCollections = append(fw.NetworkRuleCollections, c)
		default:
			c := firewall.ClassicApplicationRuleCollection{Name: g.name("c"), Priority: next(2), Action: actions[g.r.IntN(2)]}
			for range k {
				c.Rules = append(c.Rules, classicApp(g.appRule()))
			}
			fw.ApplicationRuleCollections = append(fw.ApplicationRuleCollections, c)
		}
	}
	switch g.r.IntN(5) {
	case 1:
		fw.SNATPrivateRanges = []string{"IANAPrivateRanges", "20.0.0.0/8"}
	case 2:
		fw.SNATPrivateRanges = []string{"0.0.0.0/0"}
	case 3:
		fw.SNATPrivateRanges = []string{"255.255.255.255/32"}
	case 4:
		fw.SNATPrivateRanges = []string{"52.1.1.0/24", "10.1.2.3"}
	}
	return fw
}

// TestDifferentialClassic holds the engine compiled from classic rules equal
// to the reference evaluator's classic form (fwref.NewClassic, its own sort
// by type, collection priority and position) on seeded random firewalls and
// flows, and requires every outcome to occur: DNAT, network and
// application allows and denies, SNAT and no SNAT, the default deny, DNS
// and undecidable verdicts, IPv6.
func TestDifferentialClassic(t *testing.T) {
	firewalls, flows, maxRules := 150, 3000, 1200
	if testing.Short() {
		firewalls, flows, maxRules = 40, 1500, 400
	}
	stats := map[string]int{}
	for fi := range firewalls {
		g := newGen(uint64(1000 + fi))
		n := 1 + g.r.IntN(60)
		if fi%4 == 0 {
			n = maxRules/2 + g.r.IntN(maxRules/2)
		}
		fw := g.classic(n)
		e, err := firewall.CompileClassic(fw, g.res)
		require.NoError(t, err, "firewall %d", fi)
		ref, err := fwref.NewClassic(fw, g.res)
		require.NoError(t, err, "firewall %d", fi)
		for _, ri := range e.Rules() {
			require.True(t, ri.Classic, "%v", ri)
		}
		bad := 0
		for range flows {
			f := g.flow()
			got, want := result(e, e.Evaluate(f)), ref.Evaluate(f)
			for _, k := range outcomes(want) {
				stats[k]++
			}
			if got != want {
				bad++
				if bad <= 3 {
					t.Errorf("firewall %d (%d rules): Evaluate(%+v)\n got %v\nwant %v", fi, e.Len(), f, got, want)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("firewall %d: %d disagreements", fi, bad)
		}
	}
	for _, want := range []string{"NatRule/Dnat", "NetworkRule/Allow/SNAT", "NetworkRule/Allow/noSNAT", "NetworkRule/Deny",
		"ApplicationRule/Allow/SNAT", "ApplicationRule/Deny", "DefaultDeny/Deny", "IPv6/Deny", "flag:DNS", "flag:Unknown", "flag:Infrastructure"} {
		if stats[want] == 0 {
			t.Errorf("outcome %s never occurred; outcomes %v", want, stats)
		}
	}
	t.Logf("outcomes %v", stats)
}

// outcomes buckets a result for TestDifferentialClassic's coverage check:
// reason and action (and SNAT for allows), and each flag.
func outcomes(r fwref.Result) []string {
	k := r.Reason.String() + "/" + r.Action.String()
	if r.Action == firewall.Allow {
		if r.SNAT {
			k += "/SNAT"
		} else {
			k += "/noSNAT"
		}
	}
	keys := []string{k}
	if r.Flags != 0 {
		for _, f := range strings.Split(r.Flags.String(), "|") {
			keys = append(keys, "flag:"+f)
		}
	}
	return keys
}

// FuzzEvaluateClassic adds collections built from fuzzed strings to a seeded
// random classic firewall. CompileClassic must not panic; when it accepts
// the firewall, the compiled engine and the reference must agree.
func FuzzEvaluateClassic(f *testing.F) {
	f.Add(uint64(1), "10.0.0.0/8", "443", "*.contoso.com", uint32(0x0a000004), uint32(0x14010101), uint8(6), uint16(443), uint8(2), "www.contoso.com")
	f.Add(uint64(2), "20.0.0.1-20.0.0.9", "80-90", "*contoso.com", uint32(0x0a000004), uint32(0x14000005), uint8(17), uint16(85), uint8(1), "anycontoso.com")
	f.Add(uint64(3), "52.1.1.1", "*", "*", uint32(0xcb007109), uint32(0x34010101), uint8(6), uint16(3389), uint8(0), "")
	f.Add(uint64(4), "Storage", "0", "w*w.x", uint32(1), uint32(2), uint8(50), uint16(1), uint8(3), "X.")
	f.Fuzz(func(t *testing.T, seed uint64, addrItem, portItem, fqdn string, src, dst uint32, proto uint8, port uint16, app uint8, name string) {
		g := newGen(seed % 64)
		fw := g.classic(int(seed%50) + 1)
		fw.NetworkRuleCollections = append(fw.NetworkRuleCollections, firewall.ClassicNetworkRuleCollection{Name: "fuzz-net", Priority: 64900, Action: firewall.Allow,
			Rules: []firewall.NetworkRule{netRule("n", anyP, []string{addrItem}, []string{addrItem, "52.1.1.0/24"}, []string{portItem})}})
		fw.ApplicationRuleCollections = append(fw.ApplicationRuleCollections, firewall.ClassicApplicationRuleCollection{Name: "fuzz-app", Priority: 64900, Action: firewall.Deny,
			Rules: []firewall.ClassicApplicationRule{{Name: "a", SourceAddresses: star,
				Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTP, Port: 80}, {Type: firewall.AppHTTPS, Port: 443}}, TargetFqdns: []string{fqdn}}}})
		fw.NatRuleCollections = append(fw.NatRuleCollections, firewall.ClassicNatRuleCollection{Name: "fuzz-nat", Priority: 64900, Action: firewall.NatDNAT,
			Rules: []firewall.NatRule{{Name: "d", IPProtocols: tcp, SourceAddresses: []string{addrItem}, DestinationAddresses: []string{"52.1.1.9"},
				DestinationPorts: []string{portItem}, TranslatedAddress: "10.1.0.9", TranslatedPort: "8443"}}})
		e, err := firewall.CompileClassic(fw, g.res)
		if err != nil {
			return
		}
		ref, err := fwref.NewClassic(fw, g.res)
		if err != nil {
			t.Fatalf("CompileClassic accepted what the reference cannot parse: %v", err)
		}
		u4 := func(v uint32) netip.Addr {
			return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		}
		flows := []firewall.Flow{{Src: u4(src), Dst: u4(dst), Proto: ipproto.Proto(proto), DstPort: port, App: firewall.AppProtocolType(app % 4), Name: name}}
		for range 50 {
			flows = append(flows, g.flow())
		}
		for _, fl := range flows {
			if got, want := result(e, e.Evaluate(fl)), ref.Evaluate(fl); got != want {
				t.Fatalf("Evaluate(%+v)\n got %v\nwant %v", fl, got, want)
			}
		}
		var a firewall.NatAction
		if b, err := firewall.NatDNAT.MarshalText(); err != nil || a.UnmarshalText(b) != nil || a != firewall.NatDNAT {
			t.Fatalf("NatAction round trip: %q %v %v", b, a, err)
		}
	})
}
