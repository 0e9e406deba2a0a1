package simulate_test

import (
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"

	"github.com/egresslab/egress/internal/bignet"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

// bigEngine is the engine of package bignet's network: 101 VNets (1,000
// NICs), or the full 1,001 (10,000 NICs) when full is set.
func bigEngine(t testing.TB, full bool) *simulate.Engine {
	t.Helper()
	vnets := 101
	if full {
		vnets = 1001
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "big.yaml", Data: []byte(bignet.Design(vnets, 10))}}, Tags: defaultTagsMust()})
	require.NoError(t, err)
	return simulate.Compile(n, simulate.Options{})
}

var bigEngineShort = sync.OnceValue(func() *simulate.Engine { return bigEngine(&testing.T{}, false) })

// batchFlow returns a random flow of e for the batch differential: mostly
// what Classify's fast path decides (random IPv4 destinations, the NICs'
// own addresses), and a share of every flow it leaves to the walker or
// refuses: IPv6, IPv4-mapped IPv6, platform addresses, an invalid
// address, port 0, protocol Unknown, the zero NIC, another engine's NIC.
func batchFlow(r *rand.Rand, e, other *simulate.Engine) simulate.BatchFlow {
	f := simulate.BatchFlow{NIC: e.NICAt(r.IntN(e.NumNICs())), Dst: randomDst(r, e), Proto: protos[r.IntN(len(protos))], Port: uint16(1 + r.IntN(65535))}
	if r.IntN(4) == 0 {
		f.Port = []uint16{22, 25, 53, 80, 443, 1000, 1005, 1019, 1433}[r.IntN(9)]
	}
	switch r.IntN(40) {
	case 0:
		f.Dst = netip.MustParseAddr("2001:db8::1")
	case 1:
		f.Dst = netip.AddrFrom16(f.Dst.As16()) // IPv4-mapped
	case 2:
		f.Dst = netip.MustParseAddr([]string{"168.63.129.16", "169.254.169.254"}[r.IntN(2)])
	case 3:
		f.Dst = netip.Addr{}
	case 4:
		f.Port = 0
	case 5:
		f.Proto = ipproto.Unknown
	case 6:
		f.NIC = simulate.NIC{}
	case 7:
		f.NIC = other.NICAt(r.IntN(other.NumNICs()))
	}
	return f
}

// TestClassifyBatchDifferential holds ClassifyBatch equal to Classify flow
// by flow, Decision for Decision, on the walk twin's random networks
// (firewalls, appliances, peerings, NAT gateways, unknown resources) and
// on the big network, in batches of random sizes (chunk boundaries
// included): 1,000,000 flows, 60,000 under -short.
func TestClassifyBatchDifferential(t *testing.T) {
	total := 1_000_000
	if testing.Short() {
		total = 60_000
	}
	r := rand.New(rand.NewPCG(15, 2))
	engines := []*simulate.Engine{bigEngineShort()}
	for seed := range uint64(6) {
		engines = append(engines, newTwinWorld(t, 100+seed, 3, 3, simulate.Options{Firewall: simulate.FirewallMode(seed % 3), NVA: simulate.NVAMode(seed % 2)}).e)
	}
	var flows []simulate.BatchFlow
	var out []simulate.Decision
	fast := 0
	compact := map[simulate.Reason]int{} // the compact path's answers, by reason
	fallback := 0                        // valid flows Classify decides for it
	for done := 0; done < total; {
		e := engines[r.IntN(len(engines))]
		other := engines[(r.IntN(len(engines)-1)+1)%len(engines)]
		if other == e {
			other = engines[0]
		}
		flows = flows[:0]
		for range 1 + r.IntN(200) {
			flows = append(flows, batchFlow(r, e, other))
		}
		out = e.ClassifyBatch(flows, out)
		require.Len(t, out, len(flows))
		for i, f := range flows {
			want := e.Classify(f.NIC, f.Dst, f.Proto, f.Port)
			if out[i] != want {
				t.Fatalf("flow %d of %d: %s -> %v %v/%d: ClassifyBatch %+v, Classify %+v", i, len(flows), f.NIC.Name(), f.Dst, f.Proto, f.Port, out[i], want)
			}
			if want.Reason != simulate.ReasonInvalidFlow {
				fast++
			}
			if simulate.BatchCompact(e, f) {
				compact[want.Reason]++
			} else if want.Reason != simulate.ReasonInvalidFlow {
				fallback++
			}
		}
		done += len(flows)
	}
	require.Greater(t, fast, total/2, "too few valid flows")
	// Both paths are exercised, and the compact one on every kind of
	// answer it gives.
	require.Greater(t, fallback, total/20, "too few flows left to Classify")
	for _, r := range []simulate.Reason{simulate.ReasonNoSuchAddress, simulate.ReasonDeniedOut, simulate.ReasonInternet, simulate.ReasonRouteNone,
		simulate.ReasonGateway, simulate.ReasonNoEgress} {
		require.Positive(t, compact[r], "no compact answer %v: %v", r, compact)
	}
}

