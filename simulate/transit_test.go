package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/simulate/internal/walkref"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A spoke exported without its hub uses the hub's gateway
// (useRemoteGateways): a user route to VirtualNetworkGateway goes to that
// gateway, which may well be a VPN gateway, whether or not the route table
// propagates gateway routes (disableBgpRoutePropagation removes the
// gateway's routes, not the gateway:
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#border-gateway-protocol).
// The flow is Unknown, never Dropped as if no gateway served the VNet.
func TestUserRouteToARemoteGatewayOutsideTheInput(t *testing.T) {
	for _, disable := range []string{"false", "true"} {
		t.Run("disableBgpRoutePropagation "+disable, func(t *testing.T) {
			design := strings.Replace(spokeAlone, "  - name: rt-app\n", "  - name: rt-app\n    disableBgpRoutePropagation: "+disable+"\n", 1)
			design = strings.Replace(design, "routes: [{name: default, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.1.4}]",
				"routes: [{name: default, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.1.4}, {name: onprem, prefix: 172.16.0.0/12, nextHop: VirtualNetworkGateway}]", 1)
			m, err := topology.LoadNative("design.yaml", []byte(design), tags(t))
			require.NoError(t, err)
			w := &twinWorld{m: m, e: engine(t, design, simulate.Options{}), tw: walkref.New(m, walkref.Options{Tags: tags(t)})}
			var dis disagreements
			got := w.compare(t, twinFlow{h: mustNIC(t, w.e, "vm1"), dst: netip.MustParseAddr("172.16.1.1"), proto: ipproto.TCP, port: 443}, &dis)
			assert.Zero(t, dis.total(), "%s", &dis)
			assert.Equal(t, walkref.Unknown, got.Verdict)
			assert.Equal(t, walkref.ReasonGateway, got.Reason)
			r, err := w.e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("172.16.1.1"), Port: 443})
			require.NoError(t, err)
			assert.Contains(t, strings.Join(r.Assumptions, "\n"), "vnet-hub", "%s", r)
		})
	}
}
