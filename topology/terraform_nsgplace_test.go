package topology_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rules whose priority or direction a plan knows only after apply
// (https://developer.hashicorp.com/terraform/internals/json-format: such a
// value is null in planned_values and true in the resource change's
// after_unknown). Azure evaluates a direction's rules in priority order,
// priorities unique per direction in 100..4096
// (https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules).

// tfRuleBlock is one security_rule block of azurerm_network_security_group
// as the provider writes it in planned_values (every attribute present).
func tfRuleBlock(name string, prio any, dir any, access, proto, dst, dport string) map[string]any {
	return map[string]any{"name": name, "priority": prio, "direction": dir, "access": access, "protocol": proto,
		"source_address_prefix": "*", "source_port_range": "*", "destination_address_prefix": dst, "destination_port_range": dport,
		"source_address_prefixes": []any{}, "destination_address_prefixes": []any{}, "source_port_ranges": []any{}, "destination_port_ranges": []any{},
		"source_application_security_group_ids": []any{}, "destination_application_security_group_ids": []any{}, "description": ""}
}

// tfNSGPlan is a plan of a subnet with NIC nic-a (10.0.1.4) whose NSG nsg-a
// has rules, with after_unknown for its security_rule list; extra resources
// are added as they are.
func tfNSGPlan(t *testing.T, rules []any, unknown []any, extra ...map[string]any) []byte {
	t.Helper()
	vnet := tfVNetRes("v", "10.0.0.0/16")
	sub := tfResource("azurerm_subnet", "s", map[string]any{"id": tfSub + "virtualNetworks/v/subnets/s", "name": "s", "resource_group_name": "rg-net",
		"virtual_network_name": "v", "address_prefixes": []any{"10.0.1.0/24"}})
	nic := tfResource("azurerm_network_interface", "n", map[string]any{"id": tfSub + "networkInterfaces/nic-a", "name": "nic-a", "resource_group_name": "rg-net",
		"location": "westeurope", "ip_configuration": []any{map[string]any{"name": "ipc", "primary": true, "subnet_id": tfSub + "virtualNetworks/v/subnets/s",
			"private_ip_address": "10.0.1.4", "private_ip_address_allocation": "Static"}}})
	g := tfResource("azurerm_network_security_group", "g", map[string]any{"id": tfSub + "networkSecurityGroups/nsg-a", "name": "nsg-a",
		"resource_group_name": "rg-net", "location": "westeurope", "security_rule": rules})
	assoc := tfResource("azurerm_subnet_network_security_group_association", "a", map[string]any{"id": tfSub + "virtualNetworks/v/subnets/s",
		"subnet_id": tfSub + "virtualNetworks/v/subnets/s", "network_security_group_id": tfSub + "networkSecurityGroups/nsg-a"})
	return tfDoc(t, append([]map[string]any{vnet, sub, nic, g, assoc}, extra...), map[string]any{
		"azurerm_network_security_group.g": map[string]any{"security_rule": unknown},
	}, nil)
}

// tfTrace loads data and traces a TCP flow from nic-a to dst:port.
func tfTrace(t *testing.T, data []byte) func(dst string, port uint16) *simulate.Result {
	t.Helper()
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "plan.json", Data: data}}, Tags: defaultTags(t)})
	require.NoError(t, err)
	require.NoError(t, n.NSG(0).Err())
	e := simulate.Compile(n, simulate.Options{})
	return func(dst string, port uint16) *simulate.Result {
		r, err := e.Trace(simulate.Flow{From: "nic-a", To: netip.MustParseAddr(dst), Port: port})
		require.NoError(t, err)
		return r
	}
}

func ruleNamed(t *testing.T, g *topology.NSG, name string) nsg.Rule {
	t.Helper()
	i := slices.IndexFunc(g.Rules, func(r nsg.Rule) bool { return r.Name == name })
	require.GreaterOrEqual(t, i, 0, "rule %q in %v", name, g.Rules)
	return g.Rules[i]
}

