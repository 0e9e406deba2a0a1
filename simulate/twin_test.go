package simulate_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/simulate/internal/walkref"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

var (
	twinFlows = flag.Int("twin.flows", 0, "flows for TestWalkTwin (0: 1,000,000, or 24,000 under -short)")
	twinSeed  = flag.Uint64("twin.seed", 0, "first network seed for TestWalkTwin (another value explores other networks)")
)

// twinOptions maps simulate's options onto the twin's plain values.
func twinOptions(o simulate.Options, tags route.TagResolver) walkref.Options {
	w := walkref.Options{Tags: tags, NVAUnknown: o.NVA == simulate.NVAUnknown, PrivateByDefault: o.PrivateByDefault, MaxHops: o.MaxHops}
	w.Firewall = map[simulate.FirewallMode]walkref.FirewallMode{simulate.FirewallEvaluate: walkref.FirewallEvaluate,
		simulate.FirewallUnknown: walkref.FirewallUnknown, simulate.FirewallAllow: walkref.FirewallAllow}[o.Firewall]
	w.SMTP = map[simulate.SMTPMode]walkref.SMTPMode{simulate.SMTPUnknown: walkref.SMTPUnknown,
		simulate.SMTPAllowed: walkref.SMTPAllowed, simulate.SMTPBlocked: walkref.SMTPBlocked}[o.SMTP]
	return w
}

// twinWorld is one engine and its twin on one generated network.
type twinWorld struct {
	m    *topology.Model
	e    *simulate.Engine
	tw   *walkref.Twin
	dsts []netip.Addr
}

func newTwinWorld(t testing.TB, seed uint64, spokes, nics int, opts simulate.Options) *twinWorld {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	n := genTwinNetwork(r, spokes, nics, storageAddr(t))
	v := n.m.Check(tags(t))
	require.Empty(t, v.Errors, "the generated network must validate")
	e, err := compile(n.m, tags(t), opts)
	require.NoError(t, err)
	return &twinWorld{m: n.m, e: e, tw: walkref.New(n.m, twinOptions(opts, tags(t))), dsts: n.dsts}
}

// storageAddr is an address of the Storage.EastUS service tag (what a
// Microsoft.Storage service endpoint in eastus routes).
func storageAddr(t testing.TB) netip.Addr {
	ps, _, ok := tags(t).ServiceTag("Storage.EastUS")
	require.True(t, ok)
	for _, p := range ps {
		if p.Addr().Is4() {
			return p.Addr().Next()
		}
	}
	t.Fatal("Storage.EastUS has no IPv4 prefix")
	return netip.Addr{}
}

// twinFlow is one flow of the differential.
type twinFlow struct {
	h     simulate.NIC
	dst   netip.Addr
	proto ipproto.Proto
	port  uint16
	host  string
}

func (w *twinWorld) randomFlow(r *rand.Rand) twinFlow {
	f := twinFlow{h: w.e.NICAt(r.IntN(w.e.NumNICs()))}
	switch r.IntN(4) {
	case 0:
		f.dst = w.dsts[r.IntN(len(w.dsts))]
	default:
		f.dst = randomDst(r, w.e)
	}
	f.proto = []ipproto.Proto{ipproto.TCP, ipproto.TCP, ipproto.UDP, ipproto.ICMP, ipproto.ESP}[r.IntN(5)]
	f.port = []uint16{22, 80, 443, 1433, 1500, 53, 25, 123}[r.IntN(8)]
	if f.proto == ipproto.TCP && r.IntN(3) == 0 {
		f.host = []string{"api.partner.example", "www.news.example", "partner.example"}[r.IntN(3)]
	}
	if f.dst.Is4() && f.dst.As4()[0] == 10 && r.IntN(8) == 0 {
		f.dst = netip.MustParseAddr("2001:db8::1") // IPv6 to the internet
	}
	return f
}

// disagreements groups the flows on which the engine and the twin differ,
// by what differs, keeping the first example of each.
type disagreements struct {
	count   map[string]int
	example map[string]string
}

func (d *disagreements) add(what, example string) {
	if d.count == nil {
		d.count, d.example = map[string]int{}, map[string]string{}
	}
	if d.count[what] == 0 {
		d.example[what] = example
	}
	d.count[what]++
}

