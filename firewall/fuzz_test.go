package firewall_test

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// FuzzEvaluate adds a collection built from fuzzed strings (an address
// item, a port item, an FQDN pattern and a target URL) to a seeded random
// policy. Compile must not panic; when it accepts the policy, the compiled
// engine and the reference must agree on the fuzzed flow and on random ones.
func FuzzEvaluate(f *testing.F) {
	f.Add(uint64(1), "10.0.0.0/8", "443", "*.contoso.com", "www.contoso.com/a/*", uint32(0x0a000004), uint32(0x14010101), uint8(6), uint16(443), uint8(2), "www.contoso.com", "/a/b")
	f.Add(uint64(2), "20.0.0.1-20.0.0.9", "80-90", "*contoso.com", "x.com", uint32(0x0a000004), uint32(0x14000005), uint8(17), uint16(85), uint8(1), "anycontoso.com", "")
	f.Add(uint64(3), "Storage", "*", "*", "*.fabrikam.net/a", uint32(0xcb007109), uint32(0x34010101), uint8(1), uint16(0), uint8(0), "", "")
	f.Add(uint64(4), "www.contoso.*", "0", "w*w.x", "https://x", uint32(1), uint32(2), uint8(50), uint16(1), uint8(3), "X.", "?")
	f.Fuzz(func(t *testing.T, seed uint64, addrItem, portItem, fqdn, url string, src, dst uint32, proto uint8, port uint16, app uint8, name, path string) {
		g := newGen(seed % 64)
		p := g.policy(int(seed%50) + 1)
		p.RuleCollectionGroups = append(p.RuleCollectionGroups, group("fuzz", 64999,
			netColl("fuzz-net", 100, firewall.Allow, netRule("n", anyP, []string{addrItem}, []string{addrItem, "52.1.1.0/24"}, []string{portItem})),
			appColl("fuzz-app", 200, firewall.Deny, firewall.ApplicationRule{Name: "a", SourceAddresses: star,
				Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTP, Port: 80}, {Type: firewall.AppHTTPS, Port: 443}}, TerminateTLS: true,
				TargetFqdns: []string{fqdn}, TargetURLs: []string{url}, ProtocolsUnknown: seed%3 == 0}),
		))
		// Values known after apply on the fuzzed network rule.
		fn := &p.RuleCollectionGroups[len(p.RuleCollectionGroups)-1].RuleCollections[0].NetworkRules[0]
		fn.SourcesUnknown, fn.PortsUnknown, fn.ProtocolsUnknown = seed%5 == 1, seed%7 == 1, seed%11 == 1
		e, err := firewall.Compile(p, g.res)
		if err != nil {
			return
		}
		ref, err := fwref.New(p, g.res)
		if err != nil {
			t.Fatalf("Compile accepted what the reference cannot parse: %v", err)
		}
		u4 := func(v uint32) netip.Addr {
			return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		}
		flows := []firewall.Flow{{Src: u4(src), Dst: u4(dst), Proto: ipproto.Proto(proto), DstPort: port,
			App: firewall.AppProtocolType(app % 4), Name: name, Path: path}}
		for range 50 {
			flows = append(flows, g.flow())
		}
		for _, fl := range flows {
			got, want := result(e, e.Evaluate(fl)), ref.Evaluate(fl)
			if got != want {
				t.Fatalf("Evaluate(%+v)\n got %v\nwant %v", fl, got, want)
			}
		}
		// Round trips of the enums in the fuzz body.
		pr := firewall.Protocol(proto%4 + 1)
		b, _ := pr.MarshalText()
		var back firewall.Protocol
		if err := back.UnmarshalText(b); err != nil || back != pr {
			t.Fatalf("Protocol round trip %v -> %q -> %v, %v", pr, b, back, err)
		}
	})
}