// An unknown priority: the rule sits at the first free priority (101, as
// 100 is taken), flagged, since it could precede allow-web, which decides
// its flows otherwise. The flows it matches are Unknown, with the rule and
// the attribute named; the flows it does not match, and those the rule at
// 100 decides (it precedes the new rule wherever that sits), are answered.
// Before, the rule kept priority 0 and Azure's check rejected the NSG:
// every flow through it was Unknown.
func TestTerraformNSGRulePriorityUnknown(t *testing.T) {
	data := tfNSGPlan(t, []any{
		tfRuleBlock("deny-smtp", 100, "Outbound", "Deny", "Tcp", "*", "25"),
		tfRuleBlock("allow-web", 200, "Outbound", "Allow", "Tcp", "*", "443"),
		tfRuleBlock("deny-pip", nil, "Outbound", "Deny", "Tcp", "52.1.2.3", "*"),
	}, []any{map[string]any{}, map[string]any{}, map[string]any{"priority": true}})
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	g := m.NSGs[0]
	assert.Equal(t, 101, ruleNamed(t, g, "deny-pip").Priority)
	assert.Contains(t, g.KnownAfterApply["deny-pip"], `priority known after apply (Terraform plan azurerm_network_security_group.g): placed at 101, the first it could take, ahead of rule "allow-web"`)
	w := tfWarning(t, m.Warnings(), "azurerm_network_security_group.g", "security_rule[2]")
	assert.True(t, errors.Is(w, topology.ErrKnownAfterApply))
	assert.Contains(t, w.Error(), `NSG rule "deny-pip": priority: placed at 101, the first free Outbound priority, ahead of rule "allow-web", which it could follow: the answers "deny-pip" decides are Unknown`)

	trace := tfTrace(t, data)
	r := trace("52.1.2.3", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "NSG nsg-a rule deny-pip: priority known after apply")
	r = trace("52.1.2.3", 25)
	assert.Equal(t, simulate.Denied, r.Verdict, "deny-smtp precedes it wherever it sits: %s", r)
	r = trace("52.9.9.9", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "a flow it does not match: %s", r)
}

// An unknown priority that cannot change an answer: every rule it could
// precede has its access (deny-web) or matches none of its flows
// (allow-dns: UDP; allow-other: another destination), so the rule is
// placed unflagged and its flows answered.
func TestTerraformNSGRulePriorityUnknownExact(t *testing.T) {
	data := tfNSGPlan(t, []any{
		tfRuleBlock("deny-pip", nil, "Outbound", "Deny", "Tcp", "52.1.2.3", "*"),
		tfRuleBlock("deny-web", 100, "Outbound", "Deny", "Tcp", "*", "443"),
		tfRuleBlock("allow-dns", 110, "Outbound", "Allow", "Udp", "*", "53"),
		tfRuleBlock("allow-other", 120, "Outbound", "Allow", "Tcp", "52.1.2.0/31", "*"),
		tfRuleBlock("allow-in", 101, "Inbound", "Allow", "*", "*", "*"), // another direction
	}, []any{map[string]any{"priority": true}})
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	g := m.NSGs[0]
	assert.Equal(t, 101, ruleNamed(t, g, "deny-pip").Priority)
	assert.Empty(t, g.KnownAfterApply)
	w := tfWarning(t, m.Warnings(), "azurerm_network_security_group.g", "security_rule[0]")
	assert.Contains(t, w.Error(), "no rule it could precede decides its flows otherwise: its answers do not depend on them")
	r := tfTrace(t, data)("52.1.2.3", 8080)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)

	// allow-other now reaches 52.1.2.3: the answer depends on the order.
	rules := []any{
		tfRuleBlock("deny-pip", nil, "Outbound", "Deny", "Tcp", "52.1.2.3", "*"),
		tfRuleBlock("allow-other", 120, "Outbound", "Allow", "Tcp", "52.1.2.0/30", "*"),
	}
	m, err = topology.ParseTerraform("plan.json", tfNSGPlan(t, rules, []any{map[string]any{"priority": true}}))
	require.NoError(t, err)
	assert.Contains(t, m.NSGs[0].KnownAfterApply["deny-pip"], `ahead of rule "allow-other"`)
}

