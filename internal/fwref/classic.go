package fwref

import (
	"cmp"
	"slices"

	"github.com/egresslab/egress/firewall"
)

// NewClassic parses a firewall's classic rules that firewall.CompileClassic
// accepts. The order, from the classic section of
// https://learn.microsoft.com/azure/firewall/rule-processing: rule type
// first (NAT, network, application), then collection priority, then rule
// position; a rule's path is "firewall/collection/rule".
//
// Each collection's rules are parsed by the policy parser (addPolicy) as a
// one-collection policy, then renamed and reordered here with a plain sort.
func NewClassic(fw *firewall.Classic, res firewall.Resolvers) (*Evaluator, error) {
	// The SNAT private ranges, read as a policy's.
	e, err := New(&firewall.Policy{Name: fw.Name, DNSProxy: fw.DNSProxy, SNATPrivateRanges: fw.SNATPrivateRanges}, res)
	if err != nil {
		return nil, err
	}
	type keyed struct {
		r    rule
		prio int
		ci   int
		ri   int
	}
	var all []keyed
	add := func(rc firewall.RuleCollection, names []string, prio, ci int) error {
		one := &Evaluator{}
		p := &firewall.Policy{Name: fw.Name, RuleCollectionGroups: []firewall.RuleCollectionGroup{{RuleCollections: []firewall.RuleCollection{rc}}}}
		if err := one.addPolicy(p, 0, res); err != nil {
			return err
		}
		for ri, r := range one.rules {
			r.path = fw.Name + "/" + rc.Name + "/" + names[ri]
			r.order = nil
			all = append(all, keyed{r, prio, ci, ri})
		}
		return nil
	}
	for ci, c := range fw.NatRuleCollections {
		var names []string
		for _, r := range c.Rules {
			names = append(names, r.Name)
		}
		if err := add(firewall.RuleCollection{Name: c.Name, Kind: firewall.KindNat, Action: firewall.DNAT, NatRules: c.Rules}, names, c.Priority, ci); err != nil {
			return nil, err
		}
	}
	for ci, c := range fw.NetworkRuleCollections {
		var names []string
		for _, r := range c.Rules {
			names = append(names, r.Name)
		}
		if err := add(firewall.RuleCollection{Name: c.Name, Kind: firewall.KindFilter, Action: c.Action, NetworkRules: c.Rules}, names, c.Priority, ci); err != nil {
			return nil, err
		}
	}
	for ci, c := range fw.ApplicationRuleCollections {
		var names []string
		var rules []firewall.ApplicationRule
		for _, r := range c.Rules {
			names = append(names, r.Name)
			rules = append(rules, firewall.ApplicationRule{Name: r.Name, Protocols: r.Protocols, SourceAddresses: r.SourceAddresses,
				SourceIPGroups: r.SourceIPGroups, TargetFqdns: r.TargetFqdns, FqdnTags: r.FqdnTags})
		}
		if err := add(firewall.RuleCollection{Name: c.Name, Kind: firewall.KindFilter, Action: c.Action, ApplicationRules: rules}, names, c.Priority, ci); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(all, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.r.typ, b.r.typ), cmp.Compare(a.prio, b.prio), cmp.Compare(a.ci, b.ci), cmp.Compare(a.ri, b.ri))
	})
	for _, k := range all {
		e.rules = append(e.rules, k.r)
	}
	return e, nil
}
