// Package nsgref is the reference evaluator of package nsg: the rules of each
// stage sorted by priority and matched one by one, with plain prefix
// comparisons. It is slow and obvious on purpose, shares no code with nsg's
// compiled classifier (it parses the rule strings itself and hard-codes the
// default rules from the Azure documentation), and exists for the
// differential tests, fuzz targets and benchmarks of nsg.
//
// It assumes its input is valid, i.e. that nsg.Compile accepted it; on input
// it cannot parse, New returns an error.
package nsgref

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// NIC is everything the reference needs for one NIC.
type NIC struct {
	Addrs     []netip.Addr
	NSG       *nsg.SecurityGroup // on the NIC, or nil
	SubnetNSG *nsg.SecurityGroup // on the subnet, or nil
	Admin     *nsg.AdminConfig   // or nil
	Context   nsg.Context
	Tags      nsg.TagResolver
	ASGs      nsg.ASGResolver
}

// Result is the reference's answer. Rules holds, per nsg.Stage, the name of
// the rule that matched ("" if none, or not evaluated); admin rules are
// written "collection/name".
type Result struct {
	Access nsg.Access
	Reason nsg.Reason
	Rules  [3]string
}

func (r Result) String() string {
	return fmt.Sprintf("%v/%v admin=%q nic=%q subnet=%q", r.Access, r.Reason, r.Rules[0], r.Rules[1], r.Rules[2])
}

// Evaluator holds the parsed rules of one NIC.
type Evaluator struct {
	nic    NIC
	stages [3][]refRule // by nsg.Stage; nil slice with present=false means no group
	has    [3]bool
}

type addrKind int

const (
	kAny addrKind = iota
	kSet
	kVNet
	kInternet
	kLB
)

type refSide struct {
	kind     addrKind
	platform bool
	pfx      []netip.Prefix
	set      *netipx.IPSet // for large lists
}

type refRule struct {
	name     string
	priority int
	dir      nsg.Direction
	access   nsg.Access
	proto    nsg.Protocol
	src, dst refSide
	sp, dp   [][2]int
}

// New parses the NIC's rules.
func New(n NIC) (*Evaluator, error) {
	e := &Evaluator{nic: n}
	if n.Admin != nil {
		e.has[nsg.StageAdmin] = true
		for _, r := range n.Admin.Rules {
			rr, err := e.parse(r.Name, r.Priority, r.Direction, r.Access, r.Protocol, r.Sources, r.Destinations, nil, nil, r.SourcePortRanges, r.DestinationPortRanges)
			if err != nil {
				return nil, err
			}
			rr.name = r.Collection + "/" + r.Name
			e.stages[nsg.StageAdmin] = append(e.stages[nsg.StageAdmin], rr)
		}
		slices.SortStableFunc(e.stages[nsg.StageAdmin], func(a, b refRule) int { return cmp.Compare(a.priority, b.priority) })
	}
	for st, sg := range map[nsg.Stage]*nsg.SecurityGroup{nsg.StageNIC: n.NSG, nsg.StageSubnet: n.SubnetNSG} {
		if sg == nil {
			continue
		}
		e.has[st] = true
		var rs []refRule
		for _, r := range sg.Rules {
			src := append(one(r.SourceAddressPrefix), r.SourceAddressPrefixes...)
			dst := append(one(r.DestinationAddressPrefix), r.DestinationAddressPrefixes...)
			rr, err := e.parse(r.Name, r.Priority, r.Direction, r.Access, r.Protocol, src, dst,
				r.SourceApplicationSecurityGroups, r.DestinationApplicationSecurityGroups,
				append(one(r.SourcePortRange), r.SourcePortRanges...), append(one(r.DestinationPortRange), r.DestinationPortRanges...))
			if err != nil {
				return nil, err
			}
			rs = append(rs, rr)
		}
		slices.SortStableFunc(rs, func(a, b refRule) int { return cmp.Compare(a.priority, b.priority) })
		e.stages[st] = append(rs, defaults()...)
	}
	return e, nil
}