// An unknown direction: a rule of each direction, both flagged, the
// Inbound copy named "NAME_Inbound".
// Outbound, the flows it matches are Unknown and the others answered.
func TestTerraformNSGRuleDirectionUnknown(t *testing.T) {
	data := tfNSGPlan(t, []any{
		tfRuleBlock("deny-web", 150, nil, "Deny", "Tcp", "*", "443"),
	}, []any{map[string]any{"direction": true}})
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	g := m.NSGs[0]
	out, in := ruleNamed(t, g, "deny-web"), ruleNamed(t, g, "deny-web_Inbound")
	assert.Equal(t, nsg.Outbound, out.Direction)
	assert.Equal(t, nsg.Inbound, in.Direction)
	assert.Equal(t, 150, out.Priority)
	assert.Equal(t, 150, in.Priority)
	assert.Contains(t, g.KnownAfterApply["deny-web"], "direction known after apply (Terraform plan azurerm_network_security_group.g)")
	assert.Contains(t, g.KnownAfterApply["deny-web_inbound"], "direction known after apply")
	w := tfWarning(t, m.Warnings(), "azurerm_network_security_group.g", "security_rule[0]")
	assert.Contains(t, w.Error(), `NSG rule "deny-web": direction: taken as an Outbound rule and as an Inbound one, "deny-web_Inbound": the answers "deny-web" and "deny-web_Inbound" decide are Unknown`)

	trace := tfTrace(t, data)
	r := trace("52.1.2.3", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "NSG nsg-a rule deny-web: direction known after apply")
	r = trace("52.1.2.3", 80)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
}

