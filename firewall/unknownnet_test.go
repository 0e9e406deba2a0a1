package firewall_test

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// A network rule whose sources, ports or protocols are partly unknown (a
// Terraform plan's values known after apply) decides where its known
// values match, and may match any other value of the unknown field: a
// verdict it could change is flagged FlagUnknown. The engine and the
// reference agree on each flow, and allocate nothing.
func TestNetworkRuleValuesUnknown(t *testing.T) {
	srcs := netRule("srcs", tcp, ss("10.0.0.4"), ss("52.1.2.3"), ss("443"))
	srcs.SourcesUnknown = true
	ports := netRule("ports", tcp, star, ss("52.1.2.4"), ss("443"))
	ports.PortsUnknown = true
	protos := netRule("protos", tcp, star, ss("52.1.2.5"), ss("53"))
	protos.ProtocolsUnknown = true
	noPort := netRule("no-port", anyP, star, ss("52.1.2.6"), nil)
	noPort.PortsUnknown = true // Any with a port that may be "*": every protocol
	nothing := firewall.NetworkRule{Name: "nothing", DestinationAddresses: ss("52.1.2.7"), SourcesUnknown: true, PortsUnknown: true, ProtocolsUnknown: true}
	p := policy(group("g", 100,
		netColl("deny", 100, firewall.Deny, srcs, ports, protos, noPort, nothing),
		netColl("allow", 200, firewall.Allow, netRule("web", anyP, star, star, star))))
	e := compile(t, p, firewall.Resolvers{})
	ref, err := fwref.New(p, firewall.Resolvers{})
	if !assert.NoError(t, err) {
		return
	}
	flow := func(src, dst string, proto ipproto.Proto, port uint16) firewall.Flow {
		return firewall.Flow{Src: addr(src), Dst: addr(dst), Proto: proto, DstPort: port}
	}
	for _, c := range []struct {
		f       firewall.Flow
		action  firewall.Action
		unknown bool
	}{
		{flow("10.0.0.4", "52.1.2.3", ipproto.TCP, 443), firewall.Deny, false},  // srcs: its known source
		{flow("10.0.0.5", "52.1.2.3", ipproto.TCP, 443), firewall.Allow, true},  // srcs: another source may be denied
		{flow("10.0.0.5", "52.1.2.3", ipproto.TCP, 80), firewall.Allow, false},  // srcs: another port
		{flow("10.0.0.5", "52.1.2.4", ipproto.TCP, 443), firewall.Deny, false},  // ports: its known port
		{flow("10.0.0.5", "52.1.2.4", ipproto.TCP, 8080), firewall.Allow, true}, // ports: another port may be denied
		{flow("10.0.0.5", "52.1.2.4", ipproto.UDP, 443), firewall.Allow, false}, // ports: another protocol
		{flow("10.0.0.5", "52.1.2.5", ipproto.TCP, 53), firewall.Deny, false},   // protos: its known protocol
		{flow("10.0.0.5", "52.1.2.5", ipproto.UDP, 53), firewall.Allow, true},   // protos: UDP may be denied
		{flow("10.0.0.5", "52.1.2.5", ipproto.ICMP, 0), firewall.Allow, true},   // protos: ICMP too
		{flow("10.0.0.5", "52.1.2.5", ipproto.UDP, 54), firewall.Allow, false},  // protos: another port
		{flow("10.0.0.5", "52.1.2.5", ipproto.ESP, 0), firewall.Allow, false},   // protos: Any with port 53 is not ESP
		{flow("10.0.0.5", "52.1.2.6", ipproto.ESP, 0), firewall.Allow, true},    // no-port: Any with "*" is every protocol
		{flow("10.0.0.5", "52.1.2.7", ipproto.UDP, 9), firewall.Allow, true},    // nothing known but the destination
		{flow("10.0.0.5", "52.1.2.8", ipproto.UDP, 9), firewall.Allow, false},   // no rule but web can match
	} {
		v := e.Evaluate(c.f)
		assert.Equal(t, c.action, v.Action, "%+v", c.f)
		assert.Equal(t, c.unknown, v.Flags&firewall.FlagUnknown != 0, "%+v: %v", c.f, v.Flags)
		assert.Zero(t, testing.AllocsPerRun(100, func() { v = e.Evaluate(c.f) }), "%+v", c.f)
		r := ref.Evaluate(c.f)
		assert.Equal(t, v.Action, r.Action, "reference %+v", c.f)
		assert.Equal(t, v.Flags, r.Flags, "reference %+v", c.f)
	}
	sp := e.DestinationSpaces()
	assert.True(t, sp[2].UDP && sp[2].ICMP && !sp[2].Other, "protos may match UDP and ICMP, not Other (Any with port 53 is TCP and UDP): %+v", sp[2])
	assert.Equal(t, [][2]uint16{}, sp[3].Ports, "no-port has no known port")
	assert.True(t, sp[3].Other, "no-port's Any may have \"*\" ports")
}

