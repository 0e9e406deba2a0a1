package demand_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/demand"
	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/ipproto"
)

var (
	src  = netip.MustParseAddr("10.1.1.4")
	web  = netip.MustParseAddr("52.1.1.1")
	web2 = netip.MustParseAddr("52.1.1.2")
)

const mac = "0022480ABCDE"

// tup is an outbound, allowed VNet flow log TCP tuple from src:port to
// web:443 at t milliseconds, in state s ("B", "C", "E" or "D").
func tup(t int64, s string, port uint16) flowlog.Flow {
	st := map[string]flowlog.State{"B": flowlog.Begin, "C": flowlog.Continuing, "E": flowlog.End, "D": flowlog.DeniedState}[s]
	dec := flowlog.Allowed
	if st == flowlog.DeniedState {
		dec = flowlog.Denied
	}
	return flowlog.Flow{Format: flowlog.VNetV4, Time: t, Src: src, Dst: web, SrcPort: port, DstPort: 443, Proto: ipproto.TCP,
		Direction: flowlog.Outbound, Decision: dec, State: st, MAC: mac}
}

func ms(t int64) time.Time { return time.UnixMilli(t).UTC() }

func estimate(t *testing.T, opts demand.Options, flows ...flowlog.Flow) ([]demand.Peak, demand.Stats) {
	t.Helper()
	e, err := demand.NewEstimator(opts)
	require.NoError(t, err)
	for i := range flows {
		e.Add(&flows[i])
	}
	got := e.Peaks()
	assert.Equal(t, slowPeaks(flows, opts), got, "the estimator and its slow twin disagree")
	return got, e.Stats()
}

// one returns the only row of ps.
func one(t *testing.T, ps []demand.Peak) demand.Peak {
	t.Helper()
	require.Len(t, ps, 1, "%v", ps)
	return ps[0]
}

// Overlapping connections: the count reaches 2 at 50 while the first is
// open (through 100 included) and again at 120; At and Until are the first
// stretch.
func TestOverlapping(t *testing.T) {
	p := one(t, first(estimate(t, demand.Options{},
		tup(0, "B", 1000), tup(100, "E", 1000),
		tup(50, "B", 1001), tup(150, "E", 1001),
		tup(120, "B", 1002), tup(200, "E", 1002))))
	assert.Equal(t, demand.Peak{Src: src, MAC: mac, Dst: netip.AddrPortFrom(web, 443), Proto: ipproto.TCP,
		Peak: 2, At: ms(50), Until: ms(101), Connections: 3, Tuples: 6}, p)
}

func first[A, B any](a A, _ B) A { return a }

// Nested connections inside a long one.
func TestNested(t *testing.T) {
	p := one(t, first(estimate(t, demand.Options{},
		tup(0, "B", 1), tup(1000, "E", 1),
		tup(10, "B", 2), tup(20, "E", 2),
		tup(15, "B", 3), tup(18, "E", 3),
		tup(30, "B", 4), tup(40, "E", 4))))
	assert.Equal(t, 3, p.Peak)
	assert.Equal(t, ms(15), p.At)
	assert.Equal(t, ms(19), p.Until)
	assert.Equal(t, 4, p.Connections)
}

// Arrival order does not matter: every permutation of the tuples gives
// the same rows (E before B, a connection's C before its B, ...).
func TestAnyOrder(t *testing.T) {
	flows := []flowlog.Flow{tup(0, "B", 1), tup(60_000, "C", 1), tup(90_000, "E", 1),
		tup(30_000, "B", 2), tup(95_000, "E", 2), tup(92_000, "C", 3)}
	want := slowPeaks(flows, demand.Options{})
	require.NotEmpty(t, want)
	require.Len(t, want, 1)
	assert.Equal(t, []any{2, ms(30_000), ms(90_001)}, []any{want[0].Peak, want[0].At, want[0].Until},
		"ports 1 and 2 from 30 s until port 1 closes; ports 2 and 3 again at 92 s")
	perm := make([]flowlog.Flow, len(flows))
	var rec func(k int, used uint)
	n := 0
	rec = func(k int, used uint) {
		if k == len(flows) {
			got, _ := estimate(t, demand.Options{}, perm...)
			require.Equal(t, want, got)
			n++
			return
		}
		for i := range flows {
			if used&(1<<i) == 0 {
				perm[k] = flows[i]
				rec(k+1, used|1<<i)
			}
		}
	}
	rec(0, 0)
	assert.Equal(t, 720, n)
}