func (d *disagreements) total() int {
	n := 0
	for _, c := range d.count {
		n += c
	}
	return n
}

func (d *disagreements) String() string {
	keys := make([]string, 0, len(d.count))
	for k := range d.count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%d× %s\n  e.g. %s\n", d.count[k], k, d.example[k])
	}
	return b.String()
}

func hopsOf(res *simulate.Result) []walkref.Hop {
	var out []walkref.Hop
	for _, h := range res.Hops {
		wh := walkref.Hop{Kind: walkref.HopKind(h.Kind.String()), Name: h.Name}
		for _, s := range h.Security {
			wh.Security = append(wh.Security, walkref.Step{Direction: s.Direction, Stage: s.Stage.String(), Source: s.Source(), Access: s.Access, Rule: s.Rule})
		}
		out = append(out, wh)
	}
	return out
}

// deniedBy formats the twin's deciding rule as Trace's DecidedBy names a
// denial.
func deniedBy(r walkref.Rule) string {
	if r.Stage == "AzureFirewall" {
		if r.Rule == "" {
			return "AzureFirewall " + r.Source + ": no rule matched (default deny)"
		}
		return "AzureFirewall " + r.Source + ": " + r.Rule
	}
	return r.Stage + " " + r.Source + ": " + r.Rule
}

func sortedAddrs(as []netip.Addr) []netip.Addr {
	as = slices.Clone(as)
	slices.SortFunc(as, netip.Addr.Compare)
	if as == nil {
		as = []netip.Addr{}
	}
	return as
}

// compare decides f with Classify (and the path its walker took), Trace and
// the twin, records what differs, and returns the twin's answer.
func (w *twinWorld) compare(t testing.TB, f twinFlow, dis *disagreements) walkref.Result {
	t.Helper()
	d, path := simulate.ClassifyPath(w.e, f.h, f.dst, f.proto, f.port, f.host)
	if d2 := w.e.ClassifyHost(f.h, f.dst, f.proto, f.port, f.host); d2 != d {
		dis.add("ClassifyPath differs from ClassifyHost", fmt.Sprint(d, d2))
	}
	res, err := w.e.Trace(simulate.Flow{From: f.h.ID(), To: f.dst, Protocol: f.proto, Port: f.port, Host: f.host})
	require.NoError(t, err)
	nic, ok := w.m.NIC(topology.Ref(f.h.ID()))
	require.True(t, ok)
	want, err := w.tw.Walk(walkref.Flow{From: nic, Dst: f.dst, Proto: f.proto, DstPort: f.port, Host: f.host})
	require.NoError(t, err)
	reason, _ := d.Reason.MarshalText()
	ex := fmt.Sprintf("%s -> %v %v/%d host %q\ntwin: %+v\ntrace:\n%s", f.h.Name(), f.dst, f.proto, f.port, f.host, want, res)
	check := func(what string, twin, classify, trace any) {
		if fmt.Sprint(twin) != fmt.Sprint(classify) || fmt.Sprint(twin) != fmt.Sprint(trace) {
			dis.add(fmt.Sprintf("%s: twin %v, Classify %v, Trace %v", what, twin, classify, trace), ex)
		}
	}
	check("verdict", want.Verdict, d.Verdict, res.Verdict)
	traceReason, _ := res.ReasonCode.MarshalText()
	check("reason", want.Reason, string(reason), string(traceReason))
	check("method", want.Method, d.Method, res.EgressMethod)
	check("assumed", want.Assumed, d.Assumed, d.Assumed)
	check("appliances crossed", want.Crossed, d.Hops, d.Hops)
	check("path", want.Path, path, path)
	check("egress IPs", sortedAddrs(want.EgressIPs), sortedAddrs(w.e.EgressIPs(d, nil)), sortedAddrs(res.EgressIPs))
	if got := hopsOf(res); fmt.Sprint(got) != fmt.Sprint(want.Hops) {
		dis.add(fmt.Sprintf("hops (%v %v)", want.Verdict, want.Reason), ex)
	}
	if want.Verdict == walkref.Denied {
		check("denied by", deniedBy(want.DeniedBy), simulate.DecidedBy(w.e, d), res.DecidedBy)
	}
	return want
}

