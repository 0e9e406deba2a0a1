package topology_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

const tfRCG = "azurerm_firewall_policy_rule_collection_group.egress"

// tfRuleOf returns rule 0 of the first collection of block (for instance
// "network_rule_collection") in a rule collection group's values.
func tfRuleOf(v map[string]any, block string) map[string]any {
	return v[block].([]any)[0].(map[string]any)["rule"].([]any)[0].(map[string]any)
}

// tfUnknownRule is an after_unknown for rule 0 of the first collection of
// block with the given attributes.
func tfUnknownRule(block string, attrs map[string]any) map[string]any {
	return map[string]any{block: []any{map[string]any{"rule": []any{attrs}}}}
}

// tfTracer loads a plan and traces flows from vm-app-01-nic (10.1.0.0/16,
// the source of the fixture's rules) or another source address.
func tfTracer(t *testing.T, data []byte) func(dst string, proto ipproto.Proto, port uint16) simulate.Verdict {
	t.Helper()
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	require.Empty(t, n.Validation().Rejected)
	e := simulate.Compile(n, simulate.Options{})
	return func(dst string, proto ipproto.Proto, port uint16) simulate.Verdict {
		r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr(dst), Protocol: proto, Port: port})
		require.NoError(t, err)
		return r.Verdict
	}
}

// tfNoLeftOut asserts that no warning of the rule collection group says a
// value was left out.
func tfNoLeftOut(t *testing.T, m *topology.Model) {
	t.Helper()
	for _, x := range m.Warnings() {
		if x.Resource == tfRCG {
			assert.NotContains(t, x.Error(), "left out", "%v", x)
		}
	}
}

// A network rule whose source IP groups a plan knows only after apply (a
// new IP group) beside a known source that is not the NIC's: the NIC's
// flows it could allow are Unknown, not denied confidently (before, the
// unknown list was left out and the default deny looked sure).
func TestTerraformNetworkRuleSourcesUnknown(t *testing.T) {
	edit := func(v map[string]any) {
		rule := tfRuleOf(v, "network_rule_collection")
		rule["source_addresses"] = []any{"10.9.0.0/16"}
		rule["source_ip_groups"] = nil
	}
	data := tfPlanWith(t, tfRCG, edit, tfUnknownRule("network_rule_collection", map[string]any{"source_ip_groups": true}))
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "network_rule_collection[0].rule[0].source_ip_groups")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), `network rule "ntp": network_rule_collection[0].rule[0].source_ip_groups known after apply: taken as possibly any source beside the known ones`)
	tfNoLeftOut(t, m)

	trace := tfTracer(t, data)
	assert.Equal(t, simulate.Unknown, trace("52.1.2.3", ipproto.UDP, 123), "the unknown group may hold the NIC")
	assert.Equal(t, simulate.Denied, trace("52.1.2.3", ipproto.TCP, 443), "another protocol and port")
}

// A network rule one of whose destination ports a plan knows only after
// apply: its known port is allowed, any other port of its protocol is
// Unknown, another protocol is denied.
func TestTerraformNetworkRulePortsUnknown(t *testing.T) {
	edit := func(v map[string]any) {
		tfRuleOf(v, "network_rule_collection")["destination_ports"] = []any{"123", nil}
	}
	data := tfPlanWith(t, tfRCG, edit, tfUnknownRule("network_rule_collection", map[string]any{"destination_ports": []any{false, true}}))
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "network_rule_collection[0].rule[0].destination_ports")
	assert.Contains(t, w.Error(), `network rule "ntp": network_rule_collection[0].rule[0].destination_ports known after apply: taken as possibly any port beside the known ones`)
	tfNoLeftOut(t, m)

	trace := tfTracer(t, data)
	assert.Equal(t, simulate.Allowed, trace("52.1.2.3", ipproto.UDP, 123), "its known port")
	assert.Equal(t, simulate.Unknown, trace("52.1.2.3", ipproto.UDP, 5000), "any other port may be allowed")
	assert.Equal(t, simulate.Denied, trace("52.1.2.3", ipproto.TCP, 443), "another protocol")
}

