package nsg_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/internal/nsgref"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/servicetag"
)

// The benchmarks follow perf.md §3.4 and §7 (Methodology): each rule has 4
// random destination prefixes avoiding the query address 203.0.113.77 and
// the source list {172.16.0.0/12, 10.1.0.0/16}; the query is 10.1.2.4 →
// 203.0.113.77 TCP 443 and matches only the last user rule (TCP/443 to
// 203.0.113.0/24). "tags" replaces every 4th destination list by a service
// tag of thousands of prefixes. Ratios are to L, a bart.Table[int].Lookup on
// a 400-prefix IPv4 table plus 0.0.0.0/0 measured in the same run.

var sinkInt int
var sinkVerdict nsg.Verdict

var (
	benchSrc = netip.MustParseAddr("10.1.2.4")
	benchDst = netip.MustParseAddr("203.0.113.77")
)

// BenchmarkL is the calibration unit L: one bart lookup on a 400-prefix IPv4
// table, with one repeated address (hot) and with addresses inside the
// table's prefixes (inside).
func BenchmarkL(b *testing.B) {
	b.Run("hot", benchLHot)
	b.Run("inside", benchLInside)
}

func benchLHot(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchl.Hot(0)
	}
}

func benchLInside(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		benchl.Inside(i)
		i++
	}
}

