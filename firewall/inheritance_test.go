package firewall_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/egresslab/egress/firewall"
)

// TestInheritanceCycle: a base-policy chain that comes back on itself is
// reported as a cycle naming its members in order, whatever its length;
// a chain deeper than one level is reported as such
// (https://learn.microsoft.com/azure/firewall-manager/policy-overview#hierarchical-policies
// describes a parent and a child).
func TestInheritanceCycle(t *testing.T) {
	a, b, c := policy(), policy(), policy()
	a.Name, b.Name, c.Name = "A", "B", "C"

	a.Parent = a
	_, err := firewall.Compile(a, firewall.Resolvers{})
	assert.ErrorIs(t, err, firewall.ErrInheritance)
	assert.EqualError(t, err, `policy "A": basePolicy "A": invalid policy inheritance: inheritance cycle: "A" -> "A"`)

	a.Parent, b.Parent = b, a
	_, err = firewall.Compile(a, firewall.Resolvers{})
	assert.EqualError(t, err, `policy "A": basePolicy "B": invalid policy inheritance: inheritance cycle: "A" -> "B" -> "A"`)

	a.Parent, b.Parent, c.Parent = b, c, b
	_, err = firewall.Compile(a, firewall.Resolvers{})
	assert.EqualError(t, err, `policy "A": basePolicy "B": invalid policy inheritance: inheritance cycle: "B" -> "C" -> "B", reached through the base policy "B"`)

	a.Parent, b.Parent, c.Parent = b, c, nil
	_, err = firewall.Compile(a, firewall.Resolvers{})
	assert.ErrorIs(t, err, firewall.ErrInheritance)
	assert.ErrorContains(t, err, `the base policy "B" has a base policy "C": one level of inheritance is modelled`)
	assert.NotContains(t, err.Error(), "cycle")
}
