package firewall_test

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// The benchmarks follow the nsg package's methodology (perf.md): n network
// rules, each denying TCP/UDP from {172.16.0.0/12, 10.1.0.0/16} to 4 random
// public prefixes that avoid 203.0.113.0/24, and a last rule allowing TCP
// 443 to 203.0.113.0/24; the hit flow 10.1.2.4 → 203.0.113.77:443 matches
// only the last rule, the miss flow (port 8443) none. Ratios are to L, one
// bart.Table[int].Lookup on a 400-prefix IPv4 table plus 0.0.0.0/0,
// measured in the same run.

var (
	sinkVerdict firewall.Verdict
	benchHit    = tcpFlow("10.1.2.4", "203.0.113.77", 443)
	benchMiss   = tcpFlow("10.1.2.4", "203.0.113.77", 8443)
)

func benchPolicy(n int) *firewall.Policy {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	avoid := netip.MustParsePrefix("203.0.113.0/24")
	var deny []firewall.NetworkRule
	for i := range n - 1 {
		var dst []string
		for len(dst) < 4 {
			a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(222)), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
			p := netip.PrefixFrom(a, 8+r.IntN(25)).Masked()
			if p.Overlaps(avoid) {
				continue
			}
			dst = append(dst, p.String())
		}
		deny = append(deny, netRule("deny-"+strconv.Itoa(i), []firewall.Protocol{firewall.ProtocolTCP, firewall.ProtocolUDP},
			ss("172.16.0.0/12", "10.1.0.0/16"), dst, ss(strconv.Itoa(1+r.IntN(1024)), "1024-2048")))
	}
	allow := netRule("allow-web", tcp, ss("172.16.0.0/12", "10.1.0.0/16"), ss("203.0.113.0/24"), ss("443"))
	return policy(group("g", 100, netColl("deny", 100, firewall.Deny, deny...), netColl("allow", 200, firewall.Allow, allow)))
}

// BenchmarkL is the calibration unit: one bart lookup on a 400-prefix table.
func BenchmarkL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchl.Hot(0)
	}
}

// BenchmarkEvaluate measures Evaluate on network-rule flows at 10, 100 and
// 1,000 rules, hit and miss, and reports the ratio to L as "xL".
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		e := compile(b, benchPolicy(n), firewall.Resolvers{})
		for _, c := range []struct {
			name string
			f    firewall.Flow
		}{{"hit", benchHit}, {"miss", benchMiss}} {
			b.Run(strconv.Itoa(n)+"/"+c.name, func(b *testing.B) {
				if v := e.Evaluate(c.f); (c.name == "hit") != (v.Action == firewall.Allow) {
					b.Fatalf("unexpected verdict %+v", v)
				}
				b.ReportAllocs()
				for b.Loop() {
					sinkVerdict = e.Evaluate(c.f)
				}
				b.ReportMetric(benchl.Ratio(20000, func(int) { sinkVerdict = e.Evaluate(c.f) }, benchl.Hot), "xL")
			})
		}
	}
}

// BenchmarkEvaluateApp measures an HTTPS flow through 100 network rules
// that miss and 100 application rules, the last of which matches.
func BenchmarkEvaluateApp(b *testing.B) {
	p := benchPolicy(100)
	var apps []firewall.ApplicationRule
	for i := range 99 {
		apps = append(apps, appRule("app-"+strconv.Itoa(i), "*.site"+strconv.Itoa(i)+".example", "www.site"+strconv.Itoa(i)+".com"))
	}
	apps = append(apps, appRule("contoso", "*.contoso.com"))
	p.RuleCollectionGroups = append(p.RuleCollectionGroups, group("apps", 200, appColl("apps", 100, firewall.Allow, apps...)))
	e := compile(b, p, firewall.Resolvers{})
	f := httpsFlow("10.1.2.4", "20.1.1.1", "www.contoso.com")
	if v := e.Evaluate(f); v.Reason != firewall.ReasonApplicationRule {
		b.Fatalf("unexpected verdict %+v", v)
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkVerdict = e.Evaluate(f)
	}
}

// BenchmarkReference is the reference evaluator on the 1,000-rule policy,
// for scale.
func BenchmarkReference(b *testing.B) {
	ref, err := fwref.New(benchPolicy(1000), firewall.Resolvers{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = ref.Evaluate(benchHit)
	}
}

// BenchmarkCompile measures Compile at 1,000 rules.
func BenchmarkCompile(b *testing.B) {
	p := benchPolicy(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := firewall.Compile(p, firewall.Resolvers{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoAllocs: Evaluate allocates nothing for network-rule flows (and
// for application flows), whatever the verdict.
func TestNoAllocs(t *testing.T) {
	p := benchPolicy(300)
	p.RuleCollectionGroups = append(p.RuleCollectionGroups,
		group("nat", 300, natColl("dnat", 100, firewall.NatRule{Name: "d", IPProtocols: tcp, SourceAddresses: star,
			DestinationAddresses: ss("52.1.1.1"), DestinationPorts: ss("443"), TranslatedAddress: "10.0.0.4", TranslatedPort: "443"})),
		group("apps", 400, appColl("apps", 100, firewall.Allow, appRule("contoso", "*.contoso.com"))))
	e := compile(t, p, firewall.Resolvers{})
	for _, tc := range []struct {
		f    firewall.Flow
		want firewall.Reason
	}{
		{benchHit, firewall.ReasonNetworkRule},
		{benchMiss, firewall.ReasonDefaultDeny},
		{tcpFlow("203.0.113.9", "52.1.1.1", 443), firewall.ReasonNatRule},
		{firewall.Flow{Src: addr("10.1.2.4"), Dst: addr("8.8.8.8"), Proto: ipproto.ICMP}, firewall.ReasonDefaultDeny},
		{httpsFlow("10.1.2.4", "20.1.1.1", "WWW.Contoso.com."), firewall.ReasonApplicationRule},
		{firewall.Flow{Src: addr("fd00::1"), Dst: addr("fd00::2"), Proto: ipproto.TCP}, firewall.ReasonIPv6},
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
