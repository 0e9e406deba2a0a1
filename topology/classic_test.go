package topology_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const classicDesign = `egress: v1
location: eastus
vnets:
  - name: hub
    addressSpace: [10.0.0.0/16]
    subnets: [{name: AzureFirewallSubnet, prefix: 10.0.1.0/26}]
ipGroups:
  - {name: ipg-apps, addresses: [10.1.0.0/16]}
firewalls:
  - name: fw
    vnet: hub
    privateIp: 10.0.1.4
    dnsProxy: true
    snatPrivateRanges: [IANAPrivateRanges, 20.10.0.0/16]
    natRuleCollections:
      - name: dnat
        priority: 100
        rules:
          - {name: rdp, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: [20.10.0.4], destinationPorts: ["3389"], translatedAddress: 10.1.0.4, translatedPort: "3389"}
    networkRuleCollections:
      - name: allow-net
        priority: 200
        action: Allow
        rules:
          - {name: dns, protocols: [UDP], sourceIpGroups: [ipg-apps], destinationAddresses: ["*"], destinationPorts: ["53"]}
      - name: deny-net
        priority: 100
        action: Deny
        rules:
          - {name: smb, protocols: [TCP], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["445"]}
    applicationRuleCollections:
      - name: allow-web
        priority: 100
        action: Allow
        rules:
          - {name: ms, protocols: ["Https:443"], sourceAddresses: [10.1.0.0/16], targetFqdns: ["*.microsoft.com"]}
`

// A native design's classic rules reach the model with positions, and
// convert to firewall.CompileClassic's input; the engine evaluates them in
// the classic order (https://learn.microsoft.com/azure/firewall/rule-processing).
func TestClassicNative(t *testing.T) {
	m, err := load(t, classicDesign)
	require.NoError(t, err)
	fw := m.Firewalls[0]
	require.True(t, fw.HasClassicRules())
	require.Len(t, fw.NetworkRuleCollections, 2)
	assert.Equal(t, 21, fw.NetworkRuleCollections[0].Pos.Line)
	assert.Equal(t, 25, fw.NetworkRuleCollections[0].Rules[0].Pos.Line)
	assert.Equal(t, "NetworkRule", fw.NetworkRuleCollections[0].Rules[0].Type)
	assert.True(t, fw.DNSProxy)
	assert.Equal(t, []string{"IANAPrivateRanges", "20.10.0.0/16"}, fw.SNATPrivateRanges)

	cl, err := m.FirewallClassic(fw.ID)
	require.NoError(t, err)
	assert.Equal(t, firewall.NatDNAT, cl.NatRuleCollections[0].Action, "a NAT collection's action defaults to Dnat")
	e, err := firewall.CompileClassic(cl, m.FirewallResolvers(defaultTags(t), nil))
	require.NoError(t, err)
	eval := func(src, dst string, proto ipproto.Proto, port uint16) firewall.Verdict {
		return e.Evaluate(firewall.Flow{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), Proto: proto, DstPort: port})
	}
	v := eval("10.1.2.3", "8.8.8.8", ipproto.UDP, 53)
	assert.Equal(t, firewall.Allow, v.Action)
	ri, _ := e.RuleOf(v)
	assert.Equal(t, "fw/allow-net/dns", ri.Path())
	assert.True(t, v.SNAT)
	assert.False(t, eval("10.1.2.3", "20.10.9.9", ipproto.UDP, 53).SNAT, "in the firewall's SNAT private ranges")
	v = eval("10.1.2.3", "8.8.8.8", ipproto.TCP, 445)
	ri, _ = e.RuleOf(v)
	assert.Equal(t, "fw/deny-net/smb", ri.Path(), "priority 100 before 200")
	v = eval("203.0.113.9", "20.10.0.4", ipproto.TCP, 3389)
	assert.Equal(t, firewall.DNAT, v.Action)
}

// The engine's problems carry the collection's or rule's file:line:col and
// items with their indices; conversion problems too.
func TestClassicErrorsArePositioned(t *testing.T) {
	bad := strings.Replace(classicDesign, `destinationPorts: ["445"]}`, `destinationPorts: ["445", "0"]}`, 1)
	_, err := load(t, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `design.yaml:30:13: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/azureFirewalls/fw: `+
		`network rule collection "deny-net" (#1): rule "smb" (#0): destinationPorts[1] "0": invalid port: 0 is outside 1..65535`)

	bad = strings.Replace(classicDesign, "protocols: [UDP]", "protocols: [SCTP]", 1)
	bad = strings.Replace(bad, "action: Deny", "action: Block", 1)
	_, err = load(t, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `design.yaml:25:13: `)
	assert.Contains(t, err.Error(), `networkRuleCollections[0].rules[0].protocols[0] "SCTP": invalid value: want TCP, UDP, ICMP or Any`)
	assert.Contains(t, err.Error(), `design.yaml:26:9: `)
	assert.Contains(t, err.Error(), `networkRuleCollections[1].action.type "Block": invalid value: want Allow or Deny`)

	// Strict keys per rule type: a network rule has no targetFqdns.
	bad = strings.Replace(classicDesign, `destinationPorts: ["53"]}`, `destinationPorts: ["53"], targetFqdns: [x.com]}`, 1)
	_, err = load(t, bad)
	assert.ErrorContains(t, err, `design.yaml:25: unknown field: "targetFqdns" in a classic network rule`)
}