// FuzzNames builds application rules from a fuzzed list of target FQDN
// patterns (one a line; the invalid ones dropped) — alternately allowing
// and denying, and as the hosts of target URLs with a path — behind an
// optional web-category rule and before an optional catch-all "*", and
// holds the compiled engine equal to the reference on the fuzzed name and
// path and on names derived from the patterns: the suffix itself, one
// more or one less character in front, another letter case, a trailing
// dot (https://learn.microsoft.com/azure/firewall/firewall-faq, wildcards).
func FuzzNames(f *testing.F) {
	f.Add("*.contoso.com\n*contoso.com\ncontoso.com", "anycontoso.com", "/a", uint8(0))
	f.Add("*.contoso.com\nwww.contoso.com\n*", "contoso.com", "", uint8(1))
	f.Add("*contoso.com\n*.b.contoso.com\n*ntoso.com", "th3re4lcontoso.com", "/test/", uint8(2))
	f.Add("*\n*.\n*.x\n**x\nx.*", "X.", "/", uint8(7))
	f.Add("a\n*a\n*.a\n*-a\n*_a\n*1.a", "A.A", "/a?b", uint8(15))
	f.Add("WWW.CONTOSO.COM.\n*.Update.Microsoft.com", "fe2.update.microsoft.com.", "", uint8(12))
	f.Fuzz(func(t *testing.T, patterns, name, path string, shape uint8) {
		var pats []string
		for p := range strings.SplitSeq(patterns, "\n") {
			if len(pats) == 32 {
				break
			}
			if _, err := firewall.Compile(policy(group("g", 100, appColl("c", 100, firewall.Allow, appRule("r", p)))), firewall.Resolvers{}); err == nil {
				pats = append(pats, p)
			}
		}
		if len(pats) == 0 {
			return
		}
		var allow, deny, urls []firewall.ApplicationRule
		for i, p := range pats {
			r := appRule("r"+strconv.Itoa(i), p)
			if i%2 == 0 {
				allow = append(allow, r)
			} else {
				deny = append(deny, r)
			}
			if shape&1 != 0 {
				u := appRule("u" + strconv.Itoa(i))
				u.TargetFqdns, u.TargetURLs, u.TerminateTLS = nil, []string{strings.TrimSuffix(p, ".") + "/a*"}, true
				urls = append(urls, u)
			}
		}
		var cs []firewall.RuleCollection
		if shape&2 != 0 {
			web := appRule("web")
			web.TargetFqdns, web.WebCategories = nil, []string{"Gambling"}
			cs = append(cs, appColl("web", 100, []firewall.Action{firewall.Allow, firewall.Deny}[shape>>2&1], web))
		}
		if len(urls) > 0 {
			cs = append(cs, appColl("urls", 150, firewall.Deny, urls...))
		}
		if len(deny) > 0 {
			cs = append(cs, appColl("deny", 200+int(shape>>4&1)*200, firewall.Deny, deny...))
		}
		cs = append(cs, appColl("allow", 300, firewall.Allow, allow...))
		if shape&8 != 0 {
			cs = append(cs, appColl("rest", 500, firewall.Deny, appRule("all", "*")))
		}
		p := policy(group("g", 100, cs...))
		e, err := firewall.Compile(p, firewall.Resolvers{})
		if err != nil {
			t.Fatalf("Compile rejected valid patterns %q: %v", pats, err)
		}
		ref, err := fwref.New(p, firewall.Resolvers{})
		if err != nil {
			t.Fatal(err)
		}
		names := []string{name, strings.ToUpper(name), name + ".", ""}
		for _, p := range pats {
			x := strings.TrimPrefix(strings.TrimSuffix(p, "."), "*")
			names = append(names, x, "a"+x, "a."+x, x+".", strings.ToUpper(x))
			if len(x) > 1 {
				names = append(names, x[1:], x[:len(x)-1])
			}
		}
		for _, n := range names {
			for _, pa := range []string{path, ""} {
				fl := httpsFlow("10.0.0.4", "20.1.1.1", n)
				fl.Path = pa
				if got, want := result(e, e.Evaluate(fl)), ref.Evaluate(fl); got != want {
					t.Fatalf("patterns %q: Evaluate(name %q, path %q)\n got %v\nwant %v", pats, n, pa, got, want)
				}
			}
		}
	})
}
