package topology_test

import (
	"encoding/json"
	"errors"
	"github.com/egresslab/egress/ipproto"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tfPlanWith returns the hub-and-spoke plan fixture with edit applied to
// the planned values and the change's after of the resource at address,
// and its after_unknown replaced by unknown.
func tfPlanWith(t *testing.T, address string, edit func(values map[string]any), unknown map[string]any) []byte {
	t.Helper()
	data, err := os.ReadFile(tfPlan)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	var found int
	for _, r := range doc["planned_values"].(map[string]any)["root_module"].(map[string]any)["resources"].([]any) {
		if r := r.(map[string]any); r["address"] == address {
			edit(r["values"].(map[string]any))
			found++
		}
	}
	for _, rc := range doc["resource_changes"].([]any) {
		if rc := rc.(map[string]any); rc["address"] == address {
			ch := rc["change"].(map[string]any)
			ch["actions"] = []any{"update"}
			edit(ch["after"].(map[string]any))
			ch["after_unknown"] = unknown
			found++
		}
	}
	require.Equal(t, 2, found, "%s in planned_values and resource_changes", address)
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	return out
}

// An application rule whose protocols blocks a plan knows only after apply
// (protocols null in planned_values, true in after_unknown: a dynamic
// block over a value computed at apply) is taken as every application
// protocol on every port, and the firewall never lets it decide: the
// flows it could allow (its source and FQDN, any application protocol)
// are Unknown, naming nothing confident; a flow to another FQDN is denied
// as Azure will. Before, the rule kept no protocol and the policy was one
// Azure rejects: every flow through the firewall was Unknown.
func TestTerraformAppRuleProtocolsUnknown(t *testing.T) {
	const rcg = "azurerm_firewall_policy_rule_collection_group.egress"
	edit := func(v map[string]any) {
		rule := v["application_rule_collection"].([]any)[0].(map[string]any)["rule"].([]any)[0].(map[string]any)
		rule["protocols"] = nil
	}
	unknown := map[string]any{"application_rule_collection": []any{map[string]any{"rule": []any{map[string]any{"protocols": true}}}}}
	data := tfPlanWith(t, rcg, edit, unknown)

	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	var rule *topology.FirewallRule
	for _, p := range m.FirewallPolicies {
		for _, g := range p.RuleCollectionGroups {
			for _, c := range g.Collections {
				for _, r := range c.Rules {
					if r.Name == "partner-api" {
						rule = r
					}
				}
			}
		}
	}
	require.NotNil(t, rule)
	assert.Equal(t, []string{"(known after apply)"}, rule.Protocols)
	w := tfWarning(t, m.Warnings(), rcg, "application_rule_collection[0].rule[0].protocols")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), `application rule "partner-api": application_rule_collection[0].rule[0].protocols known after apply: taken as every application protocol (Http, Https, Mssql) on every port`)

	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	assert.Empty(t, n.Validation().Rejected, "a policy Azure accepts")
	e := simulate.Compile(n, simulate.Options{})
	trace := func(host string, port uint16) *simulate.Result {
		r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: port, Host: host})
		require.NoError(t, err)
		return r
	}
	for _, port := range []uint16{443, 8443} {
		r := trace("api.partner.example", port)
		assert.Equal(t, simulate.Unknown, r.Verdict, "port %d: %s", port, r)
		assert.Contains(t, strings.Join(r.Assumptions, "\n"), "Azure Firewall fw-hub: a rule before the deciding one cannot be evaluated offline")
	}
	r := trace("other.example", 443)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	// With its protocols known (Https:443), the rule decides.
	n, err = topology.Load(topology.LoadOptions{Files: []string{tfPlan}, Tags: defaultTags(t)})
	require.NoError(t, err)
	r, err = simulate.Compile(n, simulate.Options{}).Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443, Host: "api.partner.example"})
	require.NoError(t, err)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)

	// One block's port known after apply: the same.
	edit = func(v map[string]any) {
		rule := v["application_rule_collection"].([]any)[0].(map[string]any)["rule"].([]any)[0].(map[string]any)
		rule["protocols"].([]any)[0].(map[string]any)["port"] = nil
	}
	unknown = map[string]any{"application_rule_collection": []any{map[string]any{"rule": []any{map[string]any{"protocols": []any{map[string]any{"port": true}}}}}}}
	m, err = topology.ParseTerraform("plan.json", tfPlanWith(t, rcg, edit, unknown))
	require.NoError(t, err)
	w = tfWarning(t, m.Warnings(), rcg, "application_rule_collection[0].rule[0].protocols")
	assert.Contains(t, w.Error(), "application_rule_collection[0].rule[0].protocols[0].port known after apply")
}

// A network rule one of whose destination addresses a plan knows only
// after apply (a new public IP's, say): the known destination is matched,
// any other is possible, so the flows it could allow elsewhere are
// Unknown, and the flows it cannot match (another protocol or port) are
// answered. Before, the unknown element was left out: the rule matched
// only its known destinations, and the answers looked confident.
func TestTerraformNetworkRuleDestinationUnknown(t *testing.T) {
	const rcg = "azurerm_firewall_policy_rule_collection_group.egress"
	edit := func(v map[string]any) {
		rule := v["network_rule_collection"].([]any)[0].(map[string]any)["rule"].([]any)[0].(map[string]any)
		rule["destination_addresses"] = []any{"203.0.113.9", nil}
	}
	unknown := map[string]any{"network_rule_collection": []any{map[string]any{"rule": []any{map[string]any{"destination_addresses": []any{false, true}}}}}}
	data := tfPlanWith(t, rcg, edit, unknown)
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	w := tfWarning(t, m.Warnings(), rcg, "network_rule_collection[0].rule[0].destination_addresses")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), `network rule "ntp": network_rule_collection[0].rule[0].destination_addresses known after apply: taken as possibly any destination beside the known ones`)
	for _, x := range m.Warnings() {
		if x.Resource == rcg {
			assert.NotContains(t, x.Error(), "left out", "the element is not said to be left out: %v", x)
		}
	}

	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	assert.Empty(t, n.Validation().Rejected)
	e := simulate.Compile(n, simulate.Options{})
	trace := func(dst string, proto ipproto.Proto, port uint16) *simulate.Result {
		r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", To: netip.MustParseAddr(dst), Protocol: proto, Port: port})
		require.NoError(t, err)
		return r
	}
	r := trace("203.0.113.9", ipproto.UDP, 123)
	assert.Equal(t, simulate.Allowed, r.Verdict, "its known destination: %s", r)
	r = trace("52.1.2.3", ipproto.UDP, 123)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	r = trace("52.1.2.3", ipproto.TCP, 443)
	assert.Equal(t, simulate.Denied, r.Verdict, "another protocol and port: %s", r)
}
