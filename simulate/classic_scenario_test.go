package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withClassicRules gives the hub firewall of a hubSpoke design classic rule
// collections (and settings), written as the YAML keys of the firewall.
func withClassicRules(design, keys string) string {
	return strings.Replace(design, "  - {name: fw, vnet: hub, privateIp: 10.0.1.4, publicIps: [pip-fw]}\n",
		"  - name: fw\n    vnet: hub\n    privateIp: 10.0.1.4\n    publicIps: [pip-fw]\n"+keys, 1)
}

// The two documented examples of the classic section of
// https://learn.microsoft.com/azure/firewall/rule-processing, through the
// hub firewall: Example 1, google.com is allowed by the Allow-web network
// rule before the Deny-google application rule is reached; Example 2, SSH
// is denied by the Deny-collection (priority 100) before the
// Allow-collection (200).
const ruleProcessingExamples = `    networkRuleCollections:
      - name: Allow-collection
        priority: 200
        action: Allow
        rules:
          - {name: Allow-web, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["80", "443"]}
          - {name: Allow-SSH, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["22"]}
      - name: Deny-collection
        priority: 100
        action: Deny
        rules:
          - {name: Deny-SSH, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["22"]}
    applicationRuleCollections:
      - name: App-collection
        priority: 100
        action: Deny
        rules:
          - {name: Deny-google, protocols: ["Http:80", "Https:443"], sourceAddresses: ["*"], targetFqdns: [google.com]}
`

func TestRuleProcessingClassicExample1(t *testing.T) {
	e := engine(t, withClassicRules(hubSpokeWith("rt-fw", "true"), ruleProcessingExamples), simulate.Options{})
	r, err := e.Trace(simulate.Flow{From: "vm1", To: netip.MustParseAddr("142.250.64.78"), Host: "google.com", Port: 443})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod)
	assert.Equal(t, "20.0.1.1", ips(r), "network rules SNAT to the firewall's public IP")
	require.Equal(t, simulate.HopFirewall, r.Hops[1].Kind)
	assert.Equal(t, "fw/Allow-collection/Allow-web", r.Hops[1].Security[0].Rule)
	assert.Equal(t, "classic rules", r.Hops[1].Security[0].Policy)
	assert.Empty(t, r.Hops[1].Security[0].Group, "not an NSG")
	assert.Empty(t, r.Assumptions, "classic rules decide: nothing is assumed")
	d := e.ClassifyHost(mustNIC(t, e, "vm1"), netip.MustParseAddr("142.250.64.78"), ipproto.TCP, 443, "google.com")
	assert.Equal(t, simulate.Allowed, d.Verdict)
}

func TestRuleProcessingClassicExample2(t *testing.T) {
	e := engine(t, withClassicRules(hubSpokeWith("rt-fw", "true"), ruleProcessingExamples), simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 22)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonFirewallDenied, r.ReasonCode)
	assert.Equal(t, "AzureFirewall fw: fw/Deny-collection/Deny-SSH", r.DecidedBy)
	// Anything no rule allows is denied by default.
	r = trace(t, e, "vm1", "52.1.2.3", 8080)
	assert.Equal(t, simulate.Denied, r.Verdict)
	assert.Equal(t, "AzureFirewall fw: no rule matched (default deny)", r.DecidedBy)
}

