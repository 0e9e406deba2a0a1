package firewall_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/firewall/internal/fwref"
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
				TargetFqdns: []string{fqdn}, TargetURLs: []string{url}}),
		))
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
