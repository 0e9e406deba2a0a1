package simulate_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

// TestEngineUnchangedByModel: a model changed after its network was built
// changes neither the network nor an engine compiled from it, before or
// after the change; nor does changing the copy Network.Model returns.
func TestEngineUnchangedByModel(t *testing.T) {
	m, err := topology.ParseNative("design.yaml", []byte(exampleDesign))
	require.NoError(t, err)
	n, err := m.Network(nil)
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	dst := netip.MustParseAddr("198.51.100.7")
	flows := []simulate.Flow{{From: "web-01", To: dst, Port: 443}, {From: "web-01", To: dst, Port: 25}}
	trace := func(e *simulate.Engine) []*simulate.Result {
		var out []*simulate.Result
		for _, f := range flows {
			r, err := e.Trace(f)
			require.NoError(t, err)
			out = append(out, r)
		}
		return out
	}
	want := trace(e)
	require.Equal(t, simulate.Allowed, want[0].Verdict)
	require.Equal(t, simulate.Denied, want[1].Verdict)

	// Change everything the answers depend on, in the model and in a copy
	// of the network's.
	for _, mm := range []*topology.Model{m, n.Model()} {
		mm.NSGs[0].Rules = nil
		mm.VNets[0].Subnets[0].NATGateway = ""
		mm.VNets[0].Subnets[0].Prefixes[0] = netip.MustParsePrefix("10.9.9.0/24")
		mm.NICs[0].IPConfigs[0].PrivateIP = netip.MustParseAddr("10.9.9.4")
		mm.NICs[0].Name = "renamed"
		mm.PublicIPs[0].Address = netip.MustParseAddr("192.0.2.1")
	}
	require.Equal(t, want, trace(e), "the engine compiled before the change")
	require.Equal(t, want, trace(simulate.Compile(n, simulate.Options{})), "an engine compiled after the change")
	h, err := e.NIC("web-01")
	require.NoError(t, err)
	require.Equal(t, netip.MustParseAddr("10.1.1.4"), h.Addr())
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.1.1.0/24")}, h.Subnet().Prefixes())
}