// A network rule whose protocols a plan knows only after apply: no flow
// on its port is decided by it (Unknown for TCP and UDP), a flow on
// another port is denied.
func TestTerraformNetworkRuleProtocolsUnknown(t *testing.T) {
	edit := func(v map[string]any) {
		tfRuleOf(v, "network_rule_collection")["protocols"] = nil
	}
	data := tfPlanWith(t, tfRCG, edit, tfUnknownRule("network_rule_collection", map[string]any{"protocols": true}))
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "network_rule_collection[0].rule[0].protocols")
	assert.Contains(t, w.Error(), `network rule "ntp": network_rule_collection[0].rule[0].protocols known after apply: taken as possibly any protocol beside the known ones`)
	tfNoLeftOut(t, m)

	trace := tfTracer(t, data)
	assert.Equal(t, simulate.Unknown, trace("52.1.2.3", ipproto.UDP, 123))
	assert.Equal(t, simulate.Unknown, trace("52.1.2.3", ipproto.TCP, 123))
	assert.Equal(t, simulate.Denied, trace("52.1.2.3", ipproto.TCP, 443), "another port")
}

// An application rule one of whose target FQDNs a plan knows only after
// apply: the known target is allowed, any other name from its sources on
// its protocol is Unknown (before, the element was left out and such a
// name denied confidently).
func TestTerraformAppRuleTargetsUnknown(t *testing.T) {
	edit := func(v map[string]any) {
		tfRuleOf(v, "application_rule_collection")["destination_fqdns"] = []any{"api.partner.example", nil}
	}
	data := tfPlanWith(t, tfRCG, edit, tfUnknownRule("application_rule_collection", map[string]any{"destination_fqdns": []any{false, true}}))
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "application_rule_collection[0].rule[0].destination_fqdns")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), `application rule "partner-api": application_rule_collection[0].rule[0].destination_fqdns known after apply: taken as possibly any name beside the known targets`)
	tfNoLeftOut(t, m)

	trace := tfHostTracer(t, data)
	assert.Equal(t, simulate.Allowed, trace("api.partner.example"), "its known target")
	assert.Equal(t, simulate.Unknown, trace("other.example.org"), "the unknown target may name it")
}

// An application rule whose sources a plan knows only after apply (none
// known): no name is allowed confidently, nor denied: its target is
// Unknown; another name is denied.
func TestTerraformAppRuleSourcesUnknown(t *testing.T) {
	edit := func(v map[string]any) {
		tfRuleOf(v, "application_rule_collection")["source_addresses"] = nil
	}
	data := tfPlanWith(t, tfRCG, edit, tfUnknownRule("application_rule_collection", map[string]any{"source_addresses": true}))
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "application_rule_collection[0].rule[0].source_addresses")
	assert.Contains(t, w.Error(), `application rule "partner-api": application_rule_collection[0].rule[0].source_addresses known after apply: taken as possibly any source beside the known ones`)
	tfNoLeftOut(t, m)

	trace := tfHostTracer(t, data)
	assert.Equal(t, simulate.Unknown, trace("api.partner.example"), "the unknown sources may hold the NIC")
	assert.Equal(t, simulate.Denied, trace("other.example.org"), "another name")
}

// tfHostTracer loads a plan and traces HTTPS flows from vm-app-01-nic to
// 52.1.2.3 that name host.
func tfHostTracer(t *testing.T, data []byte) func(host string) simulate.Verdict {
	t.Helper()
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	require.Empty(t, n.Validation().Rejected)
	e := simulate.Compile(n, simulate.Options{})
	return func(host string) simulate.Verdict {
		r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443, Host: host})
		require.NoError(t, err)
		return r.Verdict
	}
}

// tfNatPlan is the plan fixture with a DNAT collection whose one rule
// (ssh: TCP 22 from anywhere at the firewall's destAddr, translated to
// 10.1.0.4:22) has the given values null, and after_unknown unknown.
func tfNatPlan(t *testing.T, nulls []string, unknown map[string]any) []byte {
	t.Helper()
	edit := func(v map[string]any) {
		rule := map[string]any{"name": "ssh", "description": "", "protocols": []any{"TCP"}, "source_addresses": []any{"*"},
			"source_ip_groups": []any{}, "destination_address": "20.1.1.1", "destination_ports": []any{"22"},
			"translated_address": "10.1.0.4", "translated_fqdn": "", "translated_port": float64(22)}
		for _, k := range nulls {
			rule[k] = nil
		}
		v["nat_rule_collection"] = []any{map[string]any{"name": "dnat-ssh", "priority": float64(300), "action": "Dnat", "rule": []any{rule}}}
	}
	return tfPlanWith(t, tfRCG, edit, tfUnknownRule("nat_rule_collection", unknown))
}