// TestClassifyBatchReference: on the big network, whose flows mostly end
// on the fast path (an appliance next hop nothing holds), the batch agrees
// with the reference twin's trace too.
func TestClassifyBatchReference(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 400
	}
	e := bigEngineShort()
	r := rand.New(rand.NewPCG(15, 3))
	flows := make([]simulate.BatchFlow, n)
	for i := range flows {
		flows[i] = simulate.BatchFlow{NIC: e.NICAt(r.IntN(e.NumNICs())), Dst: randomDst(r, e), Proto: protos[r.IntN(len(protos))], Port: uint16(1 + r.IntN(65535))}
	}
	out := e.ClassifyBatch(flows, nil)
	reasons := map[simulate.Reason]int{}
	for i, f := range flows {
		d := agree(t, e, f.NIC, f.Dst, f.Proto, f.Port)
		require.Equal(t, d, out[i])
		reasons[d.Reason]++
	}
	require.NotZero(t, reasons[simulate.ReasonNoSuchAddress], "no flow to the appliance nothing holds: %v", reasons)
}

// TestClassifyBatchAllocs: with a long enough out, ClassifyBatch allocates
// nothing; with a short one it allocates out once.
func TestClassifyBatchAllocs(t *testing.T) {
	e := bigEngineShort()
	r := rand.New(rand.NewPCG(15, 4))
	flows := make([]simulate.BatchFlow, 1000)
	for i := range flows {
		flows[i] = batchFlow(r, e, e)
	}
	out := make([]simulate.Decision, len(flows))
	require.Zero(t, testing.AllocsPerRun(20, func() { out = e.ClassifyBatch(flows, out) }))
	short := make([]simulate.Decision, 10)
	require.Equal(t, 1.0, testing.AllocsPerRun(20, func() { _ = e.ClassifyBatch(flows, short) }), "the replacement of a short out")
	require.Empty(t, e.ClassifyBatch(nil, nil))
}

// FuzzClassifyBatch holds ClassifyBatch to Classify on the walk twin's
// small random networks for batches the fuzzer picks: each 8 bytes of data
// is one flow (NIC, destination, protocol, port).
func FuzzClassifyBatch(f *testing.F) {
	f.Add(uint64(1), []byte{0, 0, 8, 8, 8, 8, 0, 1})
	f.Add(uint64(2), []byte{1, 10, 0, 2, 4, 1, 1, 187, 2, 9, 5, 1, 1, 2, 0, 53, 3, 168, 63, 129, 16, 0, 0, 80})
	f.Fuzz(func(t *testing.T, seed uint64, data []byte) {
		w := newTwinWorld(t, seed%64, 2, 2, simulate.Options{})
		var flows []simulate.BatchFlow
		for ; len(data) >= 8; data = data[8:] {
			fl := simulate.BatchFlow{NIC: w.e.NICAt(int(data[0]) % w.e.NumNICs()), Dst: netip.AddrFrom4([4]byte(data[1:5])),
				Proto: []ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP, ipproto.ESP, ipproto.Unknown}[int(data[5])%5], Port: uint16(data[6])<<8 | uint16(data[7])}
			switch data[0] >> 6 {
			case 1:
				fl.Dst = w.dsts[int(data[1])%len(w.dsts)]
			case 2:
				fl.Dst = w.e.NICAt(int(data[1]) % w.e.NumNICs()).Addr()
			case 3:
				if data[1]&1 == 0 {
					fl.NIC = simulate.NIC{}
				} else {
					fl.Dst = netip.AddrFrom16(fl.Dst.As16())
				}
			}
			flows = append(flows, fl)
		}
		out := w.e.ClassifyBatch(flows, nil)
		for i, fl := range flows {
			if want := w.e.Classify(fl.NIC, fl.Dst, fl.Proto, fl.Port); out[i] != want {
				t.Fatalf("flow %d: %+v: ClassifyBatch %+v, Classify %+v", i, fl, out[i], want)
			}
		}
	})
}

// TestClassifyBatchConcurrent: goroutines that share a fresh engine all
// classify through its compact state, built once by whichever comes first
// (go test -race checks the sharing), and agree with Classify.
func TestClassifyBatchConcurrent(t *testing.T) {
	e := newTwinWorld(t, 7, 3, 3, simulate.Options{}).e
	r := rand.New(rand.NewPCG(15, 5))
	flows := make([]simulate.BatchFlow, 500)
	for i := range flows {
		flows[i] = batchFlow(r, e, e)
	}
	want := make([]simulate.Decision, len(flows))
	for i, f := range flows {
		want[i] = e.Classify(f.NIC, f.Dst, f.Proto, f.Port)
	}
	var wg sync.WaitGroup
	got := make([][]simulate.Decision, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[g] = e.ClassifyBatch(flows, nil)
		}()
	}
	wg.Wait()
	for g := range got {
		require.Equal(t, want, got[g], "goroutine %d", g)
	}
}
