package firewall

import (
	"fmt"
)

// Classic is the input form of an Azure Firewall's classic rules: the rule
// collections held on the firewall resource itself
// (Microsoft.Network/azureFirewalls properties natRuleCollections,
// networkRuleCollections and applicationRuleCollections, each collection
// {name, properties: {priority, action: {type}, rules}}), rather than in a
// Firewall Policy, with the firewall settings that apply to them, as a
// loader fills it from ARM
// (https://learn.microsoft.com/rest/api/network/azure-firewalls/get,
// AzureFirewallPropertiesFormat in azure-rest-api-specs azureFirewall.json).
//
// A Classic is plain data: it may be copied and is never retained or changed
// by this package. [CompileClassic] validates it. A firewall has either a
// policy or classic rules, never both; that is for the loader to check (see
// the package doc).
type Classic struct {
	// Name is the firewall's name, for errors and explanations.
	Name string `json:"name"`
	// DNSProxy is additionalProperties "Network.DNS.EnableProxy" = "true".
	// Network rules with destination FQDNs require it
	// (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules).
	DNSProxy bool `json:"dnsProxy,omitempty"`
	// SNATPrivateRanges is additionalProperties "Network.SNAT.PrivateRanges"
	// (a comma-separated string in ARM) split into its items: CIDRs, IP
	// addresses or "IANAPrivateRanges"; nil means the default,
	// IANAPrivateRanges, exactly as [Policy.SNATPrivateRanges]
	// (https://learn.microsoft.com/azure/firewall/snat-private-range).
	SNATPrivateRanges []string `json:"privateRanges,omitempty"`
	// ThreatIntelMode is the firewall's threatIntelMode, recorded only.
	ThreatIntelMode ThreatIntelMode `json:"threatIntelMode,omitempty"`

	NatRuleCollections         []ClassicNatRuleCollection         `json:"natRuleCollections,omitempty"`
	NetworkRuleCollections     []ClassicNetworkRuleCollection     `json:"networkRuleCollections,omitempty"`
	ApplicationRuleCollections []ClassicApplicationRuleCollection `json:"applicationRuleCollections,omitempty"`
}

// ClassicNatRuleCollection is one of a firewall's natRuleCollections: a
// name, a priority 100..65000 (lower first among the NAT collections), the
// action, which must be [NatDNAT], and its DNAT rules. The rules' IPProtocols
// are ARM's "protocols" (TCP, UDP or Any).
type ClassicNatRuleCollection struct {
	Name     string    `json:"name"`
	Priority int       `json:"priority"`
	Action   NatAction `json:"action"`
	Rules    []NatRule `json:"rules"`
}

// ClassicNetworkRuleCollection is one of a firewall's networkRuleCollections:
// a name, a priority 100..65000 (lower first among the network collections),
// the action [Allow] or [Deny] applying to every rule, and the rules. The
// rules' IPProtocols are ARM's "protocols" (TCP, UDP, ICMP or Any).
type ClassicNetworkRuleCollection struct {
	Name     string        `json:"name"`
	Priority int           `json:"priority"`
	Action   Action        `json:"action"`
	Rules    []NetworkRule `json:"rules"`
}

// ClassicApplicationRuleCollection is one of a firewall's
// applicationRuleCollections: a name, a priority 100..65000 (lower first
// among the application collections), the action [Allow] or [Deny] applying
// to every rule, and the rules.
type ClassicApplicationRuleCollection struct {
	Name     string                   `json:"name"`
	Priority int                      `json:"priority"`
	Action   Action                   `json:"action"`
	Rules    []ClassicApplicationRule `json:"rules"`
}

// ClassicApplicationRule is a classic application rule
// (AzureFirewallApplicationRule). It has the fields of an [ApplicationRule]
// that classic rules have: no target URLs, web categories, TLS inspection or
// destination addresses. It matches as an ApplicationRule with those fields
// empty does.
type ClassicApplicationRule struct {
	Name            string        `json:"name"`
	Protocols       []AppProtocol `json:"protocols"`
	SourceAddresses []string      `json:"sourceAddresses,omitempty"`
	SourceIPGroups  []string      `json:"sourceIpGroups,omitempty"`
	TargetFqdns     []string      `json:"targetFqdns,omitempty"`
	FqdnTags        []string      `json:"fqdnTags,omitempty"`
}