// tfFirewall loads a plan and returns its one firewall's engine.
func tfFirewall(t *testing.T, data []byte) *firewall.Engine {
	t.Helper()
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	require.Empty(t, n.Validation().Rejected)
	eng, err := n.Firewall(0).Engine()
	require.NoError(t, err)
	return eng
}

// A DNAT rule whose firewall address a plan knows only after apply (the
// firewall's new public IP): no flow is translated confidently; a flow on
// its port is Unknown (it may be translated), one on another port is not
// (before, the rule had no destination and the policy was one Azure
// rejects).
func TestTerraformNatRuleDestinationUnknown(t *testing.T) {
	data := tfNatPlan(t, []string{"destination_address"}, map[string]any{"destination_address": true})
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "nat_rule_collection[0].rule[0].destination_address")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), `DNAT rule "ssh": nat_rule_collection[0].rule[0].destination_address known after apply: taken as possibly any firewall address beside the known one`)
	tfNoLeftOut(t, m)

	e := tfFirewall(t, data)
	flow := func(port uint16) firewall.Flow {
		return firewall.Flow{Src: netip.MustParseAddr("52.9.9.9"), Dst: netip.MustParseAddr("20.1.1.7"), Proto: ipproto.TCP, DstPort: port}
	}
	v := e.Evaluate(flow(22))
	assert.NotEqual(t, firewall.DNAT, v.Action)
	assert.NotZero(t, v.Flags&firewall.FlagUnknown, "it may be translated: %s", e.Explain(v))
	v = e.Evaluate(flow(80))
	assert.Zero(t, v.Flags&firewall.FlagUnknown, "another port: %s", e.Explain(v))
}

// A DNAT rule whose translated address a plan knows only after apply (a
// backend's dynamic private IP): its flows are translated, to an address
// not known, and Unknown; before, the rule had no translation and the
// policy was one Azure rejects.
func TestTerraformNatRuleTranslationUnknown(t *testing.T) {
	data := tfNatPlan(t, []string{"translated_address"}, map[string]any{"translated_address": true})
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "nat_rule_collection[0].rule[0].translated_address")
	assert.Contains(t, w.Error(), `DNAT rule "ssh": nat_rule_collection[0].rule[0].translated_address known after apply: taken as a translation to an unknown address and port`)

	e := tfFirewall(t, data)
	v := e.Evaluate(firewall.Flow{Src: netip.MustParseAddr("52.9.9.9"), Dst: netip.MustParseAddr("20.1.1.1"), Proto: ipproto.TCP, DstPort: 22})
	assert.Equal(t, firewall.DNAT, v.Action, "%s", e.Explain(v))
	assert.NotZero(t, v.Flags&firewall.FlagUnknown)
	assert.False(t, v.Translated.Addr().IsValid(), "no address is made up")
}

// An application rule whose destination addresses a plan knows only
// after apply (none known): its target is Unknown from its sources, not
// allowed confidently to any address (before, the list was left out and
// the rule matched every destination).
func TestTerraformAppRuleDestinationsUnknown(t *testing.T) {
	edit := func(v map[string]any) {
		tfRuleOf(v, "application_rule_collection")["destination_addresses"] = nil
	}
	data := tfPlanWith(t, tfRCG, edit, tfUnknownRule("application_rule_collection", map[string]any{"destination_addresses": true}))
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), tfRCG, "application_rule_collection[0].rule[0].destination_addresses")
	assert.Contains(t, w.Error(), `application rule "partner-api": application_rule_collection[0].rule[0].destination_addresses known after apply: taken as possibly any destination beside the known ones`)
	tfNoLeftOut(t, m)

	trace := tfHostTracer(t, data)
	assert.Equal(t, simulate.Unknown, trace("api.partner.example"), "the unknown destinations may hold 52.1.2.3")
	assert.Equal(t, simulate.Denied, trace("other.example.org"), "another name")
}
