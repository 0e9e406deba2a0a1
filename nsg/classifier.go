package nsg

import (
	"net/netip"
	"strings"
	"sync"

	"github.com/egresslab/egress/ipproto"
)

// Flow is the first packet of a new flow as the rules of one NIC see it:
// addresses before SNAT (outbound) and after DNAT (inbound)
// (https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works).
// For an Outbound flow Src is the NIC's address; for an Inbound flow Dst is.
//
// Ports count only for TCP and UDP: for any other protocol both ports are
// taken as 0, which only a rule whose port condition is "*" matches.
// IPv4-mapped IPv6 addresses are unmapped before matching. Flow is a small
// comparable value.
type Flow struct {
	Direction Direction
	Proto     ipproto.Proto
	Src, Dst  netip.Addr
	SrcPort   uint16
	DstPort   uint16
}

// Stage is one step of the evaluation of a flow: the admin rules, the NIC's
// NSG or the subnet's NSG.
type Stage uint8

// The stages. Outbound flows are evaluated StageAdmin, StageNIC, StageSubnet;
// inbound flows StageAdmin, StageSubnet, StageNIC.
const (
	StageAdmin  Stage = 0
	StageNIC    Stage = 1
	StageSubnet Stage = 2
)

// String returns "Admin", "NIC" or "Subnet".
func (s Stage) String() string {
	switch s {
	case StageAdmin:
		return "Admin"
	case StageNIC:
		return "NIC"
	case StageSubnet:
		return "Subnet"
	}
	return "Stage(?)"
}

// stageOrder lists the stages of each direction in evaluation order.
var stageOrder = [2][3]Stage{
	{StageAdmin, StageSubnet, StageNIC}, // Inbound
	{StageAdmin, StageNIC, StageSubnet}, // Outbound
}

// Verdict is the answer for one flow: the final access and what decided it,
// with the index of the rule that matched at each stage (the index into
// [Group.Rule] for the flow's direction), or -1 where no rule matched or the
// stage was not evaluated.
//
// Final access is always [Allow] or [Deny]. The zero Verdict (Reason
// [ReasonNone]) is what an invalid flow direction gets. A Verdict is a small
// comparable value; [Classifier.Explain] and [Classifier.RuleOf] turn it into
// names.
type Verdict struct {
	Access Access
	Reason Reason
	Rules  StageRules
}

// StageRules holds a rule index per [Stage], -1 where no rule matched or the
// stage was not evaluated. It is a struct rather than an array so that a
// [Verdict] is a value the compiler keeps in registers: the classifier's
// callers are hot paths.
type StageRules struct {
	Admin, NIC, Subnet int16
}

// noRules is the StageRules of a flow no stage matched.
var noRules = StageRules{noRule, noRule, noRule}

// At returns the rule index of stage s, -1 for none (and for an invalid
// stage).
func (r StageRules) At(s Stage) int16 {
	switch s {
	case StageAdmin:
		return r.Admin
	case StageNIC:
		return r.NIC
	case StageSubnet:
		return r.Subnet
	}
	return noRule
}

// set records rule index i at stage s.
func (r *StageRules) set(s Stage, i int16) {
	switch s {
	case StageAdmin:
		r.Admin = i
	case StageNIC:
		r.NIC = i
	case StageSubnet:
		r.Subnet = i
	}
}

// Allowed reports whether v.Access is Allow.
func (v Verdict) Allowed() bool { return v.Access == Allow }

// Decider returns the stage whose rule decided the verdict of a flow of
// direction d, and false when no rule decided (reasons Platform, NoNSG and
// None). For a flow that both NSGs allowed it is the NSG evaluated last.
func (v Verdict) Decider(d Direction) (Stage, bool) {
	switch v.Reason {
	case ReasonAdmin:
		return StageAdmin, true
	case ReasonRule:
		order := stageOrder[dirIndex(d)]
		for i := 2; i >= 1; i-- {
			if v.Rules.At(order[i]) >= 0 {
				return order[i], true
			}
		}
	}
	return 0, false
}

const noRule = -1

// NIC describes one network interface to bind compiled groups to.
//
// Groups are shared: compile each NSG once and give the same *Group to every
// NIC it applies to. A nil group means that level has no NSG (or that the
// VNet has no admin rules).
type NIC struct {
	ID        string       // ARM ID of the NIC, for outputs
	SubnetID  string       // ARM ID of the subnet, for outputs
	VNet      string       // ARM ID of the NIC's VNet; if set, the NSGs may reference only ASGs of this VNet
	Addrs     []netip.Addr // private addresses of the NIC's IP configurations
	NSG       *Group       // the NSG associated with the NIC, or nil
	SubnetNSG *Group       // the NSG associated with the NIC's subnet, or nil
	Admin     *Group       // the admin rules applying to the NIC's VNet, or nil
	Scope     *Scope       // the NIC's subnet context; nil means the zero Context
}

