package topology_test

import (
	"testing"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// AVNM security admin rules load from an export: the rule collection applies
// to the VNets that are static members of its network groups
// (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins).
func TestARMAdminRules(t *testing.T) {
	m, err := topology.LoadFiles(defaultTags(t), "testdata/avnm.json")
	require.NoError(t, err)
	require.Len(t, m.AdminConfigs, 1)
	ac := m.AdminConfigs[0]
	assert.Equal(t, "org", ac.Name)
	require.Len(t, ac.VNets, 1)
	assert.Equal(t, "v1", ac.VNets[0].Name())
	require.Len(t, ac.Rules, 1)
	r := ac.Rules[0]
	assert.Equal(t, "deny-smb", r.Name)
	assert.Equal(t, nsg.Outbound, r.Direction)
	assert.Equal(t, nsg.Deny, r.Access)
	assert.Equal(t, []string{"*"}, r.Sources)
	assert.Equal(t, []string{"445"}, r.DestinationPortRanges)
}
