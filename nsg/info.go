package nsg

import (
	"slices"
	"strconv"
)

// View selects how a rule's name is rendered: Azure spells the same rule
// differently in different tools (azure-semantics §2.2). Each rule has one
// canonical name (the NSG resource's); the views render the variants.
type View uint8

// The naming views.
const (
	// ViewResource: the NSG resource's names: "AllowVnetOutBound", "deny-smb".
	ViewResource View = iota
	// ViewEffective: az network nic list-effective-nsg:
	// "defaultSecurityRules/AllowVnetOutBound", "securityRules/deny-smb".
	ViewEffective
	// ViewIPFlowVerify: Network Watcher IP flow verify:
	// "defaultSecurityRules/AllowInternetOutBound",
	// "defaultSecurityRules/DefaultInboundDenyAll", "securityRules/deny-smb".
	ViewIPFlowVerify
	// ViewFlowLog: NSG flow logs: "DefaultRule_AllowInternetOutBound",
	// "DefaultRule_DenyAllInBound", "UserRule_deny-smb".
	ViewFlowLog
)

// RuleInfo describes one compiled rule, for explanations and outputs.
// It is plain data; its slices are fresh copies.
type RuleInfo struct {
	Group      string    // ID of the NSG or admin configuration
	Admin      bool      // an AVNM security admin rule
	Collection string    // admin rules: the rule collection
	Name       string    // canonical name (the NSG resource's spelling for default rules)
	Default    bool      // one of the six default rules
	Index      int       // position in the input; -1 for default rules
	Priority   int       // 100..4096 (admin 1..4096); 65000, 65001, 65500 for default rules
	Direction  Direction //
	Access     Access    //
	Protocol   Protocol  //

	// Source and Destination are the side's items as given: "*", addresses
	// and CIDRs, one tag (canonical spelling for built-in tags), or ASG IDs.
	Source, Destination []string
	// SourceASG and DestinationASG report that the side lists ASG IDs.
	SourceASG, DestinationASG bool
	// SourcePorts and DestinationPorts are the port items as given.
	SourcePorts, DestinationPorts []string
}

// DisplayName renders the rule's name in view v. Admin rules render as
// "securityAdminRules/<name>" in the effective and IP-flow-verify views and
// as the bare name elsewhere (VNet flow logs show the bare name).
func (r RuleInfo) DisplayName(v View) string {
	switch {
	case r.Admin:
		if v == ViewEffective || v == ViewIPFlowVerify {
			return "securityAdminRules/" + r.Name
		}
		return r.Name
	case !r.Default:
		switch v {
		case ViewEffective, ViewIPFlowVerify:
			return "securityRules/" + r.Name
		case ViewFlowLog:
			return "UserRule_" + r.Name
		}
		return r.Name
	}
	switch v {
	case ViewEffective:
		return "defaultSecurityRules/" + r.Name
	case ViewIPFlowVerify:
		switch r.Name {
		case "DenyAllInBound":
			return "defaultSecurityRules/DefaultInboundDenyAll"
		case "DenyAllOutBound":
			return "defaultSecurityRules/DefaultOutboundDenyAll"
		}
		return "defaultSecurityRules/" + r.Name
	case ViewFlowLog:
		return "DefaultRule_" + r.Name
	}
	return r.Name
}

// String returns the rule in a compact one-line form, e.g.
// `securityRules/deny-smb 200 Outbound Deny Tcp * -> Internet:445`.
func (r RuleInfo) String() string {
	return r.DisplayName(ViewEffective) + " " + strconv.Itoa(r.Priority) + " " + r.Direction.String() + " " +
		r.Access.String() + " " + r.Protocol.String() + " " + joinItems(r.Source) + ":" + joinItems(r.SourcePorts) +
		" -> " + joinItems(r.Destination) + ":" + joinItems(r.DestinationPorts)
}

func joinItems(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	out := "["
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out + "]"
}

func (g *Group) info(r *rule) RuleInfo {
	return RuleInfo{
		Group: g.id, Admin: g.admin, Collection: r.coll, Name: r.name, Default: r.def != defNone,
		Index: r.index, Priority: r.priority, Direction: r.dir, Access: r.access, Protocol: r.proto,
		Source: slices.Clone(r.src.items), Destination: slices.Clone(r.dst.items),
		SourceASG: r.src.kind == sideASG, DestinationASG: r.dst.kind == sideASG,
		SourcePorts: slices.Clone(r.sportsIn), DestinationPorts: slices.Clone(r.dportsIn),
	}
}
