package nsg_test

import (
	"net/netip"
	"sort"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/stretchr/testify/require"
)

// be is IPv4 address a as a big-endian uint32.
func be(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// checkFlat holds FlatOut.Verdict to OutPath.Verdict on the outbound IPv4
// flows of n random flows of world w, for every address Flat covers; it
// returns how many flows it compared.
func checkFlat(t *testing.T, g *gen, w *world, b *nsg.FlatBuilder, n int) int {
	t.Helper()
	type path struct {
		o      nsg.OutPath
		f      nsg.FlatOut
		starts []uint32
		ctx    []uint8
	}
	paths := map[netip.Addr]*path{}
	for ai, a := range w.nic.Addrs {
		o := w.cls.OutPath(ai)
		f, ok := b.Flat(&o)
		if !ok {
			continue
		}
		p := &path{o: o, f: f}
		p.starts, p.ctx = o.ScopeRanges4()
		require.Len(t, p.ctx, len(p.starts))
		require.Zero(t, p.starts[0])
		paths[a] = p
	}
	compared := 0
	for range n {
		fl := g.flow()
		src, dst := fl.Src.Unmap(), fl.Dst.Unmap()
		p := paths[src]
		if p == nil || fl.Direction != nsg.Outbound || !dst.Is4() || dst == nsg.HostIP || dst == nsg.IMDSIP {
			continue
		}
		a := be(dst)
		ctx := p.ctx[sort.Search(len(p.starts), func(i int) bool { return p.starts[i] > a })-1]
		want := p.o.Verdict(fl.Dst, fl.Proto, fl.SrcPort, fl.DstPort)
		require.Equal(t, want, p.f.Verdict(a, ctx, fl.Proto, fl.SrcPort, fl.DstPort), "%+v", fl)
		compared++
	}
	return compared
}

// TestFlatOut holds FlatOut to OutPath (which the differential tests hold
// to the reference evaluator) on random worlds, synthetic and real service
// tags, shared partitions (nsg.Cache) or not: every world with one NSG and
// no admin rules is covered.
func TestFlatOut(t *testing.T) {
	worlds, flows := 300, 3000
	if testing.Short() {
		worlds, flows = 60, 1000
	}
	compared, pairs := 0, 0
	for i, g := range []*gen{newGen(11, 300), newGen(12, 10), newGen(13, 300)} {
		switch i {
		case 1:
			g.tags = realTags([]string{"Storage.EastUS", "AzureActiveDirectory", "Storage", "Sql"})
			g.cache = true
		case 2:
			g.pair = true // every world under both a NIC and a subnet NSG
		}
		var b nsg.FlatBuilder
		for range worlds {
			w, err := g.world(60)
			require.NoError(t, err)
			n := checkFlat(t, g, w, &b, flows)
			compared += n
			if w.nic.NSG != nil && w.nic.SubnetNSG != nil {
				pairs += n
			}
		}
		require.Positive(t, b.Size())
	}
	require.Greater(t, compared, worlds*flows/20, "too few flows on the flat path")
	require.Greater(t, pairs, worlds*flows/20, "too few flows under two NSGs on the flat path")
}

// FuzzFlatOut is TestFlatOut on worlds and flows from fuzzer-chosen seeds.
func FuzzFlatOut(f *testing.F) {
	f.Add(uint64(1), uint8(20))
	f.Fuzz(func(t *testing.T, seed uint64, rules uint8) {
		g := newGen(seed, 50)
		var b nsg.FlatBuilder
		w, err := g.world(1 + int(rules)%64)
		require.NoError(t, err)
		checkFlat(t, g, w, &b, 300)
	})
}

// TestFlatOutStage: one NSG is the NIC's NSG of one classifier and the
// subnet's of another; one builder makes both FlatOuts, and each names
// its own stage in the rules of a verdict.
func TestFlatOutStage(t *testing.T) {
	g := group(t, "nsg-shared", r("deny-smb-out", 200, "Outbound Deny Tcp * * Internet 445"))
	var b nsg.FlatBuilder
	dst := ip("203.0.113.9")
	for _, c := range []struct {
		cls   *nsg.Classifier
		stage nsg.Stage
	}{{classifier(t, spokeCtx, g, nil, nil), nsg.StageNIC}, {classifier(t, spokeCtx, nil, g, nil), nsg.StageSubnet}, {classifier(t, spokeCtx, g, nil, nil), nsg.StageNIC}} {
		o := c.cls.OutPath(0)
		f, ok := b.Flat(&o)
		require.True(t, ok)
		starts, ctx := o.ScopeRanges4()
		a := be(dst)
		v := f.Verdict(a, ctx[sort.Search(len(starts), func(i int) bool { return starts[i] > a })-1], ipproto.TCP, 50000, 445)
		require.Equal(t, o.Verdict(dst, ipproto.TCP, 50000, 445), v)
		require.Equal(t, nsg.Deny, v.Access)
		st, ok := v.Decider(nsg.Outbound)
		require.True(t, ok)
		require.Equal(t, c.stage, st)
	}
}

// TestFlatOutNoNSG: an address under no NSG has a FlatOut too, which
// allows every flow with ReasonNoNSG, as OutPath.Verdict does; under
// admin rules it has none.
func TestFlatOutNoNSG(t *testing.T) {
	var b nsg.FlatBuilder
	o := classifier(t, spokeCtx, nil, nil, nil).OutPath(0)
	f, ok := b.Flat(&o)
	require.True(t, ok)
	starts, ctx := o.ScopeRanges4()
	for _, d := range []string{"203.0.113.9", "10.0.0.1", "10.1.2.3", "0.0.0.0", "255.255.255.255"} {
		a := be(ip(d))
		for _, p := range []uint16{1, 445, 65535} {
			want := o.Verdict(ip(d), ipproto.TCP, 50000, p)
			require.Equal(t, nsg.ReasonNoNSG, want.Reason)
			require.Equal(t, want, f.Verdict(a, ctx[sort.Search(len(starts), func(i int) bool { return starts[i] > a })-1], ipproto.TCP, 50000, p), "%s:%d", d, p)
		}
	}
	ag, err := nsg.CompileAdmin(nsg.AdminConfig{ID: "cfg", Rules: []nsg.AdminRule{{Name: "deny-smb", Collection: "c", Priority: 10,
		Direction: nsg.Outbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP, Sources: []string{"*"}, Destinations: []string{"*"},
		DestinationPortRanges: []string{"445"}}}}, nsg.Resolvers{})
	require.NoError(t, err)
	admin := classifier(t, spokeCtx, nil, nil, ag).OutPath(0)
	_, ok = b.Flat(&admin)
	require.False(t, ok, "admin rules are not flattened")
}