// A C with no B before it opens the connection at its own time: the log
// began while the connection was open
// (https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview#log-format:
// C, continuing, is logged for an ongoing flow at five-minute intervals).
func TestContinuingWithoutBegin(t *testing.T) {
	p := one(t, first(estimate(t, demand.Options{},
		tup(500, "C", 1), tup(900, "E", 1),
		tup(600, "B", 2), tup(700, "E", 2))))
	assert.Equal(t, 2, p.Peak)
	assert.Equal(t, ms(600), p.At)
	assert.Equal(t, ms(701), p.Until)

	// An E alone is a connection that was open when the log began: it
	// holds its port at its instant.
	p = one(t, first(estimate(t, demand.Options{}, tup(50, "E", 1))))
	assert.Equal(t, 1, p.Peak)
	assert.Equal(t, ms(50), p.At)
	assert.Equal(t, ms(51), p.Until)

	// A C after the close with no new B is a late tuple of the closed
	// connection, not a new one.
	p = one(t, first(estimate(t, demand.Options{},
		tup(0, "B", 1), tup(10, "E", 1), tup(500, "C", 1),
		tup(400, "B", 2), tup(600, "E", 2))))
	assert.Equal(t, 1, p.Peak)
	assert.Equal(t, 2, p.Connections)
}

// A connection whose end was never logged stays open until its last tuple
// plus the idle timeout: 4 minutes by default, NAT gateway's TCP idle
// timeout default (https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#timers).
func TestNeverClosedIdleTimeout(t *testing.T) {
	const minute = 60_000
	flows := []flowlog.Flow{tup(0, "B", 1), tup(5*minute, "C", 1), // open until 9 min
		tup(8*minute, "B", 2), tup(10*minute, "E", 2)}
	p := one(t, first(estimate(t, demand.Options{}, flows...)))
	assert.Equal(t, 2, p.Peak)
	assert.Equal(t, ms(8*minute), p.At)
	assert.Equal(t, ms(9*minute+1), p.Until)
	assert.Equal(t, 1, p.Unclosed, "port 1's end is the idle timeout's estimate")

	// A 30-second idle timeout: port 1 is gone by 8 minutes.
	p = one(t, first(estimate(t, demand.Options{Idle: 30 * time.Second}, flows...)))
	assert.Equal(t, 1, p.Peak)
	assert.Equal(t, ms(0), p.At)
	assert.Equal(t, 1, p.Unclosed)
}

// Hold keeps a closed connection's port after its E (NAT gateway's port
// reuse timers are a supply-side property the caller passes).
func TestHold(t *testing.T) {
	flows := []flowlog.Flow{tup(0, "B", 1), tup(100, "E", 1), tup(120, "B", 2), tup(200, "E", 2)}
	assert.Equal(t, 1, one(t, first(estimate(t, demand.Options{}, flows...))).Peak)
	p := one(t, first(estimate(t, demand.Options{Hold: 50 * time.Millisecond}, flows...)))
	assert.Equal(t, 2, p.Peak)
	assert.Equal(t, ms(120), p.At)
	assert.Equal(t, ms(151), p.Until)
	assert.Zero(t, p.Unclosed)
}

// A 5-tuple reused after its close is a second connection on the same
// port; a B while open (its E lost) keeps the one connection.
func TestPortReuse(t *testing.T) {
	p := one(t, first(estimate(t, demand.Options{},
		tup(0, "B", 1), tup(10, "E", 1), tup(20, "B", 1), tup(30, "E", 1),
		tup(25, "B", 2), tup(40, "E", 2))))
	assert.Equal(t, 2, p.Peak)
	assert.Equal(t, ms(25), p.At)
	assert.Equal(t, 3, p.Connections)

	p = one(t, first(estimate(t, demand.Options{}, tup(0, "B", 1), tup(100, "B", 1), tup(200, "E", 1), tup(150, "B", 2), tup(160, "E", 2))))
	assert.Equal(t, 2, p.Peak)
	assert.Equal(t, 2, p.Connections)

	// With a hold longer than the gap, the reused 5-tuple's two connections
	// overlap and hold one port.
	p = one(t, first(estimate(t, demand.Options{Hold: time.Second}, tup(0, "B", 1), tup(10, "E", 1), tup(20, "B", 1), tup(30, "E", 1))))
	assert.Equal(t, 1, p.Peak)
	assert.Equal(t, 1, p.Connections)
}

