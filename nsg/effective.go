package nsg

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
)

// EffectiveNSGList is the answer of az network nic list-effective-nsg (REST
// POST …/networkInterfaces/{nic}/effectiveNetworkSecurityGroups,
// https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/list-effective-network-security-groups),
// shaped so that encoding/json produces the same JSON.
type EffectiveNSGList struct {
	NextLink *string        `json:"nextLink"`
	Value    []EffectiveNSG `json:"value"`
}

// EffectiveNSG is one NSG applied to the NIC, at the NIC or at its subnet.
type EffectiveNSG struct {
	NetworkSecurityGroup   ResourceRef     `json:"networkSecurityGroup"`
	Association            Association     `json:"association"`
	EffectiveSecurityRules []EffectiveRule `json:"effectiveSecurityRules"`
	// TagMap is a JSON string (not an object) mapping each tag used by the
	// NSG's rules to its expanded prefixes, as Azure returns it.
	TagMap string `json:"tagMap"`
}

// ResourceRef is an ARM {"id": …} reference.
type ResourceRef struct {
	ID string `json:"id"`
}

// Association says where an NSG is associated; the other field is null.
type Association struct {
	NetworkInterface *ResourceRef `json:"networkInterface"`
	Subnet           *ResourceRef `json:"subnet"`
}

// EffectiveRule is one rule in the effective view. Ports render as ranges
// ("0-65535", "3389-3389"); "*" addresses as "0.0.0.0/0"; a tag's expansion
// goes to Expanded…AddressPrefix, which is null for any other side. For an
// ASG side this package puts the ASG IDs in …AddressPrefixes and the member
// addresses in Expanded…AddressPrefix (Azure's rendering is not documented).
type EffectiveRule struct {
	Name                             string    `json:"name"`
	Protocol                         string    `json:"protocol"`
	SourcePortRange                  string    `json:"sourcePortRange,omitempty"`
	DestinationPortRange             string    `json:"destinationPortRange,omitempty"`
	SourcePortRanges                 []string  `json:"sourcePortRanges,omitempty"`
	DestinationPortRanges            []string  `json:"destinationPortRanges,omitempty"`
	SourceAddressPrefix              string    `json:"sourceAddressPrefix,omitempty"`
	DestinationAddressPrefix         string    `json:"destinationAddressPrefix,omitempty"`
	SourceAddressPrefixes            []string  `json:"sourceAddressPrefixes,omitempty"`
	DestinationAddressPrefixes       []string  `json:"destinationAddressPrefixes,omitempty"`
	ExpandedSourceAddressPrefix      []string  `json:"expandedSourceAddressPrefix"`
	ExpandedDestinationAddressPrefix []string  `json:"expandedDestinationAddressPrefix"`
	Access                           Access    `json:"access"`
	Priority                         int       `json:"priority"`
	Direction                        Direction `json:"direction"`
}

// EffectiveNSGs lists the NSGs applied to the NIC — the NIC's first, then the
// subnet's; each with its rules inbound then outbound, in evaluation order,
// default rules last — with the tags expanded for this NIC's Scope. Admin
// rules are not part of this view, as in Azure.
func (c *Classifier) EffectiveNSGs() EffectiveNSGList {
	out := EffectiveNSGList{Value: []EffectiveNSG{}}
	for _, st := range []Stage{StageNIC, StageSubnet} {
		g := c.groups[st]
		if g == nil {
			continue
		}
		e := EffectiveNSG{NetworkSecurityGroup: ResourceRef{ID: g.id}, EffectiveSecurityRules: []EffectiveRule{}}
		if st == StageNIC {
			e.Association.NetworkInterface = &ResourceRef{ID: c.nic.ID}
		} else {
			e.Association.Subnet = &ResourceRef{ID: c.nic.SubnetID}
		}
		tags := map[string][]string{}
		for _, d := range []Direction{Inbound, Outbound} {
			for i := range g.rules[dirIndex(d)] {
				r := &g.rules[dirIndex(d)][i]
				e.EffectiveSecurityRules = append(e.EffectiveSecurityRules, c.effectiveRule(g, r, tags))
			}
		}
		b, _ := json.Marshal(tags) // map keys are sorted: deterministic
		e.TagMap = string(b)
		out.Value = append(out.Value, e)
	}
	return out
}

func (c *Classifier) effectiveRule(g *Group, r *rule, tags map[string][]string) EffectiveRule {
	e := EffectiveRule{Name: g.info(r).DisplayName(ViewEffective), Protocol: r.proto.EffectiveString(),
		Access: r.access, Priority: r.priority, Direction: r.dir}
	e.SourcePortRange, e.SourcePortRanges = effectivePorts(r.sports)
	e.DestinationPortRange, e.DestinationPortRanges = effectivePorts(r.dports)
	e.SourceAddressPrefix, e.SourceAddressPrefixes, e.ExpandedSourceAddressPrefix = c.effectiveSide(&r.src, tags)
	e.DestinationAddressPrefix, e.DestinationAddressPrefixes, e.ExpandedDestinationAddressPrefix = c.effectiveSide(&r.dst, tags)
	return e
}

