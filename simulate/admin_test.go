package simulate_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An AlwaysAllow security admin rule ends evaluation: the NSGs are not
// evaluated (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins#always-allow),
// so an NSG whose rules are unknown (not in the input) cannot change the
// answer for the flows it matches; for the others it still can.
func TestAlwaysAllowMakesUnknownNSGsIrrelevant(t *testing.T) {
	design := one("", "", `adminRules:
  - name: org
    vnets: [vnet]
    rules:
      - {name: always-dns, collection: c, priority: 10, direction: Outbound, access: AlwaysAllow, protocol: Udp, source: ["*"], destination: [1.1.1.1], destinationPorts: ["53"]}
`)
	m, err := topology.LoadNative("design.yaml", []byte(design), tags(t))
	require.NoError(t, err)
	m.NICs[0].NSG = "/subscriptions/0/resourceGroups/other/providers/Microsoft.Network/networkSecurityGroups/not-exported"
	e, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err)
	h := mustNIC(t, e, "vm")
	d := agree(t, e, h, netip.MustParseAddr("1.1.1.1"), ipproto.UDP, 53)
	assert.Equal(t, simulate.Allowed, d.Verdict, "AlwaysAllow decides: %s", e.Explain(d))
	assert.False(t, d.Assumed)
	d = agree(t, e, h, netip.MustParseAddr("1.1.1.1"), ipproto.UDP, 123)
	assert.Equal(t, simulate.Unknown, d.Verdict, "the unknown NSG decides: %s", e.Explain(d))
}
