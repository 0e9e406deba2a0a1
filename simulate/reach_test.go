package simulate_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go4.org/netipx"
)

var reachFlows = flag.Int("reach.flows", 0, "flows for TestReachDifferential (0: 1,000,000, or 40,000 under -short)")

// reachWorld is an engine, the egress maps of some of its NICs, and the
// addresses worth probing: every prefix edge of every class (and ±1).
type reachWorld struct {
	e     *simulate.Engine
	maps  []*simulate.EgressMap
	edges [][]netip.Addr // per map
	dsts  []netip.Addr
}

func newReachWorld(t testing.TB, seed uint64, spokes, nics, sources int, opts simulate.Options) *reachWorld {
	t.Helper()
	w := newReachTwinWorld(t, seed, spokes, nics, opts)
	rw := &reachWorld{e: w.e, dsts: w.dsts}
	r := rand.New(rand.NewPCG(seed, 5))
	// Half the maps are of flows that name a server, as application rules
	// of the generated firewalls match.
	hosts := []string{"", "api.partner.example", "", "www.news.example", "", "partner.example"}
	probe := netip.MustParseAddr("52.1.2.3")
	for i := range sources {
		host := hosts[(int(seed)+i)%len(hosts)]
		h := w.e.NICAt(r.IntN(w.e.NumNICs()))
		// A named map's source: preferably one whose server name matters
		// (an application rule decides its HTTPS).
		for try := 0; host != "" && try < 50; try++ {
			if w.e.ClassifyHost(h, probe, ipproto.TCP, 443, host) != w.e.Classify(h, probe, ipproto.TCP, 443) {
				break
			}
			h = w.e.NICAt(r.IntN(w.e.NumNICs()))
		}
		m := w.e.ReachHost(h, host)
		requireCovers(t, m)
		rw.maps = append(rw.maps, m)
		var edges []netip.Addr
		for _, c := range m.Classes {
			for _, p := range c.Prefixes {
				last := netipx.PrefixLastIP(p)
				edges = append(edges, p.Addr(), p.Addr().Prev(), last, last.Next())
			}
		}
		rw.edges = append(rw.edges, edges)
	}
	return rw
}

// newReachTwinWorld is newTwinWorld with what only the egress map must be
// held to besides: the hub firewall's policy (when it has one) gets a deny
// network rule on an FQDN that does not resolve, on a port no other rule
// names (it may match any destination, so its port cuts everywhere), and a
// DNS proxy.
func newReachTwinWorld(t testing.TB, seed uint64, spokes, nics int, opts simulate.Options) *twinWorld {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	n := genTwinNetwork(r, spokes, nics, storageAddr(t))
	for _, p := range n.m.FirewallPolicies {
		p.DNSProxy = true
		p.RuleCollectionGroups = append(p.RuleCollectionGroups, &topology.RuleCollectionGroup{Meta: topology.Meta{Name: "unresolved"}, Priority: 150,
			Collections: []*topology.RuleCollection{{Name: "deny-unresolved", Priority: 100, Kind: "FirewallPolicyFilterRuleCollection", Action: "Deny",
				Rules: []*topology.FirewallRule{{Name: "nope", Type: "NetworkRule", Protocols: []string{"TCP"}, SourceAddresses: []string{"*"},
					DestinationFqdns: []string{"nope.example"}, DestinationPorts: []string{"8080"}}}}}})
	}
	v := n.m.Check(tags(t))
	require.Empty(t, v.Errors, "the generated network must validate")
	e, err := compile(n.m, tags(t), opts)
	require.NoError(t, err)
	return &twinWorld{m: n.m, e: e, dsts: n.dsts}
}

// requireCovers checks that the classes partition destination space: no
// two classes overlap, and each protocol/port combination is covered
// everywhere (IPv4 and IPv6 but the IPv4-mapped space).
func requireCovers(t testing.TB, m *simulate.EgressMap) {
	t.Helper()
	for _, p := range []ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP, ipproto.ESP, 47} {
		for _, port := range []uint16{1, 25, 443, 65535} {
			if !p.HasPorts() && port != 1 {
				continue
			}
			var b netipx.IPSetBuilder
			total := 0
			for i := range m.Classes {
				c := &m.Classes[i]
				if !c.HasProtocol(p) || p.HasPorts() && !c.Contains(c.Prefixes[0].Addr(), p, port) {
					continue
				}
				for _, q := range c.Prefixes {
					b.AddPrefix(q)
					total++
				}
			}
			set, err := b.IPSet()
			require.NoError(t, err)
			var want netipx.IPSetBuilder
			want.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
			want.AddPrefix(netip.MustParsePrefix("::/0"))
			want.RemovePrefix(netip.MustParsePrefix("::ffff:0:0/96"))
			ws, err := want.IPSet()
			require.NoError(t, err)
			require.True(t, set.Equal(ws), "%s: the classes of %v/%d do not cover destination space", m.Source, p, port)
			// Disjoint: the minimal prefixes of the union are no more than
			// the sum, and no address is in two classes (checked by the
			// differential's Lookup, which must find exactly one).
			require.Positive(t, total)
		}
	}
}