// A rule needs no known value of a field that is unknown; without the
// flag the value is still required.
func TestNetworkRuleValuesUnknownRequired(t *testing.T) {
	r := firewall.NetworkRule{Name: "r", DestinationAddresses: ss("52.1.2.7")}
	_, err := firewall.Compile(policy(group("g", 100, netColl("c", 100, firewall.Deny, r))), firewall.Resolvers{})
	for _, field := range []string{"sourceAddresses", "destinationPorts", "ipProtocols"} {
		assert.ErrorContains(t, err, field)
	}
	r.SourcesUnknown, r.PortsUnknown, r.ProtocolsUnknown = true, true, true
	_, err = firewall.Compile(policy(group("g", 100, netColl("c", 100, firewall.Deny, r))), firewall.Resolvers{})
	assert.NoError(t, err)
}

// The widening against its slow twin: in random policies, every network
// rule with unknown values (or a third of them, made so) is given, in
// each world, for each unknown field, either the flow's own value or
// another one: a verdict the engine gives without FlagUnknown must be the
// verdict of every world that decides the flow itself.
func TestNetworkRuleValuesUnknownSound(t *testing.T) {
	policies, flows := 120, 60
	if testing.Short() {
		policies = 30
	}
	var checked, unknown int
	for seed := range uint64(policies) {
		g := newGen(seed + 3000)
		p := g.policy(int(seed%40) + 5)
		type loc struct{ pol, gi, ci, ri int }
		var widened []loc
		for pi, q := range []*firewall.Policy{p, p.Parent} {
			if q == nil {
				continue
			}
			for gi := range q.RuleCollectionGroups {
				for ci := range q.RuleCollectionGroups[gi].RuleCollections {
					for ri := range q.RuleCollectionGroups[gi].RuleCollections[ci].NetworkRules {
						r := &q.RuleCollectionGroups[gi].RuleCollections[ci].NetworkRules[ri]
						if ri%3 == 0 {
							switch ri / 3 % 3 {
							case 0:
								r.SourcesUnknown = true
							case 1:
								r.PortsUnknown = true
							default:
								r.ProtocolsUnknown = true
							}
						}
						if r.SourcesUnknown || r.PortsUnknown || r.ProtocolsUnknown || r.DestinationsUnknown {
							widened = append(widened, loc{pi, gi, ci, ri})
						}
					}
				}
			}
		}
		e, err := firewall.Compile(p, g.res)
		if len(widened) == 0 || err != nil {
			continue
		}
		rnd := rand.New(rand.NewPCG(seed, 7))
		for range flows {
			f := g.flow()
			if !f.Dst.Unmap().Is4() || !f.Src.Unmap().Is4() {
				continue
			}
			v := e.Evaluate(f)
			if v.Flags&firewall.FlagUnknown != 0 {
				unknown++
				continue
			}
			for world := range 4 {
				// world 0: every unknown value is the flow's; 1: none is;
				// else a random mix.
				in := func() bool { return world == 0 || world > 1 && rnd.IntN(2) == 0 }
				w := clonePolicy(p)
				if p.Parent != nil {
					par := clonePolicy(p.Parent)
					w.Parent = par
				}
				for _, l := range widened {
					q := w
					if l.pol == 1 {
						q = w.Parent
					}
					r := &q.RuleCollectionGroups[l.gi].RuleCollections[l.ci].NetworkRules[l.ri]
					knownWorld(r, f, in)
				}
				we, err := firewall.Compile(w, g.res)
				if err != nil {
					t.Fatalf("the world does not compile: %v", err)
				}
				wv := we.Evaluate(f)
				if wv.Flags&firewall.FlagUnknown != 0 {
					continue
				}
				checked++
				assert.Equal(t, wv.Action, v.Action, "seed %d flow %+v world %d", seed, f, world)
			}
		}
	}
	assert.Positive(t, checked, "some verdicts are checked")
	assert.Positive(t, unknown, "some are Unknown")
}

