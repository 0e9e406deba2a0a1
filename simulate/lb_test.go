package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
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

// A load balancer gives outbound SNAT only for the protocols of its rules:
// outbound rules choose "which protocols to provide outbound translation
// for" (https://learn.microsoft.com/azure/load-balancer/outbound-rules), and
// "outbound SNAT programming depends on the transport protocol of the
// inbound load-balancing rule" (https://learn.microsoft.com/azure/load-balancer/skus).
// The VM then has an explicit outbound method, so no default outbound access
// for the other protocols (default-outbound-access).
func TestLoadBalancerOutboundFollowsTheRuleProtocol(t *testing.T) {
	withRule := func(rule string) string {
		return strings.Replace(one("", ", backendPools: [lb/pool]", ""), "    rules: [{name: web, frontend: fe, backendPool: pool, protocol: Tcp}]\n", rule, 1)
	}
	for _, tc := range []struct {
		name, rule string
		proto      ipproto.Proto
		verdict    simulate.Verdict
		reason     simulate.Reason
	}{
		{"TCP load-balancing rule, TCP", "    rules: [{name: web, frontend: fe, backendPool: pool, protocol: Tcp}]\n", ipproto.TCP, simulate.Allowed, simulate.ReasonInternet},
		{"TCP load-balancing rule, UDP", "    rules: [{name: web, frontend: fe, backendPool: pool, protocol: Tcp}]\n", ipproto.UDP, simulate.NoEgress, simulate.ReasonProtocolNotSupported},
		{"UDP load-balancing rule, TCP", "    rules: [{name: dns, frontend: fe, backendPool: pool, protocol: Udp}]\n", ipproto.TCP, simulate.NoEgress, simulate.ReasonProtocolNotSupported},
		{"UDP outbound rule, UDP", "    outboundRules: [{name: out, frontends: [fe], backendPool: pool, protocol: Udp}]\n", ipproto.UDP, simulate.Allowed, simulate.ReasonInternet},
		{"UDP outbound rule, ICMP", "    outboundRules: [{name: out, frontends: [fe], backendPool: pool, protocol: Udp}]\n", ipproto.ICMP, simulate.NoEgress, simulate.ReasonICMPNotSupported},
		{"TCP outbound rule, UDP", "    outboundRules: [{name: out, frontends: [fe], backendPool: pool, protocol: Tcp}]\n", ipproto.UDP, simulate.NoEgress, simulate.ReasonProtocolNotSupported},
		{"outbound rule for all protocols, UDP", "    outboundRules: [{name: out, frontends: [fe], backendPool: pool, protocol: All}]\n", ipproto.UDP, simulate.Allowed, simulate.ReasonInternet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := engine(t, withRule(tc.rule), simulate.Options{})
			h := mustNIC(t, e, "vm")
			dst := netip.MustParseAddr("52.1.2.3")
			d := agree(t, e, h, dst, tc.proto, 443)
			assert.Equal(t, tc.verdict, d.Verdict, "%s", e.Explain(d))
			assert.Equal(t, tc.reason, d.Reason, "%s", e.Explain(d))
		})
	}
}