// Classic network rules do not SNAT private destinations, by the firewall's
// own private ranges (additionalProperties "Network.SNAT.PrivateRanges",
// https://learn.microsoft.com/azure/firewall/snat-private-range), and its
// DNS proxy allows network rules with FQDNs
// (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules).
func TestClassicSNATAndDNSProxy(t *testing.T) {
	design := withClassicRules(hubSpokeWith("rt-fw", "true"), `    dnsProxy: true
    snatPrivateRanges: [IANAPrivateRanges, 52.1.0.0/16]
    networkRuleCollections:
      - name: allow
        priority: 100
        action: Allow
        rules:
          - {name: sql, protocols: [TCP], sourceAddresses: [10.1.0.0/16], destinationAddresses: [10.2.0.0/16, 52.1.0.0/16, 52.2.0.0/16], destinationPorts: ["1433"]}
          - {name: api, protocols: [TCP], sourceAddresses: [10.1.0.0/16], destinationFqdns: [api.example.com], destinationPorts: ["443"]}
`)
	m := engine(t, design, simulate.Options{Resolver: simulate.StaticResolver{"api.example.com": {netip.MustParseAddr("93.184.215.14")}}})
	r := trace(t, m, "vm1", "10.2.1.4", 1433)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Contains(t, r.Hops[1].Translation, "no SNAT", "a private destination is not SNATed")
	// 52.1.0.0/16 is one of the firewall's private ranges: not SNATed, so
	// the firewall cannot send it to the internet (snat-private-range).
	r = trace(t, m, "vm1", "52.1.9.9", 1433)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonFirewallNoSNAT, r.ReasonCode)
	assert.Contains(t, r.Hops[1].Translation, "no SNAT")
	r = trace(t, m, "vm1", "52.2.9.9", 1433)
	assert.Equal(t, "SNAT to the firewall's public IP (20.0.1.1)", r.Hops[1].Translation, "52.2.0.0/16 is not private: SNAT, out through the public IP")
	r = trace(t, m, "vm1", "93.184.215.14", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, "fw/allow/api", r.Hops[1].Security[0].Rule)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "matched through a DNS answer")
}

// Only a firewall with neither a policy nor classic rules is Unknown.
func TestFirewallWithoutRulesIsUnknown(t *testing.T) {
	e := engine(t, hubSpokeWith("rt-fw", "true"), simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict)
	require.NotEmpty(t, r.Assumptions)
	assert.Equal(t, "Azure Firewall fw has neither a firewall policy nor classic rule collections in the model: the verdict is Unknown; the path shown is what happens if it allows", r.Assumptions[0])

	// Classic collections without rules deny everything.
	e = engine(t, withClassicRules(hubSpokeWith("rt-fw", "true"), "    networkRuleCollections: [{name: none, priority: 100, action: Allow}]\n"), simulate.Options{})
	r = trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
}

// CheckFirewallAllowsAny covers classic rules: an Allow network rule to any
// address and port, or an Allow application rule to any FQDN.
func TestAuditClassicFirewallAllowsAny(t *testing.T) {
	design := withClassicRules(hubSpokeWith("rt-fw", "true"), `    networkRuleCollections:
      - name: net
        priority: 100
        action: Allow
        rules:
          - {name: everything, protocols: [Any], sourceAddresses: [10.1.0.0/16], destinationAddresses: ["*"], destinationPorts: ["*"]}
          - {name: web-only, protocols: [TCP], sourceAddresses: [10.1.0.0/16], destinationAddresses: ["*"], destinationPorts: ["443"]}
      - name: deny
        priority: 300
        action: Deny
        rules:
          - {name: deny-all, protocols: [Any], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["*"]}
    applicationRuleCollections:
      - name: app
        priority: 200
        action: Allow
        rules:
          - {name: any-site, protocols: ["Https:443"], sourceAddresses: [10.2.0.0/16], targetFqdns: ["*"]}
`)
	fs := engine(t, design, simulate.Options{}).Audit()
	assert.Equal(t, []string{"fw/app/any-site", "fw/net/everything"}, findings(fs, simulate.CheckFirewallAllowsAny))
}

// Classify through a classic firewall allocates nothing.
func TestNoAllocsClassic(t *testing.T) {
	e := engine(t, withClassicRules(hubSpokeWith("rt-fw", "true"), ruleProcessingExamples), simulate.Options{})
	h := mustNIC(t, e, "vm1")
	dst := netip.MustParseAddr("52.1.2.3")
	for _, tc := range []struct {
		port uint16
		host string
		want simulate.Verdict
	}{{443, "", simulate.Allowed}, {22, "", simulate.Denied}, {8080, "", simulate.Denied}, {443, "google.com", simulate.Allowed}} {
		allocs := testing.AllocsPerRun(1000, func() {
			if d := e.ClassifyHost(h, dst, ipproto.TCP, tc.port, tc.host); d.Verdict != tc.want {
				panic(e.Explain(d))
			}
		})
		if allocs != 0 {
			t.Errorf("ClassifyHost(:%d %q) allocates %v times, want 0", tc.port, tc.host, allocs)
		}
	}
}