// Denied and inbound tuples take no SNAT port; neither do NAT gateway
// flow log records (no source port) or ICMP.
func TestOnlyAllowedOutbound(t *testing.T) {
	flows := []flowlog.Flow{tup(0, "B", 1), tup(100, "E", 1)}
	for i := range 5 {
		flows = append(flows, tup(int64(10+i), "D", uint16(100+i)))
		in := tup(int64(10+i), "B", uint16(200+i))
		in.Direction = flowlog.Inbound
		flows = append(flows, in)
		nsg := tup(int64(10+i), "B", uint16(300+i)) // an NSG v2 tuple denied by a rule
		nsg.Format, nsg.Decision = flowlog.NSGV2, flowlog.Denied
		flows = append(flows, nsg)
	}
	nat := flowlog.Flow{Format: flowlog.NATGateway, Time: 20, Src: src, Dst: web}
	icmp := tup(20, "B", 7)
	icmp.Proto = ipproto.ICMP
	bad := tup(20, "B", 8)
	bad.Time = -1
	flows = append(flows, nat, icmp, bad)
	p, st := estimate(t, demand.Options{}, flows...)
	assert.Equal(t, 1, one(t, p).Peak)
	assert.Equal(t, demand.Stats{Tuples: 20, Counted: 2, Inbound: 5, Denied: 10, NoPorts: 1, OtherProto: 1, Invalid: 1, Connections: 1}, st)
}

// The same IP under two MACs (the address moved to another NIC) and two
// destinations make separate rows, in order.
func TestKeys(t *testing.T) {
	a, b := tup(0, "B", 1), tup(0, "B", 2)
	b.MAC = "0022480A0001"
	c := tup(0, "B", 3)
	c.Dst = web2
	u := tup(0, "B", 4)
	u.Proto = ipproto.UDP
	ps, _ := estimate(t, demand.Options{}, a, b, c, u)
	require.Len(t, ps, 4)
	assert.Equal(t, "0022480A0001", ps[0].MAC)
	assert.Equal(t, []ipproto.Proto{ipproto.TCP, ipproto.UDP}, []ipproto.Proto{ps[1].Proto, ps[2].Proto})
	assert.Equal(t, netip.AddrPortFrom(web2, 443), ps[3].Dst)
	for _, p := range ps {
		assert.Equal(t, 1, p.Peak)
		assert.Equal(t, 1, p.Unclosed)
	}
}

// Windows report each window's peak; a connection spanning windows counts
// in each, from the window's start.
func TestWindows(t *testing.T) {
	ps, _ := estimate(t, demand.Options{Window: time.Second},
		tup(3500, "B", 1), tup(4500, "E", 1),
		tup(3600, "B", 2), tup(3700, "E", 2),
		tup(4200, "B", 3), tup(4300, "E", 3))
	require.Len(t, ps, 2)
	assert.Equal(t, ms(3000), ps[0].Window)
	assert.Equal(t, []any{2, ms(3600), ms(3701), 2}, []any{ps[0].Peak, ps[0].At, ps[0].Until, ps[0].Connections})
	assert.Equal(t, ms(4000), ps[1].Window)
	assert.Equal(t, []any{2, ms(4200), ms(4301), 2}, []any{ps[1].Peak, ps[1].At, ps[1].Until, ps[1].Connections})

	// A stretch at the peak that runs to the window's end stops there.
	ps, _ = estimate(t, demand.Options{Window: time.Second}, tup(3500, "B", 1), tup(4500, "E", 1))
	require.Len(t, ps, 2)
	assert.Equal(t, []time.Time{ms(3500), ms(4000)}, []time.Time{ps[0].At, ps[0].Until})
	assert.Equal(t, []time.Time{ms(4000), ms(4501)}, []time.Time{ps[1].At, ps[1].Until})
}

func TestOptionErrors(t *testing.T) {
	for _, c := range []struct {
		opts demand.Options
		want string
	}{
		{demand.Options{Idle: -time.Second}, "demand: Options.Idle -1s is negative"},
		{demand.Options{Hold: time.Microsecond}, "demand: Options.Hold 1µs is not a whole number of milliseconds (the flow logs' resolution)"},
		{demand.Options{Window: -time.Hour}, "demand: Options.Window -1h0m0s is negative"},
		{demand.Options{Workers: -1}, "demand: Options.Workers -1 is negative"},
	} {
		_, err := demand.NewEstimator(c.opts)
		assert.EqualError(t, err, c.want)
	}
	a, _ := demand.NewEstimator(demand.Options{})
	b, _ := demand.NewEstimator(demand.Options{Hold: time.Second})
	assert.ErrorContains(t, a.Merge(b), "demand: merging estimators with different options")
	assert.Equal(t, demand.DefaultIdle, a.Options().Idle)
}