// compareInjected decides f from container group r (source src) with
// TraceFrom, its reference lookups and the twin, and records what differs.
func (w *twinWorld) compareInjected(t testing.TB, src simulate.Source, r *topology.InjectedResource, f twinFlow, dis *disagreements) walkref.Result {
	t.Helper()
	fl := simulate.Flow{To: f.dst, Protocol: f.proto, Port: f.port, Host: f.host}
	res, err := w.e.TraceFrom(src, fl)
	require.NoError(t, err)
	ref, err := simulate.ReferenceTraceFrom(w.e, src, fl)
	require.NoError(t, err)
	want, err := w.tw.Walk(walkref.Flow{FromInjected: r, Dst: f.dst, Proto: f.proto, DstPort: f.port, Host: f.host})
	require.NoError(t, err)
	ex := fmt.Sprintf("%s -> %v %v/%d host %q\ntwin: %+v\ntrace:\n%s", r.Name, f.dst, f.proto, f.port, f.host, want, res)
	check := func(what string, twin, trace, reference any) {
		if fmt.Sprint(twin) != fmt.Sprint(trace) || fmt.Sprint(twin) != fmt.Sprint(reference) {
			dis.add(fmt.Sprintf("container group %s: twin %v, TraceFrom %v, reference %v", what, twin, trace, reference), ex)
		}
	}
	reason, _ := res.ReasonCode.MarshalText()
	refReason, _ := ref.ReasonCode.MarshalText()
	check("verdict", want.Verdict, res.Verdict, ref.Verdict)
	check("reason", want.Reason, string(reason), string(refReason))
	check("method", want.Method, res.EgressMethod, ref.EgressMethod)
	check("egress IPs", sortedAddrs(want.EgressIPs), sortedAddrs(res.EgressIPs), sortedAddrs(ref.EgressIPs))
	if got := hopsOf(res); fmt.Sprint(got) != fmt.Sprint(want.Hops) || fmt.Sprint(hopsOf(ref)) != fmt.Sprint(want.Hops) {
		dis.add(fmt.Sprintf("container group hops (%v %v)", want.Verdict, want.Reason), ex)
	}
	if want.Verdict == walkref.Denied {
		check("denied by", deniedBy(want.DeniedBy), res.DecidedBy, ref.DecidedBy)
	}
	return want
}

