package topology_test

import (
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Inheritance cycles are called cycles, naming their members in order from
// the member listed first, at its position; a policy whose chain leads into
// a cycle is reported at its own.
func TestFirewallPolicyInheritanceCycle(t *testing.T) {
	design := func(policies string) string {
		return "egress: v1\nlocation: eastus\nfirewallPolicies:\n" + policies
	}
	_, err := load(t, design("  - {name: a, parent: b}\n  - {name: b, parent: a}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `design.yaml:4:5: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/firewallPolicies/a: `+
		`basePolicy "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/firewallPolicies/b": invalid value: inheritance cycle: "a" -> "b" -> "a"`)
	assert.Equal(t, 1, strings.Count(err.Error(), "cycle"), "one report per cycle:\n%v", err)
	assert.NotContains(t, err.Error(), "one level of inheritance")

	_, err = load(t, design("  - {name: a, parent: a}\n"))
	assert.ErrorContains(t, err, `inheritance cycle: "a" -> "a"`)

	_, err = load(t, design("  - {name: c, parent: a}\n  - {name: b, parent: c}\n  - {name: a, parent: b}\n  - {name: d, parent: a}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `design.yaml:4:5: `)
	assert.Contains(t, err.Error(), `inheritance cycle: "c" -> "a" -> "b" -> "c"`)
	assert.Contains(t, err.Error(), `design.yaml:7:5: `)
	assert.Contains(t, err.Error(), `firewallPolicies/d: basePolicy`)
	assert.Contains(t, err.Error(), `the base policy chain enters the inheritance cycle: "a" -> "b" -> "c" -> "a"`)
	assert.Equal(t, 2, strings.Count(err.Error(), "cycle:"), "%v", err)

	m, err := topology.ParseNative("d.yaml", []byte(design("  - {name: a, parent: b}\n  - {name: b, parent: a}\n")))
	require.NoError(t, err)
	_, err = m.FirewallPolicy(m.FirewallPolicies[1].ID)
	assert.ErrorContains(t, err, `inheritance cycle: "b" -> "a" -> "b"`)
}
