package simulate

import (
	"slices"
	"strings"

	"github.com/egresslab/egress/topology"
)

// classicAllowsAny is CheckFirewallAllowsAny for the firewalls' classic
// rules: an Allow network rule to any destination address on any port, or
// an Allow application rule to any FQDN ("*"). A firewall with a policy
// uses the policy, not its classic rules, so only firewalls without one are
// audited. Name is the rule's path "firewall/collection/rule", as the
// firewall engine names it.
func classicAllowsAny(n *topology.Network) []Finding {
	var out []Finding
	for i := range n.NumFirewalls() {
		f := n.Firewall(i).Resource()
		if !f.Policy.IsZero() {
			continue
		}
		for _, list := range [][]*topology.RuleCollection{f.NetworkRuleCollections, f.ApplicationRuleCollections} {
			for _, c := range list {
				if !strings.EqualFold(c.Action, "Allow") {
					continue
				}
				for _, r := range c.Rules {
					var what string
					switch {
					case strings.EqualFold(r.Type, "NetworkRule") && slices.Contains(r.DestinationAddresses, "*") &&
						len(r.DestinationIPGroups) == 0 && len(r.DestinationFqdns) == 0 && slices.Contains(r.DestinationPorts, "*"):
						what = "any destination address on any port"
					case strings.EqualFold(r.Type, "ApplicationRule") && slices.Contains(r.TargetFqdns, "*"):
						what = "any FQDN"
					default:
						continue
					}
					out = append(out, Finding{Check: CheckFirewallAllowsAny, Severity: SeverityHigh,
						Scope:    Scope{Kind: ScopeFirewallRule, ID: string(f.ID), Name: f.Name + "/" + c.Name + "/" + r.Name},
						Message:  "classic firewall rule allows " + what + ": the firewall no longer restricts egress for its sources",
						Evidence: "sources " + strings.Join(append(slices.Clone(r.SourceAddresses), refNames(r.SourceIPGroups)...), ",")})
				}
			}
		}
	}
	return out
}

func refNames(rs []topology.Ref) []string {
	var out []string
	for _, r := range rs {
		out = append(out, "ipGroup:"+r.Name())
	}
	return out
}