func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// defaults are the default rules, from the table in
// https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules
func defaults() []refRule {
	any := refSide{kind: kAny}
	all := [][2]int{{0, 65535}}
	mk := func(name string, prio int, d nsg.Direction, a nsg.Access, src, dst refSide) refRule {
		return refRule{name: name, priority: prio, dir: d, access: a, proto: nsg.ProtocolAny, src: src, dst: dst, sp: all, dp: all}
	}
	return []refRule{
		mk("AllowVnetInBound", 65000, nsg.Inbound, nsg.Allow, refSide{kind: kVNet}, refSide{kind: kVNet}),
		mk("AllowAzureLoadBalancerInBound", 65001, nsg.Inbound, nsg.Allow, refSide{kind: kLB}, any),
		mk("DenyAllInBound", 65500, nsg.Inbound, nsg.Deny, any, any),
		mk("AllowVnetOutBound", 65000, nsg.Outbound, nsg.Allow, refSide{kind: kVNet}, refSide{kind: kVNet}),
		mk("AllowInternetOutBound", 65001, nsg.Outbound, nsg.Allow, any, refSide{kind: kInternet}),
		mk("DenyAllOutBound", 65500, nsg.Outbound, nsg.Deny, any, any),
	}
}

func (e *Evaluator) parse(name string, prio int, d nsg.Direction, a nsg.Access, p nsg.Protocol,
	src, dst, srcASG, dstASG, sp, dp []string) (refRule, error) {
	r := refRule{name: name, priority: prio, dir: d, access: a, proto: p}
	var err error
	if r.src, err = e.side(src, srcASG); err != nil {
		return r, fmt.Errorf("rule %s source: %w", name, err)
	}
	if r.dst, err = e.side(dst, dstASG); err != nil {
		return r, fmt.Errorf("rule %s destination: %w", name, err)
	}
	if r.sp, err = ports(sp); err != nil {
		return r, fmt.Errorf("rule %s: %w", name, err)
	}
	if r.dp, err = ports(dp); err != nil {
		return r, fmt.Errorf("rule %s: %w", name, err)
	}
	return r, nil
}

func ports(items []string) ([][2]int, error) {
	if len(items) == 0 {
		return [][2]int{{0, 65535}}, nil
	}
	var out [][2]int
	for _, s := range items {
		if s == "*" {
			out = append(out, [2]int{0, 65535})
			continue
		}
		lo, hi, ok := strings.Cut(s, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if ok {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, err
			}
		}
		out = append(out, [2]int{a, b})
	}
	return out, nil
}

var (
	host = netip.MustParseAddr("168.63.129.16")
	imds = netip.MustParseAddr("169.254.169.254")
)

