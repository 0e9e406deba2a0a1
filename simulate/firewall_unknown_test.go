package simulate_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
)

// A firewall verdict that depends on a rule egress cannot decide offline (an
// application rule on web categories before the default deny,
// https://learn.microsoft.com/azure/firewall/rule-processing) is Unknown,
// whatever the path shown as if the firewall allowed gives; and that path
// translates as an allowing rule would (snat-private-range), not as the
// default deny it stands in for. It was NoEgress, "the firewall does not
// SNAT it (its SNAT private ranges include the destination)", for a public
// destination.
func TestUndecidableFirewallVerdictIsUnknown(t *testing.T) {
	design := withFirewallPolicy(hubSpokeWith("rt-fw", "true"), `firewallPolicies:
  - name: fwpol
    ruleCollectionGroups:
      - name: rcg
        priority: 300
        collections:
          - name: app
            priority: 200
            action: Allow
            rules:
              - {name: news, type: ApplicationRule, protocols: ["Https:443"], sourceAddresses: ["*"], webCategories: [News]}
`)
	e := engine(t, design, simulate.Options{})
	dst := netip.MustParseAddr("52.1.2.3")
	r, err := e.Trace(simulate.Flow{From: "vm1", To: dst, Host: "www.news.example", Port: 443})
	assert.NoError(t, err)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonInternet, r.ReasonCode, "%s", r)
	assert.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod)
	d := e.ClassifyHost(mustNIC(t, e, "vm1"), dst, ipproto.TCP, 443, "www.news.example")
	assert.Equal(t, simulate.Unknown, d.Verdict)
	assert.True(t, d.Assumed)
	assert.Equal(t, simulate.ReasonInternet, d.Reason)
}
