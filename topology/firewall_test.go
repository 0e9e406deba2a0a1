package topology_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fwDesign = `egress: v1
location: eastus
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets: [{name: AzureFirewallSubnet, prefix: 10.0.1.0/26}]
ipGroups:
  - {name: ipg-apps, addresses: [10.1.0.0/16, 10.2.0.5, 10.3.0.0-10.3.0.255]}
firewalls:
  - {name: fw, vnet: hub, privateIp: 10.0.1.4, policy: child}
firewallPolicies:
  - name: parent
    ruleCollectionGroups:
      - name: base
        priority: 100
        collections:
          - {name: deny-smb, priority: 100, action: Deny, rules: [{name: smb, type: NetworkRule, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["445"]}]}
  - name: child
    parent: parent
    ruleCollectionGroups:
      - name: apps
        priority: 200
        collections:
          - name: net
            priority: 100
            action: Allow
            rules:
              - {name: from-group, type: NetworkRule, protocols: [TCP], sourceIpGroups: [ipg-apps], destinationAddresses: ["*"], destinationPorts: ["443", "445"]}
`

// The model's firewall policy converts to package firewall's input, with its
// parent and IP groups, and compiles.
func TestFirewallPolicyConversion(t *testing.T) {
	m, err := load(t, fwDesign)
	require.NoError(t, err)
	pol, err := m.FirewallPolicy(m.Firewalls[0].Policy)
	require.NoError(t, err)
	require.NotNil(t, pol.Parent)
	assert.Equal(t, "parent", pol.Parent.Name)
	e, err := firewall.Compile(pol, m.FirewallResolvers(defaultTags(t), nil))
	require.NoError(t, err)
	flow := func(src string, port uint16) firewall.Verdict {
		return e.Evaluate(firewall.Flow{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr("52.1.2.3"), Proto: 6, DstPort: port})
	}
	assert.True(t, flow("10.1.2.3", 443).Allowed(), "in the IP group's CIDR")
	assert.True(t, flow("10.3.0.77", 443).Allowed(), "in the IP group's range")
	assert.False(t, flow("10.2.0.6", 443).Allowed(), "outside the IP group")
	v := flow("10.1.2.3", 445)
	ri, ok := e.RuleOf(v)
	require.True(t, ok)
	assert.Equal(t, "smb", ri.Rule, "the parent's rules come first, whatever the priorities")
	assert.True(t, ri.Inherited)
}

func TestFirewallPolicyErrorsArePositioned(t *testing.T) {
	bad := strings.Replace(fwDesign, "protocols: [TCP], sourceAddresses: [\"*\"]", "protocols: [SCTP], sourceAddresses: [\"*\"]", 1)
	_, err := load(t, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `design.yaml:17:67:`)
	assert.Contains(t, err.Error(), `ipProtocols "SCTP": invalid value`)
	assert.Equal(t, 1, strings.Count(err.Error(), "SCTP"), "the parent's problem is reported once, not again through the child:\n%v", err)

	// Problems found by the rule engine carry the rule's position too.
	bad = strings.Replace(fwDesign, `destinationPorts: ["443", "445"]}`, `destinationPorts: ["443", "99999"]}`, 1)
	_, err = load(t, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "design.yaml:28:17:")
	assert.Contains(t, err.Error(), "99999")
}
