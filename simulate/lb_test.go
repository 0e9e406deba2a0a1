package simulate_test

import (
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
)

// An internal load balancer's frontend receives the flows sent to it and
// hands them to a backend of its pool
// (https://learn.microsoft.com/azure/load-balancer/components#frontend-ip-configuration):
// a flow to it is Unknown (which backend, and its NSGs, is not modelled),
// not dropped as if nothing held the address.
func TestFlowToInternalLoadBalancerFrontend(t *testing.T) {
	design := strings.Replace(one("", "", ""), "loadBalancers:\n", `loadBalancers:
  - name: ilb
    frontends: [{name: fe, subnet: vnet/snet, privateIp: 10.1.1.10}]
    backendPools: [pool]
`, 1)
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm", "10.1.1.10", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonInternalLB, r.ReasonCode)
	last := r.Hops[len(r.Hops)-1]
	assert.Equal(t, simulate.HopDestination, last.Kind)
	assert.Equal(t, "ilb", last.Name)
}