// An unknown direction its priority settles: Outbound holds 150, so the
// rule can only be Inbound (Azure refuses a duplicate priority in one
// direction), and nothing is Unknown. Both unknown: each copy at the first
// priority free in its direction.
func TestTerraformNSGRuleDirectionSettled(t *testing.T) {
	data := tfNSGPlan(t, []any{
		tfRuleBlock("allow-web", 150, "Outbound", "Allow", "Tcp", "*", "443"),
		tfRuleBlock("deny-in", 150, nil, "Deny", "Tcp", "*", "22"),
	}, []any{map[string]any{}, map[string]any{"direction": true}})
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	g := m.NSGs[0]
	assert.Equal(t, nsg.Inbound, ruleNamed(t, g, "deny-in").Direction)
	assert.Len(t, g.Rules, 2)
	assert.Empty(t, g.KnownAfterApply)
	w := tfWarning(t, m.Warnings(), "azurerm_network_security_group.g", "security_rule[1]")
	assert.Contains(t, w.Error(), `direction: Inbound, since Outbound rule "allow-web" holds priority 150`)

	data = tfNSGPlan(t, []any{
		tfRuleBlock("deny-100", 100, "Outbound", "Deny", "Udp", "*", "53"),
		tfRuleBlock("deny-any", nil, nil, "Deny", "Tcp", "*", "443"),
	}, []any{map[string]any{}, map[string]any{"direction": true, "priority": true}})
	m, err = topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	g = m.NSGs[0]
	assert.Equal(t, 101, ruleNamed(t, g, "deny-any").Priority)
	assert.Equal(t, 100, ruleNamed(t, g, "deny-any_Inbound").Priority)
	// No other rule could follow it: the direction alone flags it.
	assert.NotContains(t, g.KnownAfterApply["deny-any"], "priority known after apply")
	assert.Contains(t, g.KnownAfterApply["deny-any"], "direction known after apply")
	r := tfTrace(t, data)("52.1.2.3", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
}

// A rule an azurerm_network_security_rule redeclares with known values
// is placed as given: nothing is pending.
func TestTerraformNSGRuleRedeclared(t *testing.T) {
	sr := tfResource("azurerm_network_security_rule", "r", map[string]any{"id": tfSub + "networkSecurityGroups/nsg-a/securityRules/deny-pip",
		"name": "deny-pip", "resource_group_name": "rg-net", "network_security_group_name": "nsg-a", "priority": 300, "direction": "Outbound",
		"access": "Deny", "protocol": "Tcp", "source_address_prefix": "*", "source_port_range": "*", "destination_address_prefix": "52.1.2.3",
		"destination_port_range": "*"})
	data := tfNSGPlan(t, []any{
		tfRuleBlock("allow-web", 200, "Outbound", "Allow", "Tcp", "*", "443"),
		tfRuleBlock("deny-pip", nil, nil, "Deny", "Tcp", "52.1.2.3", "*"),
	}, []any{map[string]any{}, map[string]any{"direction": true, "priority": true}}, sr)
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	g := m.NSGs[0]
	assert.Len(t, g.Rules, 2)
	assert.Equal(t, 300, ruleNamed(t, g, "deny-pip").Priority)
	assert.Empty(t, g.KnownAfterApply)
	r := tfTrace(t, data)("52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
}

// The placement against its slow twin: random NSGs whose one rule has an
// unknown priority, read from a plan; for random flows, where the placed
// NSG's deciding rule is not flagged, the answer must be the one Azure
// gives with the rule at every priority it could really take (one per gap
// between the other rules' priorities, which is all the order depends on).
func TestTerraformNSGRulePlacementSound(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 1))
	nets, flows := 300, 40
	if testing.Short() {
		nets = 60
	}
	protos := []string{"Tcp", "Udp", "*"}
	dsts := []string{"*", "52.1.2.0/30", "52.1.2.3", "52.1.3.0/24", "Internet"}
	ports := []string{"*", "443", "80-443", "25"}
	access := []string{"Allow", "Deny"}
	var exact, flagged, decided int
	for range nets {
		n := 1 + r.IntN(5)
		var blocks, unknown []any
		var known []int
		for i := range n {
			prio := 100 + r.IntN(8)
			for slices.Contains(known, prio) {
				prio = 100 + r.IntN(8)
			}
			var p any = prio
			u := map[string]any{}
			if i == n-1 {
				p, u["priority"] = nil, true
			} else {
				known = append(known, prio)
			}
			blocks = append(blocks, tfRuleBlock(fmt.Sprintf("r%d", i), p, "Outbound", access[r.IntN(2)], protos[r.IntN(3)], dsts[r.IntN(len(dsts))], ports[r.IntN(len(ports))]))
			unknown = append(unknown, u)
		}
		m, err := topology.ParseTerraform("plan.json", tfNSGPlan(t, blocks, unknown))
		require.NoError(t, err)
		g := m.NSGs[0]
		x := ruleNamed(t, g, fmt.Sprintf("r%d", n-1))
		if g.KnownAfterApply[strings.ToLower(x.Name)] == "" {
			exact++
		} else {
			flagged++
		}
		placed := classifier(t, g.Rules)
		// The real priorities: one in each gap, and one past them all.
		var real []placedNSG
		for q := nsg.MinPriority; q <= 109; q++ {
			if slices.Contains(known, q) || q > nsg.MinPriority && !slices.Contains(known, q-1) {
				continue
			}
			rules := slices.Clone(g.Rules)
			rules[slices.IndexFunc(rules, func(o nsg.Rule) bool { return o.Name == x.Name })].Priority = q
			real = append(real, classifier(t, rules))
		}
		for range flows {
			f := nsg.Flow{Direction: nsg.Outbound, Proto: []ipproto.Proto{ipproto.TCP, ipproto.UDP}[r.IntN(2)],
				Src: netip.MustParseAddr("10.0.1.4"), Dst: netip.AddrFrom4([4]byte{52, 1, byte(2 + r.IntN(2)), byte(r.IntN(5))}),
				SrcPort: 50000, DstPort: []uint16{25, 80, 443, 8080}[r.IntN(4)]}
			v := placed.c.Verdict(f)
			if i := v.Rules.At(nsg.StageSubnet); i >= 0 && g.KnownAfterApply[strings.ToLower(placed.g.Rule(nsg.Outbound, int(i)).Name)] != "" {
				continue // Unknown
			}
			decided++
			for _, c := range real {
				assert.Equal(t, c.c.Verdict(f).Access, v.Access, "rules %v, flow %+v", g.Rules, f)
			}
		}
	}
	assert.Positive(t, exact, "some placements are exact")
	assert.Positive(t, flagged, "some are flagged")
	assert.Positive(t, decided, "some flows are answered")
}

