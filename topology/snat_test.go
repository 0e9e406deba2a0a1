package topology_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lbDesign is a design with n NICs in one load balancer backend pool behind
// an outbound rule with the given allocatedOutboundPorts.
func lbDesign(n, ports int) string {
	var b strings.Builder
	b.WriteString(base)
	b.WriteString("publicIps:\n  - {name: pip-lb, ip: 20.1.0.20}\nnics:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: nic%d, subnet: vnet-a/snet-1, ip: 10.1.1.%d, backendPools: [lb/pool]}\n", i, 4+i)
	}
	fmt.Fprintf(&b, `loadBalancers:
  - name: lb
    sku: Standard
    frontends: [{name: fe, publicIp: pip-lb}]
    backendPools: [pool]
    outboundRules: [{name: out, frontends: [fe], backendPool: pool, protocol: All, allocatedOutboundPorts: %d}]
`, ports)
	return b.String()
}

// https://learn.microsoft.com/azure/load-balancer/outbound-rules, "Modify
// SNAT port allocation": Azure rejects a value not divisible by 8, and
// "if you give 10,000 ports per VM and seven VMs in a backend pool share a
// single public IP, the configuration is rejected".
func TestOutboundRuleAllocatedPortsValidated(t *testing.T) {
	for _, tc := range []struct {
		nics, ports int
		want        string
	}{
		{7, 10000, "allocatedOutboundPorts 10,000 for 7 backend instances needs 70,000 ports, more than the 64,000 of 1 frontend IP address"},
		{1, 1001, "not a multiple of 8"},
		{6, 10000, ""},
		{7, 0, ""},
	} {
		m, err := topology.ParseNative("design.yaml", []byte(lbDesign(tc.nics, tc.ports)))
		require.NoError(t, err)
		err = m.Validate(defaultTags(t))
		if tc.want == "" {
			assert.NoError(t, err, "%d NICs × %d ports", tc.nics, tc.ports)
			continue
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
		assert.Contains(t, err.Error(), "outboundRules/out")
		assert.Contains(t, err.Error(), "allocatedOutboundPorts")
		assert.Contains(t, err.Error(), "design.yaml:")
	}
	m, err := topology.ParseNative("design.yaml", []byte(lbDesign(3, 2048)))
	require.NoError(t, err)
	lb := m.LoadBalancers[0]
	assert.Equal(t, 2048, lb.OutboundRules[0].AllocatedOutboundPorts)
	assert.Equal(t, 3, m.BackendPoolSize(lb.BackendPools[0].ID))
	n, known := m.FrontendAddresses(lb.OutboundRules[0].Frontends)
	assert.True(t, known)
	assert.Equal(t, 1, n)
}