// A firewall with a policy and classic rules is rejected as Azure's tools
// reject it (azure-powershell#11003: "Firewall Policy and Rule Collections
// cannot coexist"); a virtual hub firewall takes no classic rules
// (firewall-manager policy-overview, "Classic rules and policies").
func TestClassicAndPolicyRejected(t *testing.T) {
	both := strings.Replace(classicDesign, "    privateIp: 10.0.1.4\n    dnsProxy: true\n    snatPrivateRanges: [IANAPrivateRanges, 20.10.0.0/16]\n",
		"    privateIp: 10.0.1.4\n    policy: fwpol\n", 1) + "firewallPolicies:\n  - name: fwpol\n"
	_, err := load(t, both)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `design.yaml:10:5: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/azureFirewalls/fw: `+
		`firewallPolicy "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/firewallPolicies/fwpol": not allowed: the firewall also has classic natRuleCollections: `+
		`Azure Firewall takes a firewall policy or classic rule collections, not both`)
	assert.Contains(t, err.Error(), "https://github.com/Azure/azure-powershell/pull/11003")

	hub := strings.Replace(classicDesign, "    privateIp: 10.0.1.4\n", "    privateIp: 10.0.1.4\n    sku: AZFW_Hub\n", 1)
	_, err = load(t, hub)
	assert.ErrorContains(t, err, `sku "AZFW_Hub": not allowed: classic rules protect virtual networks only`)

	// The native format does not ignore a policy firewall's DNS or SNAT settings.
	settings := strings.Replace(fwDesign, "policy: child}", "policy: child, dnsProxy: true, snatPrivateRanges: [10.0.0.0/8]}", 1)
	_, err = load(t, settings)
	assert.ErrorContains(t, err, `firewall "fw": dnsProxy: not allowed: the firewall has a policy: set dnsProxy on the policy`)
	assert.ErrorContains(t, err, `firewall "fw": snatPrivateRanges: not allowed`)
}

// classicSummary renders a model's classic rules and settings canonically.
func classicSummary(m *topology.Model) string {
	var b strings.Builder
	for _, f := range m.Firewalls {
		fmt.Fprintf(&b, "firewall %s dns=%v snat=%q ti=%s sku=%s policy=%q\n", f.ID.Key(), f.DNSProxy, f.SNATPrivateRanges, f.ThreatIntel, f.SKU, f.Policy)
		for i, list := range [][]*topology.RuleCollection{f.NatRuleCollections, f.NetworkRuleCollections, f.ApplicationRuleCollections} {
			for _, c := range list {
				fmt.Fprintf(&b, "  %d %s %d %s\n", i, c.Name, c.Priority, c.Action)
				for _, r := range c.Rules {
					fmt.Fprintf(&b, "    %s %s proto=%q src=%q ipg=%q dst=%q dipg=%q fqdn=%q ports=%q targets=%q tags=%q xlate=%s|%s|%s\n", r.Type, r.Name, r.Protocols,
						r.SourceAddresses, r.SourceIPGroups, r.DestinationAddresses, r.DestinationIPGroups, r.DestinationFqdns, r.DestinationPorts,
						r.TargetFqdns, r.FqdnTags, r.TranslatedAddress, r.TranslatedPort, r.TranslatedFqdn)
				}
			}
		}
	}
	return b.String()
}

// The same classic firewall in Azure's real shapes — a REST GET body
// (AzureFirewallGet.json of azure-rest-api-specs, network 2024-05-01), the
// az network firewall show output (properties lifted at every level,
// additionalProperties a top-level object), and a template export — loads
// to the same classic rules and settings, and validates with its network.
func TestClassicARMShapes(t *testing.T) {
	var want string
	for _, files := range [][]string{
		{"testdata/classic/network.rest.json", "testdata/classic/azfw.rest.json"},
		{"testdata/classic/network.rest.json", "testdata/classic/azfw.cli.json"},
		{"testdata/classic/azfw.template.json"},
	} {
		m, err := topology.LoadFiles(defaultTags(t), files...)
		require.NoError(t, err, "%v", files)
		got := classicSummary(m)
		if want == "" {
			want = got
			continue
		}
		assert.Equal(t, want, got, "%v loads to other classic rules", files)
	}
	assert.Contains(t, want, `dns=true snat=["IANAPrivateRanges" "20.10.0.0/16"] ti=Alert`)
	assert.Contains(t, want, `ApplicationRule rule1 proto=["Https:443"]`)
	assert.Contains(t, want, `NatRule DNAT-HTTP-traffic-With-FQDN proto=["TCP"]`)
	assert.Contains(t, want, `xlate=|880|internalhttpserver`)
	assert.Contains(t, want, "  1 netrulecoll 112 Deny\n")

	m, err := topology.LoadFiles(defaultTags(t), "testdata/classic/network.rest.json", "testdata/classic/azfw.rest.json")
	require.NoError(t, err)
	cl, err := m.FirewallClassic(m.Firewalls[0].ID)
	require.NoError(t, err)
	e, err := firewall.CompileClassic(cl, m.FirewallResolvers(defaultTags(t), firewall.DNSMap{"www.amazon.com": {netip.MustParseAddr("52.94.236.248")}}))
	require.NoError(t, err)
	v := e.Evaluate(firewall.Flow{Src: netip.MustParseAddr("10.2.4.20"), Dst: netip.MustParseAddr("52.94.236.248"), Proto: ipproto.TCP, DstPort: 8443})
	ri, _ := e.RuleOf(v)
	assert.Equal(t, "fw-classic/netrulecoll/L4-traffic-with-FQDN", ri.Path())
	assert.Equal(t, firewall.Deny, v.Action)
}