// TestWalkTwin holds Classify (with the path its walker took) and Trace to
// the independent walk twin, walkref, on generated networks: every verdict,
// every reason the generated networks can produce and every egress method
// must occur, and no flow may differ. The full run decides a million flows
// (-twin.flows sets another number, -twin.seed other networks); -short
// decides 24,000.
func TestWalkTwin(t *testing.T) {
	flows := 1_000_000
	if testing.Short() {
		flows = 24_000
	}
	if *twinFlows > 0 {
		flows = *twinFlows
	}
	type config struct {
		spokes, nics int
		opts         simulate.Options
	}
	configs := []config{
		{8, 3, simulate.Options{}},
		{8, 3, simulate.Options{NVA: simulate.NVAUnknown, SMTP: simulate.SMTPBlocked}},
		{6, 2, simulate.Options{Firewall: simulate.FirewallUnknown, SMTP: simulate.SMTPAllowed, PrivateByDefault: true}},
		{6, 2, simulate.Options{Firewall: simulate.FirewallAllow, MaxHops: 1}},
		{8, 3, simulate.Options{MaxHops: 2, SMTP: simulate.SMTPAllowed}},
	}
	worlds := max(len(configs)*2, flows/4000)
	var dis disagreements
	verdicts, reasons, methods := map[walkref.Verdict]int{}, map[walkref.Reason]int{}, map[walkref.Method]int{}
	atACI := map[walkref.Reason]int{}   // flows whose last hop is the generated container group aci1
	fromACI := map[walkref.Reason]int{} // flows from a container group
	done := 0
	for wi := range worlds {
		c := configs[wi%len(configs)]
		seed := *twinSeed + uint64(wi)
		w := newTwinWorld(t, seed, c.spokes, c.nics, c.opts)
		r := rand.New(rand.NewPCG(seed, 23))
		n := (flows - done) / (worlds - wi)
		var cgs []*topology.InjectedResource // the container groups, flow sources too
		for _, x := range w.m.Injected {
			if x.Kind == topology.InjectedContainerGroup {
				cgs = append(cgs, x)
			}
		}
		for range n {
			if len(cgs) > 0 && r.IntN(8) == 0 {
				cg := cgs[r.IntN(len(cgs))]
				src, err := w.e.Source(string(cg.ID))
				require.NoError(t, err)
				got := w.compareInjected(t, src, cg, w.randomFlow(r), &dis)
				fromACI[got.Reason]++
				continue
			}
			got := w.compare(t, w.randomFlow(r), &dis)
			verdicts[got.Verdict]++
			reasons[got.Reason]++
			methods[got.Method]++
			if len(got.Hops) > 0 && got.Hops[len(got.Hops)-1].Name == "aci1" {
				atACI[got.Reason]++
			}
		}
		done += n
	}
	t.Logf("%d flows on %d networks: %d disagreements", done, worlds, dis.total())
	if dis.total() > 0 {
		t.Errorf("Classify/Trace and the walk twin disagree:\n%s", &dis)
	}
	for _, v := range []walkref.Verdict{walkref.Unknown, walkref.Allowed, walkref.Denied, walkref.Dropped, walkref.NoEgress} {
		if verdicts[v] == 0 {
			t.Errorf("no flow ended %s: %v", v, verdicts)
		}
	}
	for _, want := range []walkref.Reason{walkref.ReasonDelivered, walkref.ReasonPrivateEndpoint, walkref.ReasonServiceEndpoint,
		walkref.ReasonGateway, walkref.ReasonInternet, walkref.ReasonPlatform, walkref.ReasonDeniedOut, walkref.ReasonDeniedIn,
		walkref.ReasonRouteNone, walkref.ReasonNoSuchAddress, walkref.ReasonNoForwarding, walkref.ReasonForwardedPeering,
		walkref.ReasonLoop, walkref.ReasonHopLimit, walkref.ReasonNoEgress, walkref.ReasonICMPNotSupported,
		walkref.ReasonNoSourceAddress, walkref.ReasonInternalLB, walkref.ReasonFirewallDenied, walkref.ReasonNoGateway,
		walkref.ReasonSMTPBlocked, walkref.ReasonFirewallNoSNAT, walkref.ReasonProtocolNotSupported, walkref.ReasonExternal,
		walkref.ReasonDelegatedSubnet} {
		if reasons[want] == 0 {
			t.Errorf("no flow ended with reason %s: %v", want, reasons)
		}
	}
	// A container group is a destination (delivered or denied by its
	// subnet's NSG) and, as a next hop, forwards nothing.
	for _, want := range []walkref.Reason{walkref.ReasonDelivered, walkref.ReasonDeniedIn, walkref.ReasonNoForwarding} {
		if atACI[want] == 0 {
			t.Errorf("no flow ended at container group aci1 with reason %s: %v", want, atACI)
		}
	}
	// From a container group: the NAT gateway, a private subnet, A-30, the
	// subnet's NSG, a firewall on the spoke route table's way.
	for _, want := range []walkref.Reason{walkref.ReasonInternet, walkref.ReasonNoEgress, walkref.ReasonDeniedOut, walkref.ReasonDelivered,
		walkref.ReasonNoSourceAddress, walkref.ReasonFirewallDenied, walkref.ReasonPlatform} {
		if fromACI[want] == 0 {
			t.Errorf("no flow from a container group ended with reason %s: %v", want, fromACI)
		}
	}
	for _, want := range []walkref.Method{walkref.MethodNone, walkref.MethodNATGateway, walkref.MethodInstancePublicIP,
		walkref.MethodLoadBalancer, walkref.MethodDefaultOutbound, walkref.MethodAzureFirewall, walkref.MethodGateway,
		walkref.MethodServiceEndpoint, walkref.MethodPrivateEndpoint, walkref.MethodPrivate, walkref.MethodPlatform} {
		if methods[want] == 0 {
			t.Errorf("no flow ended with egress method %s: %v", want, methods)
		}
	}
}