// benchNSG builds the perf.md rule set with n user rules, all Outbound.
func benchNSG(name string, n int, tags bool, mixed bool, seed uint64) nsg.SecurityGroup {
	r := rand.New(rand.NewPCG(seed, 7))
	tagNames := benchTagNames
	avoid := netip.MustParsePrefix("203.0.113.0/24")
	sg := nsg.SecurityGroup{ID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/" + name}
	for i := range n {
		rule := nsg.Rule{Name: "rule-" + strconv.Itoa(i), Priority: 100 + i, Direction: nsg.Outbound, Access: nsg.Deny,
			Protocol: nsg.ProtocolAny, SourceAddressPrefixes: []string{"172.16.0.0/12", "10.1.0.0/16"},
			SourcePortRange: "*", DestinationPortRange: "*"}
		if i == n-1 {
			rule.Access, rule.Protocol = nsg.Allow, nsg.ProtocolTCP
			rule.DestinationAddressPrefix, rule.DestinationPortRange = "203.0.113.0/24", "443"
			sg.Rules = append(sg.Rules, rule)
			break
		}
		if tags && i%4 == 3 {
			rule.DestinationAddressPrefix = tagNames[(i/4)%len(tagNames)]
		} else {
			for len(rule.DestinationAddressPrefixes) < 4 {
				a := netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
				p := netip.PrefixFrom(a, 8+r.IntN(25)).Masked()
				if p.Overlaps(avoid) {
					continue
				}
				rule.DestinationAddressPrefixes = append(rule.DestinationAddressPrefixes, p.String())
			}
		}
		if mixed {
			rule.Protocol = []nsg.Protocol{nsg.ProtocolAny, nsg.ProtocolTCP, nsg.ProtocolUDP}[r.IntN(3)]
			switch r.IntN(3) {
			case 1:
				rule.DestinationPortRange = strconv.Itoa(1 + r.IntN(65535))
			case 2:
				lo := 1 + r.IntN(60000)
				rule.DestinationPortRange = strconv.Itoa(lo) + "-" + strconv.Itoa(lo+r.IntN(5000))
			}
		} else if i%3 == 2 {
			rule.Protocol, rule.DestinationPortRange = nsg.ProtocolTCP, "400-500"
		}
		sg.Rules = append(sg.Rules, rule)
	}
	return sg
}

// benchTags are the real service tags of servicetag.Default() (the embedded
// ServiceTags_Public_20251109.json), through a TagMap of the ten tags of
// perf.md §7 (23,430 distinct prefixes; AzureCloud alone has 13,155).
var benchTags = sync.OnceValue(func() nsg.TagMap { return realTags(benchTagNames) })

var benchTagNames = []string{"AzureCloud", "AzureMonitor", "Sql", "Storage", "AppService", "LogicApps",
	"AzureActiveDirectory", "Storage.EastUS", "AzureCloud.eastus", "MicrosoftCloudAppSecurity"}

// realTags copies the named tags out of servicetag.Default(). It panics if
// the embedded file cannot be read: that is servicetag's own test failure.
func realTags(names []string) nsg.TagMap {
	set, err := servicetag.Default()
	if err != nil {
		panic(err)
	}
	m := nsg.TagMap{}
	for _, n := range names {
		ps, _, ok := set.ServiceTag(n)
		if !ok {
			panic("servicetag.Default has no tag " + n)
		}
		m[n] = ps
	}
	return m
}

var benchCtx = nsg.Context{AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}

type benchCase struct {
	cls *nsg.Classifier
	ref *nsgref.Evaluator
}

func newBenchCase(b testing.TB, n int, tags, pair bool) benchCase {
	res := nsg.Resolvers{Tags: benchTags()}
	scope, err := nsg.CompileContext(benchCtx)
	if err != nil {
		b.Fatal(err)
	}
	sg1 := benchNSG("nsg-nic", n, tags, true, 1)
	g1, err := nsg.Compile(sg1, res)
	if err != nil {
		b.Fatal(err)
	}
	nic := nsg.NIC{ID: "nic", Addrs: []netip.Addr{benchSrc}, NSG: g1, Scope: scope}
	refN := nsgref.NIC{Addrs: nic.Addrs, NSG: &sg1, Context: benchCtx, Tags: res.Tags}
	if pair {
		sg2 := benchNSG("nsg-subnet", n, tags, true, 2)
		if nic.SubnetNSG, err = nsg.Compile(sg2, res); err != nil {
			b.Fatal(err)
		}
		refN.SubnetNSG = &sg2
	}
	c, err := nsg.NewClassifier(nic)
	if err != nil {
		b.Fatal(err)
	}
	ref, err := nsgref.New(refN)
	if err != nil {
		b.Fatal(err)
	}
	return benchCase{c, ref}
}

var benchFlow = nsg.Flow{Direction: nsg.Outbound, Proto: ipproto.TCP, Src: benchSrc, Dst: benchDst, SrcPort: 50000, DstPort: 443}

// BenchmarkVerdict: compiled (Verdict, and Outbound, its scalar entry point)
// vs reference, one NSG and a NIC+subnet pair, at 10, 100 and 1,000 rules,
// with explicit prefixes and with service tags; the flow matches only the
// last user rule. "rand" cycles 16k random
// destinations (half inside rule prefixes).
func BenchmarkVerdict(b *testing.B) {
	for _, pair := range []bool{false, true} {
		for _, tags := range []bool{false, true} {
			for _, n := range []int{10, 100, 1000} {
				name := fmt.Sprintf("nsgs=%d/tags=%v/rules=%d", map[bool]int{false: 1, true: 2}[pair], tags, n)
				bc := newBenchCase(b, n, tags, pair)
				if v := bc.cls.Verdict(benchFlow); v.Access != nsg.Allow || v.Reason != nsg.ReasonRule {
					b.Fatalf("%s: bench flow got %+v", name, v)
				}
				b.Run(name+"/compiled", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						sinkVerdict = bc.cls.Verdict(benchFlow)
					}
					b.ReportMetric(benchl.Ratio(20000, func(int) { sinkVerdict = bc.cls.Verdict(benchFlow) }, benchl.Hot), "xL")
				})
				b.Run(name+"/outbound", func(b *testing.B) { // the scalar entry point: no Flow built
					f := benchFlow
					op := func(int) { sinkVerdict = bc.cls.Outbound(0, f.Dst, f.Proto, f.SrcPort, f.DstPort) }
					b.ReportAllocs()
					for b.Loop() {
						op(0)
					}
					b.ReportMetric(benchl.Ratio(20000, op, benchl.Hot), "xL")
				})
				b.Run(name+"/compiled-rand", func(b *testing.B) {
					flows := randFlows(bc, 16384)
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						sinkVerdict = bc.cls.Verdict(flows[i&16383])
						i++
					}
					b.ReportMetric(benchl.Ratio(20000, func(int) { sinkVerdict = bc.cls.Verdict(flows[i&16383]); i++ }, benchl.Hot), "xL")
				})
				b.Run(name+"/reference", func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						sinkInt += int(bc.ref.Evaluate(benchFlow).Access)
					}
					b.ReportMetric(benchl.Ratio(max(20, 20000>>(n/100)), func(int) { sinkInt += int(bc.ref.Evaluate(benchFlow).Access) }, benchl.Hot), "xL")
				})
			}
		}
	}
}

func randFlows(bc benchCase, n int) []nsg.Flow {
	r := rand.New(rand.NewPCG(5, 5))
	tags := benchTags()
	out := make([]nsg.Flow, n)
	for i := range out {
		f := benchFlow
		switch r.IntN(4) {
		case 0:
			ps := tags["AzureCloud"]
			f.Dst = randAddrIn(r, ps[r.IntN(len(ps))])
		case 1:
			f.Dst = randAddrIn(r, netip.MustParsePrefix("203.0.113.0/24"))
		default:
			f.Dst = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
		}
		f.DstPort = uint16(popularPorts[r.IntN(len(popularPorts))])
		out[i] = f
	}
	return out
}