// Classifier is one NIC bound to its NSGs, admin rules and Scope: it answers
// [Classifier.Verdict] for any flow of the NIC with no allocation.
//
// For each of the NIC's addresses the rules' conditions on the NIC's own side
// (the source of outbound flows, the destination of inbound ones) are
// resolved when the Classifier is built, so a verdict costs one lookup of the
// remote address per group, plus one in the Scope only when a rule naming a
// context tag (VirtualNetwork, Internet, AzureLoadBalancer) could come before
// the first match. A flow whose local address
// is not one of the NIC's is still classified correctly, with one more lookup
// per group.
//
// A Classifier is immutable and safe for concurrent use. It must not be copied
// by value. Building one costs a few microseconds: the groups are shared, not
// copied. The first NIC bound to a given pair of NSGs (NIC, subnet) also
// builds their fused outbound table, which later NICs with the same pair
// share; see the package documentation.
type Classifier struct {
	_      [0]sync.Mutex
	nic    NIC
	addrs  []netip.Addr
	groups [3]*Group      // by Stage
	bound  [3][2][]uint64 // [stage][dirIndex]: len(addrs) rows of the table's width
	boundM [3][2][]uint32 // their word masks
	scope  *Scope
	// The unrolled outbound path (pair.go), when the NIC has an NSG: fast
	// is set; pair holds the fused tables of its two NSGs, or oneStage is
	// the stage of its only NSG.
	fast     bool
	pair     *pairTable
	oneStage Stage
}

// NewClassifier binds a NIC to its groups. It fails when a group is an NSG
// given as admin rules or the reverse, when an address is invalid, or when
// VNet is set and an NSG references an ASG of another VNet
// (https://learn.microsoft.com/azure/virtual-network/application-security-groups#allow-database-businesslogic).
func NewClassifier(n NIC) (*Classifier, error) {
	el := &errList{object: "nic", name: lastSegment(n.ID)}
	c := &Classifier{nic: n, scope: n.Scope, groups: [3]*Group{n.Admin, n.NSG, n.SubnetNSG}}
	if c.scope == nil {
		c.scope = defaultScope()
	}
	if n.Admin != nil && !n.Admin.admin {
		el.add("", -1, "Admin", n.Admin.id, ErrBinding, "an NSG given as admin rules")
	}
	for _, g := range []*Group{n.NSG, n.SubnetNSG} {
		if g == nil {
			continue
		}
		if g.admin {
			el.add("", -1, "NSG", g.id, ErrBinding, "admin rules given as an NSG")
		}
		if n.VNet != "" {
			for _, v := range g.asgNet {
				if !strings.EqualFold(v, n.VNet) {
					el.add("", -1, "NSG", g.id, ErrASG, "references an ASG of virtual network "+lastSegment(v)+", not the NIC's "+lastSegment(n.VNet))
				}
			}
		}
	}
	for _, a := range n.Addrs {
		if !a.IsValid() {
			el.add("", -1, "Addrs", a.String(), ErrAddress, "invalid address")
			continue
		}
		c.addrs = append(c.addrs, a.Unmap().WithZone(""))
	}
	c.nic.Addrs = append([]netip.Addr(nil), c.addrs...)
	if err := el.err(); err != nil {
		return nil, err
	}
	for st, g := range c.groups {
		if g == nil {
			continue
		}
		for di := range 2 {
			t := &g.tables[di]
			w := t.words
			rows := make([]uint64, len(c.addrs)*w)
			for ai, a := range c.addrs {
				dim := &t.src // outbound: the NIC is the source
				if di == dirIndex(Inbound) {
					dim = &t.dst
				}
				var row [maxWords]uint64
				dim.row(&row, a, c.scope.mask(a), w)
				copy(rows[ai*w:ai*w+w], row[:w])
			}
			c.bound[st][di] = rows
			c.boundM[st][di] = rowMasks(rows, w)
		}
	}
	switch {
	case n.NSG != nil && n.SubnetNSG != nil:
		c.fast, c.pair = true, n.NSG.pairWith(n.SubnetNSG)
	case n.NSG != nil:
		c.fast, c.oneStage = true, StageNIC
	case n.SubnetNSG != nil:
		c.fast, c.oneStage = true, StageSubnet
	}
	return c, nil
}

