package nsg_test

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// TestCacheShares: NSGs compiled with one Cache that name the same sets
// (here the same service tags, in other rules and another order) share
// the destination partition and classify as the same NSGs compiled alone;
// an NSG naming another set gets its own partition. Compilations run in
// parallel, as topology runs them.
func TestCacheShares(t *testing.T) {
	tags := nsg.TagMap{
		"Storage":  {netip.MustParsePrefix("20.38.0.0/16"), netip.MustParsePrefix("20.38.5.0/24"), netip.MustParsePrefix("52.239.0.0/17")},
		"Sql":      {netip.MustParsePrefix("20.38.5.0/24"), netip.MustParsePrefix("104.40.0.0/13")},
		"KeyVault": {netip.MustParsePrefix("52.239.64.0/18")},
	}
	sg := func(name string, dsts ...string) nsg.SecurityGroup {
		g := nsg.SecurityGroup{ID: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/" + name}
		for i, d := range dsts {
			g.Rules = append(g.Rules, nsg.Rule{Name: fmt.Sprintf("r%d", i), Priority: 100 + i, Direction: nsg.Outbound,
				Access: []nsg.Access{nsg.Allow, nsg.Deny}[i%2], Protocol: nsg.ProtocolTCP, SourceAddressPrefix: "*", SourcePortRange: "*",
				DestinationAddressPrefix: d, DestinationPortRange: fmt.Sprint(440 + i)})
		}
		return g
	}
	groups := []nsg.SecurityGroup{
		sg("a", "Storage", "Sql", "10.0.0.0/8", "Storage"),
		sg("b", "10.0.0.0/8", "Sql", "Storage"),
		sg("c", "Storage", "KeyVault"),
	}
	cache := &nsg.Cache{}
	shared := make([]*nsg.Group, len(groups))
	var wg sync.WaitGroup
	for i := range groups {
		wg.Go(func() {
			g, err := nsg.Compile(groups[i], nsg.Resolvers{Tags: tags, Cache: cache})
			if err != nil {
				t.Error(err)
			}
			shared[i] = g
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if !nsg.SharePartition(shared[0], shared[1]) {
		t.Error("a and b name the same sets but do not share their partition")
	}
	if nsg.SharePartition(shared[0], shared[2]) {
		t.Error("a and c name different sets but share a partition")
	}
	src := netip.MustParseAddr("10.1.0.4")
	for i, in := range groups {
		alone, err := nsg.Compile(in, nsg.Resolvers{Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		c1, err1 := nsg.NewClassifier(nsg.NIC{Addrs: []netip.Addr{src}, NSG: shared[i]})
		c2, err2 := nsg.NewClassifier(nsg.NIC{Addrs: []netip.Addr{src}, NSG: alone})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for _, dst := range []string{"20.38.1.1", "20.38.5.9", "52.239.1.1", "52.239.70.1", "104.41.0.1", "10.2.3.4", "8.8.8.8"} {
			for port := uint16(438); port < 446; port++ {
				f := nsg.Flow{Direction: nsg.Outbound, Proto: ipproto.TCP, Src: src, Dst: netip.MustParseAddr(dst), SrcPort: 50000, DstPort: port}
				if v1, v2 := c1.Verdict(f), c2.Verdict(f); v1 != v2 {
					t.Errorf("%s: %v:%d: with the cache %+v, alone %+v", in.ID, dst, port, v1, v2)
				}
			}
		}
	}
}