// randomReachFlow picks a flow: an address at a class edge (or ±1), a NIC
// or interesting address of the network, or a random IPv4 or IPv6 address;
// any protocol number; a port near a rule's edges or random.
func (rw *reachWorld) randomReachFlow(r *rand.Rand, mi int) (netip.Addr, ipproto.Proto, uint16) {
	var dst netip.Addr
	switch r.IntN(6) {
	case 0, 1, 2:
		es := rw.edges[mi]
		dst = es[r.IntN(len(es))]
	case 3:
		dst = rw.dsts[r.IntN(len(rw.dsts))]
	case 4:
		v := r.Uint32()
		dst = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	default:
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if r.IntN(2) == 0 {
			b[0], b[1] = 0x20, 0x01 // 2001::/16
		}
		dst = netip.AddrFrom16(b)
	}
	if !dst.IsValid() {
		dst = netip.IPv4Unspecified()
	}
	var p ipproto.Proto
	switch r.IntN(8) {
	case 0, 1, 2:
		p = ipproto.TCP
	case 3, 4:
		p = ipproto.UDP
	case 5:
		p = []ipproto.Proto{ipproto.ICMP, ipproto.ICMPv6, ipproto.ESP, ipproto.AH}[r.IntN(4)]
	default:
		p = ipproto.Proto(1 + r.IntN(255))
	}
	var port uint16
	switch r.IntN(3) {
	case 0:
		port = []uint16{1, 22, 24, 25, 26, 53, 80, 123, 442, 443, 444, 445, 1433, 3389, 8079, 8080, 8081, 8443, 65535}[r.IntN(19)]
	case 1:
		port = uint16(1 + r.IntN(65535))
	default:
		port = uint16(999 + r.IntN(1003)) // the generated NSGs' port rules
	}
	return dst, p, port
}