type placedNSG struct {
	g *nsg.Group
	c *nsg.Classifier
}

func classifier(t *testing.T, rules []nsg.Rule) placedNSG {
	t.Helper()
	g, err := nsg.Compile(nsg.SecurityGroup{ID: tfSub + "networkSecurityGroups/nsg-a", Rules: rules}, nsg.Resolvers{})
	require.NoError(t, err)
	scope, err := nsg.CompileContext(nsg.Context{AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}})
	require.NoError(t, err)
	c, err := nsg.NewClassifier(nsg.NIC{ID: tfSub + "networkInterfaces/nic-a", SubnetID: tfSub + "virtualNetworks/v/subnets/s",
		Addrs: []netip.Addr{netip.MustParseAddr("10.0.1.4")}, SubnetNSG: g, Scope: scope})
	require.NoError(t, err)
	return placedNSG{g, c}
}

// A separate azurerm_network_security_rule whose priority is known after
// apply is placed as an inline one is: after the NSG's rules it could not
// precede, flagged, the warning on the resource itself.
func TestTerraformNSGRuleResourcePriorityUnknown(t *testing.T) {
	sr := tfResource("azurerm_network_security_rule", "r", map[string]any{"name": "deny-pip", "resource_group_name": "rg-net",
		"network_security_group_name": "nsg-a", "priority": nil, "direction": "Outbound", "access": "Deny", "protocol": "Tcp",
		"source_address_prefix": "*", "source_port_range": "*", "destination_address_prefix": "52.1.2.3", "destination_port_range": "*"})
	data := tfNSGPlan(t, []any{
		tfRuleBlock("allow-100", 100, "Outbound", "Allow", "Tcp", "*", "443"),
		tfRuleBlock("allow-101", 101, "Outbound", "Allow", "Tcp", "*", "443"),
		tfRuleBlock("allow-web", 300, "Outbound", "Allow", "Tcp", "*", "443"),
	}, []any{map[string]any{}, map[string]any{}, map[string]any{}}, sr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	for _, c := range doc["resource_changes"].([]any) {
		if c := c.(map[string]any); c["address"] == "azurerm_network_security_rule.r" {
			c["change"].(map[string]any)["after_unknown"] = map[string]any{"id": true, "priority": true}
		}
	}
	data, err := json.Marshal(doc)
	require.NoError(t, err)
	m, err := topology.ParseTerraform("plan.json", data)
	require.NoError(t, err)
	g := m.NSGs[0]
	assert.Equal(t, 102, ruleNamed(t, g, "deny-pip").Priority)
	assert.Contains(t, g.KnownAfterApply["deny-pip"], `ahead of rule "allow-web"`)
	w := tfWarning(t, m.Warnings(), "azurerm_network_security_rule.r", "")
	assert.Contains(t, w.Error(), "priority: placed at 102, the first free Outbound priority")
	r := tfTrace(t, data)("52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "allow-100 precedes it wherever it sits: %s", r)
}

// The slow twin again, with directions: the unknown rule's direction, its
// priority or both are known after apply, the other rules in either
// direction; where the placed NSG's deciding rule is not flagged, the
// answer must be Azure's in every world the plan allows (each direction
// whose rules leave the rule's priority free, each priority gap).
func TestTerraformNSGRulePlacementSoundDirections(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2))
	nets, flows := 300, 40
	if testing.Short() {
		nets = 60
	}
	protos := []string{"Tcp", "Udp", "*"}
	addrs := []string{"*", "52.1.2.0/30", "52.1.2.3", "10.0.1.4", "Internet"}
	ports := []string{"*", "443", "80-443", "25"}
	access := []string{"Allow", "Deny"}
	dirs := []nsg.Direction{nsg.Outbound, nsg.Inbound}
	var decided, worlds int
	for range nets {
		n := 1 + r.IntN(6)
		var blocks, unknown []any
		used := map[nsg.Direction][]int{}
		for i := range n - 1 {
			d := dirs[r.IntN(2)]
			prio := 100 + r.IntN(8)
			for slices.Contains(used[d], prio) {
				prio = 100 + r.IntN(8)
			}
			used[d] = append(used[d], prio)
			blocks = append(blocks, tfRuleBlock(fmt.Sprintf("r%d", i), prio, d.String(), access[r.IntN(2)], protos[r.IntN(3)], addrs[r.IntN(len(addrs))], ports[r.IntN(len(ports))]))
			unknown = append(unknown, map[string]any{})
		}
		xd, xp := dirs[r.IntN(2)], 100+r.IntN(8)
		dirUnknown, prioUnknown := true, true
		switch r.IntN(3) {
		case 0:
			dirUnknown = false
		case 1:
			prioUnknown = false
		}
		var dv, pv any = xd.String(), xp
		u := map[string]any{}
		if dirUnknown {
			dv, u["direction"] = nil, true
		}
		if prioUnknown {
			pv, u["priority"] = nil, true
		}
		xname := fmt.Sprintf("r%d", n-1)
		blocks = append(blocks, tfRuleBlock(xname, pv, dv, access[r.IntN(2)], protos[r.IntN(3)], addrs[r.IntN(len(addrs))], ports[r.IntN(len(ports))]))
		unknown = append(unknown, u)
		// The worlds Azure allows.
		var real []placedNSG
		var x nsg.Rule
		m, err := topology.ParseTerraform("plan.json", tfNSGPlan(t, blocks, unknown))
		require.NoError(t, err)
		g := m.NSGs[0]
		var known []nsg.Rule
		for _, o := range g.Rules {
			switch {
			case o.Name == xname:
				x = o
			case o.Name != xname+"_Inbound":
				known = append(known, o)
			}
		}
		for _, d := range dirs {
			if !dirUnknown && d != xd {
				continue
			}
			var qs []int
			for q := nsg.MinPriority; q <= 109; q++ {
				if slices.Contains(used[d], q) || prioUnknown && q > nsg.MinPriority && !slices.Contains(used[d], q-1) {
					continue
				}
				if prioUnknown || q == xp {
					qs = append(qs, q)
				}
			}
			for _, q := range qs {
				w := x
				w.Direction, w.Priority = d, q
				real = append(real, classifier(t, append(slices.Clone(known), w)))
			}
		}
		if len(real) == 0 {
			continue // Azure takes the rule in no direction: the NSG's check says so
		}
		worlds += len(real)
		placed := classifier(t, g.Rules)
		for range flows {
			d := dirs[r.IntN(2)]
			other := netip.AddrFrom4([4]byte{52, 1, byte(2 + r.IntN(2)), byte(r.IntN(5))})
			f := nsg.Flow{Direction: d, Proto: []ipproto.Proto{ipproto.TCP, ipproto.UDP}[r.IntN(2)], Src: netip.MustParseAddr("10.0.1.4"), Dst: other,
				SrcPort: 50000, DstPort: []uint16{25, 80, 443, 8080}[r.IntN(4)]}
			if d == nsg.Inbound {
				f.Src, f.Dst = other, netip.MustParseAddr("10.0.1.4")
			}
			v := placed.c.Verdict(f)
			if i := v.Rules.At(nsg.StageSubnet); i >= 0 && g.KnownAfterApply[strings.ToLower(placed.g.Rule(d, int(i)).Name)] != "" {
				continue // Unknown
			}
			decided++
			for _, c := range real {
				assert.Equal(t, c.c.Verdict(f).Access, v.Access, "rules %v, flow %+v", g.Rules, f)
			}
		}
	}
	assert.Positive(t, decided, "some flows are answered")
	assert.Greater(t, worlds, nets, "several worlds per NSG")
}