// NIC returns the NIC the Classifier was built from (with unmapped addresses).
func (c *Classifier) NIC() NIC { n := c.nic; n.Addrs = append([]netip.Addr(nil), n.Addrs...); return n }

// Scope returns the Scope the Classifier uses.
func (c *Classifier) Scope() *Scope { return c.scope }

// Verdict classifies flow f, in the order of
// https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
// preceded by the admin rules
// (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins):
//
//  1. Admin rules, first match by priority: Deny and AlwaysAllow decide; Allow
//     or no match goes on.
//  2. Outbound: the NIC's NSG, then the subnet's; inbound: the subnet's, then
//     the NIC's. In each NSG the first rule by priority decides; a Deny ends
//     the evaluation; a missing NSG allows.
//
// Outbound flows to 168.63.129.16 or 169.254.169.254 (platform traffic) are
// matched only against rules whose destination is an AzurePlatform* tag; when
// none matches at any stage the verdict is Allow with [ReasonPlatform].
//
// Verdict does not allocate. An invalid direction gets the zero Verdict.
func (c *Classifier) Verdict(f Flow) Verdict {
	if c.fast && f.Direction == Outbound {
		if v, ok := c.verdictOut(f); ok {
			return v
		}
	}
	if !f.Direction.IsValid() {
		return Verdict{}
	}
	di := dirIndex(f.Direction)
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	local, remote := src, dst
	if f.Direction == Inbound {
		local, remote = dst, src
	}
	sp, dp := f.SrcPort, f.DstPort
	if !f.Proto.HasPorts() {
		sp, dp = 0, 0
	}
	ai := -1
	for i, a := range c.addrs {
		if a == local {
			ai = i
			break
		}
	}
	rmask := -1 // looked up lazily, once for all stages
	platform := f.Direction == Outbound && isPlatform(dst)
	pc := int(protoClass[f.Proto])

	v := Verdict{Rules: noRules}
	present := false
	for _, st := range stageOrder[di] {
		g := c.groups[st]
		if g == nil {
			continue
		}
		t := &g.tables[di]
		w := t.words
		ldim, rdim, ri := &t.src, &t.dst, 1
		if f.Direction == Inbound {
			ldim, rdim, ri = &t.dst, &t.src, 0
		}
		var l []uint64
		var lm uint32
		if ai >= 0 {
			l, lm = c.bound[st][di][ai*w:ai*w+w], c.boundM[st][di][ai]
		} else {
			// A local address that is not the NIC's: a rare path.
			var lrow [maxWords]uint64
			ldim.row(&lrow, local, c.scope.mask(local), w)
			l = lrow[:w]
			lm = wordMask(l)
		}
		i := t.match(rdim, ri, l, lm, remote, &rmask, c.scope, pc, sp, dp, platform)
		if st != StageAdmin {
			present = true
		}
		if i < 0 {
			continue
		}
		v.Rules.set(st, int16(i))
		switch t.access[i] {
		case Deny:
			v.Access = Deny
			if st == StageAdmin {
				v.Reason = ReasonAdmin
			} else {
				v.Reason = ReasonRule
			}
			return v
		case AlwaysAllow:
			v.Access, v.Reason = Allow, ReasonAdmin
			return v
		}
	}
	v.Access = Allow
	switch {
	case platform && v.Rules.NIC < 0 && v.Rules.Subnet < 0:
		v.Reason = ReasonPlatform
	case !present:
		v.Reason = ReasonNoNSG
	default:
		v.Reason = ReasonRule
	}
	return v
}

// testHookFast, when set (by tests only), is called each time Verdict or
// Outbound answers on the unrolled outbound path (pair.go); the other answers come
// from the stages one by one. A silent fallback to the staged path then fails
// a test.
var testHookFast func()

// RuleOf returns the rule that matched at stage st of verdict v for a flow of
// direction d, and false when none did.
func (c *Classifier) RuleOf(v Verdict, d Direction, st Stage) (RuleInfo, bool) {
	if st > StageSubnet || !d.IsValid() || v.Reason == ReasonNone {
		return RuleInfo{}, false
	}
	g, i := c.groups[st], v.Rules.At(st)
	if g == nil || i < 0 || int(i) >= g.Len(d) {
		return RuleInfo{}, false
	}
	return g.Rule(d, int(i)), true
}

// Group returns the group bound at stage st, or nil.
func (c *Classifier) Group(st Stage) *Group {
	if st > StageSubnet {
		return nil
	}
	return c.groups[st]
}