// NatAction is the action of a classic NAT rule collection (ARM
// AzureFirewallNatRCActionType).
//
// The zero value is invalid and fails [CompileClassic].
type NatAction uint8

// The NAT rule collection actions the REST API lists.
const (
	// NatDNAT ("Dnat") translates the destination: the documented action of
	// NAT rules (https://learn.microsoft.com/azure/firewall/rule-processing).
	NatDNAT NatAction = 1
	// NatSNAT ("Snat") is listed by the REST API but documented nowhere;
	// [CompileClassic] rejects it rather than guess what it does.
	NatSNAT NatAction = 2
)

var natActionNames = []string{"", "Dnat", "Snat"}

// String returns "Dnat" or "Snat", or "NatAction(n)" for an invalid value.
func (a NatAction) String() string { return enumString("NatAction", natActionNames, uint8(a)) }

// IsValid reports whether a is [NatDNAT] or [NatSNAT].
func (a NatAction) IsValid() bool { return a == NatDNAT || a == NatSNAT }

// MarshalText implements [encoding.TextMarshaler]. It fails for an invalid value.
func (a NatAction) MarshalText() ([]byte, error) {
	if !a.IsValid() {
		return nil, fmt.Errorf("firewall: cannot marshal %v", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts "Dnat" and
// "Snat" in any letter case.
func (a *NatAction) UnmarshalText(b []byte) error {
	v, err := enumParse("NAT collection action", natActionNames, nil, b)
	if err == nil {
		*a = NatAction(v)
	}
	return err
}

// classicLists names the ARM list of each collection type.
var classicLists = [...]string{RuleTypeNat: "natRuleCollections", RuleTypeNetwork: "networkRuleCollections", RuleTypeApplication: "applicationRuleCollections"}

// classicKinds names each collection type in messages.
var classicKinds = [...]string{RuleTypeNat: "NAT rule collection", RuleTypeNetwork: "network rule collection", RuleTypeApplication: "application rule collection"}

// CompileClassic validates a firewall's classic rules and compiles them into
// the same immutable [*Engine] that [Compile] returns for a policy, so that
// [Engine.Evaluate], [Engine.RuleOf] and [Engine.Explain] work unchanged.
//
// Evaluation follows the classic rule processing of
// https://learn.microsoft.com/azure/firewall/rule-processing: all NAT
// collections, then all network collections, then all application
// collections, each type by collection priority (lower first), the rules of
// a collection in order; the first match decides, and nothing matched is
// denied. Rules match, translate and SNAT exactly as in a policy (see the
// package doc). [RuleInfo.Classic] marks the rules; their [RuleInfo.Path]
// is "firewall/collection/rule".
//
// Every problem is reported, each as an [*Error] with Classic set, naming
// the firewall, the collection, the rule and the ARM path of the field
// (such as "networkRuleCollections[2].rules[0].destinationPorts[1]"),
// joined with errors.Join; on error the Engine is nil. It never panics on
// bad input. Collection names (1..80 characters, as for policies) and
// priorities (100..65000) must be unique within each of the three lists;
// a NAT collection's action must be [NatDNAT].
func CompileClassic(fw *Classic, r Resolvers) (*Engine, error) {
	c := &compiler{res: r, dnsName: `DNS proxy (additionalProperties "Network.DNS.EnableProxy": "true")`}
	w := where{classic: true, gi: -1, ci: -1, ri: -1}
	if fw == nil {
		c.errs.add(w, "", "", ErrMissing, "nil firewall")
		return nil, c.errs.err()
	}
	w.firewall = fw.Name
	if fw.Name == "" {
		c.errs.add(w, "name", "", ErrMissing, "the firewall needs a name")
	}
	c.dns = fw.DNSProxy
	if fw.ThreatIntelMode > ThreatIntelOff {
		c.errs.add(w, "threatIntelMode", fw.ThreatIntelMode.String(), ErrKind, "want Alert, Deny or Off")
	}

	w.ctype = RuleTypeNat
	nat := siblings{what: "NAT collection"}
	for ci := range fw.NatRuleCollections {
		rc := &fw.NatRuleCollections[ci]
		cw := c.classicCollection(&nat, w, ci, rc.Name, rc.Priority)
		switch rc.Action {
		case NatDNAT:
		case NatSNAT:
			c.errs.add(cw, "action.type", rc.Action.String(), ErrKind,
				"the REST API lists Snat, but Azure documents NAT rule collections only as DNAT (https://learn.microsoft.com/azure/firewall/rule-processing); egress does not guess what Snat does")
		default:
			c.errs.add(cw, "action.type", rc.Action.String(), ErrKind, "a NAT collection's action is Dnat")
		}
		base := classicInfo(fw.Name, RuleTypeNat, DNAT, rc.Name, rc.Priority, ci)
		names := map[string]int{}
		for ri := range rc.Rules {
			pr, rw := c.classicRule(names, base, cw, rc.Rules[ri].Name, ri)
			c.nat(&rc.Rules[ri], &pr, rw)
			c.out = append(c.out, pr)
		}
	}

	w.ctype = RuleTypeNetwork
	network := siblings{what: "network collection"}
	for ci := range fw.NetworkRuleCollections {
		rc := &fw.NetworkRuleCollections[ci]
		cw := c.classicCollection(&network, w, ci, rc.Name, rc.Priority)
		c.filterAction(cw, rc.Action)
		base := classicInfo(fw.Name, RuleTypeNetwork, rc.Action, rc.Name, rc.Priority, ci)
		names := map[string]int{}
		for ri := range rc.Rules {
			pr, rw := c.classicRule(names, base, cw, rc.Rules[ri].Name, ri)
			c.network(&rc.Rules[ri], &pr, rw)
			c.out = append(c.out, pr)
		}
	}

	w.ctype = RuleTypeApplication
	app := siblings{what: "application collection"}
	for ci := range fw.ApplicationRuleCollections {
		rc := &fw.ApplicationRuleCollections[ci]
		cw := c.classicCollection(&app, w, ci, rc.Name, rc.Priority)
		c.filterAction(cw, rc.Action)
		base := classicInfo(fw.Name, RuleTypeApplication, rc.Action, rc.Name, rc.Priority, ci)
		names := map[string]int{}
		for ri := range rc.Rules {
			cr := &rc.Rules[ri]
			pr, rw := c.classicRule(names, base, cw, cr.Name, ri)
			ar := ApplicationRule{Name: cr.Name, Protocols: cr.Protocols, SourceAddresses: cr.SourceAddresses,
				SourceIPGroups: cr.SourceIPGroups, TargetFqdns: cr.TargetFqdns, FqdnTags: cr.FqdnTags}
			c.application(&ar, &pr, rw)
			c.out = append(c.out, pr)
		}
	}

	w.ctype = RuleTypeNone
	priv := c.privateRanges(w, `additionalProperties["Network.SNAT.PrivateRanges"]`, fw.SNATPrivateRanges)
	if err := c.errs.err(); err != nil {
		return nil, err
	}
	sortRules(c.out)
	return newEngine(&Policy{Name: fw.Name, DNSProxy: fw.DNSProxy, ThreatIntelMode: fw.ThreatIntelMode}, c.out, priv), nil
}

// classicCollection checks the name and priority of collection ci of one
// of the three lists and returns where its problems are reported.
func (c *compiler) classicCollection(s *siblings, w where, ci int, name string, prio int) where {
	cw := w
	cw.collection, cw.ci = name, ci
	c.sibling(s, cw, ci, name, prio)
	return cw
}

func (c *compiler) filterAction(cw where, a Action) {
	if a != Allow && a != Deny {
		c.errs.add(cw, "action.type", a.String(), ErrKind, "a network or application collection's action is Allow or Deny")
	}
}

// classicInfo is what the rules of one classic collection share.
func classicInfo(firewall string, t RuleType, a Action, collection string, prio, ci int) parsed {
	return parsed{info: RuleInfo{Type: t, Action: a, Classic: true, Policy: firewall, Collection: collection,
		CollectionPriority: prio, GroupIndex: -1, CollectionIndex: ci}}
}

// classicRule checks a rule's name and starts its parsed form: evaluation
// order by collection priority, collection position, rule position.
func (c *compiler) classicRule(names map[string]int, base parsed, cw where, name string, ri int) (parsed, where) {
	rw := cw
	rw.rule, rw.ri = name, ri
	c.ruleName(names, rw, name, ri)
	pr := base
	pr.info.Rule, pr.info.RuleIndex = name, ri
	pr.key = [6]int{0, 0, 0, base.info.CollectionPriority, base.info.CollectionIndex, ri}
	return pr, rw
}
