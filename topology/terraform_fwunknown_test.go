package topology_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
