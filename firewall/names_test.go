package firewall_test

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// TestLargePolicies holds the engine to the reference on policies of more
// than 4,096 rules of each type, where the rule sets span several summary
// words: 6,000 (-short: 4,200) application rules of five names (the
// benchmark's, plus a web-category rule, target URLs and a catch-all) and
// as many network rules of three FQDNs each, every seventh "c" FQDN
// unresolvable.
func TestLargePolicies(t *testing.T) {
	n, flows := 6000, 600
	if testing.Short() {
		n, flows = 4200, 150
	}
	r := rand.New(rand.NewPCG(6000, 1))
	seen := map[string]int{}
	check := func(what string, e *firewall.Engine, ref *fwref.Evaluator, f firewall.Flow) {
		t.Helper()
		got, want := result(e, e.Evaluate(f)), ref.Evaluate(f)
		if got != want {
			t.Fatalf("%s: Evaluate(%+v)\n got %v\nwant %v", what, f, got, want)
		}
		seen[what+" "+want.Reason.String()+"/"+want.Action.String()+"/"+want.Flags.String()]++
	}

	p := appNamesPolicy(n)
	web := appRule("web")
	web.TargetFqdns, web.WebCategories = nil, ss("Gambling")
	url := appRule("url")
	url.TargetFqdns, url.TargetURLs, url.TerminateTLS = nil, ss("*.com/a*", "api.site4100.com/b"), true
	p.RuleCollectionGroups[0].RuleCollections[3].ApplicationRules[1] = web // rule 3001
	p.RuleCollectionGroups[0].RuleCollections[4].ApplicationRules[7] = url // rule 4007
	p.RuleCollectionGroups = append(p.RuleCollectionGroups, group("rest", 200, appColl("all", 100, firewall.Deny, appRule("all", "*"))))
	e := compile(t, p, firewall.Resolvers{})
	ref, err := fwref.New(p, firewall.Resolvers{})
	require.NoError(t, err)
	for range flows {
		i := strconv.Itoa(r.IntN(n + 10))
		name := []string{"www.site" + i + ".com", "x.cdn" + i + ".net", "cdn" + i + ".net", "shopsite" + i + ".org", "ite" + i + ".org",
			"LOGIN.svc" + i + ".example.", "a.site" + i + ".com", "api.site" + i + ".com"}[r.IntN(8)]
		f := httpsFlow([]string{"10.1.2.3", "11.0.0.1"}[r.IntN(2)], "20.1.1.1", name)
		f.Path = []string{"", "/a", "/b"}[r.IntN(3)]
		check("app", e, ref, f)
	}

	p, res, _ := netFQDNPolicy(n)
	dns := res.DNS.(firewall.DNSMap)
	var addrs []netip.Addr
	for i := range n {
		for _, h := range []string{"a", "b", "c"} {
			name := h + strconv.Itoa(i) + ".svc.example"
			addrs = append(addrs, dns[name]...)
			if h == "c" && i%7 == 0 {
				delete(dns, name)
			}
		}
	}
	deny := p.RuleCollectionGroups[0].RuleCollections[0].NetworkRules
	deny[4100].DestinationAddresses = ss("20.0.0.0/8")
	p.RuleCollectionGroups[0].RuleCollections[0].NetworkRules = deny[:2000]
	p.RuleCollectionGroups[0].RuleCollections = append(p.RuleCollectionGroups[0].RuleCollections, netColl("allow-more", 150, firewall.Allow, deny[2000:]...))
	e = compile(t, p, res)
	ref, err = fwref.New(p, res)
	require.NoError(t, err)
	for range flows {
		f := firewall.Flow{Src: addr([]string{"10.1.2.3", "10.2.0.1"}[r.IntN(2)]), Dst: addrs[r.IntN(len(addrs))], Proto: ipproto.TCP, DstPort: 443}
		if r.IntN(4) == 0 {
			f.Dst = addr("21.0.0.1")
		}
		check("net", e, ref, f)
	}
	for _, o := range []string{"app ApplicationRule/Allow/", "app ApplicationRule/Deny/", "app ApplicationRule/Allow/Unknown",
		"app ApplicationRule/Deny/Unknown", "app ApplicationRule/Deny/Unknown", "net NetworkRule/Deny/DNS", "net NetworkRule/Allow/DNS|Unknown",
		"net NetworkRule/Allow/Unknown", "net DefaultDeny/Deny/Unknown"} {
		assert.NotZero(t, seen[o], "outcome %q never occurred; seen %v", o, seen)
	}
}