// TestReachDifferential holds every egress map to Classify (ClassifyHost for
// the maps of flows that name a server): for random flows
// (biased to class edges and ±1 around them, every protocol number, ports
// near rule edges), the one class that holds the flow has the Decision
// Classify gives it; and for one flow in 50, Trace of the flow equals Trace
// of the class's witness but for the destination. The full run decides a
// million flows (-reach.flows sets another number); -short 40,000.
func TestReachDifferential(t *testing.T) {
	flows := 1_000_000
	if testing.Short() {
		flows = 40_000
	}
	if *reachFlows > 0 {
		flows = *reachFlows
	}
	configs := []struct {
		spokes, nics int
		opts         simulate.Options
	}{
		{6, 2, simulate.Options{}},
		{6, 2, simulate.Options{NVA: simulate.NVAUnknown, SMTP: simulate.SMTPBlocked}},
		{5, 2, simulate.Options{Firewall: simulate.FirewallUnknown, SMTP: simulate.SMTPAllowed, PrivateByDefault: true}},
		{5, 2, simulate.Options{Firewall: simulate.FirewallAllow, MaxHops: 1}},
		{6, 2, simulate.Options{MaxHops: 2, SMTP: simulate.SMTPAllowed}},
	}
	worlds := max(len(configs), flows/50_000)
	const sources = 4
	var dis disagreements
	done, classes, atomic, traces, named := 0, 0, 0, 0, 0
	verdicts := map[simulate.Verdict]int{}
	for wi := range worlds {
		c := configs[wi%len(configs)]
		seed := 1000 + uint64(wi)
		rw := newReachWorld(t, seed, c.spokes, c.nics, sources, c.opts)
		for _, m := range rw.maps {
			classes += len(m.Classes)
			atomic += m.Atomic
		}
		r := rand.New(rand.NewPCG(seed, 29))
		n := (flows - done) / (worlds - wi)
		for i := range n {
			mi := r.IntN(len(rw.maps))
			m := rw.maps[mi]
			h, err := rw.e.NIC(m.SourceID)
			require.NoError(t, err)
			dst, p, port := rw.randomReachFlow(r, mi)
			ex := fmt.Sprintf("%s -> %v %v/%d host %q", m.Source, dst, p, port, m.Host)
			cls, ok := m.Lookup(dst, p, port)
			if !ok {
				dis.add("no class holds the flow", ex)
				continue
			}
			if n := countHolding(m, dst, p, port); n != 1 {
				dis.add(fmt.Sprintf("%d classes hold the flow", n), ex)
			}
			d := rw.e.ClassifyHost(h, dst, p, port, m.Host)
			verdicts[d.Verdict]++
			if m.Host != "" && d != rw.e.Classify(h, dst, p, port) {
				named++ // the name decided: an application rule matched
			}
			if d != cls.Decision {
				dis.add(fmt.Sprintf("decision: class %s, Classify %s", rw.e.Explain(cls.Decision), rw.e.Explain(d)), ex+fmt.Sprintf(" (witness %v %v/%d)", cls.Witness.To, cls.Witness.Protocol, cls.Witness.Port))
				continue
			}
			if i%50 == 0 && dst.Unmap().IsValid() {
				traces++
				if a, b := traceShape(t, rw.e, simulate.Flow{From: m.SourceID, To: dst, Protocol: p, Port: port, Host: m.Host}, cls.Witness.To),
					traceShape(t, rw.e, cls.Witness, dst.Unmap()); a != b {
					dis.add("Trace differs from the witness's", ex+"\n"+a+"\n"+b)
				}
			}
		}
		done += n
	}
	t.Logf("%d flows (%d traced, %d decided by their server name) on %d networks, %d sources each: %d classes from %d atomic classes; %d disagreements; verdicts %v",
		done, traces, named, worlds, sources, classes, atomic, dis.total(), verdicts)
	assert.Positive(t, named, "no flow's server name changed its outcome: the maps of named flows are not exercised")
	if dis.total() > 0 {
		t.Errorf("egress maps and Classify disagree:\n%s", &dis)
	}
	for _, v := range []simulate.Verdict{simulate.Unknown, simulate.Allowed, simulate.Denied, simulate.Dropped, simulate.NoEgress} {
		assert.Positive(t, verdicts[v], "no flow ended %s", v)
	}
}

func countHolding(m *simulate.EgressMap, dst netip.Addr, p ipproto.Proto, port uint16) int {
	n := 0
	for i := range m.Classes {
		if m.Classes[i].Contains(dst, p, port) {
			n++
		}
	}
	return n
}

// traceShape is Trace's JSON with the flow's destination, protocol and port
// blanked (in the flow and in the hops that name them); a hop address equal
// to other (the destination of the trace it is compared with) is blanked
// too.
func traceShape(t testing.TB, e *simulate.Engine, f simulate.Flow, other netip.Addr) string {
	t.Helper()
	if !f.Protocol.HasPorts() {
		f.Port = 0
	}
	res, err := e.Trace(f)
	require.NoError(t, err)
	return resultShape(t, res, other)
}

// resultShape is traceShape of a result.
func resultShape(t testing.TB, res *simulate.Result, other netip.Addr) string {
	t.Helper()
	dst, proto := res.Flow.Destination, res.Flow.Protocol
	res.Flow.Destination, res.Flow.Port, res.Flow.Protocol = netip.Addr{}, 0, 0
	for i := range res.Hops {
		if a := res.Hops[i].Address; i > 0 && (a == dst || a == other) { // not the source's own address
			res.Hops[i].Address = netip.Addr{}
		}
		if rt := res.Hops[i].Route; rt != nil && rt.ServiceTag != "" {
			// One class holds the prefixes of one service-tag route.
			res.DecidedBy = strings.ReplaceAll(res.DecidedBy, rt.Prefix.String(), "PREFIX")
			rt.Prefix = netip.Prefix{}
		}
	}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	// A method that does not carry the protocol names it.
	return strings.ReplaceAll(string(b), "does not carry "+proto.String()+`"`, `does not carry PROTOCOL"`)
}

// fuzzFlow decodes a fuzzed flow's destination (4 or 16 bytes) and
// protocol; ok is false for one a map cannot hold (protocol 0, TCP or UDP
// to port 0).
func fuzzFlow(addr []byte, proto uint8, port uint16) (netip.Addr, ipproto.Proto, bool) {
	var dst netip.Addr
	switch len(addr) {
	case 4:
		dst = netip.AddrFrom4([4]byte(addr))
	case 16:
		dst = netip.AddrFrom16([16]byte(addr))
	default:
		return netip.Addr{}, 0, false
	}
	p := ipproto.Proto(proto)
	return dst, p, p != ipproto.Unknown && !(p.HasPorts() && port == 0)
}

