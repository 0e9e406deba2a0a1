package simulate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/require"
)

// TestDiffMapsDifferential holds DiffMaps exact: on generated networks
// compiled twice with options that change outcomes (a firewall that allows
// everything, private subnets), a random flow's Classify outcome differs
// between the two exactly when a change of the two NICs' maps holds it,
// with the change's Before and After.
func TestDiffMapsDifferential(t *testing.T) {
	flows := 200_000
	if testing.Short() {
		flows = 20_000
	}
	pairs := []struct{ a, b simulate.Options }{
		{simulate.Options{}, simulate.Options{Firewall: simulate.FirewallAllow}},
		{simulate.Options{}, simulate.Options{PrivateByDefault: true, NVA: simulate.NVAUnknown}},
		{simulate.Options{SMTP: simulate.SMTPAllowed}, simulate.Options{SMTP: simulate.SMTPBlocked, MaxHops: 1}},
	}
	changed, checked := 0, 0
	for pi, pr := range pairs {
		seed := 2000 + uint64(pi)
		wa := newReachWorld(t, seed, 5, 2, 3, pr.a)
		wb := newReachTwinWorld(t, seed, 5, 2, pr.b)
		r := rand.New(rand.NewPCG(seed, 31))
		for mi, ma := range wa.maps {
			ha, err := wa.e.NIC(ma.SourceID)
			require.NoError(t, err)
			hb, err := wb.e.NIC(ma.SourceID)
			require.NoError(t, err)
			mb := wb.e.ReachHost(hb, ma.Host)
			chs := simulate.DiffMaps(ma, mb)
			for _, c := range chs {
				w := c.Witness
				da, db := wa.e.ClassifyHost(ha, w.To, w.Protocol, w.Port, ma.Host), wb.e.ClassifyHost(hb, w.To, w.Protocol, w.Port, ma.Host)
				require.Equal(t, c.Before, da.Outcome, "witness %v %v/%d", w.To, w.Protocol, w.Port)
				require.Equal(t, c.After, db.Outcome, "witness %v %v/%d", w.To, w.Protocol, w.Port)
			}
			for range flows / len(pairs) / len(wa.maps) {
				dst, p, port := wa.randomReachFlow(r, mi)
				da, db := wa.e.ClassifyHost(ha, dst, p, port, ma.Host), wb.e.ClassifyHost(hb, dst, p, port, ma.Host)
				var in *simulate.MapChange
				for k := range chs {
					c := &chs[k]
					cls := simulate.ReachClass{Prefixes: c.Prefixes, Protocols: c.Protocols, OtherProtocols: c.OtherProtocols, Ports: c.Ports}
					if cls.Contains(dst, p, port) {
						in = c
						break
					}
				}
				checked++
				ex := fmt.Sprintf("%s -> %v %v/%d host %q", ma.Source, dst, p, port, ma.Host)
				if da.Outcome != db.Outcome || da.Assumed != db.Assumed {
					changed++
					require.NotNil(t, in, "a changed flow in no change: %s: %v -> %v", ex, da.Outcome, db.Outcome)
				}
				if in != nil {
					require.Equal(t, in.Before, da.Outcome, ex)
					require.Equal(t, in.After, db.Outcome, ex)
				}
			}
		}
	}
	t.Logf("%d flows, %d changed, all in a change of their maps", checked, changed)
	require.Positive(t, changed, "the option pairs change outcomes")
}

// FuzzDiffMaps: for any flow, it is in a change of the maps of a NIC
// under two option sets exactly when its outcome differs between them.
func FuzzDiffMaps(f *testing.F) {
	f.Add(uint64(0), uint8(1), []byte{52, 1, 2, 3}, uint8(6), uint16(443))
	f.Add(uint64(1), uint8(0), []byte{10, 0, 1, 4}, uint8(50), uint16(0))
	f.Fuzz(func(t *testing.T, seed uint64, nic uint8, addr []byte, proto uint8, port uint16) {
		seed %= 2
		if len(addr) != 4 && len(addr) != 16 {
			return
		}
		dst, _ := netip.AddrFromSlice(addr)
		p := ipproto.Proto(proto)
		if p == ipproto.Unknown || p.HasPorts() && port == 0 {
			return
		}
		wa := newReachTwinWorld(t, 700+seed, 3, 2, simulate.Options{})
		wb := newReachTwinWorld(t, 700+seed, 3, 2, simulate.Options{Firewall: simulate.FirewallAllow, PrivateByDefault: true})
		ha := wa.e.NICAt(int(nic) % wa.e.NumNICs())
		hb, err := wb.e.NIC(ha.ID())
		require.NoError(t, err)
		chs := simulate.DiffMaps(wa.e.Reach(ha), wb.e.Reach(hb))
		da, db := wa.e.Classify(ha, dst, p, port), wb.e.Classify(hb, dst, p, port)
		in := false
		for _, c := range chs {
			cls := simulate.ReachClass{Prefixes: c.Prefixes, Protocols: c.Protocols, OtherProtocols: c.OtherProtocols, Ports: c.Ports}
			if cls.Contains(dst, p, port) {
				in = true
				require.Equal(t, c.Before, da.Outcome)
				require.Equal(t, c.After, db.Outcome)
			}
		}
		if da.Outcome != db.Outcome || da.Assumed != db.Assumed {
			require.True(t, in, "%v %v/%d: %v -> %v in no change", dst, p, port, da.Outcome, db.Outcome)
		}
	})
}

// TestDiffReach: DiffReach hands each NIC the changes DiffMaps finds between
// its plain Reach maps on the two engines, in NIC order, and names the NICs
// the other engine does not hold.
func TestDiffReach(t *testing.T) {
	before := defaultEngine(t)
	after := engine(t, string(designs.HubSpoke), simulate.Options{Firewall: simulate.FirewallAllow})
	nics := before.NICs()
	var order []string
	_, err := simulate.DiffReach(context.Background(), before, after, nics, nil, func(h simulate.NIC, cs []simulate.MapChange) error {
		ha, err := after.NIC(h.ID())
		require.NoError(t, err)
		require.Equal(t, simulate.DiffMaps(before.Reach(h), after.Reach(ha)), cs, "%s", h)
		order = append(order, h.Name())
		return nil
	})
	require.NoError(t, err)
	var want []string
	for _, h := range nics {
		want = append(want, h.Name())
	}
	require.Equal(t, want, order)

	// A NIC the other network lacks is returned, not compared; fn's error stops the run.
	small := engine(t, "egress: v1\nvnets: [{name: v, addressSpace: [10.9.0.0/16], subnets: [{name: s, prefix: 10.9.0.0/24}]}]\nnics: [{name: n, subnet: v/s, ip: 10.9.0.4}]\n", simulate.Options{})
	missing, err := simulate.DiffReach(context.Background(), before, small, nics, nil, func(simulate.NIC, []simulate.MapChange) error { return nil })
	require.NoError(t, err)
	require.Len(t, missing, len(nics))
	stop := fmt.Errorf("stop")
	_, err = simulate.DiffReach(context.Background(), before, after, nics, nil, func(simulate.NIC, []simulate.MapChange) error { return stop })
	require.ErrorIs(t, err, stop)
}