// TestWildcardsAmongManyRules checks the FAQ's wildcard table
// (https://learn.microsoft.com/azure/firewall/firewall-faq, "How do
// wildcards work in target URLs and target FQDNs in application rules?")
// when the patterns sit in different rules of one large policy: the first
// rule whose pattern matches decides, whatever the others.
func TestWildcardsAmongManyRules(t *testing.T) {
	var rules []firewall.ApplicationRule
	for i := range 3000 {
		rules = append(rules, appRule("filler-"+strconv.Itoa(i), "host"+strconv.Itoa(i)+".filler.example", "*.f"+strconv.Itoa(i)+".example"))
	}
	named := []struct{ rule, pattern string }{
		{"dot-contoso", "*.contoso.com"},
		{"contoso", "contoso.com"},
		{"star-contoso", "*contoso.com"},
		{"www", "WWW.Fabrikam.net."},
		{"tail", "*ntoso.org"},
		{"all", "*"},
	}
	for _, n := range named {
		rules = append(rules, appRule(n.rule, n.pattern))
	}
	e := compile(t, policy(group("g", 100, appColl("c", 100, firewall.Allow, rules...))), firewall.Resolvers{})
	for _, tc := range []struct{ name, rule string }{
		{"any.contoso.com", "dot-contoso"},
		{"sub1.any.contoso.com", "dot-contoso"},
		{"contoso.com", "contoso"},             // "*.contoso.com" does not match contoso.com
		{"CONTOSO.COM.", "contoso"},            // letter case and one trailing dot ignored
		{"anycontoso.com", "star-contoso"},     // "*contoso.com" matches inside a label
		{"th3re4lcontoso.com", "star-contoso"}, // the FAQ's warning
		{"example.anycontoso.com", "star-contoso"},
		{"www.fabrikam.net", "www"},
		{"www.fabrikam.net.", "www"},
		{"www.fabrikam.net..", "all"}, // only one trailing dot is ignored
		{"xwww.fabrikam.net", "all"},
		{"ntoso.org", "tail"},
		{"a.contoso.org", "tail"},
		{"toso.org", "all"},
		{"f12.example", "all"}, // "*.f12.example" needs a label before
		{"x.f12.example", "filler-12"},
		{"host2999.filler.example", "filler-2999"},
		{"host3000.filler.example", "all"},
		{".", ""}, // no name: not even "*"
		{"", ""},
	} {
		v := e.Evaluate(httpsFlow("10.0.0.4", "20.1.1.1", tc.name))
		got := ""
		if ri, ok := e.RuleOf(v); ok {
			got = ri.Rule
		}
		assert.Equal(t, tc.rule, got, "name %q", tc.name)
	}
}

// TestNoAllocsNames: Evaluate allocates nothing on the name paths — an
// exact name, a wildcard, a suffix inside a label, a miss, a target URL
// with and without the flow's path, an undecidable web category before the
// deciding rule — nor on network rules matched through DNS or after an
// unresolved FQDN.
func TestNoAllocsNames(t *testing.T) {
	p := appNamesPolicy(300)
	web := appRule("web")
	web.TargetFqdns, web.WebCategories = nil, ss("Gambling")
	url := appRule("url")
	url.TargetFqdns, url.TargetURLs, url.TerminateTLS = nil, ss("*.example.com/a*"), true
	net := firewall.NetworkRule{Name: "ntp", IPProtocols: []firewall.Protocol{firewall.ProtocolUDP}, SourceAddresses: star,
		DestinationFqdns: ss("time.windows.com", "unknown.example"), DestinationPorts: ss("123")}
	p.RuleCollectionGroups = append(p.RuleCollectionGroups,
		group("more", 200, appColl("web", 100, firewall.Deny, web), appColl("url", 200, firewall.Allow, url)),
		group("net", 300, netColl("ntp", 100, firewall.Allow, net)))
	p.DNSProxy = true
	e := compile(t, p, firewall.Resolvers{DNS: firewall.DNSMap{"time.windows.com": {addr("51.145.123.29")}}})
	withPath := func(f firewall.Flow, path string) firewall.Flow { f.Path = path; return f }
	udp := func(dst string) firewall.Flow {
		return firewall.Flow{Src: addr("10.0.0.4"), Dst: addr(dst), Proto: ipproto.UDP, DstPort: 123}
	}
	for _, tc := range []struct {
		f     firewall.Flow
		want  firewall.Reason
		flags firewall.Flags
	}{
		{httpsFlow("10.1.2.4", "20.1.1.1", "api.site299.com"), firewall.ReasonApplicationRule, 0},
		{httpsFlow("10.1.2.4", "20.1.1.1", "X.Y.CDN299.NET."), firewall.ReasonApplicationRule, 0},
		{httpsFlow("10.1.2.4", "20.1.1.1", "shopsite299.org"), firewall.ReasonApplicationRule, 0},
		{httpsFlow("10.1.2.4", "20.1.1.1", "www.site300.com"), firewall.ReasonDefaultDeny, firewall.FlagInfrastructure}, // the web category would deny too
		{withPath(httpsFlow("10.1.2.4", "20.1.1.1", "www.example.com"), "/a/b"), firewall.ReasonApplicationRule, firewall.FlagUnknown},
		{httpsFlow("10.1.2.4", "20.1.1.1", "www.example.com"), firewall.ReasonDefaultDeny, firewall.FlagUnknown | firewall.FlagInfrastructure},
		{httpsFlow("10.1.2.4", "20.1.1.1", ""), firewall.ReasonDefaultDeny, firewall.FlagInfrastructure},
		{udp("51.145.123.29"), firewall.ReasonNetworkRule, firewall.FlagDNS},
		{udp("51.145.123.30"), firewall.ReasonDefaultDeny, firewall.FlagUnknown},
	} {
		var v firewall.Verdict
		allocs := testing.AllocsPerRun(200, func() { v = e.Evaluate(tc.f) })
		assert.Zero(t, allocs, "Evaluate(%+v) allocates", tc.f)
		assert.Equal(t, tc.want, v.Reason, "Evaluate(%+v)", tc.f)
		assert.Equal(t, tc.flags, v.Flags, "Evaluate(%+v)", tc.f)
	}
}
