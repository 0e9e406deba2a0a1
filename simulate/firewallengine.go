package simulate

import (
	"fmt"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/topology"
)

// firewallEngine compiles what decides a firewall's traffic: its policy, or
// else its classic rule collections (validation rejects a firewall with
// both). It returns nil and no error for a firewall with neither: its
// verdicts are Unknown.
func firewallEngine(m *topology.Model, f *topology.Firewall, opts Options) (*firewall.Engine, error) {
	res := m.FirewallResolvers(opts.Tags, dnsAdapter{opts.Resolver})
	var (
		eng  *firewall.Engine
		err  error
		what string
	)
	switch {
	case !f.Policy.IsZero():
		what = "policy " + string(f.Policy)
		var pol *firewall.Policy
		if pol, err = m.FirewallPolicy(f.Policy); err == nil {
			eng, err = firewall.Compile(pol, res)
		}
	case f.HasClassicRules():
		what = "its classic rules"
		var cl *firewall.Classic
		if cl, err = m.FirewallClassic(f.ID); err == nil {
			eng, err = firewall.CompileClassic(cl, res)
		}
	default:
		return nil, nil
	}
	if err == nil && eng.Len() >= maxFirewallRules {
		err = fmt.Errorf("firewall %s: %s has %d rules; egress handles at most %d", f.ID, what, eng.Len(), maxFirewallRules-1)
	}
	return eng, err
}