// Bad classic values in an ARM export are reported with their position,
// never dropped or defaulted.
func TestClassicARMErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/classic/azfw.rest.json")
	require.NoError(t, err)
	s := string(data)
	s = strings.Replace(s, `"Network.DNS.EnableProxy": "true"`, `"Network.DNS.EnableProxy": "yes"`, 1)
	s = strings.Replace(s, `"Network.SNAT.PrivateRanges": "IANAPrivateRanges , 20.10.0.0/16"`, `"Network.SNAT.PrivateRanges": "IANAPrivateRanges, , 20.10.0.0/16"`, 1)
	s = strings.Replace(s, `"priority": 110`, `"priority": "110"`, 1)
	s = strings.Replace(s, `"protocols": ["TCP"],
              "translatedAddress"`, `"protocols": ["TCP", 6],
              "translatedAddress"`, 1)
	dir := t.TempDir()
	file := filepath.Join(dir, "fw.json")
	require.NoError(t, os.WriteFile(file, []byte(s), 0o644))
	_, err = topology.LoadFiles(defaultTags(t), file)
	require.Error(t, err)
	for _, want := range []string{
		`fw.json:164:34: /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-hub/providers/Microsoft.Network/azureFirewalls/fw-classic: additionalProperties["Network.DNS.EnableProxy"] "yes": invalid value: want "true" or "false"`,
		`fw.json:165:37: `,
		`additionalProperties["Network.SNAT.PrivateRanges"] "IANAPrivateRanges, , 20.10.0.0/16": invalid value: item 1 is empty`,
		`applicationRuleCollections[0].priority: invalid value: want an integer`,
		`natRuleCollections[0].rules[0].protocols[1]: invalid value: want a string, not number`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	// Older az CLI versions printed additionalProperties' keys at the top level.
	m, err := topology.ParseARM("old.json", []byte(`{"id": "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw", "name": "fw",
  "type": "Microsoft.Network/azureFirewalls", "Network.DNS.EnableProxy": "True", "Network.SNAT.PrivateRanges": "10.0.0.0/8",
  "networkRuleCollections": [{"name": "c", "priority": 100, "action": {"type": "Allow"}, "rules": []}]}`))
	require.NoError(t, err)
	assert.True(t, m.Firewalls[0].DNSProxy)
	assert.Equal(t, []string{"10.0.0.0/8"}, m.Firewalls[0].SNATPrivateRanges)
	assert.True(t, m.Firewalls[0].HasClassicRules())
}

// The annotated example shows a classic firewall with every classic field,
// and the schema describes them.
func TestAnnotatedClassicFirewall(t *testing.T) {
	data, err := os.ReadFile("testdata/annotated.yaml")
	require.NoError(t, err)
	m, err := topology.LoadNative("annotated.yaml", data, defaultTags(t))
	require.NoError(t, err)
	var fw *topology.Firewall
	for _, f := range m.Firewalls {
		if f.Name == "fw-classic" {
			fw = f
		}
	}
	require.NotNil(t, fw)
	assert.True(t, fw.DNSProxy)
	assert.Len(t, fw.NatRuleCollections, 1)
	assert.Len(t, fw.NetworkRuleCollections[0].Rules, 3)
	assert.Equal(t, []topology.Ref{m.IPGroups[0].ID}, fw.NetworkRuleCollections[0].Rules[0].SourceIPGroups)
	assert.Equal(t, []string{"WindowsUpdate"}, fw.ApplicationRuleCollections[0].Rules[0].FqdnTags)
	cl, err := m.FirewallClassic(fw.ID)
	require.NoError(t, err)
	e, err := firewall.CompileClassic(cl, m.FirewallResolvers(defaultTags(t), nil))
	require.NoError(t, err)
	assert.Equal(t, 5, e.Len())

	schema := string(topology.NativeSchema())
	for _, key := range []string{`"natRuleCollections"`, `"networkRuleCollections"`, `"applicationRuleCollections"`, `"translatedFqdn"`, `"dnsProxy"`} {
		assert.Contains(t, schema, key)
	}
}