func effectivePorts(rs []portRange) (string, []string) {
	if len(rs) == 1 {
		return rs[0].String(), nil
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return "", out
}

func (c *Classifier) effectiveSide(s *side, tags map[string][]string) (one string, many, expanded []string) {
	switch s.kind {
	case sideAny:
		return "0.0.0.0/0", nil, nil
	case sideCtx:
		name := ctxTagNames[s.ctx]
		expanded = prefixStrings(c.scope.Prefixes(name))
		tags[name] = expanded
		return name, nil, expanded
	case sideTag:
		expanded = prefixStrings(s.prefixes)
		tags[s.items[0]] = expanded
		return s.items[0], nil, expanded
	case sideASG:
		return "", append([]string(nil), s.items...), prefixStrings(s.prefixes)
	}
	ps := prefixStrings(s.prefixes)
	if len(ps) == 1 {
		return ps[0], nil, nil
	}
	return "", ps, nil
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// IPFlowVerifyRequest is the question of Network Watcher's IP flow verify
// (https://learn.microsoft.com/rest/api/network-watcher/network-watchers/verify-ip-flow):
// a flow from the NIC's point of view. Protocol must be TCP or UDP.
type IPFlowVerifyRequest struct {
	Direction       Direction
	Protocol        ipproto.Proto
	LocalIPAddress  netip.Addr
	LocalPort       uint16
	RemoteIPAddress netip.Addr
	RemotePort      uint16
}

// IPFlowVerifyResult is IP flow verify's answer: {"access": "Deny",
// "ruleName": "securityRules/deny-smb-out"}.
type IPFlowVerifyResult struct {
	Access   Access `json:"access"`
	RuleName string `json:"ruleName"`
}

// ErrRequest reports an IP flow verify request that Azure would refuse.
var ErrRequest = errors.New("nsg: invalid IP flow verify request")

// VerifyIPFlow answers like IP flow verify. RuleName is the deciding rule in
// the IP-flow-verify spelling ([ViewIPFlowVerify]): the denying rule, or for
// an allowed flow the allowing rule of the NSG evaluated last. When no rule
// decided (no NSG at all, or platform traffic) RuleName is "" (an
// undocumented case). It returns an error wrapping [ErrRequest] for a
// protocol other than TCP or UDP, an invalid direction or address, or a port
// of 0.
func (c *Classifier) VerifyIPFlow(q IPFlowVerifyRequest) (IPFlowVerifyResult, error) {
	switch {
	case q.Protocol != ipproto.TCP && q.Protocol != ipproto.UDP:
		return IPFlowVerifyResult{}, fmt.Errorf("%w: protocol %v: want TCP or UDP", ErrRequest, q.Protocol)
	case !q.Direction.IsValid():
		return IPFlowVerifyResult{}, fmt.Errorf("%w: direction %v", ErrRequest, q.Direction)
	case !q.LocalIPAddress.IsValid() || !q.RemoteIPAddress.IsValid():
		return IPFlowVerifyResult{}, fmt.Errorf("%w: invalid address", ErrRequest)
	case q.LocalPort == 0 || q.RemotePort == 0:
		return IPFlowVerifyResult{}, fmt.Errorf("%w: port 0", ErrRequest)
	}
	f := Flow{Direction: q.Direction, Proto: q.Protocol, Src: q.LocalIPAddress, Dst: q.RemoteIPAddress,
		SrcPort: q.LocalPort, DstPort: q.RemotePort}
	if q.Direction == Inbound {
		f.Src, f.Dst, f.SrcPort, f.DstPort = q.RemoteIPAddress, q.LocalIPAddress, q.RemotePort, q.LocalPort
	}
	v := c.Verdict(f)
	res := IPFlowVerifyResult{Access: v.Access}
	if st, ok := v.Decider(q.Direction); ok {
		if ri, ok := c.RuleOf(v, q.Direction, st); ok {
			res.RuleName = ri.DisplayName(ViewIPFlowVerify)
		}
	}
	return res, nil
}

// FlowLogRuleName returns the rule name that NSG flow logs v2 would record
// for verdict v of a flow of direction d ("UserRule_deny-smb",
// "DefaultRule_AllowInternetOutBound"; an admin rule's bare name), or "" when
// no rule decided.
func (c *Classifier) FlowLogRuleName(v Verdict, d Direction) string {
	if st, ok := v.Decider(d); ok {
		if ri, ok := c.RuleOf(v, d, st); ok {
			return ri.DisplayName(ViewFlowLog)
		}
	}
	return ""
}

// String renders the verdict compactly, e.g. "Deny/Rule [-1 3 -1]".
func (v Verdict) String() string {
	var b strings.Builder
	b.WriteString(v.Access.String())
	b.WriteString("/")
	b.WriteString(v.Reason.String())
	b.WriteString(" [")
	for i, r := range [...]int16{v.Rules.Admin, v.Rules.NIC, v.Rules.Subnet} {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(strconv.Itoa(int(r)))
	}
	b.WriteString("]")
	return b.String()
}