// knownWorld makes r's unknown values known: for each unknown field, the
// flow's value if in() says so, else one the flow does not have.
func knownWorld(r *firewall.NetworkRule, f firewall.Flow, in func() bool) {
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	other := func(a [4]byte) string { // an address other than the flow's
		a[3] ^= 1
		return strconv.Itoa(int(a[0])) + "." + strconv.Itoa(int(a[1])) + "." + strconv.Itoa(int(a[2])) + "." + strconv.Itoa(int(a[3]))
	}
	if r.SourcesUnknown {
		r.SourcesUnknown = false
		if in() {
			r.SourceAddresses = append(slices.Clone(r.SourceAddresses), src.String())
		} else if len(r.SourceAddresses)+len(r.SourceIPGroups) == 0 {
			r.SourceAddresses = []string{other(src.As4())}
		}
	}
	if r.DestinationsUnknown {
		r.DestinationsUnknown = false
		if in() {
			r.DestinationAddresses = append(slices.Clone(r.DestinationAddresses), dst.String())
		} else if len(r.DestinationAddresses)+len(r.DestinationIPGroups)+len(r.DestinationFqdns) == 0 {
			r.DestinationAddresses = []string{other(dst.As4())}
		}
	}
	if r.PortsUnknown {
		r.PortsUnknown = false
		switch {
		case in():
			port := "*"
			if f.DstPort >= 1 && rand.IntN(2) == 0 {
				port = strconv.Itoa(int(f.DstPort))
			}
			r.DestinationPorts = append(slices.Clone(r.DestinationPorts), port)
		case len(r.DestinationPorts) == 0:
			r.DestinationPorts = []string{strconv.Itoa(int(f.DstPort%65535) + 1)} // not the flow's port
		}
	}
	if r.ProtocolsUnknown {
		r.ProtocolsUnknown = false
		proto, named := map[ipproto.Proto]firewall.Protocol{ipproto.TCP: firewall.ProtocolTCP, ipproto.UDP: firewall.ProtocolUDP, ipproto.ICMP: firewall.ProtocolICMP}[f.Proto]
		switch in := in(); {
		case in && named:
			r.IPProtocols = append(slices.Clone(r.IPProtocols), proto)
		case in:
			r.IPProtocols = append(slices.Clone(r.IPProtocols), firewall.ProtocolAny)
		case len(r.IPProtocols) == 0:
			r.IPProtocols = []firewall.Protocol{firewall.ProtocolICMP}
			if f.Proto == ipproto.ICMP {
				r.IPProtocols = []firewall.Protocol{firewall.ProtocolTCP}
			}
		}
	}
}

// BenchmarkEvaluateUnknown is BenchmarkEvaluate's policy with every tenth
// deny rule's ports unknown (a Terraform plan's values known after apply),
// so the matcher takes its wide path (firstMaybe): hit, miss, and a flow
// to one of those rules' destinations on a port they do not name (a deny
// that may match it, looked up twice; a Deny either way, so not Unknown).
func BenchmarkEvaluateUnknown(b *testing.B) {
	for _, n := range []int{100, 1000} {
		p := benchPolicy(n)
		rules := p.RuleCollectionGroups[0].RuleCollections[0].NetworkRules
		for i := range rules {
			if i%10 == 0 {
				rules[i].PortsUnknown = true
			}
		}
		e := compile(b, p, firewall.Resolvers{})
		pre, _ := netip.ParsePrefix(rules[0].DestinationAddresses[0])
		maybe := tcpFlow("10.1.2.4", pre.Addr().String(), 8443)
		for _, c := range []struct {
			name string
			f    firewall.Flow
		}{{"hit", benchHit}, {"miss", benchMiss}, {"maybe", maybe}} {
			b.Run(strconv.Itoa(n)+"/"+c.name, func(b *testing.B) {
				if v := e.Evaluate(c.f); (c.name == "hit") != (v.Action == firewall.Allow) || v.Flags&firewall.FlagUnknown != 0 {
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
