package simulate_test

import (
	"fmt"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReachHostsDefaultDesign: the hub firewall's application rules
// (WindowsUpdate's FQDNs, *.contoso.com, api.partner.example on HTTPS
// 443) appear as classes conditioned on the name: without a name the app
// NIC's TCP 443 to the internet is denied by default, with a matching SNI
// it is allowed by the rule and leaves from the firewall's public IPs;
// every class's witness, traced with its host, has the class's outcome.
func TestReachHostsDefaultDesign(t *testing.T) {
	e := defaultEngine(t)
	h, err := e.NIC("vm-app-01-nic")
	require.NoError(t, err)
	hcs := e.ReachHosts(h, nil)
	require.NotEmpty(t, hcs)
	byPattern := map[string][]simulate.HostClass{}
	for _, hc := range hcs {
		byPattern[hc.Pattern] = append(byPattern[hc.Pattern], hc)
		res, err := e.Trace(hc.Change.Witness)
		require.NoError(t, err)
		assert.Equal(t, hc.Change.After.Verdict, res.Verdict, "%s %+v: %s", hc.Host, hc.Change.Witness, res)
		assert.Equal(t, hc.Change.After.Method, res.EgressMethod, "%s: %s", hc.Host, res)
		assert.Equal(t, hc.Host, hc.Change.Witness.Host)
	}
	for _, pat := range []string{"*.contoso.com", "api.partner.example"} {
		cs := byPattern[pat]
		require.NotEmpty(t, cs, "pattern %s conditions some flows: %v", pat, keys(byPattern))
		var https bool
		for _, c := range cs {
			assert.Equal(t, "fw-hub", c.Firewall)
			assert.Contains(t, c.Rule, "contoso-apis")
			if c.Change.After.Verdict == simulate.Allowed && c.Change.After.Method == simulate.MethodAzureFirewall {
				assert.Equal(t, []simulate.PortRange{{Lo: 443, Hi: 443}}, c.Change.Ports, "the rule's protocol port only")
				assert.Equal(t, []ipproto.Proto{ipproto.TCP}, c.Change.Protocols)
				assert.Equal(t, simulate.Denied, c.Change.Before.Verdict, "no name: default deny")
				assert.Contains(t, c.DecidedBy, "contoso-apis")
				assert.NotEmpty(t, c.Change.AfterIPs, "SNAT to the firewall's public IPs")
				https = true
			}
		}
		assert.True(t, https, "%s allows HTTPS to the internet", pat)
	}
	// A name no target names may still be one of WindowsUpdate's FQDNs (an
	// FQDN tag the firewall resolves, this model cannot): Unknown, not
	// denied.
	require.NotEmpty(t, byPattern[""])
	for _, c := range byPattern[""] {
		assert.Equal(t, "other.invalid", c.Host)
		assert.Equal(t, simulate.Unknown, c.Change.After.Verdict)
		assert.Empty(t, c.Rule)
	}

	// A NIC whose flows reach no firewall has no name-conditioned flows.
	b, err := e.NIC("vm-batch-01-nic")
	require.NoError(t, err)
	assert.Empty(t, e.ReachHosts(b, nil))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, fmt.Sprintf("%q", k))
	}
	return out
}
