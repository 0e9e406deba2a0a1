package simulate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

// TestReachAllPart: a part of the maps (mapPart, the audit's) holds only
// classes of the whole maps, each equal to the whole map's, and every one
// of the outcomes it keeps and of the flows to its addresses; Lookup of a
// flow to those addresses finds the whole map's class.
func TestReachAllPart(t *testing.T) {
	tags, err := servicetag.Default()
	require.NoError(t, err)
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: designs.HubSpoke}}, Tags: tags})
	require.NoError(t, err)
	e := Compile(n, Options{})
	probe := netip.MustParseAddr("52.1.2.3")
	keep := func(d Decision) bool { return internetBound(d) || d.Method == MethodDefaultOutbound }
	part := &mapPart{keep: keep, at: []netip.Addr{probe}}
	kept, dropped := 0, 0
	err = e.ReachAll(context.Background(), ReachAllOptions{part: part}, func(h NIC, m *EgressMap) error {
		whole := e.Reach(h)
		in := map[string]bool{}
		for _, c := range m.Classes {
			in[fmt.Sprint(c)] = true
		}
		for _, c := range whole.Classes {
			switch k := fmt.Sprint(c); {
			case in[k]:
				kept++
				delete(in, k)
			case keep(c.Decision) || c.IPSet().Contains(probe):
				t.Fatalf("%s: the part lacks %s", h, c.String())
			default:
				dropped++
			}
		}
		require.Empty(t, in, "%s: classes of the part that the whole map does not have", h)
		r := rand.New(rand.NewPCG(1, 2))
		for range 200 {
			p := []ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP, ipproto.ESP}[r.IntN(4)]
			port := uint16(1 + r.IntN(65535))
			c, ok := m.Lookup(probe, p, port)
			require.True(t, ok)
			w, _ := whole.Lookup(probe, p, port)
			require.Equal(t, fmt.Sprint(*w), fmt.Sprint(*c))
		}
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, kept)
	require.Positive(t, dropped, "the part leaves classes out")
}