// fuzzMaps caches the egress maps the fuzz target checks flows against: a
// few generated networks, one map per NIC, built on first use.
var fuzzMaps sync.Map // key fuzzKey -> *simulate.EgressMap

type fuzzKey struct {
	world uint64
	nic   int
}

var fuzzWorlds sync.Map // world seed -> *reachWorld

// FuzzReach holds the egress maps of generated networks to Classify on
// arbitrary flows: exactly one class holds the flow, with the Decision
// Classify gives it, and every class's witness is in its class with the
// class's Decision.
func FuzzReach(f *testing.F) {
	f.Add(uint64(0), uint8(3), []byte{52, 1, 2, 3}, uint8(6), uint16(443))
	f.Add(uint64(1), uint8(0), []byte{10, 0, 1, 4}, uint8(17), uint16(123))
	f.Add(uint64(2), uint8(7), []byte{0x20, 0x01, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint8(58), uint16(0))
	f.Add(uint64(3), uint8(1), []byte{168, 63, 129, 16}, uint8(47), uint16(25))
	f.Fuzz(func(t *testing.T, seed uint64, nic uint8, addr []byte, proto uint8, port uint16) {
		seed %= 3
		dst, p, ok := fuzzFlow(addr, proto, port)
		if !ok {
			return
		}
		wv, ok := fuzzWorlds.Load(seed)
		if !ok {
			w := newReachTwinWorld(t, 500+seed, 3, 2, simulate.Options{})
			wv, _ = fuzzWorlds.LoadOrStore(seed, &reachWorld{e: w.e})
		}
		rw := wv.(*reachWorld)
		k := fuzzKey{seed, int(nic) % rw.e.NumNICs()}
		h := rw.e.NICAt(k.nic)
		mv, ok := fuzzMaps.Load(k)
		if !ok {
			m := rw.e.Reach(h)
			for i := range m.Classes {
				c := &m.Classes[i]
				require.True(t, c.Contains(c.Witness.To, c.Witness.Protocol, c.Witness.Port), "witness outside its class")
				require.Equal(t, c.Decision, rw.e.Classify(h, c.Witness.To, c.Witness.Protocol, c.Witness.Port), "the witness's decision")
			}
			mv, _ = fuzzMaps.LoadOrStore(k, m)
		}
		m := mv.(*simulate.EgressMap)
		cls, ok := m.Lookup(dst, p, port)
		require.True(t, ok, "no class holds %v %v/%d", dst, p, port)
		require.Equal(t, 1, countHolding(m, dst, p, port), "%v %v/%d", dst, p, port)
		require.Equal(t, rw.e.Explain(rw.e.Classify(h, dst, p, port)), rw.e.Explain(cls.Decision), "%s -> %v %v/%d", h.Name(), dst, p, port)
		require.Equal(t, rw.e.Classify(h, dst, p, port), cls.Decision)
	})
}

// TestReachReuse holds Reach, which walks one address class of each
// signature (the boundary sets that hold it and the routes selected), to
// the map that walks every atomic class: equal but for the walk count, on
// generated networks, every NIC, with and without a server name.
func TestReachReuse(t *testing.T) {
	worlds := 6
	if testing.Short() {
		worlds = 2
	}
	opts := []simulate.Options{{}, {NVA: simulate.NVAUnknown, SMTP: simulate.SMTPBlocked}, {Firewall: simulate.FirewallUnknown, PrivateByDefault: true}}
	maps, saved := 0, 0
	for wi := range worlds {
		w := newReachTwinWorld(t, 700+uint64(wi), 4, 2, opts[wi%len(opts)])
		for i := range w.e.NumNICs() {
			h := w.e.NICAt(i)
			for _, host := range []string{"", "api.partner.example"} {
				got, want := w.e.ReachHost(h, host), simulate.ReachHostEvery(w.e, h, host)
				require.Equal(t, want.Atomic, want.Walks, "the twin walks every atomic class")
				require.LessOrEqual(t, got.Walks, got.Atomic)
				saved += got.Atomic - got.Walks
				got.Walks = want.Walks
				require.Equal(t, want, got, "%s host %q", h.Name(), host)
				maps++
			}
		}
	}
	t.Logf("%d maps equal; %d walks saved", maps, saved)
	require.Positive(t, saved, "no row was reused")
}
