package simulate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/egresslab/egress/internal/bignet"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

// reachAllSame requires ReachAll's map of a NIC to be the one ReachHost
// builds for it, but for what says how it was built (Walks, SharedFrom).
func reachAllSame(t *testing.T, e *simulate.Engine, h simulate.NIC, host string, got *simulate.EgressMap) {
	t.Helper()
	want := e.ReachHost(h, host)
	g := *got
	g.Walks, g.SharedFrom = want.Walks, ""
	require.Equal(t, *want, g, "%s host %q (shared from %q)", h.Name(), host, got.SharedFrom)
}

// TestReachAllDifferential holds ReachAll to Reach on generated networks
// (subnets of several NICs, NIC NSGs on some, NVAs, firewalls, public IPs)
// and on the default design: every NIC's map equal, delivered in NIC order,
// and some of them shared.
func TestReachAllDifferential(t *testing.T) {
	type world struct {
		name string
		e    *simulate.Engine
	}
	worlds := []world{{"default design", defaultEngine(t)}}
	n := 6
	if testing.Short() {
		n = 3
	}
	opts := []simulate.Options{{}, {NVA: simulate.NVAUnknown, SMTP: simulate.SMTPBlocked}, {Firewall: simulate.FirewallUnknown, PrivateByDefault: true}}
	for i := range n {
		w := newReachTwinWorld(t, 900+uint64(i), 3, 2+i%4, opts[i%len(opts)])
		worlds = append(worlds, world{"generated", w.e})
	}
	maps, shared := 0, 0
	for wi, w := range worlds {
		for _, host := range []string{"", "api.partner.example"} {
			i := 0
			progress := 0
			err := w.e.ReachAll(context.Background(), simulate.ReachAllOptions{Host: host, Workers: 1 + wi%3, Progress: func(done, total int) {
				require.Equal(t, progress+1, done)
				require.Equal(t, w.e.NumNICs(), total)
				progress = done
			}}, func(h simulate.NIC, m *simulate.EgressMap) error {
				require.Equal(t, w.e.NICAt(i), h, "NIC order")
				require.Equal(t, h.Name(), m.Source)
				reachAllSame(t, w.e, h, host, m)
				if m.SharedFrom != "" {
					shared++
				}
				i++
				maps++
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, w.e.NumNICs(), i, "%s: every NIC", w.name)
			require.Equal(t, i, progress)
		}
	}
	t.Logf("%d maps equal to Reach's, %d of them shared", maps, shared)
	require.Positive(t, shared, "no map was shared")
}

// ReachAll delivers the maps of the NICs asked for, in their order, a NIC
// listed twice twice.
func TestReachAllNICs(t *testing.T) {
	e := defaultEngine(t)
	nics := e.NICs()
	want := []simulate.NIC{nics[len(nics)-1], nics[0], nics[len(nics)-1], nics[1]}
	var got []simulate.NIC
	require.NoError(t, e.ReachAll(context.Background(), simulate.ReachAllOptions{NICs: want, Workers: 2}, func(h simulate.NIC, m *simulate.EgressMap) error {
		got = append(got, h)
		reachAllSame(t, e, h, "", m)
		return nil
	}))
	require.Equal(t, want, got)
	require.NoError(t, e.ReachAll(context.Background(), simulate.ReachAllOptions{NICs: []simulate.NIC{}}, func(simulate.NIC, *simulate.EgressMap) error {
		t.Fatal("no NIC asked for")
		return nil
	}))
}

// Cancelling ReachAll's context stops it: it returns ctx.Err() and hands
// fn no map after that; an error of fn stops it too and is returned.
func TestReachAllCancel(t *testing.T) {
	w := newReachTwinWorld(t, 910, 3, 3, simulate.Options{})
	e := w.e
	require.Greater(t, e.NumNICs(), 6)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := e.ReachAll(ctx, simulate.ReachAllOptions{Workers: 2}, func(simulate.NIC, *simulate.EgressMap) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 3, calls, "no map after the cancellation")

	calls = 0
	err = e.ReachAll(ctx, simulate.ReachAllOptions{}, func(simulate.NIC, *simulate.EgressMap) error { calls++; return nil })
	require.ErrorIs(t, err, context.Canceled, "a context done before the call")
	require.Zero(t, calls)

	// Cancelled from elsewhere while the workers build: the first progress
	// report cancels, and ReachAll returns without waiting for the rest.
	ctx, cancel = context.WithCancel(context.Background())
	calls = 0
	err = e.ReachAll(ctx, simulate.ReachAllOptions{Workers: 3, Progress: func(int, int) { go cancel() }}, func(simulate.NIC, *simulate.EgressMap) error {
		calls++
		return nil
	})
	if err != nil { // the cancel may come after the last map
		require.ErrorIs(t, err, context.Canceled)
	}
	require.Positive(t, calls)

	boom := errors.New("boom")
	calls = 0
	err = e.ReachAll(context.Background(), simulate.ReachAllOptions{Workers: 2}, func(simulate.NIC, *simulate.EgressMap) error {
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, 2, calls)
}

// On the benchmark's big network (here 5 spokes of 10 NICs: skipped under
// -short), where every subnet's NICs share one build, each map is still
// Reach's.
func TestReachAllBigSample(t *testing.T) {
	if testing.Short() {
		t.Skip("50 egress maps on service-tag rules")
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "big.yaml", Data: []byte(bignet.Design(6, 10))}}, Tags: tags(t)})
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	shared := 0
	require.NoError(t, e.ReachAll(context.Background(), simulate.ReachAllOptions{Workers: 2}, func(h simulate.NIC, m *simulate.EgressMap) error {
		reachAllSame(t, e, h, "", m)
		if m.SharedFrom != "" {
			shared++
		}
		return nil
	}))
	require.Equal(t, e.NumNICs()-5, shared, "one build per subnet")
}