// BenchmarkCompile measures compiling one NSG, and reports the heap it keeps
// (resident-B) besides what it allocates (B/op).
func BenchmarkCompile(b *testing.B) {
	for _, tags := range []bool{false, true} {
		for _, n := range []int{10, 100, 1000} {
			sg := benchNSG("nsg", n, tags, true, 1)
			res := nsg.Resolvers{Tags: benchTags()}
			b.Run(fmt.Sprintf("tags=%v/rules=%d", tags, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := nsg.Compile(sg, res); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(resident(func() any { g, _ := nsg.Compile(sg, res); return g })), "resident-B")
			})
		}
	}
	for _, tags := range []bool{false, true} {
		res := nsg.Resolvers{Tags: benchTags()}
		g1, err1 := nsg.Compile(benchNSG("nsg-nic", 1000, tags, true, 1), res)
		g2, err2 := nsg.Compile(benchNSG("nsg-subnet", 1000, tags, true, 2), res)
		if err1 != nil || err2 != nil {
			b.Fatal(err1, err2)
		}
		// The fused table of a NIC+subnet pair, built once per distinct pair.
		b.Run(fmt.Sprintf("pair/tags=%v/rules=1000", tags), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				nsg.BuildPair(g1, g2)
			}
			b.ReportMetric(float64(resident(func() any { return nsg.BuildPair(g1, g2) })), "resident-B")
		})
	}
	b.Run("bind-nic", func(b *testing.B) {
		g, _ := nsg.Compile(benchNSG("nsg", 1000, false, true, 1), nsg.Resolvers{})
		scope, _ := nsg.CompileContext(benchCtx)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := nsg.NewClassifier(nsg.NIC{Addrs: []netip.Addr{benchSrc}, NSG: g, SubnetNSG: g, Scope: scope}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("context", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := nsg.CompileContext(benchCtx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func resident(build func() any) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m0)
	x := build()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(x)
	if m1.HeapAlloc < m0.HeapAlloc {
		return 0
	}
	return m1.HeapAlloc - m0.HeapAlloc
}

// benchAdmin is an AVNM configuration of n rules, none of which matches the
// bench flow: Deny and AlwaysAllow to random prefixes avoiding
// 203.0.113.0/24, on random ports.
func benchAdmin(n int) nsg.AdminConfig {
	r := rand.New(rand.NewPCG(9, 9))
	avoid := netip.MustParsePrefix("203.0.113.0/24")
	ac := nsg.AdminConfig{ID: "/subscriptions/0000/providers/Microsoft.Network/networkManagers/nm/securityAdminConfigurations/cfg"}
	for i := range n {
		rule := nsg.AdminRule{Name: "admin-" + strconv.Itoa(i), Collection: "c", Priority: 1 + i, Direction: nsg.Outbound,
			Access: []nsg.Access{nsg.Deny, nsg.AlwaysAllow, nsg.Allow}[r.IntN(3)], Protocol: nsg.ProtocolAny, Sources: []string{"*"}}
		for len(rule.Destinations) < 4 {
			a := netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())})
			if p := netip.PrefixFrom(a, 8+r.IntN(25)).Masked(); !p.Overlaps(avoid) {
				rule.Destinations = append(rule.Destinations, p.String())
			}
		}
		if r.IntN(2) == 0 {
			rule.DestinationPortRanges = []string{strconv.Itoa(popularPorts[r.IntN(len(popularPorts))])}
		}
		ac.Rules = append(ac.Rules, rule)
	}
	return ac
}

// BenchmarkVerdictPairAdmin is the simulator's hot case of BenchmarkVerdict
// (a NIC+subnet pair of 1,000-rule NSGs, outbound) with 50 admin rules in
// front, warm and with random destinations, in units of L.
func BenchmarkVerdictPairAdmin(b *testing.B) {
	bc := newBenchCase(b, 1000, false, true)
	ac := benchAdmin(50)
	admin, err := nsg.CompileAdmin(ac, nsg.Resolvers{})
	if err != nil {
		b.Fatal(err)
	}
	n := bc.cls.NIC()
	n.Admin = admin
	if bc.cls, err = nsg.NewClassifier(n); err != nil {
		b.Fatal(err)
	}
	if v := bc.cls.Verdict(benchFlow); v.Access != nsg.Allow || v.Reason != nsg.ReasonRule {
		b.Fatalf("bench flow got %+v", v)
	}
	b.Run("warm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkVerdict = bc.cls.Verdict(benchFlow)
		}
		b.ReportMetric(benchl.Ratio(20000, func(int) { sinkVerdict = bc.cls.Verdict(benchFlow) }, benchl.Hot), "xL")
	})
	b.Run("rand", func(b *testing.B) {
		flows := randFlows(bc, 16384)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sinkVerdict = bc.cls.Verdict(flows[i&16383])
			i++
		}
		b.ReportMetric(benchl.Ratio(20000, func(int) { sinkVerdict = bc.cls.Verdict(flows[i&16383]); i++ }, benchl.Hot), "xL")
	})
}
