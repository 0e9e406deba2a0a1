package nsg_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// TestDifferentialPair holds the fused NIC+subnet path equal to the staged
// path and to the reference, on random worlds that all have both NSGs (and
// admin rules in a third of them) and mostly outbound flows, and asserts
// through the test hook that the fused path answers exactly the outbound
// flows from one of the NIC's addresses that are not platform traffic.
func TestDifferentialPair(t *testing.T) {
	worlds, flows, maxRules := 200, 5000, 1000
	if testing.Short() {
		worlds, flows, maxRules = 24, 1500, 300
	}
	for _, real := range []bool{false, true} {
		g := newGen(21, 300)
		if real {
			g = newGen(22, 10)
			g.tags = realTags([]string{"Storage.EastUS", "AzureActiveDirectory", "Sql"})
		}
		g.pair = true
		fused, total := 0, 0
		for wi := range worlds / 2 {
			mr := maxRules
			if wi%4 != 0 {
				mr = 60
			}
			w, err := g.world(mr)
			require.NoError(t, err)
			require.True(t, nsg.HasPair(w.cls), "world %d: no fused tables", wi)
			bad := 0
			for range flows {
				f := g.flow()
				if f.Direction == nsg.Inbound && g.r.IntN(5) > 0 {
					f.Direction, f.Src, f.Dst, f.SrcPort, f.DstPort = nsg.Outbound, f.Dst, f.Src, f.DstPort, f.SrcPort
				}
				got, isPair := nsg.VerdictPath(w.cls, f)
				wantPair := w.wantFast(f)
				total++
				if isPair {
					fused++
				}
				staged := nsg.VerdictStaged(w.cls, f)
				want := w.ref.Evaluate(f)
				if ai := slices.Index(w.nic.Addrs, f.Src); ai >= 0 && f.Direction == nsg.Outbound {
					// The scalar entry point answers as Verdict does.
					if out := w.cls.Outbound(ai, f.Dst, f.Proto, f.SrcPort, f.DstPort); out != got {
						t.Fatalf("world %d: Outbound(%d, %v, %v, %d, %d) = %+v, Verdict(%+v) = %+v", wi, ai, f.Dst, f.Proto, f.SrcPort, f.DstPort, out, f, got)
					}
					if o := w.cls.OutPath(ai); o.Verdict(f.Dst, f.Proto, f.SrcPort, f.DstPort) != got {
						t.Fatalf("world %d: OutPath(%d).Verdict(%v, %v, %d, %d) = %+v, Verdict(%+v) = %+v", wi, ai, f.Dst, f.Proto, f.SrcPort, f.DstPort, o.Verdict(f.Dst, f.Proto, f.SrcPort, f.DstPort), f, got)
					}
				}
				if isPair != wantPair || got != staged || w.names(f, got) != want {
					bad++
					if bad <= 3 {
						t.Errorf("world %d: Verdict(%+v) = %+v (fused %v, want fused %v)\nstaged %+v\n got %v\nwant %v",
							wi, f, got, isPair, wantPair, staged, w.names(f, got), want)
					}
				}
			}
			if bad > 0 {
				t.Fatalf("world %d: %d disagreements", wi, bad)
			}
		}
		require.Greater(t, fused, total/2, "the fused path answered too few flows")
		t.Logf("real tags %v: %d flows, %d on the fused path, 0 disagreements", real, total, fused)
	}
}

// TestPairShared: NICs bound to the same two NSGs share one fused table,
// whatever their addresses; other pairs, and the swapped pair, get their
// own; a NIC with one NSG gets none.
func TestPairShared(t *testing.T) {
	a := group(t, "nsg-a", r("deny-web", 100, "Outbound Deny Tcp * * 203.0.113.0/24 443"))
	b := group(t, "nsg-b", r("deny-dns", 100, "Outbound Deny Udp * * 8.8.8.8 53"))
	bind := func(addr string, nic, subnet *nsg.Group) *nsg.Classifier {
		c, err := nsg.NewClassifier(nsg.NIC{ID: "nic", Addrs: []netip.Addr{ip(addr)}, NSG: nic, SubnetNSG: subnet})
		require.NoError(t, err)
		return c
	}
	c1, c2 := bind("10.1.0.4", a, b), bind("10.1.0.5", a, b)
	assert.True(t, nsg.SamePair(c1, c2), "same NSGs, two NICs")
	assert.False(t, nsg.SamePair(c1, bind("10.1.0.4", b, a)), "swapped NSGs")
	assert.True(t, nsg.HasPair(bind("10.1.0.4", a, a)), "one NSG at both levels")
	assert.False(t, nsg.HasPair(bind("10.1.0.4", a, nil)), "no subnet NSG")

	f := nsg.Flow{Direction: nsg.Outbound, Proto: ipproto.TCP, Src: ip("10.1.0.5"), Dst: ip("203.0.113.9"), SrcPort: 1, DstPort: 443}
	v, fused := nsg.VerdictPath(c2, f)
	assert.True(t, fused)
	assert.Equal(t, nsg.Deny, v.Access)
	f.Dst, f.Proto, f.DstPort = ip("8.8.8.8"), ipproto.UDP, 53
	v, fused = nsg.VerdictPath(c2, f)
	assert.True(t, fused)
	assert.Equal(t, nsg.Verdict{Access: nsg.Deny, Reason: nsg.ReasonRule, Rules: nsg.StageRules{Admin: -1, NIC: 2, Subnet: 0}}, v,
		"the NIC's AllowInternetOutBound, then the subnet's deny-dns")
}