// randomFlows returns n tuples over a small domain, so that 5-tuples
// repeat, overlap and reuse ports: every state, both directions, denials,
// NSG v1 tuples without a state, times out of order.
func randomFlows(r *rand.Rand, n int) []flowlog.Flow {
	macs := []string{"00AA", "00BB"}
	dsts := []netip.Addr{web, web2}
	out := make([]flowlog.Flow, n)
	for i := range out {
		f := tup(int64(r.IntN(60)), "BCEB C"[r.IntN(6):][:1], uint16(1+r.IntN(4)))
		if f.State == flowlog.StateNone { // the space: a stateless NSG v1 tuple
			f.Format = flowlog.NSGV1
		}
		f.MAC = macs[r.IntN(2)]
		f.Dst = dsts[r.IntN(2)]
		switch r.IntN(20) {
		case 0:
			f.Direction = flowlog.Inbound
		case 1:
			f.State, f.Decision = flowlog.DeniedState, flowlog.Denied
		case 2:
			f.Proto = ipproto.UDP
		}
		out[i] = f
	}
	return out
}

// The estimator equals its slow twin on random tuples, whatever the order
// and however the tuples are split between merged estimators.
func TestRandomAgainstSlow(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	rounds := 3000
	if testing.Short() {
		rounds = 500
	}
	maxPeak, unclosed, windows := 0, 0, 0
	for range rounds {
		flows := randomFlows(r, 1+r.IntN(40))
		opts := demand.Options{Idle: time.Duration(1+r.IntN(20)) * time.Millisecond, Hold: time.Duration(r.IntN(3)) * time.Millisecond}
		if r.IntN(2) == 0 {
			opts.Window = time.Duration(1+r.IntN(25)) * time.Millisecond
		}
		want := slowPeaks(flows, opts)
		for _, p := range want {
			maxPeak = max(maxPeak, p.Peak)
			unclosed += p.Unclosed
			if !p.Window.IsZero() || opts.Window > 0 {
				windows++
			}
		}
		e, err := demand.NewEstimator(opts)
		require.NoError(t, err)
		parts := []*demand.Estimator{e}
		for range r.IntN(3) {
			p, _ := demand.NewEstimator(opts)
			parts = append(parts, p)
		}
		for _, i := range r.Perm(len(flows)) {
			parts[r.IntN(len(parts))].Add(&flows[i])
		}
		for _, p := range parts[1:] {
			require.NoError(t, e.Merge(p))
		}
		got := e.Peaks()
		if !assert.Equal(t, want, got, "options %+v, flows %v", opts, flows) {
			return
		}
		assert.Equal(t, got, e.Peaks(), "Peaks twice")
	}
	// The generator reaches the cases that matter.
	assert.GreaterOrEqual(t, maxPeak, 4)
	assert.Positive(t, unclosed)
	assert.Positive(t, windows)
}

// A C of a known connection allocates nothing (and keeps nothing).
func TestAddNoAllocs(t *testing.T) {
	e, _ := demand.NewEstimator(demand.Options{})
	flows := []flowlog.Flow{tup(0, "B", 1), tup(10, "B", 2), tup(100, "E", 1)}
	for i := range flows {
		e.Add(&flows[i])
	}
	cs := []flowlog.Flow{tup(50, "C", 1), tup(60, "C", 2), tup(70, "D", 3)}
	in := tup(80, "C", 4)
	in.Direction = flowlog.Inbound
	cs = append(cs, in)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		e.Add(&cs[i%len(cs)])
		i++
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 2, e.Stats().Connections)
}

func FuzzEstimator(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(3), uint8(1), uint8(0))
	f.Add([]byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120}, uint8(1), uint8(0), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, idle, hold, window uint8) {
		// Each 3 bytes are a tuple: time; state, port, MAC, destination;
		// direction, decision and protocol.
		var flows []flowlog.Flow
		for i := 0; i+3 <= len(data) && len(flows) < 64; i += 3 {
			a, b, c := data[i], data[i+1], data[i+2]
			fl := tup(int64(a), "BCED"[b&3:][:1], uint16(1+(b>>2)&3))
			fl.MAC = []string{"00AA", "00BB"}[(b>>4)&1]
			if b>>5&1 == 1 {
				fl.Dst = web2
			}
			if c&1 == 1 {
				fl.Direction = flowlog.Inbound
			}
			if c&2 == 2 {
				fl.Proto = ipproto.UDP
			}
			if c&4 == 4 {
				fl.Format, fl.State = flowlog.NSGV1, flowlog.StateNone
			}
			flows = append(flows, fl)
		}
		opts := demand.Options{Idle: time.Duration(1+idle%30) * time.Millisecond, Hold: time.Duration(hold%5) * time.Millisecond,
			Window: time.Duration(window%40) * time.Millisecond}
		e, err := demand.NewEstimator(opts)
		require.NoError(t, err)
		for i := len(flows) - 1; i >= 0; i-- { // the reverse order
			e.Add(&flows[i])
		}
		require.Equal(t, slowPeaks(flows, opts), e.Peaks())
	})
}
