package topology

import (
	"go.yaml.in/yaml/v3"
)

// A firewall's classic rules in the native format: three lists, as the
// firewall resource has them (natRuleCollections, networkRuleCollections,
// applicationRuleCollections), each collection {name, priority, action,
// rules}, each rule with the fields its type has in the REST API
// (AzureFirewallNatRule, AzureFirewallNetworkRule, AzureFirewallApplicationRule).
// Decoding is strict per type: a targetFqdns in a network rule is an
// unknown field.

type nClassicNatCollection struct {
	Name     string             `yaml:"name"`
	Priority yamlInt            `yaml:"priority"`
	Action   string             `yaml:"action"` // Dnat (the default)
	Rules    []*nClassicNatRule `yaml:"rules"`
	at       at
}

func (v *nClassicNatCollection) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nClassicNatCollection
	v.at, err = strict(n, (*plain)(v), "a classic NAT rule collection")
	return err
}

type nClassicNatRule struct {
	Name                 string   `yaml:"name"`
	Protocols            []string `yaml:"protocols"` // TCP, UDP, Any
	SourceAddresses      []string `yaml:"sourceAddresses"`
	SourceIPGroups       []string `yaml:"sourceIpGroups"`
	DestinationAddresses []string `yaml:"destinationAddresses"`
	DestinationPorts     []string `yaml:"destinationPorts"`
	TranslatedAddress    string   `yaml:"translatedAddress"`
	TranslatedPort       string   `yaml:"translatedPort"`
	TranslatedFqdn       string   `yaml:"translatedFqdn"`
	at                   at
}

func (v *nClassicNatRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nClassicNatRule
	v.at, err = strict(n, (*plain)(v), "a classic NAT rule")
	return err
}

type nClassicNetCollection struct {
	Name     string             `yaml:"name"`
	Priority yamlInt            `yaml:"priority"`
	Action   string             `yaml:"action"` // Allow | Deny
	Rules    []*nClassicNetRule `yaml:"rules"`
	at       at
}

func (v *nClassicNetCollection) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nClassicNetCollection
	v.at, err = strict(n, (*plain)(v), "a classic network rule collection")
	return err
}

type nClassicNetRule struct {
	Name                 string   `yaml:"name"`
	Protocols            []string `yaml:"protocols"` // TCP, UDP, ICMP, Any
	SourceAddresses      []string `yaml:"sourceAddresses"`
	SourceIPGroups       []string `yaml:"sourceIpGroups"`
	DestinationAddresses []string `yaml:"destinationAddresses"`
	DestinationIPGroups  []string `yaml:"destinationIpGroups"`
	DestinationFqdns     []string `yaml:"destinationFqdns"`
	DestinationPorts     []string `yaml:"destinationPorts"`
	at                   at
}

func (v *nClassicNetRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nClassicNetRule
	v.at, err = strict(n, (*plain)(v), "a classic network rule")
	return err
}

type nClassicAppCollection struct {
	Name     string             `yaml:"name"`
	Priority yamlInt            `yaml:"priority"`
	Action   string             `yaml:"action"` // Allow | Deny
	Rules    []*nClassicAppRule `yaml:"rules"`
	at       at
}

func (v *nClassicAppCollection) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nClassicAppCollection
	v.at, err = strict(n, (*plain)(v), "a classic application rule collection")
	return err
}

type nClassicAppRule struct {
	Name            string   `yaml:"name"`
	Protocols       []string `yaml:"protocols"` // "Http:80", "Https:443", "Mssql:1433"
	SourceAddresses []string `yaml:"sourceAddresses"`
	SourceIPGroups  []string `yaml:"sourceIpGroups"`
	TargetFqdns     []string `yaml:"targetFqdns"`
	FqdnTags        []string `yaml:"fqdnTags"`
	at              at
}

func (v *nClassicAppRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nClassicAppRule
	v.at, err = strict(n, (*plain)(v), "a classic application rule")
	return err
}

// classicFirewall builds a native firewall's classic rules and settings.
// DNS proxy and SNAT private ranges belong to the policy of a firewall that
// has one: given on such a firewall they are an error, not ignored.
func (b *nativeBuilder) classicFirewall(fw *Firewall, f *nFirewall) {
	res := what("firewall", f.Name)
	if f.Policy != "" && f.DNSProxy {
		b.p.add(b.pos(f.at), res, "dnsProxy", "", ErrNotAllowed, "the firewall has a policy: set dnsProxy on the policy")
	}
	if f.Policy != "" && f.SNATPrivateRanges != nil {
		b.p.add(b.pos(f.at), res, "snatPrivateRanges", "", ErrNotAllowed,
			"the firewall has a policy: set snatPrivateRanges on the policy (Azure ignores the firewall's for a firewall with a policy, https://learn.microsoft.com/azure/firewall/snat-private-range)")
	}
	fw.DNSProxy, fw.SNATPrivateRanges = f.DNSProxy, f.SNATPrivateRanges
	for _, c := range f.NatRuleCollections {
		rc := &RuleCollection{Name: c.Name, Priority: int(c.Priority), Action: c.Action, Pos: b.pos(c.at)}
		for _, r := range c.Rules {
			rc.Rules = append(rc.Rules, &FirewallRule{Name: r.Name, Type: "NatRule", Protocols: r.Protocols, SourceAddresses: r.SourceAddresses,
				SourceIPGroups: b.ids(tIPGroups, r.SourceIPGroups), DestinationAddresses: r.DestinationAddresses, DestinationPorts: r.DestinationPorts,
				TranslatedAddress: r.TranslatedAddress, TranslatedPort: r.TranslatedPort, TranslatedFqdn: r.TranslatedFqdn, Pos: b.pos(r.at)})
		}
		fw.NatRuleCollections = append(fw.NatRuleCollections, rc)
	}
	for _, c := range f.NetworkRuleCollections {
		rc := &RuleCollection{Name: c.Name, Priority: int(c.Priority), Action: c.Action, Pos: b.pos(c.at)}
		for _, r := range c.Rules {
			rc.Rules = append(rc.Rules, &FirewallRule{Name: r.Name, Type: "NetworkRule", Protocols: r.Protocols, SourceAddresses: r.SourceAddresses,
				SourceIPGroups: b.ids(tIPGroups, r.SourceIPGroups), DestinationAddresses: r.DestinationAddresses,
				DestinationIPGroups: b.ids(tIPGroups, r.DestinationIPGroups), DestinationFqdns: r.DestinationFqdns,
				DestinationPorts: r.DestinationPorts, Pos: b.pos(r.at)})
		}
		fw.NetworkRuleCollections = append(fw.NetworkRuleCollections, rc)
	}
	for _, c := range f.ApplicationRuleCollections {
		rc := &RuleCollection{Name: c.Name, Priority: int(c.Priority), Action: c.Action, Pos: b.pos(c.at)}
		for _, r := range c.Rules {
			rc.Rules = append(rc.Rules, &FirewallRule{Name: r.Name, Type: "ApplicationRule", Protocols: r.Protocols, SourceAddresses: r.SourceAddresses,
				SourceIPGroups: b.ids(tIPGroups, r.SourceIPGroups), TargetFqdns: r.TargetFqdns, FqdnTags: r.FqdnTags, Pos: b.pos(r.at)})
		}
		fw.ApplicationRuleCollections = append(fw.ApplicationRuleCollections, rc)
	}
}