func (e *Evaluator) side(items, asgs []string) (refSide, error) {
	var s refSide
	s.kind = kSet
	for _, id := range asgs {
		members, _, ok := e.nic.ASGs.ApplicationSecurityGroup(id)
		if !ok {
			return s, fmt.Errorf("unknown ASG %s", id)
		}
		for _, a := range members {
			a = a.Unmap()
			s.pfx = append(s.pfx, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	for _, it := range items {
		switch strings.ToLower(it) {
		case "*", "any":
			return refSide{kind: kAny}, nil
		case "virtualnetwork", "virtual_network":
			return refSide{kind: kVNet}, nil
		case "internet":
			return refSide{kind: kInternet}, nil
		case "azureloadbalancer", "azure_loadbalancer":
			return refSide{kind: kLB}, nil
		case "azureplatformdns", "azureplatformlkm":
			return refSide{kind: kSet, platform: true, pfx: []netip.Prefix{netip.PrefixFrom(host, 32)}}, nil
		case "azureplatformimds":
			return refSide{kind: kSet, platform: true, pfx: []netip.Prefix{netip.PrefixFrom(imds, 32)}}, nil
		}
		if a, err := netip.ParseAddr(it); err == nil {
			a = a.Unmap()
			s.pfx = append(s.pfx, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		if p, err := netip.ParsePrefix(it); err == nil {
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			s.pfx = append(s.pfx, p)
			continue
		}
		ps, _, ok := e.nic.Tags.ServiceTag(it)
		if !ok {
			return s, fmt.Errorf("unknown tag %s", it)
		}
		for _, p := range ps {
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			s.pfx = append(s.pfx, p.Masked())
		}
	}
	if len(s.pfx) > 64 {
		var b netipx.IPSetBuilder
		for _, p := range s.pfx {
			b.AddPrefix(p)
		}
		s.set, _ = b.IPSet()
	}
	return s, nil
}

// Context-tag membership, written out from the nsg.Context documentation.
var nonPublic4 = []string{"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3"}

func inAny(a netip.Addr, lists ...[]netip.Prefix) bool {
	for _, l := range lists {
		for _, p := range l {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

func (e *Evaluator) inVNet(a netip.Addr) bool {
	c := &e.nic.Context
	return a == host || inAny(a, c.AddressSpace, c.Peered, c.Gateway, c.UDR)
}

func (e *Evaluator) inInternet(a netip.Addr) bool {
	c := &e.nic.Context
	if a == host || inAny(a, c.AddressSpace, c.Peered) {
		return false
	}
	if a.Is6() {
		return netip.MustParsePrefix("2000::/3").Contains(a)
	}
	for _, s := range nonPublic4 {
		if netip.MustParsePrefix(s).Contains(a) {
			return false
		}
	}
	return true
}

func (e *Evaluator) sideMatch(s *refSide, a netip.Addr) bool {
	switch s.kind {
	case kAny:
		return true
	case kVNet:
		return e.inVNet(a)
	case kInternet:
		return e.inInternet(a)
	case kLB:
		return a == host
	}
	if s.set != nil {
		return s.set.Contains(a)
	}
	for _, p := range s.pfx {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func protoMatch(p nsg.Protocol, q ipproto.Proto) bool {
	switch p {
	case nsg.ProtocolAny:
		return true
	case nsg.ProtocolTCP:
		return q == 6
	case nsg.ProtocolUDP:
		return q == 17
	case nsg.ProtocolICMP:
		return q == 1 || q == 58
	case nsg.ProtocolESP:
		return q == 50
	case nsg.ProtocolAH:
		return q == 51
	}
	return false
}

func portMatch(rs [][2]int, p int) bool {
	for _, r := range rs {
		if r[0] <= p && p <= r[1] {
			return true
		}
	}
	return false
}

// Evaluate answers for one flow.
func (e *Evaluator) Evaluate(f nsg.Flow) Result {
	if f.Direction != nsg.Inbound && f.Direction != nsg.Outbound {
		return Result{}
	}
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	sp, dp := int(f.SrcPort), int(f.DstPort)
	if f.Proto != 6 && f.Proto != 17 {
		sp, dp = 0, 0
	}
	platform := f.Direction == nsg.Outbound && (dst == host || dst == imds)
	order := []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet}
	if f.Direction == nsg.Inbound {
		order = []nsg.Stage{nsg.StageAdmin, nsg.StageSubnet, nsg.StageNIC}
	}
	var res Result
	present := false
	for _, st := range order {
		if !e.has[st] {
			continue
		}
		if st != nsg.StageAdmin {
			present = true
		}
		for i := range e.stages[st] {
			r := &e.stages[st][i]
			if r.dir != f.Direction || (platform && !r.dst.platform) {
				continue
			}
			if !protoMatch(r.proto, f.Proto) || !portMatch(r.sp, sp) || !portMatch(r.dp, dp) ||
				!e.sideMatch(&r.src, src) || !e.sideMatch(&r.dst, dst) {
				continue
			}
			res.Rules[st] = r.name
			switch {
			case r.access == nsg.Deny && st == nsg.StageAdmin:
				res.Access, res.Reason = nsg.Deny, nsg.ReasonAdmin
				return res
			case r.access == nsg.AlwaysAllow:
				res.Access, res.Reason = nsg.Allow, nsg.ReasonAdmin
				return res
			case r.access == nsg.Deny:
				res.Access, res.Reason = nsg.Deny, nsg.ReasonRule
				return res
			}
			break
		}
	}
	res.Access = nsg.Allow
	switch {
	case platform && res.Rules[nsg.StageNIC] == "" && res.Rules[nsg.StageSubnet] == "":
		res.Reason = nsg.ReasonPlatform
	case !present:
		res.Reason = nsg.ReasonNoNSG
	default:
		res.Reason = nsg.ReasonRule
	}
	return res
}

// Matching returns, per nsg.Stage, the names (as in Result) of every rule
// whose conditions f satisfies, in priority order, whether or not the
// evaluation reaches the stage: the slow twin of nsg.Classifier.Matching.
func (e *Evaluator) Matching(f nsg.Flow) [3][]string {
	var out [3][]string
	if f.Direction != nsg.Inbound && f.Direction != nsg.Outbound {
		return out
	}
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	sp, dp := int(f.SrcPort), int(f.DstPort)
	if f.Proto != 6 && f.Proto != 17 {
		sp, dp = 0, 0
	}
	platform := f.Direction == nsg.Outbound && (dst == host || dst == imds)
	for st := range e.stages {
		for i := range e.stages[st] {
			r := &e.stages[st][i]
			if r.dir != f.Direction || (platform && !r.dst.platform) {
				continue
			}
			if protoMatch(r.proto, f.Proto) && portMatch(r.sp, sp) && portMatch(r.dp, dp) &&
				e.sideMatch(&r.src, src) && e.sideMatch(&r.dst, dst) {
				out[st] = append(out[st], r.name)
			}
		}
	}
	return out
}
