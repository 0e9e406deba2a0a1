package firewall_test

import (
	"net/netip"
	"runtime"
	"strconv"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/ipproto"
)

// appNamesPolicy is n application rules of five names each (10,000 rules:
// 50,000 names), as an FQDN allow-list of a regulated team looks: rule i
// allows www.site<i>.com, api.site<i>.com, *.cdn<i>.net, *site<i>.org and
// login.svc<i>.example over HTTPS 443 and HTTP 80 from 10.0.0.0/8, in
// collections of 1,000 rules alternating Deny and Allow, the last one
// Allow. A flow naming the last rule's names matches only that rule.
func appNamesPolicy(n int) *firewall.Policy {
	var cs []firewall.RuleCollection
	for lo := 0; lo < n; lo += 1000 {
		hi := min(n, lo+1000)
		var rules []firewall.ApplicationRule
		for i := lo; i < hi; i++ {
			s := strconv.Itoa(i)
			r := appRule("app-"+s, "www.site"+s+".com", "api.site"+s+".com", "*.cdn"+s+".net", "*site"+s+".org", "login.svc"+s+".example")
			r.SourceAddresses = ss("10.0.0.0/8")
			rules = append(rules, r)
		}
		a := firewall.Allow
		if (n-1-lo)/1000%2 == 1 {
			a = firewall.Deny
		}
		cs = append(cs, appColl("apps-"+strconv.Itoa(lo), 100+lo/1000, a, rules...))
	}
	return policy(group("apps", 100, cs...))
}

// appNameFlows are the flows of the application benchmarks for n rules:
// the last rule's exact name, a name under its "*.cdn<i>.net", a name
// that only its "*site<i>.org" matches (not label-aligned), and a name no
// rule matches.
func appNameFlows(n int) []struct {
	name string
	f    firewall.Flow
} {
	s := strconv.Itoa(n - 1)
	mk := func(name string) firewall.Flow { return httpsFlow("10.1.2.4", "20.1.1.1", name) }
	return []struct {
		name string
		f    firewall.Flow
	}{
		{"exact", mk("api.site" + s + ".com")},
		{"wildcard", mk("x.y.cdn" + s + ".net")},
		{"suffix", mk("shopsite" + s + ".org")},
		{"miss", mk("www.site" + strconv.Itoa(n) + ".com")},
	}
}

// BenchmarkEvaluateAppNames measures Evaluate on application-rule flows
// at 100, 1,000 and 10,000 rules of five names (500 to 50,000 names), the
// last rule matching by an exact name, a "*.x" wildcard or a "*x" suffix,
// or no rule matching; it reports the ratio to L as "xL".
func BenchmarkEvaluateAppNames(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		e := compile(b, appNamesPolicy(n), firewall.Resolvers{})
		last := int32(e.Len() - 1)
		for _, c := range appNameFlows(n) {
			b.Run(strconv.Itoa(n)+"/"+c.name, func(b *testing.B) {
				v := e.Evaluate(c.f)
				if hit := c.name != "miss"; hit != (v.Rule == last && v.Action == firewall.Allow) || !hit && v.Reason != firewall.ReasonDefaultDeny {
					b.Fatalf("unexpected verdict %+v", v)
				}
				b.ReportAllocs()
				for b.Loop() {
					sinkVerdict = e.Evaluate(c.f)
				}
				b.ReportMetric(benchl.Ratio(5000, func(int) { sinkVerdict = e.Evaluate(c.f) }, benchl.Hot), "xL")
			})
		}
	}
}

// netFQDNPolicy is n network rules from 10.1.0.0/16 to TCP 443 of three
// destination FQDNs each, every FQDN resolving to two addresses of its
// own; the first n-1 rules deny, the last allows. The DNS proxy is on.
func netFQDNPolicy(n int) (*firewall.Policy, firewall.Resolvers, netip.Addr) {
	dns := firewall.DNSMap{}
	var deny []firewall.NetworkRule
	var last netip.Addr
	v := uint32(20 << 24)
	for i := range n {
		r := firewall.NetworkRule{Name: "fqdn-" + strconv.Itoa(i), IPProtocols: tcp, SourceAddresses: ss("10.1.0.0/16"), DestinationPorts: ss("443")}
		for _, h := range []string{"a", "b", "c"} {
			name := h + strconv.Itoa(i) + ".svc.example"
			r.DestinationFqdns = append(r.DestinationFqdns, name)
			for range 2 {
				v++
				last = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
				dns[name] = append(dns[name], last)
			}
		}
		deny = append(deny, r)
	}
	allow := deny[n-1]
	p := policy(group("g", 100, netColl("deny", 100, firewall.Deny, deny[:n-1]...), netColl("allow", 200, firewall.Allow, allow)))
	p.DNSProxy = true
	return p, firewall.Resolvers{DNS: dns}, last
}

// BenchmarkEvaluateNetFQDN measures Evaluate on network rules with
// destination FQDNs resolved at compile time, at 100 and 10,000 rules
// (600 and 60,000 addresses), the last rule matching through DNS (hit) or
// none (miss); it reports the ratio to L as "xL".
func BenchmarkEvaluateNetFQDN(b *testing.B) {
	for _, n := range []int{100, 10000} {
		p, res, last := netFQDNPolicy(n)
		e := compile(b, p, res)
		for _, c := range []struct {
			name string
			f    firewall.Flow
		}{
			{"hit", firewall.Flow{Src: addr("10.1.2.4"), Dst: last, Proto: ipproto.TCP, DstPort: 443}},
			{"miss", tcpFlow("10.1.2.4", "203.0.113.77", 443)},
		} {
			b.Run(strconv.Itoa(n)+"/"+c.name, func(b *testing.B) {
				v := e.Evaluate(c.f)
				if (c.name == "hit") != (v.Action == firewall.Allow && v.Flags == firewall.FlagDNS && v.Rule == int32(n-1)) {
					b.Fatalf("unexpected verdict %+v", v)
				}
				b.ReportAllocs()
				for b.Loop() {
					sinkVerdict = e.Evaluate(c.f)
				}
				b.ReportMetric(benchl.Ratio(5000, func(int) { sinkVerdict = e.Evaluate(c.f) }, benchl.Hot), "xL")
			})
		}
	}
}

// BenchmarkCompileNames measures Compile of the 10,000-rule policies
// above (50,000 names; 30,000 FQDNs with 60,000 addresses), reporting the
// heap the compiled Engine keeps as "MB-kept".
func BenchmarkCompileNames(b *testing.B) {
	app := appNamesPolicy(10000)
	net, res, _ := netFQDNPolicy(10000)
	for _, c := range []struct {
		name string
		p    *firewall.Policy
		res  firewall.Resolvers
	}{{"app-10000", app, firewall.Resolvers{}}, {"netfqdn-10000", net, res}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var e *firewall.Engine
			for b.Loop() {
				e = compile(b, c.p, c.res)
			}
			b.ReportMetric(kept(func() any { return compile(b, c.p, c.res) })/(1<<20), "MB-kept")
			runtime.KeepAlive(e)
		})
	}
}

// kept returns the bytes of heap that the value built by mk keeps alive.
func kept(mk func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := mk()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}
