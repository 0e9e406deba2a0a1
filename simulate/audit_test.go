package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaultEngine(t *testing.T) *simulate.Engine {
	t.Helper()
	return engine(t, string(designs.HubSpoke), simulate.Options{})
}

func findings(fs []simulate.Finding, c simulate.Check) []string {
	var out []string
	for _, f := range fs {
		if f.Check == c {
			out = append(out, f.Name)
		}
	}
	return out
}

func TestAuditDefaultDesign(t *testing.T) {
	fs := defaultEngine(t).Audit()
	assert.Equal(t, []string{"vnet-partner/snet-partner", "vnet-spoke-batch/snet-legacy"}, findings(fs, simulate.CheckDefaultOutbound))
	assert.Equal(t, []string{"vm-batch-01-nic", "vm-legacy-01-nic", "vm-partner-01-nic"}, findings(fs, simulate.CheckDirectInternet))
	assert.Equal(t, []string{"vnet-partner/snet-partner", "vnet-spoke-batch/snet-batch", "vnet-spoke-batch/snet-legacy"}, findings(fs, simulate.CheckNoForcedTunnel))
	assert.Equal(t, []string{"vision-legacy"}, findings(fs, simulate.CheckAIOutboundOpen))
	assert.Contains(t, findings(fs, simulate.CheckUnstableEgressIP), "vm-legacy-01-nic")
	for _, f := range fs {
		if f.Check == simulate.CheckDirectInternet && f.Name == "vm-batch-01-nic" {
			assert.True(t, strings.HasPrefix(f.Message, "reaches the internet on any port"), f.Message)
		}
	}
	// Deterministic.
	assert.Equal(t, fs, defaultEngine(t).Audit())
}

func TestAuditRuleChecks(t *testing.T) {
	design := one(", nsg: nsg, routeTable: rt", "", `nsgs:
  - name: nsg
    rules:
      - {name: allow-all-out, priority: 100, direction: Outbound, access: Allow}
      - {name: deny-smb, priority: 200, direction: Outbound, access: Deny, protocol: Tcp, destination: 10.0.0.0/8, destinationPorts: "445"}
      - {name: web-in, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: 10.0.0.0/8, destinationPorts: "80-90"}
      - {name: web-in-narrow, priority: 310, direction: Inbound, access: Deny, protocol: Tcp, source: 10.1.0.0/16, destinationPorts: "85"}
      - {name: web-in-wider, priority: 320, direction: Inbound, access: Deny, protocol: Tcp, source: 10.1.0.0/16, destinationPorts: "85-95"}
routeTables:
  - name: rt
    routes:
      - {name: to-fw, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}
      - {name: bypass, prefix: 52.0.0.0/8, nextHop: Internet}
`)
	fs := engine(t, design, simulate.Options{}).Audit()
	assert.Equal(t, []string{"nsg/allow-all-out"}, findings(fs, simulate.CheckNSGAllowsInternet))
	assert.Equal(t, []string{"nsg/deny-smb", "nsg/web-in-narrow"}, findings(fs, simulate.CheckShadowedRule))
	assert.Equal(t, []string{"vnet/snet"}, findings(fs, simulate.CheckForcedTunnelBypass))
	assert.Empty(t, findings(fs, simulate.CheckNoForcedTunnel))
}

func TestDiffWhatIf(t *testing.T) {
	// "After this change, can the batch subnet still reach the internet directly?"
	before := defaultEngine(t)
	m, err := topology.LoadNative("hubspoke.yaml", designs.HubSpoke, tags(t))
	require.NoError(t, err)
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			if s.Name == "snet-batch" {
				s.RouteTable = m.RouteTables[0].ID // rt-spoke-to-fw
			}
		}
	}
	require.NoError(t, m.Validate(tags(t)))
	after, err := simulate.Compile(m, simulate.Options{Tags: tags(t)})
	require.NoError(t, err)
	flows := []simulate.Flow{
		{From: "vm-batch-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443},
		{From: "vm-legacy-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443},
	}
	changes := simulate.Diff(before, after, flows)
	require.Len(t, changes, 1, "only the batch subnet changed")
	c := changes[0]
	assert.Equal(t, "vm-batch-01-nic", c.Flow.From)
	assert.Equal(t, []string{"verdict", "egressMethod", "egressIpAddresses", "path"}, c.What)
	assert.Contains(t, c.Cause, `route 0.0.0.0/0 -> VirtualAppliance ("default-via-fw")`)
	assert.Equal(t, simulate.MethodNATGateway, c.Before.EgressMethod)
	assert.Equal(t, simulate.Denied, c.After.Verdict, "the hub firewall allows only NTP and named HTTPS")
	assert.Equal(t, "AzureFirewall fw-hub: no rule matched (default deny)", c.After.DecidedBy)
}

func TestAuditFirewallAllowsAny(t *testing.T) {
	design := withFirewallPolicy(hubSpokeWith("rt-fw", "true"), `firewallPolicies:
  - name: fwpol
    ruleCollectionGroups:
      - name: rcg
        priority: 200
        collections:
          - name: net
            priority: 100
            action: Allow
            rules:
              - {name: everything, type: NetworkRule, protocols: [Any], sourceAddresses: [10.1.0.0/16], destinationAddresses: ["*"], destinationPorts: ["*"]}
              - {name: web-only, type: NetworkRule, protocols: [TCP], sourceAddresses: [10.1.0.0/16], destinationAddresses: ["*"], destinationPorts: ["443"]}
          - name: app
            priority: 200
            action: Allow
            rules:
              - {name: any-site, type: ApplicationRule, protocols: ["Https:443"], sourceAddresses: [10.2.0.0/16], targetFqdns: ["*"]}
          - name: deny
            priority: 300
            action: Deny
            rules:
              - {name: deny-all, type: NetworkRule, protocols: [Any], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["*"]}
`)
	fs := engine(t, design, simulate.Options{}).Audit()
	assert.Equal(t, []string{"fwpol/rcg/app/any-site", "fwpol/rcg/net/everything"}, findings(fs, simulate.CheckFirewallAllowsAny))
}
